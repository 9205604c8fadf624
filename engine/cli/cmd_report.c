/*
 * cmd_report — `tsunagu report funnel|durations|resources|tally|timeline` and
 * `report import-tally`: the same numbers as the API, from the command line, as
 * JSON or CSV (UTF-8 with BOM), and the counts of the years before the system.
 */
#include "cli.h"
#include "csvout.h"
#include "date.h"
#include "flow.h"
#include "report.h"
#include "tally.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Prints a report as JSON, or as CSV (UTF-8 with BOM) through to_csv. */
static void print_report(const json_t *report, const char *format, char *(*to_csv)(const json_t *report))
{
	if (!strcmp(format, "csv")) {
		char *csv = to_csv(report);
		fputs("\xEF\xBB\xBF", stdout);
		fputs(csv, stdout);
		free(csv);
	} else {
		char *text = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text);
		free(text);
	}
}

static int run(const struct cli_command *cmd, int argc, char **argv,
	       json_t *(*make)(struct core *, const struct report_query *))
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 't' },
		{ "group-by", required_argument, NULL, 'g' }, { "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *config = NULL, *db = NULL, *from = NULL, *to = NULL, *group = "pathway", *format = "json";
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:f:t:g:F:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'g': group = optarg; break;
		case 'F': format = optarg; break;
		case 'h':
			cli_usage(cmd, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(cmd, "unknown option");
		}
	}
	date_days df = 0, dt = 0;
	int g = vocab_lookup(report_group_names, group);
	if (optind != argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if ((from && date_parse(from, &df)) || (to && date_parse(to, &dt)))
		return cli_usage_error(cmd, "--from and --to are dates YYYY-MM-DD");
	if (from && to && dt < df)
		return cli_usage_error(cmd, "--to %s is before --from %s: the period is empty", to, from);
	if (g < 0)
		return cli_usage_error(cmd, "--group-by must be pathway, origin, receiver, area, month or fiscal_year");
	if (strcmp(format, "json") && strcmp(format, "csv"))
		return cli_usage_error(cmd, "--format must be json or csv");
	struct cli_env env;
	int rc = cli_env_open(&env, cmd, CLI_DB_ALONE | CLI_STORE, config, db);
	if (rc)
		return rc;
	struct report_query q = { .group = g, .from = from ? clock_local_midnight(&env.clock, df) : 0,
				  .to = to ? clock_local_midnight(&env.clock, dt + 1) : 0 };
	json_t *report = make(&env.core, &q);
	if (!report) {
		fprintf(stderr, "tsunagu %s: %s\n", cmd->name, store_errmsg(env.core.store));
		rc = EXIT_RUNTIME;
	} else {
		print_report(report, format, report_csv);
		json_decref(report);
	}
	cli_env_close(&env);
	return rc;
}

static int run_funnel(const struct cli_context *ctx, int argc, char **argv)
{
	return run(&cmd_report_funnel, argc, argv, report_funnel);
}

static int run_durations(const struct cli_context *ctx, int argc, char **argv)
{
	return run(&cmd_report_durations, argc, argv, report_durations);
}

static int run_resources(const struct cli_context *ctx, int argc, char **argv)
{
	return run(&cmd_report_resources, argc, argv, report_resources);
}

#define REPORT_HELP "  --config FILE   the config (its database unless --db); without it, organisations and areas\n" \
	"                  are shown by id and the calendar has no municipal closed days\n" \
	"  --db PATH       the SQLite database\n" \
	"  --from DATE     cases opened on or after this date\n  --to DATE       cases opened on or before this date\n" \
	"  --group-by G    pathway (default), origin, receiver, area, month or fiscal_year\n" \
	"  --format F      json (default) or csv (UTF-8 with BOM)\n"

const struct cli_command cmd_report_funnel = {
	.name = "report funnel",
	.usage = "[--config FILE] [--db PATH] [--from DATE] [--to DATE] [--group-by G] [--format json|csv]",
	.summary = "Cases per milestone and outcome, per pathway version and group.",
	.help = REPORT_HELP,
	.run = run_funnel,
};

const struct cli_command cmd_report_durations = {
	.name = "report durations",
	.usage = "[--config FILE] [--db PATH] [--from DATE] [--to DATE] [--group-by G] [--format json|csv]",
	.summary = "Business days between milestones (median, p90, max), reminders and escalations.",
	.help = REPORT_HELP,
	.run = run_durations,
};

const struct cli_command cmd_report_resources = {
	.name = "report resources",
	.usage = "[--config FILE] [--db PATH] [--from DATE] [--to DATE] [--group-by G] [--format json|csv]",
	.summary = "Links to community resources proposed, joined, declined and ended, per resource and category.",
	.help = REPORT_HELP "  (--from and --to select the links proposed in the period)\n",
	.run = run_resources,
};

/* ---- records by fiscal year: report tally, report timeline, report import-tally ---------------- */

struct records_args {
	const char *config, *db, *pathway, *field, *date, *action, *year, *kind, *label, *note, *format, *as;
	int from_year, to_year;
};

static int parse_records(const struct cli_command *cmd, int argc, char **argv, struct records_args *a)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "pathway", required_argument, NULL, 'p' }, { "field", required_argument, NULL, 'f' },
		{ "date", required_argument, NULL, 'D' }, { "action", required_argument, NULL, 'a' },
		{ "year", required_argument, NULL, 'y' }, { "kind", required_argument, NULL, 'k' },
		{ "label", required_argument, NULL, 'l' }, { "note", required_argument, NULL, 'n' },
		{ "from-year", required_argument, NULL, 'F' }, { "to-year", required_argument, NULL, 'T' },
		{ "format", required_argument, NULL, 'o' }, { "as", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	memset(a, 0, sizeof(*a));
	a->format = "json";
	optind = 1;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:d:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': a->config = optarg; break;
		case 'd': a->db = optarg; break;
		case 'p': a->pathway = optarg; break;
		case 'f': a->field = optarg; break;
		case 'D': a->date = optarg; break;
		case 'a': a->action = optarg; break;
		case 'y': a->year = optarg; break;
		case 'k': a->kind = optarg; break;
		case 'l': a->label = optarg; break;
		case 'n': a->note = optarg; break;
		case 'F':
		case 'T':
			if (date_fiscal_parse(optarg, opt == 'F' ? &a->from_year : &a->to_year))
				return cli_usage_error(cmd, "--from-year and --to-year are fiscal years (2017, H29, 平成29年度)");
			break;
		case 'o': a->format = optarg; break;
		case 'u': a->as = optarg; break;
		case 'h':
			cli_usage(cmd, stdout);
			return -1;
		default:
			return cli_usage_error(cmd, "unknown option");
		}
	}
	if (!a->pathway)
		return cli_usage_error(cmd, "--pathway ID is required");
	if (strcmp(a->format, "json") && strcmp(a->format, "csv"))
		return cli_usage_error(cmd, "--format must be json or csv");
	return 0;
}

/* The read of a timeline's free texts, logged as the user who asked for it (as a disclosure is). */
struct timeline_read {
	struct core *core;
	struct cm_caller who;
};

static int log_timeline_read(void *ctx)
{
	struct timeline_read *t = ctx;
	struct flow f = { .core = t->core, .now = clock_now(t->core->clock), .who = t->who };
	return flow_log_read(&f, NULL, "report.timeline");
}

static int records_report(const struct cli_command *cmd, int argc, char **argv, bool timeline)
{
	struct records_args a;
	int rc = parse_records(cmd, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (timeline && !a.as)
		return cli_usage_error(cmd, "--as USER_ID is required: the timeline's notes are free text, and who read "
				       "them goes in the access log");
	struct cli_env env;
	if ((rc = cli_env_open(&env, cmd, CLI_CONFIG | CLI_STORE, a.config, a.db)))
		return rc;
	const struct pathway *pw = pathway_set_find(&env.cfg->pathways, a.pathway);
	struct refusal why = { 0 };
	struct store_user user = { 0 };
	json_t *report = NULL;
	if (timeline) {
		struct timeline_read t = { .core = &env.core };
		const struct config_org *org = NULL;
		if (store_user_get(env.core.store, a.as, &user) || user.revoked_at ||
		    !(org = config_find_org(env.cfg, user.org))) {
			fprintf(stderr, "tsunagu %s: no active user '%s'\n", cmd->name, a.as);
			rc = EXIT_USAGE;
			goto out;
		}
		t.who = (struct cm_caller){ .user = user.id, .org = org, .roles = user.roles };
		if (pw && !cm_may_open(pw, &t.who)) {
			fprintf(stderr, "tsunagu %s: %s does not keep %s's records\n", cmd->name, a.as, pw->id);
			rc = EXIT_USAGE;
			goto out;
		}
		if (pw && core_transaction(&env.core, log_timeline_read, &t)) {
			fprintf(stderr, "tsunagu %s: the access log could not be written: %s\n", cmd->name,
				store_errmsg(env.core.store));
			rc = EXIT_RUNTIME;
			goto out;
		}
	}
	if (pw && timeline) {
		struct timeline_query q = { { user.roles }, a.action, a.year, a.kind, a.label, a.note, a.from_year,
					    a.to_year };
		report = timeline_report(&env.core, pw, &q, &why);
	} else if (pw) {
		struct tally_query q = { { 0 }, a.field, a.date, a.from_year, a.to_year };
		report = tally_report(&env.core, pw, &q, &why);
	}
	if (!pw) {
		fprintf(stderr, "tsunagu %s: no pathway '%s' in %s\n", cmd->name, a.pathway, a.config);
		rc = EXIT_USAGE;
	} else if (!report) {
		cli_print_refusal(cmd, &why);
		rc = !strcmp(why.code, "storage_unavailable") ? EXIT_RUNTIME : EXIT_USAGE;
	} else {
		print_report(report, a.format, timeline ? timeline_csv : tally_csv);
	}
out:
	json_decref(report);
	refusal_release(&why);
	store_user_release(&user);
	cli_env_close(&env);
	return rc;
}

static int run_tally(const struct cli_context *ctx, int argc, char **argv)
{
	(void)ctx;
	return records_report(&cmd_report_tally, argc, argv, false);
}

static int run_timeline(const struct cli_context *ctx, int argc, char **argv)
{
	(void)ctx;
	return records_report(&cmd_report_timeline, argc, argv, true);
}

struct tally_import_run {
	struct core *core;
	const struct pathway *pw;
	const char *field, *data;
	size_t len;
	json_t *done;
	struct refusal why;
};

static int import_counts(void *ctx)
{
	struct tally_import_run *t = ctx;
	clock_us now = clock_now(t->core->clock);
	char operator[CORE_OPERATOR_MAX];
	t->done = tally_import(t->core, t->pw, t->field, t->data, t->len, now, &t->why);
	return !t->done || core_admin_event(t->core, now, NULL, core_operator(operator), "tallies_imported", t->done);
}

static int run_import_tally(const struct cli_context *ctx, int argc, char **argv)
{
	(void)ctx;
	const struct cli_command *cmd = &cmd_report_import_tally;
	struct records_args a;
	int rc = parse_records(cmd, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc - 1)
		return cli_usage_error(cmd, "name the CSV file of counts");
	size_t len = 0;
	char *data = read_file(argv[optind], &len);
	if (!data) {
		fprintf(stderr, "tsunagu %s: cannot read %s\n", cmd->name, argv[optind]);
		return EXIT_USAGE;
	}
	struct cli_env env;
	if ((rc = cli_env_open(&env, cmd, CLI_CONFIG | CLI_STORE, a.config, a.db))) {
		free(data);
		return rc;
	}
	struct tally_import_run t = { .core = &env.core, .pw = pathway_set_find(&env.cfg->pathways, a.pathway),
				      .field = a.field, .data = data, .len = len };
	if (!t.pw) {
		fprintf(stderr, "tsunagu %s: no pathway '%s' in %s\n", cmd->name, a.pathway, a.config);
		rc = EXIT_USAGE;
	} else if (core_transaction(&env.core, import_counts, &t)) {
		if (t.why.code) {
			for (size_t i = 0; i < refusal_count(&t.why); i++)
				fprintf(stderr, "%s: %s\n", argv[optind], refusal_at(&t.why, i).message);
		} else {
			fprintf(stderr, "tsunagu %s: the database could not be written\n", cmd->name);
		}
		rc = t.why.code && strcmp(t.why.code, "storage_unavailable") ? EXIT_USAGE : EXIT_RUNTIME;
	} else {
		printf("%s: %lld counts of %s.%s imported\n", argv[optind],
		       (long long)json_integer_value(json_object_get(t.done, "imported")), a.pathway, a.field);
	}
	json_decref(t.done);
	refusal_release(&t.why);
	free(data);
	cli_env_close(&env);
	return rc;
}

const struct cli_command cmd_report_tally = {
	.name = "report tally",
	.usage = "--config FILE --pathway ID --field FIELD [--date FIELD] [--from-year Y] [--to-year Y] [--format json|csv]",
	.summary = "A pathway's records counted by an enum field and fiscal year, with the counts imported for the years before.",
	.help = "  --pathway ID    the pathway (e.g. consultation-desk)\n"
		"  --field FIELD   an enum field: a row per value (e.g. category)\n"
		"  --date FIELD    a date field giving each record's fiscal year (default: its opening)\n"
		"  --from-year Y   the first fiscal year shown (2017, H29, 平成29年度)\n"
		"  --to-year Y     the last\n"
		"  --format F      json (default) or csv (UTF-8 with BOM)\n",
	.run = run_tally,
};

const struct cli_command cmd_report_timeline = {
	.name = "report timeline",
	.usage = "--config FILE --as USER_ID --pathway ID --action A --year FIELD --kind FIELD [--label FIELD] "
		 "[--note FIELD] [--from-year Y] [--to-year Y] [--format json|csv]",
	.summary = "One action's records by fiscal year (e.g. the actions on each coordination issue, year by year).",
	.help = "  --as USER_ID    the coordinator who reads it: the read goes in the access log\n"
		"  --action A      the action whose records are listed (e.g. record_action)\n"
		"  --year FIELD    its int field holding the fiscal year, or a date field\n"
		"  --kind FIELD    its enum field saying what kind of action\n"
		"  --label FIELD   the case's field naming it in the table (default: the case id)\n"
		"  --note FIELD    its text field\n"
		"  --from-year Y, --to-year Y, --format json|csv as for report tally\n",
	.run = run_timeline,
};

const struct cli_command cmd_report_import_tally = {
	.name = "report import-tally",
	.usage = "--config FILE --pathway ID --field FIELD FILE.csv",
	.summary = "Import the counts of the years before the system (fiscal_year,FIELD,count) for report tally.",
	.help = "  --pathway ID    the pathway\n"
		"  --field FIELD   the enum field the counts are of (the CSV's second column has this name)\n"
		"The file: a header fiscal_year,FIELD,count, then a row per fiscal year and value; the year as\n"
		"2017, H29 or 平成29年度, the value as its code or its title. Every row is checked before any is\n"
		"written; a count replaces the one imported before for its year and value.\n",
	.run = run_import_tally,
};
