/*
 * api_notifications — coordinators see the outbox (above all the dead letters)
 * and send a dead notification again.
 */
#include "api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static json_t *notification_json(struct api_request *r, const struct store_notification *n)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "id", n->id, "case_id", n->case_id, "template",
			      n->template_name, "party", n->party, "status", n->status, "attempts", n->attempts);
	json_object_set_new(o, "channel", n->channel ? json_string(n->channel) : json_null());
	json_object_set_new(o, "org", n->org ? json_string(n->org) : json_null());
	json_object_set_new(o, "last_error", n->last_error ? json_string(n->last_error) : json_null());
	json_object_set_new(o, "created_at", api_time(r, n->created_at));
	json_object_set_new(o, "next_attempt_at", strcmp(n->status, "pending") ? json_null() : api_time(r, n->next_attempt_at));
	json_object_set_new(o, "delivered_at", api_time(r, n->delivered_at));
	return o;
}

struct list_ctx {
	struct api_request *r;
	json_t *items;
	int limit;
	char *last;
	bool more;
};

static int one(void *ctx, struct store_notification *n)
{
	struct list_ctx *lc = ctx;
	if ((int)json_array_size(lc->items) == lc->limit) {
		lc->more = true;
		return 1;
	}
	json_array_append_new(lc->items, notification_json(lc->r, n));
	free(lc->last);
	lc->last = xstrdup(n->id);
	return 0;
}

void api_notifications_list(struct api_request *r)
{
	if (!cm_is_coordinator(&r->caller)) {
		api_error(r, 403, "forbidden", NULL, "notifications are for the city's coordinators",
			  "通知の一覧はコーディネーターのみ閲覧できます");
		return;
	}
	static const char *const params[] = { "status", "cursor", "limit", NULL };
	if (api_query_known(r, params))
		return;
	const char *status = api_query(r, "status"), *cursor = api_query(r, "cursor");
	if (status && strcmp(status, "pending") && strcmp(status, "delivered") && strcmp(status, "dead")) {
		api_error(r, 422, "invalid_field", "status", "status must be pending, delivered or dead",
			  "status は pending, delivered, dead のいずれかで指定してください");
		return;
	}
	if (cursor && !api_cursor_is_id_of(cursor, "n_")) {
		api_bad_cursor(r);
		return;
	}
	struct list_ctx lc = { .r = r, .items = json_array(), .limit = 50 };
	if (api_query_limit(r, &lc.limit)) {
		json_decref(lc.items);
		return;
	}
	if (store_outbox_list(r->core->store, status, cursor, lc.limit + 1, one, &lc)) {
		json_decref(lc.items);
		api_storage_error(r);
	} else {
		api_reply_json(r, 200, json_pack("{s:o, s:o}", "items", lc.items, "next_cursor",
						 lc.more && lc.last ? json_string(lc.last) : json_null()));
	}
	free(lc.last);
}

void api_notification_retry(struct api_request *r)
{
	if (!cm_is_coordinator(&r->caller)) {
		api_error(r, 403, "forbidden", NULL, "only the city's coordinators retry notifications",
			  "通知の再送はコーディネーターのみ行えます");
		return;
	}
	struct store_notification n = { 0 };
	int rc = core_retry_notification(r->core, r->http->segs[2]);
	if (rc < 0) {
		api_storage_error(r);
		return;
	}
	int got = store_outbox_get(r->core->store, r->http->segs[2], &n);
	if (got) {
		api_error(r, 404, "not_found", NULL, "no such notification", "該当する通知はありません");
	} else if (rc) {
		api_error(r, 409, "not_dead", NULL, "only a dead notification can be retried; this one is not dead",
			  "再送できるのは配信に失敗した（dead）通知だけです");
	} else {
		api_reply_json(r, 200, notification_json(r, &n));
	}
	store_notification_release(&n);
}
