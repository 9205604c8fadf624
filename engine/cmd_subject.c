/*
 * cmd_subject — `tsunagu subject export --person ID`: a disclosure (APPI 開示請求)
 * for the organisation of the user who prepares it, as JSON or printable text.
 */
#include "cli.h"
#include "config.h"
#include "disclosure.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static int run_export(int argc, char **argv)
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
	if (!config || !person || !user_id || optind != argc)
		return cli_usage_error(&cmd_subject_export, "give --person ID, --user USER_ID and --config FILE");
	if (strcmp(format, "json") && strcmp(format, "text"))
		return cli_usage_error(&cmd_subject_export, "--format must be json or text");
	struct config *cfg = cli_load_config(config);
	if (!cfg)
		return EXIT_USAGE;
	struct clock clk;
	clock_init(&clk, cfg->calendar.time_zone);
	struct app app = { .cfg = cfg, .clock = &clk };
	struct store_user user = { 0 };
	char *err = NULL;
	int rc = EXIT_RUNTIME;
	const struct config_org *org = NULL;
	if (store_open(db ? db : cfg->database, &app.store, &err)) {
		fprintf(stderr, "tsunagu: %s\n", err);
		free(err);
		goto out;
	}
	if (store_user_get(app.store, user_id, &user) || user.revoked_at || !(org = config_find_org(cfg, user.org))) {
		fprintf(stderr, "tsunagu subject export: no active user '%s'\n", user_id);
		rc = EXIT_USAGE;
		goto out;
	}
	struct cm_caller who = { .user = user.id, .org = org, .roles = user.roles };
	json_t *d = NULL;
	if (store_begin(app.store) || !(d = disclosure_build(&app, &who, user.id, person, clock_now(&clk))) ||
	    store_commit(app.store)) {
		fprintf(stderr, "tsunagu subject export: %s\n", store_errmsg(app.store));
		store_rollback(app.store);
		json_decref(d);
		goto out;
	}
	if (!strcmp(format, "text")) {
		char *text = disclosure_text(d);
		fputs(text, stdout);
		free(text);
	} else {
		char *text = json_dumps(d, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text);
		free(text);
	}
	rc = json_array_size(json_object_get(d, "cases")) ? EXIT_OK : EXIT_PROBLEMS;
	json_decref(d);
out:
	store_user_release(&user);
	pathway_set_release(&app.older);
	store_close(app.store);
	config_free(cfg);
	return rc;
}

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
