/*
 * records — the records of the domain as the store keeps them and the rules
 * read them: a case, a link of a case to a community resource, and a resource
 * of the directory. Plain data with owned strings; the store fills them, the
 * rules decide on them, core changes and writes them back.
 */
#ifndef TSUNAGU_RECORDS_H
#define TSUNAGU_RECORDS_H

#include <jansson.h>
#include <stdbool.h>

#include "clock.h"
#include "vocab.h"

struct case_record {
	char *id;
	char *pathway;
	long pathway_version;
	char *state;
	long version;
	char *origin_org;
	char *origin_user;
	char *receiver_org;     /* NULL until routed */
	char *assignee;         /* user id or NULL */
	char *subject_id;
	json_t *consent;        /* object or NULL */
	json_t *fields;         /* object */
	clock_us opened_at, updated_at, closed_at;
	char *outcome;
	char *area;             /* the subject's area, kept for routing and reports */
	char *person_id;        /* the municipality's identifier of the person (fields.person_id), or NULL */
	char *person_key;       /* digest of the folded kana and birth date (textfold_person_key), or NULL */
	json_t *duplicates;     /* possible duplicate persons found at opening: [{case_id, reason}] or NULL */
	/* read only, from the case's links (links_tally keeps them when a link changes) */
	int links[LINK_STATUS_COUNT];   /* proposed, declined, ended: now; joined: ever (an ended link the person joined still counts) */
	int links_open;         /* proposed or joined now */
	char *providers;        /* comma-separated organisations that hold the person's details through an open link */
	clock_us purged_at;     /* when the person's data was erased (purge or erasure), or 0 */
	bool assignee_gone;     /* the assignee's user is revoked: the case is the organisation's again */
	clock_us due_at;        /* when the current state's first timer falls due (its SLA), or 0 */
	clock_us entered_at;    /* when it entered its state (the start of the state's timers) */
	int milestones_reached; /* a bit (1 << MILESTONE_x) per milestone the report summary says reached; -1: none read */
	int inbox;              /* cm_inbox_party of its state, kept so lists read inboxes from an index; CASE_INBOX_UNKNOWN: not worked out yet */
};

/* A case from before its inbox was kept (schema 12), until the daemon's start works it out. */
#define CASE_INBOX_UNKNOWN (-2)

void case_record_release(struct case_record *c);

/*
 * Counts a link's change of status into a case's tallies: from `old` (-1 for a
 * new link) to `status`; `was_joined` says the person joined it before (a link
 * joined once stays counted as joined when it ends).
 */
void links_tally(int links[LINK_STATUS_COUNT], int *open, int old, int status, bool was_joined);

struct link_record {
	char *id;
	char *case_id;
	char *resource_id;
	char *provider_org;     /* the resource's provider when the link was made */
	char *status;           /* link_status_names */
	char *proposed_on, *joined_on, *declined_on, *ended_on;    /* YYYY-MM-DD or NULL */
	char *note;             /* the receiving organisation's own note, or NULL */
	char *shared;           /* comma-separated subject items handed to the provider, or NULL */
	json_t *consent;        /* a consent given for this handoff, or NULL */
	char *created_by, *created_org;
	clock_us created_at, updated_at;
};

void link_record_release(struct link_record *l);

struct resource_record {
	char *id;
	json_t *data;           /* the whole resource as the API shows it, without id, version and times */
	char *category, *provider, *status, *capacity;
	long version;
	clock_us created_at, updated_at;
	char *updated_by;
};

void resource_record_release(struct resource_record *r);

#endif
