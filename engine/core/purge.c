/*
 * purge — a case's fields keep their choices, dates and numbers and lose their
 * free text, which may name or describe the person.
 */
#include "purge.h"

#include <stdlib.h>
#include <string.h>

struct purge {
	struct core *core;
	clock_us now, keep_since;
	bool dry_run;
	struct purge_result *out;
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

int purge_closed(struct core *core, clock_us before, clock_us now, bool dry_run, struct purge_result *out)
{
	memset(out, 0, sizeof(*out));
	struct purge p = { .core = core, .now = now, .dry_run = dry_run, .out = out,
			   .keep_since = now - (clock_us)(3 * 365 + 1) * 86400 * 1000000 };
	/* one() stops the walk (and the walk answers -1) at a storage error. */
	return store_purge_candidates(core->store, before, one, &p) ? -1 : 0;
}
