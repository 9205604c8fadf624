/*
 * cli — the command table of the `tsunagu` binary. Each command lives in its own
 * cmd_*.c file and exports one `const struct cli_command`; main.c only dispatches.
 * Exit codes are shared: 0 ok, 1 runtime error, 2 usage or invalid input,
 * 3 a check found problems.
 */
#ifndef TSUNAGU_CLI_H
#define TSUNAGU_CLI_H

#include <stdio.h>

#include "calendar.h"
#include "clock.h"
#include "config.h"
#include "core.h"
#include "daemon.h"
#include "refusal.h"

enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,
	EXIT_PROBLEMS = 3,
};

/* What main wires into the commands: the edges they run but may not include (the API for serve). */
struct cli_context {
	daemon_bind_fn *bind_api;  /* registers the JSON API's routes with the daemon's HTTP server */
	daemon_bind_fn *bind_metrics; /* the same for the listener of metrics_listen */
};

struct cli_command {
	const char *name;         /* "check", or "user add" for noun-verb commands */
	const char *usage;        /* the argument synopsis */
	const char *summary;      /* one line for the command list */
	const char *help;         /* the options, one per line, for --help */
	int (*run)(const struct cli_context *ctx, int argc, char **argv);
};

/* Prints "usage: tsunagu NAME USAGE" and the help of cmd to out. */
void cli_usage(const struct cli_command *cmd, FILE *out);

/* Reports a usage error (to stderr, with a pointer to --help) and returns EXIT_USAGE. */
__attribute__((format(printf, 2, 3)))
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...);

/* The notification adapters, as the config checks its channels against them. */
extern const struct config_adapters cli_adapters;

/* Loads a config (its channels checked against the adapters), printing its problems to stderr; NULL when invalid. */
struct config *cli_load_config(const char *path);

/*
 * What a command needs before it runs, declared instead of repeated (git's
 * RUN_SETUP): the config named by --config (or, with CLI_DB_ALONE, defaults
 * when only --db is given), the clock and business calendar of its time zone,
 * and with CLI_STORE the database (--db, or the config's).
 */
enum {
	CLI_CONFIG = 1 << 0,       /* --config FILE is required */
	CLI_DB_ALONE = 1 << 1,     /* --db PATH will do without --config (ids as labels, the national calendar) */
	CLI_STORE = 1 << 2,        /* open the database */
};

struct cli_env {
	struct config *cfg;
	struct clock clock;
	struct calendar cal;
	struct core core;          /* cfg, clock, calendar, and the store when CLI_STORE */
};

/* Sets up env for cmd from the --config and --db options. 0, or an exit code (the problem said once). */
int cli_env_open(struct cli_env *env, const struct cli_command *cmd, unsigned needs, const char *config,
		 const char *db);
void cli_env_close(struct cli_env *env);

/* Prints every problem of a refusal, one line each, as "tsunagu CMD: FIELD: message". */
void cli_print_refusal(const struct cli_command *cmd, const struct refusal *why);

/* True when argv holds -h or --help. */
int cli_wants_help(int argc, char **argv);

extern const struct cli_command cmd_check;
extern const struct cli_command cmd_graph;
extern const struct cli_command cmd_pathway_list;
extern const struct cli_command cmd_pathway_diff;
extern const struct cli_command cmd_pathway_migrate;
extern const struct cli_command cmd_serve;
extern const struct cli_command cmd_org_list;
extern const struct cli_command cmd_user_add;
extern const struct cli_command cmd_user_list;
extern const struct cli_command cmd_user_revoke;
extern const struct cli_command cmd_user_reissue;
extern const struct cli_command cmd_user_reassign;
extern const struct cli_command cmd_user_login;
extern const struct cli_command cmd_user_sessions;
extern const struct cli_command cmd_user_totp;
extern const struct cli_command cmd_audit_verify;
extern const struct cli_command cmd_calendar_holidays;
extern const struct cli_command cmd_calendar_add;
extern const struct cli_command cmd_notifications_list;
extern const struct cli_command cmd_notifications_retry;
extern const struct cli_command cmd_checkup_import;
extern const struct cli_command cmd_purge;
extern const struct cli_command cmd_backup;
extern const struct cli_command cmd_restore;
extern const struct cli_command cmd_report_funnel;
extern const struct cli_command cmd_report_durations;
extern const struct cli_command cmd_report_resources;
extern const struct cli_command cmd_report_tally;
extern const struct cli_command cmd_report_timeline;
extern const struct cli_command cmd_report_import_tally;
extern const struct cli_command cmd_subject_export;
extern const struct cli_command cmd_subject_erase;
extern const struct cli_command cmd_resources_import;
extern const struct cli_command cmd_resources_export;

#endif
