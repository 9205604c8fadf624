/*
 * cmd_serve — `tsunagu serve`: loads and checks the configuration and its
 * pathways, then runs the daemon.
 */
#include "cli.h"
#include "config.h"
#include "daemon.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>

static int run_serve(const struct cli_context *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "demo-tokens", no_argument, NULL, 'D' },
		{ "test-clock", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = NULL, *listen = NULL, *db = NULL;
	struct daemon_options opts = { .bind_api = ctx->bind_api, .bind_metrics = ctx->bind_metrics };
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:l:d:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'l': listen = optarg; break;
		case 'd': db = optarg; break;
		case 'D': opts.demo_tokens = true; break;
		case 'T': opts.test_clock = optarg; break;
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
	struct config *cfg = cli_load_config(path);
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
		config_follow_listen(cfg);
	}
	if (db) {
		free(cfg->database);
		cfg->database = xstrdup(db);
	}
	int rc = daemon_run(cfg, &opts);
	config_free(cfg);
	return rc;
}

const struct cli_command cmd_serve = {
	.name = "serve",
	.usage = "--config FILE [--listen HOST:PORT] [--db PATH]",
	.summary = "Run the daemon on a config (flags override the file).",
	.help = "  --config FILE       the config file (e.g. configs/demo/tsunagu.yaml)\n"
		"  --listen HOST:PORT  where the HTTP API listens\n"
		"  --db PATH           the SQLite database file\n"
		"  --demo-tokens       issue and print tokens for the config's demo_users (make run)\n"
		"  --test-clock TIME   tests only: a clock that moves only through POST /v1/test/clock;\n"
		"                      refused unless the config sets allow_test_clock: true\n"
		"Stops cleanly on SIGINT or SIGTERM. Every acknowledged action is on disk.\n",
	.run = run_serve,
};
