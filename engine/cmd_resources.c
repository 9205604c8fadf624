/*
 * cmd_resources — `tsunagu resources import|export`: the resource directory in
 * Open Referral HSDS 3.0 form, JSON or CSV tables, from and to the database. An
 * import is checked whole before anything is written, and written in one
 * transaction: a file with one bad service changes nothing.
 */
#include "cli.h"
#include "config.h"
#include "hsds.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

struct opts {
	const char *config, *db, *format, *out;
	bool dry_run;
};

static int parse(const struct cli_command *cmd, int argc, char **argv, struct opts *o, int *rc)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'F' }, { "out", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	memset(o, 0, sizeof(*o));
	o->format = "json";
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:F:o:nh", options, NULL)) != -1) {
		switch (opt) {
		case 'c': o->config = optarg; break;
		case 'd': o->db = optarg; break;
		case 'F': o->format = optarg; break;
		case 'o': o->out = optarg; break;
		case 'n': o->dry_run = true; break;
		case 'h':
			cli_usage(cmd, stdout);
			*rc = EXIT_OK;
			return -1;
		default:
			*rc = cli_usage_error(cmd, "unknown option");
			return -1;
		}
	}
	if (!o->config) {
		*rc = cli_usage_error(cmd, "--config FILE is required");
		return -1;
	}
	if (strcmp(o->format, "json") && strcmp(o->format, "csv")) {
		*rc = cli_usage_error(cmd, "--format must be json or csv");
		return -1;
	}
	return 0;
}

static int run_import(int argc, char **argv)
{
	struct opts o;
	int rc = EXIT_USAGE;
	if (parse(&cmd_resources_import, argc, argv, &o, &rc))
		return rc;
	if (optind != argc - 1)
		return cli_usage_error(&cmd_resources_import, "give one FILE (HSDS JSON) or DIR (HSDS CSV tables)");
	const char *path = argv[optind];
	struct config *cfg = cli_load_config(o.config);
	if (!cfg)
		return EXIT_USAGE;
	struct store *store = NULL;
	struct clock clk;
	struct diag d;
	struct hsds_import im = { 0 };
	struct hsds_result res = { 0 };
	char *err = NULL;
	diag_init(&d);
	clock_init(&clk, cfg->calendar.time_zone);
	clock_us now = clock_now(&clk);
	if (store_open(o.db ? o.db : cfg->database, &store, &err)) {
		fprintf(stderr, "tsunagu: %s\n", err);
		rc = EXIT_RUNTIME;
	} else if (o.dry_run) {
		rc = hsds_read(cfg, path, clock_local_date(&clk, now), &im, &d) ? EXIT_USAGE : EXIT_OK;
		if (rc == EXIT_OK)
			printf("{\"services\": %zu, \"dry_run\": true}\n", im.n);
	} else if ((rc = hsds_import_file(store, cfg, path, clock_local_date(&clk, now), "import", now, &res, &d))) {
		rc = rc == -2 ? EXIT_RUNTIME : EXIT_USAGE;
	} else {
		printf("{\"created\": %d, \"updated\": %d, \"unchanged\": %d}\n", res.created, res.updated, res.unchanged);
		rc = EXIT_OK;
	}
	diag_print(&d, stderr);
	if (d.errors)
		fprintf(stderr, "tsunagu resources import: %zu problem(s); nothing was imported\n", d.errors);
	diag_release(&d);
	hsds_import_release(&im);
	free(err);
	store_close(store);
	config_free(cfg);
	return rc;
}

static int run_export(int argc, char **argv)
{
	struct opts o;
	int rc = EXIT_USAGE;
	if (parse(&cmd_resources_export, argc, argv, &o, &rc))
		return rc;
	if (optind != argc)
		return cli_usage_error(&cmd_resources_export, "unexpected argument '%s'", argv[optind]);
	bool csv = !strcmp(o.format, "csv");
	if (csv && !o.out)
		return cli_usage_error(&cmd_resources_export, "--format csv writes a folder of tables: give --out DIR");
	struct config *cfg = cli_load_config(o.config);
	if (!cfg)
		return EXIT_USAGE;
	struct store *store = NULL;
	struct clock clk;
	char *err = NULL;
	rc = EXIT_RUNTIME;
	clock_init(&clk, cfg->calendar.time_zone);
	if (store_open(o.db ? o.db : cfg->database, &store, &err)) {
		fprintf(stderr, "tsunagu: %s\n", err);
	} else if (csv) {
		if (hsds_export_csv(cfg, &clk, store, o.out, &err))
			fprintf(stderr, "tsunagu resources export: %s\n", err);
		else
			rc = EXIT_OK;
	} else {
		json_t *page = hsds_export_json(cfg, &clk, store);
		char *text = page ? json_dumps(page, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		FILE *f = !text ? NULL : o.out ? fopen(o.out, "w") : stdout;
		if (!page) {
			fprintf(stderr, "tsunagu resources export: %s\n", store_errmsg(store));
		} else if (!f) {
			fprintf(stderr, "tsunagu resources export: cannot write %s: %s\n", o.out, strerror(errno));
		} else {
			fprintf(f, "%s\n", text);
			if ((f != stdout && fclose(f)) || (f == stdout && fflush(f)))
				fprintf(stderr, "tsunagu resources export: cannot write %s: %s\n", o.out ? o.out : "stdout",
					strerror(errno));
			else
				rc = EXIT_OK;
		}
		free(text);
		json_decref(page);
	}
	free(err);
	store_close(store);
	config_free(cfg);
	return rc;
}

const struct cli_command cmd_resources_import = {
	.name = "resources import",
	.usage = "FILE|DIR --config FILE [--db PATH] [--dry-run]",
	.summary = "Import a resource directory in Open Referral HSDS 3.0 form (JSON file or folder of CSV tables).",
	.help = "  FILE            HSDS JSON: a page {\"contents\": [services]} or a list of services\n"
		"  DIR             HSDS CSV tables: service.csv, organization.csv, phone.csv, contact.csv,\n"
		"                  schedule.csv, service_area.csv, location.csv, address.csv,\n"
		"                  service_at_location.csv, attribute.csv, taxonomy_term.csv, taxonomy.csv\n"
		"  --dry-run       check only; write nothing\n"
		"Services are matched by id: new ones are created, changed ones replaced. Every problem is\n"
		"printed as file:line:column and then nothing is imported (exit 2).\n",
	.run = run_import,
};

const struct cli_command cmd_resources_export = {
	.name = "resources export",
	.usage = "--config FILE [--db PATH] [--format json|csv] [--out PATH]",
	.summary = "Export the resource directory in Open Referral HSDS 3.0 form.",
	.help = "  --format json   a page of compiled HSDS services (default; to stdout unless --out FILE)\n"
		"  --format csv    the HSDS tables and datapackage.json into the folder --out DIR\n",
	.run = run_export,
};
