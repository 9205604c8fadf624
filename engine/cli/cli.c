/*
 * cli — helpers shared by the commands: usage text, usage errors and --help,
 * loading the config with the adapters' checks, and the set-up a command
 * declares it needs.
 */
#include "adapter.h"
#include "cli.h"
#include "config.h"
#include "util.h"

#include <stdlib.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cli_usage(const struct cli_command *cmd, FILE *out)
{
	fprintf(out, "usage: tsunagu %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
	if (cmd->help && *cmd->help)
		fprintf(out, "\n%s", cmd->help);
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "tsunagu %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: tsunagu %s %s\n(see tsunagu %s --help)\n", cmd->name, cmd->usage,
		cmd->name);
	return EXIT_USAGE;
}

const struct config_adapters cli_adapters = {
	.names = adapter_names,
	.settings = adapter_settings_of,
	.check = adapter_check_settings,
	.host = adapter_settings_host,
};

void cli_print_refusal(const struct cli_command *cmd, const struct refusal *why)
{
	for (size_t i = 0; i < refusal_count(why); i++) {
		struct refusal_item it = refusal_at(why, i);
		fprintf(stderr, "tsunagu %s: %s%s%s\n", cmd->name, it.field ? it.field : "", it.field ? ": " : "", it.message);
	}
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

struct config *cli_load_config(const char *path)
{
	struct diag d;
	diag_init(&d);
	struct config *cfg = config_load(path, &cli_adapters, &d);
	diag_print(&d, stderr);
	diag_release(&d);
	return cfg;
}

int cli_env_open(struct cli_env *env, const struct cli_command *cmd, unsigned needs, const char *config,
		 const char *db)
{
	memset(env, 0, sizeof(*env));
	if (!config && !((needs & CLI_DB_ALONE) && db))
		return cli_usage_error(cmd, (needs & CLI_DB_ALONE) ? "give --config FILE or --db PATH"
								 : "--config FILE is required");
	/* Without the config, labels fall back to ids and the calendar to the national one. */
	env->cfg = config ? cli_load_config(config) : config_defaults();
	if (!env->cfg)
		return EXIT_USAGE;
	if (db) {
		/* the database the command works on, for everything that derives from it (the forget log) */
		char *err = NULL;
		if (config_set_database(env->cfg, db, &err)) {
			int rc = cli_usage_error(cmd, "--db: %s", err);
			free(err);
			cli_env_close(env);
			return rc;
		}
	}
	const struct config *cfg = env->cfg;
	if (clock_init(&env->clock, cfg->calendar.time_zone)) {
		fprintf(stderr, "tsunagu %s: unknown time zone '%s'\n", cmd->name, cfg->calendar.time_zone);
		cli_env_close(env);
		return EXIT_USAGE;
	}
	if (calendar_init(&env->cal, &env->clock, cfg->calendar.business_start_minutes, cfg->calendar.closed_days,
			  cfg->calendar.n_closed_days)) {
		fprintf(stderr, "tsunagu %s: the calendar's closed days are not dates\n", cmd->name);
		cli_env_close(env);
		return EXIT_USAGE;
	}
	env->core = (struct core){ .cfg = cfg, .clock = &env->clock, .cal = &env->cal };
	if (needs & CLI_STORE) {
		char *err = NULL;
		int rc = store_open(cfg->database, STORE_EXISTING, &env->core.store, NULL, &err);
		if (rc) {
			/* A wrong path is an error, not a new database. */
			fprintf(stderr, "tsunagu %s: %s\n", cmd->name, err);
			free(err);
			cli_env_close(env);
			return rc > 0 ? EXIT_USAGE : EXIT_RUNTIME;
		}
	}
	return 0;
}

void cli_env_close(struct cli_env *env)
{
	core_release(&env->core);
	store_close(env->core.store);
	calendar_release(&env->cal);
	config_free(env->cfg);
	memset(env, 0, sizeof(*env));
}
