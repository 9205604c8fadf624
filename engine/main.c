/*
 * main — the `tsunagu` binary: finds the command named by the first one or two
 * arguments in the command table and runs it, with the edges wired in (the
 * JSON API's routes for the daemon).
 */
#include "api.h"
#include "cli.h"
#include "store.h"
#include "version.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct cli_command *const commands[] = {
	&cmd_serve, &cmd_check, &cmd_graph, &cmd_pathway_list, &cmd_pathway_diff, &cmd_pathway_migrate,
	&cmd_org_list, &cmd_user_add, &cmd_user_list,
	&cmd_user_revoke, &cmd_user_reissue, &cmd_user_reassign, &cmd_user_login, &cmd_user_sessions, &cmd_user_totp, &cmd_audit_verify, &cmd_calendar_holidays, &cmd_calendar_add,
	&cmd_notifications_list, &cmd_notifications_retry, &cmd_checkup_import,
	&cmd_resources_import, &cmd_resources_export, &cmd_purge, &cmd_backup, &cmd_restore, &cmd_report_funnel, &cmd_report_durations, &cmd_report_resources, &cmd_report_tally, &cmd_report_timeline, &cmd_report_import_tally,
	&cmd_subject_export, &cmd_subject_erase,
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void list_commands(FILE *out)
{
	fputs("usage: tsunagu COMMAND [OPTIONS]\n\n"
	      "tsunagu runs social-prescription referral pathways (社会的処方連携パス).\n\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-22s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\nRun 'tsunagu COMMAND --help' for the options of a command.\n"
	      "Exit codes: 0 ok, 1 runtime error, 2 usage or invalid input, 3 a check found problems.\n",
	      out);
}

int main(int argc, char **argv)
{
	static const struct cli_context ctx = { .bind_api = api_bind, .bind_metrics = api_bind_metrics };
	if (argc < 2) {
		list_commands(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		list_commands(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("tsunagu %s (database schema %d)\n", TSUNAGU_VERSION, STORE_SCHEMA_VERSION);
		return EXIT_OK;
	}
	/* Noun-verb commands ("user add") take two words; the others one. */
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct cli_command *cmd = commands[i];
		const char *space = strchr(cmd->name, ' ');
		if (space) {
			size_t noun = (size_t)(space - cmd->name);
			if (argc >= 3 && strlen(argv[1]) == noun && !strncmp(argv[1], cmd->name, noun) &&
			    !strcmp(argv[2], space + 1))
				return cmd->run(&ctx, argc - 2, argv + 2);
		} else if (!strcmp(argv[1], cmd->name)) {
			return cmd->run(&ctx, argc - 1, argv + 1);
		}
	}
	/* A known noun with an unknown or missing verb: list that noun's verbs. */
	size_t len = strlen(argv[1]);
	int noun_known = 0;
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strncmp(commands[i]->name, argv[1], len) && commands[i]->name[len] == ' ')
			noun_known = 1;
	if (noun_known) {
		/* `tsunagu user --help` lists the noun's verbs as help (exit 0); a missing or unknown verb is a usage error. */
		bool help = argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"));
		FILE *out = help ? stdout : stderr;
		fprintf(out, help ? "tsunagu %s:\n" : "tsunagu %s: expected one of:\n", argv[1]);
		for (size_t i = 0; i < N_COMMANDS; i++)
			if (!strncmp(commands[i]->name, argv[1], len) && commands[i]->name[len] == ' ')
				fprintf(out, "  tsunagu %s %s\n      %s\n", commands[i]->name, commands[i]->usage,
					commands[i]->summary);
		if (help)
			fprintf(out, "Run 'tsunagu %s VERB --help' for a verb's options.\n", argv[1]);
		return help ? EXIT_OK : EXIT_USAGE;
	}
	fprintf(stderr, "tsunagu: unknown command '%s'\n\n", argv[1]);
	list_commands(stderr);
	return EXIT_USAGE;
}
