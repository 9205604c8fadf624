/*
 * cli — helpers shared by the commands: usage text, usage errors and --help.
 */
#include "cli.h"
#include "config.h"

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
	struct config *cfg = config_load(path, &d);
	diag_print(&d, stderr);
	diag_release(&d);
	return cfg;
}
