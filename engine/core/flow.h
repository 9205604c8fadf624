/*
 * flow — the one write path of a case. Every change to a case goes through
 * here, decided with rules/ and written as one unit in the caller's transaction:
 * an opening, an action (by a person, or by the system for a timer or a link's
 * on_link), an assignment, a correction of the person's details, a note, a link
 * to a community resource, and the access-log row of a read of personal data.
 * Entering a state writes its timers and notifications; leaving one cancels its
 * timers; personal data passing to another organisation writes a provision
 * record. Each function returns FLOW_DONE, FLOW_REFUSED with *why (nothing
 * written), or FLOW_FAILED on a storage error (the caller rolls the unit back).
 */
#ifndef TSUNAGU_FLOW_H
#define TSUNAGU_FLOW_H

#include <jansson.h>

#include "casemachine.h"
#include "core.h"
#include "links.h"

enum { FLOW_FAILED = -1, FLOW_DONE = 0, FLOW_REFUSED = 1 };

/* Who writes, and when. */
struct flow {
	struct core *core;
	clock_us now;
	struct cm_caller who;      /* a user of an organisation, or the system (no user, no organisation) */
};

/* The system as the actor: timers and on_link actions. */
struct flow flow_system(struct core *core, clock_us now);

/* A case as the actor stands on it. */
struct flow_case {
	struct case_record c;
	const struct pathway *pw;
	party_mask parties;        /* never 0 once loaded */
	json_t *subject;           /* the person's details when the actor may see them, else NULL */
	bool personal;             /* may see the subject and the fields (not a provider's narrow view) */
};

/* Loads case id as the actor stands on it: 0; 1 when absent or the actor is on no side of it; -1 on error. */
int flow_case_load(const struct flow *f, const char *id, struct flow_case *out);
void flow_case_release(struct flow_case *l);

/* Recomputes the actor's sides after a change (a redirect may take the actor off the case). */
void flow_case_resides(const struct flow *f, struct flow_case *l);

/* Opens a case of pw from a POST /v1/cases body; *out is the new case as the actor stands on it. */
int flow_open(const struct flow *f, const struct pathway *pw, const json_t *body, struct flow_case *out,
	      struct refusal *why);

/*
 * Writes a new case from a checked opening (cm_open) as the flow's actor:
 * subject, case, event, the start state's notifications and timers, the
 * provision record to its receiver, and the flag of possible duplicate persons.
 * The caller releases *out. FLOW_DONE or FLOW_FAILED.
 */
int flow_open_case(const struct flow *f, const struct pathway *pw, const struct cm_open *open,
		   struct case_record *out);

/* Takes action `name` with input ({"fields": …} or NULL) on l; l->c is the case after it. */
int flow_act(const struct flow *f, struct flow_case *l, const char *name, const json_t *input, struct refusal *why);

/*
 * The system takes action `action` (an index into the case's state's actions):
 * a timer's (timer_id names it, marked fired with the action) or an on_link's
 * (timer_id NULL). It is decided as the system and recorded as the flow's
 * actor: the system for a timer, the person whose link change caused it. FLOW_DONE, FLOW_REFUSED when its guard or a required field
 * stops it (*why says which; nothing written), FLOW_FAILED.
 */
int flow_system_action(const struct flow *f, const struct pathway *pw, struct case_record *c, const json_t *subject,
		       int action, const char *timer_id, struct refusal *why);

/* Assigns the case from a body {user: ID|null}. */
int flow_assign(const struct flow *f, struct flow_case *l, const json_t *body, struct refusal *why);

/*
 * Works out whose inbox holds each of up to limit cases from before the store
 * kept it (schema 12), from its pathway version's state; the daemon's start
 * runs it in batches. How many it did, or -1.
 */
int flow_fill_inboxes(struct core *core, int limit);

/*
 * Moves up to limit of the open cases assigned to from_user to to_user (NULL:
 * unassigned), as when a colleague leaves: an `assign` event each, and one
 * `cases_reassigned` admin event naming them. The actor is an admin of their
 * organisation (the flow's), or the operator (no organisation). The ids moved
 * are appended to moved; *more says whether some are left for another call
 * (each call in a transaction of its own: thousands of cases never hold the
 * loop, nor one transaction).
 */
#define FLOW_REASSIGN_BATCH 100
int flow_reassign(const struct flow *f, const char *from_user, const char *to_user, int limit, json_t *moved,
		  bool *more, struct refusal *why);

/* Corrects the person's details from a partial subject; l->subject is the corrected one. */
int flow_correct_subject(const struct flow *f, struct flow_case *l, const json_t *patch, struct refusal *why);

/*
 * Corrects case fields the opening set (a corrected checkup row): checked
 * values merged into the case's fields, an event `correct_fields` naming them.
 * The referring and receiving organisations, while the case is open.
 */
int flow_correct_fields(const struct flow *f, struct flow_case *l, const json_t *fields, struct refusal *why);

/* Adds a note from a body {text, visibility}; *note is the note as the API shows it (caller decrefs). */
int flow_note(const struct flow *f, struct flow_case *l, const json_t *body, json_t **note, struct refusal *why);

/*
 * Links the person to a resource from a POST body; *link and *res are the new
 * link and its resource (caller releases). The receiving organisation links.
 */
int flow_link_create(const struct flow *f, struct flow_case *l, const json_t *body, struct link_record *link,
		     struct resource_record *res, struct refusal *why);

/*
 * Changes link link_id of the case from a PATCH body, as the receiving
 * organisation or the resource's provider; *link and *res as above. A link of
 * another case, or of another provider, is refused as not_found.
 */
int flow_link_change(const struct flow *f, struct flow_case *l, const char *link_id, const json_t *body,
		     struct link_record *link, struct resource_record *res, struct refusal *why);

/* The outcome of firing one timer. */
enum flow_timer_outcome { FLOW_TIMER_FIRED, FLOW_TIMER_STALE };

/*
 * Fires a due timer as the system: its action or its notification, and marks it
 * fired, in one unit. A timer of a state the case has left, or whose action its
 * guard refuses, is marked spent (FLOW_TIMER_STALE in *outcome). FLOW_DONE or
 * FLOW_FAILED.
 */
int flow_fire_timer(const struct flow *f, const struct store_timer *t, enum flow_timer_outcome *outcome,
		    const char **pathway);

/*
 * A running case's move to another version of its pathway (a migration), as
 * worked out before it is written: the state it goes to and, for each of that
 * state's timers in the new version, when it falls due counted from when the
 * case entered its state (the time already spent counts, so a due time may
 * have passed: the timer fires at once), or that it is not set again because
 * the timer of that name fired (or was spent) in this stay already.
 */
struct flow_move_timer {
	const char *name;
	clock_us due_at;           /* 0: not set again */
	bool spent;                /* fired or spent in this stay under the old version */
};

struct flow_move {
	const struct pathway *to;
	int state;                 /* the state's index in `to` (cm_migrate's) */
	const struct config_org *receiver; /* the receiver the case gains (cm_migrate_receiver), or NULL */
	struct flow_move_timer *timers;
	size_t n_timers;
	clock_us due_at;           /* the case's due time after the move (its state's first timer), or 0 */
};

/* Works out the move of case c (on version `from`) into state `state` of `to`. FLOW_DONE or FLOW_FAILED. */
int flow_move_plan(const struct flow *f, const struct pathway *from, const struct pathway *to,
		   const struct case_record *c, int state, struct flow_move *out);
void flow_move_release(struct flow_move *m);

/*
 * Writes a planned move: the case on its new version and state (a new case
 * version, so a client's If-Match of before is stale), an event `migrate`
 * {from_version, to_version[, receiver]}, the receiver it gains with the
 * provision record of the person's details passing to it, its old timers
 * cancelled and the plan's set. Its report summary stands: the events before
 * count under the version they happened on (report_summarize_case). No notification: the
 * case stays where it was. FLOW_DONE, FLOW_REFUSED (the case changed since
 * it was read) or FLOW_FAILED.
 */
int flow_move(const struct flow *f, struct case_record *c, const struct flow_move *m, struct refusal *why);

/* The access-log row of a read of personal data (c NULL: a read of records of many cases). */
int flow_log_read(const struct flow *f, const struct case_record *c, const char *what);

/* Remembers the answer to a request with an Idempotency-Key, to replay it. */
int flow_remember_reply(const struct flow *f, const char *key, const char *request_hash, int status,
			const char *body);

#endif
