/*
 * api_cases — cases over HTTP: open, list, read, act, notes, assignment and
 * subject corrections. Each write is one unit inside the loop turn's transaction:
 * the case row, its event (hash-chained), the outbox rows of the state entered,
 * provision records when personal data passes to another organisation, and the
 * access-log rows of every read of personal data.
 */
#include "api.h"
#include "date.h"
#include "flow.h"
#include "jsonin.h"
#include "mpjson.h"
#include "token.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define IDEMPOTENCY_KEY_MAX 200

/* ---- loading a case the caller may see ------------------------------------------------ */

int api_case_load(struct api_request *r, const char *id, struct flow_case *l)
{
	struct flow f = api_flow(r);
	int rc = flow_case_load(&f, id, l);
	if (rc < 0)
		api_storage_error(r);
	else if (rc > 0)
		api_case_not_found(r);
	return rc ? -1 : 0;
}

int api_case_log_access(struct api_request *r, const struct case_record *c, const char *what)
{
	struct flow f = api_flow(r);
	return flow_log_read(&f, c, what);
}

void api_flow_failed(struct api_request *r, int rc, const struct refusal *why)
{
	if (rc == FLOW_REFUSED)
		api_refuse(r, why);
	else
		api_storage_error(r);
}

/* ---- views ------------------------------------------------------------------------- */

static json_t *action_json(const struct pathway *pw, const struct pw_action *a)
{
	json_t *fields = json_array();
	for (size_t i = 0; i < a->n_fields; i++) {
		const struct pw_field *f = &pw->fields[a->fields[i].field];
		json_t *fj = json_pack("{s:s, s:s, s:b, s:o}", "name", f->name, "type", field_type_names[f->type],
				       "required", a->fields[i].required, "title", api_text(&f->title));
		if (f->type == FIELD_ENUM) {
			json_t *values = json_array();
			for (size_t k = 0; k < f->n_values; k++)
				json_array_append_new(values, json_string(f->values[k]));
			json_object_set_new(fj, "values", values);
			json_object_set_new(fj, "options", api_options(f));
		}
		if (f->type == FIELD_DATE && f->tense != PW_ANY_DATE)
			json_object_set_new(fj, "when", json_string(f->tense == PW_PAST_DATE ? "past" : "future"));
		json_array_append_new(fields, fj);
	}
	return json_pack("{s:s, s:o, s:s, s:o}", "name", a->name, "title",
			 api_text(a->title.ja ? &a->title : &pw->states[a->target].title), "to",
			 pw->states[a->target].name, "requires", fields);
}

struct timers_ctx {
	struct api_request *r;
	json_t *items;
};

static int timer_one(void *ctx, const struct store_timer *t)
{
	struct timers_ctx *tc = ctx;
	json_array_append_new(tc->items, json_pack("{s:s, s:o}", "name", t->name, "due_at", api_time(tc->r, t->due_at)));
	return 0;
}

/* Does the caller's view of the case hold personal data (so its read is logged)? */
static bool reads_personal(const struct flow_case *l)
{
	return l->personal || (l->parties & MASK(PARTY_PROVIDER));
}

/*
 * The possible duplicate persons found when the case was opened: the reason, and
 * the other case's id only where the caller stands on that case too.
 */
static json_t *duplicates_json(struct api_request *r, const struct case_record *c)
{
	json_t *out = json_array();
	for (size_t i = 0; i < json_array_size(c->duplicates); i++) {
		const json_t *d = json_array_get(c->duplicates, i);
		const char *id = json_string_value(json_object_get(d, "case_id"));
		struct case_record other = { 0 };
		const struct pathway *pw = NULL;
		if (id && store_case_get(r->core->store, id, &other) == 0)
			pw = core_pathway(r->core, other.pathway, other.pathway_version);
		bool visible = pw && cm_parties(pw, &other, &r->caller);
		json_array_append_new(out, json_pack("{s:O, s:o}", "reason", json_object_get(d, "reason"), "case_id",
						     visible ? json_string(id) : json_null()));
		case_record_release(&other);
	}
	return out;
}

/*
 * A resource provider's view: for its own open links, the person's details
 * handed to it, the links (resource, status, dates), and the version a link
 * change may send as If-Match; nothing of the pathway, the referrer, the case's
 * state or outcome, its timers or fields.
 */
static json_t *provider_case_json(struct api_request *r, const struct flow_case *l, bool full)
{
	json_t *subject = api_provider_subject(r, l);
	if (!full)
		json_object_del(subject, "phone");
	json_t *o = json_pack("{s:s, s:i, s:[s], s:o}", "id", l->c.id, "version", (int)l->c.version, "your_sides",
			      "provider", "subject", subject);
	if (full) {
		json_t *links = api_case_links_json(r, l);
		json_object_set_new(o, "links", links ? links : json_array());
	}
	return o;
}

/*
 * When the case's current step is due (its state's first timer): the time,
 * whether it has passed, and the business days left (0: due today; negative:
 * overdue by that many), so an inbox draws its badges from the list alone.
 */
static void due_json(struct api_request *r, const struct case_record *c, json_t *o)
{
	bool due = c->due_at && !c->closed_at;
	json_object_set_new(o, "next_due_at", due ? api_time(r, c->due_at) : json_null());
	json_object_set_new(o, "overdue", json_boolean(due && c->due_at <= r->http->now));
	if (!due) {
		json_object_set_new(o, "due_business_days", json_null());
		return;
	}
	date_days today = clock_local_date(r->core->clock, r->http->now);
	date_days on = clock_local_date(r->core->clock, c->due_at);
	json_object_set_new(o, "due_business_days",
			    json_integer(calendar_business_days_between(r->core->cal, today, on)));
}

/*
 * The milestones the case has reached, in their order: what its summary
 * recorded when it was read (a case closed early reached only some) and its
 * state's, which an action of this request may just have reached; before the
 * daemon has summarised an old case, every one up to its state's.
 */
static json_t *milestones_reached_json(const struct case_record *c, const struct pw_state *st)
{
	int now = st ? st->milestone : MILESTONE_NONE;
	int reached = c->milestones_reached >= 0 ? c->milestones_reached | 1 << now : (1 << (now + 1)) - 1;
	reached |= 1 << MILESTONE_OPENED;
	json_t *out = json_array();
	for (int m = MILESTONE_OPENED; m < MILESTONE_COUNT; m++)
		if (reached & 1 << m)
			json_array_append_new(out, json_string(milestone_names[m]));
	return out;
}

static json_t *case_json(struct api_request *r, const struct flow_case *l, bool full)
{
	const struct case_record *c = &l->c;
	const struct pathway *pw = l->pw;
	if (cm_provider_only(l->parties))
		return provider_case_json(r, l, full);
	int s = pathway_state_index(pw, c->state);
	const struct pw_state *st = s >= 0 ? &pw->states[s] : NULL;
	json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:o, s:s, s:s, s:b, s:i}", "id", c->id, "pathway",
			      c->pathway, "pathway_version", (int)c->pathway_version, "state", c->state,
			      "state_title", st ? api_text(&st->title) : json_null(), "inbox",
			      st ? party_names[st->inbox] : "none", "milestone",
			      st ? milestone_names[st->milestone] : "none", "final", st && st->final,
			      "version", (int)c->version);
	json_object_set_new(o, "milestones_reached", milestones_reached_json(c, st));
	json_object_set_new(o, "origin", json_string(c->origin_org));
	json_object_set_new(o, "origin_name", json_string(config_org_name(r->core->cfg, c->origin_org)));
	json_object_set_new(o, "receiver", c->receiver_org ? json_string(c->receiver_org) : json_null());
	json_object_set_new(o, "receiver_name", c->receiver_org ? json_string(config_org_name(r->core->cfg, c->receiver_org)) : json_null());
	json_object_set_new(o, "assignee", c->assignee ? json_string(c->assignee) : json_null());
	json_object_set_new(o, "assignee_name", api_user_name(r, c->assignee));
	json_object_set_new(o, "assignee_active", json_boolean(c->assignee && !c->assignee_gone));
	json_object_set_new(o, "area", c->area ? json_string(c->area) : json_null());
	json_object_set_new(o, "outcome", c->outcome ? json_string(c->outcome) : json_null());
	json_object_set_new(o, "opened_at", api_time(r, c->opened_at));
	json_object_set_new(o, "updated_at", api_time(r, c->updated_at));
	json_object_set_new(o, "closed_at", api_time(r, c->closed_at));
	due_json(r, c, o);
	json_t *sides = json_array();
	for (int p = 0; p < PARTY_NONE; p++)
		if (l->parties & MASK(p))
			json_array_append_new(sides, json_string(party_names[p]));
	json_object_set_new(o, "your_sides", sides);
	if (l->personal) {
		json_object_set_new(o, "subject", l->subject ? json_deep_copy(l->subject) : json_null());
		if (full)
			json_object_set_new(o, "consent", c->consent ? json_deep_copy(c->consent) : json_null());
		/* a record about no person is its fields: a list shows them where it would show the person */
		if (full || pw->no_subject)
			json_object_set_new(o, "fields", cm_visible_fields(pw, c->fields, l->parties, r->caller.roles));
		if (full) {
			/* Only the receiving side hears of other cases of the person: the origin must not learn of them. */
			if (l->parties & (MASK(PARTY_RECEIVER) | MASK(PARTY_ASSIGNEE)))
				json_object_set_new(o, "possible_duplicates", duplicates_json(r, c));
		}
	}
	if (!full)
		return o;
	json_t *links = api_case_links_json(r, l);
	json_object_set_new(o, "links", links ? links : json_array());
	json_t *actions = json_array();
	if (st) {
		struct cm_values vals = { pw, l->subject, c->consent, c->fields, c->links, c->links_open };
		date_days today = clock_local_date(r->core->clock, r->http->now);
		for (size_t i = 0; i < st->n_actions; i++)
			if (cm_action_available(&vals, &st->actions[i], r->caller.roles & ~MASK(ROLE_SYSTEM),
						l->parties, today))
				json_array_append_new(actions, action_json(pw, &st->actions[i]));
	}
	json_object_set_new(o, "actions", actions);
	struct timers_ctx tc = { r, json_array() };
	store_timers_for_case(r->core->store, c->id, timer_one, &tc);
	json_object_set_new(o, "timers", tc.items);
	return o;
}

/* ---- writes ------------------------------------------------------------------------ */

struct flow api_flow(const struct api_request *r)
{
	return (struct flow){ .core = r->core, .now = r->http->now, .who = r->caller };
}

void api_keep_flow(const struct api_request *r, struct api_kept_flow *out)
{
	out->flow = api_flow(r);
	out->user = r->caller.user ? xstrdup(r->caller.user) : NULL;
	out->flow.who.user = out->user;
}

void api_kept_flow_release(struct api_kept_flow *k)
{
	free(k->user);
	k->user = NULL;
}

/* ---- POST /v1/cases ------------------------------------------------------------------ */

static bool valid_idempotency_key(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > IDEMPOTENCY_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (k[i] < 0x21 || k[i] > 0x7e)
			return false;
	return true;
}

/*
 * The digest an Idempotency-Key keeps of its request: of the body's JSON with
 * its keys sorted and no spaces, so a client that serialises its retry anew
 * sends "the same body"; of the bytes when they are no JSON (refused anyway).
 */
static void request_digest(struct api_request *r, char out[TOKEN_HASH_HEX])
{
	char *err = NULL;
	json_t *v = jsonin_parse(r->http->body, r->http->body_len, &err);
	char *canonical = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (canonical)
		token_sha256_hex(canonical, strlen(canonical), out);
	else
		token_sha256_hex(r->http->body ? r->http->body : "", r->http->body_len, out);
	free(canonical);
	free(err);
	json_decref(v);
}

void api_cases_create(struct api_request *r)
{
	struct core *core = r->core;
	const char *key = httpd_header(r->http, "Idempotency-Key");
	char request_hash[TOKEN_HASH_HEX] = "";
	if (key) {
		/* the body's digest is the key's alone: an opening without one parses its body once */
		request_digest(r, request_hash);
		if (!valid_idempotency_key(key)) {
			api_error(r, 422, "invalid_field", "Idempotency-Key",
				  "Idempotency-Key must be 1 to 200 visible ASCII characters",
				  "Idempotency-Key は 1〜200 文字の英数字記号で指定してください");
			return;
		}
		char *stored_hash = NULL, *stored_body = NULL;
		int status = 0;
		int rc = store_idem_get(core->store, r->user.id, key, &stored_hash, &status, &stored_body);
		if (rc < 0) {
			api_storage_error(r);
			return;
		}
		/* a key kept by an earlier tsunagu holds the digest of the bytes */
		char bytes_hash[TOKEN_HASH_HEX];
		token_sha256_hex(r->http->body ? r->http->body : "", r->http->body_len, bytes_hash);
		if (rc == 0) {
			if (strcmp(stored_hash, request_hash) && strcmp(stored_hash, bytes_hash)) {
				api_error(r, 422, "idempotency_key_reused", "Idempotency-Key",
					  "this Idempotency-Key was used with another request body",
					  "この Idempotency-Key は別の内容の要求ですでに使われています");
			} else {
				json_t *body = json_loads(stored_body, 0, NULL);
				const char *id = json_string_value(json_object_get(body, "id"));
				struct case_record c = { 0 };
				if (id && store_case_get(core->store, id, &c) == 0 && json_object_get(body, "subject"))
					api_case_log_access(r, &c, "case.open.replay");
				case_record_release(&c);
				api_set_etag(r, (long)json_integer_value(json_object_get(body, "version")));
				if (id && status == 201)
					r->http->location = xasprintf("/v1/cases/%s", id);
				api_reply_json(r, status, body);
				r->http->replayed = true;
			}
			free(stored_hash);
			free(stored_body);
			return;
		}
	}
	json_t *body = api_body_object(r);
	if (!body)
		return;
	struct refusal why = { 0 };
	struct flow_case l = { 0 };
	const json_t *pid = json_object_get(body, "pathway");
	const struct pathway *pw = json_is_string(pid) ? pathway_set_find(&core->cfg->pathways, json_string_value(pid)) : NULL;
	if (!pid) {
		api_error(r, 422, "missing_field", "pathway", "pathway is required", "pathway（パスの ID）は必須です");
		goto out;
	}
	if (!pw) {
		api_error(r, 422, "invalid_field", "pathway", "pathway must be the id of a loaded pathway",
			  "pathway には読み込まれているパスの ID を指定してください");
		goto out;
	}
	struct flow f = api_flow(r);
	int rc = flow_open(&f, pw, body, &l, &why);
	if (rc) {
		api_flow_failed(r, rc, &why);
		goto out;
	}
	json_t *view = case_json(r, &l, true);
	if (l.personal && api_case_log_access(r, &l.c, "case.open")) {
		json_decref(view);
		api_storage_error(r);
		goto out;
	}
	if (key) {
		char *text = jsonin_dump(view);
		rc = flow_remember_reply(&f, key, request_hash, 201, text);
		free(text);
		if (rc) {
			json_decref(view);
			api_storage_error(r);
			goto out;
		}
	}
	api_set_etag(r, l.c.version);
	r->http->location = xasprintf("/v1/cases/%s", l.c.id);
	api_reply_json(r, 201, view);
out:
	flow_case_release(&l);
	refusal_release(&why);
	json_decref(body);
}

/* ---- GET /v1/cases/{id} -------------------------------------------------------------- */

void api_case_get(struct api_request *r)
{
	struct flow_case l;
	if (api_case_load(r, r->http->segs[2], &l))
		return;
	if (reads_personal(&l) && api_case_log_access(r, &l.c, "case.read")) {
		flow_case_release(&l);
		api_storage_error(r);
		return;
	}
	json_t *view = case_json(r, &l, true);
	api_set_etag(r, l.c.version);
	api_reply_json(r, 200, view);
	flow_case_release(&l);
}

/* ---- POST /v1/cases/{id}/printed ------------------------------------------------------ */

/*
 * A document with the person's details printed from the pages (a consent
 * form, a slip, a letter, the case): paper leaves the system, so the print
 * is an access-log row of its own, written before the page may print.
 */
void api_case_printed(struct api_request *r)
{
	static const char *const documents[] = { "consent_form", "slip", "letter", "case", NULL };
	json_t *body = api_body_object(r);
	if (!body)
		return;
	struct refusal why = { 0 };
	static const char *const keys[] = { "document", NULL };
	const char *doc = json_string_value(json_object_get(body, "document"));
	struct flow_case l = { 0 };
	bool loaded = false;
	if (cm_check_keys(body, NULL, "a print", "印刷の記録", keys, &why)) {
		api_refuse(r, &why);
		goto out;
	}
	int k = doc ? vocab_lookup(documents, doc) : -1;
	if (k < 0) {
		api_error(r, 422, doc ? "invalid_field" : "missing_field", "document",
			  "document must be consent_form, slip, letter or case", "document は consent_form, slip, letter, case のいずれかです");
		goto out;
	}
	if (api_case_load(r, r->http->segs[2], &l))
		goto out;
	loaded = true;
	if (!reads_personal(&l)) {
		api_case_not_found(r);
		goto out;
	}
	char *what = xasprintf("case.print.%s", doc);
	int rc = api_case_log_access(r, &l.c, what);
	free(what);
	if (rc)
		api_storage_error(r);
	else
		api_reply_json(r, 200, json_pack("{s:s, s:s}", "case_id", l.c.id, "document", doc));
out:
	if (loaded)
		flow_case_release(&l);
	refusal_release(&why);
	json_decref(body);
}

/* ---- GET /v1/cases ------------------------------------------------------------------- */

struct list_ctx {
	struct api_request *r;
	json_t *items;
	int limit;
	enum cm_inbox inbox;
	bool more;
	bool failed;
	bool by_due;
	bool hidden_filter;        /* a filter on what a provider does not see: its cases never match it */
	clock_us last_key;         /* updated_at, or the due time with sort=due */
	char *last_id;
};

/* Reads a true/false query flag into *out (1, 0; left -1 when absent). 422 and -1 when it is neither. */
static int list_flag(struct api_request *r, const char *name, int *out)
{
	const char *v = api_query(r, name);
	*out = -1;
	if (!v)
		return 0;
	if (!strcmp(v, "true"))
		*out = 1;
	else if (!strcmp(v, "false"))
		*out = 0;
	else {
		api_errorf(r, 422, "invalid_field", name, "%s must be true or false", "%s は true か false で指定してください",
			   name);
		return -1;
	}
	return 0;
}

static int list_one(void *ctx, struct case_record *c)
{
	struct list_ctx *lc = ctx;
	struct api_request *r = lc->r;
	const struct pathway *pw = core_pathway(r->core, c->pathway, c->pathway_version);
	if (!pw)
		return 0;
	party_mask parties = cm_parties(pw, c, &r->caller);
	if (!parties || !cm_in_inbox(pw, c, &r->caller, lc->inbox))
		return 0;
	/* A provider sees who and which case, not the pathway, state, origin or times: filtering on them would tell. */
	if (lc->hidden_filter && cm_provider_only(parties))
		return 0;
	if ((int)json_array_size(lc->items) == lc->limit) {
		lc->more = true;
		return 1;
	}
	struct flow_case l = { .pw = pw, .parties = parties };
	l.c = *c;
	l.personal = cm_sees_personal(pw, parties);
	if (l.personal && !pw->no_subject) {
		json_t *subject = store_subject_get(r->core->store, c->subject_id);
		/* A list shows who the case is about, not their whole record. */
		l.subject = json_object();
		if (subject) {
			json_object_set(l.subject, "name", json_object_get(subject, "name"));
			if (json_object_get(subject, "kana"))
				json_object_set(l.subject, "kana", json_object_get(subject, "kana"));
		}
		json_decref(subject);
	}
	if (reads_personal(&l) && api_case_log_access(r, c, "case.list")) {
		lc->failed = true;
		json_decref(l.subject);
		return 1;
	}
	json_array_append_new(lc->items, case_json(r, &l, false));
	json_decref(l.subject);
	/* cases with no due time sort last, as if due at the end of time */
	lc->last_key = lc->by_due ? (c->due_at && !c->closed_at ? c->due_at : INT64_MAX) : c->updated_at;
	free(lc->last_id);
	lc->last_id = xstrdup(c->id);
	return 0;
}

/* A cursor of a list in (time, id) order: "TIME.ID", the id one of prefix's. */
static int parse_cursor(const char *s, const char *prefix, clock_us *t, char **id)
{
	const char *dot = strchr(s, '.');
	/* the time: at most the 19 digits of an int64 (a due-time cursor may be INT64_MAX) */
	if (!dot || dot == s || dot - s > 19 || !api_cursor_is_id_of(dot + 1, prefix))
		return -1;
	for (const char *p = s; p < dot; p++)
		if (*p < '0' || *p > '9')
			return -1;
	*t = strtoll(s, NULL, 10);
	*id = xstrdup(dot + 1);
	return 0;
}

/*
 * ?fiscal_year=Y (2026, R8, 令和8年度): the cases of that fiscal year, by the
 * date in ?date_field= (a date field of ?pathway=; cases without it are left
 * out) or by their opening. 0, or -1 with the 422 replied.
 */
static int fiscal_year_filter(struct api_request *r, struct store_case_filter *f, char path[80], char from[11],
			      char to[11])
{
	const char *y = api_query(r, "fiscal_year"), *field = api_query(r, "date_field");
	int fy;
	if (!y && !field)
		return 0;
	if (!y || date_fiscal_parse(y, &fy)) {
		api_error(r, 422, y ? "invalid_field" : "missing_field", "fiscal_year",
			  "fiscal_year is a fiscal year (2026, R8, 令和8年度)", "fiscal_year には年度（2026・R8・令和8年度など）を指定してください");
		return -1;
	}
	if (!field) {
		f->opened_from = clock_local_midnight(r->core->clock, date_from_ymd(fy, 4, 1));
		f->opened_to = clock_local_midnight(r->core->clock, date_from_ymd(fy + 1, 4, 1));
		return 0;
	}
	const char *id = api_query(r, "pathway");
	const struct pathway *pw = id ? pathway_set_find(&r->core->cfg->pathways, id) : NULL;
	int k = pw ? pathway_field_index(pw, field) : -1;
	if (k < 0 || pw->fields[k].type != FIELD_DATE) {
		api_error(r, 422, "invalid_field", "date_field", "date_field must name a date field of the pathway given in pathway",
			  "date_field には pathway で指定したパスの日付の項目を指定してください");
		return -1;
	}
	snprintf(path, 80, "$.\"%s\"", field);
	date_format(date_from_ymd(fy, 4, 1), from);
	date_format(date_from_ymd(fy + 1, 3, 31), to);
	f->date_path = path;
	f->date_from = from;
	f->date_to = to;
	return 0;
}

void api_cases_list(struct api_request *r)
{
	static const char *const params[] = { "pathway", "state", "inbox", "updated_since", "limit", "cursor", "open",
					      "overdue", "area", "origin", "assignee", "sort", "fiscal_year", "date_field",
					      NULL };
	if (api_query_known(r, params))
		return;
	struct store_case_filter f = { 0 };
	struct list_ctx lc = { .r = r, .limit = 50 };
	const char *v;
	char *cursor_id = NULL, date_path[80], fy_from[11], fy_to[11];
	if (fiscal_year_filter(r, &f, date_path, fy_from, fy_to))
		return;
	f.pathway = api_query(r, "pathway");
	f.state = api_query(r, "state");
	f.area = api_query(r, "area");
	f.origin_org = api_query(r, "origin");
	if ((v = api_query(r, "assignee")))
		f.assignee = !strcmp(v, "me") ? r->caller.user : v;
	if (list_flag(r, "open", &f.open) || list_flag(r, "overdue", &f.overdue))
		return;
	f.overdue_at = r->http->now;
	if ((v = api_query(r, "sort"))) {
		if (!strcmp(v, "due")) {
			f.by_due = true;
		} else if (strcmp(v, "updated")) {
			api_error(r, 422, "invalid_field", "sort", "sort must be updated (the default) or due",
				  "sort は updated（既定）か due で指定してください");
			return;
		}
	}
	if ((v = api_query(r, "inbox"))) {
		if (!strcmp(v, "me"))
			lc.inbox = CM_INBOX_ME;
		else if (!strcmp(v, "org"))
			lc.inbox = CM_INBOX_ORG;
		else {
			api_error(r, 422, "invalid_field", "inbox", "inbox must be me or org", "inbox は me か org で指定してください");
			return;
		}
	}
	if (api_query_limit(r, &lc.limit))
		return;
	if ((v = api_query(r, "updated_since")) && clock_parse(v, &f.updated_since)) {
		api_error(r, 422, "invalid_field", "updated_since",
			  "updated_since must be an RFC 3339 timestamp, e.g. 2026-11-24T10:00:00+09:00",
			  "updated_since は RFC 3339 の日時（例 2026-11-24T10:00:00+09:00）で指定してください");
		return;
	}
	if ((v = api_query(r, "cursor"))) {
		/* a page of the sort by due goes on after the due time of the last case of the one before */
		/* a cursor of the order by due says so ("d…"): one of the other order would start a page anywhere */
		if ((f.by_due ? *v != 'd' : *v == 'd') || parse_cursor(v + f.by_due, "c_", &f.after_updated, &cursor_id)) {
			api_bad_cursor(r);
			return;
		}
		f.after_id = cursor_id;
	}
	lc.by_due = f.by_due;
	lc.hidden_filter = f.pathway || f.state || f.area || f.origin_org || f.assignee || f.open >= 0 ||
			   f.overdue >= 0 || f.by_due || f.updated_since || f.date_path || f.opened_from || f.opened_to ||
			   lc.inbox != CM_INBOX_NONE;
	if (!cm_is_coordinator(&r->caller))
		f.org = r->caller.org->id;
	if (lc.inbox != CM_INBOX_NONE) {
		f.inbox = lc.inbox == CM_INBOX_ME ? STORE_INBOX_ME : STORE_INBOX_ORG;
		f.inbox_org = r->caller.org->id;
		f.inbox_user = r->caller.user;
		f.inbox_coordinator = cm_is_coordinator(&r->caller);
	}
	lc.items = json_array();
	if (store_cases_list(r->core->store, &f, list_one, &lc) || lc.failed) {
		json_decref(lc.items);
		api_storage_error(r);
	} else {
		json_t *next = json_null();
		if (lc.more && lc.last_id) {
			char *cur = xasprintf("%s%lld.%s", lc.by_due ? "d" : "", (long long)lc.last_key, lc.last_id);
			next = json_string(cur);
			free(cur);
		}
		api_reply_json(r, 200, json_pack("{s:o, s:o}", "items", lc.items, "next_cursor", next));
	}
	free(lc.last_id);
	free(cursor_id);
}

/* ---- GET /v1/cases/{id}/events ---------------------------------------------------- */

struct events_ctx {
	struct api_request *r;
	const struct flow_case *l;
	json_t *items;
	int limit;
	bool more;
	int64_t last_seq;
};

static int event_one(void *ctx, const struct store_event *ev)
{
	struct events_ctx *ec = ctx;
	struct api_request *r = ec->r;
	json_t *payload = ev->payload ? mpjson_decode(ev->payload, ev->payload_len) : NULL;
	/* another organisation's own note: not even that it was written, nor when */
	if (!strcmp(ev->action, "note") &&
	    !cm_note_visible(json_string_value(json_object_get(payload, "visibility")), ev->actor_org, &r->caller)) {
		json_decref(payload);
		return 0;
	}
	if ((int)json_array_size(ec->items) == ec->limit) {
		json_decref(payload);
		ec->more = true;
		return 1;
	}
	ec->last_seq = ev->seq;
	json_t *o = json_pack("{s:s, s:I, s:o, s:s, s:o, s:s, s:i}", "id", ev->id, "seq", (json_int_t)ev->seq,
			      "at", api_time(r, ev->at), "action", ev->action, "from",
			      ev->from_state ? json_string(ev->from_state) : json_null(), "to", ev->to_state,
			      "case_version", (int)ev->case_version);
	json_object_set_new(o, "actor", json_pack("{s:o, s:o, s:o, s:o}", "user",
						  ev->actor_user ? json_string(ev->actor_user) : json_null(),
						  "org", ev->actor_org ? json_string(ev->actor_org) : json_null(),
						  "user_name", api_user_name(r, ev->actor_user),
						  "org_name", ev->actor_org ? json_string(config_org_name(r->core->cfg, ev->actor_org)) : json_null()));
	if (payload && ec->l->personal) {
		json_t *fields = json_object_get(payload, "fields");
		if (json_is_object(fields))
			json_object_set_new(payload, "fields",
					    cm_visible_fields(ec->l->pw, fields, ec->l->parties, r->caller.roles));
		json_object_set_new(o, "data", payload);
	} else {
		json_decref(payload);
	}
	json_array_append_new(ec->items, o);
	return 0;
}

void api_case_events(struct api_request *r)
{
	struct flow_case l;
	if (api_case_load(r, r->http->segs[2], &l))
		return;
	if (cm_provider_only(l.parties)) {
		flow_case_release(&l);
		api_error(r, 403, "forbidden", NULL, "a resource provider sees the links to its resources, not the case's history",
			  "運営機関が見られるのは自機関の社会資源へのつなぎだけです");
		return;
	}
	static const char *const params[] = { "limit", "cursor", NULL };
	struct events_ctx ec = { r, &l, NULL, 100, false, 0 };
	const char *cursor = api_query(r, "cursor");
	int64_t after = 0;
	if (api_query_known(r, params) || api_query_limit(r, &ec.limit))
		goto out;
	/* a page goes on after the last event's seq */
	if (cursor && (!*cursor || strlen(cursor) > 19 || strspn(cursor, "0123456789") != strlen(cursor))) {
		api_bad_cursor(r);
		goto out;
	}
	after = cursor ? strtoll(cursor, NULL, 10) : 0;
	ec.items = json_array();
	if (store_events_for_case(r->core->store, l.c.id, after, event_one, &ec) ||
	    (l.personal && api_case_log_access(r, &l.c, "case.events"))) {
		json_decref(ec.items);
		api_storage_error(r);
	} else {
		char next[24];
		snprintf(next, sizeof(next), "%lld", (long long)ec.last_seq);
		api_reply_json(r, 200, json_pack("{s:o, s:o}", "items", ec.items, "next_cursor",
						 ec.more ? json_string(next) : json_null()));
	}
out:
	flow_case_release(&l);
}

/* ---- POST /v1/cases/{id}/actions/{name} ---------------------------------------------- */

static void reply_case(struct api_request *r, struct flow_case *l, const char *what)
{
	if (!l->subject && l->personal)
		l->subject = store_subject_get(r->core->store, l->c.subject_id);
	if (reads_personal(l) && api_case_log_access(r, &l->c, what)) {
		api_storage_error(r);
		return;
	}
	api_set_etag(r, l->c.version);
	api_reply_json(r, 200, case_json(r, l, true));
}

void api_case_action(struct api_request *r)
{
	struct flow_case l;
	if (api_case_load(r, r->http->segs[2], &l))
		return;
	json_t *body = NULL;
	struct refusal why = { 0 };
	if (api_check_if_match(r, l.c.version))
		goto out;
	if (r->http->body_len && !(body = api_body_object(r)))
		goto out;
	struct flow f = api_flow(r);
	int rc = flow_act(&f, &l, r->http->segs[4], body, &why);
	if (rc) {
		api_flow_failed(r, rc, &why);
		goto out;
	}
	/* The caller may have left the case (e.g. redirected it away). */
	flow_case_resides(&f, &l);
	if (!l.parties) {
		api_set_etag(r, l.c.version);
		api_reply_json(r, 200, json_pack("{s:s, s:s, s:i, s:s, s:s}", "id", l.c.id, "state", l.c.state,
						 "version", (int)l.c.version, "receiver", l.c.receiver_org,
						 "note", "the case has passed to another organisation"));
	} else {
		reply_case(r, &l, "case.action");
	}
out:
	json_decref(body);
	refusal_release(&why);
	flow_case_release(&l);
}

/* ---- notes ---------------------------------------------------------------------------- */

struct notes_ctx {
	struct api_request *r;
	json_t *items;
	int limit;
	bool more;
	clock_us last_at;
	char *last_id;
};

static int note_one(void *ctx, const char *id, const char *user, const char *org, const char *visibility,
		    const char *text, clock_us at)
{
	struct notes_ctx *nc = ctx;
	if (!cm_note_visible(visibility, org, &nc->r->caller))
		return 0;
	if ((int)json_array_size(nc->items) == nc->limit) {
		nc->more = true;
		return 1;
	}
	nc->last_at = at;
	free(nc->last_id);
	nc->last_id = xstrdup(id);
	json_array_append_new(nc->items, json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:o}", "id", id, "user", user,
						   "user_name", api_user_name(nc->r, user), "org", org, "visibility",
						   visibility, "text", text ? text : "", "at", api_time(nc->r, at)));
	return 0;
}

void api_case_notes_list(struct api_request *r)
{
	struct flow_case l;
	if (api_case_load(r, r->http->segs[2], &l))
		return;
	if (!l.personal) {
		flow_case_release(&l);
		api_error(r, 403, "forbidden", NULL, "notes are for the organisations working on the case",
			  "メモはケースを担当する機関のみ閲覧できます");
		return;
	}
	static const char *const params[] = { "limit", "cursor", NULL };
	struct notes_ctx nc = { r, NULL, 100, false, 0, NULL };
	const char *cursor = api_query(r, "cursor");
	clock_us after_at = 0;
	char *after_id = NULL;
	if (api_query_known(r, params) || api_query_limit(r, &nc.limit)) {
		flow_case_release(&l);
		return;
	}
	if (cursor && parse_cursor(cursor, "m_", &after_at, &after_id)) {
		api_bad_cursor(r);
		flow_case_release(&l);
		return;
	}
	nc.items = json_array();
	if (store_notes_for_case(r->core->store, l.c.id, after_at, after_id, note_one, &nc) ||
	    api_case_log_access(r, &l.c, "case.notes")) {
		json_decref(nc.items);
		api_storage_error(r);
	} else {
		json_t *next = json_null();
		if (nc.more) {
			char *c = xasprintf("%lld.%s", (long long)nc.last_at, nc.last_id);
			next = json_string(c);
			free(c);
		}
		api_reply_json(r, 200, json_pack("{s:o, s:o}", "items", nc.items, "next_cursor", next));
	}
	free(nc.last_id);
	free(after_id);
	flow_case_release(&l);
}

void api_case_notes_add(struct api_request *r)
{
	struct flow_case l;
	if (api_case_load(r, r->http->segs[2], &l))
		return;
	json_t *body = NULL, *note = NULL;
	struct refusal why = { 0 };
	struct flow f = api_flow(r);
	if (cm_check_note(l.pw, &l.c, l.parties, l.personal, &why)) {
		api_refuse(r, &why);
		goto out;
	}
	if (!(body = api_body_object(r)))
		goto out;
	int rc = flow_note(&f, &l, body, &note, &why);
	if (rc) {
		api_flow_failed(r, rc, &why);
	} else {
		json_object_set_new(note, "user_name", api_user_name(r, f.who.user));
		api_reply_json(r, 201, note);
	}
out:
	json_decref(body);
	refusal_release(&why);
	flow_case_release(&l);
}

/* ---- POST /v1/cases/{id}/assign ------------------------------------------------------ */

void api_case_assign(struct api_request *r)
{
	struct flow_case l;
	if (api_case_load(r, r->http->segs[2], &l))
		return;
	json_t *body = NULL;
	struct refusal why = { 0 };
	struct flow f = api_flow(r);
	/* Who may assign is answered before the version and the body are looked at. */
	if (cm_check_assign(l.pw, &l.c, l.parties, &why)) {
		api_refuse(r, &why);
		goto out;
	}
	if (api_check_if_match(r, l.c.version) || !(body = api_body_object(r)))
		goto out;
	int rc = flow_assign(&f, &l, body, &why);
	if (rc) {
		api_flow_failed(r, rc, &why);
		goto out;
	}
	flow_case_resides(&f, &l);
	reply_case(r, &l, "case.assign");
out:
	json_decref(body);
	refusal_release(&why);
	flow_case_release(&l);
}

/* ---- PATCH /v1/cases/{id}/subject ---------------------------------------------------- */

void api_case_subject_patch(struct api_request *r)
{
	struct flow_case l;
	if (api_case_load(r, r->http->segs[2], &l))
		return;
	json_t *body = NULL;
	struct refusal why = { 0 };
	struct flow f = api_flow(r);
	if (api_check_if_match(r, l.c.version) || !(body = api_body_object(r)))
		goto out;
	int rc = flow_correct_subject(&f, &l, body, &why);
	if (rc) {
		api_flow_failed(r, rc, &why);
		goto out;
	}
	reply_case(r, &l, "case.subject");
out:
	json_decref(body);
	refusal_release(&why);
	flow_case_release(&l);
}
