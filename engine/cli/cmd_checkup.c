/*
 * cmd_checkup — `tsunagu checkup import FILE`: the checkup intake from the
 * command line, as a named checkup staff user, in one transaction. Prints the
 * report as JSON; exit 3 when any row was refused.
 */
#include "checkup.h"
#include "cli.h"
#include "config.h"
#include "jsonin.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One import, in one transaction: the pathway version recorded (as the daemon does at start), then the rows. */
struct import_run {
	struct core *core;
	struct flow flow;
	const struct pathway *pw;
	const char *data;
	size_t len;
	json_t *report;
	struct checkup_import *imp;
	int step;                  /* the last step's answer */
	struct refusal why;
	char *unpublished;         /* why the pathway version could not be recorded */
	bool apply;                /* --apply-changes */
};

/* Rows per transaction: a running daemon waits for the database at most this long (a few milliseconds). */
#define ROWS_PER_TRANSACTION 16

static int publish(void *ctx)
{
	struct import_run *r = ctx;
	return core_publish_pathway(r->core, r->pw, r->flow.now, &r->unpublished);
}

static int import_some(void *ctx)
{
	struct import_run *r = ctx;
	r->step = checkup_import_step(r->imp, &r->flow, ROWS_PER_TRANSACTION);
	return r->step < 0 ? -1 : 0;
}

/*
 * The file in small transactions, so that a daemon running on the same
 * database waits milliseconds for it, never seconds; between them the lock is
 * let go for a moment. 0, or -1 with *r->why or the store's message.
 */
static int import_file(struct import_run *r)
{
	if (core_transaction(r->core, publish, r))
		return -1;
	r->imp = checkup_import_begin(r->pw, r->data, r->len, r->apply, clock_local_date(r->core->clock, r->flow.now),
				      &r->why);
	if (!r->imp)
		return -1;
	do {
		if (core_transaction(r->core, import_some, r)) {
			refusal_set(&r->why, "storage_unavailable", NULL, "the database could not save the import");
			return -1;
		}
		/* a moment without the lock, in which a daemon's waiting turn takes it */
		nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
	} while (r->step > 0);
	r->report = checkup_import_report(r->imp);
	return 0;
}

static int run_import(const struct cli_context *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' }, { "pathway", required_argument, NULL, 'p' },
		{ "apply-changes", no_argument, NULL, 'a' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *config = NULL, *db = NULL, *user_id = NULL, *pathway = "health-checkup";
	bool apply = false;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:u:p:ah", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'u': user_id = optarg; break;
		case 'p': pathway = optarg; break;
		case 'a': apply = true; break;
		case 'h':
			cli_usage(&cmd_checkup_import, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(&cmd_checkup_import, "unknown option");
		}
	}
	if (!user_id || optind != argc - 1)
		return cli_usage_error(&cmd_checkup_import, "give FILE, --config FILE and --user USER_ID");
	size_t len;
	char *data = read_file(argv[optind], &len);
	if (!data) {
		fprintf(stderr, "tsunagu checkup import: cannot read %s: %s\n", argv[optind], strerror(errno));
		return EXIT_USAGE;
	}
	struct cli_env env;
	int rc = cli_env_open(&env, &cmd_checkup_import, CLI_STORE, config, db);
	if (rc) {
		free(data);
		return rc;
	}
	struct store_user user = { 0 };
	struct import_run run = { .core = &env.core, .data = data, .len = len, .apply = apply };
	rc = EXIT_USAGE;
	run.pw = pathway_set_find(&env.cfg->pathways, pathway);
	if (!run.pw || !run.pw->eligibility) {
		fprintf(stderr, "tsunagu checkup import: no pathway '%s' with an eligibility rule\n", pathway);
		goto out;
	}
	const struct config_org *org = NULL;
	if (store_user_get(env.core.store, user_id, &user) || user.revoked_at ||
	    !(org = config_find_org(env.cfg, user.org))) {
		fprintf(stderr, "tsunagu checkup import: no active user '%s'\n", user_id);
		goto out;
	}
	run.flow = (struct flow){ .core = &env.core, .now = clock_now(&env.clock),
				  .who = { .user = user.id, .org = org, .roles = user.roles } };
	if (!cm_may_open(run.pw, &run.flow.who)) {
		fprintf(stderr, "tsunagu checkup import: user %s may not open %s cases\n", user_id, run.pw->id);
		goto out;
	}
	if (import_file(&run)) {
		if (run.unpublished)
			fprintf(stderr, "tsunagu checkup import: %s\n", run.unpublished);
		else if (run.why.code && strcmp(run.why.code, "storage_unavailable"))
			cli_print_refusal(&cmd_checkup_import, &run.why);
		else
			fprintf(stderr, "tsunagu checkup import: the database could not save the import: %s\n",
				store_errmsg(env.core.store));
		rc = run.unpublished || (run.why.code && strcmp(run.why.code, "storage_unavailable")) ? EXIT_USAGE
												     : EXIT_RUNTIME;
		json_decref(run.report);
		goto out;
	}
	char *text = json_dumps(run.report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	rc = json_array_size(json_object_get(run.report, "refused")) ? EXIT_PROBLEMS : EXIT_OK;
	json_decref(run.report);
out:
	free(run.unpublished);
	checkup_import_free(run.imp);
	refusal_release(&run.why);
	free(data);
	store_user_release(&user);
	cli_env_close(&env);
	return rc;
}

const struct cli_command cmd_checkup_import = {
	.name = "checkup import",
	.usage = "FILE --config FILE --user USER_ID [--db PATH] [--pathway ID] [--apply-changes]",
	.summary = "Import checkup results (CSV, UTF-8 or CP932): open the cases the pathway's rule selects.",
	.help = "  --user USER_ID  the checkup staff member the cases are opened by\n"
		"  --pathway ID    default health-checkup\n"
		"  --apply-changes a row imported before whose values changed is applied: a recorded correction\n"
		"                  of its open case, or a new case where the rule now routes the person elsewhere\n"
		"Prints the report as JSON. Exit 0, or 3 when any row was refused (the others are imported).\n",
	.run = run_import,
};
