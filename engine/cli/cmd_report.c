/*
 * cmd_report — `tsunagu report funnel|durations|resources`: the same numbers as the API,
 * from the command line, as JSON or CSV (UTF-8 with BOM).
 */
#include "cli.h"
#include "csvout.h"
#include "report.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

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
		if (!strcmp(format, "csv")) {
			char *csv = report_csv(report);
			fputs("\xEF\xBB\xBF", stdout);
			fputs(csv, stdout);
			free(csv);
		} else {
			char *text = json_dumps(report, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			printf("%s\n", text);
			free(text);
		}
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
