/*
 * cmd_purge — `tsunagu purge --closed-before DATE`: retention. For every case
 * closed before the date it erases the person's details, the event payloads, the
 * notes' text and the free-text fields, and keeps what reports count (states,
 * dates, outcomes, choices) and the hash chain (which covers payload digests).
 * A case whose provision records are younger than three years keeps its data
 * until they are not (APPI art. 29: records are kept three years).
 */
#include "api.h"
#include "cli.h"
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

struct purge {
	struct app *app;
	clock_us now, keep_since;
	bool dry_run;
	int purged, kept, failed;
};

/* The case's fields without free text (which may name or describe the person). */
static json_t *fields_to_keep(const struct pathway *pw, const json_t *fields)
{
	json_t *out = json_object();
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)fields, key, v) {
		int i = pw ? pathway_field_index(pw, key) : -1;
		if (i >= 0 && pw->fields[i].type != FIELD_TEXT)
			json_object_set(out, key, v);
	}
	return out;
}

static int one(void *ctx, const struct store_case *c)
{
	struct purge *p = ctx;
	int recent = store_has_provision_since(p->app->store, c->id, p->keep_since);
	if (recent < 0)
		return 1;
	if (recent) {
		p->kept++;
		return 0;
	}
	if (p->dry_run) {
		p->purged++;
		return 0;
	}
	json_t *keep = fields_to_keep(app_pathway(p->app, c->pathway, c->pathway_version), c->fields);
	int rc = store_purge_case(p->app->store, c, keep, p->now);
	json_decref(keep);
	if (rc)
		return 1;
	p->purged++;
	return 0;
}

static int run_purge(int argc, char **argv)
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
	if (!config || !before || optind != argc)
		return cli_usage_error(&cmd_purge, "give --closed-before DATE and --config FILE");
	if (date_parse(before, &day))
		return cli_usage_error(&cmd_purge, "--closed-before must be a date YYYY-MM-DD");
	struct config *cfg = cli_load_config(config);
	if (!cfg)
		return EXIT_USAGE;
	struct clock clk;
	clock_init(&clk, cfg->calendar.time_zone);
	struct app app = { .cfg = cfg, .clock = &clk };
	char *err = NULL;
	int rc = EXIT_RUNTIME;
	if (store_open(db ? db : cfg->database, &app.store, &err)) {
		fprintf(stderr, "tsunagu: %s\n", err);
		free(err);
		config_free(cfg);
		return EXIT_RUNTIME;
	}
	clock_us now = clock_now(&clk);
	struct purge p = { .app = &app, .now = now, .dry_run = dry_run,
			   .keep_since = now - (clock_us)(3 * 365 + 1) * 86400 * 1000000 };
	if (store_begin(app.store) ||
	    store_purge_candidates(app.store, clock_local_midnight(&clk, day), one, &p) ||
	    (dry_run ? (store_rollback(app.store), 0) : store_commit(app.store))) {
		fprintf(stderr, "tsunagu purge: nothing was purged: %s\n", store_errmsg(app.store));
		store_rollback(app.store);
	} else {
		printf("%s %d case%s closed before %s; kept %d whose provision records are younger than 3 years\n",
		       dry_run ? "would purge" : "purged", p.purged, p.purged == 1 ? "" : "s", before, p.kept);
		rc = EXIT_OK;
	}
	pathway_set_release(&app.older);
	store_close(app.store);
	config_free(cfg);
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
