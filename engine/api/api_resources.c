/*
 * api_resources — the community resource directory over HTTP: search
 * (GET /v1/resources?q=&category=&area=…), read, create (POST), replace (PUT with
 * If-Match) and the category list. Every signed-in user reads; coordinators and
 * the provider organisation of a resource write. Resources carry no personal data.
 */
#include "api.h"
#include "directory.h"
#include "textfold.h"

#include <stdlib.h>
#include <string.h>

#define QUERY_MAX_CHARS 200  /* as openapi's maxLength counts: characters */
#define QUERY_MAX_TERMS 8

static void not_found(struct api_request *r)
{
	api_error(r, 404, "not_found", NULL, "no such resource in the directory", "該当する社会資源はありません");
}

/* ---- GET /v1/resources/categories ----------------------------------------------------- */

void api_resource_categories(struct api_request *r)
{
	const struct config *cfg = r->core->cfg;
	json_t *items = json_array();
	for (size_t i = 0; i < cfg->n_categories; i++)
		json_array_append_new(items, json_pack("{s:s, s:{s:s, s:s}}", "id", cfg->categories[i].id, "title", "ja",
						       cfg->categories[i].title.ja, "en", cfg->categories[i].title.en));
	api_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

/* ---- GET /v1/resources ------------------------------------------------------------------ */

/* A cursor is the hex of "sort_key\nid": opaque, and safe in a query string. */
static char *cursor_encode(const char *sort_key, const char *id)
{
	struct buf b;
	buf_init(&b);
	char *plain = xasprintf("%s\n%s", sort_key, id);
	for (const unsigned char *p = (const unsigned char *)plain; *p; p++)
		buf_printf(&b, "%02x", *p);
	free(plain);
	return buf_detach(&b);
}

static int cursor_decode(const char *hex, char **sort_key, char **id)
{
	size_t n = strlen(hex);
	if (n == 0 || n % 2 || n > 1024 || strspn(hex, "0123456789abcdef") != n)
		return -1;
	char *plain = xmalloc(n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		plain[i] = (char)v;
	}
	plain[n / 2] = '\0';
	char *nl = strchr(plain, '\n');
	if (strlen(plain) != n / 2 || !nl || !utf8_valid(plain, n / 2) || !resource_valid_id(nl + 1)) {
		free(plain);
		return -1;
	}
	*id = xstrdup(nl + 1);
	*nl = '\0';
	*sort_key = plain;
	return 0;
}

struct list_ctx {
	struct api_request *r;
	json_t *items;
	int limit;
	bool more;
	char *last_key, *last_id;
};

static int list_one(void *ctx, const struct resource_record *res, const char *sort_key)
{
	struct list_ctx *lc = ctx;
	if ((int)json_array_size(lc->items) == lc->limit) {
		lc->more = true;
		return 1;
	}
	json_array_append_new(lc->items, resource_json(lc->r->core->cfg, lc->r->core->clock, res));
	free(lc->last_key);
	free(lc->last_id);
	lc->last_key = xstrdup(sort_key);
	lc->last_id = xstrdup(res->id);
	return 0;
}

/* Checks an enumerated query parameter against a NULL-terminated table; 422 and -1 when it is not one. */
static int query_one_of(struct api_request *r, const char *name, const char *v, const char *const *values)
{
	if (!v || vocab_lookup(values, v) >= 0)
		return 0;
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; values[i]; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", values[i]);
	char *msg = xasprintf("%s must be one of: %s", name, b.data);
	char *ja = xasprintf("%s は次のいずれかで指定してください: %s", name, b.data);
	api_error(r, 422, "invalid_field", name, msg, ja);
	free(msg);
	free(ja);
	buf_release(&b);
	return -1;
}

void api_resources_list(struct api_request *r)
{
	static const char *const params[] = { "q", "category", "area", "provider", "status", "capacity", "limit",
					      "cursor", NULL };
	static const char *const statuses[] = { "active", "inactive", "any", NULL };
	const struct config *cfg = r->core->cfg;
	struct store_resource_filter f = { 0 };
	struct list_ctx lc = { .r = r, .limit = 50 };
	char **terms = NULL, *after_key = NULL, *after_id = NULL;
	int n_terms = 0;
	if (api_query_known(r, params) || api_query_limit(r, &lc.limit))
		return;
	f.category = api_query(r, "category");
	f.area = api_query(r, "area");
	f.provider = api_query(r, "provider");
	f.capacity = api_query(r, "capacity");
	const char *status = api_query(r, "status"), *q = api_query(r, "q"), *cursor = api_query(r, "cursor");
	if (f.category && !config_find_category(cfg, f.category)) {
		api_error(r, 422, "invalid_field", "category", "category must be one of GET /v1/resources/categories",
			  "category には GET /v1/resources/categories の分類を指定してください");
		goto out;
	}
	if (f.area && !config_find_area(cfg, f.area)) {
		api_error(r, 422, "invalid_field", "area", "area must be one of the areas of GET /v1/orgs",
			  "area には地区の ID を指定してください");
		goto out;
	}
	if (query_one_of(r, "status", status, statuses) || query_one_of(r, "capacity", f.capacity, capacity_names))
		goto out;
	f.status = !status ? "active" : strcmp(status, "any") ? status : NULL;
	if (q) {
		n_terms = strlen(q) > 4 * QUERY_MAX_CHARS || textfold_chars(q) > QUERY_MAX_CHARS ? -1
											       : textfold_terms(q, &terms);
		bool control = false;
		for (const unsigned char *p = (const unsigned char *)q; *p; p++)
			control |= *p < 0x20 || *p == 0x7f;
		if (n_terms < 0 || n_terms > QUERY_MAX_TERMS || control) {
			api_error(r, 422, "invalid_field", "q", "q must be text of at most 200 characters and 8 words",
				  "q は 200 文字・8 語までの文字列で指定してください");
			goto out;
		}
		f.terms = terms;
		f.n_terms = (size_t)n_terms;
	}
	if (cursor) {
		if (cursor_decode(cursor, &after_key, &after_id)) {
			api_bad_cursor(r);
			goto out;
		}
		f.after_key = after_key;
		f.after_id = after_id;
	}
	f.limit = lc.limit + 1;
	lc.items = json_array();
	if (store_resources_list(r->core->store, &f, list_one, &lc)) {
		json_decref(lc.items);
		api_storage_error(r);
		goto out;
	}
	json_t *next = json_null();
	if (lc.more) {
		char *c = cursor_encode(lc.last_key, lc.last_id);
		next = json_string(c);
		free(c);
	}
	api_reply_json(r, 200, json_pack("{s:o, s:o}", "items", lc.items, "next_cursor", next));
out:
	for (int i = 0; i < n_terms; i++)
		free(terms[i]);
	free(terms);
	free(after_key);
	free(after_id);
	free(lc.last_key);
	free(lc.last_id);
}

/* ---- GET /v1/resources/{id} ------------------------------------------------------------- */

/* Loads the resource of the path; replies 404 or 503 and returns -1 when it cannot. */
static int load(struct api_request *r, struct resource_record *out)
{
	memset(out, 0, sizeof(*out));
	int rc = resource_valid_id(r->http->segs[2]) ? store_resource_get(r->core->store, r->http->segs[2], out) : 1;
	if (rc < 0)
		api_storage_error(r);
	else if (rc > 0)
		not_found(r);
	return rc ? -1 : 0;
}

static void reply_resource(struct api_request *r, int status, const struct resource_record *res)
{
	api_set_etag(r, res->version);
	api_reply_json(r, status, resource_json(r->core->cfg, r->core->clock, res));
}

void api_resource_get(struct api_request *r)
{
	struct resource_record res;
	if (load(r, &res))
		return;
	reply_resource(r, 200, &res);
	resource_record_release(&res);
}

/* ---- POST /v1/resources, PUT /v1/resources/{id} ---------------------------------------- */

static void forbidden(struct api_request *r)
{
	api_error(r, 403, "forbidden", "provider",
		  "only the city's coordinators and the resource's provider organisation change a resource",
		  "社会資源を変更できるのはコーディネーターと運営機関だけです");
}

/* Checks the body as a resource that the caller may write; replies and returns -1 when not. */
static int checked_body(struct api_request *r, struct resource_input *in)
{
	struct refusal err = { 0 };
	json_t *body = api_body_object(r);
	if (!body)
		return -1;
	int rc = resource_check(r->core->cfg, body, clock_local_date(r->core->clock, r->http->now), in, &err);
	json_decref(body);
	if (rc) {
		api_refuse(r, &err);
		refusal_release(&err);
		return -1;
	}
	if (!resource_may_write(&r->caller, in->provider)) {
		resource_input_release(in);
		forbidden(r);
		return -1;
	}
	return 0;
}

void api_resources_create(struct api_request *r)
{
	struct resource_input in;
	struct resource_record saved = { 0 };
	if (checked_body(r, &in))
		return;
	int rc = directory_save(r->core->store, &in, NULL, 0, r->user.id, r->http->now, &saved);
	if (rc) {
		api_storage_error(r);
	} else {
		r->http->location = xasprintf("/v1/resources/%s", saved.id);
		reply_resource(r, 201, &saved);
	}
	resource_record_release(&saved);
	resource_input_release(&in);
}

void api_resource_put(struct api_request *r)
{
	struct resource_record old, saved = { 0 };
	struct resource_input in = { 0 };
	if (load(r, &old))
		return;
	if (!resource_may_write(&r->caller, old.provider)) {
		forbidden(r);
		goto out;
	}
	if (api_check_if_match(r, old.version) || checked_body(r, &in))
		goto out;
	int rc = directory_save(r->core->store, &in, old.id, old.version, r->user.id, r->http->now, &saved);
	if (rc < 0)
		api_storage_error(r);
	else if (rc > 0)
		api_precondition_failed(r, 0, "the resource has changed; reload it and try again",
					"社会資源が更新されています。読み直してからもう一度お試しください");
	else
		reply_resource(r, 200, &saved);
out:
	resource_input_release(&in);
	resource_record_release(&saved);
	resource_record_release(&old);
}
