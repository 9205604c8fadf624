/*
 * api_imports — POST /v1/imports/checkup: a checkup results file (text/csv) by
 * checkup staff; the answer is the import's report. The rows are imported a
 * slice per loop turn, so a file of thousands of rows never holds the loop.
 */
#include "api.h"
#include "checkup.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Rows per loop turn: a few milliseconds of work, so other requests go between. */
#define ROWS_PER_TURN 16

struct import_job {
	struct checkup_import *imp;
	struct api_kept_flow kept;
};

static void import_job_free(void *ctx)
{
	struct import_job *j = ctx;
	checkup_import_free(j->imp);
	api_kept_flow_release(&j->kept);
	free(j);
}

static int import_step(void *ctx, struct httpd_request *req)
{
	struct import_job *j = ctx;
	struct api_request r = { .http = req, .core = j->kept.flow.core };
	int rc = checkup_import_step(j->imp, &j->kept.flow, ROWS_PER_TURN);
	if (rc < 0)
		api_error(&r, 503, "storage_unavailable", NULL,
			  "the database could not save the rest of the import; send the file again "
			  "(the rows saved so far are then reported unchanged)",
			  "データベースに残りを保存できませんでした。もう一度ファイルを送ってください"
			  "（保存済みの行は unchanged と報告されます）");
	else if (rc == 0)
		api_offload_json(&r, checkup_import_report(j->imp));   /* a report of thousands of rows */
	return rc;
}

void api_import_checkup(struct api_request *r)
{
	const char *ct = httpd_header(r->http, "Content-Type");
	if (!ct || strncasecmp(ct, "text/csv", 8)) {
		api_error(r, 415, "unsupported_media_type", NULL, "send the checkup file as Content-Type: text/csv",
			  "健診結果のファイルは Content-Type: text/csv で送ってください");
		return;
	}
	static const char *const params[] = { "pathway", "apply_changes", NULL };
	if (api_query_known(r, params))
		return;
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
	struct refusal err = { 0 };
	if (!cm_may_open(pw, &r->caller)) {
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
	struct checkup_import *imp = checkup_import_begin(pw, r->http->body, r->http->body_len,
							  apply && !strcmp(apply, "true"),
							  clock_local_date(r->core->clock, r->http->now), &err);
	if (!imp) {
		api_refuse(r, &err);
		refusal_release(&err);
		return;
	}
	struct import_job *j = xcalloc(1, sizeof(*j));
	j->imp = imp;
	api_keep_flow(r, &j->kept);
	/* the first slice now, in the handler's unit; the rest in the turns after */
	if (import_step(j, r->http) > 0)
		r->http->slices = (struct httpd_slices){ .step = import_step, .free = import_job_free, .ctx = j };
	else
		import_job_free(j);
}
