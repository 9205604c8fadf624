/*
 * purge — a case's fields keep their choices, dates and numbers and lose their
 * free text, which may name or describe the person.
 */
#include "purge.h"
#include "report.h"
#include "forget.h"
#include "log.h"
#include "token.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct purge {
	struct core *core;
	clock_us now, keep_since;
	bool dry_run;
	struct purge_result *out;
	struct purge_cursor *cursor;
	int seen;
};

/* The case's fields without free text. */
static json_t *fields_to_keep(const struct pathway *pw, const json_t *fields)
{
	json_t *out = json_object();
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)fields, key, v) {
		int i = pw ? pathway_field_index(pw, key) : -1;
		if (i >= 0 && pw->fields[i].type != FIELD_TEXT)
			json_object_set(out, key, v);
	}
	return out;
}

static int one(void *ctx, const struct case_record *c)
{
	struct purge *p = ctx;
	p->seen++;
	p->cursor->closed_at = c->closed_at;
	free(p->cursor->id);
	p->cursor->id = xstrdup(c->id);
	int recent = store_has_provision_since(p->core->store, c->id, p->keep_since);
	if (recent < 0)
		return 1;
	if (recent) {
		p->out->kept++;
		return 0;
	}
	if (p->dry_run) {
		p->out->purged++;
		return 0;
	}
	json_t *keep = fields_to_keep(core_pathway(p->core, c->pathway, c->pathway_version), c->fields);
	int rc = store_purge_case(p->core->store, c, keep, p->now);
	json_decref(keep);
	if (rc)
		return 1;
	p->out->purged++;
	return 0;
}

int purge_closed(struct core *core, clock_us before, clock_us now, bool dry_run, int limit, struct purge_cursor *cursor,
		 struct purge_result *out)
{
	struct purge_result batch = { 0 };
	struct purge p = { .core = core, .now = now, .dry_run = dry_run, .out = &batch, .cursor = cursor,
			   .keep_since = now - (clock_us)(3 * 365 + 1) * 86400 * 1000000 };
	/* one() stops the walk (and the walk answers -1) at a storage error. */
	if (store_purge_candidates(core->store, before, cursor->closed_at, cursor->id, limit, one, &p))
		return -1;
	cursor->done = limit <= 0 || p.seen < limit;
	out->purged += batch.purged;
	out->kept += batch.kept;
	if (dry_run || !batch.purged)
		return 0;
	char operator[CORE_OPERATOR_MAX], day[48];
	clock_format(core->clock, before, day);
	json_t *payload = json_pack("{s:s, s:i, s:i}", "closed_before", day, "purged", batch.purged, "kept", batch.kept);
	int rc = core_admin_event(core, now, NULL, core_operator(operator), "purge", payload);
	json_decref(payload);
	return rc;
}

void purge_cursor_release(struct purge_cursor *cursor)
{
	free(cursor->id);
	*cursor = (struct purge_cursor){ 0 };
}

void erase_result_release(struct erase_result *r)
{
	json_decref(r->open);
	memset(r, 0, sizeof(*r));
}

static int collect_id(void *ctx, const char *case_id)
{
	json_array_append_new(ctx, json_string(case_id));
	return 0;
}

/* Erases one case: the name kept in its provision records, then what purge erases, then the case's event. */
static int erase_case(struct core *core, const struct cm_caller *who, struct case_record *c, clock_us now)
{
	json_t *subject = store_subject_get(core->store, c->subject_id);
	const char *name = json_string_value(json_object_get(subject, "name"));
	int rc = name ? store_provisions_keep_name(core->store, c->id, name) : 0;
	json_decref(subject);
	json_t *keep = fields_to_keep(core_pathway(core, c->pathway, c->pathway_version), c->fields);
	rc = rc || store_purge_case(core->store, c, keep, now);
	json_decref(keep);
	if (rc)
		return -1;
	/* No payload: the event says that the data went, not what it was. */
	char *id = token_new_id("e_");
	struct store_event ev = {
		.id = id, .case_id = c->id, .at = now, .actor_user = who ? (char *)who->user : NULL,
		.actor_org = who && who->org ? who->org->id : NULL, .action = "erase", .from_state = c->state,
		.to_state = c->state, .case_version = c->version,
	};
	rc = store_event_append(core->store, &ev) ||
			     report_note_event(core, c, "erase", c->state, !who || (!who->user && !who->org), now)
		     ? -1
		     : 0;
	free(id);
	return rc;
}

/* The replay of the forget log erases again: it does not note what it redoes (no account has a space). */
static bool restoring(const char *operator)
{
	return operator && !strcmp(operator, FORGET_REPLAY_OPERATOR);
}

int purge_person(struct core *core, const struct cm_caller *who, const char *operator, const char *person,
		 const char *reason, clock_us now, struct erase_result *out)
{
	memset(out, 0, sizeof(*out));
	json_t *ids = json_array(), *erased = json_array();
	struct case_record *cases = NULL;
	size_t n = 0;
	int rc = -1;
	if (store_cases_of_person(core->store, person, collect_id, ids))
		goto done;
	cases = xcalloc(json_array_size(ids) + 1, sizeof(*cases));
	for (size_t i = 0; i < json_array_size(ids); i++) {
		struct case_record *c = &cases[n];
		int got = store_case_get(core->store, json_string_value(json_array_get(ids, i)), c);
		if (got < 0)
			goto done;
		const struct pathway *pw = got == 0 ? core_pathway(core, c->pathway, c->pathway_version) : NULL;
		/* Only what the asking organisation holds: it is a referrer or receiver of the case. */
		party_mask parties = pw && who ? cm_parties(pw, c, who) : 0;
		bool in_scope = got == 0 && (!who || (parties & (MASK(PARTY_ORIGIN) | MASK(PARTY_RECEIVER))));
		if (!in_scope) {
			case_record_release(c);
			continue;
		}
		if (!pw || !cm_closed(pw, c)) {
			if (!out->open)
				out->open = json_array();
			json_array_append_new(out->open, json_string(c->id));
		}
		n++;
	}
	if (out->open) {
		rc = 1;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if (erase_case(core, who, &cases[i], now))
			goto done;
		json_array_append_new(erased, json_string(cases[i].id));
		out->erased++;
	}
	json_t *payload = json_pack("{s:O, s:s}", "cases", erased, "reason", reason);
	rc = n ? core_admin_event(core, now, who, operator, "subject_erased", payload) : 0;
	json_decref(payload);
	if (rc == 0 && n && !restoring(operator)) {
		/* beside the database, so that a restore from an older backup erases these cases again (ids only) */
		char *err = NULL;
		rc = forget_note(core->cfg, "erased", json_pack("{s:O, s:s}", "cases", erased, "reason", reason), now, &err);
		if (rc)
			log_msg(LOGM_STORE_ERROR, "%s; the erasure is undone", err);
		free(err);
	}
done:
	for (size_t i = 0; i < n; i++)
		case_record_release(&cases[i]);
	free(cases);
	json_decref(ids);
	json_decref(erased);
	return rc;
}
