/*
 * api_reports — GET /v1/reports/funnel, /durations and /resources for the city's
 * coordinators: ?from=&to= (dates the cases were opened, inclusive) and
 * ?group_by=pathway|origin|receiver|area|month|fiscal_year. JSON by default; CSV
 * with Accept: text/csv — UTF-8 with BOM, or CP932 with `charset=Shift_JIS`,
 * where a character CP932 lacks becomes 〓, counted in the Tsunagu-Unmappable
 * header and in a note at the end. Reports carry no personal data.
 *
 * The reports of records by fiscal year (core/tally): GET /v1/reports/tally
 * (a pathway's cases by an enum field and fiscal year, with the counts imported
 * for the years before the system, which POST /v1/reports/tally takes as CSV)
 * and GET /v1/reports/timeline (an action's records by fiscal year; its notes
 * are free text, so reading it is access-logged).
 */
#include "api.h"
#include "csvout.h"
#include "date.h"
#include "report.h"
#include "tally.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int query(struct api_request *r, struct report_query *q)
{
	static const char *const known[] = { "from", "to", "group_by", NULL };
	memset(q, 0, sizeof(*q));
	if (api_query_known(r, known) || api_query_period(r, &q->from, &q->to))
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

/* The report in the format the request's Accept chose (api_accept, on the loop before the job). */
static void reply(struct api_request *r, json_t *report, enum api_format format,
		  char *(*to_csv)(const json_t *report))
{
	if (format == API_JSON) {
		api_reply_json(r, 200, report);
		return;
	}
	char *csv = to_csv(report);
	json_decref(report);
	buf_release(&r->http->reply);
	buf_init(&r->http->reply);
	r->http->status = 200;
	if (format == API_CSV_SHIFT_JIS) {
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
	enum api_format format;
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
	reply(r, report, j->format, report_csv);
}

static bool coordinators_only(struct api_request *r)
{
	if (cm_is_coordinator(&r->caller))
		return true;
	api_error(r, 403, "forbidden", NULL, "reports are for the city's coordinators",
		  "報告はコーディネーターのみ閲覧できます");
	return false;
}

static void run(struct api_request *r, report_fn *make)
{
	if (!coordinators_only(r))
		return;
	struct job *j = xcalloc(1, sizeof(*j));
	j->make = make;
	if (query(r, &j->q) || api_accept(r, true, &j->format)) {
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

/* ---- records by fiscal year ------------------------------------------------------------------ */

/* ?pathway= (a loaded pathway), or NULL with the 422/404 replied. */
static const struct pathway *pathway_param(struct api_request *r)
{
	const char *id = api_query(r, "pathway");
	const struct pathway *pw = id ? pathway_set_find(&r->core->cfg->pathways, id) : NULL;
	if (!id)
		api_error(r, 422, "missing_field", "pathway", "pathway is required", "pathway は必須です");
	else if (!pw)
		api_error(r, 404, "not_found", "pathway", "no such pathway", "該当するパスはありません");
	return pw;
}

/* A pathway of records that the caller keeps (one of its openers)? Else replies 422 or 403. */
static bool keeps_records(struct api_request *r, const struct pathway *pw)
{
	struct refusal why = { 0 };
	if (tally_records_only(pw, &why)) {
		api_refuse(r, &why);
		refusal_release(&why);
		return false;
	}
	if (cm_may_open(pw, &r->caller))
		return true;
	api_error(r, 403, "forbidden", "pathway", "these records are kept by those who may open them",
		  "この記録は、記録を開始できる人だけが見られます");
	return false;
}

/* ?from_year= and ?to_year= as 2017, H29 or 平成29年度 (0 when absent); -1 with the 422 replied. */
static int years_param(struct api_request *r, int *from, int *to)
{
	const char *names[2] = { "from_year", "to_year" };
	int *out[2] = { from, to };
	for (int i = 0; i < 2; i++) {
		const char *v = api_query(r, names[i]);
		*out[i] = 0;
		if (v && date_fiscal_parse(v, out[i])) {
			api_errorf(r, 422, "invalid_field", names[i], "%s must be a fiscal year (2017, H29, 平成29年度)",
				   "%s には年度（2017・H29・平成29年度など）を指定してください", names[i]);
			return -1;
		}
	}
	return 0;
}

/* What a worker needs to make a tally or a timeline: the query's text, copied (the request goes). */
struct records_job {
	char *pathway;
	char *params[6];
	int from_year, to_year;
	bool timeline;
	role_mask roles;           /* the reader's: every field named must be one they see */
	enum api_format format;
};

static void records_job_free(void *arg)
{
	struct records_job *j = arg;
	free(j->pathway);
	for (size_t i = 0; i < COUNT_OF(j->params); i++)
		free(j->params[i]);
	free(j);
}

static void make_records_report(struct api_request *r, void *arg)
{
	struct records_job *j = arg;
	const struct pathway *pw = pathway_set_find(&r->core->cfg->pathways, j->pathway);
	struct refusal why = { 0 };
	json_t *report = NULL;
	if (j->timeline) {
		struct timeline_query q = { { j->roles }, j->params[0], j->params[1], j->params[2], j->params[3],
					    j->params[4], j->from_year, j->to_year };
		report = pw ? timeline_report(r->core, pw, &q, &why) : NULL;
	} else {
		struct tally_query q = { { j->roles }, j->params[0], j->params[1], j->from_year, j->to_year };
		report = pw ? tally_report(r->core, pw, &q, &why) : NULL;
	}
	if (report)
		reply(r, report, j->format, j->timeline ? timeline_csv : tally_csv);
	else if (why.code)
		api_refuse(r, &why);
	else
		api_error(r, 404, "not_found", "pathway", "no such pathway", "該当するパスはありません");
	refusal_release(&why);
}

static void records_report(struct api_request *r, bool timeline, const char *const *params, size_t n)
{
	static const char *const tally_known[] = { "pathway", "field", "date", "from_year", "to_year", NULL };
	static const char *const timeline_known[] = { "pathway", "action", "year", "kind", "label", "note",
						      "from_year", "to_year", NULL };
	if (!coordinators_only(r) || api_query_known(r, timeline ? timeline_known : tally_known))
		return;
	const struct pathway *pw = pathway_param(r);
	int from, to;
	enum api_format format;
	if (!pw || !keeps_records(r, pw) || years_param(r, &from, &to) || api_accept(r, true, &format))
		return;
	/* a timeline's notes are free text a person's name could be in: its read is logged before it leaves */
	struct flow f = api_flow(r);
	if (timeline && flow_log_read(&f, NULL, "report.timeline")) {
		api_storage_error(r);
		return;
	}
	struct records_job *j = xcalloc(1, sizeof(*j));
	j->pathway = xstrdup(pw->id);
	j->timeline = timeline;
	j->roles = r->caller.roles;
	j->from_year = from;
	j->to_year = to;
	j->format = format;
	for (size_t i = 0; i < n; i++) {
		const char *v = api_query(r, params[i]);
		j->params[i] = v ? xstrdup(v) : NULL;
	}
	api_offload(r, make_records_report, j, records_job_free);
}

void api_report_tally(struct api_request *r)
{
	static const char *const params[] = { "field", "date" };
	records_report(r, false, params, COUNT_OF(params));
}

void api_report_timeline(struct api_request *r)
{
	static const char *const params[] = { "action", "year", "kind", "label", "note" };
	records_report(r, true, params, COUNT_OF(params));
}

/* POST /v1/reports/tally?pathway=&field=: the counts of the years before the system, as CSV. */
void api_report_tally_import(struct api_request *r)
{
	static const char *const known[] = { "pathway", "field", NULL };
	if (!coordinators_only(r) || api_query_known(r, known))
		return;
	const char *ct = httpd_header(r->http, "Content-Type");
	if (!ct || strncasecmp(ct, "text/csv", 8)) {
		api_error(r, 415, "unsupported_media_type", NULL, "send the counts as Content-Type: text/csv",
			  "件数は Content-Type: text/csv で送ってください");
		return;
	}
	const struct pathway *pw = pathway_param(r);
	if (!pw || !keeps_records(r, pw))
		return;
	const char *field = api_query(r, "field");
	struct refusal why = { 0 };
	json_t *done = tally_import(r->core, pw, field, r->http->body, r->http->body_len, r->http->now, &why);
	if (done && core_admin_event(r->core, r->http->now, &r->caller, NULL, "tallies_imported", done)) {
		json_decref(done);
		done = NULL;
		refusal_set(&why, "storage_unavailable", NULL, "the database could not be written");
		refusal_ja(&why, "データベースに書き込めませんでした");
	}
	if (done)
		api_reply_json(r, 200, done);
	else
		api_refuse(r, &why);
	refusal_release(&why);
}
