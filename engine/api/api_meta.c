/*
 * api_meta — the endpoints that carry no personal data: health, organisations,
 * pathway definitions and their graphs.
 */
#include "api.h"
#include "metrics.h"
#include "netaddr.h"
#include "graph.h"
#include "pathway_diff.h"
#include "report.h"

#include <stdlib.h>
#include <string.h>

void api_healthz(struct api_request *r)
{
	int64_t cases = store_count(r->core->store, "cases");
	if (cases < 0) {
		api_storage_error(r);
		return;
	}
	/* Degraded is still up: the reasons say what runs on an older version (200, so probes keep it). */
	json_t *o = json_pack("{s:s, s:i}", "status", r->core->degraded ? "degraded" : "ok", "pathways",
			      (int)r->core->cfg->pathways.n);
	if (r->core->degraded)
		json_object_set_new(o, "reasons", json_deep_copy(r->core->degraded));
	api_reply_json(r, 200, o);
}

/*
 * Ready to serve: the database answers inside this request's unit of the turn
 * (its write lock was taken to begin it), and pathways are loaded. A daemon
 * running degraded is ready and says why.
 */
void api_readyz(struct api_request *r)
{
	json_t *reasons = r->core->degraded ? json_deep_copy(r->core->degraded) : json_array();
	bool ready = true;
	if (store_count(r->core->store, "cases") < 0) {
		json_array_append_new(reasons, json_string("the database does not answer"));
		ready = false;
	}
	if (!r->core->cfg->pathways.n) {
		json_array_append_new(reasons, json_string("no pathway is loaded"));
		ready = false;
	}
	if (!ready)
		r->http->retry_after = 1;
	api_reply_json(r, ready ? 200 : 503, json_pack("{s:s, s:i, s:o}", "status",
						       !ready ? "not_ready" : r->core->degraded ? "degraded" : "ready",
						       "pathways", (int)r->core->cfg->pathways.n, "reasons", reasons));
}

/* On a worker: the loop's counts, taken on the loop, then what the store and the process say. */
static void make_metrics(struct api_request *r, void *arg)
{
	struct buf *loop = arg;
	struct buf *out = &r->http->reply;
	out->len = 0;
	buf_add(out, loop->data, loop->len);
	metrics_write_store(r->core->store, r->core->cfg, clock_now(r->core->clock), out);
	r->http->status = 200;
	r->http->content_type = METRICS_CONTENT_TYPE;
}

static void metrics_text_free(void *arg)
{
	buf_release(arg);
	free(arg);
}

/* A client on this machine that no proxy forwarded (Prometheus beside the daemon). */
static bool local_and_direct(const struct api_request *r)
{
	return netaddr_text_is_loopback(r->http->client) && !httpd_header(r->http, "X-Forwarded-For") &&
	       !httpd_header(r->http, "Forwarded");
}

void api_metrics(struct api_request *r)
{
	if (!r->binding->metrics_only && !local_and_direct(r)) {
		if (api_authenticate(r, false))
			return;
		if (!(r->caller.roles & MASK(ROLE_MONITOR))) {
			api_error(r, 403, "forbidden", NULL, "/metrics is for a token with the monitor role (or metrics_listen)",
				  "/metrics は monitor ロールのトークン（または metrics_listen）で読めます");
			return;
		}
	}
	if (!r->core->write_metrics) {
		api_error(r, 404, "not_found", NULL, "no such resource", "該当するリソースはありません");
		return;
	}
	struct buf *loop = xmalloc(sizeof(*loop));
	buf_init(loop);
	r->core->write_metrics(r->core->metrics_ctx, loop);
	api_offload(r, make_metrics, loop, metrics_text_free);
}

static json_t *names_of(uint32_t mask, const char *const *table, int count)
{
	json_t *a = json_array();
	for (int i = 0; i < count; i++)
		if (mask & MASK(i))
			json_array_append_new(a, json_string(table[i]));
	return a;
}

void api_orgs(struct api_request *r)
{
	const struct config *cfg = r->core->cfg;
	json_t *items = json_array();
	for (size_t i = 0; i < cfg->n_orgs; i++) {
		const struct config_org *o = &cfg->orgs[i];
		json_t *areas = json_array();
		for (size_t k = 0; k < o->n_areas; k++)
			json_array_append_new(areas, json_string(o->areas[k]));
		json_array_append_new(items, json_pack("{s:s, s:s, s:o, s:o}", "id", o->id, "kind",
						       org_kind_names[o->kind], "name", api_text(&o->name),
						       "areas", areas));
	}
	json_t *areas = json_array();
	for (size_t i = 0; i < cfg->n_areas; i++)
		json_array_append_new(areas, json_pack("{s:s, s:o}", "id", cfg->areas[i].id, "name",
						       api_text(&cfg->areas[i].name)));
	api_reply_json(r, 200, json_pack("{s:o, s:o, s:n}", "items", items, "areas", areas, "next_cursor"));
}

static json_t *pathway_summary(const struct pathway *pw)
{
	return json_pack("{s:s, s:i, s:o, s:o, s:s, s:s}", "id", pw->id, "version", (int)pw->version, "title",
			 api_text(&pw->title), "description", api_text(&pw->description), "digest",
			 pw->digest, "subject", pw->no_subject ? "none" : "person");
}

void api_pathways_list(struct api_request *r)
{
	const struct pathway_set *set = &r->core->cfg->pathways;
	json_t *items = json_array();
	for (size_t i = 0; i < set->n; i++) {
		const struct pathway *pw = set->items[i];
		json_t *item = pathway_summary(pw);
		json_object_set_new(item, "may_open",
				    json_boolean(cm_may_open(pw, &r->caller)));
		json_array_append_new(items, item);
	}
	api_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

static json_t *field_json(const struct pw_field *f)
{
	json_t *o = json_pack("{s:s, s:s, s:o}", "name", f->name, "type", field_type_names[f->type],
			      "title", api_text(&f->title));
	if (f->type == FIELD_ENUM) {
		json_t *values = json_array();
		for (size_t i = 0; i < f->n_values; i++)
			json_array_append_new(values, json_string(f->values[i]));
		json_object_set_new(o, "values", values);
		json_object_set_new(o, "options", api_options(f));
	}
	if (f->type == FIELD_DATE && f->tense != PW_ANY_DATE)
		json_object_set_new(o, "when", json_string(f->tense == PW_PAST_DATE ? "past" : "future"));
	if (f->type == FIELD_TEXT)
		json_object_set_new(o, "max_length", json_integer((json_int_t)f->max_length));
	if (f->type == FIELD_CASES) {
		json_t *pathways = json_array();
		for (size_t i = 0; i < f->n_pathways; i++)
			json_array_append_new(pathways, json_string(f->pathways[i]));
		json_object_set_new(o, "pathways", pathways);
	}
	if (f->type == FIELD_INT) {
		json_object_set_new(o, "min", json_integer(f->min));
		json_object_set_new(o, "max", json_integer(f->max));
	}
	if (f->visible_parties)
		json_object_set_new(o, "visible_to", names_of(f->visible_parties, party_names, PARTY_NONE));
	if (f->visible_roles)
		json_object_set_new(o, "visible_to_roles", names_of(f->visible_roles, role_names, ROLE_COUNT));
	return o;
}

/* What the person's consent covers: the kinds of organisation and the purpose. */
static json_t *consent_json(const struct pathway *pw)
{
	return json_pack("{s:o, s:o, s:b}", "covers", names_of(pathway_consent_covers(pw), org_kind_names, ORG_KIND_COUNT),
			 "purpose", api_text(&pw->consent_purpose), "required", pw->consent_required);
}

static json_t *field_uses_json(const struct pathway *pw, const struct pw_field_use *uses, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:b}", "name", pw->fields[uses[i].field].name,
						   "required", uses[i].required));
	return a;
}

static json_t *notify_json(const struct pw_notify *n)
{
	return json_pack("{s:s, s:s}", "to", party_names[n->to], "template", n->template_name);
}

static json_t *state_json(const struct pathway *pw, const struct pw_state *st)
{
	json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:b}", "name", st->name, "title", api_text(&st->title),
			      "inbox", party_names[st->inbox], "milestone", milestone_names[st->milestone],
			      "final", st->final);
	if (st->outcome)
		json_object_set_new(o, "outcome", json_string(st->outcome));
	if (st->outcome_field >= 0)
		json_object_set_new(o, "outcome_from", json_string(pw->fields[st->outcome_field].name));
	json_t *notify = json_array();
	for (size_t i = 0; i < st->n_notify; i++)
		json_array_append_new(notify, notify_json(&st->notify[i]));
	json_object_set_new(o, "notify", notify);
	json_t *timers = json_array();
	for (size_t i = 0; i < st->n_timers; i++) {
		const struct pw_timer *t = &st->timers[i];
		json_t *tj = json_pack("{s:s}", "name", t->name);
		if (t->at_field >= 0)
			json_object_set_new(tj, "at", json_string(pw->fields[t->at_field].name));
		else
			json_object_set_new(tj, "after", json_pack("{s:i, s:s}", "amount", (int)t->amount,
								   "unit", unit_names[t->unit]));
		if (t->action >= 0)
			json_object_set_new(tj, "action", json_string(st->actions[t->action].name));
		else
			json_object_set_new(tj, "notify", notify_json(&t->notify));
		json_array_append_new(timers, tj);
	}
	json_object_set_new(o, "timers", timers);
	json_t *actions = json_array();
	for (size_t i = 0; i < st->n_actions; i++) {
		const struct pw_action *a = &st->actions[i];
		json_t *aj = json_pack("{s:s, s:o, s:s, s:o, s:o, s:o}", "name", a->name, "title",
				       api_text(a->title.ja ? &a->title : &pw->states[a->target].title), "to",
				       pw->states[a->target].name, "by", names_of(a->by, role_names, ROLE_COUNT),
				       "parties", names_of(a->parties, party_names, PARTY_NONE), "fields",
				       field_uses_json(pw, a->fields, a->n_fields));
		if (a->guard)
			json_object_set_new(aj, "when", json_string(expr_source(a->guard)));
		json_array_append_new(actions, aj);
	}
	json_object_set_new(o, "actions", actions);
	return o;
}

void api_pathway_get(struct api_request *r)
{
	const struct pathway *pw = pathway_set_find(&r->core->cfg->pathways, r->http->segs[2]);
	if (!pw) {
		api_error(r, 404, "not_found", NULL, "no such pathway", "該当するパスはありません");
		return;
	}
	json_t *o = pathway_summary(pw);
	json_object_set_new(o, "opened_by", json_pack("{s:o, s:o}", "roles",
						      names_of(pw->open_roles, role_names, ROLE_COUNT),
						      "org_kinds", names_of(pw->open_kinds, org_kind_names, ORG_KIND_COUNT)));
	json_object_set_new(o, "receiver", json_pack("{s:o, s:s}", "kinds",
						     names_of(pw->receiver_kinds, org_kind_names, ORG_KIND_COUNT),
						     "route", pw->receiver_by_area ? "area" : "action"));
	json_t *subject = json_array();
	for (int i = 0; i < SUBJECT_FIELD_COUNT; i++)
		if (!pw->no_subject && ((pw->subject_required & MASK(i)) || i == SUBJECT_NAME || i == SUBJECT_AREA))
			json_array_append_new(subject, json_string(subject_field_names[i]));
	json_object_set_new(o, "requires", json_pack("{s:o, s:b, s:o}", "subject", subject, "consent",
						     pw->consent_required, "fields",
						     field_uses_json(pw, pw->open_fields, pw->n_open_fields)));
	json_t *fields = json_array();
	for (size_t i = 0; i < pw->n_fields; i++)
		json_array_append_new(fields, field_json(&pw->fields[i]));
	json_object_set_new(o, "fields", fields);
	json_t *outcomes = json_array();
	for (size_t i = 0; i < pw->n_outcomes; i++)
		json_array_append_new(outcomes, json_pack("{s:s, s:o}", "code", pw->outcomes[i].code, "title",
							  api_text(&pw->outcomes[i].title)));
	json_object_set_new(o, "outcomes", outcomes);
	json_object_set_new(o, "eligibility", pw->eligibility ? json_string(expr_source(pw->eligibility)) : json_null());
	json_object_set_new(o, "consent", consent_json(pw));
	json_t *start = json_array();
	for (size_t i = 0; i < pw->n_start; i++)
		json_array_append_new(start, json_pack("{s:o, s:s}", "when",
						       pw->start[i].when ? json_string(expr_source(pw->start[i].when)) : json_null(),
						       "to", pw->states[pw->start[i].target].name));
	json_object_set_new(o, "start", start);
	json_t *states = json_array();
	for (size_t i = 0; i < pw->n_states; i++)
		json_array_append_new(states, state_json(pw, &pw->states[i]));
	json_object_set_new(o, "states", states);
	json_t *reports = json_array();
	for (size_t i = 0; i < pw->n_reports; i++) {
		const struct pw_report *rp = &pw->reports[i];
		json_array_append_new(reports, rp->kind == PW_REPORT_TALLY
			? json_pack("{s:s, s:o, s:s, s:s?}", "kind", "tally", "title", api_text(&rp->title), "field", rp->field,
				    "date", rp->date)
			: json_pack("{s:s, s:o, s:s, s:s, s:s, s:s?, s:s?}", "kind", "timeline", "title", api_text(&rp->title),
				    "action", rp->action, "year", rp->year, "kind_field", rp->kind_field, "label", rp->label,
				    "note", rp->note));
	}
	json_object_set_new(o, "reports", reports);
	api_reply_json(r, 200, o);
}

void api_pathway_graph(struct api_request *r)
{
	const struct pathway *pw = pathway_set_find(&r->core->cfg->pathways, r->http->segs[2]);
	if (!pw) {
		api_error(r, 404, "not_found", NULL, "no such pathway", "該当するパスはありません");
		return;
	}
	static const char *const params[] = { "format", NULL };
	if (api_query_known(r, params))
		return;
	const char *f = api_query(r, "format");
	enum graph_format format = GRAPH_DOT;
	if (f && !strcmp(f, "svg")) {
		const char *svg = core_pathway_svg(r->core, pw);
		if (!svg) {
			api_error(r, 500, "diagram_unavailable", NULL, "Graphviz could not draw the diagram",
				  "図を描けませんでした");
			return;
		}
		r->http->status = 200;
		r->http->reply.len = 0;
		buf_adds(&r->http->reply, svg);
		r->http->content_type = "image/svg+xml";
		return;
	}
	if (f && graph_format_parse(f, &format)) {
		api_error(r, 422, "invalid_field", "format", "format must be dot, mermaid or svg",
			  "format は dot, mermaid, svg のいずれかで指定してください");
		return;
	}
	r->http->status = 200;
	r->http->reply.len = 0;
	graph_render(pw, format, &r->http->reply);
	r->http->content_type = format == GRAPH_DOT ? "text/vnd.graphviz; charset=utf-8" : "text/plain; charset=utf-8";
}

/* ---- GET /v1/pathways/{id}/routing?area= ------------------------------------------------------ */

/* A receiver as the referrer sees it before sending: with how soon it usually takes a referral on. */
static json_t *receiver_json(struct api_request *r, const struct pathway *pw, const struct config_org *o)
{
	long median = -1;
	int cases = 0;
	if (report_usual_acceptance(r->core, pw, o->id, r->http->now, &median, &cases))
		return NULL;
	return json_pack("{s:s, s:o, s:s, s:o}", "id", o->id, "name", api_text(&o->name), "kind", org_kind_names[o->kind],
			 "usually_accepts_within_business_days", median >= 0 ? json_integer(median) : json_null());
}

/*
 * Where a referral of this pathway from this area would go, before it is sent:
 * the receiver the routing names (or none: the opener or a triage chooses), and
 * every organisation the opener may choose instead for that area.
 */
void api_pathway_routing(struct api_request *r)
{
	static const char *const params[] = { "area", NULL };
	if (api_query_known(r, params))
		return;
	const struct pathway *pw = pathway_set_find(&r->core->cfg->pathways, r->http->segs[2]);
	if (!pw) {
		api_error(r, 404, "not_found", NULL, "no such pathway", "該当するパスはありません");
		return;
	}
	const struct config *cfg = r->core->cfg;
	const char *area = api_query(r, "area");
	if (!cm_may_open(pw, &r->caller) && !cm_is_coordinator(&r->caller)) {
		api_error(r, 403, "forbidden", NULL, "the routing is shown to those who may open the pathway",
			  "送り先は、このパスで紹介できる人に表示されます");
		return;
	}
	if (!area || !config_find_area(cfg, area)) {
		api_error(r, 422, area ? "invalid_field" : "missing_field", "area", "area must be one of the config's areas",
			  "area には設定された地区を指定してください");
		return;
	}
	const struct config_org *to = pw->receiver_by_area ? config_route(cfg, pw->id, area) : NULL;
	json_t *choices = json_array(), *receiver = to ? receiver_json(r, pw, to) : json_null();
	bool failed = !receiver;
	for (size_t i = 0; i < cfg->n_orgs && !failed; i++) {
		const struct config_org *o = &cfg->orgs[i];
		bool serves = !o->n_areas;
		for (size_t k = 0; k < o->n_areas && !serves; k++)
			serves = !strcmp(o->areas[k], area);
		json_t *one = (pw->receiver_kinds & MASK(o->kind)) && serves ? receiver_json(r, pw, o) : NULL;
		if ((pw->receiver_kinds & MASK(o->kind)) && serves && !one)
			failed = true;
		else if (one)
			json_array_append_new(choices, one);
	}
	if (failed) {
		json_decref(choices);
		json_decref(receiver);
		api_storage_error(r);
		return;
	}
	api_reply_json(r, 200, json_pack("{s:s, s:s, s:o, s:s, s:o}", "pathway", pw->id, "area", area, "receiver", receiver,
					 "routed_by", to ? "area" : pw->receiver_by_area ? "none" : "opener_or_triage",
					 "may_choose", choices));
}

/* ---- GET /v1/pathways/{id}/diff?from=V1&to=V2 ----------------------------------------------- */

/* Older versions and the cases still running on them are the coordinators' to see, as the reports are. */
static bool coordinators_only(struct api_request *r)
{
	if (cm_is_coordinator(&r->caller))
		return true;
	api_error(r, 403, "forbidden", NULL, "pathway versions and their running cases are for the city's coordinators",
		  "パスの版と進行中のケース数はコーディネーターのみ閲覧できます");
	return false;
}

/* A version of ?name=: the loaded one when absent; 0 with *out, or -1 with the 422 or 404 replied. */
static int version_param(struct api_request *r, const char *name, const struct pathway *loaded,
			 const struct pathway **out)
{
	const char *v = api_query(r, name);
	char *end = NULL;
	long n = v ? strtol(v, &end, 10) : loaded->version;
	if (v && (!*v || *end || n < 1)) {
		api_errorf(r, 422, "invalid_field", name, "%s must be a version number", "%s には版の番号を指定してください", name);
		return -1;
	}
	*out = core_pathway(r->core, loaded->id, n);
	if (!*out) {
		api_errorf(r, 404, "not_found", name, "version %ld of %s is not recorded", "%2$s の第 %1$ld 版は記録されていません", n,
			   loaded->id);
		return -1;
	}
	return 0;
}

/* What changed between two versions (states, actions, timers, fields), as the review pack shows it. */
void api_pathway_diff(struct api_request *r)
{
	static const char *const params[] = { "from", "to", NULL };
	if (!coordinators_only(r) || api_query_known(r, params))
		return;
	const struct pathway *pw = pathway_set_find(&r->core->cfg->pathways, r->http->segs[2]), *from, *to;
	if (!pw) {
		api_error(r, 404, "not_found", NULL, "no such pathway", "該当するパスはありません");
		return;
	}
	if (!api_query(r, "from")) {
		api_error(r, 422, "missing_field", "from", "from is required: the version compared", "from（比べる版）は必須です");
		return;
	}
	if (version_param(r, "from", pw, &from) || version_param(r, "to", pw, &to))
		return;
	api_reply_json(r, 200, pathway_diff(from, to));
}

/* ---- GET /v1/pathways/{id}/versions ------------------------------------------------------------ */

struct versions_ctx {
	struct api_request *r;
	long loaded;
	json_t *items;
};

static void version_one(void *ctx, long version, clock_us loaded_at, int64_t running)
{
	struct versions_ctx *v = ctx;
	json_array_append_new(v->items, json_pack("{s:i, s:b, s:o, s:I}", "version", (int)version, "loaded",
						  version == v->loaded, "recorded_at", api_time(v->r, loaded_at),
						  "running_cases", (json_int_t)running));
}

/* Every version recorded, which one is loaded, and how many cases still run on each. */
void api_pathway_versions(struct api_request *r)
{
	if (!coordinators_only(r))
		return;
	const struct pathway *pw = pathway_set_find(&r->core->cfg->pathways, r->http->segs[2]);
	if (!pw) {
		api_error(r, 404, "not_found", NULL, "no such pathway", "該当するパスはありません");
		return;
	}
	struct versions_ctx v = { r, pw->version, json_array() };
	if (store_pathway_versions(r->core->store, pw->id, version_one, &v)) {
		json_decref(v.items);
		api_storage_error(r);
		return;
	}
	api_reply_json(r, 200, json_pack("{s:s, s:o, s:n}", "pathway", pw->id, "items", v.items, "next_cursor"));
}
