/*
 * api_subjects — GET /v1/subjects/{id}/export: the disclosure of one person for
 * the caller's organisation, JSON or (?format=text) printable Japanese; POST
 * /v1/subjects/{id}/erase: an erasure on request, by the organisation's admin.
 * A person the organisation holds nothing about answers 404, like any unknown
 * thing.
 */
#include "api.h"
#include "disclosure.h"
#include "purge.h"

#include <string.h>

struct export_job {
	struct disclosure_scope scope;
	char *person;
	clock_us now;
	bool text;
};

static void export_job_free(void *arg)
{
	struct export_job *j = arg;
	disclosure_scope_release(&j->scope);
	free(j->person);
	free(j);
}

/* On a worker: a person with hundreds of cases reads thousands of rows. */
static void make_export(struct api_request *r, void *arg)
{
	struct export_job *j = arg;
	json_t *d = disclosure_build(r->core, &r->caller, &j->scope, j->person, j->now);
	if (!d) {
		api_storage_error(r);
		return;
	}
	if (json_array_size(json_object_get(d, "cases")) == 0) {
		json_decref(d);
		api_error(r, 404, "not_found", NULL, "nothing is held about this person here",
			  "この機関はこの方の記録を保有していません");
		return;
	}
	if (j->text) {
		char *text = disclosure_text(d);
		json_decref(d);
		r->http->status = 200;
		r->http->reply.len = 0;
		buf_adds(&r->http->reply, text);
		free(text);
		r->http->content_type = "text/plain; charset=utf-8";
		return;
	}
	api_reply_json(r, 200, d);
}

/* The access-log rows of the cases it covers are written here, on the loop; the rest is a worker's. */
void api_subject_export(struct api_request *r)
{
	static const char *const params[] = { "format", NULL };
	if (api_query_known(r, params))
		return;
	const char *format = api_query(r, "format");
	if (format && strcmp(format, "json") && strcmp(format, "text")) {
		api_error(r, 422, "invalid_field", "format", "format must be json or text", "format は json か text で指定してください");
		return;
	}
	struct export_job *j = xcalloc(1, sizeof(*j));
	j->person = xstrdup(r->http->segs[2]);
	j->now = r->http->now;
	j->text = format && !strcmp(format, "text");
	if (disclosure_log_reads(r->core, &r->caller, r->user.id, j->person, j->now, &j->scope)) {
		export_job_free(j);
		api_storage_error(r);
		return;
	}
	if (!j->scope.n) {
		export_job_free(j);
		api_error(r, 404, "not_found", NULL, "nothing is held about this person here",
			  "この機関はこの方の記録を保有していません");
		return;
	}
	api_offload(r, make_export, j, export_job_free);
}

void api_subject_erase(struct api_request *r)
{
	if (!(r->caller.roles & MASK(ROLE_ADMIN))) {
		api_error(r, 403, "forbidden", NULL, "an erasure is made by an admin of the organisation",
			  "消去は機関の管理者が行います");
		return;
	}
	json_t *body = api_body_object(r);
	if (!body)
		return;
	static const char *const keys[] = { "reason", NULL };
	struct refusal why = { 0 };
	struct erase_result res = { 0 };
	const json_t *reason = json_object_get(body, "reason");
	if (!reason) {
		refusal_set(&why, "missing_field", "reason", "reason is required: why the data is erased");
		refusal_ja(&why, "reason（消去の理由）は必須です");
	}
	if (cm_check_keys(body, NULL, "an erasure", "消去", keys, &why) || !reason ||
	    cm_check_text(reason, "reason", 1000, &why)) {
		api_refuse(r, &why);
		goto out;
	}
	int rc = purge_person(r->core, &r->caller, NULL, r->http->segs[2], json_string_value(reason), r->http->now, &res);
	if (rc < 0) {
		api_storage_error(r);
	} else if (rc > 0) {
		char *open = json_dumps(res.open, JSON_COMPACT);
		char *msg = xasprintf("nothing was erased: the person's cases %s are still open; close them first", open);
		char *ja = xasprintf("消去していません。ケース %s が終了していません。先に終了してください", open);
		api_error(r, 409, "case_open", NULL, msg, ja);
		free(open);
		free(msg);
		free(ja);
	} else if (res.erased == 0) {
		api_error(r, 404, "not_found", NULL, "nothing is held about this person here",
			  "この機関はこの方の記録を保有していません");
	} else {
		api_reply_json(r, 200, json_pack("{s:i}", "erased", res.erased));
	}
out:
	erase_result_release(&res);
	refusal_release(&why);
	json_decref(body);
}
