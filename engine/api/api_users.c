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

void api_user_reassign(struct api_request *r)
{
	if (!(r->caller.roles & MASK(ROLE_ADMIN))) {
		api_error(r, 403, "forbidden", NULL, "the organisation's admin reassigns its cases",
			  "担当の付け替えは機関の管理者が行います");
		return;
	}
	json_t *body = api_body_object(r), *moved = NULL;
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
	struct flow f = api_flow(r);
	int rc = flow_reassign_all(&f, r->http->segs[2], json_string_value(to), &moved, &why);
	if (rc == FLOW_DONE) {
		json_t *payload = json_pack("{s:s, s:O, s:O}", "from", r->http->segs[2], "to", to, "cases", moved);
		rc = core_admin_event(r->core, r->http->now, &r->caller, NULL, "cases_reassigned", payload) ? FLOW_FAILED : 0;
		json_decref(payload);
	}
	if (rc)
		api_flow_failed(r, rc, &why);
	else
		api_reply_json(r, 200, json_pack("{s:O}", "moved", moved));
out:
	json_decref(moved);
	refusal_release(&why);
	json_decref(body);
}
