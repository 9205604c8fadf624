/*
 * cmd_audit — `tsunagu audit verify`: walks the hash chain of the event log and
 * names the first event that was edited, deleted or reordered (exit 3).
 */
#include "backup.h"
#include "cli.h"
#include "report.h"
#include "config.h"
#include "store.h"

#include <getopt.h>
#include <stdlib.h>

static void say_mismatch(void *ctx, const char *case_id, const char *what)
{
	int *shown = ctx;
	if ((*shown)++ < 20)
		printf("SUMMARY DIFFERS: case %s: its %s is not what its events say\n", case_id, what);
}

/* The reports' summaries against the events they were kept from (exit 3 when one differs). */
static int check_summaries(struct cli_env *env)
{
	int shown = 0;
	int64_t checked = 0, differ = 0;
	if (report_check_summaries(&env->core, say_mismatch, &shown, &checked, &differ)) {
		fprintf(stderr, "tsunagu audit verify: %s\n", store_errmsg(env->core.store));
		return EXIT_RUNTIME;
	}
	if (!checked) {
		printf("note: no case has a summary for reports yet (the daemon's next start makes them)\n");
		return EXIT_OK;
	}
	if (differ) {
		printf("SUMMARIES DIFFER: %lld of %lld cases' summaries are not what their events say; reports read the "
		       "summaries (docs/reports.md)\n", (long long)differ, (long long)checked);
		return EXIT_PROBLEMS;
	}
	return EXIT_OK;
}

static int run_verify(const struct cli_context *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "manifest", required_argument, NULL, 'm' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *config = NULL, *db = NULL, *manifest = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'm': manifest = optarg; break;
		case 'h':
			cli_usage(&cmd_audit_verify, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(&cmd_audit_verify, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(&cmd_audit_verify, "unexpected argument '%s'", argv[optind]);
	struct cli_env env;
	int rc = cli_env_open(&env, &cmd_audit_verify, CLI_DB_ALONE | CLI_STORE, config, db);
	if (rc)
		return rc;
	struct backup_manifest m;
	char *err = NULL;
	if (manifest && backup_manifest_read(manifest, &m, &err)) {
		fprintf(stderr, "tsunagu audit verify: %s\n", err);
		free(err);
		cli_env_close(&env);
		return EXIT_USAGE;
	}
	struct store_verify v;
	if (store_verify_chain(env.core.store, &v)) {
		fprintf(stderr, "tsunagu audit verify: %s\n", store_errmsg(env.core.store));
		rc = EXIT_RUNTIME;
	} else if (v.events == 0) {
		/* An empty chain proves nothing: the wrong database, or one never used. */
		printf("EMPTY: the database holds no events; nothing to verify (is this the right database?)\n");
		rc = EXIT_PROBLEMS;
	} else if (v.bad_seq) {
		printf("BROKEN at event %lld: %s (%lld events checked)\n", (long long)v.bad_seq, v.reason,
		       (long long)v.events);
		rc = EXIT_PROBLEMS;
	} else if (manifest && (rc = backup_check_manifest(env.core.store, &m, &err))) {
		if (rc > 0)
			printf("CUT OFF: %s (%lld events checked, whole as far as they go)\n", err, (long long)v.events);
		else
			fprintf(stderr, "tsunagu audit verify: %s\n", store_errmsg(env.core.store));
		free(err);
		rc = rc > 0 ? EXIT_PROBLEMS : EXIT_RUNTIME;
	} else if ((rc = check_summaries(&env)) != EXIT_OK) {
		/* said by check_summaries */
	} else {
		printf("ok: %lld events, the chain is whole%s; the reports' summaries agree with the events\n",
		       (long long)v.events, manifest ? ", and holds every event of the backup's manifest" : "");
		rc = EXIT_OK;
	}
	cli_env_close(&env);
	return rc;
}

const struct cli_command cmd_audit_verify = {
	.name = "audit verify",
	.usage = "--db PATH | --config FILE [--manifest FILE]",
	.summary = "Check the event log's hash chain; names the first broken event (exit 3).",
	.help = "  --db PATH       the SQLite database\n  --config FILE   use the config's database\n"
		"  --manifest FILE a backup's manifest: also checks that no event it covered was cut off (exit 3)\n",
	.run = run_verify,
};
