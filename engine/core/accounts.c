/*
 * accounts — the rules of who may hold which role: coordinators work for the
 * city; `system` is the daemon's own and no person's. Writes go into the
 * caller's transaction.
 */
#include "accounts.h"
#include "token.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int accounts_parse_roles(const char *list, role_mask *out, char **err)
{
	role_mask mask = 0;
	char *copy = xstrdup(list), *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		int r = vocab_lookup(role_names, tok);
		if (r < 0 || r == ROLE_SYSTEM) {
			const char *near = closest_word(tok, role_names);
			*err = r == ROLE_SYSTEM ? xstrdup("the role 'system' belongs to the daemon, not to a user")
			       : xasprintf("unknown role '%s'%s%s%s (pharmacist, nurse, checkup_staff, agency_staff, coordinator, admin)",
					   tok, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
			free(copy);
			return -1;
		}
		mask |= MASK(r);
	}
	free(copy);
	if (!mask) {
		*err = xstrdup("give at least one role");
		return -1;
	}
	*out = mask;
	return 0;
}

static int issue(struct store *s, const char *user_id, clock_us expires_at, clock_us now, char **token,
		 char **err)
{
	char *t = token_generate();
	char hash[TOKEN_HASH_HEX];
	token_hash(t, hash);
	if (store_token_add(s, hash, user_id, now, expires_at)) {
		free(t);
		*err = xasprintf("cannot store the token: %s", store_errmsg(s));
		return -1;
	}
	*token = t;
	return 0;
}

int accounts_enrol(struct store *s, const struct config *cfg, const char *user_id, clock_us now, char **code, char **err)
{
	char *c = token_enrolment_code();
	char hash[TOKEN_HASH_HEX];
	token_code_hash(c, hash);
	clock_us expires = now + (clock_us)cfg->sign_in.enrolment_days * 86400 * 1000000;
	if (store_enrolment_set(s, user_id, hash, expires)) {
		free(c);
		*err = xasprintf("cannot store the enrolment code: %s", store_errmsg(s));
		return -1;
	}
	*code = c;
	return 0;
}

/* Sets a login name, refusing a malformed or taken one. */
static int set_login(struct store *s, const char *user_id, const char *login, char **err)
{
	if (!config_login_valid(login)) {
		*err = xasprintf("the login '%s' is not usable: 3 to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter",
				 login);
		return -1;
	}
	struct store_credentials taken = { 0 };
	int rc = store_credentials_by_login(s, login, &taken);
	bool other = rc == 0 && strcmp(taken.user_id, user_id);
	store_credentials_release(&taken);
	if (rc < 0 || other) {
		*err = other ? xasprintf("the login '%s' is taken by another user", login)
			     : xasprintf("cannot read the users: %s", store_errmsg(s));
		return -1;
	}
	if (store_user_set_login(s, user_id, login)) {
		*err = xasprintf("cannot set the login '%s' (a revoked user may hold it still): %s", login, store_errmsg(s));
		return -1;
	}
	return 0;
}

int accounts_add(struct store *s, const struct config *cfg, const char *org, const char *name, const char *login,
		 role_mask roles, clock_us expires_at, clock_us now, char **user_id, char **token, char **enrol_code,
		 char **err)
{
	const struct config_org *o = config_find_org(cfg, org);
	if (!o) {
		*err = xasprintf("unknown organisation '%s' (see: tsunagu org list)", org);
		return -1;
	}
	for (int r = 0; r < ROLE_COUNT; r++)
		if ((roles & MASK(r)) && !config_role_fits(cfg, r, o->kind)) {
			struct buf kinds;
			buf_init(&kinds);
			for (int k = 0; k < ORG_KIND_COUNT; k++)
				if (cfg->role_kinds[r] & MASK(k))
					buf_printf(&kinds, "%s%s", kinds.len ? ", " : "", org_kind_names[k]);
			*err = xasprintf("the %s role is for organisations of the kinds %s, and '%s' is a %s (the roles: table of "
					 "the config)", role_names[r], kinds.data, org, org_kind_names[o->kind]);
			buf_release(&kinds);
			return -1;
		}
	if (!name[0] || strlen(name) > 200 || !utf8_valid(name, strlen(name))) {
		*err = xstrdup("the name must be 1 to 200 bytes of UTF-8 text");
		return -1;
	}
	char *id = token_new_id("u_");
	if (store_user_add(s, id, org, name, roles, now) || issue(s, id, expires_at, now, token, err) ||
	    (login && (set_login(s, id, login, err) || accounts_enrol(s, cfg, id, now, enrol_code, err)))) {
		if (!*err)
			*err = xasprintf("cannot store the user: %s", store_errmsg(s));
		free(*token);
		*token = NULL;
		free(id);
		return -1;
	}
	*user_id = id;
	return 0;
}

int accounts_reissue(struct store *s, const struct config *cfg, const char *user_id, const char *login,
		     clock_us expires_at, clock_us now, char **token, char **enrol_code, char **err)
{
	struct store_user u = { 0 };
	int rc = store_user_get(s, user_id, &u);
	if (rc) {
		*err = rc > 0 ? xasprintf("no user '%s'", user_id) : xasprintf("%s", store_errmsg(s));
		return -1;
	}
	bool revoked = u.revoked_at != 0;
	if (!login)
		login = u.login;
	if (revoked) {
		store_user_release(&u);
		*err = xasprintf("user '%s' is revoked; add a new user instead", user_id);
		return -1;
	}
	/* the sessions end, and a person with a login sets passphrase and second factor again */
	int failed = store_tokens_revoke(s, user_id, now) || store_sessions_end_user(s, user_id, now, "reissued") < 0 ||
		     issue(s, user_id, expires_at, now, token, err) ||
		     (login && (set_login(s, user_id, login, err) || accounts_enrol(s, cfg, user_id, now, enrol_code, err)));
	store_user_release(&u);
	if (failed) {
		if (!*err)
			*err = xasprintf("cannot store the token: %s", store_errmsg(s));
		free(*token);
		*token = NULL;
		return -1;
	}
	return 0;
}

int accounts_give_login(struct store *s, const struct config *cfg, const char *user_id, const char *login, clock_us now,
			char **enrol_code, char **err)
{
	struct store_user u = { 0 };
	int rc = store_user_get(s, user_id, &u);
	bool active = rc == 0 && !u.revoked_at;
	store_user_release(&u);
	if (!active) {
		*err = rc < 0 ? xasprintf("%s", store_errmsg(s)) : xasprintf("no active user '%s'", user_id);
		return -1;
	}
	if (set_login(s, user_id, login, err) || accounts_enrol(s, cfg, user_id, now, enrol_code, err) ||
	    store_sessions_end_user(s, user_id, now, "login changed") < 0) {
		if (!*err)
			*err = xasprintf("cannot store the login: %s", store_errmsg(s));
		return -1;
	}
	return 0;
}

int accounts_token_reissue(struct store *s, const char *user_id, clock_us expires_at, clock_us now, char **token,
			   char **err)
{
	if (store_tokens_revoke(s, user_id, now) || issue(s, user_id, expires_at, now, token, err)) {
		if (!*err)
			*err = xasprintf("cannot store the token: %s", store_errmsg(s));
		return -1;
	}
	return 0;
}

int accounts_revoke(struct store *s, const char *user_id, clock_us now, char **err)
{
	struct store_user u = { 0 };
	int rc = store_user_get(s, user_id, &u);
	bool revoked = rc == 0 && u.revoked_at;
	store_user_release(&u);
	if (rc < 0 || (rc == 0 && !revoked && (store_user_revoke(s, user_id, now) ||
						   store_sessions_end_user(s, user_id, now, "revoked") < 0))) {
		*err = xasprintf("cannot revoke the user: %s", store_errmsg(s));
		return -1;
	}
	if (rc > 0 || revoked) {
		*err = xasprintf("no active user '%s'", user_id);
		return 1;
	}
	return 0;
}
