/*
 * config — reads and checks the daemon's configuration file, then the pathways
 * it points to, and cross-checks them: every route names a known pathway, area
 * and organisation of a kind that pathway may hand to, and every area has a
 * receiver for every pathway routed by area.
 */
#include "config.h"
#include "clock.h"
#include "date.h"
#include "dblocator.h"
#include "netaddr.h"
#include "util.h"
#include "ydoc.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct loader {
	struct ydoc_reader r;
	struct config *cfg;
	const struct config_adapters *adapters;
};

static bool valid_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int read_id(struct loader *l, const struct ydoc_node *n, const char *what, const char **out)
{
	const char *s;
	if (ydoc_read_string(&l->r, n, what, &s))
		return -1;
	if (!valid_id(s)) {
		ydoc_error(&l->r, n, "%s '%s' must be lower-case letters, digits, '-' and '_' (at most 64)", what, s);
		return -1;
	}
	*out = s;
	return 0;
}

static int read_text(struct loader *l, const struct ydoc_node *n, const char *what, struct pw_text *out)
{
	return pathway_read_text(&l->r, n, what, out);
}

static char *resolve_path(const struct config *cfg, const char *p)
{
	return path_join(cfg->dir, p);
}

/*
 * The SQLite file a locator names (relative to dir when dir is not NULL): 0,
 * or -1 with *err. This build stores in SQLite only: a PostgreSQL locator is
 * checked (no password, TCP verified) and then refused.
 */
static int database_path(const char *text, const char *dir, char **path, char **err)
{
	struct dblocator loc;
	if (dblocator_parse(text, &loc, err))
		return -1;
	int rc = 0;
	if (loc.driver != DBLOCATOR_SQLITE) {
		*err = xasprintf("%s: this build of tsunagu stores its data in SQLite only (sqlite:PATH); "
				 "PostgreSQL is not available in it yet", loc.shown);
		rc = -1;
	} else {
		free(*path);
		*path = dir ? path_join(dir, loc.path) : xstrdup(loc.path);
	}
	dblocator_release(&loc);
	return rc;
}

int config_set_database(struct config *cfg, const char *text, char **err)
{
	return database_path(text, NULL, &cfg->database, err);
}

int config_parse_listen(const char *s, char **host, int *port)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return -1;
	char *end;
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (*end || errno || p < 0 || p > 65535 || end == colon + 1)
		return -1;
	const char *h = s;
	size_t hlen = (size_t)(colon - s);
	if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	*host = xstrndup(h, hlen);
	*port = (int)p;
	return 0;
}

static int load_calendar(struct loader *l, const struct ydoc_node *n)
{
	static const char *const keys[] = { "business_hours_start", "time_zone", "closed_days", NULL };
	struct config_calendar *cal = &l->cfg->calendar;
	if (ydoc_expect(&l->r, n, YDOC_MAP, "calendar"))
		return -1;
	int bad = ydoc_check_keys(&l->r, n, "calendar", keys);
	const struct ydoc_node *v;
	const char *s;
	if ((v = ydoc_get(n, "business_hours_start"))) {
		int h, m;
		char extra;
		if (ydoc_read_string(&l->r, v, "business_hours_start", &s) ||
		    sscanf(s, "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 23 || m < 0 || m > 59 ||
		    strlen(s) != 5) {
			if (v->kind == YDOC_SCALAR)
				ydoc_error(&l->r, v, "business_hours_start must be a time HH:MM, e.g. \"08:30\"");
			bad++;
		} else {
			cal->business_start_minutes = h * 60 + m;
		}
	}
	if ((v = ydoc_get(n, "time_zone"))) {
		struct clock probe;
		if (ydoc_read_string(&l->r, v, "time_zone", &s)) {
			bad++;
		} else if (clock_init(&probe, s)) {
			ydoc_error(&l->r, v, "unknown time zone '%s'; expected Asia/Tokyo, UTC or an offset +HH:MM", s);
			bad++;
		} else {
			free(cal->time_zone);
			cal->time_zone = xstrdup(s);
		}
	}
	if ((v = ydoc_get(n, "closed_days")) && !ydoc_expect(&l->r, v, YDOC_SEQ, "closed_days")) {
		cal->closed_days = xcalloc(v->n_items ? v->n_items : 1, sizeof(char *));
		for (size_t i = 0; i < v->n_items; i++) {
			date_days d;
			if (ydoc_read_string(&l->r, v->items[i], "a closed day", &s) || date_parse(s, &d)) {
				if (v->items[i]->kind == YDOC_SCALAR)
					ydoc_error(&l->r, v->items[i], "a closed day must be a date YYYY-MM-DD");
				bad++;
				continue;
			}
			cal->closed_days[cal->n_closed_days++] = xstrdup(s);
		}
	} else if (v) {
		bad++;
	}
	return bad ? -1 : 0;
}

/* The categories of the seed's list of community resources (社会資源). */
static const char *const default_categories[][3] = {
	{ "participation", "地域の参加資源（つながるカフェ・100歳体操・チームオレンジ・公民館事業・自主活動グループ）",
	  "Community participation (cafés, exercise groups, Team Orange, community hall classes)" },
	{ "health_programmes", "保健事業（健康相談・栄養相談・減塩教室・禁煙教室）",
	  "Health programmes (health and nutrition advice, low-salt and quit-smoking classes)" },
	{ "consultation_desks", "各種相談窓口（高齢者・生活困窮・障がい・子ども）",
	  "Consultation desks (older people, hardship, disability, children)" },
	{ "welfare_council", "社会福祉協議会（生活支援コーディネーター）", "Social welfare council (life-support coordinators)" },
	{ "volunteers", "民生委員・ボランティア・町内会", "Commissioned welfare volunteers, volunteers and neighbourhood associations" },
	{ "other", "その他（社会福祉法人・地場企業 等）", "Other (social welfare corporations, local businesses)" },
};

static void set_default_categories(struct config *cfg)
{
	size_t n = sizeof(default_categories) / sizeof(default_categories[0]);
	cfg->categories = xcalloc(n, sizeof(*cfg->categories));
	for (size_t i = 0; i < n; i++)
		cfg->categories[i] = (struct config_category){ xstrdup(default_categories[i][0]),
							       { xstrdup(default_categories[i][1]),
								 xstrdup(default_categories[i][2]) } };
	cfg->n_categories = n;
}

static void categories_release(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_categories; i++) {
		free(cfg->categories[i].id);
		free(cfg->categories[i].title.ja);
		free(cfg->categories[i].title.en);
	}
	free(cfg->categories);
	cfg->categories = NULL;
	cfg->n_categories = 0;
}

static int load_resources(struct loader *l, const struct ydoc_node *n)
{
	static const char *const keys[] = { "categories", "seed", "stale_after_months", NULL };
	struct config *cfg = l->cfg;
	if (ydoc_expect(&l->r, n, YDOC_MAP, "resources"))
		return -1;
	int bad = ydoc_check_keys(&l->r, n, "resources", keys);
	const struct ydoc_node *v;
	const char *s;
	long months;
	if ((v = ydoc_get(n, "stale_after_months"))) {
		if (ydoc_read_int(&l->r, v, "stale_after_months", 1, 120, &months))
			bad++;
		else
			cfg->resources_stale_months = (int)months;
	}
	if ((v = ydoc_get(n, "seed"))) {
		if (ydoc_read_string(&l->r, v, "the seed file (an HSDS JSON file)", &s))
			bad++;
		else
			cfg->resources_seed = resolve_path(cfg, s);
	}
	if ((v = ydoc_get(n, "categories")) && !ydoc_expect(&l->r, v, YDOC_MAP, "categories")) {
		if (v->n_pairs == 0) {
			ydoc_error(&l->r, v, "declare at least one category, or leave 'categories' out for the default six");
			return -1;
		}
		categories_release(cfg);
		cfg->categories = xcalloc(v->n_pairs, sizeof(*cfg->categories));
		for (size_t i = 0; i < v->n_pairs; i++) {
			struct config_category *c = &cfg->categories[cfg->n_categories];
			if (read_id(l, v->pairs[i].key, "category id", &s) ||
			    read_text(l, v->pairs[i].value, "the category's title", &c->title)) {
				bad++;
				continue;
			}
			if (!strcmp(s, "categories")) {
				ydoc_error(&l->r, v->pairs[i].key, "'categories' is reserved; choose another category id");
				free(c->title.ja);
				free(c->title.en);
				bad++;
				continue;
			}
			c->id = xstrdup(s);
			cfg->n_categories++;
		}
	} else if (v) {
		bad++;
	}
	return bad ? -1 : 0;
}

/* Each key of limits:, its range and where it goes (a size_t or an int of struct config_limits). */
static const struct limit_key {
	const char *key;
	long min, max;
	size_t offset;
	bool is_size;
} limit_keys[] = {
	{ "max_body_bytes", 1024, 64L << 20, offsetof(struct config_limits, max_body_bytes), true },
	{ "max_buffered_body_bytes", 1024, 16L << 30, offsetof(struct config_limits, max_buffered_body_bytes), true },
	{ "max_header_bytes", 1024, 1L << 20, offsetof(struct config_limits, max_header_bytes), true },
	{ "request_timeout_seconds", 1, 3600, offsetof(struct config_limits, request_timeout_seconds), false },
	{ "header_timeout_seconds", 1, 600, offsetof(struct config_limits, header_timeout_seconds), false },
	{ "idle_timeout_seconds", 1, 3600, offsetof(struct config_limits, idle_timeout_seconds), false },
	{ "min_body_bytes_per_second", 0, 1L << 30, offsetof(struct config_limits, min_body_bytes_per_second), true },
	{ "max_connections", 1, 100000, offsetof(struct config_limits, max_connections), false },
	{ "max_connections_per_client", 1, 100000, offsetof(struct config_limits, max_connections_per_client), false },
	{ "auth_failures_per_minute", 1, 100000, offsetof(struct config_limits, auth_failures_per_minute), false },
	{ "database_wait_seconds", 1, 600, offsetof(struct config_limits, database_wait_seconds), false },
	{ "max_list_items", 1, 100000, offsetof(struct config_limits, max_list_items), true },
};

static int load_limits(struct loader *l, const struct ydoc_node *n)
{
	const size_t n_keys = sizeof(limit_keys) / sizeof(limit_keys[0]);
	const char *keys[sizeof(limit_keys) / sizeof(limit_keys[0]) + 1];
	for (size_t i = 0; i < n_keys; i++)
		keys[i] = limit_keys[i].key;
	keys[n_keys] = NULL;
	if (ydoc_expect(&l->r, n, YDOC_MAP, "limits"))
		return -1;
	int bad = ydoc_check_keys(&l->r, n, "limits", keys);
	for (size_t i = 0; i < n_keys; i++) {
		const struct limit_key *k = &limit_keys[i];
		const struct ydoc_node *v = ydoc_get(n, k->key);
		long num;
		if (!v)
			continue;
		if (ydoc_read_int(&l->r, v, k->key, k->min, k->max, &num)) {
			bad++;
			continue;
		}
		char *field = (char *)&l->cfg->limits + k->offset;
		if (k->is_size)
			*(size_t *)field = (size_t)num;
		else
			*(int *)field = (int)num;
	}
	if (!bad && l->cfg->limits.max_buffered_body_bytes < l->cfg->limits.max_body_bytes) {
		ydoc_error(&l->r, ydoc_get(n, ydoc_get(n, "max_buffered_body_bytes") ? "max_buffered_body_bytes" : "max_body_bytes"),
			   "max_buffered_body_bytes (%zu) must be at least max_body_bytes (%zu)",
			   l->cfg->limits.max_buffered_body_bytes, l->cfg->limits.max_body_bytes);
		bad++;
	}
	if (!bad && l->cfg->limits.max_connections_per_client > l->cfg->limits.max_connections) {
		ydoc_error(&l->r, ydoc_get(n, "max_connections_per_client"),
			   "max_connections_per_client (%d) must not exceed max_connections (%d)",
			   l->cfg->limits.max_connections_per_client, l->cfg->limits.max_connections);
		bad++;
	}
	return bad ? -1 : 0;
}

/* trusted_proxies: the addresses or networks of reverse proxies whose X-Forwarded-For names the client. */
static int load_trusted_proxies(struct loader *l, const struct ydoc_node *n)
{
	struct config *cfg = l->cfg;
	if (ydoc_expect(&l->r, n, YDOC_SEQ, "trusted_proxies"))
		return -1;
	int bad = 0;
	cfg->trusted_proxies = xcalloc(n->n_items ? n->n_items : 1, sizeof(*cfg->trusted_proxies));
	for (size_t i = 0; i < n->n_items; i++) {
		const struct ydoc_node *item = n->items[i];
		if (item->kind != YDOC_SCALAR || netmask_parse(item->value, &cfg->trusted_proxies[cfg->n_trusted_proxies])) {
			ydoc_error(&l->r, item, "expected an IP address or a network such as 10.0.0.0/8 or fd00::/8");
			bad++;
			continue;
		}
		cfg->n_trusted_proxies++;
	}
	return bad ? -1 : 0;
}

static int load_areas(struct loader *l, const struct ydoc_node *n)
{
	struct config *cfg = l->cfg;
	if (ydoc_expect(&l->r, n, YDOC_MAP, "areas"))
		return -1;
	int bad = 0;
	cfg->areas = xcalloc(n->n_pairs ? n->n_pairs : 1, sizeof(*cfg->areas));
	for (size_t i = 0; i < n->n_pairs; i++) {
		const char *id;
		struct config_area *a = &cfg->areas[cfg->n_areas];
		if (read_id(l, n->pairs[i].key, "area id", &id) ||
		    read_text(l, n->pairs[i].value, "the area's name", &a->name)) {
			bad++;
			continue;
		}
		a->id = xstrdup(id);
		cfg->n_areas++;
	}
	if (n->n_pairs == 0) {
		ydoc_error(&l->r, n, "declare at least one area");
		bad++;
	}
	return bad ? -1 : 0;
}

static int load_org(struct loader *l, const struct ydoc_node *n, struct config_org *o)
{
	static const char *const keys[] = { "id", "kind", "name", "areas", NULL };
	if (ydoc_expect(&l->r, n, YDOC_MAP, "an organisation"))
		return -1;
	int bad = ydoc_check_keys(&l->r, n, "an organisation", keys);
	const struct ydoc_node *v;
	const char *s;
	if (!(v = ydoc_get(n, "id"))) {
		ydoc_error(&l->r, n, "an organisation needs 'id'");
		bad++;
	} else if (read_id(l, v, "organisation id", &s)) {
		bad++;
	} else {
		for (size_t i = 0; i < l->cfg->n_orgs; i++)
			if (!strcmp(l->cfg->orgs[i].id, s)) {
				ydoc_error(&l->r, v, "organisation id '%s' is used twice", s);
				bad++;
			}
		o->id = xstrdup(s);
	}
	if (!(v = ydoc_get(n, "kind"))) {
		ydoc_error(&l->r, n, "an organisation needs 'kind'");
		bad++;
	} else if (ydoc_read_string(&l->r, v, "kind", &s)) {
		bad++;
	} else {
		int k = vocab_lookup(org_kind_names, s);
		if (k < 0) {
			const char *near = closest_word(s, org_kind_names);
			ydoc_error(&l->r, v, "unknown organisation kind '%s'%s%s%s", s,
				   near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
			bad++;
		} else {
			o->kind = k;
		}
	}
	if (!(v = ydoc_get(n, "name"))) {
		ydoc_error(&l->r, n, "an organisation needs 'name: { ja: …, en: … }'");
		bad++;
	} else if (read_text(l, v, "the organisation's name", &o->name)) {
		bad++;
	}
	if ((v = ydoc_get(n, "areas")) && !ydoc_expect(&l->r, v, YDOC_SEQ, "areas")) {
		o->areas = xcalloc(v->n_items ? v->n_items : 1, sizeof(char *));
		for (size_t i = 0; i < v->n_items; i++) {
			if (ydoc_read_string(&l->r, v->items[i], "an area", &s)) {
				bad++;
				continue;
			}
			/* reported, but the organisation stays known so that routes naming it
			 * are still checked */
			if (!config_find_area(l->cfg, s)) {
				ydoc_error(&l->r, v->items[i], "unknown area '%s'; declare it under 'areas:'", s);
				continue;
			}
			o->areas[o->n_areas++] = xstrdup(s);
		}
	} else if (v) {
		bad++;
	}
	return bad ? -1 : 0;
}

static void org_release(struct config_org *o)
{
	free(o->id);
	free(o->name.ja);
	free(o->name.en);
	for (size_t i = 0; i < o->n_areas; i++)
		free(o->areas[i]);
	free(o->areas);
}

static int load_orgs(struct loader *l, const struct ydoc_node *n)
{
	struct config *cfg = l->cfg;
	if (ydoc_expect(&l->r, n, YDOC_SEQ, "organisations"))
		return -1;
	int bad = 0;
	cfg->orgs = xcalloc(n->n_items ? n->n_items : 1, sizeof(*cfg->orgs));
	for (size_t i = 0; i < n->n_items; i++) {
		struct config_org o = { 0 };
		if (load_org(l, n->items[i], &o)) {
			org_release(&o);
			bad++;
			continue;
		}
		cfg->orgs[cfg->n_orgs++] = o;
	}
	return bad ? -1 : 0;
}

/* An organisation id that must exist, serve the area (if given) and be of an allowed kind. */
static int check_route_org(struct loader *l, const struct ydoc_node *n, const struct pathway *pw,
			   const char *area, const char **out)
{
	const char *id;
	if (ydoc_read_string(&l->r, n, "an organisation id", &id))
		return -1;
	const struct config_org *o = config_find_org(l->cfg, id);
	if (!o) {
		ydoc_error(&l->r, n, "unknown organisation '%s'", id);
		return -1;
	}
	if (pw && !(pw->receiver_kinds & MASK(o->kind))) {
		ydoc_error(&l->r, n, "organisation '%s' is a %s, but pathway '%s' hands cases only to other kinds",
			   id, org_kind_names[o->kind], pw->id);
		return -1;
	}
	if (area && o->n_areas) {
		size_t i = 0;
		while (i < o->n_areas && strcmp(o->areas[i], area))
			i++;
		if (i == o->n_areas) {
			ydoc_error(&l->r, n, "organisation '%s' does not serve area '%s'", id, area);
			return -1;
		}
	}
	*out = id;
	return 0;
}

static int load_route(struct loader *l, const struct ydoc_node *key, const struct ydoc_node *n,
		      struct config_route *route)
{
	static const char *const keys[] = { "default", "areas", NULL };
	const char *s;
	route->line = key->line;
	route->column = key->column;
	if (ydoc_read_string(&l->r, key, "a pathway id", &s))
		return -1;
	route->pathway = xstrdup(s);
	const struct pathway *pw = pathway_set_find(&l->cfg->pathways, s);
	/* The routing of a pathway whose file is broken stays: its last published version still runs. */
	if (!pw && l->cfg->pathways.n && !config_broken_pathway(l->cfg, s)) {
		ydoc_error(&l->r, key, "routing names pathway '%s', which is not in %s", s, l->cfg->pathways_dir);
		return -1;
	}
	if (n->kind == YDOC_SCALAR) {
		if (check_route_org(l, n, pw, NULL, &s))
			return -1;
		route->default_org = xstrdup(s);
		return 0;
	}
	if (ydoc_expect(&l->r, n, YDOC_MAP, "a route"))
		return -1;
	int bad = ydoc_check_keys(&l->r, n, "a route", keys);
	const struct ydoc_node *v;
	if ((v = ydoc_get(n, "default"))) {
		if (check_route_org(l, v, pw, NULL, &s))
			bad++;
		else
			route->default_org = xstrdup(s);
	}
	if ((v = ydoc_get(n, "areas")) && !ydoc_expect(&l->r, v, YDOC_MAP, "areas")) {
		route->areas = xcalloc(v->n_pairs ? v->n_pairs : 1, sizeof(char *));
		route->orgs = xcalloc(v->n_pairs ? v->n_pairs : 1, sizeof(char *));
		for (size_t i = 0; i < v->n_pairs; i++) {
			const char *area, *org;
			if (ydoc_read_string(&l->r, v->pairs[i].key, "an area", &area)) {
				bad++;
				continue;
			}
			if (!config_find_area(l->cfg, area)) {
				ydoc_error(&l->r, v->pairs[i].key, "unknown area '%s'", area);
				bad++;
				continue;
			}
			if (check_route_org(l, v->pairs[i].value, pw, area, &org)) {
				bad++;
				continue;
			}
			route->areas[route->n] = xstrdup(area);
			route->orgs[route->n++] = xstrdup(org);
		}
	} else if (v) {
		bad++;
	}
	return bad ? -1 : 0;
}

static int load_routing(struct loader *l, const struct ydoc_node *n)
{
	struct config *cfg = l->cfg;
	if (ydoc_expect(&l->r, n, YDOC_MAP, "routing"))
		return -1;
	int bad = 0;
	cfg->routes = xcalloc(n->n_pairs ? n->n_pairs : 1, sizeof(*cfg->routes));
	for (size_t i = 0; i < n->n_pairs; i++) {
		struct config_route *route = &cfg->routes[cfg->n_routes++];
		if (load_route(l, n->pairs[i].key, n->pairs[i].value, route))
			bad++;
	}
	return bad ? -1 : 0;
}

/* Every pathway routed by area needs a receiver in every area. */
static int check_coverage(struct loader *l, const struct ydoc_node *root)
{
	struct config *cfg = l->cfg;
	int bad = 0;
	for (size_t p = 0; p < cfg->pathways.n; p++) {
		const struct pathway *pw = cfg->pathways.items[p];
		if (!pw->receiver_by_area)
			continue;
		const struct ydoc_node *where = ydoc_get(root, "routing");
		for (size_t a = 0; a < cfg->n_areas; a++) {
			if (config_route(cfg, pw->id, cfg->areas[a].id))
				continue;
			ydoc_error(&l->r, where ? where : root,
				   "pathway '%s' has no receiving organisation for area '%s'; add it under routing: %s:",
				   pw->id, cfg->areas[a].id, pw->id);
			bad++;
		}
	}
	return bad ? -1 : 0;
}

static int load_demo_users(struct loader *l, const struct ydoc_node *n)
{
	static const char *const keys[] = { "org", "name", "roles", "login", NULL };
	struct config *cfg = l->cfg;
	if (ydoc_expect(&l->r, n, YDOC_SEQ, "demo_users"))
		return -1;
	int bad = 0;
	cfg->demo_users = xcalloc(n->n_items ? n->n_items : 1, sizeof(*cfg->demo_users));
	for (size_t i = 0; i < n->n_items; i++) {
		const struct ydoc_node *u = n->items[i];
		if (ydoc_expect(&l->r, u, YDOC_MAP, "a demo user")) {
			bad++;
			continue;
		}
		bad += ydoc_check_keys(&l->r, u, "a demo user", keys);
		const struct ydoc_node *org = ydoc_get(u, "org"), *name = ydoc_get(u, "name"), *roles = ydoc_get(u, "roles");
		const char *so, *sn;
		role_mask mask = 0;
		if (!org || !name || !roles) {
			ydoc_error(&l->r, u, "a demo user needs org, name and roles");
			bad++;
			continue;
		}
		if (ydoc_read_string(&l->r, org, "org", &so) || ydoc_read_string(&l->r, name, "name", &sn)) {
			bad++;
			continue;
		}
		const struct config_org *o = config_find_org(cfg, so);
		if (!o) {
			ydoc_error(&l->r, org, "unknown organisation '%s'", so);
			bad++;
			continue;
		}
		if (ydoc_expect(&l->r, roles, YDOC_SEQ, "roles")) {
			bad++;
			continue;
		}
		for (size_t k = 0; k < roles->n_items; k++) {
			const char *rn;
			int r;
			if (ydoc_read_string(&l->r, roles->items[k], "a role", &rn))
				bad++;
			else if ((r = vocab_lookup(role_names, rn)) < 0 || r == ROLE_SYSTEM) {
				ydoc_error(&l->r, roles->items[k], "unknown role '%s'", rn);
				bad++;
			} else if (r == ROLE_COORDINATOR && o->kind != ORG_CITY) {
				ydoc_error(&l->r, roles->items[k], "the coordinator role is for the city's organisation");
				bad++;
			} else {
				mask |= MASK(r);
			}
		}
		const struct ydoc_node *login = ydoc_get(u, "login");
		const char *sl = NULL;
		if (login && ydoc_read_string(&l->r, login, "login", &sl)) {
			bad++;
			continue;
		}
		if (sl && !config_login_valid(sl)) {
			ydoc_error(&l->r, login, "a login is 3 to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter");
			bad++;
			continue;
		}
		struct config_demo_user *d = &cfg->demo_users[cfg->n_demo_users++];
		d->org = xstrdup(so);
		d->name = xstrdup(sn);
		d->login = sl ? xstrdup(sl) : NULL;
		d->roles = mask;
	}
	return bad ? -1 : 0;
}

void config_follow_listen(struct config *cfg)
{
	if (cfg->public_url_set)
		return;
	free(cfg->public_url);
	cfg->public_url = xasprintf("http://%s:%d", cfg->listen_host, cfg->listen_port);
}

/* A section of one whole-number setting (audit:, reports:): 0, or -1 with the error at its line and column. */
static int load_section_int(struct loader *l, const struct ydoc_node *n, const char *section, const char *key, long min,
			    long max, int *out)
{
	const char *keys[] = { key, NULL };
	const struct ydoc_node *v;
	long num;
	if (ydoc_expect(&l->r, n, YDOC_MAP, section) || ydoc_check_keys(&l->r, n, section, keys))
		return -1;
	if (!(v = ydoc_get(n, key)))
		return 0;
	if (ydoc_read_int(&l->r, v, key, min, max, &num))
		return -1;
	*out = (int)num;
	return 0;
}

bool config_login_valid(const char *login)
{
	size_t n = strlen(login);
	if (n < 3 || n > 64 || login[0] < 'a' || login[0] > 'z')
		return false;
	for (const char *p = login; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

/* backup: dir, keep, min_free_mb, key_file, forget_log. */
static int load_backup(struct loader *l, const struct ydoc_node *n)
{
	static const char *const keys[] = { "dir", "keep", "min_free_mb", "key_file", "forget_log", NULL };
	struct config_backup *b = &l->cfg->backup;
	if (ydoc_expect(&l->r, n, YDOC_MAP, "backup"))
		return -1;
	int bad = ydoc_check_keys(&l->r, n, "backup", keys);
	const struct ydoc_node *v;
	const char *s;
	long num;
	char **paths[] = { &b->dir, &b->key_file, &b->forget_log };
	const char *path_keys[] = { "dir", "key_file", "forget_log" };
	for (size_t i = 0; i < COUNT_OF(paths); i++) {
		if (!(v = ydoc_get(n, path_keys[i])))
			continue;
		if (ydoc_read_string(&l->r, v, path_keys[i], &s))
			bad++;
		else
			*paths[i] = resolve_path(l->cfg, s);
	}
	if ((v = ydoc_get(n, "keep"))) {
		if (ydoc_read_int(&l->r, v, "keep", 1, 100, &num))
			bad++;
		else
			b->keep = (int)num;
	}
	if ((v = ydoc_get(n, "min_free_mb"))) {
		if (ydoc_read_int(&l->r, v, "min_free_mb", 0, 1 << 20, &num))
			bad++;
		else
			b->min_free_mb = (int)num;
	}
	return bad ? -1 : 0;
}

/* sign_in: the session's timeouts, enrolment codes' lifetime, the roles that need TOTP. */
static int load_sign_in(struct loader *l, const struct ydoc_node *n)
{
	static const char *const keys[] = { "idle_minutes", "absolute_hours", "enrolment_days",
					    "failures_per_account", "totp_roles", NULL };
	static const struct { const char *key; long min, max; size_t offset; } ints[] = {
		{ "idle_minutes", 1, 24 * 60, offsetof(struct config_sign_in, idle_minutes) },
		{ "absolute_hours", 1, 24 * 7, offsetof(struct config_sign_in, absolute_hours) },
		{ "enrolment_days", 1, 90, offsetof(struct config_sign_in, enrolment_days) },
		{ "failures_per_account", 1, 1000, offsetof(struct config_sign_in, failures_per_account) },
	};
	if (ydoc_expect(&l->r, n, YDOC_MAP, "sign_in"))
		return -1;
	int bad = ydoc_check_keys(&l->r, n, "sign_in", keys);
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		const struct ydoc_node *v = ydoc_get(n, ints[i].key);
		long num;
		if (!v)
			continue;
		if (ydoc_read_int(&l->r, v, ints[i].key, ints[i].min, ints[i].max, &num))
			bad++;
		else
			*(int *)((char *)&l->cfg->sign_in + ints[i].offset) = (int)num;
	}
	const struct ydoc_node *roles = ydoc_get(n, "totp_roles");
	if (roles && ydoc_expect(&l->r, roles, YDOC_SEQ, "totp_roles")) {
		bad++;
	} else if (roles) {
		role_mask mask = 0;
		for (size_t k = 0; k < roles->n_items; k++) {
			const char *rn;
			int r;
			if (ydoc_read_string(&l->r, roles->items[k], "a role", &rn)) {
				bad++;
			} else if ((r = vocab_lookup(role_names, rn)) < 0 || r == ROLE_SYSTEM) {
				ydoc_error(&l->r, roles->items[k], "unknown role '%s'", rn);
				bad++;
			} else {
				mask |= MASK(r);
			}
		}
		l->cfg->sign_in.totp_roles = mask;
	}
	return bad ? -1 : 0;
}

/* A YAML value as JSON: plain numbers and booleans typed, the rest text. */

static int load_channels(struct loader *l, const struct ydoc_node *n)
{
	struct config *cfg = l->cfg;
	if (ydoc_expect(&l->r, n, YDOC_MAP, "channels"))
		return -1;
	int bad = 0;
	cfg->channels = xcalloc(n->n_pairs ? n->n_pairs : 1, sizeof(*cfg->channels));
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct ydoc_node *key = n->pairs[i].key, *v = n->pairs[i].value;
		const char *name, *aname;
		if (read_id(l, key, "channel name", &name) || ydoc_expect(&l->r, v, YDOC_MAP, "a channel")) {
			bad++;
			continue;
		}
		const struct ydoc_node *an = ydoc_get(v, "adapter");
		const struct config_adapters *ads = l->adapters;
		const char *names = ads ? ads->names : "webhook, email, jsonl or forward";
		if (!an) {
			ydoc_error(&l->r, v, "channel '%s' needs 'adapter' (%s)", name, names);
			bad++;
			continue;
		}
		if (ydoc_read_string(&l->r, an, "adapter", &aname)) {
			bad++;
			continue;
		}
		const char *const *settings_keys = ads ? ads->settings(aname) : NULL;
		if (ads && !settings_keys) {
			ydoc_error(&l->r, an, "unknown adapter '%s'; expected %s", aname, names);
			bad++;
			continue;
		}
		if (settings_keys) {
			const char *allowed[32] = { "adapter" };
			size_t k = 1;
			for (size_t j = 0; settings_keys[j] && k < 31; j++)
				allowed[k++] = settings_keys[j];
			allowed[k] = NULL;
			char *context = xasprintf("a %s channel", aname);
			int unknown = ydoc_check_keys(&l->r, v, context, allowed);
			free(context);
			if (unknown) {
				bad++;
				continue;
			}
		}
		json_t *settings = ydoc_to_json(v, NULL, NULL);
		json_object_del(settings, "adapter");
		const char *at = NULL;
		char *err = NULL;
		if (ads && ads->check(aname, settings, &at, &err)) {
			const struct ydoc_node *where = at ? ydoc_get(v, at) : NULL;
			ydoc_error(&l->r, where ? where : v, "channel '%s': %s", name, err);
			free(err);
			json_decref(settings);
			bad++;
			continue;
		}
		const json_t *path = json_object_get(settings, "path");
		if (json_is_string(path)) {
			char *full = path_join(cfg->dir, json_string_value(path));
			json_object_set_new(settings, "path", json_string(full));
			free(full);
		}
		char *h = ads ? ads->host(aname, settings) : NULL;
		if (h) {
			size_t k2 = 0;
			while (k2 < cfg->n_allowed_hosts && strcasecmp(cfg->allowed_hosts[k2], h))
				k2++;
			if (k2 == cfg->n_allowed_hosts) {
				ydoc_error(&l->r, v, "channel '%s' sends to host '%s', which is not in notifications.allowed_hosts", name, h);
				free(h);
				json_decref(settings);
				bad++;
				continue;
			}
			free(h);
		}
		struct config_channel *c = &cfg->channels[cfg->n_channels++];
		c->name = xstrdup(name);
		c->adapter = xstrdup(aname);
		c->settings = settings;
		c->line = key->line;
		c->column = key->column;
	}
	return bad ? -1 : 0;
}

static int load_notify_routes(struct loader *l, const struct ydoc_node *n)
{
	static const char *const keys[] = { "org", "kind", "default", "channels", NULL };
	struct config *cfg = l->cfg;
	if (ydoc_expect(&l->r, n, YDOC_SEQ, "routes"))
		return -1;
	int bad = 0;
	cfg->notify_routes = xcalloc(n->n_items ? n->n_items : 1, sizeof(*cfg->notify_routes));
	for (size_t i = 0; i < n->n_items; i++) {
		const struct ydoc_node *r = n->items[i];
		if (ydoc_expect(&l->r, r, YDOC_MAP, "a notification route")) {
			bad++;
			continue;
		}
		bad += ydoc_check_keys(&l->r, r, "a notification route", keys);
		struct config_notify_route route = { .kind = -1 };
		const struct ydoc_node *org = ydoc_get(r, "org"), *kind = ydoc_get(r, "kind"), *def = ydoc_get(r, "default");
		const struct ydoc_node *ch = ydoc_get(r, "channels");
		const char *s;
		if ((org != NULL) + (kind != NULL) + (def != NULL) != 1) {
			ydoc_error(&l->r, r, "a notification route names exactly one of org, kind or default: true");
			bad++;
			continue;
		}
		if (org && !ydoc_read_string(&l->r, org, "org", &s)) {
			if (!config_find_org(cfg, s)) {
				ydoc_error(&l->r, org, "unknown organisation '%s'", s);
				bad++;
				continue;
			}
			route.org = xstrdup(s);
		} else if (kind && !ydoc_read_string(&l->r, kind, "kind", &s)) {
			route.kind = vocab_lookup(org_kind_names, s);
			if (route.kind < 0) {
				ydoc_error(&l->r, kind, "unknown organisation kind '%s'", s);
				bad++;
				continue;
			}
		}
		if (!ch || ydoc_expect(&l->r, ch, YDOC_SEQ, "channels")) {
			if (!ch)
				ydoc_error(&l->r, r, "a notification route needs 'channels: [...]'");
			free(route.org);
			bad++;
			continue;
		}
		route.channels = xcalloc(ch->n_items ? ch->n_items : 1, sizeof(char *));
		for (size_t k = 0; k < ch->n_items; k++) {
			if (ydoc_read_string(&l->r, ch->items[k], "a channel", &s)) {
				bad++;
				continue;
			}
			if (!config_find_channel(cfg, s)) {
				ydoc_error(&l->r, ch->items[k], "unknown channel '%s'; declare it under notifications.channels", s);
				bad++;
				continue;
			}
			route.channels[route.n_channels++] = xstrdup(s);
		}
		cfg->notify_routes[cfg->n_notify_routes++] = route;
	}
	return bad ? -1 : 0;
}

static int load_notifications(struct loader *l, const struct ydoc_node *n)
{
	static const char *const keys[] = { "channels", "routes", "allowed_hosts", "retry", NULL };
	static const char *const retry_keys[] = { "max_attempts", "base_seconds", "max_seconds", "max_age_hours", NULL };
	struct config *cfg = l->cfg;
	if (ydoc_expect(&l->r, n, YDOC_MAP, "notifications"))
		return -1;
	int bad = ydoc_check_keys(&l->r, n, "notifications", keys);
	const struct ydoc_node *v;
	if ((v = ydoc_get(n, "allowed_hosts")) && !ydoc_expect(&l->r, v, YDOC_SEQ, "allowed_hosts")) {
		cfg->allowed_hosts = xcalloc(v->n_items ? v->n_items : 1, sizeof(char *));
		for (size_t i = 0; i < v->n_items; i++) {
			const char *s;
			if (ydoc_read_string(&l->r, v->items[i], "a host", &s))
				bad++;
			else
				cfg->allowed_hosts[cfg->n_allowed_hosts++] = xstrdup(s);
		}
	} else if (v) {
		bad++;
	}
	if ((v = ydoc_get(n, "channels")) && load_channels(l, v))
		bad++;
	if ((v = ydoc_get(n, "routes")) && load_notify_routes(l, v))
		bad++;
	if ((v = ydoc_get(n, "retry"))) {
		if (ydoc_expect(&l->r, v, YDOC_MAP, "retry")) {
			bad++;
		} else {
			bad += ydoc_check_keys(&l->r, v, "retry", retry_keys);
			long num;
			const struct ydoc_node *x;
			if ((x = ydoc_get(v, "max_attempts"))) {
				if (ydoc_read_int(&l->r, x, "max_attempts", 1, 100, &num))
					bad++;
				else
					cfg->retry.max_attempts = (int)num;
			}
			if ((x = ydoc_get(v, "base_seconds"))) {
				if (ydoc_read_int(&l->r, x, "base_seconds", 1, 86400, &num))
					bad++;
				else
					cfg->retry.base_seconds = (int)num;
			}
			if ((x = ydoc_get(v, "max_seconds"))) {
				if (ydoc_read_int(&l->r, x, "max_seconds", 1, 7 * 86400, &num))
					bad++;
				else
					cfg->retry.max_seconds = (int)num;
			}
			if ((x = ydoc_get(v, "max_age_hours"))) {
				if (ydoc_read_int(&l->r, x, "max_age_hours", 1, 24 * 60, &num))
					bad++;
				else
					cfg->retry.max_age_hours = (int)num;
			}
		}
	}
	return bad ? -1 : 0;
}

/* The messages tsunagu itself sends, whatever the pathways say, and what each is for. */
static const struct {
	const char *name, *what;
} system_templates[] = {
	{ "resource_referral", "a referral to a resource provider" },
	{ "resource_link_changed", "a provider's change to a link" },
	{ "resource_referral_ended", "the end of a referral to a resource provider" },
	{ "possible_duplicate", "a possible duplicate person" },
};

static int check_templates(struct loader *l)
{
	struct config *cfg = l->cfg;
	int bad = 0;
	for (size_t i = 0; i < sizeof(system_templates) / sizeof(system_templates[0]); i++)
		if (!templates_find(&cfg->templates, system_templates[i].name)) {
			diag_add(l->r.diag, DIAG_ERROR, cfg->templates_dir, 0, 0,
				 "the templates folder lacks %s.yaml, the message tsunagu sends for %s", system_templates[i].name,
				 system_templates[i].what);
			bad++;
		}
	for (size_t p = 0; p < cfg->pathways.n; p++) {
		const struct pathway *pw = cfg->pathways.items[p];
		for (size_t s = 0; s < pw->n_states; s++) {
			const struct pw_state *st = &pw->states[s];
			for (size_t i = 0; i < st->n_notify + st->n_timers; i++) {
				const struct pw_notify *nt = i < st->n_notify ? &st->notify[i] : &st->timers[i - st->n_notify].notify;
				if (!nt->template_name || templates_find(&cfg->templates, nt->template_name))
					continue;
				diag_add(l->r.diag, DIAG_ERROR, pw->file, nt->line, nt->column,
					 "template '%s' is not in the templates folder %s", nt->template_name, cfg->templates_dir);
				bad++;
			}
		}
	}
	return bad ? -1 : 0;
}

/* Which kinds of organisation each role fits (admin: any), unless the config says otherwise. */
static void set_default_role_kinds(struct config *cfg)
{
	kind_mask agencies = MASK(ORG_CLINIC) | MASK(ORG_HOSPITAL) | MASK(ORG_CARE_MANAGER) | MASK(ORG_WELFARE_COUNCIL) |
			     MASK(ORG_FIRE) | MASK(ORG_RESOURCE_PROVIDER) | MASK(ORG_OTHER);
	cfg->role_kinds[ROLE_PHARMACIST] = MASK(ORG_PHARMACY);
	cfg->role_kinds[ROLE_NURSE] = MASK(ORG_SUPPORT_CENTRE) | MASK(ORG_LIFE_SUPPORT_CENTRE);
	cfg->role_kinds[ROLE_CHECKUP_STAFF] = MASK(ORG_HEALTH_CHECKUP);
	cfg->role_kinds[ROLE_AGENCY_STAFF] = agencies;
	cfg->role_kinds[ROLE_COORDINATOR] = MASK(ORG_CITY);
	cfg->role_kinds[ROLE_ADMIN] = 0;
}

/* roles: { ROLE: [org kinds], … } — which organisations may have users of each role. */
static int load_roles(struct loader *l, const struct ydoc_node *n)
{
	if (ydoc_expect(&l->r, n, YDOC_MAP, "roles"))
		return -1;
	int bad = 0;
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct ydoc_node *key = n->pairs[i].key, *v = n->pairs[i].value;
		int role = vocab_lookup(role_names, key->value);
		if (role < 0 || role == ROLE_SYSTEM) {
			const char *near = closest_word(key->value, role_names);
			ydoc_error(&l->r, key, "unknown role '%s'%s%s%s", key->value, near ? "; did you mean '" : "",
				   near ? near : "", near ? "'?" : "");
			bad++;
			continue;
		}
		if (ydoc_expect(&l->r, v, YDOC_SEQ, "the organisation kinds of a role")) {
			bad++;
			continue;
		}
		kind_mask kinds = 0;
		for (size_t k = 0; k < v->n_items; k++) {
			const char *s;
			int kind;
			if (ydoc_read_string(&l->r, v->items[k], "an organisation kind", &s)) {
				bad++;
			} else if ((kind = vocab_lookup(org_kind_names, s)) < 0) {
				ydoc_error(&l->r, v->items[k], "unknown organisation kind '%s'", s);
				bad++;
			} else {
				kinds |= MASK(kind);
			}
		}
		l->cfg->role_kinds[role] = kinds;
	}
	return bad ? -1 : 0;
}

static void set_defaults(struct config *cfg)
{
	cfg->listen_host = xstrdup("127.0.0.1");
	cfg->listen_port = 8080;
	cfg->calendar.business_start_minutes = 8 * 60 + 30;
	cfg->calendar.time_zone = xstrdup("Asia/Tokyo");
	cfg->retry = (struct config_retry){ .max_attempts = 8, .base_seconds = 30, .max_seconds = 3600,
					   .max_age_hours = 72 };
	cfg->limits = (struct config_limits){
		.max_body_bytes = 1 << 20,
		.max_buffered_body_bytes = 64 << 20,
		.max_header_bytes = 16 << 10,
		.request_timeout_seconds = 30,
		.header_timeout_seconds = 10,
		.idle_timeout_seconds = 15,
		.min_body_bytes_per_second = 1024,
		.max_connections = 1024,
		.max_connections_per_client = 128,
		.auth_failures_per_minute = 20,
		.database_wait_seconds = 10,
		.max_list_items = 500,
	};
	cfg->small_count_threshold = 5;
	cfg->verify_every_minutes = 24 * 60;
	cfg->backup.keep = 3;
	cfg->backup.min_free_mb = 64;
	cfg->resources_stale_months = 12;
	cfg->sign_in = (struct config_sign_in){
		.idle_minutes = 20,
		.absolute_hours = 8,
		.enrolment_days = 7,
		.failures_per_account = 5,
		.totp_roles = MASK(ROLE_NURSE) | MASK(ROLE_COORDINATOR) | MASK(ROLE_ADMIN),
	};
	set_default_categories(cfg);
	set_default_role_kinds(cfg);
}

static int load_root(struct loader *l, const struct ydoc_node *root)
{
	static const char *const keys[] = {
		"listen", "database", "pathways", "templates", "public_url", "calendar", "limits",
		"areas", "organisations", "routing", "demo_users", "allow_test_clock", "notifications", "resources",
		"roles", "trusted_proxies", "sign_in", "reports", "audit", "metrics_listen", "backup", NULL
	};
	struct config *cfg = l->cfg;
	if (!root) {
		ydoc_error(&l->r, NULL, "the config file is empty");
		return -1;
	}
	if (ydoc_expect(&l->r, root, YDOC_MAP, "the config file"))
		return -1;
	int bad = ydoc_check_keys(&l->r, root, "the config", keys);
	const struct ydoc_node *v;
	const char *s;
	if ((v = ydoc_get(root, "listen"))) {
		char *host = NULL;
		int port;
		if (ydoc_read_string(&l->r, v, "listen", &s) || config_parse_listen(s, &host, &port)) {
			if (v->kind == YDOC_SCALAR)
				ydoc_error(&l->r, v, "listen must be HOST:PORT, e.g. 127.0.0.1:8080");
			bad++;
		} else {
			free(cfg->listen_host);
			cfg->listen_host = host;
			cfg->listen_port = port;
		}
	}
	if ((v = ydoc_get(root, "metrics_listen"))) {
		if (ydoc_read_string(&l->r, v, "metrics_listen", &s) ||
		    config_parse_listen(s, &cfg->metrics_host, &cfg->metrics_port)) {
			if (v->kind == YDOC_SCALAR)
				ydoc_error(&l->r, v, "metrics_listen must be HOST:PORT, e.g. 127.0.0.1:9464");
			bad++;
		}
	}
	if (!(v = ydoc_get(root, "database"))) {
		ydoc_error(&l->r, root, "missing 'database: sqlite:PATH' (the SQLite file)");
		bad++;
	} else if (ydoc_read_string(&l->r, v, "database", &s)) {
		bad++;
	} else {
		char *err = NULL;
		if (database_path(s, cfg->dir, &cfg->database, &err)) {
			ydoc_error(&l->r, v, "database: %s", err);
			free(err);
			bad++;
		}
	}
	if (!(v = ydoc_get(root, "pathways"))) {
		ydoc_error(&l->r, root, "missing 'pathways: DIR' (the folder of pathway files)");
		bad++;
	} else if (ydoc_read_string(&l->r, v, "pathways", &s)) {
		bad++;
	} else {
		cfg->pathways_dir = resolve_path(cfg, s);
	}
	if ((v = ydoc_get(root, "templates"))) {
		if (ydoc_read_string(&l->r, v, "templates", &s))
			bad++;
		else
			cfg->templates_dir = resolve_path(cfg, s);
	}
	if ((v = ydoc_get(root, "public_url"))) {
		if (ydoc_read_string(&l->r, v, "public_url", &s)) {
			bad++;
		} else if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8)) {
			ydoc_error(&l->r, v, "public_url must start with http:// or https://");
			bad++;
		} else {
			cfg->public_url = xstrdup(s);
			cfg->public_url_set = true;
		}
	}
	if (!cfg->public_url)
		config_follow_listen(cfg);
	if ((v = ydoc_get(root, "calendar")) && load_calendar(l, v))
		bad++;
	if ((v = ydoc_get(root, "trusted_proxies")) && load_trusted_proxies(l, v))
		bad++;
	if ((v = ydoc_get(root, "limits")) && load_limits(l, v))
		bad++;
	if ((v = ydoc_get(root, "sign_in")) && load_sign_in(l, v))
		bad++;
	if ((v = ydoc_get(root, "backup")) && load_backup(l, v))
		bad++;
	if ((v = ydoc_get(root, "audit")) &&
	    load_section_int(l, v, "audit", "verify_every_minutes", 0, 7 * 24 * 60, &cfg->verify_every_minutes))
		bad++;
	if ((v = ydoc_get(root, "reports")) &&
	    load_section_int(l, v, "reports", "small_count_threshold", 1, 1000, &cfg->small_count_threshold))
		bad++;
	if (!(v = ydoc_get(root, "areas"))) {
		ydoc_error(&l->r, root, "missing 'areas:' (the districts that organisations serve)");
		bad++;
	} else if (load_areas(l, v)) {
		bad++;
	}
	if (!(v = ydoc_get(root, "organisations"))) {
		ydoc_error(&l->r, root, "missing 'organisations:' (the participating organisations)");
		bad++;
	} else if (load_orgs(l, v)) {
		bad++;
	}
	if (cfg->pathways_dir &&
	    pathway_set_load_tolerant(&cfg->pathways, &cfg->broken_pathways, cfg->pathways_dir, l->r.diag))
		bad++;
	if ((v = ydoc_get(root, "routing")) && load_routing(l, v))
		bad++;
	if (!bad && check_coverage(l, root))
		bad++;
	if ((v = ydoc_get(root, "demo_users")) && load_demo_users(l, v))
		bad++;
	if ((v = ydoc_get(root, "notifications")) && load_notifications(l, v))
		bad++;
	if (cfg->templates_dir) {
		if (templates_load(&cfg->templates, cfg->templates_dir, l->r.diag))
			bad++;
		else if (check_templates(l))
			bad++;
	}
	if ((v = ydoc_get(root, "resources")) && load_resources(l, v))
		bad++;
	if ((v = ydoc_get(root, "roles")) && load_roles(l, v))
		bad++;
	if ((v = ydoc_get(root, "allow_test_clock")) && ydoc_read_bool(&l->r, v, "allow_test_clock", &cfg->allow_test_clock))
		bad++;
	return bad ? -1 : 0;
}

struct config *config_defaults(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	set_defaults(cfg);
	return cfg;
}

struct config *config_load(const char *path, const struct config_adapters *adapters, struct diag *d)
{
	size_t len, errors_before = d->errors;
	char *data = read_file(path, &len);
	if (!data) {
		diag_add(d, DIAG_ERROR, path, 0, 0, "cannot read the config file: %s", strerror(errno));
		return NULL;
	}
	struct ydoc *doc = NULL;
	if (!utf8_valid(data, len)) {
		diag_add(d, DIAG_ERROR, path, 0, 0, "the config file is not UTF-8 text");
		free(data);
		return NULL;
	}
	int rc = ydoc_parse(path, data, len, &doc, d);
	free(data);
	if (rc)
		return NULL;
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	cfg->file = xstrdup(path);
	char *copy = xstrdup(path);
	cfg->dir = xstrdup(dirname(copy));
	free(copy);
	set_defaults(cfg);
	struct loader l = { .r = { path, d }, .cfg = cfg, .adapters = adapters };
	rc = load_root(&l, doc->root);
	ydoc_free(doc);
	if (rc || d->errors > errors_before) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->file);
	free(cfg->dir);
	free(cfg->listen_host);
	free(cfg->metrics_host);
	free(cfg->backup.dir);
	free(cfg->backup.key_file);
	free(cfg->backup.forget_log);
	free(cfg->database);
	free(cfg->pathways_dir);
	free(cfg->templates_dir);
	free(cfg->public_url);
	free(cfg->calendar.time_zone);
	for (size_t i = 0; i < cfg->calendar.n_closed_days; i++)
		free(cfg->calendar.closed_days[i]);
	free(cfg->calendar.closed_days);
	for (size_t i = 0; i < cfg->n_areas; i++) {
		free(cfg->areas[i].id);
		free(cfg->areas[i].name.ja);
		free(cfg->areas[i].name.en);
	}
	free(cfg->areas);
	for (size_t i = 0; i < cfg->n_orgs; i++)
		org_release(&cfg->orgs[i]);
	free(cfg->orgs);
	for (size_t i = 0; i < cfg->n_routes; i++) {
		struct config_route *r = &cfg->routes[i];
		free(r->pathway);
		free(r->default_org);
		for (size_t k = 0; k < r->n; k++) {
			free(r->areas[k]);
			free(r->orgs[k]);
		}
		free(r->areas);
		free(r->orgs);
	}
	free(cfg->routes);
	for (size_t i = 0; i < cfg->n_demo_users; i++) {
		free(cfg->demo_users[i].org);
		free(cfg->demo_users[i].name);
		free(cfg->demo_users[i].login);
	}
	free(cfg->demo_users);
	for (size_t i = 0; i < cfg->n_channels; i++) {
		free(cfg->channels[i].name);
		free(cfg->channels[i].adapter);
		json_decref(cfg->channels[i].settings);
	}
	free(cfg->channels);
	for (size_t i = 0; i < cfg->n_notify_routes; i++) {
		free(cfg->notify_routes[i].org);
		for (size_t k = 0; k < cfg->notify_routes[i].n_channels; k++)
			free(cfg->notify_routes[i].channels[k]);
		free(cfg->notify_routes[i].channels);
	}
	free(cfg->notify_routes);
	for (size_t i = 0; i < cfg->n_allowed_hosts; i++)
		free(cfg->allowed_hosts[i]);
	free(cfg->allowed_hosts);
	free(cfg->trusted_proxies);
	templates_release(&cfg->templates);
	pathway_set_release(&cfg->pathways);
	pathway_broken_set_release(&cfg->broken_pathways);
	categories_release(cfg);
	free(cfg->resources_seed);
	free(cfg);
}

const char *config_org_name(const struct config *cfg, const char *id)
{
	const struct config_org *o = id ? config_find_org(cfg, id) : NULL;
	return o ? o->name.ja : id;
}

const struct pathway_broken *config_broken_pathway(const struct config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->broken_pathways.n; i++)
		if (!strcmp(cfg->broken_pathways.items[i].id, id))
			return &cfg->broken_pathways.items[i];
	return NULL;
}

bool config_role_fits(const struct config *cfg, int role, enum org_kind kind)
{
	return !cfg->role_kinds[role] || (cfg->role_kinds[role] & MASK(kind));
}

const struct config_org *config_find_org(const struct config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->n_orgs; i++)
		if (!strcmp(cfg->orgs[i].id, id))
			return &cfg->orgs[i];
	return NULL;
}

const struct config_area *config_find_area(const struct config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->n_areas; i++)
		if (!strcmp(cfg->areas[i].id, id))
			return &cfg->areas[i];
	return NULL;
}

const struct config_category *config_find_category(const struct config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->n_categories; i++)
		if (!strcmp(cfg->categories[i].id, id))
			return &cfg->categories[i];
	return NULL;
}

const struct config_org *config_route(const struct config *cfg, const char *pathway, const char *area)
{
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct config_route *r = &cfg->routes[i];
		if (strcmp(r->pathway, pathway))
			continue;
		for (size_t k = 0; k < r->n; k++)
			if (!strcmp(r->areas[k], area))
				return config_find_org(cfg, r->orgs[k]);
		if (r->default_org) {
			const struct config_org *o = config_find_org(cfg, r->default_org);
			if (o && o->n_areas) {
				for (size_t k = 0; k < o->n_areas; k++)
					if (!strcmp(o->areas[k], area))
						return o;
				return NULL;
			}
			return o;
		}
	}
	return NULL;
}

const struct config_channel *config_find_channel(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_channels; i++)
		if (!strcmp(cfg->channels[i].name, name))
			return &cfg->channels[i];
	return NULL;
}

const struct config_notify_route *config_notify_route(const struct config *cfg, const struct config_org *org)
{
	const struct config_notify_route *by_kind = NULL, *fallback = NULL;
	for (size_t i = 0; i < cfg->n_notify_routes; i++) {
		const struct config_notify_route *r = &cfg->notify_routes[i];
		if (r->org && org && !strcmp(r->org, org->id))
			return r;
		if (r->kind >= 0 && org && r->kind == (int)org->kind && !by_kind)
			by_kind = r;
		if (!r->org && r->kind < 0 && !fallback)
			fallback = r;
	}
	return by_kind ? by_kind : fallback;
}
