/*
 * cmd_user — `tsunagu user add|list|revoke|reissue`: people and their tokens.
 * A token is printed once, as the last line of stdout; only its hash is kept.
 * Revocation takes effect on the running daemon's next request, because the
 * daemon looks tokens up in the database on every request.
 */
#include "accounts.h"
#include "cli.h"
#include "config.h"
#include "store.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

struct user_args {
	const char *config, *db, *org, *roles, *name, *expires;
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
		{ "expires", required_argument, NULL, 'e' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:o:r:n:e:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': a->config = optarg; break;
		case 'd': a->db = optarg; break;
		case 'o': a->org = optarg; break;
		case 'r': a->roles = optarg; break;
		case 'n': a->name = optarg; break;
		case 'e': a->expires = optarg; break;
		case 'h':
			cli_usage(cmd, stdout);
			return -EXIT_OK - 1;
		default:
			return cli_usage_error(cmd, "unknown option");
		}
	}
	if (!a->config)
		return cli_usage_error(cmd, "--config FILE is required");
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

static int open_all(const struct user_args *a, struct config **cfg, struct store **store)
{
	*cfg = cli_load_config(a->config);
	if (!*cfg)
		return EXIT_USAGE;
	char *err = NULL;
	if (store_open(a->db ? a->db : (*cfg)->database, store, &err)) {
		fprintf(stderr, "tsunagu: %s\n", err);
		free(err);
		config_free(*cfg);
		return EXIT_RUNTIME;
	}
	return 0;
}

static int run_add(int argc, char **argv)
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
	struct config *cfg;
	struct store *store;
	if ((rc = open_all(&a, &cfg, &store)))
		return rc;
	clock_init(&clk, cfg->calendar.time_zone);
	char *id = NULL, *token = NULL;
	if (accounts_add(store, cfg, a.org, a.name, roles, expires, clock_now(&clk), &id, &token, &err)) {
		fprintf(stderr, "tsunagu user add: %s\n", err);
		rc = strstr(err, "database") ? EXIT_RUNTIME : EXIT_USAGE;
		free(err);
	} else {
		printf("user %s (%s) of %s: %s\n", id, a.name, a.org, a.roles);
		printf("the token is shown once; keep it safe:\n%s\n", token);
		rc = EXIT_OK;
	}
	free(id);
	free(token);
	store_close(store);
	config_free(cfg);
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

static int run_list(int argc, char **argv)
{
	struct user_args a;
	int rc = parse(&cmd_user_list, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.positional != argc)
		return cli_usage_error(&cmd_user_list, "unexpected argument '%s'", argv[a.positional]);
	struct config *cfg;
	struct store *store;
	if ((rc = open_all(&a, &cfg, &store)))
		return rc;
	struct clock clk;
	clock_init(&clk, cfg->calendar.time_zone);
	rc = store_users_list(store, print_user, &clk) ? EXIT_RUNTIME : EXIT_OK;
	store_close(store);
	config_free(cfg);
	return rc;
}

static int run_revoke(int argc, char **argv)
{
	struct user_args a;
	int rc = parse(&cmd_user_revoke, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.positional != argc - 1)
		return cli_usage_error(&cmd_user_revoke, "name one user id");
	struct config *cfg;
	struct store *store;
	if ((rc = open_all(&a, &cfg, &store)))
		return rc;
	struct clock clk;
	clock_init(&clk, cfg->calendar.time_zone);
	const char *id = argv[a.positional];
	struct store_user u = { 0 };
	if (store_user_get(store, id, &u) != 0 || u.revoked_at) {
		fprintf(stderr, "tsunagu user revoke: no active user '%s'\n", id);
		rc = EXIT_USAGE;
	} else if (store_begin(store) || store_user_revoke(store, id, clock_now(&clk)) || store_commit(store)) {
		fprintf(stderr, "tsunagu user revoke: %s\n", store_errmsg(store));
		store_rollback(store);
		rc = EXIT_RUNTIME;
	} else {
		printf("user %s revoked; its tokens stop working now\n", id);
	}
	store_user_release(&u);
	store_close(store);
	config_free(cfg);
	return rc;
}

static int run_reissue(int argc, char **argv)
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
	struct config *cfg;
	struct store *store;
	if ((rc = open_all(&a, &cfg, &store)))
		return rc;
	char *token = NULL, *err = NULL;
	if (accounts_reissue(store, argv[a.positional], expires, clock_now(&clk), &token, &err)) {
		fprintf(stderr, "tsunagu user reissue: %s\n", err);
		rc = strstr(err, "no user") || strstr(err, "revoked") ? EXIT_USAGE : EXIT_RUNTIME;
		free(err);
	} else {
		printf("new token for %s (the old ones stop working now); shown once:\n%s\n", argv[a.positional], token);
	}
	free(token);
	store_close(store);
	config_free(cfg);
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

const struct cli_command cmd_user_reissue = {
	.name = "user reissue",
	.usage = "USER_ID --config FILE [--expires DATE|DAYS] [--db PATH]",
	.summary = "Revoke a user's tokens and print a new one (shown once).",
	.help = COMMON_HELP "  --expires X     the new token expires after date X (YYYY-MM-DD) or in X days\n",
	.run = run_reissue,
};
