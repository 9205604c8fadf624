/*
 * hsds — export builds one compiled HSDS service per resource; the CSV form
 * flattens those services into tables. Import reads either form into compiled
 * services (a CSV folder is joined back by its foreign keys), remembering where
 * each value stood in its file, maps each service to a resource body and checks
 * it with resource_check, so that a refusal points at the cell or JSON value
 * that caused it.
 */
#include "directory.h"
#include "hsds.h"
#include "csvin.h"
#include "csvout.h"
#include "util.h"
#include "ydoc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAXONOMY_CATEGORY "tsunagu-resource-category"
#define TAXONOMY_CAPACITY "tsunagu-capacity-status"
#define AREA_URN "urn:tsunagu:area:"

static const char *const capacity_titles[CAPACITY_COUNT][2] = {
	{ "受け入れ可", "Accepting" }, { "順番待ち", "Waiting list" }, { "満員", "Full" }, { "休止中", "Closed" },
};

void hsds_import_release(struct hsds_import *im)
{
	for (size_t i = 0; i < im->n; i++) {
		free(im->items[i].id);
		resource_input_release(&im->items[i].in);
	}
	free(im->items);
	memset(im, 0, sizeof(*im));
}

/* ---- export ------------------------------------------------------------------------------- */

static json_t *or_null(const json_t *v)
{
	return v && !json_is_null(v) ? json_incref((json_t *)v) : json_null();
}

static json_t *taxonomy_json(const char *id)
{
	bool category = !strcmp(id, TAXONOMY_CATEGORY);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "name",
			 category ? "tsunagu resource categories" : "tsunagu capacity status", "description",
			 category ? "社会資源の分類 / categories of the community resource directory"
				  : "受け入れ状況 / whether the resource takes people now",
			 "uri", category ? "urn:tsunagu:taxonomy:category" : "urn:tsunagu:taxonomy:capacity", "version", "1");
}

static json_t *attribute_json(const char *rid, const char *kind, const char *taxonomy, const char *code,
			      const char *name, const char *description)
{
	char *aid = xasprintf("%s-%s", rid, kind), *tid = xasprintf("%s-%s", taxonomy, code);
	json_t *term = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", tid, "code", code, "name", name, "description",
				 description, "taxonomy_id", taxonomy, "taxonomy", taxonomy_json(taxonomy));
	json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:o}", "id", aid, "link_id", rid, "link_type", kind,
			      "link_entity", "service", "taxonomy_term_id", tid, "value", "taxonomy_term", term);
	free(aid);
	free(tid);
	return a;
}

/*
 * A service's list of one sub-object (phone, contact, schedule) with its id and
 * service_id, or an empty list when the resource has no `present` value.
 */
static json_t *one_of(const char *rid, const char *kind, const json_t *present, json_t *fields)
{
	json_t *list = json_array();
	if (json_string_value(present)) {
		char *id = xasprintf("%s-%s", rid, kind);
		json_t *o = json_pack("{s:s, s:s}", "id", id, "service_id", rid);
		json_object_update(o, fields);
		json_array_append_new(list, o);
		free(id);
	}
	json_decref(fields);
	return list;
}

static json_t *service_json(const struct config *cfg, const struct clock *clk, const struct resource_record *r)
{
	const json_t *d = r->data, *name = json_object_get(d, "name"), *contact = json_object_get(d, "contact"),
		     *capacity = json_object_get(d, "capacity");
	const struct config_org *org = config_find_org(cfg, r->provider);
	char when[48];
	clock_format(clk, r->updated_at, when);
	json_t *s = json_pack("{s:s, s:s, s:O, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:s}", "id", r->id,
			      "organization_id", r->provider, "name", json_object_get(name, "ja"), "alternate_name",
			      or_null(json_object_get(name, "en")), "description", or_null(json_object_get(d, "description")),
			      "url", or_null(json_object_get(contact, "url")), "email", or_null(json_object_get(contact, "email")),
			      "status", r->status, "eligibility_description", or_null(json_object_get(d, "eligibility")),
			      "assured_date", or_null(json_object_get(capacity, "confirmed_on")), "last_modified", when);
	json_object_set_new(s, "organization",
			    json_pack("{s:s, s:s, s:s, s:s}", "id", r->provider, "name", org ? org->name.ja : r->provider,
				      "alternate_name", org ? org->name.en : r->provider, "description",
				      org ? org->name.en : r->provider));
	char *id;
	json_t *list;
	json_object_set_new(s, "phones", one_of(r->id, "phone", json_object_get(contact, "phone"),
						json_pack("{s:O}", "number", json_object_get(contact, "phone"))));
	json_object_set_new(s, "contacts", one_of(r->id, "contact", json_object_get(contact, "name"),
						  json_pack("{s:O, s:o}", "name", json_object_get(contact, "name"), "email",
							    or_null(json_object_get(contact, "email")))));
	json_object_set_new(s, "schedules", one_of(r->id, "schedule", json_object_get(d, "schedule"),
						   json_pack("{s:O}", "description", json_object_get(d, "schedule"))));
	list = json_array();
	const json_t *areas = json_object_get(d, "areas");
	for (size_t i = 0; i < json_array_size(areas); i++) {
		const char *area = json_string_value(json_array_get(areas, i));
		const struct config_area *a = config_find_area(cfg, area);
		char *uri = xasprintf(AREA_URN "%s", area);
		id = xasprintf("%s-area-%s", r->id, area);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "service_id", r->id, "name",
						      a ? a->name.ja : area, "description", a ? a->name.en : area, "uri", uri));
		free(id);
		free(uri);
	}
	json_object_set_new(s, "service_areas", list);
	list = json_array();
	if (json_string_value(json_object_get(d, "address"))) {
		char *lid = xasprintf("%s-location", r->id), *aid = xasprintf("%s-address", r->id);
		id = xasprintf("%s-at", r->id);
		json_t *address = json_pack("{s:s, s:s, s:O, s:s, s:s, s:s, s:s, s:s}", "id", aid, "location_id", lid,
					    "address_1", json_object_get(d, "address"), "city", "", "state_province", "",
					    "postal_code", "", "country", "JP", "address_type", "physical");
		json_t *location = json_pack("{s:s, s:s, s:O, s:s, s:[o]}", "id", lid, "location_type", "physical", "name",
					     json_object_get(name, "ja"), "organization_id", r->provider, "addresses", address);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o}", "id", id, "service_id", r->id, "location_id",
						      lid, "location", location));
		free(id);
		free(lid);
		free(aid);
	}
	json_object_set_new(s, "service_at_locations", list);
	const struct config_category *cat = config_find_category(cfg, r->category);
	int cap = vocab_lookup(capacity_names, r->capacity);
	if (cap < 0)
		cap = CAPACITY_ACCEPTING;
	json_object_set_new(s, "attributes",
			    json_pack("[o, o]",
				      attribute_json(r->id, "category", TAXONOMY_CATEGORY, r->category,
						     cat ? cat->title.ja : r->category, cat ? cat->title.en : r->category),
				      attribute_json(r->id, "capacity", TAXONOMY_CAPACITY, capacity_names[cap],
						     capacity_titles[cap][0], capacity_titles[cap][1])));
	return s;
}

struct export_ctx {
	const struct config *cfg;
	const struct clock *clk;
	json_t *services;
};

static int export_one(void *ctx, const struct resource_record *r, const char *sort_key)
{
	struct export_ctx *e = ctx;
	json_array_append_new(e->services, service_json(e->cfg, e->clk, r));
	(void)sort_key;
	return 0;
}

json_t *hsds_export_json(const struct config *cfg, const struct clock *clk, struct store *s)
{
	struct export_ctx e = { cfg, clk, json_array() };
	struct store_resource_filter all = { 0 };
	if (store_resources_list(s, &all, export_one, &e)) {
		json_decref(e.services);
		return NULL;
	}
	size_t n = json_array_size(e.services);
	return json_pack("{s:I, s:i, s:i, s:I, s:b, s:b, s:b, s:o}", "total_items", (json_int_t)n, "total_pages", 1,
			 "page_number", 1, "size", (json_int_t)n, "first_page", 1, "last_page", 1, "empty", n == 0,
			 "contents", e.services);
}

/* ---- the tabular form ------------------------------------------------------------------------ */

struct table {
	const char *name;
	const char *const *columns;
};

static const char *const organization_cols[] = { "id", "name", "alternate_name", "description", NULL };
static const char *const service_cols[] = { "id", "organization_id", "name", "alternate_name", "description", "url",
					    "email", "status", "eligibility_description", "assured_date", "last_modified",
					    NULL };
static const char *const phone_cols[] = { "id", "service_id", "number", NULL };
static const char *const contact_cols[] = { "id", "service_id", "name", "email", NULL };
static const char *const schedule_cols[] = { "id", "service_id", "description", NULL };
static const char *const area_cols[] = { "id", "service_id", "name", "description", "uri", NULL };
static const char *const location_cols[] = { "id", "location_type", "name", "organization_id", NULL };
static const char *const address_cols[] = { "id", "location_id", "address_1", "address_2", "city", "state_province",
					    "postal_code", "country", "address_type", NULL };
static const char *const sal_cols[] = { "id", "service_id", "location_id", NULL };
static const char *const taxonomy_cols[] = { "id", "name", "description", "uri", "version", NULL };
static const char *const term_cols[] = { "id", "code", "name", "description", "taxonomy_id", NULL };
static const char *const attribute_cols[] = { "id", "link_id", "link_type", "link_entity", "taxonomy_term_id",
					      "value", NULL };

enum { T_ORGANIZATION, T_SERVICE, T_PHONE, T_CONTACT, T_SCHEDULE, T_AREA, T_LOCATION, T_ADDRESS, T_SAL,
       T_TAXONOMY, T_TERM, T_ATTRIBUTE, T_COUNT };

static const struct table tables[T_COUNT] = {
	[T_ORGANIZATION] = { "organization", organization_cols }, [T_SERVICE] = { "service", service_cols },
	[T_PHONE] = { "phone", phone_cols }, [T_CONTACT] = { "contact", contact_cols },
	[T_SCHEDULE] = { "schedule", schedule_cols }, [T_AREA] = { "service_area", area_cols },
	[T_LOCATION] = { "location", location_cols }, [T_ADDRESS] = { "address", address_cols },
	[T_SAL] = { "service_at_location", sal_cols }, [T_TAXONOMY] = { "taxonomy", taxonomy_cols },
	[T_TERM] = { "taxonomy_term", term_cols }, [T_ATTRIBUTE] = { "attribute", attribute_cols },
};

struct tabular {
	struct buf text[T_COUNT];
	json_t *seen[T_COUNT];     /* ids written, for tables shared between services */
};

static void row_out(struct tabular *t, int table, const json_t *o)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	if (id && json_object_get(t->seen[table], id))
		return;
	if (id)
		json_object_set_new(t->seen[table], id, json_true());
	const char *const *cols = tables[table].columns;
	for (size_t i = 0; cols[i]; i++) {
		const json_t *v = json_object_get(o, cols[i]);
		char *cell = json_is_string(v) ? xstrdup(json_string_value(v))
			     : json_is_integer(v) ? xasprintf("%lld", (long long)json_integer_value(v))
						  : xstrdup("");
		csv_cell(&t->text[table], cell, !cols[i + 1]);
		free(cell);
	}
}

static void rows_out(struct tabular *t, int table, const json_t *list)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		row_out(t, table, json_array_get(list, i));
}

static json_t *datapackage(void)
{
	json_t *resources = json_array();
	for (int t = 0; t < T_COUNT; t++) {
		json_t *fields = json_array();
		for (size_t i = 0; tables[t].columns[i]; i++)
			json_array_append_new(fields, json_pack("{s:s, s:s}", "name", tables[t].columns[i], "type", "string"));
		char *path = xasprintf("%s.csv", tables[t].name);
		json_array_append_new(resources, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:o, s:s}}", "name",
							   tables[t].name, "path", path, "profile", "tabular-data-resource",
							   "format", "csv", "mediatype", "text/csv", "encoding", "utf-8",
							   "schema", "fields", fields, "primaryKey", "id"));
		free(path);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", "tsunagu-resources", "title",
			 "tsunagu community resource directory (Open Referral HSDS 3.0)", "profile",
			 "tabular-data-package", "version", "3.0", "resources", resources);
}

int hsds_export_csv(const struct config *cfg, const struct clock *clk, struct store *s, const char *dir,
		    char **err)
{
	json_t *page = hsds_export_json(cfg, clk, s);
	if (!page) {
		*err = xasprintf("cannot read the directory: %s", store_errmsg(s));
		return -1;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		*err = xasprintf("cannot create %s: %s", dir, strerror(errno));
		json_decref(page);
		return -1;
	}
	struct tabular t;
	for (int i = 0; i < T_COUNT; i++) {
		buf_init(&t.text[i]);
		t.seen[i] = json_object();
		for (size_t k = 0; tables[i].columns[k]; k++)
			csv_cell(&t.text[i], tables[i].columns[k], !tables[i].columns[k + 1]);
	}
	const json_t *services = json_object_get(page, "contents");
	for (size_t i = 0; i < json_array_size(services); i++) {
		const json_t *svc = json_array_get(services, i);
		row_out(&t, T_ORGANIZATION, json_object_get(svc, "organization"));
		row_out(&t, T_SERVICE, svc);
		rows_out(&t, T_PHONE, json_object_get(svc, "phones"));
		rows_out(&t, T_CONTACT, json_object_get(svc, "contacts"));
		rows_out(&t, T_SCHEDULE, json_object_get(svc, "schedules"));
		rows_out(&t, T_AREA, json_object_get(svc, "service_areas"));
		const json_t *sals = json_object_get(svc, "service_at_locations");
		for (size_t k = 0; k < json_array_size(sals); k++) {
			const json_t *sal = json_array_get(sals, k), *loc = json_object_get(sal, "location");
			row_out(&t, T_SAL, sal);
			row_out(&t, T_LOCATION, loc);
			rows_out(&t, T_ADDRESS, json_object_get(loc, "addresses"));
		}
		const json_t *attrs = json_object_get(svc, "attributes");
		for (size_t k = 0; k < json_array_size(attrs); k++) {
			const json_t *a = json_array_get(attrs, k), *term = json_object_get(a, "taxonomy_term");
			row_out(&t, T_ATTRIBUTE, a);
			row_out(&t, T_TERM, term);
			row_out(&t, T_TAXONOMY, json_object_get(term, "taxonomy"));
		}
	}
	int ret = 0;
	for (int i = 0; i < T_COUNT && !ret; i++) {
		char *name = xasprintf("%s.csv", tables[i].name);
		ret = write_file_atomic(dir, name, t.text[i].data, t.text[i].len, err);
		free(name);
	}
	if (!ret) {
		json_t *pkg = datapackage();
		char *text = json_dumps(pkg, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		ret = write_file_atomic(dir, "datapackage.json", text, strlen(text), err);
		free(text);
		json_decref(pkg);
	}
	for (int i = 0; i < T_COUNT; i++) {
		buf_release(&t.text[i]);
		json_decref(t.seen[i]);
	}
	json_decref(page);
	return ret;
}

/* ---- import: where each value stood --------------------------------------------------------- */

struct pos {
	const json_t *v;
	const char *file;          /* owned by the import */
	int line, column;
};

struct positions {
	struct pos *items;
	size_t n, alloc;
	char **files;
	size_t n_files;
};

static void pos_add(struct positions *p, const json_t *v, const char *file, int line, int column)
{
	grow_array(&p->items, &p->alloc, p->n, sizeof(*p->items));
	p->items[p->n++] = (struct pos){ v, file, line, column };
}

static const char *pos_file(struct positions *p, const char *file)
{
	p->files = xrealloc(p->files, (p->n_files + 1) * sizeof(char *));
	return p->files[p->n_files++] = xstrdup(file);
}

/* Where v stood; the fallback when it was made, not read (true, false and null are shared). */
static const struct pos *pos_of(const struct positions *p, const json_t *v, const struct pos *fallback)
{
	for (size_t i = 0; v && i < p->n; i++)
		if (p->items[i].v == v)
			return &p->items[i];
	return fallback;
}

static void positions_release(struct positions *p)
{
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i]);
	free(p->files);
	free(p->items);
}

struct json_pos_ctx {
	struct positions *p;
	const char *file;
};

static void record_node(void *ctx, json_t *made, const struct ydoc_node *from)
{
	struct json_pos_ctx *c = ctx;
	if (!json_is_true(made) && !json_is_false(made) && !json_is_null(made))
		pos_add(c->p, made, c->file, from->line, from->column);
}

/* The services of a JSON file; NULL with the problem in d. */
static json_t *read_json(const char *path, struct positions *p, struct diag *d)
{
	size_t len;
	char *data = read_file(path, &len);
	if (!data) {
		diag_add(d, DIAG_ERROR, path, 0, 0, "cannot read the file: %s", strerror(errno));
		return NULL;
	}
	struct ydoc *doc = NULL;
	json_t *root = NULL, *services = NULL;
	size_t skip = len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3 : 0;
	if (!utf8_valid(data + skip, len - skip)) {
		diag_add(d, DIAG_ERROR, path, 0, 0, "the file is not UTF-8 text");
		goto out;
	}
	size_t errors = d->errors;
	if (ydoc_parse(path, data + skip, len - skip, &doc, d) || d->errors > errors)
		goto out;
	if (!doc->root) {
		diag_add(d, DIAG_ERROR, path, 1, 1, "the file is empty; expected an HSDS page {\"contents\": [services]} "
						    "or a list of services");
		goto out;
	}
	struct json_pos_ctx ctx = { p, pos_file(p, path) };
	root = ydoc_to_json(doc->root, record_node, &ctx);
	const json_t *list = json_is_array(root) ? root : json_object_get(root, "contents");
	if (!json_is_array(list)) {
		diag_add(d, DIAG_ERROR, path, doc->root->line, doc->root->column,
			 "expected an HSDS page {\"contents\": [services]} or a list of services");
		goto out;
	}
	services = json_incref((json_t *)list);
out:
	json_decref(root);
	ydoc_free(doc);
	free(data);
	return services;
}

/* ---- import: a folder of CSV tables, joined back into compiled services ---------------------- */

/* The rows of one table as objects (empty cells left out); NULL when the file is absent. */
static json_t *read_table(const char *dir, const char *name, struct positions *p, struct diag *d, bool *bad)
{
	char *path = xasprintf("%s/%s.csv", dir, name);
	size_t len, text_len = 0;
	char *data = read_file(path, &len), *text = NULL;
	json_t *rows = NULL;
	struct csv_row header = { 0 }, row;
	if (!data) {
		if (errno != ENOENT) {
			diag_add(d, DIAG_ERROR, path, 0, 0, "cannot read the file: %s", strerror(errno));
			*bad = true;
		}
		goto out;
	}
	if (!(text = csvin_decode(data, len, &text_len))) {
		diag_add(d, DIAG_ERROR, path, 0, 0, "the file is neither UTF-8 nor CP932 text");
		*bad = true;
		goto out;
	}
	const char *file = pos_file(p, path);
	size_t at = 0;
	int line = 1, rc;
	if (csvin_next(text, text_len, &at, &line, &header)) {
		diag_add(d, DIAG_ERROR, path, 1, 1, "expected a header row naming the columns (id, …)");
		*bad = true;
		goto out;
	}
	rows = json_array();
	while ((rc = csvin_next(text, text_len, &at, &line, &row)) == 0) {
		if (row.n == 1 && !row.cells[0][0]) {
			csvin_row_release(&row);
			continue;
		}
		if (row.n != header.n) {
			diag_add(d, DIAG_ERROR, file, row.line, 1, "expected %zu columns as in the header, found %zu", header.n,
				 row.n);
			*bad = true;
		} else {
			json_t *o = json_object();
			pos_add(p, o, file, row.line, 1);
			for (size_t i = 0; i < row.n; i++) {
				if (!row.cells[i][0] || !utf8_valid(row.cells[i], strlen(row.cells[i])))
					continue;
				/* A cell our own export neutralised ('=…) reads back as it was. */
				const char *cell = row.cells[i];
				if (cell[0] == '\'' && csv_formula_start(cell + 1))
					cell++;
				json_t *v = json_string(cell);
				pos_add(p, v, file, row.line, (int)i + 1);
				json_object_set_new(o, header.cells[i], v);
			}
			json_array_append_new(rows, o);
		}
		csvin_row_release(&row);
	}
	if (rc < 0) {
		diag_add(d, DIAG_ERROR, file, line, 1, "a quoted value is not closed before the end of the file");
		*bad = true;
	}
out:
	csvin_row_release(&header);
	free(text);
	free(data);
	free(path);
	return rows;
}

/* Rows of `rows` whose `key` equals value, as a new array (shared references). */
static json_t *rows_where(const json_t *rows, const char *key, const char *value)
{
	json_t *out = json_array();
	for (size_t i = 0; value && i < json_array_size(rows); i++) {
		const char *v = json_string_value(json_object_get(json_array_get(rows, i), key));
		if (v && !strcmp(v, value))
			json_array_append(out, json_array_get(rows, i));
	}
	return out;
}

static json_t *row_by_id(const json_t *rows, const char *id)
{
	json_t *found = rows_where(rows, "id", id);
	json_t *row = json_array_size(found) ? json_incref(json_array_get(found, 0)) : NULL;
	json_decref(found);
	return row;
}

static json_t *read_tabular(const char *dir, struct positions *p, struct diag *d)
{
	json_t *t[T_COUNT] = { 0 };
	bool bad = false;
	for (int i = 0; i < T_COUNT; i++)
		t[i] = read_table(dir, tables[i].name, p, d, &bad);
	json_t *services = NULL;
	if (!t[T_SERVICE]) {
		if (!bad)
			diag_add(d, DIAG_ERROR, dir, 0, 0, "the folder has no service.csv: expected the HSDS tables "
							   "(service.csv, organization.csv, …)");
		goto out;
	}
	if (bad)
		goto out;
	services = json_array();
	json_t *empty = json_array();
	for (size_t i = 0; i < json_array_size(t[T_SERVICE]); i++) {
		/* The row object itself becomes the compiled service: its position stays the row's. */
		json_t *svc = json_array_get(t[T_SERVICE], i);
		const char *id = json_string_value(json_object_get(svc, "id"));
		json_t *org = row_by_id(t[T_ORGANIZATION] ? t[T_ORGANIZATION] : empty,
					json_string_value(json_object_get(svc, "organization_id")));
		if (org)
			json_object_set_new(svc, "organization", org);
		json_object_set_new(svc, "phones", rows_where(t[T_PHONE] ? t[T_PHONE] : empty, "service_id", id));
		json_object_set_new(svc, "contacts", rows_where(t[T_CONTACT] ? t[T_CONTACT] : empty, "service_id", id));
		json_object_set_new(svc, "schedules", rows_where(t[T_SCHEDULE] ? t[T_SCHEDULE] : empty, "service_id", id));
		json_object_set_new(svc, "service_areas", rows_where(t[T_AREA] ? t[T_AREA] : empty, "service_id", id));
		json_t *sals = rows_where(t[T_SAL] ? t[T_SAL] : empty, "service_id", id);
		for (size_t k = 0; k < json_array_size(sals); k++) {
			json_t *sal = json_array_get(sals, k);
			json_t *loc = row_by_id(t[T_LOCATION] ? t[T_LOCATION] : empty,
						json_string_value(json_object_get(sal, "location_id")));
			if (loc) {
				json_object_set_new(loc, "addresses",
						    rows_where(t[T_ADDRESS] ? t[T_ADDRESS] : empty, "location_id",
							       json_string_value(json_object_get(loc, "id"))));
				json_object_set_new(sal, "location", loc);
			}
		}
		json_object_set_new(svc, "service_at_locations", sals);
		json_t *attrs = rows_where(t[T_ATTRIBUTE] ? t[T_ATTRIBUTE] : empty, "link_id", id);
		for (size_t k = 0; k < json_array_size(attrs); k++) {
			json_t *a = json_array_get(attrs, k);
			json_t *term = row_by_id(t[T_TERM] ? t[T_TERM] : empty,
						 json_string_value(json_object_get(a, "taxonomy_term_id")));
			if (term) {
				json_t *tax = row_by_id(t[T_TAXONOMY] ? t[T_TAXONOMY] : empty,
							json_string_value(json_object_get(term, "taxonomy_id")));
				if (tax)
					json_object_set_new(term, "taxonomy", tax);
				json_object_set_new(a, "taxonomy_term", term);
			}
		}
		json_object_set_new(svc, "attributes", attrs);
		json_array_append(services, svc);
	}
	json_decref(empty);
out:
	for (int i = 0; i < T_COUNT; i++)
		json_decref(t[i]);
	return services;
}

/* ---- import: one service to one resource --------------------------------------------------- */

struct mapper {
	const struct config *cfg;
	struct positions *pos;
	struct diag *d;
	const struct pos *at;      /* the service's own position */
	const char *sid;           /* its id, for messages */
	/* where each resource field came from, for resource_check's refusals */
	const char *fields[16];
	const json_t *sources[16];
	size_t n;
};

static void source(struct mapper *m, const char *field, const json_t *v)
{
	if (m->n < sizeof(m->fields) / sizeof(m->fields[0])) {
		m->fields[m->n] = field;
		m->sources[m->n++] = v;
	}
}

__attribute__((format(printf, 3, 4)))
static void fail_at(struct mapper *m, const json_t *v, const char *fmt, ...)
{
	const struct pos *p = pos_of(m->pos, v, m->at);
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	diag_add(m->d, DIAG_ERROR, p->file, p->line, p->column, "service '%s': %s", m->sid ? m->sid : "?", msg);
	free(msg);
}

static const json_t *first(const json_t *list)
{
	return json_is_array(list) ? json_array_get(list, 0) : NULL;
}

/* A text value of an object (NULL when absent or empty); a non-text value is an error. */
static const json_t *text_of(struct mapper *m, const json_t *o, const char *key, bool *bad)
{
	const json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		fail_at(m, v, "%s must be text", key);
		*bad = true;
		return NULL;
	}
	return json_string_length(v) ? v : NULL;
}

static void set_text(json_t *o, const char *key, const json_t *v)
{
	if (v)
		json_object_set(o, key, (json_t *)v);
}

/* The provider: an organisation of the config, by id or else by name. */
static const char *map_provider(struct mapper *m, const json_t *svc, bool *bad)
{
	const json_t *org = json_object_get(svc, "organization");
	const json_t *idv = json_object_get(svc, "organization_id");
	if (!json_is_string(idv))
		idv = json_object_get(org, "id");
	const char *id = json_string_value(idv);
	if (id && config_find_org(m->cfg, id))
		return config_find_org(m->cfg, id)->id;
	const char *name = json_string_value(json_object_get(org, "name"));
	for (size_t i = 0; name && i < m->cfg->n_orgs; i++)
		if (!strcmp(m->cfg->orgs[i].name.ja, name) || !strcmp(m->cfg->orgs[i].name.en, name))
			return m->cfg->orgs[i].id;
	fail_at(m, idv ? idv : org ? org : svc,
		"organization '%s'%s%s%s is not an organisation of the config: add it under 'organisations:' "
		"(kind resource_provider) or use the id of one", id ? id : "(none)", name ? " (" : "", name ? name : "",
		name ? ")" : "");
	*bad = true;
	return NULL;
}

static json_t *map_areas(struct mapper *m, const json_t *svc, bool *bad)
{
	json_t *areas = json_array();
	const json_t *list = json_object_get(svc, "service_areas");
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *a = json_array_get(list, i);
		const char *uri = json_string_value(json_object_get(a, "uri"));
		const char *name = json_string_value(json_object_get(a, "name"));
		const char *found = NULL;
		if (uri && !strncmp(uri, AREA_URN, strlen(AREA_URN)) && config_find_area(m->cfg, uri + strlen(AREA_URN)))
			found = config_find_area(m->cfg, uri + strlen(AREA_URN))->id;
		for (size_t k = 0; !found && name && k < m->cfg->n_areas; k++) {
			const struct config_area *ca = &m->cfg->areas[k];
			if (!strcmp(ca->id, name) || !strcmp(ca->name.ja, name) || !strcmp(ca->name.en, name))
				found = ca->id;
		}
		if (!found) {
			fail_at(m, json_object_get(a, name ? "name" : "uri") ? json_object_get(a, name ? "name" : "uri") : a,
				"service area '%s' is not an area of the config (give its name, e.g. 鵜住居地区, or the uri "
				AREA_URN "ID)", name ? name : uri ? uri : "(unnamed)");
			*bad = true;
			continue;
		}
		json_array_append_new(areas, json_string(found));
	}
	return areas;
}

/* The category and capacity codes from the attributes, by their taxonomy. */
static void map_attributes(struct mapper *m, const json_t *svc, const char **category, const char **capacity)
{
	const json_t *attrs = json_object_get(svc, "attributes");
	for (size_t i = 0; i < json_array_size(attrs); i++) {
		const json_t *term = json_object_get(json_array_get(attrs, i), "taxonomy_term");
		const char *code = json_string_value(json_object_get(term, "code"));
		const char *tax = json_string_value(json_object_get(term, "taxonomy_id"));
		const char *uri = json_string_value(json_object_get(json_object_get(term, "taxonomy"), "uri"));
		if (!code)
			continue;
		bool is_cat = (tax && !strcmp(tax, TAXONOMY_CATEGORY)) || (uri && !strcmp(uri, "urn:tsunagu:taxonomy:category"));
		bool is_cap = (tax && !strcmp(tax, TAXONOMY_CAPACITY)) || (uri && !strcmp(uri, "urn:tsunagu:taxonomy:capacity"));
		if (is_cap) {
			*capacity = code;
			source(m, "capacity.status", json_object_get(term, "code"));
		} else if (is_cat || (!*category && config_find_category(m->cfg, code))) {
			*category = code;
			source(m, "category", json_object_get(term, "code"));
		}
	}
}

static json_t *service_body(struct mapper *m, const json_t *svc, bool *bad)
{
	json_t *body = json_object();
	const json_t *v;
	json_t *name = json_object();
	if (!(v = text_of(m, svc, "name", bad))) {
		if (!*bad)
			fail_at(m, svc, "a service needs a name");
		*bad = true;
	}
	set_text(name, "ja", v);
	source(m, "name", v);
	if ((v = text_of(m, svc, "alternate_name", bad))) {
		set_text(name, "en", v);
		source(m, "name.en", v);
	}
	json_object_set_new(body, "name", name);
	if ((v = text_of(m, svc, "description", bad))) {
		set_text(body, "description", v);
		source(m, "description", v);
	}
	const char *provider = map_provider(m, svc, bad);
	if (provider)
		json_object_set_new(body, "provider", json_string(provider));
	json_object_set_new(body, "areas", map_areas(m, svc, bad));
	const char *category = NULL, *capacity = NULL;
	map_attributes(m, svc, &category, &capacity);
	json_object_set_new(body, "category", json_string(category ? category : "other"));
	const json_t *status = text_of(m, svc, "status", bad);
	const char *st = status ? json_string_value(status) : "active";
	if (!strcmp(st, "temporarily closed") && !capacity)
		capacity = "closed";
	if (strcmp(st, "active") && strcmp(st, "inactive") && strcmp(st, "defunct") && strcmp(st, "temporarily closed")) {
		fail_at(m, status, "status '%s' is not one of HSDS's: active, inactive, defunct, temporarily closed", st);
		*bad = true;
	}
	json_object_set_new(body, "status", json_string(!strcmp(st, "inactive") || !strcmp(st, "defunct") ? "inactive"
													       : "active"));
	json_t *cap = json_pack("{s:s}", "status", capacity ? capacity : "accepting");
	if ((v = text_of(m, svc, "assured_date", bad))) {
		json_object_set(cap, "confirmed_on", (json_t *)v);
		source(m, "capacity.confirmed_on", v);
	}
	json_object_set_new(body, "capacity", cap);
	if ((v = text_of(m, svc, "eligibility_description", bad))) {
		set_text(body, "eligibility", v);
		source(m, "eligibility", v);
	}
	/* Schedules: their descriptions, one per line. */
	const json_t *schedules = json_object_get(svc, "schedules");
	struct buf sched;
	buf_init(&sched);
	for (size_t i = 0; i < json_array_size(schedules); i++) {
		if ((v = text_of(m, json_array_get(schedules, i), "description", bad))) {
			buf_printf(&sched, "%s%s", sched.len ? "\n" : "", json_string_value(v));
			source(m, "schedule", v);
		}
	}
	if (sched.len)
		json_object_set_new(body, "schedule", json_string(sched.data));
	buf_release(&sched);
	/* The address of the first location, in Japanese order. */
	const json_t *addr = first(json_object_get(json_object_get(first(json_object_get(svc, "service_at_locations")),
								  "location"), "addresses"));
	if (addr) {
		static const char *const parts[] = { "state_province", "city", "address_1", "address_2" };
		struct buf a;
		buf_init(&a);
		const json_t *pc = text_of(m, addr, "postal_code", bad);
		if (pc)
			buf_printf(&a, "〒%s ", json_string_value(pc));
		for (int i = 0; i < 4; i++)
			if ((v = text_of(m, addr, parts[i], bad)))
				buf_adds(&a, json_string_value(v));
		if (a.len) {
			json_object_set_new(body, "address", json_string(a.data));
			source(m, "address", json_object_get(addr, "address_1"));
		}
		buf_release(&a);
	}
	json_t *contact = json_object();
	const json_t *c0 = first(json_object_get(svc, "contacts"));
	const json_t *phone = text_of(m, first(json_object_get(svc, "phones")), "number", bad);
	if (!phone)
		phone = text_of(m, first(json_object_get(c0, "phones")), "number", bad);
	const json_t *email = text_of(m, svc, "email", bad);
	if (!email)
		email = text_of(m, c0, "email", bad);
	const json_t *cname = text_of(m, c0, "name", bad), *url = text_of(m, svc, "url", bad);
	set_text(contact, "name", cname);
	set_text(contact, "phone", phone);
	set_text(contact, "email", email);
	set_text(contact, "url", url);
	source(m, "contact.name", cname);
	source(m, "contact.phone", phone);
	source(m, "contact.email", email);
	source(m, "contact.url", url);
	json_object_set_new(body, "contact", contact);
	return body;
}

/* Reports a refusal of resource_check at the value the field came from. */
static void report_check(struct mapper *m, const struct refusal *err)
{
	const json_t *from = NULL;
	size_t best = 0;
	for (size_t i = 0; err->field && i < m->n; i++) {
		size_t len = strlen(m->fields[i]);
		if (m->sources[i] && !strncmp(err->field, m->fields[i], len) && len > best) {
			from = m->sources[i];
			best = len;
		}
	}
	fail_at(m, from, "%s", err->message);
}

int hsds_read(const struct config *cfg, const char *path, date_days today, struct hsds_import *out,
	      struct diag *d)
{
	memset(out, 0, sizeof(*out));
	struct positions pos = { 0 };
	struct stat st;
	size_t errors = d->errors;
	json_t *services = stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? read_tabular(path, &pos, d)
									: read_json(path, &pos, d);
	json_t *ids = json_object();
	size_t alloc = 0;
	struct pos whole = { NULL, path, 0, 0 };
	for (size_t i = 0; services && i < json_array_size(services); i++) {
		const json_t *svc = json_array_get(services, i);
		struct mapper m = { .cfg = cfg, .pos = &pos, .d = d, .at = pos_of(&pos, svc, &whole) };
		if (!json_is_object(svc)) {
			fail_at(&m, svc, "expected a service object");
			continue;
		}
		const json_t *idv = json_object_get(svc, "id");
		m.sid = json_string_value(idv);
		if (!m.sid || !resource_valid_id(m.sid)) {
			fail_at(&m, idv ? idv : svc, "a service needs an id of 1 to 64 letters, digits, '-', '_', '.' or ':'");
			continue;
		}
		if (json_object_get(ids, m.sid)) {
			fail_at(&m, idv, "the service id '%s' is used twice", m.sid);
			continue;
		}
		json_object_set_new(ids, m.sid, json_true());
		bool bad = false;
		json_t *body = service_body(&m, svc, &bad);
		struct resource_input in;
		struct refusal err = { 0 };
		if (!bad && resource_check(cfg, body, today, &in, &err)) {
			report_check(&m, &err);
			bad = true;
		}
		refusal_release(&err);
		json_decref(body);
		if (bad)
			continue;
		grow_array(&out->items, &alloc, out->n, sizeof(*out->items));
		out->items[out->n++] = (struct hsds_entry){ xstrdup(m.sid), in };
	}
	json_decref(ids);
	json_decref(services);
	positions_release(&pos);
	if (d->errors > errors || !services) {
		hsds_import_release(out);
		return -1;
	}
	return 0;
}

void hsds_keep_publication(const json_t *old, json_t *data)
{
	json_object_set(data, "publish", json_object_get(old, "publish") ? json_object_get(old, "publish") : json_false());
	json_t *contact = json_object_get(data, "contact");
	const json_t *was = json_object_get(old, "contact");
	static const char *const flags[] = { "phone_public", "email_public" };
	for (size_t i = 0; i < 2 && json_is_object(contact); i++) {
		const json_t *v = json_object_get(was, flags[i]);
		json_object_set(contact, flags[i], v ? (json_t *)v : json_false());
	}
}

int hsds_apply(struct store *s, const struct hsds_import *im, const char *user, clock_us now,
	       struct hsds_result *res)
{
	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < im->n; i++) {
		const struct hsds_entry *e = &im->items[i];
		struct resource_record old = { 0 };
		int rc = store_resource_get(s, e->id, &old);
		if (rc < 0)
			return -1;
		/* what the file cannot say stays: the provider's agreement to publication and which contacts are public */
		if (rc == 0)
			hsds_keep_publication(old.data, e->in.data);
		if (rc == 0 && json_equal(old.data, e->in.data)) {
			res->unchanged++;
		} else if (directory_save(s, &e->in, e->id, rc == 0 ? old.version : 0, user, now, NULL)) {
			resource_record_release(&old);
			return -1;
		} else if (rc == 0) {
			res->updated++;
		} else {
			res->created++;
		}
		resource_record_release(&old);
	}
	return 0;
}

int hsds_import_file(struct store *s, const struct config *cfg, const char *path, date_days today,
		     const char *user, clock_us now, struct hsds_result *res, struct diag *d)
{
	struct hsds_import im;
	if (hsds_read(cfg, path, today, &im, d))
		return -1;
	int rc = hsds_apply(s, &im, user, now, res) ? -2 : 0;
	if (rc)
		diag_add(d, DIAG_ERROR, path, 0, 0, "cannot write the directory to the database: %s", store_errmsg(s));
	hsds_import_release(&im);
	return rc;
}
