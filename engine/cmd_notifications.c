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
	if (!a->config && !a->db)
		return cli_usage_error(cmd, "give --config FILE or --db PATH");
	if (a->status && strcmp(a->status, "pending") && strcmp(a->status, "delivered") && strcmp(a->status, "dead"))
		return cli_usage_error(cmd, "--status must be pending, delivered or dead");
	return 0;
}

static int open_store(const struct args *a, struct store **s, struct clock *clk)
{
	struct config *cfg = NULL;
	const char *db = a->db;
	clock_init(clk, NULL);
	if (!db) {
		cfg = cli_load_config(a->config);
		if (!cfg)
			return EXIT_USAGE;
		db = cfg->database;
		clock_init(clk, cfg->calendar.time_zone);
	}
	char *err = NULL;
	int rc = store_open(db, s, &err) ? EXIT_RUNTIME : EXIT_OK;
	if (rc) {
		fprintf(stderr, "tsunagu: %s\n", err);
		free(err);
	}
	config_free(cfg);
	return rc;
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

static int run_list(int argc, char **argv)
{
	struct args a;
	int rc = parse(&cmd_notifications_list, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc)
		return cli_usage_error(&cmd_notifications_list, "unexpected argument '%s'", argv[optind]);
	struct store *s;
	struct clock clk;
	if ((rc = open_store(&a, &s, &clk)))
		return rc;
	rc = store_outbox_list(s, a.status, NULL, 1000000, print_one, &clk) ? EXIT_RUNTIME : EXIT_OK;
	store_close(s);
	return rc;
}

static int run_retry(int argc, char **argv)
{
	struct args a;
	int rc = parse(&cmd_notifications_retry, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc - 1)
		return cli_usage_error(&cmd_notifications_retry, "name one notification id");
	struct store *s;
	struct clock clk;
	if ((rc = open_store(&a, &s, &clk)))
		return rc;
	const char *id = argv[optind];
	if (store_begin(s)) {
		fprintf(stderr, "tsunagu: %s\n", store_errmsg(s));
		rc = EXIT_RUNTIME;
	} else {
		int r = store_outbox_retry(s, id);
		if (r < 0 || store_commit(s)) {
			fprintf(stderr, "tsunagu: %s\n", store_errmsg(s));
			store_rollback(s);
			rc = EXIT_RUNTIME;
		} else if (r > 0) {
			fprintf(stderr, "tsunagu notifications retry: no dead notification '%s'\n", id);
			rc = EXIT_USAGE;
		} else {
			printf("notification %s is pending again\n", id);
		}
	}
	store_close(s);
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
