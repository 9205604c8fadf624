/*
 * cmd_report — `tsunagu report funnel|durations|resources`: the same numbers as the API,
 * from the command line, as JSON or CSV (UTF-8 with BOM).
 */
#include "api.h"
#include "cli.h"
#include "csvout.h"
#include "report.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static int run(const struct cli_command *cmd, int argc, char **argv,
	       json_t *(*make)(struct app *, const struct report_query *))
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
	if ((!config && !db) || optind != argc)
		return cli_usage_error(cmd, "give --config FILE or --db PATH");
	if ((from && date_parse(from, &df)) || (to && date_parse(to, &dt)))
		return cli_usage_error(cmd, "--from and --to are dates YYYY-MM-DD");
	if (g < 0)
		return cli_usage_error(cmd, "--group-by must be pathway, origin, receiver, area, month or fiscal_year");
	if (strcmp(format, "json") && strcmp(format, "csv"))
		return cli_usage_error(cmd, "--format must be json or csv");
	/* Without the config, labels fall back to ids and the calendar to the national one. */
	struct config *cfg = config ? cli_load_config(config) : config_defaults();
	if (!cfg)
		return EXIT_USAGE;
	struct clock clk;
	struct calendar cal;
	clock_init(&clk, cfg->calendar.time_zone);
	calendar_init(&cal, &clk, cfg->calendar.business_start_minutes, cfg->calendar.closed_days,
		      cfg->calendar.n_closed_days);
	struct app app = { .cfg = cfg, .clock = &clk, .cal = &cal };
	char *err = NULL;
	int rc = EXIT_RUNTIME;
	if (store_open(db ? db : cfg->database, &app.store, &err)) {
		fprintf(stderr, "tsunagu: %s\n", err);
		free(err);
	} else {
		struct report_query q = { .group = g, .from = from ? clock_local_midnight(&clk, df) : 0,
					  .to = to ? clock_local_midnight(&clk, dt + 1) : 0 };
		json_t *report = make(&app, &q);
		if (!report) {
			fprintf(stderr, "tsunagu: %s\n", store_errmsg(app.store));
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
			rc = EXIT_OK;
		}
	}
	pathway_set_release(&app.older);
	store_close(app.store);
	calendar_release(&cal);
	config_free(cfg);
	return rc;
}

static int run_funnel(int argc, char **argv)
{
	return run(&cmd_report_funnel, argc, argv, report_funnel);
}

static int run_durations(int argc, char **argv)
{
	return run(&cmd_report_durations, argc, argv, report_durations);
}

static int run_resources(int argc, char **argv)
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
