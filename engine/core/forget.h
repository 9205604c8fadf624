/*
 * forget — the log of what was forgotten on purpose: users revoked, tokens
 * reissued, people's data erased, closed cases purged. It lives beside the
 * database (backup.forget_log), outside of it, so that a restore from a
 * backup taken before them can do them again: a backup must not bring back
 * what a person asked to be erased. One JSON line each, fsynced, mode 0600,
 * owned as the database is; it names ids (users, cases) and dates only.
 */
#ifndef TSUNAGU_FORGET_H
#define TSUNAGU_FORGET_H

#include "core.h"

/* The log's path for this config (caller frees). */
char *forget_log_path(const struct config *cfg);

/*
 * Appends one entry ({"kind": kind, "at": now, ...fields}; fields stolen, may
 * be NULL) and fsyncs it. Written inside the action's transaction, before its
 * commit: a commit that then fails leaves an entry a restore does again,
 * which forgets too much rather than too little. 0, or -1 with *err.
 */
int forget_note(const struct config *cfg, const char *kind, json_t *fields, clock_us now, char **err);

/*
 * The account events (core_admin_event) the reissue and login commands write
 * in the transaction of their entry: a restore knows by them that the backup
 * holds the entry's change already.
 */
#define FORGET_EVENT_REISSUED "user_reissued"
#define FORGET_EVENT_LOGIN_GIVEN "user_login_set"

/* Who the events of a replay name as their operator. */
#define FORGET_REPLAY_OPERATOR "tsunagu restore"

struct forget_replay {
	int applied;               /* entries done again */
	int skipped;               /* entries that found nothing left to do */
	int held;                  /* reissues and logins the restored database holds already: left alone */
	json_t *refused;           /* strings: what could not be done again, and why (or NULL) */
	json_t *enrolment;         /* [{user, login, code}]: logins that must enrol again (their passphrase was reset) */
	bool no_log;               /* there was no forget log: nothing was done again */
};

void forget_replay_release(struct forget_replay *r);

/*
 * Does every entry of the log again on core's store, in the caller's
 * transaction (each is idempotent), but for the reissues and logins the
 * restored database holds already (their admin event is in it); a user reset
 * by several entries gets one new enrolment code. 0, or -1 on a storage error
 * or an unreadable log, with *err.
 */
int forget_replay(struct core *core, clock_us now, struct forget_replay *out, char **err);

#endif
