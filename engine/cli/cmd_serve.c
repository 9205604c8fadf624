/*
 * cmd_serve — `tsunagu serve`: loads and checks the configuration and its
 * pathways, then runs the daemon.
 */
#include "cli.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>

/* What a reload loads: the same file, with the same overrides of the command line. */
struct serve_source {
	const char *path, *listen, *db;
};

static int apply_overrides(struct config *cfg, const struct serve_source *src)
{
	if (src->listen) {
		char *host;
		int port;
		if (config_parse_listen(src->listen, &host, &port))
			return -1;
		free(cfg->listen_host);
		cfg->listen_host = host;
		cfg->listen_port = port;
		config_follow_listen(cfg);
	}
	if (src->db) {
		char *err = NULL;
		if (config_set_database(cfg, src->db, &err)) {
			cli_usage_error(&cmd_serve, "--db: %s", err);
			free(err);
			return -1;
		}
	}
	return 0;
}

static struct config *reload_config(void *ctx, struct diag *d)
{
	const struct serve_source *src = ctx;
	struct config *cfg = config_load(src->path, &cli_adapters, d);
	if (cfg)
		apply_overrides(cfg, src);
	return cfg;
}

static int run_serve(const struct cli_context *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "demo-tokens", no_argument, NULL, 'D' },
		{ "test-clock", required_argument, NULL, 'T' },
		{ "log-format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = NULL, *listen = NULL, *db = NULL, *log_format = "auto";
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
		case 'F': log_format = optarg; break;
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
	if (log_set_format(log_format))
		return cli_usage_error(&cmd_serve, "--log-format must be auto, text, json or journal");
	struct serve_source src = { path, listen, db };
	char *host;
	int port;
	if (listen && config_parse_listen(listen, &host, &port))
		return cli_usage_error(&cmd_serve, "--listen must be HOST:PORT");
	if (listen)
		free(host);
	struct config *cfg = cli_load_config(path);
	if (!cfg) {
		log_msg(LOGM_START_REFUSED, "tsunagu did not start: the config %s has errors (above)", path);
		return EXIT_USAGE;
	}
	if (apply_overrides(cfg, &src)) {
		config_free(cfg);
		return EXIT_USAGE;
	}
	opts.reload_config = reload_config;
	opts.reload_ctx = &src;
	int rc = daemon_run(cfg, &opts);
	config_free(cfg);
	return rc;
}

const struct cli_command cmd_serve = {
	.name = "serve",
	.usage = "--config FILE [--listen HOST:PORT] [--db sqlite:PATH] [--log-format auto|text|json|journal]",
	.summary = "Run the daemon on a config (flags override the file).",
	.help = "  --config FILE       the config file (e.g. configs/demo/tsunagu.yaml)\n"
		"  --listen HOST:PORT  where the HTTP API listens\n"
		"  --db sqlite:PATH    the SQLite database file (a bare PATH too)\n"
		"  --demo-tokens       issue and print tokens for the config's demo_users (make run)\n"
		"  --test-clock TIME   tests only: a clock that moves only through POST /v1/test/clock;\n"
		"                      refused unless the config sets allow_test_clock: true\n"
		"  --log-format F      auto (the journal under systemd, else text), text, json or journal\n"
		"Stops cleanly on SIGINT or SIGTERM; SIGHUP reloads the config, pathways and templates.\n"
		"Every acknowledged action is on disk.\n",
	.run = run_serve,
};
