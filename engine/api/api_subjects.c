/*
 * api_subjects — GET /v1/subjects/{id}/export: the disclosure of one person for
 * the caller's organisation, JSON or (?format=text) printable Japanese. A person
 * the organisation holds nothing about answers 404, like any unknown thing.
 */
#include "api.h"
#include "disclosure.h"

#include <string.h>

void api_subject_export(struct api_request *r)
{
	const char *format = api_query(r, "format");
	if (format && strcmp(format, "json") && strcmp(format, "text")) {
		api_error(r, 422, "invalid_field", "format", "format must be json or text", "format は json か text で指定してください");
		return;
	}
	json_t *d = disclosure_build(r->core, &r->caller, r->user.id, r->http->segs[2], r->http->now);
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
	if (format && !strcmp(format, "text")) {
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
