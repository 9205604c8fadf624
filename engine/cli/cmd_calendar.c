/*
 * cmd_calendar — `tsunagu calendar holidays YEAR` and `tsunagu calendar
 * add-business-days DATE N`, on the business calendar (with a config's extra
 * closed days when --config is given).
 */
#include "calendar.h"
#include "cli.h"
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

/* Parses --config; returns 0 with *cfg (or NULL), an exit code otherwise. */
static int parse_common(const struct cli_command *cmd, int argc, char **argv, struct config **cfg)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *config = NULL;
	int opt;
	*cfg = NULL;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'h':
			cli_usage(cmd, stdout);
			return -1;
		default:
			return cli_usage_error(cmd, "unknown option");
		}
	}
	if (config) {
		*cfg = cli_load_config(config);
		if (!*cfg)
			return EXIT_USAGE;
	}
	return 0;
}

static int run_holidays(const struct cli_context *ctx, int argc, char **argv)
{
	struct config *cfg;
	int rc = parse_common(&cmd_calendar_holidays, argc, argv, &cfg);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	config_free(cfg);
	if (optind != argc - 1)
		return cli_usage_error(&cmd_calendar_holidays, "name one year");
	char *end;
	errno = 0;
	long year = strtol(argv[optind], &end, 10);
	if (*end || errno || year < CALENDAR_FIRST_YEAR || year > CALENDAR_LAST_YEAR)
		return cli_usage_error(&cmd_calendar_holidays, "the year must be from %d to %d",
				       CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR);
	struct holiday hs[40];
	int n = calendar_holidays((int)year, hs, 40);
	for (int i = 0; i < n; i++) {
		char day[11];
		date_format(hs[i].date, day);
		printf("%s %s\n", day, hs[i].name);
	}
	return EXIT_OK;
}

static int run_add(const struct cli_context *ctx, int argc, char **argv)
{
	struct config *cfg;
	int rc = parse_common(&cmd_calendar_add, argc, argv, &cfg);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	date_days d;
	char *end;
	errno = 0;
	long n = optind == argc - 2 ? strtol(argv[optind + 1], &end, 10) : -1;
	if (optind != argc - 2 || date_parse(argv[optind], &d) || *end || errno || n < 0 || n > 100000) {
		config_free(cfg);
		return cli_usage_error(&cmd_calendar_add, "give a date YYYY-MM-DD and a whole number of business days");
	}
	struct clock clk;
	struct calendar cal;
	clock_init(&clk, cfg ? cfg->calendar.time_zone : NULL);
	if (calendar_init(&cal, &clk, cfg ? cfg->calendar.business_start_minutes : 510,
			  cfg ? cfg->calendar.closed_days : NULL, cfg ? cfg->calendar.n_closed_days : 0)) {
		config_free(cfg);
		return EXIT_USAGE;
	}
	char day[11];
	date_format(calendar_add_business_days(&cal, d, n), day);
	printf("%s\n", day);
	calendar_release(&cal);
	config_free(cfg);
	return EXIT_OK;
}

const struct cli_command cmd_calendar_holidays = {
	.name = "calendar holidays",
	.usage = "YEAR",
	.summary = "Print the national holidays of a year (1948–2099): YYYY-MM-DD name.",
	.help = "Computed from the National Holidays Act as it stood in that year, with 振替休日 and 国民の休日.\n"
		"The municipal year-end closure (12/29-1/3) is not a national holiday and is not listed.\n",
	.run = run_holidays,
};

const struct cli_command cmd_calendar_add = {
	.name = "calendar add-business-days",
	.usage = "DATE N [--config FILE]",
	.summary = "Print the date N business days after DATE (DATE itself never counts).",
	.help = "  --config FILE   also skip the config's extra closed days\n"
		"Business days skip weekends, national holidays and the year-end closure (12/29-1/3).\n",
	.run = run_add,
};
