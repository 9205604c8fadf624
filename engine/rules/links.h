/*
 * links — the rules of a case's links to community resources, decided without
 * I/O like the case machine: what a new link or a change may hold, which status
 * changes are possible (proposed → joined, declined or ended; joined → ended),
 * which of the person's details a provider may receive (name and contact, only
 * with a consent on record), and how a link looks to each side of the case.
 */
#ifndef TSUNAGU_LINKS_H
#define TSUNAGU_LINKS_H

#include <jansson.h>
#include <stdbool.h>

#include "casemachine.h"
#include "records.h"

/* A checked new link or change. */
struct links_change {
	int status;                /* the new status (enum link_status), or -1 when unchanged */
	char on[11];               /* the date of the new status, YYYY-MM-DD */
	bool note_given;
	json_t *note;              /* the new note (string or null), when note_given */
	bool share;                /* hand the person's details to the provider now */
	json_t *consent;           /* a consent given for this handoff, or NULL */
};

void links_change_release(struct links_change *ch);

/*
 * Checks a POST body {resource, note, on, share_with_provider, consent}; the
 * resource id is left in *resource (into body). Returns 0, or -1 and *err.
 */
int links_check_new(const json_t *body, date_days today, struct links_change *out, const char **resource,
		    struct refusal *err);

/*
 * Checks a PATCH body {status, on, note, share_with_provider, consent} against
 * the link as it is, for a caller of the receiving organisation (`receiver`) or
 * of the resource's provider (status only). Returns 0, or -1 and *err.
 */
int links_check_change(const struct link_record *l, bool receiver, const json_t *body, date_days today,
		       struct links_change *out, struct refusal *err);

/*
 * What the provider would receive of a subject: "subject.name,subject.kana,
 * subject.phone" as far as they are recorded (caller frees).
 */
char *links_shared_items(const json_t *subject);

/* True while a link is open (proposed or joined): only then does its provider hold the person's details. */
bool links_open(const struct link_record *l);

/* Copies into `person` the items of the subject that the link handed to its provider. */
void links_person(const struct link_record *l, const json_t *subject, json_t *person);

/*
 * Does a change that hands the person's details to the link's provider have a
 * consent to rely on, one that covers the provider? A consent given with the
 * change comes before the case's. A resource the caller's own organisation
 * runs needs none: the details stay where they are. 0 with *basis (caller
 * frees; NULL when nothing passes to another organisation), or -1 and *err
 * (consent_required, consent_scope).
 */
int links_check_handoff(const struct pathway *pw, const struct link_record *l, const struct config_org *provider,
			const struct links_change *ch, const char *caller_org, const json_t *case_consent, char **basis,
			struct refusal *err);

/* Refuses (already_linked) a new link to a resource the case already has an open link to. */
int links_check_not_linked(const struct link_record *links, size_t n, const char *resource_id, struct refusal *err);

/*
 * May a caller on these sides of case case_id change link l? The receiving
 * organisation may; the provider may while the link handed it the person's
 * details. 0, or -1 and *err: not_found when the link is not there for the
 * caller (another case's, another provider's), forbidden when the caller sees
 * the case's personal data but may not change its links.
 */
int links_check_may_change(const struct link_record *l, const char *case_id, party_mask parties, bool personal,
			   const char *caller_org, struct refusal *err);

/* Refuses (forbidden) a new link by a caller not of the receiving organisation. */
int links_check_may_link(party_mask parties, struct refusal *err);

/* Refuses (action_not_available) a link change on a closed case. */
int links_check_case_open(bool closed, struct refusal *err);

/* Applies a checked change to a link (status, its date, note, sharing). */
void links_apply(struct link_record *l, const struct links_change *ch, const char *shared_items, clock_us now);

/* The event name of a change: link_proposed, link_joined, …, link_shared or link_note. */
const char *links_event_name(const struct links_change *ch, bool created);

/*
 * A link as a caller sees it: the resource in brief (res may be NULL), status
 * and dates, what was shared; the note only for the receiving organisation.
 */
json_t *links_json(const struct link_record *l, const struct resource_record *res, bool with_note,
		   const struct clock *clk);

#endif
