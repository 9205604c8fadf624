/*
 * api_audit — for the city's coordinators: the event chain's verification, the
 * access log (who read whose personal data, when) and the provision records
 * (APPI art. 29: date, recipient, person, items, consent), with a period filter,
 * as JSON or as CSV (Accept: text/csv; UTF-8 with BOM) for an inspection. Listing
 * provision records shows people's names, so it is itself written to the access log.
 */
#include "api.h"
#include "csvout.h"

#include <string.h>
#include <strings.h>

static bool coordinator(struct api_request *r)
{
	if (cm_is_coordinator(&r->caller))
		return true;
	api_error(r, 403, "forbidden", NULL, "the audit is for the city's coordinators",
		  "監査の情報はコーディネーターのみ閲覧できます");
	return false;
}

static bool wants_csv(const struct api_request *r)
{
	const char *a = httpd_header(r->http, "Accept");
	return a && strcasestr(a, "text/csv");
}

void api_audit_verify(struct api_request *r)
{
	if (!coordinator(r))
		return;
	struct store_verify v;
	if (store_verify_chain(r->core->store, &v)) {
		api_storage_error(r);
		return;
	}
	json_t *o = json_pack("{s:b, s:I}", "ok", v.bad_seq == 0, "events", (json_int_t)v.events);
	json_object_set_new(o, "broken_at", v.bad_seq ? json_integer(v.bad_seq) : json_null());
	json_object_set_new(o, "reason", v.bad_seq ? json_string(v.reason) : json_null());
	api_reply_json(r, 200, o);
}

struct listing {
	struct api_request *r;
	json_t *items;
	struct buf *csv;
};

static int access_one(void *ctx, const struct store_access *a)
{
	struct listing *l = ctx;
	json_t *at = api_time(l->r, a->at);
	if (l->csv) {
		csv_cell(l->csv, json_string_value(at), false);
		csv_cell(l->csv, a->user, false);
		csv_cell(l->csv, a->org, false);
		csv_cell(l->csv, a->case_id, false);
		csv_cell(l->csv, a->subject_id, false);
		csv_cell(l->csv, a->what, false);
		csv_cell(l->csv, a->user_name, false);
		csv_cell(l->csv, config_org_name(l->r->core->cfg, a->org), true);
		json_decref(at);
	} else {
		json_array_append_new(l->items, json_pack("{s:o, s:s, s:s, s:s?, s:s?, s:s, s:s?, s:s}", "at", at, "user",
							  a->user, "org", a->org, "case_id", a->case_id, "subject_id",
							  a->subject_id, "what", a->what, "user_name", a->user_name,
							  "org_name", config_org_name(l->r->core->cfg, a->org)));
	}
	return 0;
}

static int provision_one(void *ctx, const struct store_provision *p)
{
	struct listing *l = ctx;
	const char *name = p->subject_name;
	json_t *at = api_time(l->r, p->at);
	if (l->csv) {
		csv_cell(l->csv, json_string_value(at), false);
		csv_cell(l->csv, p->to_org, false);
		csv_cell(l->csv, p->from_org, false);
		csv_cell(l->csv, p->case_id, false);
		csv_cell(l->csv, p->subject_id, false);
		csv_cell(l->csv, name ? name : "(purged)", false);
		csv_cell(l->csv, p->items, false);
		csv_cell(l->csv, p->consent_basis, false);
		csv_cell(l->csv, config_org_name(l->r->core->cfg, p->to_org), false);
		csv_cell(l->csv, config_org_name(l->r->core->cfg, p->from_org), true);
		json_decref(at);
	} else {
		json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "id", p->id, "at", at, "recipient",
				      p->to_org, "from", p->from_org, "case_id", p->case_id, "subject_id", p->subject_id,
				      "subject_name", name ? json_string(name) : json_null(), "items", p->items,
				      "consent_basis", p->consent_basis);
		json_object_set_new(o, "recipient_name", json_string(config_org_name(l->r->core->cfg, p->to_org)));
		json_object_set_new(o, "from_name", json_string(config_org_name(l->r->core->cfg, p->from_org)));
		json_array_append_new(l->items, o);
	}
	return 0;
}

static void list(struct api_request *r, bool provisions)
{
	clock_us from, to;
	if (!coordinator(r) || api_query_period(r, &from, &to))
		return;
	struct buf csv;
	struct listing l = { r, json_array(), NULL };
	if (wants_csv(r)) {
		buf_init(&csv);
		csv_begin(&csv);
		l.csv = &csv;
		static const char *const access_head[] = { "at", "user", "org", "case_id", "subject_id", "what",
							   "user_name", "org_name", NULL };
		static const char *const prov_head[] = { "at", "recipient", "from", "case_id", "subject_id",
							 "subject_name", "items", "consent_basis", "recipient_name",
							 "from_name", NULL };
		const char *const *head = provisions ? prov_head : access_head;
		for (size_t i = 0; head[i]; i++)
			csv_cell(&csv, head[i], !head[i + 1]);
	}
	int rc = provisions ? store_provisions_list(r->core->store, from, to, provision_one, &l)
			    : store_access_list(r->core->store, from, to, access_one, &l);
	if (!rc && provisions)
		rc = api_case_log_access(r, NULL, "audit.provisions");
	if (rc) {
		json_decref(l.items);
		if (l.csv)
			buf_release(&csv);
		api_storage_error(r);
		return;
	}
	if (l.csv) {
		json_decref(l.items);
		r->http->status = 200;
		buf_release(&r->http->reply);
		r->http->reply = csv;
		r->http->content_type = "text/csv; charset=utf-8";
		return;
	}
	api_reply_json(r, 200, json_pack("{s:o, s:n}", "items", l.items, "next_cursor"));
}

void api_audit_access(struct api_request *r)
{
	list(r, false);
}

void api_audit_provisions(struct api_request *r)
{
	list(r, true);
}
