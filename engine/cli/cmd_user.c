/*
 * cmd_user — `tsunagu user add|list|revoke|reissue|reassign|login|sessions|totp`:
 * people, their tokens, enrolment codes, sessions and second factors.
 * A token is printed once, as the last line of stdout; only its hash is kept.
 * Revocation takes effect on the running daemon's next request, because the
 * daemon looks tokens up in the database on every request.
 */
#include "accounts.h"
#include "cli.h"
#include "forget.h"
#include "config.h"
#include "flow.h"
#include "store.h"
#include "sessions.h"
#include "totp.h"
#include "util.h"

#include <getopt.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

struct user_args {
	const char *config, *db, *org, *roles, *name, *expires, *to, *login, *end;
	bool all;
	int positional;
	char **argv;
	int argc;
};

/* Parses the options every user command shares. Returns 0, or an exit code to return. */
static int parse(const struct cli_command *cmd, int argc, char **argv, struct user_args *a)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "org", required_argument, NULL, 'o' }, { "role", required_argument, NULL, 'r' },
		{ "roles", required_argument, NULL, 'r' }, { "name", required_argument, NULL, 'n' },
		{ "expires", required_argument, NULL, 'e' }, { "to", required_argument, NULL, 't' },
		{ "login", required_argument, NULL, 'l' }, { "end", required_argument, NULL, 'E' },
		{ "all", no_argument, NULL, 'A' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:o:r:n:e:t:l:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': a->config = optarg; break;
		case 'd': a->db = optarg; break;
		case 'o': a->org = optarg; break;
		case 'r': a->roles = optarg; break;
		case 'n': a->name = optarg; break;
		case 'e': a->expires = optarg; break;
		case 't': a->to = optarg; break;
		case 'l': a->login = optarg; break;
		case 'E': a->end = optarg; break;
		case 'A': a->all = true; break;
		case 'h':
			cli_usage(cmd, stdout);
			return -EXIT_OK - 1;
		default:
			return cli_usage_error(cmd, "unknown option");
		}
	}
	a->positional = optind;
	a->argv = argv;
	a->argc = argc;
	return 0;
}

/* An expiry: a date (valid through that day, local time) or a number of days from now. */
static int parse_expiry(const char *s, const struct clock *clk, clock_us *out)
{
	date_days d;
	if (!s) {
		*out = 0;
		return 0;
	}
	if (!date_parse(s, &d)) {
		*out = ((clock_us)(d + 1) * 86400 - (clock_us)clk->offset_minutes * 60) * 1000000;
		return *out > clock_now(clk) ? 0 : -1;
	}
	char *end;
	long days = strtol(s, &end, 10);
	if (*s && *end == '\0' && days > 0 && days <= 3650) {
		*out = clock_now(clk) + (clock_us)days * 86400 * 1000000;
		return 0;
	}
	return -1;
}

/* A user command's write, run in one transaction (core_transaction). */
struct account_write {
	struct core *core;
	const char *org, *name, *user_id, *login;
	role_mask roles;
	clock_us expires, now;
	const char *to;            /* reassign: the colleague who takes the cases over, or NULL */
	char *id, *token, *enrol_code, *err;
	int refused;               /* 1 when the input was refused (no active user, a wrong colleague) */
	json_t *assigned;          /* revoke, reassign: the open cases concerned */
	bool more;                 /* reassign: cases left for the next batch */
};

/* The admin event of a user command: who ran it, which user, what. */
static int record(struct account_write *w, const char *action, const char *user)
{
	char operator[CORE_OPERATOR_MAX];
	json_t *payload = json_pack("{s:s}", "user", user);
	int rc = core_admin_event(w->core, w->now, NULL, core_operator(operator), action, payload);
	json_decref(payload);
	return rc;
}

static int add_user(void *ctx)
{
	struct account_write *w = ctx;
	return accounts_add(w->core->store, w->core->cfg, w->org, w->name, w->login, w->roles, w->expires, w->now,
			    &w->id, &w->token, &w->enrol_code, &w->err) ||
	       record(w, "user_added", w->id);
}

static int reissue_token(void *ctx)
{
	struct account_write *w = ctx;
	return accounts_reissue(w->core->store, w->core->cfg, w->user_id, w->login, w->expires, w->now, &w->token,
				&w->enrol_code, &w->err) ||
	       record(w, FORGET_EVENT_REISSUED, w->user_id) ||
	       forget_note(w->core->cfg, "tokens_reissued", json_pack("{s:s}", "user", w->user_id), w->now, &w->err);
}

static int collect(void *ctx, const char *case_id)
{
	json_array_append_new(ctx, json_string(case_id));
	return 0;
}

static int revoke_user(void *ctx)
{
	struct account_write *w = ctx;
	w->refused = accounts_revoke(w->core->store, w->user_id, w->now, &w->err);
	if (w->refused)
		return -1;
	w->assigned = json_array();
	return store_cases_assigned(w->core->store, w->user_id, 0, collect, w->assigned) || record(w, "user_revoked", w->user_id) ||
	       forget_note(w->core->cfg, "user_revoked", json_pack("{s:s}", "user", w->user_id), w->now, &w->err);
}

/* One batch of the reassignment, in a transaction of its own: a running daemon waits for one batch at most. */
static int reassign(void *ctx)
{
	struct account_write *w = ctx;
	struct flow f = { .core = w->core, .now = w->now };
	struct refusal why = { 0 };
	if (!w->assigned)
		w->assigned = json_array();
	int rc = flow_reassign(&f, w->user_id, w->to, FLOW_REASSIGN_BATCH, w->assigned, &w->more, &why);
	if (rc == FLOW_REFUSED) {
		w->err = xstrdup(why.message);
		w->refused = 1;
	}
	refusal_release(&why);
	return rc ? -1 : 0;
}

static void account_write_release(struct account_write *w)
{
	json_decref(w->assigned);
	free(w->id);
	free(w->token);
	free(w->enrol_code);
	free(w->err);
}

/* The enrolment code, with what to do with it and until when. */
static void print_enrolment(const struct cli_env *env, const char *login, const char *code)
{
	if (!code)
		return;
	char until[48];
	clock_format(&env->clock, clock_now(&env->clock) + (clock_us)env->core.cfg->sign_in.enrolment_days * 86400 * 1000000,
		     until);
	printf("sign-in name: %s\n", login);
	printf("enrolment code (once, until %s; the person sets a passphrase with it at %s/login):\n  %s\n", until,
	       env->core.cfg->public_url, code);
}

static int run_add(const struct cli_context *ctx, int argc, char **argv)
{
	struct user_args a;
	int rc = parse(&cmd_user_add, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (!a.org || !a.roles || !a.name)
		return cli_usage_error(&cmd_user_add, "--org, --role and --name are required");
	if (a.positional != argc)
		return cli_usage_error(&cmd_user_add, "unexpected argument '%s'", argv[a.positional]);
	role_mask roles;
	char *err = NULL;
	if (accounts_parse_roles(a.roles, &roles, &err)) {
		rc = cli_usage_error(&cmd_user_add, "%s", err);
		free(err);
		return rc;
	}
	struct clock clk;
	clock_init(&clk, NULL);
	clock_us expires;
	if (parse_expiry(a.expires, &clk, &expires))
		return cli_usage_error(&cmd_user_add, "--expires must be a future date YYYY-MM-DD or a number of days");
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_user_add, CLI_STORE, a.config, a.db)))
		return rc;
	struct account_write w = { .core = &env.core, .org = a.org, .name = a.name, .login = a.login, .roles = roles,
				   .expires = expires, .now = clock_now(&env.clock) };
	if (core_transaction(&env.core, add_user, &w)) {
		fprintf(stderr, "tsunagu user add: %s\n", w.err ? w.err : store_errmsg(env.core.store));
		rc = !w.err || strstr(w.err, "database") || strstr(w.err, "cannot store") ? EXIT_RUNTIME : EXIT_USAGE;
	} else {
		printf("user %s (%s) of %s: %s\n", w.id, a.name, a.org, a.roles);
		print_enrolment(&env, a.login, w.enrol_code);
		printf("the token (for API clients) is shown once; keep it safe:\n%s\n", w.token);
	}
	account_write_release(&w);
	cli_env_close(&env);
	return rc;
}

static void print_user(void *ctx, const struct store_user *u)
{
	const struct clock *clk = ctx;
	struct buf roles;
	buf_init(&roles);
	for (int r = 0; r < ROLE_COUNT; r++)
		if (u->roles & MASK(r))
			buf_printf(&roles, "%s%s", roles.len ? "," : "", role_names[r]);
	char when[48] = "-";
	const char *status = "active";
	if (u->revoked_at)
		status = "revoked";
	else if (u->token_expires && u->token_expires <= clock_now(clk))
		status = "expired";
	if (u->token_expires)
		clock_format(clk, u->token_expires, when);
	printf("%s\t%s\t%s\t%s\t%s\t%s\n", u->id, u->org, roles.data, status, when, u->name);
	buf_release(&roles);
}

static int run_list(const struct cli_context *ctx, int argc, char **argv)
{
	struct user_args a;
	int rc = parse(&cmd_user_list, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.positional != argc)
		return cli_usage_error(&cmd_user_list, "unexpected argument '%s'", argv[a.positional]);
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_user_list, CLI_STORE, a.config, a.db)))
		return rc;
	printf("id\torganisation\troles\tstatus\ttoken expires\tname\n");
	rc = store_users_list(env.core.store, print_user, &env.clock) ? EXIT_RUNTIME : EXIT_OK;
	cli_env_close(&env);
	return rc;
}

static int run_revoke(const struct cli_context *ctx, int argc, char **argv)
{
	struct user_args a;
	int rc = parse(&cmd_user_revoke, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.positional != argc - 1)
		return cli_usage_error(&cmd_user_revoke, "name one user id");
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_user_revoke, CLI_STORE, a.config, a.db)))
		return rc;
	const char *id = argv[a.positional];
	struct account_write w = { .core = &env.core, .user_id = id, .now = clock_now(&env.clock) };
	if (core_transaction(&env.core, revoke_user, &w)) {
		fprintf(stderr, "tsunagu user revoke: %s\n", w.err ? w.err : store_errmsg(env.core.store));
		rc = w.refused > 0 ? EXIT_USAGE : EXIT_RUNTIME;
	} else {
		printf("user %s revoked; its tokens stop working now\n", id);
		size_t n = json_array_size(w.assigned);
		if (n) {
			printf("%zu open case%s assigned to them; until reassigned, %s in the organisation's inbox as unassigned:\n",
			       n, n == 1 ? " was" : "s were", n == 1 ? "it shows" : "they show");
			for (size_t i = 0; i < n; i++)
				printf("  %s\n", json_string_value(json_array_get(w.assigned, i)));
			printf("move them to a colleague: tsunagu user reassign %s --to USER_ID --config FILE\n", id);
		}
	}
	account_write_release(&w);
	cli_env_close(&env);
	return rc;
}

static int run_reissue(const struct cli_context *ctx, int argc, char **argv)
{
	struct user_args a;
	int rc = parse(&cmd_user_reissue, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.positional != argc - 1)
		return cli_usage_error(&cmd_user_reissue, "name one user id");
	struct clock clk;
	clock_init(&clk, NULL);
	clock_us expires;
	if (parse_expiry(a.expires, &clk, &expires))
		return cli_usage_error(&cmd_user_reissue, "--expires must be a future date YYYY-MM-DD or a number of days");
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_user_reissue, CLI_STORE, a.config, a.db)))
		return rc;
	struct account_write w = { .core = &env.core, .user_id = argv[a.positional], .login = a.login,
				   .expires = expires, .now = clock_now(&env.clock) };
	if (core_transaction(&env.core, reissue_token, &w)) {
		fprintf(stderr, "tsunagu user reissue: %s\n", w.err ? w.err : store_errmsg(env.core.store));
		rc = w.err && (strstr(w.err, "no user") || strstr(w.err, "revoked") || strstr(w.err, "login")) ? EXIT_USAGE
														 : EXIT_RUNTIME;
	} else {
		printf("%s: its sessions are ended and its old tokens stop working now\n", argv[a.positional]);
		if (w.enrol_code) {
			struct store_user u = { 0 };
			store_user_get(env.core.store, argv[a.positional], &u);
			printf("the passphrase and second factor are reset; the codes given before are void\n");
			print_enrolment(&env, u.login, w.enrol_code);
			store_user_release(&u);
		}
		printf("new token (for API clients); shown once:\n%s\n", w.token);
	}
	account_write_release(&w);
	cli_env_close(&env);
	return rc;
}

static int run_reassign(const struct cli_context *ctx, int argc, char **argv)
{
	struct user_args a;
	int rc = parse(&cmd_user_reassign, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.positional != argc - 1)
		return cli_usage_error(&cmd_user_reassign, "name one user id");
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_user_reassign, CLI_STORE, a.config, a.db)))
		return rc;
	struct account_write w = { .core = &env.core, .user_id = argv[a.positional], .to = a.to,
				   .now = clock_now(&env.clock) };
	do
		rc = core_transaction(&env.core, reassign, &w);
	while (rc == 0 && w.more);
	if (rc) {
		size_t n = json_array_size(w.assigned);
		fprintf(stderr, "tsunagu user reassign: %s%s\n", w.err ? w.err : store_errmsg(env.core.store),
			n ? " (the cases moved before stay moved; run it again to go on)" : "");
		rc = w.refused ? EXIT_USAGE : EXIT_RUNTIME;
	} else {
		size_t n = json_array_size(w.assigned);
		printf("moved %zu open case%s of %s to %s\n", n, n == 1 ? "" : "s", w.user_id,
		       a.to ? a.to : "nobody (unassigned, in the organisation's inbox)");
	}
	account_write_release(&w);
	cli_env_close(&env);
	return rc;
}

/* ---- user login ---- */

static int give_login(void *ctx)
{
	struct account_write *w = ctx;
	return accounts_give_login(w->core->store, w->core->cfg, w->user_id, w->login, w->now, &w->enrol_code, &w->err) ||
	       record(w, FORGET_EVENT_LOGIN_GIVEN, w->user_id) ||
	       forget_note(w->core->cfg, "login_given", json_pack("{s:s}", "user", w->user_id), w->now, &w->err);
}

static int run_login(const struct cli_context *ctx, int argc, char **argv)
{
	struct user_args a;
	int rc = parse(&cmd_user_login, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.positional != argc - 2)
		return cli_usage_error(&cmd_user_login, "name one user id and the login");
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_user_login, CLI_STORE, a.config, a.db)))
		return rc;
	struct account_write w = { .core = &env.core, .user_id = argv[a.positional], .login = argv[a.positional + 1],
				   .now = clock_now(&env.clock) };
	if (core_transaction(&env.core, give_login, &w)) {
		fprintf(stderr, "tsunagu user login: %s\n", w.err ? w.err : store_errmsg(env.core.store));
		rc = w.err && (strstr(w.err, "login") || strstr(w.err, "no active user")) ? EXIT_USAGE : EXIT_RUNTIME;
	} else {
		printf("%s signs in to the pages as %s; its tokens are unchanged\n", w.user_id, w.login);
		print_enrolment(&env, w.login, w.enrol_code);
	}
	account_write_release(&w);
	cli_env_close(&env);
	return rc;
}

/* ---- user sessions ---- */

struct session_write {
	struct core *core;
	const char *user_id, *end;
	bool all;
	clock_us now;
	int ended;
};

static int end_sessions(void *ctx)
{
	struct session_write *w = ctx;
	int rc = w->all ? store_sessions_end_user(w->core->store, w->user_id, w->now, "ended by an operator")
			: store_session_end_id(w->core->store, w->user_id, w->end, w->now, "ended by an operator");
	if (rc < 0)
		return -1;
	w->ended = w->all ? rc : rc == 0;
	char operator[CORE_OPERATOR_MAX];
	json_t *payload = json_pack("{s:s, s:s?, s:i}", "user", w->user_id, "session", w->end, "ended", w->ended);
	rc = w->ended ? core_admin_event(w->core, w->now, NULL, core_operator(operator), "sessions_ended", payload) : 0;
	json_decref(payload);
	return rc;
}

static int print_session(void *ctx, const struct store_session *x)
{
	const struct cli_env *env = ctx;
	char began[48], seen[48];
	/* one that went idle or past its absolute end is over, though nobody has used it since to find out */
	if (sessions_state(env->core.cfg, x, clock_now(&env->clock)) != SESSION_LIVE)
		return 0;
	clock_format(&env->clock, x->created_at, began);
	clock_format(&env->clock, x->seen_at, seen);
	printf("%s\t%s\t%s\t%s\t%s\n", x->id, x->stage, began, seen, x->client ? x->client : "-");
	return 0;
}

static int run_sessions(const struct cli_context *ctx, int argc, char **argv)
{
	struct user_args a;
	int rc = parse(&cmd_user_sessions, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.positional != argc - 1)
		return cli_usage_error(&cmd_user_sessions, "name one user id");
	if (a.end && a.all)
		return cli_usage_error(&cmd_user_sessions, "give --end ID or --all, not both");
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_user_sessions, CLI_STORE, a.config, a.db)))
		return rc;
	const char *id = argv[a.positional];
	struct store_user u = { 0 };
	int found = store_user_get(env.core.store, id, &u);
	store_user_release(&u);
	if (found) {
		fprintf(stderr, "tsunagu user sessions: %s\n", found > 0 ? "no such user" : store_errmsg(env.core.store));
		cli_env_close(&env);
		return found > 0 ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (a.end || a.all) {
		struct session_write w = { .core = &env.core, .user_id = id, .end = a.end, .all = a.all,
					   .now = clock_now(&env.clock) };
		if (core_transaction(&env.core, end_sessions, &w)) {
			fprintf(stderr, "tsunagu user sessions: %s\n", store_errmsg(env.core.store));
			rc = EXIT_RUNTIME;
		} else if (!a.all && !w.ended) {
			fprintf(stderr, "tsunagu user sessions: %s has no live session %s\n", id, a.end);
			rc = EXIT_USAGE;
		} else {
			printf("ended %d session%s of %s; its pages ask to sign in again at their next request\n", w.ended,
			       w.ended == 1 ? "" : "s", id);
		}
	} else {
		printf("session\tstage\tbegan\tlast used\tfrom\n");
		rc = store_sessions_list(env.core.store, id, print_session, &env) ? EXIT_RUNTIME : EXIT_OK;
	}
	cli_env_close(&env);
	return rc;
}

/* ---- user totp ---- */

struct totp_write {
	struct core *core;
	const char *user_id;
	clock_us now;
	char *secret;
};

static int set_totp(void *ctx)
{
	struct totp_write *w = ctx;
	w->secret = totp_secret_new();
	char operator[CORE_OPERATOR_MAX];
	json_t *payload = json_pack("{s:s}", "user", w->user_id);
	int rc = store_totp_set(w->core->store, w->user_id, w->secret) ||
		 store_sessions_end_user(w->core->store, w->user_id, w->now, "second factor set again") < 0 ||
		 core_admin_event(w->core, w->now, NULL, core_operator(operator), "totp_set", payload);
	json_decref(payload);
	return rc;
}

/* The URI as a QR code of half-block characters, two modules per character cell in height. */
static void print_qr(const char *text)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!qr)
		return;
	int w = qr->width, quiet = 2;
	for (int y = -quiet; y < w + quiet; y += 2) {
		for (int x = -quiet; x < w + quiet; x++) {
			bool top = y >= 0 && y < w && x >= 0 && x < w && (qr->data[y * w + x] & 1);
			bool bottom = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w && (qr->data[(y + 1) * w + x] & 1);
			/* dark modules are drawn as spaces on a light cell, for terminals with a dark background */
			fputs(top && bottom ? " " : top ? "\u2584" : bottom ? "\u2580" : "\u2588", stdout);
		}
		fputc('\n', stdout);
	}
	QRcode_free(qr);
}

static int run_totp(const struct cli_context *ctx, int argc, char **argv)
{
	struct user_args a;
	int rc = parse(&cmd_user_totp, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.positional != argc - 1)
		return cli_usage_error(&cmd_user_totp, "name one user id");
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_user_totp, CLI_STORE, a.config, a.db)))
		return rc;
	const char *id = argv[a.positional];
	struct store_user u = { 0 };
	int found = store_user_get(env.core.store, id, &u);
	if (found || u.revoked_at || !u.login) {
		fprintf(stderr, "tsunagu user totp: %s\n",
			found < 0 ? store_errmsg(env.core.store)
			: found > 0 || u.revoked_at ? "no active user of that id"
						    : "the user has no login (set one: tsunagu user reissue USER --login NAME)");
		store_user_release(&u);
		cli_env_close(&env);
		return found < 0 ? EXIT_RUNTIME : EXIT_USAGE;
	}
	struct totp_write w = { .core = &env.core, .user_id = id, .now = clock_now(&env.clock) };
	if (core_transaction(&env.core, set_totp, &w)) {
		fprintf(stderr, "tsunagu user totp: %s\n", store_errmsg(env.core.store));
		rc = EXIT_RUNTIME;
	} else {
		char *uri = totp_uri("tsunagu", u.login, w.secret);
		printf("a new second factor for %s (%s); the one before stops working, and its sessions are ended.\n", id,
		       u.login);
		printf("add it to an authenticator app by scanning the code or typing the key:\n");
		print_qr(uri);
		printf("key: %s\n%s\n", w.secret, uri);
		free(uri);
	}
	free(w.secret);
	store_user_release(&u);
	cli_env_close(&env);
	return rc;
}

#define COMMON_HELP "  --config FILE   the config (its database unless --db)\n  --db PATH       the SQLite database\n"

const struct cli_command cmd_user_add = {
	.name = "user add",
	.usage = "--config FILE --org ORG --role ROLE[,ROLE] --name NAME [--login LOGIN] [--expires DATE|DAYS] [--db PATH]",
	.summary = "Create a user and print its token (shown once, as the last line), and with --login an enrolment code.",
	.help = COMMON_HELP "  --org ORG       the user's organisation (see tsunagu org list)\n"
		"  --role ROLES    pharmacist, nurse, checkup_staff, agency_staff, coordinator, admin\n"
		"  --name NAME     the person's name\n"
		"  --login LOGIN   the name the person signs in to the pages with; prints a one-time enrolment\n"
		"                  code with which they set their passphrase (sign_in.enrolment_days)\n"
		"  --expires X     the token expires after date X (YYYY-MM-DD) or in X days\n",
	.run = run_add,
};

const struct cli_command cmd_user_list = {
	.name = "user list",
	.usage = "--config FILE [--db PATH]",
	.summary = "List users: id, organisation, roles, status, token expiry, name (tab-separated).",
	.help = COMMON_HELP,
	.run = run_list,
};

const struct cli_command cmd_user_revoke = {
	.name = "user revoke",
	.usage = "USER_ID --config FILE [--db PATH]",
	.summary = "Revoke a user, all its tokens and sessions (effective on the daemon's next request).",
	.help = COMMON_HELP,
	.run = run_revoke,
};

const struct cli_command cmd_user_reassign = {
	.name = "user reassign",
	.usage = "USER_ID --config FILE [--to USER_ID] [--db PATH]",
	.summary = "Move every open case assigned to a user (one who left) to a colleague, or leave them unassigned.",
	.help = COMMON_HELP "  --to USER_ID    the colleague of the same organisation who takes them over (default: nobody)\n",
	.run = run_reassign,
};

const struct cli_command cmd_user_reissue = {
	.name = "user reissue",
	.usage = "USER_ID --config FILE [--login LOGIN] [--expires DATE|DAYS] [--db PATH]",
	.summary = "Revoke a user's tokens and sessions and print a new token; a user with a login gets a new enrolment "
		   "code (passphrase and TOTP reset).",
	.help = COMMON_HELP "  --expires X     the new token expires after date X (YYYY-MM-DD) or in X days\n"
		"  --login LOGIN   give the user this sign-in name (or a new one)\n",
	.run = run_reissue,
};

const struct cli_command cmd_user_login = {
	.name = "user login",
	.usage = "USER_ID LOGIN --config FILE [--db PATH]",
	.summary = "Give a user a sign-in name for the pages and print a one-time enrolment code (tokens unchanged).",
	.help = COMMON_HELP,
	.run = run_login,
};

const struct cli_command cmd_user_sessions = {
	.name = "user sessions",
	.usage = "USER_ID --config FILE [--end SESSION_ID | --all] [--db PATH]",
	.summary = "List a user's live sessions of the pages (id, stage, began, last used, from), or end them at once.",
	.help = COMMON_HELP "  --end ID        end this session\n  --all           end every session of the user\n",
	.run = run_sessions,
};

const struct cli_command cmd_user_totp = {
	.name = "user totp",
	.usage = "USER_ID --config FILE [--db PATH]",
	.summary = "Set up a new second factor (TOTP) for a user and print its provisioning URI and QR code.",
	.help = COMMON_HELP,
	.run = run_totp,
};
