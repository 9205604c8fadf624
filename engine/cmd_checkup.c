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

static int run_import(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' }, { "pathway", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *config = NULL, *db = NULL, *user_id = NULL, *pathway = "health-checkup";
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:u:p:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'u': user_id = optarg; break;
		case 'p': pathway = optarg; break;
		case 'h':
			cli_usage(&cmd_checkup_import, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(&cmd_checkup_import, "unknown option");
		}
	}
	if (!config || !user_id || optind != argc - 1)
		return cli_usage_error(&cmd_checkup_import, "give FILE, --config FILE and --user USER_ID");
	size_t len;
	char *data = read_file(argv[optind], &len);
	if (!data) {
		fprintf(stderr, "tsunagu checkup import: cannot read %s: %s\n", argv[optind], strerror(errno));
		return EXIT_USAGE;
	}
	int rc = EXIT_RUNTIME;
	struct config *cfg = cli_load_config(config);
	struct store *store = NULL;
	struct store_user user = { 0 };
	struct cm_error err = { 0 };
	struct calendar cal = { 0 };
	struct clock clk;
	char *e = NULL;
	if (!cfg) {
		rc = EXIT_USAGE;
		goto out;
	}
	const struct pathway *pw = pathway_set_find(&cfg->pathways, pathway);
	if (!pw || !pw->eligibility) {
		fprintf(stderr, "tsunagu checkup import: no pathway '%s' with an eligibility rule\n", pathway);
		rc = EXIT_USAGE;
		goto out;
	}
	if (store_open(db ? db : cfg->database, &store, &e)) {
		fprintf(stderr, "tsunagu: %s\n", e);
		goto out;
	}
	const struct config_org *org = NULL;
	if (store_user_get(store, user_id, &user) || user.revoked_at || !(org = config_find_org(cfg, user.org))) {
		fprintf(stderr, "tsunagu checkup import: no active user '%s'\n", user_id);
		rc = EXIT_USAGE;
		goto out;
	}
	struct cm_caller who = { .user = user.id, .org = org, .roles = user.roles };
	if (!(pw->open_roles & who.roles) || (pw->open_kinds && !(pw->open_kinds & MASK(org->kind)))) {
		fprintf(stderr, "tsunagu checkup import: user %s may not open %s cases\n", user_id, pw->id);
		rc = EXIT_USAGE;
		goto out;
	}
	clock_init(&clk, cfg->calendar.time_zone);
	calendar_init(&cal, &clk, cfg->calendar.business_start_minutes, cfg->calendar.closed_days,
		      cfg->calendar.n_closed_days);
	/* The pathway version must be recorded, as the daemon does at start. */
	size_t source_len;
	char *source = read_file(pw->file, &source_len);
	if (!source || store_begin(store) || store_pathway_register(store, pw->id, pw->version, pw->digest, source,
								     clock_now(&clk))) {
		fprintf(stderr, "tsunagu checkup import: pathway %s v%ld cannot be recorded (changed without a new version?)\n",
			pw->id, pw->version);
		free(source);
		store_rollback(store);
		rc = EXIT_USAGE;
		goto out;
	}
	free(source);
	struct flow f = { .store = store, .cfg = cfg, .cal = &cal, .now = clock_now(&clk), .actor_user = user.id,
			  .actor_org = org->id };
	json_t *report = checkup_import(&f, pw, &who, data, len, clock_local_date(&clk, f.now), &err);
	if (!report) {
		store_rollback(store);
		fprintf(stderr, "tsunagu checkup import: %s\n", err.message);
		rc = err.status >= 500 ? EXIT_RUNTIME : EXIT_USAGE;
		goto out;
	}
	if (store_commit(store)) {
		fprintf(stderr, "tsunagu checkup import: the database could not save the import: %s\n", store_errmsg(store));
		json_decref(report);
		goto out;
	}
	char *text = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	rc = json_array_size(json_object_get(report, "refused")) ? EXIT_PROBLEMS : EXIT_OK;
	json_decref(report);
out:
	free(e);
	free(data);
	cm_error_release(&err);
	store_user_release(&user);
	calendar_release(&cal);
	store_close(store);
	config_free(cfg);
	return rc;
}

const struct cli_command cmd_checkup_import = {
	.name = "checkup import",
	.usage = "FILE --config FILE --user USER_ID [--db PATH] [--pathway ID]",
	.summary = "Import checkup results (CSV, UTF-8 or CP932): open the cases the pathway's rule selects.",
	.help = "  --user USER_ID  the checkup staff member the cases are opened by\n"
		"  --pathway ID    default health-checkup\n"
		"Prints the report as JSON. Exit 0, or 3 when any row was refused (the others are imported).\n",
	.run = run_import,
};
