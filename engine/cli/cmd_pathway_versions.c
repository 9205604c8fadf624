/*
 * cmd_pathway_versions — `tsunagu pathway list|diff|migrate`: the versions of
 * each pathway a database has recorded and the cases running on each, what
 * changed between two versions (the review pack's comparison, as text), and
 * moving running cases from one version to another, with a dry run first.
 * A migration writes a batch per transaction: stopped halfway, it is finished
 * by running it again.
 */
#include "cli.h"
#include "migrate.h"
#include "pathway_diff.h"
#include "store.h"
#include "util.h"
#include "ydoc.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

struct versions_args {
	const char *config, *db, *map, *from, *to;
	bool json, dry_run;
};

/* Parses the options the three commands share; the positional arguments stay in argv[optind…]. */
static int parse(const struct cli_command *cmd, int argc, char **argv, struct versions_args *a)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' }, { "db", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 't' },
		{ "map", required_argument, NULL, 'm' }, { "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	memset(a, 0, sizeof(*a));
	optind = 1;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:d:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': a->config = optarg; break;
		case 'd': a->db = optarg; break;
		case 'f': a->from = optarg; break;
		case 't': a->to = optarg; break;
		case 'm': a->map = optarg; break;
		case 'n': a->dry_run = true; break;
		case 'j': a->json = true; break;
		case 'h':
			cli_usage(cmd, stdout);
			return -1;
		default:
			return cli_usage_error(cmd, "unknown option");
		}
	}
	return 0;
}

static int parse_version(const struct cli_command *cmd, const char *what, const char *text, long *out)
{
	char *end = NULL;
	long v = text ? strtol(text, &end, 10) : 0;
	if (!text || !*text || *end || v < 1)
		return cli_usage_error(cmd, "%s must be a version number", what);
	*out = v;
	return 0;
}

static void print_json(json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("%s\n", text);
	free(text);
}

/* ---- pathway list ------------------------------------------------------------------------------ */

struct listing {
	const struct core *core;
	long loaded;
	json_t *versions;
};

static void list_version(void *ctx, long version, clock_us recorded_at, int64_t running)
{
	struct listing *l = ctx;
	json_array_append_new(l->versions, json_pack("{s:I, s:b, s:o, s:I}", "version", (json_int_t)version, "loaded",
						     version == l->loaded, "recorded_at", core_time_json(l->core, recorded_at),
						     "running_cases", (json_int_t)running));
}

static int add_recorded(void *ctx, const char *pathway)
{
	if (!json_object_get(ctx, pathway))
		json_object_set_new(ctx, pathway, json_null());
	return 0;
}

static int run_list(const struct cli_context *ctx, int argc, char **argv)
{
	(void)ctx;
	struct versions_args a;
	int rc = parse(&cmd_pathway_list, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind != argc)
		return cli_usage_error(&cmd_pathway_list, "no arguments beyond the options");
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_pathway_list, CLI_CONFIG | CLI_DB_ALONE | CLI_STORE, a.config, a.db)))
		return rc;
	/* the loaded pathways, and those the database recorded that the config no longer loads */
	json_t *ids = json_object(), *out = json_array();
	for (size_t i = 0; i < env.cfg->pathways.n; i++)
		json_object_set_new(ids, env.cfg->pathways.items[i]->id, json_null());
	rc = store_pathway_ids(env.core.store, add_recorded, ids) ? EXIT_RUNTIME : EXIT_OK;
	const char *id;
	json_t *unused;
	json_object_foreach(ids, id, unused) {
		if (rc)
			break;
		const struct pathway *pw = pathway_set_find(&env.cfg->pathways, id);
		struct listing l = { &env.core, pw ? pw->version : 0, json_array() };
		if (store_pathway_versions(env.core.store, id, list_version, &l))
			rc = EXIT_RUNTIME;
		json_array_append_new(out, json_pack("{s:s, s:o, s:o, s:o}", "pathway", id, "title",
						     pw ? json_pack("{s:s, s:s}", "ja", pw->title.ja, "en", pw->title.en)
							: json_null(),
						     "loaded_version", pw ? json_integer(pw->version) : json_null(),
						     "versions", l.versions));
	}
	if (rc) {
		fprintf(stderr, "tsunagu pathway list: the database could not be read\n");
	} else if (a.json) {
		print_json(out);
	} else {
		size_t i;
		json_t *p;
		json_array_foreach(out, i, p) {
			const json_t *title = json_object_get(p, "title");
			printf("%s%s%s\n", json_string_value(json_object_get(p, "pathway")), title ? "  " : "  (not loaded)",
			       title ? json_string_value(json_object_get(title, "ja")) : "");
			size_t k;
			json_t *v;
			bool loaded_recorded = false;
			json_array_foreach(json_object_get(p, "versions"), k, v) {
				bool loaded = json_is_true(json_object_get(v, "loaded"));
				loaded_recorded |= loaded;
				printf("  v%-4lld recorded %s  %6lld running%s\n",
				       (long long)json_integer_value(json_object_get(v, "version")),
				       json_string_value(json_object_get(v, "recorded_at")),
				       (long long)json_integer_value(json_object_get(v, "running_cases")),
				       loaded ? "  (loaded)" : "");
			}
			if (title && !loaded_recorded)
				printf("  v%-4lld not recorded yet: a daemon records it when it starts or reloads with it\n",
				       (long long)json_integer_value(json_object_get(p, "loaded_version")));
		}
	}
	json_decref(out);
	json_decref(ids);
	cli_env_close(&env);
	return rc;
}

const struct cli_command cmd_pathway_list = {
	.name = "pathway list",
	.usage = "--config FILE | --db PATH [--json]",
	.summary = "List each pathway's recorded versions and the cases running on each.",
	.help = "  --config FILE   the daemon's config (its loaded pathways and database)\n"
		"  --db PATH       the database (default: the config's)\n"
		"  --json          print JSON instead of text\n",
	.run = run_list,
};

/* ---- pathway diff ------------------------------------------------------------------------------ */

static void print_changes(const char *heading, const json_t *list)
{
	if (!json_array_size(list))
		return;
	printf("%s\n", heading);
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		const char *change = json_string_value(json_object_get(e, "change"));
		const char *ja = json_string_value(json_object_get(json_object_get(e, "title"), "ja"));
		printf("  %c %-8s %s", !strcmp(change, "added") ? '+' : !strcmp(change, "removed") ? '-' : '~', change,
		       json_string_value(json_object_get(e, "name")));
		if (ja)
			printf("  「%s」", ja);
		const json_t *what = json_object_get(e, "what");
		size_t k;
		json_t *w;
		json_array_foreach(what, k, w)
			printf("%s%s", k ? ", " : ": ", json_string_value(w));
		printf("\n");
	}
}

static int run_diff(const struct cli_context *ctx, int argc, char **argv)
{
	(void)ctx;
	struct versions_args a;
	int rc = parse(&cmd_pathway_diff, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	long v1, v2;
	if (optind != argc - 3)
		return cli_usage_error(&cmd_pathway_diff, "name a pathway and two versions");
	if ((rc = parse_version(&cmd_pathway_diff, "V1", argv[optind + 1], &v1)) ||
	    (rc = parse_version(&cmd_pathway_diff, "V2", argv[optind + 2], &v2)))
		return rc;
	const char *id = argv[optind];
	struct cli_env env;
	if ((rc = cli_env_open(&env, &cmd_pathway_diff, CLI_CONFIG | CLI_DB_ALONE | CLI_STORE, a.config, a.db)))
		return rc;
	const struct pathway *from = core_pathway(&env.core, id, v1), *to = from ? core_pathway(&env.core, id, v2) : NULL;
	if (!to) {
		fprintf(stderr, "tsunagu pathway diff: %s has no version %ld, loaded or recorded in %s\n", id,
			from ? v2 : v1, env.cfg->database);
		cli_env_close(&env);
		return EXIT_USAGE;
	}
	json_t *d = pathway_diff(from, to);
	if (a.json) {
		print_json(d);
	} else {
		printf("%s「%s」: version %ld → version %ld\n", id, to->title.ja, v1, v2);
		print_changes("States / 状態", json_object_get(d, "states"));
		print_changes("Actions / 操作", json_object_get(d, "actions"));
		print_changes("Timers / タイマー", json_object_get(d, "timers"));
		print_changes("Fields / 項目", json_object_get(d, "fields"));
		print_changes("Rules / パスの決まり", json_object_get(d, "rules"));
		size_t n = json_array_size(json_object_get(d, "states")) + json_array_size(json_object_get(d, "actions")) +
			   json_array_size(json_object_get(d, "timers")) + json_array_size(json_object_get(d, "fields")) +
			   json_array_size(json_object_get(d, "rules"));
		if (!n)
			printf("  no change a user would notice / 利用者にわかる変更はありません\n");
	}
	json_decref(d);
	cli_env_close(&env);
	return EXIT_OK;
}

const struct cli_command cmd_pathway_diff = {
	.name = "pathway diff",
	.usage = "PATHWAY V1 V2 --config FILE | --db PATH [--json]",
	.summary = "Show what changed between two versions of a pathway: states, actions, timers, fields, rules.",
	.help = "  --config FILE   the daemon's config (its loaded version counts as recorded)\n"
		"  --db PATH       the database whose recorded versions are compared (default: the config's)\n"
		"  --json          print JSON (as GET /v1/pathways/{id}/diff) instead of text\n"
		"Each entry is + added, - removed or ~ changed, with what changed: to, by, requires, when, title\n"
		"(actions); after, action, notify (timers); type, choices, limits, visibility (fields); inbox,\n"
		"milestone, final (states).\n",
	.run = run_diff,
};

/* ---- pathway migrate --------------------------------------------------------------------------- */

/*
 * Reads a map file — `states: {OLD: NEW}` — checking each pair against the two
 * versions where it is written (file:line:column). NULL when it has problems.
 */
static json_t *read_map_file(const char *path, const struct pathway *from, const struct pathway *to)
{
	static const char *const keys[] = { "states", NULL };
	struct diag d;
	diag_init(&d);
	size_t len = 0;
	char *text = read_file(path, &len);
	struct ydoc *doc = NULL;
	json_t *out = NULL;
	struct ydoc_reader r = { path, &d };
	if (!text) {
		diag_add(&d, DIAG_ERROR, path, 0, 0, "cannot read the map file");
		goto done;
	}
	if (ydoc_parse(path, text, len, &doc, &d))
		goto done;
	const struct ydoc_node *root = doc->root, *states = root ? ydoc_get(root, "states") : NULL;
	if (!root || ydoc_expect(&r, root, YDOC_MAP, "a map with 'states'") || ydoc_check_keys(&r, root, "map", keys))
		goto done;
	if (!states) {
		ydoc_error(&r, root, "expected 'states': which state of version %ld goes to which of version %ld",
			   from->version, to->version);
		goto done;
	}
	if (ydoc_expect(&r, states, YDOC_MAP, "a map of OLD_STATE: NEW_STATE"))
		goto done;
	json_t *pairs = json_object();
	for (size_t i = 0; i < states->n_pairs; i++) {
		const struct ydoc_pair *p = &states->pairs[i];
		const char *old = p->key->value, *new = NULL;
		if (ydoc_read_string(&r, p->value, "a state of the new version", &new))
			continue;
		struct refusal why = { 0 };
		char *field = xasprintf("states.%s", old);
		if (migrate_map_check(from, to, old, new, field, &why))
			for (size_t k = 0; k < refusal_count(&why); k++)
				ydoc_error(&r, p->value, "%s", refusal_at(&why, k).message);
		else
			json_object_set_new(pairs, old, json_string(new));
		refusal_release(&why);
		free(field);
	}
	if (d.errors)
		json_decref(pairs);
	else
		out = json_pack("{s:o}", "states", pairs);
done:
	diag_print(&d, stderr);
	diag_release(&d);
	ydoc_free(doc);
	free(text);
	return out;
}

static void print_item(const json_t *it, bool dry_run)
{
	const char *id = json_string_value(json_object_get(it, "case"));
	if (!json_is_true(json_object_get(it, "moves"))) {
		size_t k;
		json_t *why;
		printf("%s  stays in %s", id, json_string_value(json_object_get(it, "state")));
		json_array_foreach(json_object_get(it, "reasons"), k, why)
			printf("%s%s", k ? "; " : ": ", json_string_value(json_object_get(why, "message")));
		printf("\n");
		return;
	}
	printf("%s  %s %s → %s", id, dry_run ? "would move" : "moved", json_string_value(json_object_get(it, "from_state")),
	       json_string_value(json_object_get(it, "to_state")));
	size_t k;
	json_t *t;
	json_array_foreach(json_object_get(it, "timers"), k, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		const char *due = json_string_value(json_object_get(t, "due_at"));
		if (json_is_true(json_object_get(t, "spent")))
			printf("%s%s: fired already, not set again", k ? "; " : "  timers: ", name);
		else if (due)
			printf("%s%s due %s%s", k ? "; " : "  timers: ", name, due,
			       json_is_true(json_object_get(t, "at_once")) ? " (past: fires at once)" : "");
		else
			printf("%s%s: no date to count to", k ? "; " : "  timers: ", name);
	}
	printf("\n");
}

struct migration {
	struct migrate_job *job;
	struct flow flow;
	bool more;                 /* cases remain after this batch */
};

static int migrate_batch(void *ctx)
{
	struct migration *m = ctx;
	m->flow.now = clock_now(m->flow.core->clock);
	int rc = migrate_step(m->job, &m->flow, MIGRATE_BATCH);
	m->more = rc > 0;
	return rc < 0 ? -1 : 0;
}

struct publish {
	struct core *core;
	char *err;
};

static int publish_loaded(void *ctx)
{
	struct publish *p = ctx;
	return core_publish_pathways(p->core, clock_now(p->core->clock), &p->err) ? -1 : 0;
}

static int run_migrate(const struct cli_context *ctx, int argc, char **argv)
{
	(void)ctx;
	const struct cli_command *cmd = &cmd_pathway_migrate;
	struct versions_args a;
	int rc = parse(cmd, argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	long from, to;
	if (optind != argc - 1)
		return cli_usage_error(cmd, "name one pathway");
	if ((rc = parse_version(cmd, "--from", a.from, &from)) || (rc = parse_version(cmd, "--to", a.to, &to)))
		return rc;
	const char *id = argv[optind];
	struct cli_env env;
	if ((rc = cli_env_open(&env, cmd, CLI_CONFIG | CLI_STORE, a.config, a.db)))
		return rc;
	json_t *map = NULL, *report = NULL;
	struct migration m = { .flow = { .core = &env.core } };
	struct refusal why = { 0 };
	/* a version the daemon has not recorded yet is recorded as serve would, so the cases never run on an unrecorded one */
	struct publish pub = { &env.core, NULL };
	if (!a.dry_run && core_transaction(&env.core, publish_loaded, &pub)) {
		fprintf(stderr, "tsunagu pathway migrate: %s\n", pub.err ? pub.err : "the database could not be written");
		rc = pub.err ? EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
	if (a.map) {
		const struct pathway *pf = core_pathway(&env.core, id, from), *pt = core_pathway(&env.core, id, to);
		if (pf && pt && !(map = read_map_file(a.map, pf, pt))) {
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (!(m.job = migrate_begin(&env.core, id, from, to, map, a.dry_run, &why))) {
		cli_print_refusal(cmd, &why);
		rc = !strcmp(why.code, "storage_unavailable") ? EXIT_RUNTIME : EXIT_USAGE;
		goto out;
	}
	do
		rc = core_transaction(&env.core, migrate_batch, &m);
	while (rc == 0 && m.more);
	report = migrate_report(m.job);
	if (a.json) {
		print_json(report);
	} else {
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(report, "items"), i, it)
			print_item(it, a.dry_run);
	}
	long moved, stayed;
	migrate_counts(m.job, &moved, &stayed);
	if (rc) {
		fprintf(stderr, "tsunagu pathway migrate: the database could not be written; %ld cases were moved before "
			"that and stay moved: run the command again to go on\n", moved);
		rc = EXIT_RUNTIME;
		goto out;
	}
	fprintf(stderr, "%s v%ld → v%ld: %ld case%s %s, %ld stay%s on version %ld%s\n", id, from, to, moved,
		moved == 1 ? "" : "s", a.dry_run ? "would move" : "moved", stayed, stayed == 1 ? "s" : "", from,
		a.dry_run ? " (dry run: nothing written)" : "");
	rc = stayed ? EXIT_PROBLEMS : EXIT_OK;
out:
	refusal_release(&why);
	free(pub.err);
	json_decref(report);
	json_decref(map);
	migrate_free(m.job);
	cli_env_close(&env);
	return rc;
}

const struct cli_command cmd_pathway_migrate = {
	.name = "pathway migrate",
	.usage = "PATHWAY --from V1 --to V2 --config FILE [--db PATH] [--map FILE] [--dry-run] [--json]",
	.summary = "Move a pathway's running cases from one version to another (try --dry-run first).",
	.help = "  --from V1       the version the cases run on now\n"
		"  --to V2         the version they move to (recorded, or the config's loaded one)\n"
		"  --map FILE      YAML `states: {OLD: NEW}`: where the states version V2 lacks go\n"
		"  --dry-run       show, case by case, what would happen; write nothing\n"
		"  --json          print the report as JSON\n"
		"  --config FILE   the daemon's config\n"
		"  --db PATH       the database (default: the config's)\n"
		"A case moves when its state exists in V2 (or the map names one) and V2 accepts its fields; its\n"
		"timers are set again from V2, counted from when it entered its state. A case that cannot move\n"
		"stays, listed with the reason. Each batch of cases is one transaction: if the command stops,\n"
		"run it again. Exit code 0 when every case moved, 3 when some stay, 2 on bad input.\n",
	.run = run_migrate,
};
