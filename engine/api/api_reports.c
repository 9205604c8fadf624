/*
 * api_reports — GET /v1/reports/funnel, /durations and /resources for the city's
 * coordinators: ?from=&to= (dates the cases were opened, inclusive) and
 * ?group_by=pathway|origin|receiver|area|month|fiscal_year. JSON by default; CSV
 * with Accept: text/csv — UTF-8 with BOM, or CP932 with `charset=Shift_JIS`,
 * where a character CP932 lacks becomes 〓, counted in the Tsunagu-Unmappable
 * header and in a note at the end. Reports carry no personal data.
 */
#include "api.h"
#include "csvout.h"
#include "report.h"

#include <string.h>
#include <strings.h>

static int query(struct api_request *r, struct report_query *q)
{
	memset(q, 0, sizeof(*q));
	if (api_query_period(r, &q->from, &q->to))
		return -1;
	const char *g = api_query(r, "group_by");
	int gi = g ? vocab_lookup(report_group_names, g) : GROUP_PATHWAY;
	if (gi < 0) {
		api_error(r, 422, "invalid_field", "group_by",
			  "group_by must be pathway, origin, receiver, area, month or fiscal_year",
			  "group_by は pathway, origin, receiver, area, month, fiscal_year のいずれかで指定してください");
		return -1;
	}
	q->group = gi;
	return 0;
}

static void reply(struct api_request *r, json_t *report)
{
	const char *accept = httpd_header(r->http, "Accept");
	if (!accept || !strcasestr(accept, "text/csv")) {
		api_reply_json(r, 200, report);
		return;
	}
	char *csv = report_csv(report);
	json_decref(report);
	buf_release(&r->http->reply);
	buf_init(&r->http->reply);
	r->http->status = 200;
	if (strcasestr(accept, "shift_jis") || strcasestr(accept, "cp932") || strcasestr(accept, "windows-31j")) {
		int unmappable = 0;
		struct buf text;
		buf_init(&text);
		buf_adds(&text, csv);
		size_t len;
		char *sjis = csv_to_cp932(text.data, text.len, &len, &unmappable);
		if (unmappable) {
			/* say so in the file too, so it is seen where the numbers are read */
			char *note = xasprintf("注記: Shift_JIS で表せない文字 %d 字を〓に置き換えました "
					       "(note: %d characters Shift_JIS cannot hold are shown as 〓)\r\n", unmappable, unmappable);
			free(sjis);
			buf_adds(&text, note);
			free(note);
			int again = 0;
			sjis = csv_to_cp932(text.data, text.len, &len, &again);
		}
		buf_add(&r->http->reply, sjis, len);
		free(sjis);
		buf_release(&text);
		r->http->content_type = "text/csv; charset=Shift_JIS";
		r->http->unmappable = unmappable;
	} else {
		csv_begin(&r->http->reply);
		buf_adds(&r->http->reply, csv);
		r->http->content_type = "text/csv; charset=utf-8";
	}
	free(csv);
}

typedef json_t *report_fn(struct core *, const struct report_query *);

struct job {
	report_fn *make;
	struct report_query q;
};

/* On a worker: a report reads years of cases and events. */
static void make_report(struct api_request *r, void *arg)
{
	struct job *j = arg;
	json_t *report = j->make(r->core, &j->q);
	if (!report) {
		api_storage_error(r);
		return;
	}
	reply(r, report);
}

static void run(struct api_request *r, report_fn *make)
{
	if (!cm_is_coordinator(&r->caller)) {
		api_error(r, 403, "forbidden", NULL, "reports are for the city's coordinators",
			  "報告はコーディネーターのみ閲覧できます");
		return;
	}
	struct job *j = xcalloc(1, sizeof(*j));
	j->make = make;
	if (query(r, &j->q)) {
		free(j);
		return;
	}
	api_offload(r, make_report, j, free);
}

void api_report_funnel(struct api_request *r)
{
	run(r, report_funnel);
}

void api_report_durations(struct api_request *r)
{
	run(r, report_durations);
}

void api_report_resources(struct api_request *r)
{
	run(r, report_resources);
}
