/*
 * api_links — a case's links to community resources over HTTP. The receiving
 * organisation proposes a link (POST /v1/cases/{id}/links), may hand the
 * person's name and contact to the resource's provider when a consent covers it,
 * and records what became of it (PATCH …/links/{link}: joined, declined, ended);
 * the provider sees the people referred to its resources (GET /v1/links) and
 * records attendance. Every change is an event of the case, in the same
 * transaction as the link, its provision record and its notifications.
 */
#include "api.h"
#include "links.h"
#include "resource.h"
#include "token.h"

#include <stdlib.h>
#include <string.h>

static bool is_receiver(const struct api_case *l)
{
	return l->parties & (MASK(PARTY_RECEIVER) | MASK(PARTY_ASSIGNEE));
}

/* ---- views ---------------------------------------------------------------------------------- */

struct view_ctx {
	struct api_request *r;
	const struct api_case *l;
	json_t *items;
	bool failed;
};

static int view_one(void *ctx, const struct store_link *link)
{
	struct view_ctx *v = ctx;
	const struct api_case *l = v->l;
	bool receiver = is_receiver(l);
	/* A provider sees its own links only; the other sides of the case see them all. */
	if (!receiver && !l->personal && strcmp(link->provider_org, v->r->caller.org->id))
		return 0;
	struct store_resource res = { 0 };
	int rc = store_resource_get(v->r->app->store, link->resource_id, &res);
	if (rc < 0) {
		v->failed = true;
		return 1;
	}
	json_array_append_new(v->items, links_json(link, rc == 0 ? &res : NULL, receiver, v->r->app->clock));
	store_resource_release(&res);
	return 0;
}

json_t *api_case_links_json(struct api_request *r, const struct api_case *l)
{
	struct view_ctx v = { r, l, json_array(), false };
	if (store_links_for_case(r->app->store, l->c.id, view_one, &v) || v.failed) {
		json_decref(v.items);
		return NULL;
	}
	return v.items;
}

struct provider_person {
	const char *org;
	const json_t *subject;
	json_t *person;
};

static int provider_person_one(void *ctx, const struct store_link *link)
{
	struct provider_person *p = ctx;
	if (!strcmp(link->provider_org, p->org) && links_open(link))
		links_person(link, p->subject, p->person);
	return 0;
}

/* What a provider may see of the person: the items handed to it through its open links. */
json_t *api_provider_subject(struct api_request *r, const struct api_case *l)
{
	json_t *subject = store_subject_get(r->app->store, l->c.subject_id);
	struct provider_person p = { r->caller.org->id, subject, json_object() };
	store_links_for_case(r->app->store, l->c.id, provider_person_one, &p);
	json_decref(subject);
	return p.person;
}

/* ---- GET /v1/cases/{id}/links ---------------------------------------------------------------- */

void api_case_links_list(struct api_request *r)
{
	struct api_case l;
	if (api_case_load(r, r->segs[2], &l))
		return;
	json_t *items = api_case_links_json(r, &l);
	if (!items)
		api_storage_error(r);
	else
		api_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
	api_case_release(&l);
}

/* ---- writes ------------------------------------------------------------------------------------ */

static int open_case(struct api_request *r, const struct api_case *l)
{
	int s = pathway_state_index(l->pw, l->c.state);
	if (s < 0 || l->pw->states[s].final) {
		api_error(r, 409, "action_not_available", NULL, "the case has ended; its links cannot change",
			  "ケースは終了しています。つなぎは変更できません");
		return -1;
	}
	return 0;
}

/*
 * Hands the person's details over with this change when it asks to and the
 * provider is another organisation: needs a consent on record (the case's or one
 * given now). 0 and *items / *basis (caller frees), or 422 and -1.
 */
static int handoff(struct api_request *r, const struct api_case *l, const struct store_link *link,
		   const struct links_change *ch, char **items, char **basis)
{
	*items = *basis = NULL;
	if (!ch->share)
		return 0;
	/* A resource the caller's own organisation runs: the details stay where they are. */
	bool own = !strcmp(link->provider_org, r->caller.org->id);
	if (!own && !(*basis = links_consent_basis(ch->consent, l->c.consent))) {
		api_error(r, 422, "consent_required", "consent",
			  "the person's details pass to the provider only with their consent: the case has none; "
			  "send consent {obtained_by, obtained_at, method, scope} for this handoff",
			  "運営機関へ本人の情報を渡すには本人の同意が必要です。ケースに同意の記録がないため、"
			  "この提供についての consent {obtained_by, obtained_at, method, scope} を指定してください");
		return -1;
	}
	json_t *subject = store_subject_get(r->app->store, l->c.subject_id);
	*items = links_shared_items(subject);
	json_decref(subject);
	return 0;
}

struct open_link {
	const char *resource;
	bool found;
};

static int find_open(void *ctx, const struct store_link *link)
{
	struct open_link *q = ctx;
	q->found |= !strcmp(link->resource_id, q->resource) && links_open(link);
	return q->found;
}

/* What a link write holds, released together. */
struct link_write {
	struct api_case l;
	json_t *body;
	struct links_change ch;
	struct cm_error err;
	struct store_resource res;
	struct store_link link;
	char *items, *basis;
};

static void link_write_release(struct link_write *w)
{
	free(w->items);
	free(w->basis);
	store_link_release(&w->link);
	store_resource_release(&w->res);
	links_change_release(&w->ch);
	cm_error_release(&w->err);
	json_decref(w->body);
	api_case_release(&w->l);
}

/* Applies the checked change to the link, writes it with its case and replies (`status` on success). */
static void write_link(struct api_request *r, struct link_write *w, bool created, int status)
{
	if (handoff(r, &w->l, &w->link, &w->ch, &w->items, &w->basis))
		return;
	int old_status = created ? -1 : vocab_lookup(link_status_names, w->link.status);
	links_apply(&w->link, &w->ch, w->items, r->now);
	struct flow f = api_flow(r);
	struct flow_link fl = { &w->link, created, old_status, links_event_name(&w->ch, created), w->items, w->basis };
	int rc = flow_link(&f, w->l.pw, &w->l.c, w->l.subject, &fl);
	if (rc > 0) {
		api_error(r, 412, "precondition_failed", "If-Match", "the case has changed; reload it and try again",
			  "ケースが更新されています。読み直してからもう一度お試しください");
		return;
	}
	if (rc < 0 || (!w->res.id && store_resource_get(r->app->store, w->link.resource_id, &w->res) < 0) ||
	    api_case_log_access(r, &w->l.c, "case.link")) {
		api_storage_error(r);
		return;
	}
	if (created)
		r->location = xasprintf("/v1/cases/%s/links/%s", w->l.c.id, w->link.id);
	api_set_etag(r, w->l.c.version);
	api_reply_json(r, status, links_json(&w->link, w->res.id ? &w->res : NULL, is_receiver(&w->l), r->app->clock));
}

void api_case_links_create(struct api_request *r)
{
	struct link_write w = { 0 };
	const char *resource_id;
	if (api_case_load(r, r->segs[2], &w.l))
		return;
	if (!is_receiver(&w.l)) {
		api_error(r, 403, "forbidden", NULL, "the receiving organisation links the person to resources",
			  "社会資源へのつなぎは受け手の機関が行います");
		goto out;
	}
	if (open_case(r, &w.l) || api_check_if_match(r, w.l.c.version) || !(w.body = api_body_object(r)))
		goto out;
	if (links_check_new(w.body, clock_local_date(r->app->clock, r->now), &w.ch, &resource_id, &w.err)) {
		api_error_cm(r, &w.err);
		goto out;
	}
	int rc = resource_valid_id(resource_id) ? store_resource_get(r->app->store, resource_id, &w.res) : 1;
	if (rc < 0) {
		api_storage_error(r);
		goto out;
	}
	if (rc > 0 || strcmp(w.res.status, "active")) {
		api_error(r, 422, "invalid_field", "resource", "resource must be the id of an active resource of the directory",
			  "resource には名簿にある利用中の社会資源の ID を指定してください");
		goto out;
	}
	struct open_link q = { w.res.id, false };
	if (store_links_for_case(r->app->store, w.l.c.id, find_open, &q)) {
		api_storage_error(r);
		goto out;
	}
	if (q.found) {
		api_error(r, 409, "already_linked", "resource", "the person already has an open link to this resource",
			  "この社会資源へのつなぎはすでにあります");
		goto out;
	}
	w.link = (struct store_link){
		.id = token_new_id("l_"), .case_id = xstrdup(w.l.c.id), .resource_id = xstrdup(w.res.id),
		.provider_org = xstrdup(w.res.provider), .status = xstrdup("proposed"), .proposed_on = xstrdup(w.ch.on),
		.created_by = xstrdup(r->user.id), .created_org = xstrdup(r->caller.org->id), .created_at = r->now,
	};
	write_link(r, &w, true, 201);
out:
	link_write_release(&w);
}

void api_case_link_patch(struct api_request *r)
{
	struct link_write w = { 0 };
	if (api_case_load(r, r->segs[2], &w.l))
		return;
	struct api_case *l = &w.l;
	int rc = store_link_get(r->app->store, r->segs[4], &w.link);
	bool receiver = is_receiver(l);
	if (rc < 0) {
		api_storage_error(r);
		goto out;
	}
	/* A link of another case, or of another provider, is not there for this caller. */
	if (rc > 0 || strcmp(w.link.case_id, l->c.id) ||
	    (!receiver && !((l->parties & MASK(PARTY_PROVIDER)) && !strcmp(w.link.provider_org, r->caller.org->id) &&
			    w.link.shared))) {
		if (rc == 0 && !strcmp(w.link.case_id, l->c.id) && l->personal)
			api_error(r, 403, "forbidden", NULL,
				  "the receiving organisation and the resource's provider change a link",
				  "つなぎを変更できるのは受け手の機関と運営機関だけです");
		else
			api_error(r, 404, "not_found", NULL, "no such link", "該当するつなぎはありません");
		goto out;
	}
	if (open_case(r, l) || api_check_if_match(r, l->c.version) || !(w.body = api_body_object(r)))
		goto out;
	if (links_check_change(&w.link, receiver, w.body, clock_local_date(r->app->clock, r->now), &w.ch, &w.err)) {
		api_error_cm(r, &w.err);
		goto out;
	}
	write_link(r, &w, false, 200);
out:
	link_write_release(&w);
}

/* ---- GET /v1/links: the provider's referrals ------------------------------------------------ */

struct provider_ctx {
	struct api_request *r;
	json_t *items;
	int limit;
	bool more, failed;
	char *last;
};

static int provider_one(void *ctx, const struct store_link *link)
{
	struct provider_ctx *p = ctx;
	struct api_request *r = p->r;
	if ((int)json_array_size(p->items) == p->limit) {
		p->more = true;
		return 1;
	}
	struct store_resource res = { 0 };
	struct store_case c = { 0 };
	if (store_resource_get(r->app->store, link->resource_id, &res) < 0 ||
	    store_case_get(r->app->store, link->case_id, &c) < 0) {
		p->failed = true;
		store_resource_release(&res);
		return 1;
	}
	json_t *o = links_json(link, res.id ? &res : NULL, false, r->app->clock);
	json_t *person = json_null();
	if (links_open(link) && c.subject_id) {
		json_t *subject = store_subject_get(r->app->store, c.subject_id);
		person = json_object();
		links_person(link, subject, person);
		json_decref(subject);
		if (api_case_log_access(r, &c, "links.provider"))
			p->failed = true;
	}
	/* Only while the link is open does the provider hold the person's details. */
	json_object_set_new(o, "person", person);
	json_array_append_new(p->items, o);
	free(p->last);
	p->last = xstrdup(link->id);
	store_resource_release(&res);
	store_case_release(&c);
	return p->failed;
}

void api_links_provider(struct api_request *r)
{
	static const char *const params[] = { "status", "resource", "limit", "cursor", NULL };
	struct provider_ctx p = { .r = r, .limit = 50 };
	if (api_query_known(r, params) || api_query_limit(r, &p.limit))
		return;
	const char *status = api_query(r, "status"), *resource = api_query(r, "resource"),
		   *cursor = api_query(r, "cursor");
	if (status && vocab_lookup(link_status_names, status) < 0) {
		api_error(r, 422, "invalid_field", "status", "status must be proposed, joined, declined or ended",
			  "status は proposed, joined, declined, ended のいずれかで指定してください");
		return;
	}
	if (cursor && strspn(cursor, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(cursor)) {
		api_error(r, 422, "invalid_field", "cursor", "cursor is not one this server gave out", "cursor が正しくありません");
		return;
	}
	p.items = json_array();
	if (store_links_for_provider(r->app->store, r->caller.org->id, status, resource, cursor, p.limit + 1,
				     provider_one, &p) || p.failed) {
		json_decref(p.items);
		api_storage_error(r);
	} else {
		api_reply_json(r, 200, json_pack("{s:o, s:o}", "items", p.items, "next_cursor",
						 p.more && p.last ? json_string(p.last) : json_null()));
	}
	free(p.last);
}
