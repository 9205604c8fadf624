/*
 * cmd_backup — `tsunagu backup` (a checked copy while the daemon runs, with
 * its manifest; --new-key makes a key file for sealed backups) and
 * `tsunagu restore` (refused while the daemon runs).
 */
#include "backup.h"
#include "cli.h"
#include "seal.h"

#include <getopt.h>
#include <stdlib.h>

static int run_backup(const struct cli_context *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },    { "key-file", required_argument, NULL, 'k' },
		{ "new-key", required_argument, NULL, 'N' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *config = NULL, *db = NULL, *out = NULL, *key_file = NULL, *new_key = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:o:k:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'o': out = optarg; break;
		case 'k': key_file = optarg; break;
		case 'N': new_key = optarg; break;
		case 'h':
			cli_usage(&cmd_backup, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(&cmd_backup, "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(&cmd_backup, "unexpected argument '%s'", argv[optind]);
	char *err = NULL;
	if (new_key) {
		if (seal_key_new(new_key, &err)) {
			fprintf(stderr, "tsunagu backup: %s\n", err);
			free(err);
			return EXIT_RUNTIME;
		}
		printf("a new key in %s (mode 0600): keep a copy apart from the backups; without it they do not open\n",
		       new_key);
		return EXIT_OK;
	}
	if (!out)
		return cli_usage_error(&cmd_backup, "--out FILE is required");
	struct cli_env env;
	int rc = cli_env_open(&env, &cmd_backup, CLI_DB_ALONE, config, db);
	if (rc)
		return rc;
	if (!key_file)
		key_file = env.cfg->backup.key_file;
	struct backup_manifest m;
	if (backup_take(env.cfg->database, out, key_file, clock_now(&env.clock), &m, &err)) {
		fprintf(stderr, "tsunagu backup: %s\n", err);
		free(err);
		rc = EXIT_RUNTIME;
	} else {
		char *manifest = backup_manifest_path(out);
		printf("backup %s%s: schema %d, %lld events, the chain whole (head %.16s…); manifest %s\n", out,
		       m.encrypted ? " (encrypted)" : "", m.schema, (long long)m.events, m.head_hash, manifest);
		free(manifest);
	}
	cli_env_close(&env);
	return rc;
}

const struct cli_command cmd_backup = {
	.name = "backup",
	.usage = "--out FILE (--config FILE | --db PATH) [--key-file KEY] | --new-key KEY",
	.summary = "Copy the database while the daemon runs, check the copy, write its manifest.",
	.help = "  --out FILE      where the backup goes (never over an existing file); FILE.manifest.json beside it\n"
		"  --config FILE   use the config's database (and backup.key_file)\n"
		"  --db PATH       the SQLite database\n"
		"  --key-file KEY  encrypt the backup (AES-256-GCM) with this key file (mode 0600)\n"
		"  --new-key KEY   make a new random key file and stop\n"
		"The copy is checked (integrity_check, the event chain) before it is kept; files are 0600.\n",
	.run = run_backup,
};

static int run_restore(const struct cli_context *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "key-file", required_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *config = NULL, *db = NULL, *key_file = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:k:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'k': key_file = optarg; break;
		case 'h':
			cli_usage(&cmd_restore, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(&cmd_restore, "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(&cmd_restore, "give the backup FILE to restore");
	struct cli_env env;
	int rc = cli_env_open(&env, &cmd_restore, CLI_DB_ALONE, config, db);
	if (rc)
		return rc;
	if (!key_file)
		key_file = env.cfg->backup.key_file;
	struct restore_result res;
	char *err = NULL;
	if (backup_restore(env.cfg, &env.clock, &env.cal, argv[optind], key_file, &res, &err)) {
		fprintf(stderr, "tsunagu restore: %s\n", err);
		free(err);
		rc = EXIT_RUNTIME;
	} else {
		printf("restored %s into %s: %lld events, the chain whole%s; %d sessions ended; the forget log done "
		       "again: %d applied, %d with nothing left to do, %d the backup holds already\n",
		       argv[optind], env.cfg->database, (long long)res.events,
		       res.had_manifest ? ", as its manifest says" : " (no manifest beside it)", res.sessions_ended,
		       res.replay.applied, res.replay.skipped, res.replay.held);
		if (res.replaced)
			printf("the database it replaced is kept as %s (with its -wal): it holds personal data; delete it "
			       "once the restore is checked\n", res.replaced);
		if (res.replay.no_log)
			printf("WARNING: there is no forget log beside the database: nothing revoked, erased or purged since "
			       "the backup was done again. If the log was lost with the old disk, do those again by hand "
			       "(docs/operations.md, Restore)\n");
		size_t i;
		json_t *item;
		json_array_foreach(res.replay.enrolment, i, item)
			printf("enrol again: %s %s (the passphrase was reset after the backup; give the person this code)\n",
			       json_string_value(json_object_get(item, "login")),
			       json_string_value(json_object_get(item, "code")));
		json_array_foreach(res.replay.refused, i, item)
			printf("NOT DONE AGAIN: %s\n", json_string_value(item));
		rc = json_array_size(res.replay.refused) ? EXIT_PROBLEMS : EXIT_OK;
	}
	restore_result_release(&res);
	cli_env_close(&env);
	return rc;
}

const struct cli_command cmd_restore = {
	.name = "restore",
	.usage = "FILE (--config FILE | --db PATH) [--key-file KEY]",
	.summary = "Put a backup in place of the database (the daemon stopped); ends sessions, forgets again.",
	.help = "  FILE            a backup made by tsunagu backup (checked against FILE.manifest.json)\n"
		"  --config FILE   restore into the config's database\n"
		"  --db PATH       restore into this database file\n"
		"  --key-file KEY  the key an encrypted backup was made with\n"
		"Refused while a daemon holds the database. Removes the old -wal and -shm, ends every session,\n"
		"and does again the revocations, purges and erasures recorded since (the forget log).\n"
		"Exit 3 when something of the forget log could not be done again (it says what).\n",
	.run = run_restore,
};
