/*
 * report — the coordinators' numbers: per pathway and version (and a grouping:
 * origin, receiver, area, month or fiscal year in the Japanese era), how many of
 * the cases opened in a period reached each milestone and with which outcomes
 * (funnel), how many business days passed between milestones, with the
 * reminders and escalations that fired (durations), and what the links to
 * community resources became (resources). Milestones come from the
 * `milestone` tags of the pathway version each case ran on, so reports never
 * depend on state names.
 */
#ifndef TSUNAGU_REPORT_H
#define TSUNAGU_REPORT_H

#include <jansson.h>

#include "core.h"
#include "casemachine.h"

enum report_group { GROUP_PATHWAY, GROUP_ORIGIN, GROUP_RECEIVER, GROUP_AREA, GROUP_MONTH, GROUP_FISCAL_YEAR };

extern const char *const report_group_names[];

struct report_query {
	clock_us from, to;         /* cases opened in [from, to); 0: open end */
	enum report_group group;
};

/* The reports as JSON (caller decrefs), or NULL on a storage error. */
json_t *report_funnel(struct core *core, const struct report_query *q);
json_t *report_durations(struct core *core, const struct report_query *q);

/*
 * Links proposed in the period, per resource and per category (in the group):
 * how many were made, joined, declined and ended, and how many people.
 */
json_t *report_resources(struct core *core, const struct report_query *q);

/* The newest referrals that the usual time to take one on is measured over, and the fewest that say anything. */
#define REPORT_USUAL_SAMPLE 100
#define REPORT_USUAL_MIN 5

/*
 * How many business days a receiver usually takes to accept a referral of the
 * pathway (what a referrer sees before sending, as Joy shows "usually replies
 * in 3 days"): the median over its newest REPORT_USUAL_SAMPLE referrals of the
 * past year that reached the accepted milestone, -1 when fewer than
 * REPORT_USUAL_MIN did. 0 with *median and *cases, or -1 on a storage error.
 */
int report_usual_acceptance(struct core *core, const struct pathway *pw, const char *receiver, clock_us now,
			    long *median, int *cases);

/*
 * What one event adds to its case's summary: the milestone of the state it
 * entered, a reminder (a timer's notification), an escalation (any other
 * action of the system but an erasure). The one rule both the summaries and
 * their check from the events follow.
 */
void report_event_effect(const struct pathway *pw, const char *action, const char *to_state, bool by_system,
			 int *milestone, int *reminders, int *escalations);

/* Keeps the case's summary with one of its events, in the event's transaction. 0 or -1. */
int report_note_event(struct core *core, const struct case_record *c, const char *action, const char *to_state,
		      bool by_system, clock_us at);

/* A case's summary worked out from its events. 0 or -1. */
int report_summarize_case(struct core *core, const char *case_id, const char *pathway, long version,
			  struct store_summary *out);

/* Summarises up to limit cases that have none (in the caller's transaction): how many, or -1. */
int report_summarize_missing(struct core *core, int limit);

/*
 * Holds every summary to its case's events; fn hears each case whose summary
 * differs and what differs (a milestone's name, "reminders", "escalations").
 * 0 with the counts, or -1 on a storage error.
 */
typedef void report_mismatch_fn(void *ctx, const char *case_id, const char *what);
int report_check_summaries(struct core *core, report_mismatch_fn *fn, void *ctx, int64_t *checked, int64_t *differ);

/* A report as CSV text (UTF-8, no BOM: the caller adds it or converts). Caller frees. */
char *report_csv(const json_t *report);

#endif
