/*
 * cmd_purge — `tsunagu purge --closed-before DATE`: retention (core/purge) in
 * transactions of a few cases each, letting go of the database between them so
 * that a running daemon is not held up; or a dry run that only counts.
 */
#include "cli.h"
#include "forget.h"
#include "config.h"
#include "purge.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Cases per transaction: a running daemon waits for one batch at most, a few milliseconds. */
#define CASES_PER_TRANSACTION 20

struct purge_run {
	struct core *core;
	clock_us before, now;
	bool dry_run;
	struct purge_cursor cursor;
	struct purge_result result;
};

static int purge_batch(void *ctx)
{
	struct purge_run *p = ctx;
	return purge_closed(p->core, p->before, p->now, p->dry_run, CASES_PER_TRANSACTION, &p->cursor, &p->result);
}

/* Every batch, each in its own transaction (a dry run reads without one). 0, or -1 at the first that fails. */
static int purge_all(struct purge_run *p)
{
	char *err = NULL;
	/* noted first: a restore from an older backup purges again what this purge removes */
	if (!p->dry_run && forget_note(p->core->cfg, "purged", json_pack("{s:I}", "before", (json_int_t)p->before),
				       p->now, &err)) {
		fprintf(stderr, "tsunagu purge: %s\n", err);
		free(err);
		return -1;
	}
	while (!p->cursor.done) {
		if (p->dry_run ? purge_batch(p) : core_transaction(p->core, purge_batch, p))
			return -1;
		/* a moment without the lock, in which a daemon's waiting turn takes it */
		nanosleep(&(struct timespec){ 0, 2 * 1000 * 1000 }, NULL);
	}
	return 0;
}

static int run_purge(const struct cli_context *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "closed-before", required_argument, NULL, 'b' }, { "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *config = NULL, *db = NULL, *before = NULL;
	bool dry_run = false;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:b:nh", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'b': before = optarg; break;
		case 'n': dry_run = true; break;
		case 'h':
			cli_usage(&cmd_purge, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(&cmd_purge, "unknown option");
		}
	}
	date_days day;
	if (!before || optind != argc)
		return cli_usage_error(&cmd_purge, "give --closed-before DATE and --config FILE");
	if (date_parse(before, &day))
		return cli_usage_error(&cmd_purge, "--closed-before must be a date YYYY-MM-DD");
	struct cli_env env;
	int rc = cli_env_open(&env, &cmd_purge, CLI_STORE, config, db);
	if (rc)
		return rc;
	struct purge_run p = { .core = &env.core, .before = clock_local_midnight(&env.clock, day),
			       .now = clock_now(&env.clock), .dry_run = dry_run };
	if (purge_all(&p)) {
		fprintf(stderr, "tsunagu purge: stopped after %d case%s (run it again to go on): %s\n", p.result.purged,
			p.result.purged == 1 ? "" : "s", store_errmsg(env.core.store));
		rc = EXIT_RUNTIME;
	} else {
		printf("%s %d case%s closed before %s; kept %d whose provision records are younger than 3 years\n",
		       dry_run ? "would purge" : "purged", p.result.purged, p.result.purged == 1 ? "" : "s", before,
		       p.result.kept);
	}
	purge_cursor_release(&p.cursor);
	cli_env_close(&env);
	return rc;
}

const struct cli_command cmd_purge = {
	.name = "purge",
	.usage = "--closed-before DATE --config FILE [--db PATH] [--dry-run]",
	.summary = "Erase the personal data of cases closed before DATE (keeps counts, outcomes and the audit chain).",
	.help = "  --closed-before DATE  cases closed before this local date\n"
		"  --dry-run             count, change nothing\n"
		"Cases with provision records younger than 3 years are kept until those records are older.\n",
	.run = run_purge,
};
