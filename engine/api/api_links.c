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

/* ---- views ---------------------------------------------------------------------------------- */

struct view_ctx {
	struct api_request *r;
	const struct flow_case *l;
	json_t *items;
	bool failed;
};

static int view_one(void *ctx, const struct link_record *link)
{
	struct view_ctx *v = ctx;
	const struct flow_case *l = v->l;
	bool receiver = cm_is_receiver(l->parties);
	/* A provider sees its own links only; the other sides of the case see them all. */
	if (!receiver && !l->personal && strcmp(link->provider_org, v->r->caller.org->id))
		return 0;
	struct resource_record res = { 0 };
	int rc = store_resource_get(v->r->core->store, link->resource_id, &res);
	if (rc < 0) {
		v->failed = true;
		return 1;
	}
	json_array_append_new(v->items, links_json(link, rc == 0 ? &res : NULL, receiver, v->r->core->clock));
	resource_record_release(&res);
	return 0;
}

json_t *api_case_links_json(struct api_request *r, const struct flow_case *l)
{
	struct view_ctx v = { r, l, json_array(), false };
	if (store_links_for_case(r->core->store, l->c.id, view_one, &v) || v.failed) {
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

static int provider_person_one(void *ctx, const struct link_record *link)
{
	struct provider_person *p = ctx;
	if (!strcmp(link->provider_org, p->org) && links_open(link))
		links_person(link, p->subject, p->person);
	return 0;
}

/* What a provider may see of the person: the items handed to it through its open links. */
json_t *api_provider_subject(struct api_request *r, const struct flow_case *l)
{
	json_t *subject = store_subject_get(r->core->store, l->c.subject_id);
	struct provider_person p = { r->caller.org->id, subject, json_object() };
	store_links_for_case(r->core->store, l->c.id, provider_person_one, &p);
	json_decref(subject);
	return p.person;
}

/* ---- GET /v1/cases/{id}/links ---------------------------------------------------------------- */

void api_case_links_list(struct api_request *r)
{
	struct flow_case l;
	if (api_case_load(r, r->http->segs[2], &l))
		return;
	json_t *items = api_case_links_json(r, &l);
	/* Who was linked where is the person's data: the read is logged like any other. */
	if (!items || api_case_log_access(r, &l.c, "case.links")) {
		json_decref(items);
		api_storage_error(r);
	} else
		api_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
	flow_case_release(&l);
}

/* One link of the case, as the list shows it (the Location of a new link); another's link is not found. */
void api_case_link_get(struct api_request *r)
{
	struct flow_case l;
	if (api_case_load(r, r->http->segs[2], &l))
		return;
	struct link_record link = { 0 };
	struct view_ctx v = { r, &l, json_array(), false };
	int found = store_link_get(r->core->store, r->http->segs[4], &link);
	if (found == 0 && !strcmp(link.case_id, l.c.id))
		view_one(&v, &link);
	if (found < 0 || v.failed) {
		api_storage_error(r);
	} else if (!json_array_size(v.items)) {
		api_error(r, 404, "not_found", NULL, "no such link", "該当するつなぎはありません");
	} else if (api_case_log_access(r, &l.c, "case.links")) {
		api_storage_error(r);
	} else {
		api_set_etag(r, l.c.version);
		api_reply_json(r, 200, json_incref(json_array_get(v.items, 0)));
	}
	json_decref(v.items);
	link_record_release(&link);
	flow_case_release(&l);
}

/* ---- writes ------------------------------------------------------------------------------------ */

/* Replies with the link a write left (`status` 201 or 200). */
static void reply_link(struct api_request *r, const struct flow_case *l, const struct link_record *link,
		       const struct resource_record *res, int status)
{
	if (status == 201)
		r->http->location = xasprintf("/v1/cases/%s/links/%s", l->c.id, link->id);
	api_set_etag(r, l->c.version);
	api_reply_json(r, status, links_json(link, res->id ? res : NULL, cm_is_receiver(l->parties), r->core->clock));
}

void api_case_links_create(struct api_request *r)
{
	struct flow_case l;
	struct link_record link = { 0 };
	struct resource_record res = { 0 };
	struct refusal why = { 0 };
	json_t *body = NULL;
	if (api_case_load(r, r->http->segs[2], &l))
		return;
	struct flow f = api_flow(r);
	/* Who may link, and whether the case is open, are answered before the version and the body. */
	if (links_check_may_link(l.parties, &why) || links_check_case_open(cm_closed(l.pw, &l.c), &why)) {
		api_refuse(r, &why);
		goto out;
	}
	if (api_check_if_match(r, l.c.version) || !(body = api_body_object(r)))
		goto out;
	int rc = flow_link_create(&f, &l, body, &link, &res, &why);
	if (rc)
		api_flow_failed(r, rc, &why);
	else
		reply_link(r, &l, &link, &res, 201);
out:
	json_decref(body);
	refusal_release(&why);
	link_record_release(&link);
	resource_record_release(&res);
	flow_case_release(&l);
}

void api_case_link_patch(struct api_request *r)
{
	struct flow_case l;
	struct link_record link = { 0 };
	struct resource_record res = { 0 };
	struct refusal why = { 0 };
	json_t *body = NULL;
	if (api_case_load(r, r->http->segs[2], &l))
		return;
	struct flow f = api_flow(r);
	/* Whether the link is there for the caller, and the case open, come before the version and the body. */
	int found = store_link_get(r->core->store, r->http->segs[4], &link);
	if (found < 0) {
		api_storage_error(r);
		goto out;
	}
	if (found > 0) {
		api_error(r, 404, "not_found", NULL, "no such link", "該当するつなぎはありません");
		goto out;
	}
	if (links_check_may_change(&link, l.c.id, l.parties, l.personal, r->caller.org->id, &why) ||
	    links_check_case_open(cm_closed(l.pw, &l.c), &why)) {
		api_refuse(r, &why);
		goto out;
	}
	link_record_release(&link);
	if (api_check_if_match(r, l.c.version) || !(body = api_body_object(r)))
		goto out;
	int rc = flow_link_change(&f, &l, r->http->segs[4], body, &link, &res, &why);
	if (rc)
		api_flow_failed(r, rc, &why);
	else
		reply_link(r, &l, &link, &res, 200);
out:
	json_decref(body);
	refusal_release(&why);
	link_record_release(&link);
	resource_record_release(&res);
	flow_case_release(&l);
}

/* ---- GET /v1/links: the provider's referrals ------------------------------------------------ */

struct provider_ctx {
	struct api_request *r;
	json_t *items;
	int limit;
	bool more, failed;
	char *last;
};

static int provider_one(void *ctx, const struct link_record *link)
{
	struct provider_ctx *p = ctx;
	struct api_request *r = p->r;
	if ((int)json_array_size(p->items) == p->limit) {
		p->more = true;
		return 1;
	}
	struct resource_record res = { 0 };
	struct case_record c = { 0 };
	if (store_resource_get(r->core->store, link->resource_id, &res) < 0 ||
	    store_case_get(r->core->store, link->case_id, &c) < 0) {
		p->failed = true;
		resource_record_release(&res);
		return 1;
	}
	json_t *o = links_json(link, res.id ? &res : NULL, false, r->core->clock);
	json_t *person = json_null();
	if (links_open(link) && c.subject_id) {
		json_t *subject = store_subject_get(r->core->store, c.subject_id);
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
	resource_record_release(&res);
	case_record_release(&c);
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
	if (cursor && !api_cursor_is_id_of(cursor, "l_")) {
		api_bad_cursor(r);
		return;
	}
	p.items = json_array();
	if (store_links_for_provider(r->core->store, r->caller.org->id, status, resource, cursor, p.limit + 1,
				     provider_one, &p) || p.failed) {
		json_decref(p.items);
		api_storage_error(r);
	} else {
		api_reply_json(r, 200, json_pack("{s:o, s:o}", "items", p.items, "next_cursor",
						 p.more && p.last ? json_string(p.last) : json_null()));
	}
	free(p.last);
}
