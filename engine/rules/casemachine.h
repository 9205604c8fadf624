/*
 * casemachine — what may happen to a case, decided from the compiled pathway,
 * the caller and the case alone: no I/O. Which sides of a case a caller stands
 * on, what they may see, which actions they may take now, whether the input of
 * an opening or an action is valid, and what the action does. The API layer
 * stores what it decides.
 */
#ifndef TSUNAGU_CASEMACHINE_H
#define TSUNAGU_CASEMACHINE_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"
#include "date.h"
#include "pathway.h"
#include "records.h"
#include "refusal.h"

/* The longest note, in bytes. */
#define CM_NOTE_MAX 4000

struct cm_caller {
	const char *user;          /* NULL for the system (timers) */
	const struct config_org *org;
	role_mask roles;
};


/*
 * Value checks shared by every input: each returns 0, or -1 with *err naming
 * `path`. A text may hold line breaks and tabs, a line none; neither holds
 * other control characters or bidirectional overrides. A date (or a timestamp,
 * by the date written in it) may be bound to the past or the future.
 */
int cm_check_text(const json_t *v, const char *path, size_t max, struct refusal *err);
int cm_check_line(const json_t *v, const char *path, size_t max, struct refusal *err);
int cm_check_date(const json_t *v, const char *path, date_days today, enum pw_tense tense, struct refusal *err);
int cm_check_enum(const json_t *v, const char *path, const char *const *values, size_t n, struct refusal *err);
int cm_check_phone(const json_t *v, const char *path, struct refusal *err);
/* Refuses a key of object o not in keys (unknown_field, named "path.key"), saying what o is and which keys it takes. */
int cm_check_keys(const json_t *o, const char *path, const char *what, const char *what_ja,
		  const char *const *keys, struct refusal *err);
/*
 * A consent {obtained_by, obtained_at, method, scope}: a checked copy, or NULL
 * with every problem in *err. The scope is free text, or { recipients: [kinds
 * of organisation the person agreed to], text }.
 */
json_t *cm_check_consent(const json_t *consent, date_days today, struct refusal *err);

/*
 * Does a consent cover handing the person's details to an organisation of
 * `kind`? Its scope's recipients; a scope in words alone covers what the
 * pathway declares (pathway_consent_covers), and a consent given with a link
 * covers that link's handoff.
 */
bool cm_consent_covers(const struct pathway *pw, const json_t *consent, enum org_kind kind, bool given_with_link);

/* The consent a provision relies on, in words for its record: who, when, how, and what it covers (caller frees); NULL for none. */
char *cm_consent_basis(const struct pathway *pw, const json_t *consent, bool given_with_link);

/* Refuses (consent_scope) a handoff to `org` that the consent does not cover. */
int cm_check_consent_covers(const struct pathway *pw, const json_t *consent, const struct config_org *org,
			    bool given_with_link, struct refusal *err);

/* True when a comma-separated list holds item. */
bool cm_list_has(const char *list, const char *item);

/*
 * The sides of case c the caller stands on (0: none, so the case must look
 * absent). A resource provider stands on the case (PARTY_PROVIDER) while a link
 * to one of its resources that handed it the person's details is open.
 */
party_mask cm_parties(const struct pathway *pw, const struct case_record *c, const struct cm_caller *who);

/* The date a date field's value names (a date, or the date a timestamp is written on): 0, or -1. */
int cm_field_date(const json_t *v, date_days *out);

/* May the caller open a case of pw (its `opened_by`: a role and, when it names them, an organisation kind)? */
bool cm_may_open(const struct pathway *pw, const struct cm_caller *who);

/* Is the caller one of the city's coordinators (who see every case's metadata, and audit)? */
bool cm_is_coordinator(const struct cm_caller *who);

/* Is the caller on the side of the case that works it (the receiving organisation or the assignee)? */
bool cm_is_receiver(party_mask parties);

/*
 * Whose inbox holds a case in its state: PARTY_ORIGIN, PARTY_RECEIVER (an
 * assignee's inbox is in its organisation's) or PARTY_COORDINATOR; -1 in a
 * final or unknown state. The store keeps it beside the state, so an inbox is
 * read from an index (cases.inbox) rather than from every case.
 */
int cm_inbox_party(const struct pathway *pw, const struct case_record *c);

/* Which inbox a list asks for: none, the caller's own, or the caller's organisation's. */
enum cm_inbox { CM_INBOX_NONE, CM_INBOX_ME, CM_INBOX_ORG };

/*
 * Is open case c waiting in the caller's inbox? Its state says whose inbox it
 * sits in (origin, receiver, assignee, coordinator); "me" narrows an
 * organisation's inbox to the caller's own cases and those nobody is assigned.
 */
bool cm_in_inbox(const struct pathway *pw, const struct case_record *c, const struct cm_caller *who,
		 enum cm_inbox inbox);

/* Does the caller stand on the case only as a resource provider (the narrow view: its own open links)? */
bool cm_provider_only(party_mask parties);

/* Is the case in a final state (closed)? */
bool cm_closed(const struct pathway *pw, const struct case_record *c);

/* May a caller on these sides see the subject's personal data and the case's fields? */
bool cm_sees_personal(const struct pathway *pw, party_mask parties);

/* The fields of a case (or event) a caller on these sides, with these roles, may see. New reference. */
json_t *cm_visible_fields(const struct pathway *pw, const json_t *fields, party_mask parties, role_mask roles);

/* The values an expression may read: the subject, the consent and the case's fields. */
struct cm_values {
	const struct pathway *pw;
	const json_t *subject;
	const json_t *consent;
	const json_t *fields;
	const int *links;          /* the case's link tallies (records.h), or NULL for none */
	int links_open;            /* its links open now (links.active) */
};

/* Is the action available to this caller now (role, side and guard)? */
bool cm_action_available(const struct cm_values *vals, const struct pw_action *a, role_mask roles,
			 party_mask parties, date_days today);

/* The result of checking an opening. */
struct cm_open {
	json_t *subject;           /* validated, normalised */
	json_t *consent;           /* or NULL */
	json_t *fields;            /* the case fields given */
	const struct config_org *receiver; /* NULL until a triage action chooses */
	int state;                 /* the start state */
};

void cm_open_release(struct cm_open *o);

/* Does a checked opening meet the pathway's eligibility rule (true when it has none)? */
bool cm_eligible(const struct pathway *pw, const struct cm_open *o, date_days today);

/* Checks a POST /v1/cases body. Returns 0 and *out, or -1 and *err. */
int cm_open(const struct config *cfg, const struct pathway *pw, const struct cm_caller *who,
	    const json_t *body, date_days today, struct cm_open *out, struct refusal *err);

/* The result of an action. */
struct cm_step {
	const struct pw_action *action;
	int target;                /* state index */
	json_t *fields;            /* the case's fields after the action */
	json_t *given;             /* the values this action set (for the event) */
	const struct config_org *new_receiver; /* non-NULL when the action hands the case on */
	const char *outcome;       /* set when the target is final */
};

void cm_step_release(struct cm_step *s);

/*
 * Checks taking action `name` on case c (in pathway pw) with body `input` ({"fields": {...}}).
 * `parties` are the caller's sides (non-zero). Returns 0 and *out, or -1 and *err.
 */
int cm_act(const struct config *cfg, const struct pathway *pw, const struct case_record *c,
	   const json_t *subject, const struct cm_caller *who, party_mask parties, const char *name,
	   const json_t *input, date_days today, struct cm_step *out, struct refusal *err);

/* Is the case about a person (not a record of `subject: none`)? 0, or -1 with *err: `what` needs one. */
int cm_check_about_person(const struct pathway *pw, const char *what, const char *what_ja, struct refusal *err);

/*
 * May running case c move to version `to` of its pathway, into state `target`
 * (its own state's name, or where a migration's map sends it)? Returns the
 * state's index in `to`, or -1 and *err with every reason it must stay:
 * state_missing (no such state there), final_state (a migration moves running
 * cases, it never closes one), no_receiver (the state waits on a receiver the
 * case lacks and none is routed), consent_scope (the receiver it would gain is
 * not covered by the consent), field_value (a value the case holds that the
 * new version's field of that name does not accept; a field the new version
 * lacks keeps its value, unshown).
 */
int cm_migrate(const struct config *cfg, const struct pathway *to, const struct case_record *c, const char *target,
	       struct refusal *err);

/*
 * The receiver a migrated case gains: when state `state` of `to` waits on a
 * receiving organisation, the case has none (a triage the coordinators held)
 * and `to` routes by area, the organisation routed its area; else NULL (and
 * cm_migrate refuses the move when the state needs one). The consent is the
 * case's: cm_migrate checks that it covers the receiver.
 */
const struct config_org *cm_migrate_receiver(const struct config *cfg, const struct pathway *to,
					     const struct case_record *c, int state);

/*
 * May the caller (on these sides) assign case c? Only the receiving
 * organisation assigns, and only an open case. 0, or -1 and *err.
 */
int cm_check_assign(const struct pathway *pw, const struct case_record *c, party_mask parties, struct refusal *err);

/* Reads an assignment body {user: ID|null}: 0 with *user (into body; NULL to unassign), or -1 and *err. */
int cm_check_assign_body(const json_t *body, const char **user, struct refusal *err);

/* May the caller write a note on the case (the organisations working on it, while it is open)? 0, or -1 and *err. */
int cm_check_note(const struct pathway *pw, const struct case_record *c, party_mask parties, bool personal,
		  struct refusal *err);

/*
 * May the caller read a note, or learn that it exists (its event)? A note for
 * the "organisation" (the default, and what a note of unknown visibility is)
 * is its author organisation's only; one for the "parties", everyone's on the case.
 */
bool cm_note_visible(const char *visibility, const char *author_org, const struct cm_caller *who);

/* Reads a note body {text, visibility}: 0 with *text and *visibility (into body), or -1 and *err. */
int cm_check_note_body(const json_t *body, const char **text, const char **visibility, struct refusal *err);

/*
 * May the caller correct the person's details? The referring and receiving
 * organisations while the case is open; once it has closed, only the
 * receiving organisation's admin, with a reason (the person's right to have
 * their data corrected); a purged case never. 0, or -1 and *err.
 */
int cm_check_correct(const struct pathway *pw, const struct case_record *c, party_mask parties, role_mask roles,
		     bool reason_given, struct refusal *err);

/* Checks a subject correction (PATCH): a partial subject. Returns the merged subject or NULL. */
json_t *cm_correct_subject(const struct config *cfg, const struct pathway *pw, const json_t *current,
			   const json_t *patch, date_days today, struct refusal *err);

#endif
