/*
 * cli — the command table of the `tsunagu` binary. Each command lives in its own
 * cmd_*.c file and exports one `const struct cli_command`; main.c only dispatches.
 * Exit codes are shared: 0 ok, 1 runtime error, 2 usage or invalid input,
 * 3 a check found problems.
 */
#ifndef TSUNAGU_CLI_H
#define TSUNAGU_CLI_H

#include <stdio.h>

enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,
	EXIT_PROBLEMS = 3,
};

struct cli_command {
	const char *name;         /* "check", or "user add" for noun-verb commands */
	const char *usage;        /* the argument synopsis */
	const char *summary;      /* one line for the command list */
	const char *help;         /* the options, one per line, for --help */
	int (*run)(int argc, char **argv);
};

/* Prints "usage: tsunagu NAME USAGE" and the help of cmd to out. */
void cli_usage(const struct cli_command *cmd, FILE *out);

/* Reports a usage error (to stderr, with a pointer to --help) and returns EXIT_USAGE. */
__attribute__((format(printf, 2, 3)))
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...);

struct config;

/* Loads a config, printing its problems to stderr; NULL when it is invalid. */
struct config *cli_load_config(const char *path);

/* True when argv holds -h or --help. */
int cli_wants_help(int argc, char **argv);

extern const struct cli_command cmd_check;
extern const struct cli_command cmd_graph;
extern const struct cli_command cmd_serve;
extern const struct cli_command cmd_org_list;
extern const struct cli_command cmd_user_add;
extern const struct cli_command cmd_user_list;
extern const struct cli_command cmd_user_revoke;
extern const struct cli_command cmd_user_reissue;
extern const struct cli_command cmd_audit_verify;
extern const struct cli_command cmd_calendar_holidays;
extern const struct cli_command cmd_calendar_add;
extern const struct cli_command cmd_notifications_list;
extern const struct cli_command cmd_notifications_retry;
extern const struct cli_command cmd_checkup_import;
extern const struct cli_command cmd_purge;
extern const struct cli_command cmd_report_funnel;
extern const struct cli_command cmd_report_durations;
extern const struct cli_command cmd_report_resources;
extern const struct cli_command cmd_subject_export;
extern const struct cli_command cmd_resources_import;
extern const struct cli_command cmd_resources_export;

#endif
