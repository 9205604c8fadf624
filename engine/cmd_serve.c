/*
 * cmd_serve — `tsunagu serve`: loads and checks the configuration and its
 * pathways, then runs the daemon.
 */
#include "cli.h"
#include "config.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>

static int run_serve(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = NULL, *listen = NULL, *db = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:l:d:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'l': listen = optarg; break;
		case 'd': db = optarg; break;
		case 'h':
			cli_usage(&cmd_serve, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(&cmd_serve, "unknown option");
		}
	}
	if (!path)
		return cli_usage_error(&cmd_serve, "--config FILE is required");
	if (optind != argc)
		return cli_usage_error(&cmd_serve, "unexpected argument '%s'", argv[optind]);
	struct diag d;
	diag_init(&d);
	struct config *cfg = config_load(path, &d);
	diag_print(&d, stderr);
	diag_release(&d);
	if (!cfg)
		return EXIT_USAGE;
	if (listen) {
		char *host;
		int port;
		if (config_parse_listen(listen, &host, &port)) {
			config_free(cfg);
			return cli_usage_error(&cmd_serve, "--listen must be HOST:PORT");
		}
		free(cfg->listen_host);
		cfg->listen_host = host;
		cfg->listen_port = port;
	}
	if (db) {
		free(cfg->database);
		cfg->database = xstrdup(db);
	}
	fprintf(stderr, "tsunagu: config %s: %zu organisations, %zu areas\n", cfg->file, cfg->n_orgs, cfg->n_areas);
	for (size_t i = 0; i < cfg->pathways.n; i++) {
		const struct pathway *pw = cfg->pathways.items[i];
		fprintf(stderr, "tsunagu: pathway %s v%ld (%s): %zu states\n", pw->id, pw->version,
			pw->title.ja, pw->n_states);
	}
	fprintf(stderr, "tsunagu: the HTTP daemon is not part of this build yet; "
		"configuration and pathways are valid (database would be %s, listening on %s:%d)\n",
		cfg->database, cfg->listen_host, cfg->listen_port);
	config_free(cfg);
	return EXIT_RUNTIME;
}

const struct cli_command cmd_serve = {
	.name = "serve",
	.usage = "--config FILE [--listen HOST:PORT] [--db PATH]",
	.summary = "Run the daemon on a config (flags override the file).",
	.help = "  --config FILE       the config file (e.g. configs/demo/tsunagu.yaml)\n"
		"  --listen HOST:PORT  where the HTTP API listens\n"
		"  --db PATH           the SQLite database file\n",
	.run = run_serve,
};
