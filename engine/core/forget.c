/*
 * forget — appending is one write of a whole line with O_APPEND, then
 * fdatasync; the replay reads the lines in order and does each again through
 * the functions that did it the first time.
 */
#include "forget.h"
#include "accounts.h"
#include "purge.h"
#include "log.h"
#include "mpjson.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *forget_log_path(const struct config *cfg)
{
	return cfg->backup.forget_log ? xstrdup(cfg->backup.forget_log) : xasprintf("%s.forget.jsonl", cfg->database);
}

int forget_note(const struct config *cfg, const char *kind, json_t *fields, clock_us now, char **err)
{
	json_t *entry = fields ? fields : json_object();
	json_object_set_new(entry, "kind", json_string(kind));
	json_object_set_new(entry, "at", json_integer(now));
	char *line = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(entry);
	char *path = forget_log_path(cfg);
	int ret = -1;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	char *text = xasprintf("%s\n", line);
	struct stat db;
	/* made by root at the command line, it stays the daemon's to append to: the database's owner */
	if (fd >= 0 && stat(cfg->database, &db) == 0 && fchown(fd, db.st_uid, db.st_gid) && errno != EPERM)
		log_msg(LOGM_STORE_ERROR, "cannot give %s to the database's owner: %s", path, strerror(errno));
	if (fd < 0 || fchmod(fd, 0600) || write_all_fd(fd, text, strlen(text)) || fdatasync(fd))
		*err = xasprintf("cannot write the forget log %s: %s", path, strerror(errno));
	else
		ret = 0;
	if (fd >= 0)
		close(fd);
	free(text);
	free(line);
	free(path);
	return ret;
}

void forget_replay_release(struct forget_replay *r)
{
	json_decref(r->refused);
	json_decref(r->enrolment);
	r->refused = r->enrolment = NULL;
}

/* A login whose passphrase and second factor were reset after the backup must enrol again: a new code. */
static int enrol_again(struct core *core, const char *user, clock_us now, struct forget_replay *out)
{
	struct store_user u = { 0 };
	int rc = store_user_get(core->store, user, &u);
	if (rc || !u.login || u.revoked_at) {
		store_user_release(&u);
		return rc < 0 ? -1 : 0;
	}
	char *code = NULL, *err = NULL;
	rc = accounts_enrol(core->store, core->cfg, user, now, &code, &err);
	if (rc == 0) {
		if (!out->enrolment)
			out->enrolment = json_array();
		json_array_append_new(out->enrolment, json_pack("{s:s, s:s, s:s}", "user", user, "login", u.login,
								"code", code));
	}
	free(code);
	free(err);
	store_user_release(&u);
	return rc;
}

/* Says what could not be done again (the text is stolen). */
static void refused(struct forget_replay *out, char *text)
{
	if (!out->refused)
		out->refused = json_array();
	json_array_append_new(out->refused, json_string(text));
	free(text);
}

/* Notes a user whose passphrase a replayed entry reset: each enrols again once, after the whole log. */
static void enrol_later(json_t *users, const char *user)
{
	size_t i;
	json_t *u;
	json_array_foreach(users, i, u)
		if (!strcmp(json_string_value(u), user))
			return;
	json_array_append_new(users, json_string(user));
}

/* One entry done again: 0 (counted in out), or -1 on a storage error. */
static int replay_one(struct core *core, const json_t *e, clock_us now, json_t *to_enrol, struct forget_replay *out)
{
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const char *user = json_string_value(json_object_get(e, "user"));
	clock_us at = (clock_us)json_integer_value(json_object_get(e, "at"));
	char *err = NULL;
	int rc;
	if (kind && !strcmp(kind, "user_revoked") && user) {
		rc = accounts_revoke(core->store, user, now, &err);
		free(err);
		if (rc < 0)
			return -1;
		rc == 0 ? out->applied++ : out->skipped++;
	} else if (kind && (!strcmp(kind, "tokens_reissued") || !strcmp(kind, "login_given")) && user) {
		/* the tokens, sessions, passphrase and second factor the reissue ended stay ended */
		if (store_tokens_revoke_before(core->store, user, at, now) ||
		    store_sessions_end_user(core->store, user, now, "reissued") < 0)
			return -1;
		enrol_later(to_enrol, user);
		out->applied++;
	} else if (kind && !strcmp(kind, "erased") && json_is_array(json_object_get(e, "cases"))) {
		const char *reason = json_string_value(json_object_get(e, "reason"));
		size_t i;
		json_t *id;
		/* exactly the cases erased then: an erasure covers the cases of the organisations that asked */
		json_array_foreach(json_object_get(e, "cases"), i, id) {
			if (!json_is_string(id))
				continue;
			struct erase_result res = { 0 };
			rc = purge_person(core, NULL, FORGET_REPLAY_OPERATOR, json_string_value(id),
					  reason ? reason : "done again after a restore", now, &res);
			if (rc == 1)
				refused(out, xasprintf("case %s could not be erased again: it is open in the backup; close it "
						       "and run tsunagu subject erase %s", json_string_value(id),
						       json_string_value(id)));
			else if (rc == 0)
				res.erased ? out->applied++ : out->skipped++;
			erase_result_release(&res);
			if (rc < 0)
				return -1;
		}
	} else if (kind && !strcmp(kind, "purged")) {
		clock_us before = (clock_us)json_integer_value(json_object_get(e, "before"));
		struct purge_cursor cursor = { 0 };
		struct purge_result res = { 0 };
		rc = purge_closed(core, before, now, false, 0, &cursor, &res);
		purge_cursor_release(&cursor);
		if (rc)
			return -1;
		res.purged ? out->applied++ : out->skipped++;
	} else {
		refused(out, xasprintf("an entry of the forget log this tsunagu does not know: %s", kind ? kind : "(no kind)"));
	}
	return 0;
}

/* The account event written with an entry of this kind, or NULL (the other kinds are idempotent). */
static const char *account_event_of(const char *kind)
{
	return !strcmp(kind, "tokens_reissued") ? FORGET_EVENT_REISSUED
	       : !strcmp(kind, "login_given")  ? FORGET_EVENT_LOGIN_GIVEN
					       : NULL;
}

static void held_key(char *out, size_t size, const char *event, clock_us at, const char *user)
{
	snprintf(out, size, "%s %lld %s", event, (long long)at, user ? user : "");
}

/* Keeps the restored database's reissues and logins as "event at user" keys of the object ctx. */
static int hold_one(void *ctx, const struct store_event *ev)
{
	if (strcmp(ev->action, FORGET_EVENT_REISSUED) && strcmp(ev->action, FORGET_EVENT_LOGIN_GIVEN))
		return 0;
	json_t *p = ev->payload ? mpjson_decode(ev->payload, ev->payload_len) : NULL;
	char key[256];
	held_key(key, sizeof(key), ev->action, ev->at, json_string_value(json_object_get(p, "user")));
	json_object_set_new(ctx, key, json_true());
	json_decref(p);
	return 0;
}

/*
 * Whether the restored database holds an entry's own change already: a reissue
 * or a login given before the backup is in it with its account event (written
 * in the same transaction as the entry); doing it again would reset a
 * passphrase set since, and revoke the token it made.
 */
static bool backup_holds(const json_t *held, const char *kind, clock_us at, const char *user)
{
	const char *event = account_event_of(kind);
	if (!event || !user)
		return false;
	char key[256];
	held_key(key, sizeof(key), event, at, user);
	return json_object_get(held, key) != NULL;
}

int forget_replay(struct core *core, clock_us now, struct forget_replay *out, char **err)
{
	memset(out, 0, sizeof(*out));
	char *path = forget_log_path(core->cfg);
	FILE *f = fopen(path, "r");
	int ret = -1;
	if (!f) {
		ret = errno == ENOENT ? 0 : -1;
		out->no_log = errno == ENOENT;
		if (ret)
			*err = xasprintf("cannot read the forget log %s: %s", path, strerror(errno));
		free(path);
		return ret;
	}
	char *line = NULL;
	size_t cap = 0;
	int number = 0;
	json_t *to_enrol = json_array();
	json_t *held = json_object();
	/* account events belong to no case: the chain's "" case */
	ret = store_events_for_case(core->store, "", 0, hold_one, held);
	if (ret)
		*err = xasprintf("cannot read the restored database's account events: %s", store_errmsg(core->store));
	while (ret == 0 && getline(&line, &cap, f) > 0) {
		number++;
		json_error_t je;
		json_t *e = json_loads(line, 0, &je);
		if (!e) {
			/* a line cut off by a crash while it was written: nothing after it was committed either */
			refused(out, xasprintf("line %d of the forget log is not whole: %s", number, je.text));
			continue;
		}
		const char *kind = json_string_value(json_object_get(e, "kind"));
		if (kind && backup_holds(held, kind, (clock_us)json_integer_value(json_object_get(e, "at")),
					 json_string_value(json_object_get(e, "user")))) {
			out->held++;
			json_decref(e);
			continue;
		}
		int rc = replay_one(core, e, now, to_enrol, out);
		json_decref(e);
		if (rc) {
			*err = xasprintf("%s:%d: cannot do it again: %s", path, number, store_errmsg(core->store));
			ret = -1;
			break;
		}
	}
	size_t i;
	json_t *u;
	json_array_foreach(to_enrol, i, u) {
		if (ret == 0 && enrol_again(core, json_string_value(u), now, out)) {
			*err = xasprintf("cannot give %s a new enrolment code: %s", json_string_value(u),
					 store_errmsg(core->store));
			ret = -1;
		}
	}
	json_decref(to_enrol);
	json_decref(held);
	free(line);
	fclose(f);
	free(path);
	return ret;
}
