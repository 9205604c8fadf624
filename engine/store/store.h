/*
 * store — durable state in SQLite, and the only module that speaks SQL: users
 * and token hashes, pathway versions, subjects, cases, the hash-chained event
 * log (payloads kept apart so personal data can be purged without breaking the
 * chain), notes, outbox, provision records, the access log, idempotency keys,
 * the community resource directory (with its folded-text search index) and the
 * links of cases to resources.
 * WAL with synchronous=FULL; write transactions begin IMMEDIATE; every statement
 * is prepared once (a filter query once per shape). The daemon's turn groups
 * actions into one transaction per loop turn and wraps each in a savepoint so
 * that a failing action undoes only itself (runtime/turn); a command outside the
 * loop writes through core_transaction.
 *
 * Iterators say what their callback may do:
 *   copied   the rows are read first, then fn runs for each: fn may use the
 *            store freely, read and write;
 *   streamed fn runs while the query steps: it may read through other queries
 *            and write other tables, but must not call the same iterator nor
 *            change the rows being listed.
 * Every iterator stops when fn returns non-zero and still answers 0 then.
 * Each function logs its SQLite failure once (to stderr) and returns -1; the
 * caller decides what the failure means and says so to its user.
 */
#ifndef TSUNAGU_STORE_H
#define TSUNAGU_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "records.h"
#include "vocab.h"

#define STORE_SCHEMA_VERSION 12

struct store;

/*
 * Whether a database may be created where none is; STORE_READER opens an
 * existing, migrated one for reading only (a worker thread's connection).
 */
/* STORE_INSPECT: read-only, whatever the schema version, never migrated (a backup being checked). */
enum store_open_mode { STORE_EXISTING, STORE_CREATE, STORE_READER, STORE_INSPECT };

/*
 * Opens and migrates the database (with STORE_CREATE, creating it, readable
 * by its owner only; *created says so when non-NULL). Returns 0; 1 when there
 * is no database at path and the mode is STORE_EXISTING ("no database at
 * PATH" in *err); -1 on any other error, with *err (caller frees).
 */
int store_open(const char *path, enum store_open_mode mode, struct store **out, bool *created, char **err);
void store_close(struct store *s);

/* Bytes of this connection's page cache now (SQLite keeps no high-water mark of it). */
int64_t store_cache_used(struct store *s);

/* The last SQLite error message, for logs. */
const char *store_errmsg(const struct store *s);

/* Turns off automatic WAL checkpoints inside COMMIT; the daemon checkpoints when idle. */
void store_manual_checkpoints(struct store *s);

/* Bounds this connection's page cache (KiB); a connection that only checkpoints needs little. */
void store_set_cache_kib(struct store *s, int kib);

/* The pages in the WAL after this connection's last commit (with manual checkpoints; else 0). */
int store_wal_pages(const struct store *s);
void store_checkpoint(struct store *s);
/* Commits of this connection that started the WAL over (with manual checkpoints). */
uint64_t store_wal_restarts(const struct store *s);
/* Checkpoints everything and empties the WAL file (waits for readers: only before the daemon serves). */
void store_checkpoint_truncate(struct store *s);

/*
 * From now on this connection's commits do not wait for the disk
 * (synchronous=NORMAL): a commit is durable once *wal_fd, the write-ahead
 * log's (the caller closes it), has been flushed with fdatasync after it, and
 * whoever commits must flush before anything it committed leaves the process.
 * Checkpoints still flush as before. 0, or -1 with *err.
 */
int store_sync_apart(struct store *s, int *wal_fd, char **err);

/* store_begin's answer when another connection holds the write lock (after the busy timeout). */
#define STORE_BUSY 1

int store_begin(struct store *s);        /* BEGIN IMMEDIATE: 0, STORE_BUSY, or -1 on an error (logged) */

/* How long a statement waits for a lock another connection holds (the daemon's loop: 0, never sleep). */
void store_set_busy_timeout(struct store *s, int ms);
int store_commit(struct store *s);       /* on failure the transaction is rolled back */
void store_rollback(struct store *s);
bool store_in_transaction(const struct store *s);
int store_savepoint(struct store *s);
int store_savepoint_release(struct store *s);
void store_savepoint_rollback(struct store *s);

/* ---- users and tokens ---- */

struct store_user {
	char *id;
	char *org;
	char *name;
	char *login;            /* the sign-in name of the pages, or NULL */
	role_mask roles;
	clock_us created_at;
	clock_us revoked_at;    /* 0 when active */
	clock_us token_expires; /* of the newest token; 0 when none expires */
};

void store_user_release(struct store_user *u);

int store_user_add(struct store *s, const char *id, const char *org, const char *name,
		   role_mask roles, clock_us now);
/* Revokes every token of the user and marks the user revoked. 0, or -1 when unknown. */
int store_user_revoke(struct store *s, const char *id, clock_us now);
/* Revokes the user's tokens (not the user). */
int store_tokens_revoke(struct store *s, const char *user_id, clock_us now);
int store_token_add(struct store *s, const char *hash, const char *user_id, clock_us now,
		    clock_us expires_at);
/* Finds the active user of a token hash: 0 and *out, 1 when none (unknown, revoked, expired). */
int store_authenticate(struct store *s, const char *hash, clock_us now, struct store_user *out);
int store_user_get(struct store *s, const char *id, struct store_user *out); /* 0, 1 none */
int store_user_find_by_name(struct store *s, const char *org, const char *name, struct store_user *out);
/* Every user, by id (streamed). */
int store_users_list(struct store *s, void (*fn)(void *ctx, const struct store_user *u), void *ctx);
/* The active users of an organisation, by name (streamed). */
int store_org_users(struct store *s, const char *org, void (*fn)(void *ctx, const struct store_user *u), void *ctx);
/* Sets an active user's login name: 0, 1 when no such user; -1 on error (a taken name is a constraint error). */
int store_user_set_login(struct store *s, const char *id, const char *login);

/* What signing in with a login name checks: kept apart from store_user, which every request reads. */
struct store_credentials {
	char *user_id;
	char *org;
	role_mask roles;
	char *passphrase;        /* the encoded passphrase hash, or NULL before enrolment */
	char *enrol_hash;        /* digest of the one-time enrolment code, or NULL when spent */
	clock_us enrol_expires;
	char *totp_secret;       /* base32, or NULL when none is set up */
	int64_t totp_last_step;  /* the newest TOTP time step accepted (never twice), or 0 */
};
void store_credentials_release(struct store_credentials *c);
/* The credentials of the active user of a login name: 0, 1 when none. */
int store_credentials_by_login(struct store *s, const char *login, struct store_credentials *out);
/* A new enrolment code (its digest): the passphrase and TOTP secret are cleared. 0, 1 no such user. */
int store_enrolment_set(struct store *s, const char *id, const char *code_hash, clock_us expires);
/* Sets the passphrase and spends the enrolment code, only while that code is the user's and unexpired: 0, 1 when not. */
int store_passphrase_set(struct store *s, const char *id, const char *encoded, const char *spent_code_hash,
			 clock_us now);
/* Sets (or clears, NULL) the TOTP secret. 0, 1 no such user. */
int store_totp_set(struct store *s, const char *id, const char *secret);
/* Records a TOTP time step as used: 0, 1 when it or a later one was used already (a replay). */
int store_totp_used(struct store *s, const char *id, int64_t step);

/*
 * The newest cases (at most limit) of a pathway that a receiver took on since
 * a time: when each opened and first reached one of states (comma-separated),
 * newest first (streamed).
 */
int store_reach_times(struct store *s, const char *receiver, const char *pathway, const char *states, clock_us since,
		      int limit, void (*fn)(void *ctx, clock_us opened, clock_us reached), void *ctx);

/* ---- sessions of the pages ---- */

struct store_session {
	char *id;               /* public id, for listing and ending (never the cookie) */
	char *csrf;             /* the anti-CSRF token of the session's writes */
	char *stage;            /* "totp": the second factor is still to come; "full" */
	char *client;           /* the address it began from */
	clock_us created_at, seen_at;
};
void store_session_release(struct store_session *x);
/* Records a session under the digest of its cookie. */
int store_session_add(struct store *s, const char *hash, const struct store_session *x, const char *user_id);
/* The live session of a cookie digest and its active user: 0, 1 none (unknown, ended, user revoked). */
int store_session_authenticate(struct store *s, const char *hash, struct store_user *user, struct store_session *out);
/* Marks the session used now (the idle timeout counts from it). 0, 1 when it ended. */
int store_session_seen(struct store *s, const char *hash, clock_us now);
/* Ends a session by its cookie digest: 0, 1 when it was not live. */
int store_session_end(struct store *s, const char *hash, clock_us now, const char *reason);
/* Ends every live session of a user: how many, or -1. */
int store_sessions_end_user(struct store *s, const char *user_id, clock_us now, const char *reason);
/* Ends one session of a user by its public id: 0, 1 when none live. */
int store_session_end_id(struct store *s, const char *user_id, const char *id, clock_us now, const char *reason);
/* The live sessions of a user, oldest first (streamed). */
int store_sessions_list(struct store *s, const char *user_id,
			int (*fn)(void *ctx, const struct store_session *x), void *ctx);

/* ---- pathway versions ---- */

/* Records a pathway version (digest and source): 0 when it was recorded already, 2 when new, 1 when it exists with another digest. */
int store_pathway_register(struct store *s, const char *id, long version, const char *digest,
			   const char *source, clock_us now);
/* The digest of a recorded version: 0, 1 when that version is not recorded. */
int store_pathway_digest(struct store *s, const char *id, long version, char digest[65]);
/* The newest recorded version of a pathway: its source (caller frees) and *version, or NULL. */
char *store_pathway_latest(struct store *s, const char *id, long *version);
/* The source text of a recorded version (caller frees), or NULL. */
char *store_pathway_source(struct store *s, const char *id, long version);

/* Every recorded version of a pathway, oldest first, with when it was loaded and its open cases (streamed). */
int store_pathway_versions(struct store *s, const char *pathway,
			   void (*fn)(void *ctx, long version, clock_us loaded_at, int64_t running), void *ctx);

/* ---- counts imported for the years before the system (tallies) ---- */

/* Sets the count of a pathway's records with `value` of `field` in a fiscal year (replacing an earlier import's). */
int store_tally_put(struct store *s, const char *pathway, const char *field, const char *value, int fiscal_year,
		    int64_t count, clock_us now);
/* The imported counts of a pathway's field, by fiscal year then value (streamed). */
int store_tallies(struct store *s, const char *pathway, const char *field,
		  void (*fn)(void *ctx, const char *value, int fiscal_year, int64_t count), void *ctx);

/* Every pathway with a recorded version, by id. */
int store_pathway_ids(struct store *s, int (*fn)(void *ctx, const char *pathway), void *ctx);

/*
 * Up to limit running (open) cases of a pathway version with ids after
 * after_id (NULL: from the first), in id order: how many were listed, or -1 on
 * error, -2 when fn returned non-zero (fn may use the store).
 */
int store_cases_on_version(struct store *s, const char *pathway, long version, const char *after_id, int limit,
			   int (*fn)(void *ctx, const char *case_id), void *ctx);

/* ---- cases ---- */

int store_case_insert(struct store *s, const struct case_record *c);
/* Writes c over the row whose version is expected_version; 1 when that version is gone. */
int store_case_update(struct store *s, const struct case_record *c, long expected_version);
int store_case_get(struct store *s, const char *id, struct case_record *out); /* 0, 1 none */

struct store_case_filter {
	const char *pathway;
	const char *state;
	const char *org;               /* cases where this org is origin or receiver; NULL: all */
	const char *receiver_org;      /* only these */
	const char *assignee;
	/*
	 * Only the cases waiting in an inbox (cases.inbox): of inbox_org's side
	 * (origin or receiver), narrowed with STORE_INBOX_ME to inbox_user's own
	 * and those nobody (still there) is assigned; with inbox_coordinator, the
	 * coordinators' too. Read from the inbox indexes, whatever else an
	 * organisation holds; the caller still decides each case (cm_in_inbox).
	 */
	enum { STORE_INBOX_NONE, STORE_INBOX_ORG, STORE_INBOX_ME } inbox;
	const char *inbox_org, *inbox_user;
	bool inbox_coordinator;
	const char *area;
	const char *origin_org;
	int open;                      /* 1: open cases only, 0: closed only, -1: both */
	int overdue;                   /* 1: open and due at or before overdue_at, 0: not overdue, -1: any */
	clock_us overdue_at;
	bool by_due;                   /* in (due time, id) order, cases with none last */
	clock_us updated_since;        /* 0: any */
	/* a date field's JSON path ('$."held_on"', checked by the caller): cases whose value is in [date_from, date_to] */
	const char *date_path, *date_from, *date_to;
	clock_us opened_from, opened_to; /* cases opened in [from, to); 0: no bound */
	clock_us after_updated;        /* cursor: (updated_at, id) — or (due time, id) by_due — strictly after */
	const char *after_id;
	int limit;
};

/* Calls fn for each matching case in (updated_at, id) order, or by due time (streamed). */
int store_cases_list(struct store *s, const struct store_case_filter *f,
		     int (*fn)(void *ctx, struct case_record *c), void *ctx);

/*
 * Open cases (not this one) of the same person: the same person_id, or the same
 * person key. Calls fn with each case id and "same_person_id" or
 * "same_kana_and_birth_date" (streamed).
 */
int store_cases_same_person(struct store *s, const char *case_id, const char *person_id, const char *person_key,
			    int (*fn)(void *ctx, const char *case_id, const char *reason), void *ctx);

/* ---- subjects ---- */

int store_subject_insert(struct store *s, const char *id, const json_t *subject, clock_us now);
int store_subject_update(struct store *s, const char *id, const json_t *subject, clock_us now);
json_t *store_subject_get(struct store *s, const char *id); /* NULL when none */

/* ---- events ---- */

struct store_event {
	int64_t seq;
	char *id;
	char *case_id;
	clock_us at;
	char *actor_user;       /* NULL for the system */
	char *actor_org;
	char *action;
	char *from_state;       /* NULL on opening */
	char *to_state;
	long case_version;
	const void *payload;    /* msgpack; NULL when purged */
	size_t payload_len;
	char payload_digest[65];
	char prev_hash[65];
	char hash[65];
};

/* Appends an event to the chain; fills *seq. */
int store_event_append(struct store *s, struct store_event *ev);
/* The last event's seq as this connection sees it (0 when there is none). */
int store_event_head(struct store *s, int64_t *seq);
/* The events of a case after after_seq (0: from the first), oldest first (streamed). */
int store_events_for_case(struct store *s, const char *case_id, int64_t after_seq,
			  int (*fn)(void *ctx, const struct store_event *ev), void *ctx);

struct store_verify {
	int64_t events;
	int64_t bad_seq;        /* 0 when the chain is whole */
	char reason[256];
	char head_hash[65];     /* the hash of the last event that verified (the genesis hash: none) */
};

/* A case's pathway and version alone (a notification's text needs no more): 0, 1 when there is no such case, -1. */
int store_case_pathway(struct store *s, const char *case_id, char *pathway, size_t size, long *version);

/* The hash of event seq: 0, 1 when there is no such event, -1 on error. */
int store_event_hash(struct store *s, int64_t seq, char hash[65]);

/* Walks the whole chain. Returns 0 (see v->bad_seq) or -1 on a database error. */
int store_verify_chain(struct store *s, struct store_verify *v);

/* ---- the rest of one action ---- */

int store_note_add(struct store *s, const char *id, const char *case_id, const char *user,
		   const char *org, const char *visibility, const char *text, clock_us now);
/* The notes of a case after (after_at, after_id) (after_id NULL: from the first), oldest first (streamed). */
int store_notes_for_case(struct store *s, const char *case_id, clock_us after_at, const char *after_id,
			 int (*fn)(void *ctx, const char *id, const char *user, const char *org,
				   const char *visibility, const char *text, clock_us at), void *ctx);

/* A notification in the outbox: one per (message, channel), delivered at least once. */
struct store_notification {
	char *id;
	char *case_id;
	int64_t event_seq;
	char *party;
	char *org;
	char *user;
	char *template_name;
	char *channel;          /* NULL: no channel for the organisation (written dead) */
	char *state;            /* the case's state when it was written */
	char *status;           /* pending, delivered, dead */
	int attempts;
	clock_us created_at, next_attempt_at, delivered_at;
	char *last_error;
};

void store_notification_release(struct store_notification *n);
int store_outbox_add(struct store *s, const struct store_notification *n);
/*
 * Pending rows due now, each the oldest pending one of its (case, channel), soonest first (copied);
 * only rows of events up to upto_seq (those known to be on disk).
 */
int store_outbox_ready(struct store *s, clock_us now, int64_t upto_seq, int limit,
		       int (*fn)(void *ctx, struct store_notification *n), void *ctx);
int store_outbox_result(struct store *s, const char *id, const char *status, int attempts,
			clock_us next_attempt_at, const char *error, clock_us delivered_at);
int store_outbox_next(struct store *s, clock_us *when);       /* 0, 1 none pending */
int store_outbox_get(struct store *s, const char *id, struct store_notification *out); /* 0, 1 none */
/* Makes a dead notification pending and due at once: 0, or 1 when it is not dead. */
int store_outbox_retry(struct store *s, const char *id);
/* Notifications by id after after_id (NULL: from the first), of a status (NULL: any) (streamed). */
int store_outbox_list(struct store *s, const char *status, const char *after_id, int limit,
		      int (*fn)(void *ctx, struct store_notification *n), void *ctx);

int store_provision_add(struct store *s, clock_us at, const char *case_id, const char *subject_id,
			const char *from_org, const char *to_org, const char *items,
			const char *consent_basis, int64_t event_seq);

int store_access_add(struct store *s, clock_us at, const char *user, const char *org,
		     const char *case_id, const char *subject_id, const char *what);

/* ---- idempotency ---- */

/* 0 and the stored answer, 1 when the key is new. */
int store_idem_get(struct store *s, const char *user, const char *key, char **request_hash,
		   int *status, char **body);
int store_idem_put(struct store *s, const char *user, const char *key, const char *request_hash,
		   int status, const char *body, clock_us now);

/* ---- timers ---- */

struct store_timer {
	char *id;
	char *case_id;
	char *state;            /* the state it belongs to */
	char *name;             /* the pathway timer's name in that state */
	clock_us due_at;
};

int store_timer_add(struct store *s, const char *case_id, const char *state, const char *name,
		    clock_us due_at, clock_us now);
/* Cancels every pending timer of a case (it left the state). */
int store_timers_cancel(struct store *s, const char *case_id, clock_us now);
/* The pending timers of a case, soonest first (copied). */
int store_timers_for_case(struct store *s, const char *case_id,
			  int (*fn)(void *ctx, const struct store_timer *t), void *ctx);
/* Calls fn for up to `limit` pending timers due at or before now, earliest first (copied). */
int store_timers_due(struct store *s, clock_us now, int limit,
		     int (*fn)(void *ctx, const struct store_timer *t), void *ctx);
/* Marks a pending timer fired (or cancelled): 0, 1 when it was no longer pending. */
int store_timer_done(struct store *s, const char *id, clock_us now, bool fired);
/* The earliest pending due time: 0, 1 when there is none. */
int store_timer_next(struct store *s, clock_us *due);

/* ---- checkup imports: one case per (pathway, person, checkup date) ---- */

/* 0 with the row's digest, case (NULL when it was not eligible) and cells (NULL before schema 6), 1 when new. */
int store_import_get(struct store *s, const char *pathway, const char *person_id, const char *checkup_date,
		     char **digest, char **case_id, json_t **cells);
/* Records (or, for a row imported before, replaces) the import of one row. */
int store_import_put(struct store *s, const char *pathway, const char *person_id, const char *checkup_date,
		     const char *digest, const char *case_id, bool eligible, const json_t *cells, clock_us now);

/* ---- the resource directory ---- */


/*
 * Writes a resource with its areas (none: it serves every area) and the folded
 * text the search reads. With expected_version 0 it must be new (1 when the id
 * exists); otherwise it replaces that version (1 when the version is gone).
 */
int store_resource_put(struct store *s, const struct resource_record *r, char *const *areas, size_t n_areas,
		       const char *folded, const char *sort_key, long expected_version);
int store_resource_get(struct store *s, const char *id, struct resource_record *out); /* 0, 1 none */

struct store_resource_filter {
	const char *category;
	const char *area;              /* resources serving this area (or every area) */
	const char *provider;
	const char *status;
	const char *capacity;
	char *const *terms;            /* folded search terms, all required */
	size_t n_terms;
	const char *after_key;         /* cursor: (sort_key, id) strictly after */
	const char *after_id;
	int limit;                     /* 0: no limit */
};

/* Calls fn for each matching resource in (sort_key, id) order (streamed). */
int store_resources_list(struct store *s, const struct store_resource_filter *f,
			 int (*fn)(void *ctx, const struct resource_record *r, const char *sort_key), void *ctx);
int64_t store_resources_count(struct store *s);

/* ---- links of cases to resources ---- */


int store_link_insert(struct store *s, const struct link_record *l);
int store_link_update(struct store *s, const struct link_record *l);
int store_link_get(struct store *s, const char *id, struct link_record *out); /* 0, 1 none */
/* The links of a case, oldest first (copied). */
int store_links_for_case(struct store *s, const char *case_id,
			 int (*fn)(void *ctx, const struct link_record *l), void *ctx);
/* Links to the resources of a provider, newest first after the cursor id (copied). */
int store_links_for_provider(struct store *s, const char *org, const char *status, const char *resource,
			     const char *before_id, int limit, int (*fn)(void *ctx, const struct link_record *l), void *ctx);

/* One link with its case's columns, for the resource report (links made in the period). */
struct store_link_row {
	const char *resource_id, *status, *joined_on, *declined_on, *ended_on;
	const char *case_id, *pathway, *origin, *receiver, *area;
	long pathway_version;
	clock_us created_at;
};

/* The links made in [from, to) (0: open end), streamed: the links of a case one after another, in no other order. */
int store_link_rows(struct store *s, clock_us from, clock_us to,
		    int (*fn)(void *ctx, const struct store_link_row *r), void *ctx);

/* ---- audit listings ---- */

struct store_access {
	clock_us at;
	const char *user, *org, *case_id, *subject_id, *what;
	const char *user_name;     /* the user's display name */
	const char *id;            /* the row's number, for a cursor */
};

struct store_provision {
	const char *id;
	clock_us at;
	const char *case_id, *subject_id, *from_org, *to_org, *items, *consent_basis;
	int64_t event_seq;
	const char *subject_name;  /* the person's name: kept with the record after an erasure; NULL once purged */
};

/* A page of an audit listing: rows with from <= at < to (0: open end), after the row (after_at, after_id) when after_id is set. */
struct store_page {
	clock_us from, to;
	clock_us after_at;
	const char *after_id;
	int limit;                 /* 0: every row */
	const char *org;           /* only rows of this organisation (access: the reader's; provisions: either side), or NULL */
	const char *person;        /* only rows of this person (a subject id, case id or person_id), or NULL */
};

/* The page's rows, oldest first (streamed, in (at, id) order). */
int store_access_list(struct store *s, const struct store_page *page,
		      int (*fn)(void *ctx, const struct store_access *a), void *ctx);
int store_provisions_list(struct store *s, const struct store_page *page,
			  int (*fn)(void *ctx, const struct store_provision *p), void *ctx);

/* ---- reports: the summaries they read (one row per case, kept with its events) ---- */

struct store_summary {
	clock_us reached[MILESTONE_COUNT];  /* when each milestone was first reached (0: not yet); opened is the case's */
	int reminders, escalations;
};

/*
 * Adds one event's effect to a case's summary: the milestone it reached at
 * `at` (kept if reached before; MILESTONE_NONE or MILESTONE_OPENED: none), and
 * reminders and escalations to add. 0; 1 when the case has no summary (nothing
 * written: the caller works it out whole); -1 on error.
 */
int store_summary_note(struct store *s, const char *case_id, int milestone, clock_us at, int reminders,
		       int escalations);

/* Sets a case's summary whole (one worked out from its events). */
int store_summary_put(struct store *s, const char *case_id, const struct store_summary *sum);

struct store_report_case {
	const char *case_id, *pathway, *origin, *receiver, *area, *outcome;
	long pathway_version;
	clock_us opened_at, closed_at;
	bool summarized;           /* false: no summary yet (a case from before schema 9): work it out from its events */
	struct store_summary summary;
};

/* The cases opened in [from, to) (0: open end) with their summaries (streamed, in no order). */
int store_report_cases(struct store *s, clock_us from, clock_us to,
		       int (*fn)(void *ctx, const struct store_report_case *r), void *ctx);

/*
 * A case's events as a report reads them, in order (fn may not use the store);
 * a `migrate` event comes with its payload (the versions it moved between),
 * the others with none.
 */
int store_case_report_events(struct store *s, const char *case_id,
			     void (*fn)(void *ctx, const char *action, const char *to_state, bool by_system, clock_us at,
					const void *payload, size_t payload_len),
			     void *ctx);

/* Calls fn for up to limit cases whose inbox is not worked out yet (ids copied; fn may use the store); how many, or -1. */
int store_cases_inbox_unknown(struct store *s, int limit, int (*fn)(void *ctx, const char *case_id), void *ctx);

/* Keeps a case's inbox (a party's, -1 nobody's): what its state already says, so its version stays. */
int store_case_inbox_put(struct store *s, const char *id, int inbox);

/* Calls fn for up to limit cases that have no summary (ids copied; fn may use the store); how many, or -1. */
int store_cases_unsummarized(struct store *s, int limit, int (*fn)(void *ctx, const char *case_id), void *ctx);

/* Every summary with its case's pathway and version (fn may use the store for reads). */
int store_summaries(struct store *s, int (*fn)(void *ctx, const char *case_id, const char *pathway, long version,
					      const struct store_summary *sum), void *ctx);

/* ---- disclosure ---- */

/* Ids of the cases of a person: by subject id, case id or the person_id field (copied). */
int store_cases_of_person(struct store *s, const char *id,
			  int (*fn)(void *ctx, const char *case_id), void *ctx);

/* ---- retention ---- */

/*
 * Closed cases (closed_at < before) whose subject is not purged yet (copied),
 * in (closed_at, id) order after the case (after_closed, after_id) when
 * after_id is set, at most limit of them (0: all).
 */
int store_purge_candidates(struct store *s, clock_us before, clock_us after_closed, const char *after_id, int limit,
			   int (*fn)(void *ctx, const struct case_record *c), void *ctx);
/* True when the case has a provision record at or after `since`. -1 on error. */
int store_has_provision_since(struct store *s, const char *case_id, clock_us since);
/* The provision records of one case, oldest first (streamed; indexed by case). */
int store_provisions_of_case(struct store *s, const char *case_id,
			     int (*fn)(void *ctx, const struct store_provision *p), void *ctx);

/* The open cases assigned to a user, oldest first, at most limit (0: all) (copied). */
int store_cases_assigned(struct store *s, const char *user, int limit, int (*fn)(void *ctx, const char *case_id),
			 void *ctx);

/* Copies the person's name into the case's provision records, which outlive an erasure (APPI art. 29). */
int store_provisions_keep_name(struct store *s, const char *case_id, const char *name);

/*
 * Erases a case's personal data: the subject's details, its event payloads,
 * its notes' text, its idempotency answers, and sets its fields to `fields`.
 */
int store_purge_case(struct store *s, const struct case_record *c, const json_t *fields, clock_us now);

/* Timers not yet fired or cancelled; -1 on error. */
int64_t store_timers_pending(struct store *s);

/*
 * The outbox by channel: notifications pending and dead, and when the oldest
 * pending one was written (0: none). each may not use the store. 0 or -1.
 */
typedef void store_outbox_tally_fn(void *ctx, const char *channel, int64_t pending, int64_t dead,
				   clock_us oldest_pending);
int store_outbox_tally(struct store *s, store_outbox_tally_fn *each, void *ctx);

/* The sizes of the database file and of its WAL (0 when there is none). 0, or -1 (an in-memory database). */
int store_file_sizes(struct store *s, int64_t *database_bytes, int64_t *wal_bytes);

/* ---- backups ---- */

/*
 * Copies the database at path into dest (absent, or an empty file the caller
 * made with the mode it wants) with VACUUM INTO on a read-only connection of
 * its own: a consistent snapshot while the daemon writes. 0, or -1 with *err.
 */
int store_copy_to(const char *path, const char *dest, char **err);

/* The schema version of the database at path, read without migrating it. 0, or -1 with *err. */
int store_schema_of(const char *path, int *version, char **err);

/* PRAGMA integrity_check: 0 when whole, 1 with the first problem in *problem (caller frees), -1 on error. */
int store_integrity(struct store *s, char **problem);

/* Ends every session that has not ended (a restore: whoever was signed in signs in again); how many, or -1. */
int store_sessions_end_all(struct store *s, const char *reason, clock_us now);

/*
 * Ends the sessions last used at or before seen_before ('idle') or begun at or
 * before began_before ('expired'); how many, or -1.
 */
int store_sessions_end_stale(struct store *s, clock_us seen_before, clock_us began_before, clock_us now);

/* Revokes a user's tokens made before `before` (a reissue re-applied after a restore). */
int store_tokens_revoke_before(struct store *s, const char *user_id, clock_us before, clock_us now);

/* Counts rows of a table, for tests and health checks. -1 on error. */
int64_t store_count(struct store *s, const char *table);

#endif
