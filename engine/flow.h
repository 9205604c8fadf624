/*
 * flow — what one referral action writes, in the caller's transaction: the case
 * row, its hash-chained event, the outbox rows and timers of the state entered,
 * the cancellation of the timers of the state left, and the provision record
 * when personal data passes to another organisation. The API and the timers
 * (acting as `system`) both go through here, so an action means the same thing
 * whoever takes it.
 */
#ifndef TSUNAGU_FLOW_H
#define TSUNAGU_FLOW_H

#include <jansson.h>

#include "calendar.h"
#include "casemachine.h"
#include "config.h"
#include "pathway.h"
#include "store.h"

struct flow {
	struct store *store;
	const struct config *cfg;
	const struct calendar *cal;
	clock_us now;
	const char *actor_user;    /* NULL for the system */
	const char *actor_org;     /* NULL for the system */
};

/* Appends an event of case c; fills *seq. */
int flow_event(const struct flow *f, const struct store_case *c, const char *action, const char *from,
	       const char *to, const json_t *payload, int64_t *seq);

/*
 * Writes a new case (c filled by the caller, state set to the start state) with
 * its subject, event, the start state's notifications and timers, and the
 * provision record to its receiver. Open cases of the same person (person_id,
 * or folded kana and birth date) are flagged in c->duplicates and the receiver
 * is told. Returns 0 or -1.
 */
int flow_open(const struct flow *f, const struct pathway *pw, struct store_case *c, const json_t *subject);

/* Sets the case's person columns from its fields and subject (the duplicate check reads them). */
void flow_person_keys(struct store_case *c, const json_t *subject);

/*
 * Builds case *out from a checked opening (cm_open) for the flow's actor and
 * writes it with flow_open. The caller releases *out. Returns 0 or -1.
 */
int flow_open_case(const struct flow *f, const struct pathway *pw, const struct cm_open *open,
		   struct store_case *out);

/*
 * Applies a decided step to case c (updated in place: state, version, fields,
 * receiver, assignee, outcome). `parties` are the actor's sides before the step
 * (for who becomes the assignee). Returns 0, 1 when the case's version moved on
 * meanwhile (nothing written), or -1 on a storage error.
 */
int flow_step(const struct flow *f, const struct pathway *pw, struct store_case *c, const json_t *subject,
	      const struct cm_step *step, party_mask parties);

/* A change of one of a case's links to a resource, checked (links.h) and applied to `link`. */
struct flow_link {
	struct store_link *link;   /* the link as it is after the change */
	bool created;
	int old_status;            /* the status before (enum link_status), or -1 when created */
	const char *event;         /* links_event_name */
	const char *handed_items;  /* the person's details passing to the provider now, or NULL */
	const char *consent_basis; /* what that handoff relies on */
};

/*
 * Writes a link change: the link row, the case's new version, the event, and when
 * the person's details pass to the provider, the provision record and the
 * provider's notification; when the provider changed the link, the receiver's
 * notification. If the case's state has an on_link action for the new status,
 * the system takes it. `c` is updated in place. Returns 0, 1 when the case's
 * version moved on meanwhile (nothing written), or -1 on a storage error.
 */
int flow_link(const struct flow *f, const struct pathway *pw, struct store_case *c, const json_t *subject,
	      const struct flow_link *ch);

/*
 * Fires a notification timer of case c: an event `timer` naming it, and the
 * outbox row(s) of its notification.
 */
int flow_timer_notify(const struct flow *f, const struct store_case *c, const struct pw_timer *t);

#endif
