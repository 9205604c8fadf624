/*
 * api_users — the people of an organisation: GET /v1/orgs/{id}/users lists
 * the colleagues a case can be assigned to (one's own organisation only);
 * POST /v1/users/{id}/reassign moves every open case assigned to a user who
 * left to a colleague (the organisation's admin). A user of another
 * organisation is not there.
 */
#include "api.h"

#include <string.h>

struct org_users {
	json_t *items;
};

static void org_user(void *ctx, const struct store_user *u)
{
	struct org_users *ou = ctx;
	json_t *roles = json_array();
	for (int i = 0; i < ROLE_COUNT; i++)
		if (u->roles & MASK(i))
			json_array_append_new(roles, json_string(role_names[i]));
	json_array_append_new(ou->items, json_pack("{s:s, s:s, s:o}", "id", u->id, "name", u->name, "roles", roles));
}

void api_org_users(struct api_request *r)
{
	const char *org = r->http->segs[2];
	/* another organisation's people are not there, whoever asks */
	if (strcmp(org, r->caller.org->id)) {
		api_error(r, 404, "not_found", NULL, "no such resource", "該当するリソースはありません");
		return;
	}
	struct org_users ou = { .items = json_array() };
	if (store_org_users(r->core->store, org, org_user, &ou)) {
		json_decref(ou.items);
		api_storage_error(r);
		return;
	}
	api_reply_json(r, 200, json_pack("{s:o, s:n}", "items", ou.items, "next_cursor"));
}

/* A reassignment of thousands of cases: a batch per loop turn, each in that turn's unit. */
struct reassign_job {
	struct api_kept_flow kept;
	char *from, *to;           /* to: NULL, unassigned */
	json_t *moved;             /* the ids moved so far */
};

static void reassign_job_free(void *ctx)
{
	struct reassign_job *j = ctx;
	api_kept_flow_release(&j->kept);
	free(j->from);
	free(j->to);
	json_decref(j->moved);
	free(j);
}

/* 1 while cases are left for the next turn; 0 replied; -1 replied with the refusal, the batch's unit undone. */
static int reassign_step(void *ctx, struct httpd_request *req)
{
	struct reassign_job *j = ctx;
	struct api_request r = { .http = req, .core = j->kept.flow.core };
	struct refusal why = { 0 };
	bool more = false;
	j->kept.flow.now = clock_now(j->kept.flow.core->clock);
	int rc = flow_reassign(&j->kept.flow, j->from, j->to, FLOW_REASSIGN_BATCH, j->moved, &more, &why);
	if (rc == FLOW_FAILED && json_array_size(j->moved))
		api_error(&r, 503, "storage_unavailable", NULL,
			  "the database could not save the rest of the reassignment; send it again to go on (the cases "
			  "moved so far stay moved)",
			  "データベースに付け替えの残りを保存できませんでした。もう一度送ると続きから付け替えます（付け替え済みのケースはそのままです）");
	else if (rc)
		api_flow_failed(&r, rc, &why);
	else if (!more)
		api_reply_json(&r, 200, json_pack("{s:O}", "moved", j->moved));
	refusal_release(&why);
	/* a batch that failed part-way is undone whole (-1); the batches before it stay done */
	return rc != FLOW_DONE ? -1 : more ? 1 : 0;
}

void api_user_reassign(struct api_request *r)
{
	if (!(r->caller.roles & MASK(ROLE_ADMIN))) {
		api_error(r, 403, "forbidden", NULL, "the organisation's admin reassigns its cases",
			  "担当の付け替えは機関の管理者が行います");
		return;
	}
	json_t *body = api_body_object(r);
	if (!body)
		return;
	static const char *const keys[] = { "to", NULL };
	struct refusal why = { 0 };
	const json_t *to = json_object_get(body, "to");
	if (cm_check_keys(body, NULL, "a reassignment", "担当の付け替え", keys, &why)) {
		api_refuse(r, &why);
		goto out;
	}
	if (!to || (!json_is_null(to) && !json_is_string(to))) {
		refusal_set(&why, to ? "invalid_field" : "missing_field", "to",
			    "to is required: the colleague who takes the cases over, or null to leave them unassigned");
		refusal_ja(&why, "to（引き継ぐ同僚の ID、担当なしにするなら null）は必須です");
		api_refuse(r, &why);
		goto out;
	}
	struct reassign_job *j = xcalloc(1, sizeof(*j));
	api_keep_flow(r, &j->kept);
	j->from = xstrdup(r->http->segs[2]);
	j->to = json_is_string(to) ? xstrdup(json_string_value(to)) : NULL;
	j->moved = json_array();
	/* the first batch now, in the handler's unit; the rest in the turns after */
	if (reassign_step(j, r->http) > 0)
		r->http->slices = (struct httpd_slices){ .step = reassign_step, .free = reassign_job_free, .ctx = j };
	else
		reassign_job_free(j);
out:
	refusal_release(&why);
	json_decref(body);
}
