/*
 * api_session — signing in to the pages: POST /v1/session (login name and
 * passphrase), POST /v1/session/enrol (the one-time code sets the passphrase),
 * POST /v1/session/totp (the second factor), GET and DELETE /v1/session; and
 * GET /v1/me, who the caller is, for tokens and sessions alike. Passphrases
 * are hashed and checked on a worker (api_offload_then); the session is
 * written on the loop after. Failures count against the login name and the
 * client's address, and a wrong name costs the same time as a wrong passphrase.
 */
#include "api.h"
#include "log.h"
#include "passphrase.h"
#include "ratelimit.h"
#include "sessions.h"
#include "totp.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A hash of nothing anyone knows, checked when the login name is unknown: the reply takes as long. */
static const char no_user_hash[] =
	"$argon2id$v=19$m=19456,t=2,p=1$dHN1bmFndS1uby11c2VyAA$G8wSuYJWWEodpgOa/YDbtAuNkuV3P6CMgF+UuiK85EM";

#define TOTP_ISSUER "tsunagu"

static json_t *user_json(struct api_request *r)
{
	const struct config_org *o = r->caller.org;
	json_t *roles = json_array();
	for (int i = 0; i < ROLE_COUNT; i++)
		if (r->caller.roles & MASK(i))
			json_array_append_new(roles, json_string(role_names[i]));
	return json_pack("{s:s, s:s, s:o, s:{s:s, s:o, s:s}, s:o}", "id", r->user.id, "name", r->user.name, "login",
			 r->user.login ? json_string(r->user.login) : json_null(), "org", "id", o->id, "name",
			 api_text(&o->name), "kind", org_kind_names[o->kind], "roles", roles);
}

static json_t *session_json(struct api_request *r, const struct store_session *x)
{
	const struct config *cfg = r->core->cfg;
	return json_pack("{s:s, s:s, s:s, s:i, s:o, s:o}", "id", x->id, "stage", x->stage, "csrf_token", x->csrf,
			 "idle_minutes", cfg->sign_in.idle_minutes, "idle_expires_at",
			 api_time(r, sessions_idle_end(cfg, x)), "expires_at", api_time(r, sessions_absolute_end(cfg, x)));
}

/* ---- limits on trying ----------------------------------------------------------------------- */

/*
 * Every attempt is counted before it is checked, against the login name from
 * this address, the name from every address and the address itself, and given
 * back when it turns out right: guesses sent all at once are limited as well
 * as guesses sent one after another (a hash takes a worker's while). Beyond
 * any of the three, 429 with Retry-After.
 */
static void attempt_key(struct api_request *r, const char *login, char *out, size_t cap)
{
	char addr[NETADDR_TEXT];
	netaddr_client_key_text(r->http->client, addr);
	snprintf(out, cap, "%.*s\n%s", 256, login, addr);
}

static int attempt(struct api_request *r, const char *login)
{
	char key[256 + 2 + NETADDR_TEXT];
	attempt_key(r, login, key, sizeof(key));
	int64_t now = clock_monotonic_ms();
	int wait = ratelimit_wait(r->binding->sign_in_failures, key, now);
	int wait_all = ratelimit_wait(r->binding->login_failures, login, now);
	if (wait < wait_all)
		wait = wait_all;
	if (wait) {
		r->http->retry_after = wait;
		log_msg(LOGM_SIGN_IN_THROTTLED, "sign-in: too many attempts for '%s' (from %s); refused for %d s", login, r->http->client, wait);
		api_errorf(r, 429, "too_many_requests", "login", "too many failed sign-ins for this name; try again in %d s",
			   "このログイン名での失敗が多すぎます。%d 秒後にお試しください", wait);
		return -1;
	}
	if (api_address_take(r))
		return -1;
	ratelimit_take(r->binding->sign_in_failures, key, now);
	ratelimit_take(r->binding->login_failures, login, now);
	return 0;
}

static void attempt_passed(struct api_request *r, const char *login)
{
	char key[256 + 2 + NETADDR_TEXT];
	attempt_key(r, login, key, sizeof(key));
	int64_t now = clock_monotonic_ms();
	ratelimit_give(r->binding->sign_in_failures, key, now);
	ratelimit_give(r->binding->login_failures, login, now);
	api_address_give(r);
}

static void failed(struct api_request *r, const char *login, const char *what, const char *code, const char *en,
		   const char *ja)
{
	log_msg(LOGM_AUTH_REFUSED, "authentication: %s for '%s' from %s", what, login, r->http->client);
	api_error(r, 401, code, NULL, en, ja);
}

/* ---- the body ---------------------------------------------------------------------------- */

/* Reads the named string members of a sign-in body (every one required); NULL with the reply made. */
static json_t *sign_in_body(struct api_request *r, const char *const *keys, const char *what, const char *what_ja)
{
	json_t *body = api_body_object(r);
	if (!body)
		return NULL;
	struct refusal why = { 0 };
	if (cm_check_keys(body, NULL, what, what_ja, keys, &why)) {
		api_refuse(r, &why);
		refusal_release(&why);
		json_decref(body);
		return NULL;
	}
	for (const char *const *k = keys; *k; k++) {
		const json_t *v = json_object_get(body, *k);
		const char *s = json_string_value(v);
		if (!s || !*s || strlen(s) > PASSPHRASE_MAX) {
			api_errorf(r, 422, v ? "invalid_field" : "missing_field", *k, "%s is required: text of at most %d bytes",
				   "%s は必須です（%d バイト以内の文字列）", *k, PASSPHRASE_MAX);
			json_decref(body);
			return NULL;
		}
	}
	return body;
}

/* ---- beginning a session ------------------------------------------------------------------ */

/*
 * Begins a session for the user whose credentials passed: the second factor
 * still to come when the roles need one, its secret made and shown now when
 * the user has none yet.
 */
static void begin(struct api_request *r, const struct store_credentials *c, const char *how)
{
	struct store *s = r->core->store;
	const struct config *cfg = r->core->cfg;
	bool totp = sessions_need_totp(cfg, c->roles);
	char *cookie = NULL, *secret = NULL;
	const char *shown = NULL;
	struct store_session x = { 0 };
	if (store_user_get(s, c->user_id, &r->user) ||
	    !(r->caller.org = config_find_org(cfg, r->user.org))) {
		api_storage_error(r);
		goto out;
	}
	r->caller.user = r->user.id;
	r->caller.roles = r->user.roles;
	if (totp && !c->totp_secret) {
		secret = totp_secret_new();
		if (store_totp_set(s, c->user_id, secret)) {
			api_storage_error(r);
			goto out;
		}
		shown = secret;
	} else if (totp && !c->totp_last_step) {
		/* set up but never confirmed by a code: shown again, or a user who left the screen is locked out */
		shown = c->totp_secret;
	}
	/* the session this browser held before (its own, or one planted on it) ends with the new one's start */
	char *before = sessions_cookie_from(cfg, httpd_header(r->http, "Cookie"));
	char before_hash[TOKEN_HASH_HEX];
	if (before)
		token_hash(before, before_hash);
	free(before);
	if ((before && store_session_end(s, before_hash, r->http->now, "replaced by a new sign-in") < 0) ||
	    sessions_begin(s, c->user_id, totp ? "totp" : "full", r->http->client, r->http->now, &cookie, &x)) {
		api_storage_error(r);
		goto out;
	}
	json_t *o = json_pack("{s:o, s:o}", "session", session_json(r, &x), "user", user_json(r));
	/* shown until the first code confirms it: from then on only an operator's reset (user reissue, user totp) makes a new one */
	if (shown) {
		char *uri = totp_uri(TOTP_ISSUER, r->user.login, shown);
		json_object_set_new(o, "totp_setup", json_pack("{s:s, s:s}", "secret", shown, "uri", uri));
		free(uri);
	}
	free(r->http->set_cookie);
	r->http->set_cookie = sessions_cookie_header(cfg, cookie);
	log_msg(LOGM_SIGNED_IN, "sign-in: %s (%s) %s from %s%s", r->user.id, r->user.login, how, r->http->client,
		 totp ? "; the second factor is next" : "");
	api_reply_json(r, 201, o);
out:
	free(cookie);
	free(secret);
	store_session_release(&x);
}

/* ---- POST /v1/session --------------------------------------------------------------------- */

/* The request's copy of a passphrase goes as soon as it is read (the worker has its own). */
static void wipe_body(struct api_request *r)
{
	if (r->http->body)
		OPENSSL_cleanse(r->http->body, r->http->body_len);
}

struct sign_in {
	char *login, *passphrase, *hash, *code_hash;
	bool ok;
};

static void sign_in_free(void *arg)
{
	struct sign_in *si = arg;
	if (si->passphrase)
		OPENSSL_cleanse(si->passphrase, strlen(si->passphrase));
	free(si->login);
	free(si->passphrase);
	free(si->hash);
	free(si->code_hash);
	free(si);
}

static void check_passphrase(void *arg)
{
	struct sign_in *si = arg;
	si->ok = passphrase_verify(si->hash ? si->hash : no_user_hash, si->passphrase) && si->hash;
}

static void after_passphrase(struct api_request *r, void *arg)
{
	struct sign_in *si = arg;
	struct store_credentials c = { 0 };
	int rc = store_credentials_by_login(r->core->store, si->login, &c);
	if (rc < 0) {
		api_storage_error(r);
	} else if (!si->ok || rc > 0 || !c.passphrase || strcmp(c.passphrase, si->hash)) {
		/* the same answer for a wrong name, a wrong passphrase and a user revoked meanwhile */
		failed(r, si->login, "a failed sign-in", "sign_in_failed", "the sign-in name or the passphrase is wrong",
		       "ログイン名またはパスフレーズが違います");
	} else {
		attempt_passed(r, si->login);
		begin(r, &c, "signed in");
	}
	store_credentials_release(&c);
}

void api_session_create(struct api_request *r)
{
	static const char *const keys[] = { "login", "passphrase", NULL };
	json_t *body = sign_in_body(r, keys, "a sign-in", "ログイン");
	if (!body)
		return;
	const char *login = json_string_value(json_object_get(body, "login"));
	struct store_credentials c = { 0 };
	int rc;
	if ((rc = store_credentials_by_login(r->core->store, login, &c)) < 0) {
		api_storage_error(r);
		goto out;
	}
	if (attempt(r, login))
		goto out;
	struct sign_in *si = xcalloc(1, sizeof(*si));
	si->login = xstrdup(login);
	si->passphrase = xstrdup(json_string_value(json_object_get(body, "passphrase")));
	si->hash = c.passphrase ? xstrdup(c.passphrase) : NULL;
	api_offload_then(r, check_passphrase, after_passphrase, si, sign_in_free);
out:
	store_credentials_release(&c);
	json_decref(body);
	wipe_body(r);
}

/* ---- POST /v1/session/enrol --------------------------------------------------------------- */

static void hash_passphrase(void *arg)
{
	struct sign_in *si = arg;
	si->hash = passphrase_hash(si->passphrase);
}

static void after_hash(struct api_request *r, void *arg)
{
	struct sign_in *si = arg;
	struct store_credentials c = { 0 };
	int rc = si->hash ? store_credentials_by_login(r->core->store, si->login, &c) : -1;
	if (rc == 0)
		rc = store_passphrase_set(r->core->store, c.user_id, si->hash, si->code_hash, r->http->now);
	if (rc < 0) {
		api_storage_error(r);
	} else if (rc > 0) {
		/* spent or reissued while the passphrase was hashed */
		failed(r, si->login, "a failed enrolment", "enrolment_failed",
		       "the sign-in name or the enrolment code is wrong, used or expired",
		       "ログイン名または登録コードが違うか、使用済み・期限切れです");
	} else {
		attempt_passed(r, si->login);
		free(c.passphrase);
		c.passphrase = xstrdup(si->hash);
		begin(r, &c, "set a passphrase with an enrolment code and signed in");
	}
	store_credentials_release(&c);
}

void api_session_enrol(struct api_request *r)
{
	static const char *const keys[] = { "login", "code", "passphrase", NULL };
	json_t *body = sign_in_body(r, keys, "an enrolment", "初回登録");
	if (!body)
		return;
	const char *login = json_string_value(json_object_get(body, "login"));
	const char *code = json_string_value(json_object_get(body, "code"));
	const char *pass = json_string_value(json_object_get(body, "passphrase"));
	struct store_credentials c = { 0 };
	char code_hash[TOKEN_HASH_HEX];
	token_code_hash(code, code_hash);
	int rc;
	if (utf8_chars(pass) < PASSPHRASE_MIN || !utf8_valid(pass, strlen(pass))) {
		api_errorf(r, 422, "invalid_field", "passphrase", "the passphrase must be at least %d characters long",
			   "パスフレーズは %d 文字以上にしてください", PASSPHRASE_MIN);
		goto out;
	}
	if ((rc = store_credentials_by_login(r->core->store, login, &c)) < 0) {
		api_storage_error(r);
		goto out;
	}
	if (attempt(r, login))
		goto out;
	if (rc > 0 || !c.enrol_hash || strcmp(c.enrol_hash, code_hash) || c.enrol_expires <= r->http->now) {
		failed(r, login, "a failed enrolment", "enrolment_failed",
		       "the sign-in name or the enrolment code is wrong, used or expired",
		       "ログイン名または登録コードが違うか、使用済み・期限切れです");
		goto out;
	}
	struct sign_in *si = xcalloc(1, sizeof(*si));
	si->login = xstrdup(login);
	si->passphrase = xstrdup(pass);
	si->code_hash = xstrdup(code_hash);
	api_offload_then(r, hash_passphrase, after_hash, si, sign_in_free);
out:
	store_credentials_release(&c);
	json_decref(body);
	wipe_body(r);
}

/* The steps that are a session's own: a bearer token has none (404 with what to do instead, and -1). */
static int session_only(struct api_request *r, const char *en)
{
	if (r->session.id)
		return 0;
	api_error(r, 404, "not_found", NULL, en, "トークンはセッションではありません");
	return -1;
}

/* ---- POST /v1/session/totp ---------------------------------------------------------------- */

void api_session_totp(struct api_request *r)
{
	if (api_authenticate(r, true) || session_only(r, "a token is not a session; there is no second factor to pass"))
		return;
	static const char *const keys[] = { "code", NULL };
	json_t *body = sign_in_body(r, keys, "a second factor", "二要素認証");
	struct store_credentials c = { 0 };
	char *cookie = NULL;
	struct store_session next = { 0 };
	if (!body)
		return;
	const char *login = r->user.login ? r->user.login : r->user.id;
	if (!strcmp(r->session.stage, "full")) {
		api_reply_json(r, 200, json_pack("{s:o, s:o}", "session", session_json(r, &r->session), "user", user_json(r)));
		goto out;
	}
	if (attempt(r, login))
		goto out;
	int rc = store_credentials_by_login(r->core->store, login, &c);
	if (rc < 0) {
		api_storage_error(r);
		goto out;
	}
	int64_t step = rc == 0 && c.totp_secret
		       ? totp_match(c.totp_secret, json_string_value(json_object_get(body, "code")),
				    r->http->now / 1000000)
		       : 0;
	if (!step) {
		failed(r, login, "a wrong second-factor code", "totp_failed",
		       "the code is wrong; enter the six digits your authenticator app shows now",
		       "コードが違います。認証アプリに今表示されている 6 桁を入力してください");
		goto out;
	}
	if ((rc = store_totp_used(r->core->store, c.user_id, step)) != 0) {
		if (rc < 0)
			api_storage_error(r);
		else
			failed(r, login, "a second-factor code used twice", "totp_failed",
			       "that code was used already; wait for the next one", "このコードは使用済みです。次のコードをお待ちください");
		goto out;
	}
	attempt_passed(r, login);
	/* a new session id once the second factor is passed: the one before is spent */
	if (store_session_end(r->core->store, r->session_hash, r->http->now, "second factor passed") < 0 ||
	    sessions_begin(r->core->store, c.user_id, "full", r->http->client, r->http->now, &cookie, &next)) {
		api_storage_error(r);
		goto out;
	}
	free(r->http->set_cookie);
	r->http->set_cookie = sessions_cookie_header(r->core->cfg, cookie);
	log_msg(LOGM_SIGNED_IN, "sign-in: %s (%s) passed the second factor from %s", r->user.id, login, r->http->client);
	api_reply_json(r, 201, json_pack("{s:o, s:o}", "session", session_json(r, &next), "user", user_json(r)));
out:
	free(cookie);
	store_session_release(&next);
	store_credentials_release(&c);
	json_decref(body);
}

/* ---- GET and DELETE /v1/session ------------------------------------------------------------ */

/*
 * The pages ask before they know whether anyone is signed in: no session (no
 * cookie, or one that ended) is a plain answer here, not an error.
 */
void api_session_get(struct api_request *r)
{
	bool token = httpd_header(r->http, "Authorization") != NULL;
	char *cookie = token ? NULL : sessions_cookie_from(r->core->cfg, httpd_header(r->http, "Cookie"));
	bool none = !token && !cookie;
	free(cookie);
	if (none || api_authenticate(r, true)) {
		if (none || (!token && r->http->status == 401))
			api_reply_json(r, 200, json_pack("{s:n, s:n}", "session", "user"));
		return;
	}
	if (session_only(r, "a token is not a session"))
		return;
	api_reply_json(r, 200, json_pack("{s:o, s:o}", "session", session_json(r, &r->session), "user", user_json(r)));
}

void api_session_delete(struct api_request *r)
{
	if (api_authenticate(r, true) || session_only(r, "a token is not a session; revoke a token with tsunagu user revoke"))
		return;
	if (store_session_end(r->core->store, r->session_hash, r->http->now, "signed out") < 0) {
		api_storage_error(r);
		return;
	}
	r->http->set_cookie = sessions_cookie_header(r->core->cfg, NULL);
	log_msg(LOGM_SIGNED_OUT, "sign-out: %s, session %s", r->user.id, r->session.id);
	api_reply_json(r, 200, json_pack("{s:b}", "signed_out", 1));
}

/* ---- GET /v1/me ---------------------------------------------------------------------------- */

void api_me(struct api_request *r)
{
	json_t *o = user_json(r);
	json_t *may_open = json_array();
	const struct pathway_set *set = &r->core->cfg->pathways;
	for (size_t i = 0; i < set->n; i++) {
		const struct pathway *pw = set->items[i];
		if (cm_may_open(pw, &r->caller))
			json_array_append_new(may_open, json_pack("{s:s, s:o, s:s}", "pathway", pw->id, "title", api_text(&pw->title),
								  "subject", pw->no_subject ? "none" : "person"));
	}
	json_object_set_new(o, "may_open", may_open);
	json_object_set_new(o, "session", r->session.id ? session_json(r, &r->session) : json_null());
	/* the pages count days by the daemon's clock and calendar, not by the desk's */
	char today[11];
	date_format(clock_local_date(r->core->clock, r->http->now), today);
	json_object_set_new(o, "today", json_string(today));
	json_object_set_new(o, "now", api_time(r, r->http->now));
	api_reply_json(r, 200, o);
}
