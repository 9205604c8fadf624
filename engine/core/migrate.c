/*
 * migrate — a migration's batches: which cases, where each goes, and the
 * report. The decision per case is rules/' (cm_migrate), the writes flow's
 * (flow_move); this module walks the version's running cases and keeps the
 * account.
 */
#include "migrate.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct migrate_job {
	struct core *core;
	char *pathway;
	const struct pathway *from, *to;
	json_t *map;               /* {OLD: NEW}: the map's states */
	bool dry_run;
	char *after;               /* the last case worked out: the next batch starts after it */
	long moved, stayed;
	json_t *items;
	bool recorded;
};

int migrate_map_check(const struct pathway *from, const struct pathway *to, const char *old, const char *new,
		      const char *field, struct refusal *why)
{
	int bad = 0;
	if (pathway_state_index(from, old) < 0) {
		refusal_set(why, "invalid_field", field, "version %ld of %s has no state '%s' to map", from->version,
			    from->id, old);
		refusal_ja(why, "%s の第 %ld 版に状態「%s」はありません", from->id, from->version, old);
		bad = 1;
	}
	int s = pathway_state_index(to, new);
	if (s < 0) {
		refusal_set(why, "invalid_field", field, "version %ld of %s has no state '%s' to map '%s' to", to->version,
			    to->id, new, old);
		refusal_ja(why, "%s の第 %ld 版に行き先の状態「%s」はありません", to->id, to->version, new);
		bad = 1;
	} else if (to->states[s].final) {
		refusal_set(why, "invalid_field", field, "state '%s' ends cases in version %ld: a migration closes none",
			    new, to->version);
		refusal_ja(why, "第 %ld 版の状態「%s」はケースを終える状態です（移行ではケースを終了させません）", to->version,
			   new);
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* The map's states, checked: a new reference, or NULL with every problem in *why. */
static json_t *read_map(const struct pathway *from, const struct pathway *to, const json_t *map, struct refusal *why)
{
	if (!map || json_is_null(map))
		return json_object();
	const json_t *states = json_is_object(map) ? json_object_get(map, "states") : NULL;
	if (!json_is_object(map) || json_object_size(map) != (states ? 1u : 0u) || !json_is_object(states)) {
		refusal_set(why, "invalid_field", "map", "map must be an object {\"states\": {OLD: NEW}}");
		refusal_ja(why, "map は {\"states\": {元の状態: 移す先の状態}} の形で指定してください");
		return NULL;
	}
	const char *old;
	json_t *new;
	int bad = 0;
	json_object_foreach((json_t *)states, old, new) {
		char *field = xasprintf("map.states.%s", old);
		if (!json_is_string(new)) {
			refusal_set(why, "invalid_field", field, "%s must name a state of version %ld", field, to->version);
			refusal_ja(why, "%s には第 %ld 版の状態名を指定してください", field, to->version);
			bad = 1;
		} else if (migrate_map_check(from, to, old, json_string_value(new), field, why)) {
			bad = 1;
		}
		free(field);
	}
	return bad ? NULL : json_deep_copy(states);
}

/*
 * A version for a migration: recorded in the store (compiled from there when
 * not the loaded one). A dry run may also look ahead to the loaded version a
 * daemon has not recorded yet.
 */
static const struct pathway *recorded_version(struct core *core, const char *id, long version, bool dry_run,
					      const char *field, struct refusal *why)
{
	char digest[65];
	int rc = store_pathway_digest(core->store, id, version, digest);
	const struct pathway *loaded = pathway_set_find(&core->cfg->pathways, id);
	const struct pathway *pw = rc == 0 ? core_pathway(core, id, version)
				   : rc == 1 && dry_run && loaded && loaded->version == version ? loaded
				   : NULL;
	if (rc < 0) {
		refusal_set(why, "storage_unavailable", NULL, "the database could not be read");
		refusal_ja(why, "データベースを読めませんでした");
	} else if (!pw) {
		refusal_set(why, "not_found", field, "version %ld of %s is not recorded: a daemon records a version when it "
			    "starts or reloads with it", version, id);
		refusal_ja(why, "%s の第 %ld 版は記録されていません（デーモンがその版で起動・再読み込みしたときに記録されます）", id,
			   version);
	}
	return pw;
}

struct migrate_job *migrate_begin(struct core *core, const char *id, long from, long to, const json_t *map,
				  bool dry_run, struct refusal *why)
{
	if (from == to) {
		refusal_set(why, "invalid_field", "to", "to must be another version than from (%ld)", from);
		refusal_ja(why, "to には from（第 %ld 版）とは別の版を指定してください", from);
		return NULL;
	}
	const struct pathway *pf = recorded_version(core, id, from, dry_run, "from", why);
	const struct pathway *pt = pf ? recorded_version(core, id, to, dry_run, "to", why) : NULL;
	if (pt && pf->no_subject != pt->no_subject) {
		refusal_set(why, "invalid_field", "to", "version %ld of %s is %s and version %ld %s: its cases cannot move "
			    "between them", from, id, pf->no_subject ? "about no person" : "about people", to,
			    pt->no_subject ? "about no person" : "about people");
		refusal_ja(why, "%s の第 %ld 版と第 %ld 版は、個人についての記録かどうかが異なるため、ケースを移せません", id, from,
			   to);
		return NULL;
	}
	json_t *states = pt ? read_map(pf, pt, map, why) : NULL;
	if (!states)
		return NULL;
	struct migrate_job *j = xcalloc(1, sizeof(*j));
	j->core = core;
	j->pathway = xstrdup(id);
	j->from = pf;
	j->to = pt;
	j->map = states;
	j->dry_run = dry_run;
	j->items = json_array();
	return j;
}

static json_t *reasons_json(const struct refusal *why)
{
	json_t *out = json_array();
	for (size_t i = 0; i < refusal_count(why); i++) {
		struct refusal_item it = refusal_at(why, i);
		json_array_append_new(out, json_pack("{s:s, s:s?, s:s, s:s?}", "code", it.code, "field", it.field, "message",
						     it.message, "message_ja", it.message_ja));
	}
	return out;
}

static json_t *move_json(const struct flow *f, const struct case_record *c, const char *from_state,
			 const struct flow_move *m)
{
	json_t *timers = json_array();
	for (size_t i = 0; i < m->n_timers; i++) {
		const struct flow_move_timer *t = &m->timers[i];
		json_array_append_new(timers, json_pack("{s:s, s:o, s:b, s:b}", "name", t->name, "due_at",
							core_time_json(f->core, t->due_at), "at_once",
							t->due_at && t->due_at <= f->now, "spent", t->spent));
	}
	return json_pack("{s:s, s:b, s:s, s:s, s:s?, s:o, s:o}", "case", c->id, "moves", true, "from_state", from_state,
			 "to_state", m->to->states[m->state].name, "receiver", m->receiver ? m->receiver->id : NULL,
			 "due_at", core_time_json(f->core, m->due_at), "timers", timers);
}

struct batch {
	struct migrate_job *j;
	const struct flow *f;
	int failed;
};

/* Works out one case and, unless a dry run, moves it: 0, or 1 to stop on a storage error. */
static int one_case(void *ctx, const char *case_id)
{
	struct batch *b = ctx;
	struct migrate_job *j = b->j;
	struct case_record c = { 0 };
	struct refusal why = { 0 };
	struct flow_move move = { 0 };
	char *listed_state = NULL;  /* flow_move changes c's before it may find the case changed meanwhile */
	free(j->after);
	j->after = xstrdup(case_id);
	int rc = store_case_get(j->core->store, case_id, &c);
	if (rc)
		goto out;       /* gone since it was listed (an erasure in the same turn): nothing to move */
	listed_state = xstrdup(c.state);
	const char *mapped = json_string_value(json_object_get(j->map, c.state));
	int state = cm_migrate(j->core->cfg, j->to, &c, mapped ? mapped : c.state, &why);
	if (state >= 0 && flow_move_plan(b->f, j->from, j->to, &c, state, &move)) {
		rc = -1;
		goto out;
	}
	json_t *item = state >= 0 ? move_json(b->f, &c, listed_state, &move) : NULL;
	if (item && !j->dry_run && (rc = flow_move(b->f, &c, &move, &why)) != FLOW_DONE) {
		json_decref(item);
		item = NULL;
		if (rc < 0)
			goto out;
	}
	if (item) {
		j->moved++;
	} else {
		item = json_pack("{s:s, s:b, s:s, s:o}", "case", case_id, "moves", false, "state", listed_state, "reasons",
				 reasons_json(&why));
		j->stayed++;
	}
	json_array_append_new(j->items, item);
	rc = 0;
out:
	free(listed_state);
	flow_move_release(&move);
	refusal_release(&why);
	case_record_release(&c);
	if (rc < 0)
		b->failed = 1;
	return rc < 0;
}

/* What a batch changed in the account, kept to take it back when the caller rolls the batch back. */
struct account {
	long moved, stayed;
	size_t items;
	char *after;
};

static void take_back(struct migrate_job *j, struct account *a)
{
	j->moved = a->moved;
	j->stayed = a->stayed;
	while (json_array_size(j->items) > a->items)
		json_array_remove(j->items, json_array_size(j->items) - 1);
	free(j->after);
	j->after = a->after;
	a->after = NULL;
}

static int record_migration(struct migrate_job *j, const struct flow *f)
{
	json_t *payload = json_pack("{s:s, s:I, s:I, s:I, s:I}", "pathway", j->pathway, "from", (json_int_t)j->from->version,
				    "to", (json_int_t)j->to->version, "moved", (json_int_t)j->moved, "stayed",
				    (json_int_t)j->stayed);
	if (json_object_size(j->map))
		json_object_set(payload, "map", j->map);
	char operator[CORE_OPERATOR_MAX];
	int rc = core_admin_event(j->core, f->now, f->who.user ? &f->who : NULL, f->who.user ? NULL : core_operator(operator),
				  "pathway_migrated", payload);
	json_decref(payload);
	return rc;
}

int migrate_step(struct migrate_job *j, const struct flow *f, int limit)
{
	struct batch b = { j, f, 0 };
	struct account before = { j->moved, j->stayed, json_array_size(j->items), j->after ? xstrdup(j->after) : NULL };
	int n = store_cases_on_version(j->core->store, j->pathway, j->from->version, j->after, limit, one_case, &b);
	int rc = n == -1 || b.failed ? -1 : n == limit ? 1 : 0;
	/* the last batch records the migration in its own unit */
	if (rc == 0 && !j->dry_run && !j->recorded) {
		if (record_migration(j, f))
			rc = -1;
		else
			j->recorded = true;
	}
	/* a batch that fails is rolled back by the caller: so is its account */
	if (rc < 0)
		take_back(j, &before);
	free(before.after);
	return rc;
}

json_t *migrate_report(struct migrate_job *j)
{
	json_t *items = j->items;
	j->items = json_array();
	return json_pack("{s:s, s:I, s:I, s:b, s:I, s:I, s:o}", "pathway", j->pathway, "from", (json_int_t)j->from->version,
			 "to", (json_int_t)j->to->version, "dry_run", j->dry_run, "moved", (json_int_t)j->moved, "stayed",
			 (json_int_t)j->stayed, "items", items);
}

void migrate_counts(const struct migrate_job *j, long *moved, long *stayed)
{
	*moved = j->moved;
	*stayed = j->stayed;
}

void migrate_free(struct migrate_job *j)
{
	if (!j)
		return;
	free(j->pathway);
	free(j->after);
	json_decref(j->map);
	json_decref(j->items);
	free(j);
}
