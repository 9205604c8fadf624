/*
 * api_imports — POST /v1/imports/checkup: a checkup results file (text/csv) by
 * checkup staff; the answer is the import's report.
 */
#include "api.h"
#include "checkup.h"

#include <string.h>
#include <strings.h>

void api_import_checkup(struct api_request *r)
{
	const char *ct = httpd_header(r->http, "Content-Type");
	if (!ct || strncasecmp(ct, "text/csv", 8)) {
		api_error(r, 415, "unsupported_media_type", NULL, "send the checkup file as Content-Type: text/csv",
			  "健診結果のファイルは Content-Type: text/csv で送ってください");
		return;
	}
	const char *id = api_query(r, "pathway");
	const struct pathway *pw = pathway_set_find(&r->core->cfg->pathways, id ? id : "health-checkup");
	if (!pw || !pw->eligibility) {
		api_error(r, 422, "invalid_field", "pathway", "pathway must be a loaded pathway with an eligibility rule",
			  "pathway には適格条件（eligibility）のあるパスを指定してください");
		return;
	}
	if (r->http->body_len == 0) {
		api_error(r, 422, "missing_header", NULL, "the file is empty", "ファイルが空です");
		return;
	}
	struct flow f = api_flow(r);
	struct refusal err = { 0 };
	if (!(pw->open_roles & r->caller.roles) || (pw->open_kinds && !(pw->open_kinds & MASK(r->caller.org->kind)))) {
		api_error(r, 403, "forbidden", NULL, "your role or organisation may not import checkup results",
			  "この役割・機関では健診結果を取り込めません");
		return;
	}
	const char *apply = api_query(r, "apply_changes");
	if (apply && strcmp(apply, "true") && strcmp(apply, "false")) {
		api_error(r, 422, "invalid_field", "apply_changes", "apply_changes must be true or false",
			  "apply_changes は true か false で指定してください");
		return;
	}
	json_t *report = checkup_import(&f, pw, r->http->body, r->http->body_len, apply && !strcmp(apply, "true"),
					clock_local_date(r->core->clock, r->http->now), &err);
	if (!report)
		api_refuse(r, &err);
	else
		api_reply_json(r, 200, report);
	refusal_release(&err);
}
