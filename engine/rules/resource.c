/*
 * resource — checking an entry field by field (every refusal names the field,
 * in Japanese and English), the normalised form kept in the store, and the
 * folded text of its names, description, address, schedule, eligibility and
 * provider that the search reads.
 */
#include "resource.h"
#include "textfold.h"
#include "token.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES 200
#define TEXT_MAX_BYTES 1000
#define DESCRIPTION_MAX_BYTES 4000
#define URL_MAX_BYTES 1000

static const char *const statuses[] = { "active", "inactive", NULL };

void resource_input_release(struct resource_input *in)
{
	json_decref(in->data);
	free(in->areas);
	memset(in, 0, sizeof(*in));
}

bool resource_valid_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > RESOURCE_ID_MAX || !strcmp(id, "categories"))
		return false;
	return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:") == n;
}

bool resource_may_write(const struct cm_caller *who, const char *provider)
{
	if (cm_is_coordinator(who))
		return true;
	return provider && !strcmp(who->org->id, provider);
}

static int refuse_keys(const json_t *o, const char *path, const char *const *keys, struct refusal *err)
{
	return cm_check_keys(o, path, path ? path : "a resource", path ? path : "社会資源", keys, err);
}

/* A {ja, en} name (or a plain string, taken as ja); en optional. NULL with *err. */
static json_t *check_names(const json_t *v, const char *path, size_t max, struct refusal *err)
{
	static const char *const keys[] = { "ja", "en", NULL };
	if (!v || json_is_null(v)) {
		char *ja = xasprintf("%s.ja", path);
		refusal_set(err, "missing_field", ja, "%s is required", ja);
		refusal_ja(err, "%s は必須です", ja);
		free(ja);
		return NULL;
	}
	if (json_is_string(v))
		return cm_check_text(v, path, max, err) ? NULL : json_pack("{s:O, s:n}", "ja", v, "en");
	if (!json_is_object(v)) {
		refusal_set(err, "invalid_field", path, "%s must be an object {\"ja\": …, \"en\": …}", path);
		refusal_ja(err, "%s は {\"ja\": …, \"en\": …} の形で指定してください", path);
		return NULL;
	}
	if (refuse_keys(v, path, keys, err))
		return NULL;
	char *ja_path = xasprintf("%s.ja", path), *en_path = xasprintf("%s.en", path);
	const json_t *ja = json_object_get(v, "ja"), *en = json_object_get(v, "en");
	json_t *out = NULL;
	if (!ja) {
		refusal_set(err, "missing_field", ja_path, "%s is required", ja_path);
		refusal_ja(err, "%s（日本語）は必須です", ja_path);
	} else if (!cm_check_text(ja, ja_path, max, err) &&
		   (!en || json_is_null(en) || !cm_check_text(en, en_path, max, err))) {
		out = json_pack("{s:O, s:O}", "ja", ja, "en", en ? en : json_null());
	}
	free(ja_path);
	free(en_path);
	return out;
}

/* An optional text: null when absent. */
static int optional_text(const json_t *body, const char *key, const char *path, size_t max, json_t *out,
			 struct refusal *err)
{
	const json_t *v = json_object_get(body, key);
	if (!v || json_is_null(v)) {
		json_object_set_new(out, key, json_null());
		return 0;
	}
	if (cm_check_text(v, path, max, err))
		return -1;
	json_object_set(out, key, (json_t *)v);
	return 0;
}

static int check_contact(const json_t *v, json_t *data, struct refusal *err)
{
	static const char *const keys[] = { "name", "phone", "email", "url", "phone_public", "email_public", NULL };
	json_t *c = json_pack("{s:n, s:n, s:n, s:n, s:b, s:b}", "name", "phone", "email", "url", "phone_public", 0,
			      "email_public", 0);
	json_object_set_new(data, "contact", c);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		refusal_set(err, "invalid_field", "contact", "contact must be an object {name, phone, email, url}");
		refusal_ja(err, "contact は {name, phone, email, url} の形で指定してください");
		return -1;
	}
	if (refuse_keys(v, "contact", keys, err) || optional_text(v, "name", "contact.name", NAME_MAX_BYTES, c, err))
		return -1;
	const json_t *phone = json_object_get(v, "phone"), *email = json_object_get(v, "email"),
		     *url = json_object_get(v, "url");
	if (phone && !json_is_null(phone)) {
		if (cm_check_phone(phone, "contact.phone", err))
			return -1;
		json_object_set(c, "phone", (json_t *)phone);
	}
	/* a phone or an address may be a volunteer's own: published only when the provider says it may be */
	static const char *const flags[] = { "phone_public", "email_public" };
	for (size_t i = 0; i < 2; i++) {
		const json_t *flag = json_object_get(v, flags[i]);
		if (flag && !json_is_boolean(flag)) {
			refusal_set(err, "invalid_field", flags[i], "contact.%s must be true or false", flags[i]);
			refusal_ja(err, "contact.%s は true か false で指定してください", flags[i]);
			return -1;
		}
		if (flag)
			json_object_set(c, flags[i], (json_t *)flag);
	}
	if (email && !json_is_null(email)) {
		const char *e = json_string_value(email);
		const char *at = e ? strchr(e, '@') : NULL;
		if (cm_check_text(email, "contact.email", 254, err))
			return -1;
		if (!at || at == e || !at[1] || strchr(at + 1, '@') || strpbrk(e, " \t\n,;<>")) {
			refusal_set(err, "invalid_field", "contact.email", "contact.email must be an email address");
			refusal_ja(err, "contact.email はメールアドレスで指定してください");
			return -1;
		}
		json_object_set(c, "email", (json_t *)email);
	}
	if (url && !json_is_null(url)) {
		const char *u = json_string_value(url);
		if (cm_check_text(url, "contact.url", URL_MAX_BYTES, err))
			return -1;
		if ((strncmp(u, "http://", 7) && strncmp(u, "https://", 8)) || strpbrk(u, " \t\n")) {
			refusal_set(err, "invalid_field", "contact.url", "contact.url must be an http:// or https:// address");
			refusal_ja(err, "contact.url は http:// か https:// で始まるアドレスで指定してください");
			return -1;
		}
		json_object_set(c, "url", (json_t *)url);
	}
	return 0;
}

static int check_capacity(const json_t *v, date_days today, json_t *data, struct refusal *err)
{
	static const char *const keys[] = { "status", "confirmed_on", NULL };
	json_t *c = json_pack("{s:s, s:n}", "status", "accepting", "confirmed_on");
	json_object_set_new(data, "capacity", c);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v)) {
		refusal_set(err, "invalid_field", "capacity", "capacity must be an object {status, confirmed_on}");
		refusal_ja(err, "capacity は {status, confirmed_on} の形で指定してください");
		return -1;
	}
	if (refuse_keys(v, "capacity", keys, err))
		return -1;
	const json_t *status = json_object_get(v, "status"), *on = json_object_get(v, "confirmed_on");
	if (status) {
		if (cm_check_enum(status, "capacity.status", capacity_names, CAPACITY_COUNT, err))
			return -1;
		json_object_set(c, "status", (json_t *)status);
	}
	if (on && !json_is_null(on)) {
		if (cm_check_date(on, "capacity.confirmed_on", today, PW_PAST_DATE, err))
			return -1;
		json_object_set(c, "confirmed_on", (json_t *)on);
	}
	return 0;
}

static int check_areas(const struct config *cfg, const json_t *v, json_t *data, struct refusal *err)
{
	json_t *areas = json_array();
	json_object_set_new(data, "areas", areas);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > cfg->n_areas) {
		refusal_set(err, "invalid_field", "areas", "areas must be a list of area ids ([] for every area)");
		refusal_ja(err, "areas は地区 ID の一覧で指定してください（全地区は []）");
		return -1;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *a = json_array_get(v, i);
		if (!json_is_string(a) || !config_find_area(cfg, json_string_value(a))) {
			struct buf b;
			buf_init(&b);
			for (size_t k = 0; k < cfg->n_areas; k++)
				buf_printf(&b, "%s%s", k ? ", " : "", cfg->areas[k].id);
			char *path = xasprintf("areas[%zu]", i);
			refusal_set(err, "invalid_field", "areas", "%s must be one of the areas: %s", path, b.data);
			refusal_ja(err, "%s は次の地区のいずれかで指定してください: %s", path, b.data);
			free(path);
			buf_release(&b);
			return -1;
		}
		bool seen = false;
		for (size_t k = 0; k < json_array_size(areas); k++)
			seen |= !strcmp(json_string_value(json_array_get(areas, k)), json_string_value(a));
		if (!seen)
			json_array_append(areas, (json_t *)a);
	}
	return 0;
}

int resource_check(const struct config *cfg, const json_t *body, date_days today, struct resource_input *out,
		   struct refusal *err)
{
	static const char *const keys[] = { "name", "description", "category", "provider", "areas", "address",
					    "schedule", "eligibility", "contact", "capacity", "status", "publish", NULL };
	memset(out, 0, sizeof(*out));
	if (!json_is_object(body)) {
		refusal_set(err, "invalid_json", NULL, "a resource must be a JSON object");
		refusal_ja(err, "社会資源は JSON オブジェクトで指定してください");
		return -1;
	}
	if (refuse_keys(body, NULL, keys, err))
		return -1;
	json_t *data = json_object();
	json_t *name = check_names(json_object_get(body, "name"), "name", NAME_MAX_BYTES, err);
	if (!name)
		goto fail;
	json_object_set_new(data, "name", name);
	if (optional_text(body, "description", "description", DESCRIPTION_MAX_BYTES, data, err))
		goto fail;
	const json_t *category = json_object_get(body, "category");
	if (!category) {
		refusal_set(err, "missing_field", "category", "category is required");
		refusal_ja(err, "category（分類）は必須です");
		goto fail;
	}
	if (!json_is_string(category) || !config_find_category(cfg, json_string_value(category))) {
		struct buf b;
		buf_init(&b);
		for (size_t i = 0; i < cfg->n_categories; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", cfg->categories[i].id);
		refusal_set(err, "invalid_field", "category", "category must be one of: %s", b.data);
		refusal_ja(err, "category は次のいずれかで指定してください: %s", b.data);
		buf_release(&b);
		goto fail;
	}
	json_object_set(data, "category", (json_t *)category);
	const json_t *provider = json_object_get(body, "provider");
	if (!provider) {
		refusal_set(err, "missing_field", "provider", "provider (the organisation that runs the resource) is required");
		refusal_ja(err, "provider（運営する機関）は必須です");
		goto fail;
	}
	if (!json_is_string(provider) || !config_find_org(cfg, json_string_value(provider))) {
		refusal_set(err, "invalid_field", "provider", "provider must be the id of an organisation in the config");
		refusal_ja(err, "provider には設定ファイルの機関 ID を指定してください");
		goto fail;
	}
	json_object_set(data, "provider", (json_t *)provider);
	if (check_areas(cfg, json_object_get(body, "areas"), data, err) ||
	    optional_text(body, "address", "address", TEXT_MAX_BYTES, data, err) ||
	    optional_text(body, "schedule", "schedule", TEXT_MAX_BYTES, data, err) ||
	    optional_text(body, "eligibility", "eligibility", TEXT_MAX_BYTES, data, err) ||
	    check_contact(json_object_get(body, "contact"), data, err) ||
	    check_capacity(json_object_get(body, "capacity"), today, data, err))
		goto fail;
	const json_t *status = json_object_get(body, "status");
	if (status && cm_check_enum(status, "status", statuses, 2, err))
		goto fail;
	json_object_set_new(data, "status", json_string(status ? json_string_value(status) : "active"));
	/* in the public directory only when its provider agreed */
	const json_t *publish = json_object_get(body, "publish");
	if (publish && !json_is_boolean(publish)) {
		refusal_set(err, "invalid_field", "publish", "publish must be true or false (the provider agreed to publication)");
		refusal_ja(err, "publish は true か false で指定してください（公開に提供者が同意したか）");
		goto fail;
	}
	json_object_set_new(data, "publish", json_boolean(publish && json_is_true(publish)));
	out->data = data;
	out->category = json_string_value(json_object_get(data, "category"));
	out->provider = json_string_value(json_object_get(data, "provider"));
	out->status = json_string_value(json_object_get(data, "status"));
	out->capacity = json_string_value(json_object_get(json_object_get(data, "capacity"), "status"));
	const json_t *areas = json_object_get(data, "areas");
	out->n_areas = json_array_size(areas);
	out->areas = xcalloc(out->n_areas ? out->n_areas : 1, sizeof(char *));
	for (size_t i = 0; i < out->n_areas; i++)
		out->areas[i] = (char *)json_string_value(json_array_get(areas, i));
	return 0;
fail:
	json_decref(data);
	return -1;
}

/* Appends the folded form of a text (if any), each part ending with a separator no query holds. */
static json_t *time_json(const struct clock *clk, clock_us t)
{
	char out[48];
	if (!t)
		return json_null();
	clock_format(clk, t, out);
	return json_string(out);
}

json_t *resource_json(const struct config *cfg, const struct clock *clk, const struct resource_record *r)
{
	json_t *o = json_pack("{s:s}", "id", r->id);
	json_object_update(o, r->data);
	const struct config_category *cat = config_find_category(cfg, r->category);
	const struct config_org *org = config_find_org(cfg, r->provider);
	json_object_set_new(o, "category_title", cat ? json_pack("{s:s, s:s}", "ja", cat->title.ja, "en", cat->title.en)
						     : json_null());
	json_object_set_new(o, "provider_name", org ? json_pack("{s:s, s:s}", "ja", org->name.ja, "en", org->name.en)
						    : json_null());
	json_object_set_new(o, "version", json_integer(r->version));
	json_object_set_new(o, "created_at", time_json(clk, r->created_at));
	json_object_set_new(o, "updated_at", time_json(clk, r->updated_at));
	return o;
}

json_t *resource_brief(const struct resource_record *r)
{
	return json_pack("{s:s, s:O, s:s, s:s}", "id", r->id, "name", json_object_get(r->data, "name"), "category",
			 r->category, "provider", r->provider);
}
