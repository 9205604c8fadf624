/*
 * cmd_notifications — `tsunagu notifications list|retry`: the outbox from the
 * command line. A retried notification is picked up by the running daemon
 * within a second.
 */
#include "cli.h"
#include "config.h"
#include "store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

struct args {
	const char *config, *db, *status;
};

static int parse(const struct cli_command *cmd, int argc, char **argv, struct args *a)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "status", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	int opt;
	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:s:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': a->config = optarg; break;
		case 'd': a->db = optarg; break;
		case 's': a->status = optarg; break;
		case 'h':
			cli_usage(cmd, stdout);
			return -1;
		default:
			return cli_usage_error(cmd, "unknown option");
		}
	}
	if (a->status && strcmp(a->status, "pending") && strcmp(a->status, "delivered") && strcmp(a->status, "dead"))
		return cli_usage_error(cmd, "--status must be pending, delivered or dead");
	return 0;
}

struct retry {
	struct core *core;
	const char *id;
	int found;                 /* core_retry_notification's answer */
};

static int retry_one(void *ctx)
{
	struct retry *r = ctx;
	r->found = core_retry_notification(r->core, r->id);
	return r->found < 0 ? -1 : 0;
}

static int print_one(void *ctx, struct store_notification *n)
{
	const struct clock *clk = ctx;
	char created[48];
	clock_format(clk, n->created_at, created);
	printf("%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", n->id, n->status, n->case_id, n->template_name,
	       n->org ? n->org : "-", n->channel ? n->channel : "-", n->attempts, created,
	       n->last_error ? n->last_error : "");
	return 0;
}

static int run_list(const struct cli_context *ctx, int argc, char **argv)
{
	struct args a;
	int rc = parse(&cmd_notifications_list, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc)
		return cli_usage_error(&cmd_notifications_list, "unexpected argument '%s'", argv[optind]);
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_notifications_list, CLI_DB_ALONE | CLI_STORE, a.config, a.db)))
		return rc;
	rc = store_outbox_list(env.core.store, a.status, NULL, 1000000, print_one, &env.clock) ? EXIT_RUNTIME : EXIT_OK;
	cli_env_close(&env);
	return rc;
}

static int run_retry(const struct cli_context *ctx, int argc, char **argv)
{
	struct args a;
	int rc = parse(&cmd_notifications_retry, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc - 1)
		return cli_usage_error(&cmd_notifications_retry, "name one notification id");
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_notifications_retry, CLI_DB_ALONE | CLI_STORE, a.config, a.db)))
		return rc;
	struct retry r = { .core = &env.core, .id = argv[optind] };
	if (core_transaction(&env.core, retry_one, &r)) {
		fprintf(stderr, "tsunagu notifications retry: %s\n", store_errmsg(env.core.store));
		rc = EXIT_RUNTIME;
	} else if (r.found > 0) {
		fprintf(stderr, "tsunagu notifications retry: no dead notification '%s'\n", r.id);
		rc = EXIT_USAGE;
	} else {
		printf("notification %s is pending again\n", r.id);
	}
	cli_env_close(&env);
	return rc;
}

const struct cli_command cmd_notifications_list = {
	.name = "notifications list",
	.usage = "--config FILE | --db PATH [--status pending|delivered|dead]",
	.summary = "List notifications: id, status, case, template, org, channel, attempts, created, last error.",
	.help = "  --config FILE   the config (its database unless --db)\n  --db PATH       the SQLite database\n"
		"  --status S      only pending, delivered or dead ones\n",
	.run = run_list,
};

const struct cli_command cmd_notifications_retry = {
	.name = "notifications retry",
	.usage = "ID --config FILE | --db PATH",
	.summary = "Send a dead notification again (the running daemon picks it up within a second).",
	.help = "  --config FILE   the config (its database unless --db)\n  --db PATH       the SQLite database\n",
	.run = run_retry,
};
