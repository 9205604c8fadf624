/*
 * cmd_subject — `tsunagu subject export --person ID`: a disclosure (APPI 開示請求)
 * for the organisation of the user who prepares it, as JSON or printable text;
 * `tsunagu subject erase`: an erasure on request (APPI art. 35).
 */
#include "cli.h"
#include "config.h"
#include "disclosure.h"
#include "purge.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* The disclosure is built in a transaction: each case read writes its access-log row. */
struct disclosure_run {
	struct core *core;
	struct cm_caller who;
	const char *person;
	clock_us now;
	json_t *result;
};

static int disclose(void *ctx)
{
	struct disclosure_run *d = ctx;
	struct disclosure_scope scope;
	if (disclosure_log_reads(d->core, &d->who, d->who.user, d->person, d->now, &scope))
		return -1;
	d->result = disclosure_build(d->core, &d->who, &scope, d->person, d->now);
	disclosure_scope_release(&scope);
	return d->result ? 0 : -1;
}

static int run_export(const struct cli_context *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "person", required_argument, NULL, 'p' }, { "user", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *config = NULL, *db = NULL, *person = NULL, *user_id = NULL, *format = "json";
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:p:u:f:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'p': person = optarg; break;
		case 'u': user_id = optarg; break;
		case 'f': format = optarg; break;
		case 'h':
			cli_usage(&cmd_subject_export, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(&cmd_subject_export, "unknown option");
		}
	}
	if (!person || !user_id || optind != argc)
		return cli_usage_error(&cmd_subject_export, "give --person ID, --user USER_ID and --config FILE");
	if (strcmp(format, "json") && strcmp(format, "text"))
		return cli_usage_error(&cmd_subject_export, "--format must be json or text");
	struct cli_env env;
	int rc = cli_env_open(&env, &cmd_subject_export, CLI_STORE, config, db);
	if (rc)
		return rc;
	struct store_user user = { 0 };
	const struct config_org *org = NULL;
	rc = EXIT_RUNTIME;
	if (store_user_get(env.core.store, user_id, &user) || user.revoked_at ||
	    !(org = config_find_org(env.cfg, user.org))) {
		fprintf(stderr, "tsunagu subject export: no active user '%s'\n", user_id);
		rc = EXIT_USAGE;
		goto out;
	}
	struct disclosure_run d = { .core = &env.core, .who = { .user = user.id, .org = org, .roles = user.roles },
				    .person = person, .now = clock_now(&env.clock) };
	if (core_transaction(&env.core, disclose, &d)) {
		fprintf(stderr, "tsunagu subject export: %s\n", store_errmsg(env.core.store));
		json_decref(d.result);
		goto out;
	}
	if (!strcmp(format, "text")) {
		char *text = disclosure_text(d.result);
		fputs(text, stdout);
		free(text);
	} else {
		char *text = json_dumps(d.result, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text);
		free(text);
	}
	rc = json_array_size(json_object_get(d.result, "cases")) ? EXIT_OK : EXIT_PROBLEMS;
	json_decref(d.result);
out:
	store_user_release(&user);
	cli_env_close(&env);
	return rc;
}

/* The erasure, in one transaction. */
struct erasure {
	struct core *core;
	const char *person, *reason;
	clock_us now;
	struct erase_result result;
	int rc;
};

static int erase(void *ctx)
{
	struct erasure *e = ctx;
	char operator[CORE_OPERATOR_MAX];
	e->rc = purge_person(e->core, NULL, core_operator(operator), e->person, e->reason, e->now, &e->result);
	return e->rc ? -1 : 0;
}

static int run_erase(const struct cli_context *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "person", required_argument, NULL, 'p' }, { "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *config = NULL, *db = NULL, *person = NULL, *reason = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:d:p:r:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'p': person = optarg; break;
		case 'r': reason = optarg; break;
		case 'h':
			cli_usage(&cmd_subject_erase, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(&cmd_subject_erase, "unknown option");
		}
	}
	if (!person || !reason || !*reason || optind != argc)
		return cli_usage_error(&cmd_subject_erase, "give --person ID, --reason TEXT and --config FILE");
	struct cli_env env;
	int rc = cli_env_open(&env, &cmd_subject_erase, CLI_STORE, config, db);
	if (rc)
		return rc;
	struct erasure e = { .core = &env.core, .person = person, .reason = reason, .now = clock_now(&env.clock) };
	if (core_transaction(&env.core, erase, &e)) {
		if (e.rc > 0) {
			char *open = json_dumps(e.result.open, JSON_COMPACT);
			fprintf(stderr, "tsunagu subject erase: nothing was erased: the person's cases %s are still open; "
				"close them first (an erasure does not decide a case's outcome)\n", open);
			free(open);
			rc = EXIT_USAGE;
		} else {
			fprintf(stderr, "tsunagu subject erase: nothing was erased: %s\n", store_errmsg(env.core.store));
			rc = EXIT_RUNTIME;
		}
	} else if (e.result.erased == 0) {
		fprintf(stderr, "tsunagu subject erase: no case of '%s' is held\n", person);
		rc = EXIT_PROBLEMS;
	} else {
		printf("erased the personal data of %d case%s of %s; counts, outcomes, the audit chain and the provision "
		       "records (with the person's name, kept 3 years) stay\n", e.result.erased,
		       e.result.erased == 1 ? "" : "s", person);
	}
	erase_result_release(&e.result);
	cli_env_close(&env);
	return rc;
}

const struct cli_command cmd_subject_erase = {
	.name = "subject erase",
	.usage = "--person ID --reason TEXT --config FILE [--db PATH]",
	.summary = "Erase one person's personal data on request (APPI art. 35), across their closed cases.",
	.help = "  --person ID     the person_id (e.g. 被保険者番号), a subject id or a case id\n"
		"  --reason TEXT   why (e.g. the person's request of 2026-12-01); recorded in the audit chain\n"
		"Counts, outcomes, the hash chain and the provision records stay (the records keep the name).\n"
		"Refused, erasing nothing, while any of the person's cases is open. Exit 3 when none is held.\n",
	.run = run_erase,
};

const struct cli_command cmd_subject_export = {
	.name = "subject export",
	.usage = "--person ID --user USER_ID --config FILE [--db PATH] [--format json|text]",
	.summary = "Everything held about one person, for a disclosure request (開示請求).",
	.help = "  --person ID     the person_id (e.g. 被保険者番号), a subject id or a case id\n"
		"  --user USER_ID  who prepares it: the disclosure covers what that user's organisation holds\n"
		"  --format F      json (default) or text (printable, in Japanese)\n"
		"Exit 3 when the organisation holds nothing about the person. Every case read is audited.\n",
	.run = run_export,
};
