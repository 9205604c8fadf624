/*
 * cmd_resources — `tsunagu resources import|export`: the resource directory in
 * Open Referral HSDS 3.0 form, JSON or CSV tables, from and to the database. An
 * import is checked whole before anything is written, and written in one
 * transaction: a file with one bad service changes nothing.
 */
#include "cli.h"
#include "config.h"
#include "hsds.h"
#include "publicdir.h"
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
	if (strcmp(o->format, "json") && strcmp(o->format, "csv") && (strcmp(o->format, "html") || cmd == &cmd_resources_import)) {
		*rc = cli_usage_error(cmd, cmd == &cmd_resources_import ? "--format must be json or csv"
									 : "--format must be json, csv or html");
		return -1;
	}
	return 0;
}

/* An import, in one transaction. */
struct directory_import {
	struct core *core;
	const char *path;
	date_days today;
	clock_us now;
	struct diag *d;
	struct hsds_result res;
	int rc;                    /* hsds_import_file's answer */
};

static int import_directory(void *ctx)
{
	struct directory_import *r = ctx;
	r->rc = hsds_import_file(r->core->store, r->core->cfg, r->path, r->today, "import", r->now, &r->res, r->d);
	return r->rc ? -1 : 0;
}

static int run_import(const struct cli_context *ctx, int argc, char **argv)
{
	struct opts o;
	int rc = EXIT_USAGE;
	if (parse(&cmd_resources_import, argc, argv, &o, &rc))
		return rc;
	if (optind != argc - 1)
		return cli_usage_error(&cmd_resources_import, "give one FILE (HSDS JSON) or DIR (HSDS CSV tables)");
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_resources_import, CLI_STORE, o.config, o.db)))
		return rc;
	struct diag d;
	struct hsds_import im = { 0 };
	clock_us now = clock_now(&env.clock);
	struct directory_import run = { .core = &env.core, .path = argv[optind], .today = clock_local_date(&env.clock, now),
					.now = now, .d = &d };
	diag_init(&d);
	if (o.dry_run) {
		rc = hsds_read(env.cfg, run.path, run.today, &im, &d) ? EXIT_USAGE : EXIT_OK;
		if (rc == EXIT_OK)
			printf("{\"services\": %zu, \"dry_run\": true}\n", im.n);
	} else if (core_transaction(&env.core, import_directory, &run)) {
		rc = run.rc == -1 ? EXIT_USAGE : EXIT_RUNTIME;
		if (!run.rc)
			diag_add(&d, DIAG_ERROR, run.path, 0, 0, "cannot write the directory to the database: %s",
				 store_errmsg(env.core.store));
	} else {
		printf("{\"created\": %d, \"updated\": %d, \"unchanged\": %d}\n", run.res.created, run.res.updated,
		       run.res.unchanged);
		rc = EXIT_OK;
	}
	diag_print(&d, stderr);
	if (d.errors)
		fprintf(stderr, "tsunagu resources import: %zu problem(s); nothing was imported\n", d.errors);
	diag_release(&d);
	hsds_import_release(&im);
	cli_env_close(&env);
	return rc;
}

static int run_export(const struct cli_context *ctx, int argc, char **argv)
{
	struct opts o;
	int rc = EXIT_USAGE;
	if (parse(&cmd_resources_export, argc, argv, &o, &rc))
		return rc;
	if (optind != argc)
		return cli_usage_error(&cmd_resources_export, "unexpected argument '%s'", argv[optind]);
	bool csv = !strcmp(o.format, "csv"), html = !strcmp(o.format, "html");
	if ((csv || html) && !o.out)
		return cli_usage_error(&cmd_resources_export, "--format %s writes a folder: give --out DIR", o.format);
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_resources_export, CLI_STORE, o.config, o.db)))
		return rc;
	const struct config *cfg = env.cfg;
	struct store *store = env.core.store;
	char *err = NULL;
	rc = EXIT_RUNTIME;
	int published = 0;
	if (html) {
		if (publicdir_export(cfg, &env.clock, store, o.out, &published, &err)) {
			fprintf(stderr, "tsunagu resources export: %s\n", err);
		} else {
			printf("wrote the public directory (%d published resources, by area) to %s/index.html\n", published,
			       o.out);
			rc = EXIT_OK;
		}
	} else if (csv) {
		if (hsds_export_csv(cfg, &env.clock, store, o.out, &err)) {
			fprintf(stderr, "tsunagu resources export: %s\n", err);
		} else {
			printf("wrote the directory (%lld resources) as HSDS CSV tables to %s\n",
			       (long long)store_resources_count(store), o.out);
			rc = EXIT_OK;
		}
	} else {
		json_t *page = hsds_export_json(cfg, &env.clock, store);
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
			if (rc == EXIT_OK && o.out)
				printf("wrote the directory (%zu resources) as HSDS JSON to %s\n",
				       json_array_size(json_object_get(page, "contents")), o.out);
		}
		free(text);
		json_decref(page);
	}
	free(err);
	cli_env_close(&env);
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
	.usage = "--config FILE [--db PATH] [--format json|csv|html] [--out PATH]",
	.summary = "Export the resource directory in Open Referral HSDS 3.0 form, or as the public static site.",
	.help = "  --format json   a page of compiled HSDS services (default; to stdout unless --out FILE)\n"
		"  --format csv    the HSDS tables and datapackage.json into the folder --out DIR\n"
		"  --format html   the public directory (医療・介護資源リスト) into --out DIR: index.html and a\n"
		"                  page per area, only resources whose provider agreed (publish), a phone only\n"
		"                  when marked public, stale confirmations marked (resources.stale_after_months)\n",
	.run = run_export,
};
