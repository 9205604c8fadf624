/*
 * cmd_org — `tsunagu org list`: the organisations of a config, one per line.
 */
#include "cli.h"
#include "config.h"

#include <getopt.h>

static int run_org_list(const struct cli_context *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			cli_usage(&cmd_org_list, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(&cmd_org_list, "unknown option");
		}
	}
	if (!path)
		return cli_usage_error(&cmd_org_list, "--config FILE is required");
	if (optind != argc)
		return cli_usage_error(&cmd_org_list, "unexpected argument '%s'", argv[optind]);
	struct config *cfg = cli_load_config(path);
	if (!cfg)
		return EXIT_USAGE;
	for (size_t i = 0; i < cfg->n_orgs; i++) {
		const struct config_org *o = &cfg->orgs[i];
		printf("%s\t%s\t%s\n", o->id, org_kind_names[o->kind], o->name.ja);
	}
	config_free(cfg);
	return EXIT_OK;
}

const struct cli_command cmd_org_list = {
	.name = "org list",
	.usage = "--config FILE",
	.summary = "List the organisations of a config: id, kind and name, tab-separated.",
	.help = "  --config FILE   the config file\n",
	.run = run_org_list,
};
