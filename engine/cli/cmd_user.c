/*
 * cmd_user — `tsunagu user add|list|revoke|reissue`: people and their tokens.
 * A token is printed once, as the last line of stdout; only its hash is kept.
 * Revocation takes effect on the running daemon's next request, because the
 * daemon looks tokens up in the database on every request.
 */
#include "accounts.h"
#include "cli.h"
#include "config.h"
#include "flow.h"
#include "store.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

struct user_args {
	const char *config, *db, *org, *roles, *name, *expires, *to;
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
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:o:r:n:e:t:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': a->config = optarg; break;
		case 'd': a->db = optarg; break;
		case 'o': a->org = optarg; break;
		case 'r': a->roles = optarg; break;
		case 'n': a->name = optarg; break;
		case 'e': a->expires = optarg; break;
		case 't': a->to = optarg; break;
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
	const char *org, *name, *user_id;
	role_mask roles;
	clock_us expires, now;
	const char *to;            /* reassign: the colleague who takes the cases over, or NULL */
	char *id, *token, *err;
	int refused;               /* 1 when the input was refused (no active user, a wrong colleague) */
	json_t *assigned;          /* revoke, reassign: the open cases concerned */
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
	return accounts_add(w->core->store, w->core->cfg, w->org, w->name, w->roles, w->expires, w->now, &w->id,
			    &w->token, &w->err) ||
	       record(w, "user_added", w->id);
}

static int reissue_token(void *ctx)
{
	struct account_write *w = ctx;
	return accounts_reissue(w->core->store, w->user_id, w->expires, w->now, &w->token, &w->err) ||
	       record(w, "user_reissued", w->user_id);
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
	return store_cases_assigned(w->core->store, w->user_id, collect, w->assigned) || record(w, "user_revoked", w->user_id);
}

static int reassign(void *ctx)
{
	struct account_write *w = ctx;
	struct flow f = { .core = w->core, .now = w->now };
	struct refusal why = { 0 };
	int rc = flow_reassign_all(&f, w->user_id, w->to, &w->assigned, &why);
	if (rc == FLOW_REFUSED) {
		w->err = xstrdup(why.message);
		w->refused = 1;
	}
	refusal_release(&why);
	if (rc)
		return -1;
	char operator[CORE_OPERATOR_MAX];
	json_t *payload = json_pack("{s:s, s:s?, s:O}", "from", w->user_id, "to", w->to, "cases", w->assigned);
	rc = core_admin_event(w->core, w->now, NULL, core_operator(operator), "cases_reassigned", payload);
	json_decref(payload);
	return rc;
}

static void account_write_release(struct account_write *w)
{
	json_decref(w->assigned);
	free(w->id);
	free(w->token);
	free(w->err);
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
	struct account_write w = { .core = &env.core, .org = a.org, .name = a.name, .roles = roles,
				   .expires = expires, .now = clock_now(&env.clock) };
	if (core_transaction(&env.core, add_user, &w)) {
		fprintf(stderr, "tsunagu user add: %s\n", w.err ? w.err : store_errmsg(env.core.store));
		rc = !w.err || strstr(w.err, "database") || strstr(w.err, "cannot store") ? EXIT_RUNTIME : EXIT_USAGE;
	} else {
		printf("user %s (%s) of %s: %s\n", w.id, a.name, a.org, a.roles);
		printf("the token is shown once; keep it safe:\n%s\n", w.token);
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
	struct account_write w = { .core = &env.core, .user_id = argv[a.positional], .expires = expires,
				   .now = clock_now(&env.clock) };
	if (core_transaction(&env.core, reissue_token, &w)) {
		fprintf(stderr, "tsunagu user reissue: %s\n", w.err ? w.err : store_errmsg(env.core.store));
		rc = w.err && (strstr(w.err, "no user") || strstr(w.err, "revoked")) ? EXIT_USAGE : EXIT_RUNTIME;
	} else {
		printf("new token for %s (the old ones stop working now); shown once:\n%s\n", argv[a.positional], w.token);
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
	if (core_transaction(&env.core, reassign, &w)) {
		fprintf(stderr, "tsunagu user reassign: %s\n", w.err ? w.err : store_errmsg(env.core.store));
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

#define COMMON_HELP "  --config FILE   the config (its database unless --db)\n  --db PATH       the SQLite database\n"

const struct cli_command cmd_user_add = {
	.name = "user add",
	.usage = "--config FILE --org ORG --role ROLE[,ROLE] --name NAME [--expires DATE|DAYS] [--db PATH]",
	.summary = "Create a user and print its token (shown once, as the last line).",
	.help = COMMON_HELP "  --org ORG       the user's organisation (see tsunagu org list)\n"
		"  --role ROLES    pharmacist, nurse, checkup_staff, agency_staff, coordinator, admin\n"
		"  --name NAME     the person's name\n"
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
	.summary = "Revoke a user and all its tokens (effective on the daemon's next request).",
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
	.usage = "USER_ID --config FILE [--expires DATE|DAYS] [--db PATH]",
	.summary = "Revoke a user's tokens and print a new one (shown once).",
	.help = COMMON_HELP "  --expires X     the new token expires after date X (YYYY-MM-DD) or in X days\n",
	.run = run_reissue,
};
