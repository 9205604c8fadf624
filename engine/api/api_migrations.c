/*
 * api_migrations — POST /v1/pathways/{id}/migrations: the city's coordinators
 * and admins move a pathway's running cases to another version, or see with
 * dry_run what would happen, case by case. The cases are worked out a batch
 * per loop turn (each batch in the turn's unit), so thousands of them never
 * hold the loop; the report is made on a worker.
 */
#include "api.h"
#include "migrate.h"

#include <stdlib.h>

struct migration_job {
	struct migrate_job *job;
	struct api_kept_flow kept;
};

static void migration_job_free(void *ctx)
{
	struct migration_job *j = ctx;
	migrate_free(j->job);
	api_kept_flow_release(&j->kept);
	free(j);
}

static int migration_step(void *ctx, struct httpd_request *req)
{
	struct migration_job *j = ctx;
	struct api_request r = { .http = req, .core = j->kept.flow.core };
	/* each batch at its own turn's time: a case acted on between two batches keeps its events in order */
	j->kept.flow.now = clock_now(j->kept.flow.core->clock);
	int rc = migrate_step(j->job, &j->kept.flow, MIGRATE_BATCH);
	if (rc < 0)
		api_error(&r, 503, "storage_unavailable", NULL,
			  "the database could not save the rest of the migration; send it again to go on (the cases "
			  "moved so far stay moved)",
			  "データベースに移行の残りを保存できませんでした。もう一度送ると続きから移行します（移行済みのケースはそのままです）");
	else if (rc == 0)
		api_offload_json(&r, migrate_report(j->job));   /* a report of thousands of cases */
	return rc;
}

static int version_of(struct api_request *r, const json_t *body, const char *name, long *out)
{
	const json_t *v = json_object_get(body, name);
	if (json_is_integer(v) && json_integer_value(v) >= 1) {
		*out = (long)json_integer_value(v);
		return 0;
	}
	api_errorf(r, 422, v ? "invalid_field" : "missing_field", name, "%s is required: a version number",
		   "%s（版の番号）は必須です", name);
	return -1;
}

void api_pathway_migrate(struct api_request *r)
{
	if (!r->caller.org || r->caller.org->kind != ORG_CITY ||
	    !(r->caller.roles & (MASK(ROLE_COORDINATOR) | MASK(ROLE_ADMIN)))) {
		api_error(r, 403, "forbidden", NULL, "the city's coordinators and admins migrate a pathway's cases",
			  "パスのケースの移行は市のコーディネーターと管理者が行います");
		return;
	}
	const struct pathway *pw = pathway_set_find(&r->core->cfg->pathways, r->http->segs[2]);
	if (!pw) {
		api_error(r, 404, "not_found", NULL, "no such pathway", "該当するパスはありません");
		return;
	}
	json_t *body = api_body_object(r);
	if (!body)
		return;
	static const char *const keys[] = { "from", "to", "map", "dry_run", NULL };
	struct refusal why = { 0 };
	const json_t *dry = json_object_get(body, "dry_run");
	long from, to;
	if (cm_check_keys(body, NULL, "a migration", "移行", keys, &why)) {
		api_refuse(r, &why);
		goto out;
	}
	if (version_of(r, body, "from", &from) || version_of(r, body, "to", &to))
		goto out;
	if (dry && !json_is_boolean(dry)) {
		api_error(r, 422, "invalid_field", "dry_run", "dry_run must be true or false",
			  "dry_run は true か false で指定してください");
		goto out;
	}
	struct migrate_job *job = migrate_begin(r->core, pw->id, from, to, json_object_get(body, "map"),
						json_is_true(dry), &why);
	if (!job) {
		api_refuse(r, &why);
		goto out;
	}
	struct migration_job *j = xcalloc(1, sizeof(*j));
	j->job = job;
	api_keep_flow(r, &j->kept);
	/* the first batch now, in the handler's unit; the rest in the turns after */
	if (migration_step(j, r->http) > 0)
		r->http->slices = (struct httpd_slices){ .step = migration_step, .free = migration_job_free, .ctx = j };
	else
		migration_job_free(j);
out:
	refusal_release(&why);
	json_decref(body);
}
