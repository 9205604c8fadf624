/*
 * api_audit — for the city's coordinators: the event chain's verification, the
 * access log (who read whose personal data, when) and the provision records
 * (APPI art. 29: date, recipient, person, items, consent), with a period filter,
 * as JSON or as CSV (Accept: text/csv; UTF-8 with BOM) for an inspection. Listing
 * provision records shows people's names, so it is itself written to the access log.
 */
#include "api.h"
#include "csvout.h"
#include "disclosure.h"

#include <stdlib.h>
#include <string.h>

static bool coordinator(struct api_request *r)
{
	if (cm_is_coordinator(&r->caller))
		return true;
	api_error(r, 403, "forbidden", NULL, "the audit is for the city's coordinators",
		  "監査の情報はコーディネーターのみ閲覧できます");
	return false;
}

/* The daemon's own scheduled walk (audit.verify_every_minutes): when, and what it found; null before the first. */
static json_t *scheduled_json(struct api_request *r, const struct core_chain_check *c)
{
	if (!c->at)
		return json_null();
	return json_pack("{s:o, s:b, s:I, s:o, s:o}", "at", api_time(r, c->at), "ok", c->ok, "events",
			 (json_int_t)c->events, "broken_at", c->broken_at ? json_integer(c->broken_at) : json_null(),
			 "reason", c->broken_at ? json_string(c->reason) : json_null());
}

/* On a worker: the walk reads every event since the first. */
static void make_verify(struct api_request *r, void *arg)
{
	struct store_verify v;
	if (store_verify_chain(r->core->store, &v)) {
		api_storage_error(r);
		return;
	}
	json_t *o = json_pack("{s:b, s:I}", "ok", v.bad_seq == 0, "events", (json_int_t)v.events);
	json_object_set_new(o, "broken_at", v.bad_seq ? json_integer(v.bad_seq) : json_null());
	json_object_set_new(o, "reason", v.bad_seq ? json_string(v.reason) : json_null());
	json_object_set_new(o, "checked_at", api_time(r, r->http->now));
	json_object_set_new(o, "last_scheduled_check", scheduled_json(r, arg));
	api_reply_json(r, 200, o);
}

void api_audit_verify(struct api_request *r)
{
	if (!coordinator(r))
		return;
	/* the loop's record of the scheduled walk, copied for the worker that makes the reply */
	struct core_chain_check *c = xmalloc(sizeof(*c));
	*c = r->core->chain_check;
	api_offload(r, make_verify, c, free);
}

struct listing {
	struct api_request *r;
	json_t *items;
	struct buf *csv;
	int left;                  /* rows this page may still take (JSON) */
	bool more;                 /* a row beyond the page exists */
	clock_us last_at;
	char *last_id;
};

/* Counts a row against the page: false when it is the one beyond it (it says there is more). */
static bool page_takes(struct listing *l, clock_us at, const char *id)
{
	if (l->csv)
		return true;
	if (l->left-- == 0) {
		l->more = true;
		return false;
	}
	l->last_at = at;
	free(l->last_id);
	l->last_id = xstrdup(id);
	return true;
}

static int access_one(void *ctx, const struct store_access *a)
{
	struct listing *l = ctx;
	if (!page_takes(l, a->at, a->id))
		return 1;
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
	if (!page_takes(l, p->at, p->id))
		return 1;
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
		/* the items as the disclosure printout names them: a pathway's fields by their titles */
		char pathway[128];
		long version = 0;
		const struct pathway *pw = store_case_pathway(l->r->core->store, p->case_id, pathway, sizeof(pathway),
							       &version) == 0 ? core_pathway(l->r->core, pathway, version) : NULL;
		char *titles = disclosure_items_title(pw, p->items);
		json_object_set_new(o, "items_title", json_string(titles));
		free(titles);
		json_array_append_new(l->items, o);
	}
	return 0;
}

/* What a listing's reply is made from, on a worker. */
struct listing_job {
	bool provisions;
	bool csv;
	struct store_page page;
	char *after_id, *org, *person;
};

static void listing_job_free(void *arg)
{
	struct listing_job *j = arg;
	free(j->after_id);
	free(j->org);
	free(j->person);
	free(j);
}

static void make_listing(struct api_request *r, void *arg)
{
	struct listing_job *j = arg;
	struct buf csv;
	struct listing l = { .r = r, .items = json_array(), .left = j->page.limit - 1 };
	if (j->csv) {
		buf_init(&csv);
		csv_begin(&csv);
		l.csv = &csv;
		static const char *const access_head[] = { "at", "user", "org", "case_id", "subject_id", "what",
							   "user_name", "org_name", NULL };
		static const char *const prov_head[] = { "at", "recipient", "from", "case_id", "subject_id",
							 "subject_name", "items", "consent_basis", "recipient_name",
							 "from_name", NULL };
		const char *const *head = j->provisions ? prov_head : access_head;
		for (size_t i = 0; head[i]; i++)
			csv_cell(&csv, head[i], !head[i + 1]);
	}
	int rc = j->provisions ? store_provisions_list(r->core->store, &j->page, provision_one, &l)
			       : store_access_list(r->core->store, &j->page, access_one, &l);
	if (rc) {
		json_decref(l.items);
		if (l.csv)
			buf_release(&csv);
		free(l.last_id);
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
	json_t *next = json_null();
	if (l.more) {
		char *c = xasprintf("%lld.%s", (long long)l.last_at, l.last_id);
		next = json_string(c);
		free(c);
	}
	free(l.last_id);
	api_reply_json(r, 200, json_pack("{s:o, s:o}", "items", l.items, "next_cursor", next));
}

/* Reads ?cursor= ("AT.ID", as a page's next_cursor gives it) into the job: 0, or -1 with the 400 replied. */
static int read_cursor(struct api_request *r, struct listing_job *j)
{
	const char *v = api_query(r, "cursor");
	if (!v)
		return 0;
	const char *dot = strchr(v, '.');
	size_t digits = strspn(v, "0123456789");
	if (!dot || digits == 0 || digits > 18 || v + digits != dot || !api_cursor_is_id(dot + 1)) {
		api_bad_cursor(r);
		return -1;
	}
	j->page.after_at = strtoll(v, NULL, 10);
	j->after_id = xstrdup(dot + 1);
	j->page.after_id = j->after_id;
	return 0;
}

/*
 * A page of the access log or the provision records as JSON (limit, cursor),
 * or the whole period as CSV for an inspection; either is made on a worker.
 */
/* Logs a lookup of one person against each case (and so subject) the term finds: never the term itself. */
struct lookup_log {
	struct api_request *r;
	const char *what;
	int failed, cases;
};

static int log_one(void *ctx, const char *case_id)
{
	struct lookup_log *l = ctx;
	struct case_record c = { 0 };
	int rc = store_case_get(l->r->core->store, case_id, &c);
	if (rc == 0 && api_case_log_access(l->r, &c, l->what))
		rc = -1;
	case_record_release(&c);
	l->cases += rc == 0;
	l->failed |= rc < 0;
	return rc < 0;
}

static int log_lookup(struct api_request *r, const char *person, const char *what)
{
	struct lookup_log l = { r, what, 0, 0 };
	if (store_cases_of_person(r->core->store, person, log_one, &l) || l.failed)
		return -1;
	/* a lookup that found nobody is on record too, with no one's id */
	return l.cases ? 0 : api_case_log_access(r, NULL, what);
}

/* Why someone's records are looked up: the access log says which. */
static const char *const purposes[] = { "inspection", "disclosure_request", "complaint", NULL };

/*
 * A page of the access log or the provision records as JSON (limit, cursor),
 * or the whole period as CSV for an inspection; either is made on a worker.
 * By organisation (org=), and one person's records (person=: a subject, case
 * or person id) only with the purpose of looking (purpose=), which the access
 * log keeps with the person.
 */
static void list(struct api_request *r, bool provisions)
{
	static const char *const params[] = { "from", "to", "limit", "cursor", "org", "person", "purpose", NULL };
	int limit = 100;
	if (!coordinator(r) || api_query_known(r, params) || api_query_limit(r, &limit))
		return;
	const char *org = api_query(r, "org"), *person = api_query(r, "person"), *purpose = api_query(r, "purpose");
	if (org && !config_find_org(r->core->cfg, org)) {
		api_error(r, 422, "invalid_field", "org", "org must be an organisation of the config (GET /v1/orgs)",
			  "org には設定された機関を指定してください");
		return;
	}
	if (person && (!*person || strlen(person) > 200)) {
		api_error(r, 422, "invalid_field", "person", "person is a subject, case or person id",
			  "person には本人・ケース・被保険者番号などの ID を指定してください");
		return;
	}
	if ((person || purpose) && (!purpose || vocab_lookup(purposes, purpose) < 0)) {
		api_error(r, 422, purpose ? "invalid_field" : "missing_field", "purpose",
			  "looking up one person's records needs its purpose: inspection, disclosure_request or complaint",
			  "本人の記録を調べるには目的（inspection 監査, disclosure_request 開示請求, complaint 苦情）が必要です");
		return;
	}
	enum api_format format;
	if (api_accept(r, false, &format))
		return;
	struct listing_job *j = xcalloc(1, sizeof(*j));
	j->provisions = provisions;
	j->csv = format != API_JSON;
	j->org = org ? xstrdup(org) : NULL;
	j->person = person ? xstrdup(person) : NULL;
	j->page.org = j->org;
	j->page.person = j->person;
	if (api_query_period(r, &j->page.from, &j->page.to) || read_cursor(r, j)) {
		listing_job_free(j);
		return;
	}
	/* one row beyond the page says whether there is a next one */
	j->page.limit = j->csv ? 0 : limit + 1;
	char *what = person ? xasprintf("audit.%s.person.%s", provisions ? "provisions" : "access", purpose) : NULL;
	int logged = person ? log_lookup(r, person, what) : provisions ? api_case_log_access(r, NULL, "audit.provisions") : 0;
	free(what);
	if (logged) {
		listing_job_free(j);
		api_storage_error(r);
		return;
	}
	api_offload(r, make_listing, j, listing_job_free);
}

void api_audit_access(struct api_request *r)
{
	list(r, false);
}

void api_audit_provisions(struct api_request *r)
{
	list(r, true);
}
