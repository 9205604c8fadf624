/*
 * cmd_pathway — `tsunagu check` (validate pathway files, or a whole config) and
 * `tsunagu graph` (draw a pathway as DOT or Mermaid).
 */
#include "cli.h"
#include "config.h"
#include "hsds.h"
#include "graph.h"
#include "pathway.h"
#include "store.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static void print_pathway_summary(const struct pathway *pw)
{
	size_t actions = 0, timers = 0;
	for (size_t i = 0; i < pw->n_states; i++) {
		actions += pw->states[i].n_actions;
		timers += pw->states[i].n_timers;
	}
	printf("%s: ok: %s v%ld, %zu states, %zu actions, %zu timers (%s)\n", pw->file, pw->id,
	       pw->version, pw->n_states, actions, timers, pw->title.ja);
}

/*
 * With the database: a pathway changed without a new version would stop serve,
 * so it is an error here too; a broken file says which published version would run.
 */
static void check_against_database(const struct config *cfg, const char *db, struct diag *d)
{
	struct store *store = NULL;
	char *err = NULL;
	/* read only, never migrated: a check must not change the database the daemon is about to open */
	if (store_open(db, STORE_INSPECT, &store, NULL, &err)) {
		diag_add(d, DIAG_ERROR, db, 0, 0, "%s", err);
		free(err);
		return;
	}
	for (size_t i = 0; i < cfg->pathways.n; i++) {
		const struct pathway *pw = cfg->pathways.items[i];
		char digest[65];
		if (store_pathway_digest(store, pw->id, pw->version, digest) == 0 && strcmp(digest, pw->digest))
			diag_add(d, DIAG_ERROR, pw->file, 0, 0,
				 "pathway '%s' version %ld is already in use with other content in %s; raise 'version' to "
				 "publish a change (serve would refuse to start)", pw->id, pw->version, db);
	}
	for (size_t i = 0; i < cfg->broken_pathways.n; i++) {
		const struct pathway_broken *b = &cfg->broken_pathways.items[i];
		long version = 0;
		char *source = store_pathway_latest(store, b->id, &version);
		if (source)
			diag_add(d, DIAG_WARNING, b->file, 0, 0, "serve would run pathway '%s' on version %ld, as %s published it",
				 b->id, version, db);
		else
			diag_add(d, DIAG_WARNING, b->file, 0, 0, "%s has no published version of pathway '%s': none of its "
				 "cases could be opened", db, b->id);
		free(source);
	}
	store_close(store);
}

static int check_config(const char *path, const char *db)
{
	struct diag d;
	diag_init(&d);
	struct config *cfg = config_load(path, &cli_adapters, &d);
	if (cfg && db) {
		char *err = NULL;
		if (config_set_database(cfg, db, &err)) {
			diag_add(&d, DIAG_ERROR, "--db", 0, 0, "%s", err);
			free(err);
		} else {
			check_against_database(cfg, cfg->database, &d);
		}
	} else if (cfg && access(cfg->database, F_OK) == 0) {
		/* what serve would refuse in the database it opens is refused here too (the unit's ExecStartPre) */
		check_against_database(cfg, cfg->database, &d);
	}
	if (cfg && d.errors) {
		config_free(cfg);
		cfg = NULL;
	}
	/* The directory's seed is checked too: a bad one would stop a new database from starting. */
	struct hsds_import seed = { 0 };
	if (cfg && cfg->resources_seed) {
		struct clock clk;
		clock_init(&clk, cfg->calendar.time_zone);
		if (hsds_read(cfg, cfg->resources_seed, clock_local_date(&clk, clock_now(&clk)), &seed, &d)) {
			config_free(cfg);
			cfg = NULL;
		}
	}
	diag_print(&d, stderr);
	int rc = cfg ? EXIT_OK : EXIT_USAGE;
	if (cfg && cfg->resources_seed)
		printf("%s: ok: %zu resources to seed an empty directory\n", cfg->resources_seed, seed.n);
	hsds_import_release(&seed);
	if (cfg) {
		for (size_t i = 0; i < cfg->pathways.n; i++)
			print_pathway_summary(cfg->pathways.items[i]);
		printf("%s: ok: %zu organisations, %zu areas, %zu pathways, database %s\n", path,
		       cfg->n_orgs, cfg->n_areas, cfg->pathways.n, cfg->database);
		if (cfg->broken_pathways.n)
			printf("%s: warning: %zu pathway file%s do%s not compile: serve would start, degraded\n", path,
			       cfg->broken_pathways.n, cfg->broken_pathways.n == 1 ? "" : "s",
			       cfg->broken_pathways.n == 1 ? "es" : "");
	}
	config_free(cfg);
	diag_release(&d);
	return rc;
}

static int run_check(const struct cli_context *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *config = NULL, *db = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			cli_usage(&cmd_check, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(&cmd_check, "unknown option");
		}
	}
	if (!config && optind >= argc)
		return cli_usage_error(&cmd_check, "name at least one pathway file, or --config FILE");
	int rc = EXIT_OK;
	if (db && !config)
		return cli_usage_error(&cmd_check, "--db goes with --config");
	if (config)
		rc = check_config(config, db);

	struct diag d;
	diag_init(&d);
	struct pathway **loaded = xcalloc((size_t)(argc - optind) + 1, sizeof(*loaded));
	size_t n = 0;
	for (int i = optind; i < argc; i++) {
		struct pathway *pw = pathway_load(argv[i], &d);
		if (pw)
			loaded[n++] = pw;
	}
	pathway_check_unique(loaded, n, &d);
	diag_print(&d, stderr);
	if (d.errors == 0)
		for (size_t i = 0; i < n; i++)
			print_pathway_summary(loaded[i]);
	if (d.errors)
		rc = EXIT_USAGE;
	if (d.errors || d.warnings)
		fprintf(stderr, "%zu error%s, %zu warning%s\n", d.errors, d.errors == 1 ? "" : "s",
			d.warnings, d.warnings == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		pathway_free(loaded[i]);
	free(loaded);
	diag_release(&d);
	return rc;
}

const struct cli_command cmd_check = {
	.name = "check",
	.usage = "[--config FILE [--db PATH]] [PATHWAY_FILE...]",
	.summary = "Validate pathway files (every error with file:line:column), and a config with --config.",
	.help = "  --config FILE   also check this config file and the pathways it names: if it passes, serve starts\n"
		"  --db PATH       compare the pathways with the versions this database has published (default:\n"
		"                  the config's database, when there is one)\n"
		"With --config, a pathway file that does not compile is a warning: serve would run degraded, on\n"
		"the last published version of that pathway. Exit code 0 when nothing is fatal (warnings\n"
		"allowed), 2 when anything is.\n",
	.run = run_check,
};

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int run_graph(const struct cli_context *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "pathways", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum graph_format format = GRAPH_DOT;
	const char *dir = "pathways", *config = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:p:c:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (graph_format_parse(optarg, &format))
				return cli_usage_error(&cmd_graph, "unknown format '%s'; use dot or mermaid", optarg);
			break;
		case 'p':
			dir = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			cli_usage(&cmd_graph, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(&cmd_graph, "unknown option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(&cmd_graph, "name one pathway file or pathway id");
	const char *what = argv[optind];
	struct diag d;
	diag_init(&d);
	struct pathway *own = NULL;
	struct config *cfg = NULL;
	struct pathway_set set = { 0 };
	const struct pathway *pw = NULL;
	int rc = EXIT_USAGE;

	if (is_file(what)) {
		pw = own = pathway_load(what, &d);
	} else if (config) {
		cfg = config_load(config, &cli_adapters, &d);
		if (cfg && !(pw = pathway_set_find(&cfg->pathways, what)))
			diag_add(&d, DIAG_ERROR, config, 0, 0, "no pathway with id '%s'", what);
	} else if (pathway_set_load(&set, dir, &d) == 0) {
		if (!(pw = pathway_set_find(&set, what)))
			diag_add(&d, DIAG_ERROR, dir, 0, 0, "no pathway file and no pathway with id '%s'", what);
	}
	diag_print(&d, stderr);
	if (pw) {
		struct buf out;
		buf_init(&out);
		graph_render(pw, format, &out);
		fwrite(out.data, 1, out.len, stdout);
		buf_release(&out);
		rc = EXIT_OK;
	}
	pathway_free(own);
	config_free(cfg);
	pathway_set_release(&set);
	diag_release(&d);
	return rc;
}

const struct cli_command cmd_graph = {
	.name = "graph",
	.usage = "PATHWAY_FILE|PATHWAY_ID [--format dot|mermaid] [--pathways DIR | --config FILE]",
	.summary = "Print a pathway's state machine as Graphviz DOT (default) or Mermaid.",
	.help = "  --format F      dot (default) or mermaid\n"
		"  --pathways DIR  where to find a pathway named by id (default: pathways)\n"
		"  --config FILE   find the pathway in this config's pathways folder\n"
		"Render DOT with Graphviz, e.g.: tsunagu graph pharmacy | dot -Tsvg > pharmacy.svg\n",
	.run = run_graph,
};
