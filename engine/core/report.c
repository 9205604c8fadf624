/*
 * report — one pass over the cases opened in the period with their summaries
 * (first time each milestone was reached, reminders, escalations: kept with
 * each event, in the event's own transaction, by report_note_event), then
 * aggregation per (pathway, version, group). A case without a summary yet (one
 * from before schema 9 that no daemon has summarised) is summarised from its
 * events on the way, the same way.
 * Business days between milestones come from a prefix count of business days
 * over the dates involved, so each duration costs two array reads.
 */
#include "report.h"
#include "csvout.h"
#include "mpjson.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const report_group_names[] = { "pathway", "origin", "receiver", "area", "month", "fiscal_year", NULL };

struct rcase {
	char *pathway, *origin, *receiver, *area, *outcome;
	long version;
	clock_us opened, closed;
	clock_us reached[MILESTONE_COUNT];
	int reminders, escalations;
};

struct collect {
	struct core *core;
	struct rcase *cases;
	size_t n, alloc;
	int failed;
};

void report_event_effect(const struct pathway *pw, const char *action, const char *to_state, bool by_system,
			 int *milestone, int *reminders, int *escalations)
{
	*milestone = MILESTONE_NONE;
	*reminders = *escalations = 0;
	/* a move to another version of the pathway reaches nothing: the case stays where it was */
	if (!strcmp(action, "migrate"))
		return;
	/*
	 * An escalation is a pathway action the system took (a timer's action:);
	 * an operator's change at the command line (a reassignment, an erasure)
	 * has no actor either, but is no action of the pathway.
	 */
	if (!strcmp(action, "timer"))
		*reminders = 1;
	else if (by_system && (pw ? pathway_action_id(pw, action) >= 0 : strcmp(action, "erase") != 0))
		*escalations = 1;
	int s = pw && to_state ? pathway_state_index(pw, to_state) : -1;
	if (s >= 0)
		*milestone = pw->states[s].milestone;
}

int report_note_event(struct core *core, const struct case_record *c, const char *action, const char *to_state,
		      bool by_system, clock_us at)
{
	int m, reminders, escalations;
	report_event_effect(core_pathway(core, c->pathway, c->pathway_version), action, to_state, by_system, &m,
			    &reminders, &escalations);
	int rc = store_summary_note(core->store, c->id, m, at, reminders, escalations);
	if (rc <= 0)
		return rc;
	/*
	 * No summary yet: a new case, or one from before the summaries that an
	 * action reaches first (a purge at the command line after an upgrade).
	 * Worked out whole from its events, this one included, so it is never a
	 * summary of one event.
	 */
	struct store_summary sum;
	return report_summarize_case(core, c->id, c->pathway, c->pathway_version, &sum) ||
			       store_summary_put(core->store, c->id, &sum)
		       ? -1
		       : 0;
}

/*
 * A case's events, read whole before they are weighed: each event counts
 * under the version of the pathway in force when it happened (a migration
 * moves the case between versions, and the milestones of its states before
 * are those of the version it was on).
 */
struct held_event {
	char *action, *to_state;
	bool by_system;
	clock_us at;
	long version;              /* the version the event happened on; 0: the case's own (none migrated it since) */
};

struct summing {
	struct held_event *items;
	size_t n, alloc;
};

static void hold_event(void *ctx, const char *action, const char *to_state, bool by_system, clock_us at,
		       const void *payload, size_t payload_len)
{
	struct summing *sg = ctx;
	long from = 0, to = 0;
	if (!strcmp(action, "migrate") && payload) {
		json_t *p = mpjson_decode(payload, payload_len);
		from = (long)json_integer_value(json_object_get(p, "from_version"));
		to = (long)json_integer_value(json_object_get(p, "to_version"));
		json_decref(p);
		/* the events before it happened on the version it moved from */
		for (size_t i = sg->n; i-- > 0 && !sg->items[i].version;)
			sg->items[i].version = from;
	}
	grow_array(&sg->items, &sg->alloc, sg->n, sizeof(*sg->items));
	sg->items[sg->n++] = (struct held_event){ xstrdup(action), to_state ? xstrdup(to_state) : NULL, by_system, at,
						  to };
}

int report_summarize_case(struct core *core, const char *case_id, const char *pathway, long version,
			  struct store_summary *out)
{
	memset(out, 0, sizeof(*out));
	struct summing sg = { 0 };
	int rc = store_case_report_events(core->store, case_id, hold_event, &sg);
	for (size_t i = 0; i < sg.n; i++) {
		struct held_event *e = &sg.items[i];
		/* those since the last migration (or of a case never migrated) are on the case's version */
		const struct pathway *pw = core_pathway(core, pathway, e->version ? e->version : version);
		int m, reminders, escalations;
		report_event_effect(pw, e->action, e->to_state, e->by_system, &m, &reminders, &escalations);
		if (rc == 0 && m > MILESTONE_OPENED && !out->reached[m])
			out->reached[m] = e->at;
		out->reminders += reminders;
		out->escalations += escalations;
		free(e->action);
		free(e->to_state);
	}
	free(sg.items);
	return rc;
}

static int collect_case(void *ctx, const struct store_report_case *r)
{
	struct collect *c = ctx;
	grow_array(&c->cases, &c->alloc, c->n, sizeof(*c->cases));
	struct rcase *k = &c->cases[c->n++];
	memset(k, 0, sizeof(*k));
	k->pathway = xstrdup(r->pathway);
	k->version = r->pathway_version;
	k->origin = xstrdup(r->origin);
	k->receiver = xstrdup(r->receiver ? r->receiver : "");
	k->area = xstrdup(r->area ? r->area : "");
	k->outcome = r->outcome && *r->outcome ? xstrdup(r->outcome) : NULL;
	k->opened = r->opened_at;
	k->closed = r->closed_at;
	struct store_summary sum = r->summary;
	/* a case from before the summaries, not yet summarised by a daemon's start: from its events */
	if (!r->summarized && report_summarize_case(c->core, r->case_id, r->pathway, r->pathway_version, &sum)) {
		c->failed = 1;
		return 1;
	}
	for (int m = MILESTONE_ACCEPTED; m < MILESTONE_COUNT; m++)
		k->reached[m] = sum.reached[m];
	k->reached[MILESTONE_OPENED] = r->opened_at;
	k->reminders = sum.reminders;
	k->escalations = sum.escalations;
	return 0;
}

struct summarize {
	struct core *core;
	int failed;
};

static int summarize_one(void *ctx, const char *case_id)
{
	struct summarize *z = ctx;
	char pathway[128];
	long version = 0;
	struct store_summary sum;
	if (store_case_pathway(z->core->store, case_id, pathway, sizeof(pathway), &version) ||
	    report_summarize_case(z->core, case_id, pathway, version, &sum) ||
	    store_summary_put(z->core->store, case_id, &sum)) {
		z->failed = 1;
		return 1;
	}
	return 0;
}

int report_summarize_missing(struct core *core, int limit)
{
	struct summarize z = { core, 0 };
	int n = store_cases_unsummarized(core->store, limit, summarize_one, &z);
	return n < 0 || z.failed ? -1 : n;
}

struct checking {
	struct core *core;
	report_mismatch_fn *fn;
	void *ctx;
	int64_t checked, differ;
	int failed;
};

static int check_one(void *ctx, const char *case_id, const char *pathway, long version, const struct store_summary *sum)
{
	struct checking *k = ctx;
	struct store_summary from_events;
	if (report_summarize_case(k->core, case_id, pathway, version, &from_events)) {
		k->failed = 1;
		return 1;
	}
	k->checked++;
	for (int m = MILESTONE_ACCEPTED; m < MILESTONE_COUNT; m++)
		if (from_events.reached[m] != sum->reached[m]) {
			k->differ++;
			k->fn(k->ctx, case_id, milestone_names[m]);
			return 0;
		}
	if (from_events.reminders != sum->reminders || from_events.escalations != sum->escalations) {
		k->differ++;
		k->fn(k->ctx, case_id, from_events.reminders != sum->reminders ? "reminders" : "escalations");
	}
	return 0;
}

int report_check_summaries(struct core *core, report_mismatch_fn *fn, void *ctx, int64_t *checked, int64_t *differ)
{
	struct checking k = { .core = core, .fn = fn, .ctx = ctx };
	int rc = store_summaries(core->store, check_one, &k);
	*checked = k.checked;
	*differ = k.differ;
	return rc || k.failed ? -1 : 0;
}

static void cases_release(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct rcase *k = &c->cases[i];
		free(k->pathway);
		free(k->origin);
		free(k->receiver);
		free(k->area);
		free(k->outcome);
	}
	free(c->cases);
}

/* ---- groups ---------------------------------------------------------------------------- */

#define N_PAIRS 6
static const enum milestone pairs[N_PAIRS][2] = {
	{ MILESTONE_OPENED, MILESTONE_ACCEPTED }, { MILESTONE_ACCEPTED, MILESTONE_CONTACTED },
	{ MILESTONE_CONTACTED, MILESTONE_LINKED }, { MILESTONE_LINKED, MILESTONE_FEEDBACK },
	{ MILESTONE_FEEDBACK, MILESTONE_CLOSED }, { MILESTONE_OPENED, MILESTONE_CLOSED },
};

struct group {
	char *pathway;
	long version;
	char *value, *label, *label_short;
	int cases;
	int reached[MILESTONE_COUNT];
	json_t *outcomes;
	int *durations[N_PAIRS];
	size_t n_durations[N_PAIRS], alloc_durations[N_PAIRS];
	int reminders, escalations;
};

struct groups {
	struct group *items;
	size_t n, alloc;
};

static void group_value(struct core *core, enum report_group g, const struct rcase *k, char **value, char **label,
			char **label_short)
{
	const struct config *cfg = core->cfg;
	*label_short = NULL;
	switch (g) {
	case GROUP_PATHWAY: {
		const struct pathway *pw = core_pathway(core, k->pathway, k->version);
		*value = xstrdup("");
		*label = xstrdup(pw ? pw->title.ja : k->pathway);
		return;
	}
	case GROUP_ORIGIN:
	case GROUP_RECEIVER: {
		const char *id = g == GROUP_ORIGIN ? k->origin : k->receiver;
		const struct config_org *o = *id ? config_find_org(cfg, id) : NULL;
		*value = xstrdup(id);
		*label = xstrdup(o ? o->name.ja : *id ? id : "（未定）");
		return;
	}
	case GROUP_AREA: {
		const struct config_area *a = config_find_area(cfg, k->area);
		*value = xstrdup(k->area);
		*label = xstrdup(a ? a->name.ja : k->area);
		return;
	}
	case GROUP_MONTH: {
		char day[11];
		date_format(clock_local_date(core->clock, k->opened), day);
		*value = xstrndup(day, 7);
		*label = xstrndup(day, 7);
		return;
	}
	case GROUP_FISCAL_YEAR: {
		int fy = date_fiscal_year(clock_local_date(core->clock, k->opened));
		char l[32], s[32];
		date_fiscal_label(fy, l, s);
		*value = xasprintf("FY%d", fy);
		*label = xstrdup(l);
		*label_short = xstrdup(s);
		return;
	}
	}
}

static struct group *group_for(struct groups *gs, struct core *core, enum report_group g, const struct rcase *k)
{
	char *value = NULL, *label = NULL, *label_short = NULL;
	group_value(core, g, k, &value, &label, &label_short);
	for (size_t i = 0; i < gs->n; i++) {
		struct group *x = &gs->items[i];
		if (!strcmp(x->pathway, k->pathway) && x->version == k->version && !strcmp(x->value, value)) {
			free(value);
			free(label);
			free(label_short);
			return x;
		}
	}
	grow_array(&gs->items, &gs->alloc, gs->n, sizeof(*gs->items));
	struct group *x = &gs->items[gs->n++];
	memset(x, 0, sizeof(*x));
	x->pathway = xstrdup(k->pathway);
	x->version = k->version;
	x->value = value;
	x->label = label;
	x->label_short = label_short;
	x->outcomes = json_object();
	return x;
}

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	int c = strcmp(x->pathway, y->pathway);
	if (c)
		return c;
	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return strcmp(x->value, y->value);
}

static void groups_release(struct groups *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		struct group *x = &gs->items[i];
		free(x->pathway);
		free(x->value);
		free(x->label);
		free(x->label_short);
		json_decref(x->outcomes);
		for (int p = 0; p < N_PAIRS; p++)
			free(x->durations[p]);
	}
	free(gs->items);
}

/* Business days in (a, b] on the calendar, by a prefix count over [lo, hi]. */
struct bdays {
	date_days lo;
	int *prefix;
	size_t n;
};

static void bdays_init(struct bdays *b, const struct calendar *cal, date_days lo, date_days hi)
{
	b->lo = lo;
	b->n = hi >= lo ? (size_t)(hi - lo + 1) : 1;
	b->prefix = xcalloc(b->n, sizeof(int));
	for (size_t i = 1; i < b->n; i++)
		b->prefix[i] = b->prefix[i - 1] + calendar_is_business_day(cal, lo + (date_days)i);
}

static int bdays_between(const struct bdays *b, date_days a, date_days c)
{
	return b->prefix[c - b->lo] - b->prefix[a - b->lo];
}

static int collect_cases(struct core *core, const struct report_query *q, struct collect *c)
{
	memset(c, 0, sizeof(*c));
	c->core = core;
	return store_report_cases(core->store, q->from, q->to, collect_case, c) || c->failed ? -1 : 0;
}

static json_t *header(struct core *core, const char *name, const struct report_query *q)
{
	json_t *o = json_pack("{s:s, s:s, s:i}", "report", name, "group_by", report_group_names[q->group],
			      "small_count_threshold", core->cfg->small_count_threshold);
	char day[11];
	if (q->from) {
		date_format(clock_local_date(core->clock, q->from), day);
		json_object_set_new(o, "from", json_string(day));
	} else {
		json_object_set_new(o, "from", json_null());
	}
	if (q->to) {
		date_format(clock_local_date(core->clock, q->to) - 1, day);
		json_object_set_new(o, "to", json_string(day));
	} else {
		json_object_set_new(o, "to", json_null());
	}
	return o;
}

static json_t *row_head(const struct group *x, const struct report_query *q)
{
	json_t *row = json_pack("{s:s, s:i}", "pathway", x->pathway, "pathway_version", (int)x->version);
	json_object_set_new(row, "group", q->group == GROUP_PATHWAY ? json_null() : json_string(x->value));
	json_object_set_new(row, "label", json_string(x->label));
	if (x->label_short)
		json_object_set_new(row, "label_short", json_string(x->label_short));
	json_object_set_new(row, "cases", json_integer(x->cases));
	return row;
}

json_t *report_funnel(struct core *core, const struct report_query *q)
{
	struct collect c;
	if (collect_cases(core, q, &c)) {
		cases_release(&c);
		return NULL;
	}
	struct groups gs = { 0 };
	for (size_t i = 0; i < c.n; i++) {
		const struct rcase *k = &c.cases[i];
		struct group *x = group_for(&gs, core, q->group, k);
		x->cases++;
		for (int m = MILESTONE_OPENED; m < MILESTONE_COUNT; m++)
			x->reached[m] += k->reached[m] != 0;
		if (k->outcome) {
			json_t *n = json_object_get(x->outcomes, k->outcome);
			json_object_set_new(x->outcomes, k->outcome, json_integer(n ? json_integer_value(n) + 1 : 1));
		}
	}
	if (gs.n)
		qsort(gs.items, gs.n, sizeof(*gs.items), cmp_group);
	json_t *rows = json_array();
	for (size_t i = 0; i < gs.n; i++) {
		struct group *x = &gs.items[i];
		json_t *row = row_head(x, q);
		json_t *ms = json_object();
		for (int m = MILESTONE_OPENED; m < MILESTONE_COUNT; m++)
			json_object_set_new(ms, milestone_names[m], json_integer(x->reached[m]));
		json_object_set_new(row, "milestones", ms);
		json_object_set(row, "outcomes", x->outcomes);
		json_array_append_new(rows, row);
	}
	json_t *o = header(core, "funnel", q);
	json_object_set_new(o, "rows", rows);
	groups_release(&gs);
	cases_release(&c);
	return o;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return x < y ? -1 : x > y;
}

json_t *report_durations(struct core *core, const struct report_query *q)
{
	struct collect c;
	if (collect_cases(core, q, &c)) {
		cases_release(&c);
		return NULL;
	}
	date_days lo = 0, hi = 0;
	bool any = false;
	for (size_t i = 0; i < c.n; i++)
		for (int m = MILESTONE_OPENED; m < MILESTONE_COUNT; m++)
			if (c.cases[i].reached[m]) {
				date_days d = clock_local_date(core->clock, c.cases[i].reached[m]);
				if (!any || d < lo)
					lo = d;
				if (!any || d > hi)
					hi = d;
				any = true;
			}
	struct bdays bd;
	bdays_init(&bd, core->cal, lo, hi);
	struct groups gs = { 0 };
	for (size_t i = 0; i < c.n; i++) {
		const struct rcase *k = &c.cases[i];
		struct group *x = group_for(&gs, core, q->group, k);
		x->cases++;
		x->reminders += k->reminders;
		x->escalations += k->escalations;
		for (int p = 0; p < N_PAIRS; p++) {
			clock_us a = k->reached[pairs[p][0]], b = k->reached[pairs[p][1]];
			if (!a || !b || b < a)
				continue;
			int days = bdays_between(&bd, clock_local_date(core->clock, a), clock_local_date(core->clock, b));
			grow_array(&x->durations[p], &x->alloc_durations[p], x->n_durations[p], sizeof(int));
			x->durations[p][x->n_durations[p]++] = days;
		}
	}
	if (gs.n)
		qsort(gs.items, gs.n, sizeof(*gs.items), cmp_group);
	json_t *rows = json_array();
	for (size_t i = 0; i < gs.n; i++) {
		struct group *x = &gs.items[i];
		json_t *row = row_head(x, q);
		json_t *ds = json_array();
		for (int p = 0; p < N_PAIRS; p++) {
			size_t n = x->n_durations[p];
			json_t *d = json_pack("{s:s, s:s, s:i}", "from", milestone_names[pairs[p][0]], "to",
					      milestone_names[pairs[p][1]], "cases", (int)n);
			if (n) {
				int *v = x->durations[p];
				qsort(v, n, sizeof(int), cmp_int);
				double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
				size_t rank = (size_t)ceil(0.9 * (double)n);
				json_object_set_new(d, "median", json_real(median));
				json_object_set_new(d, "p90", json_integer(v[rank - 1]));
				json_object_set_new(d, "max", json_integer(v[n - 1]));
			} else {
				json_object_set_new(d, "median", json_null());
				json_object_set_new(d, "p90", json_null());
				json_object_set_new(d, "max", json_null());
			}
			json_array_append_new(ds, d);
		}
		json_object_set_new(row, "business_days", ds);
		json_object_set_new(row, "reminders", json_integer(x->reminders));
		json_object_set_new(row, "escalations", json_integer(x->escalations));
		json_array_append_new(rows, row);
	}
	json_t *o = header(core, "durations", q);
	json_object_set_new(o, "unit", json_string("business_days"));
	json_object_set_new(o, "rows", rows);
	free(bd.prefix);
	groups_release(&gs);
	cases_release(&c);
	return o;
}

/* ---- resources ------------------------------------------------------------------------- */

/* Counts of links: made (proposed), joined at some time, declined, ended, and the people concerned. */
struct link_counts {
	int proposed, joined, declined, ended;
	int people;
	char *last_case;           /* the case of the last link counted: a case's links come one after another */
};

struct link_group {
	char *key, *value, *label, *label_short;
	char *resource;            /* NULL for a category subtotal */
	char *category;
	struct link_counts n;
};

struct link_groups {
	struct link_group *items;
	size_t n, alloc;
};

struct link_collect {
	struct core *core;
	enum report_group group;
	struct link_groups rows, categories;
	json_t *resources;         /* id -> [name, category, provider] */
	bool failed;
};

static struct link_group *link_group_for(struct link_groups *gs, const char *key, const char *resource,
					 const char *category, char *value, char *label, char *label_short)
{
	for (size_t i = 0; i < gs->n; i++) {
		struct link_group *x = &gs->items[i];
		if (!strcmp(x->key, key) && !strcmp(x->category, category) &&
		    (resource ? x->resource && !strcmp(x->resource, resource) : !x->resource))
			return x;
	}
	grow_array(&gs->items, &gs->alloc, gs->n, sizeof(*gs->items));
	struct link_group *x = &gs->items[gs->n++];
	*x = (struct link_group){ xstrdup(key), xstrdup(value), xstrdup(label), label_short ? xstrdup(label_short) : NULL,
				  resource ? xstrdup(resource) : NULL, xstrdup(category), { 0, 0, 0, 0, 0, NULL } };
	return x;
}

static void count_link(struct link_counts *n, const struct store_link_row *r)
{
	n->proposed++;
	n->joined += r->joined_on != NULL;
	n->declined += r->declined_on != NULL;
	n->ended += r->ended_on != NULL;
	if (!n->last_case || strcmp(n->last_case, r->case_id)) {
		n->people++;
		free(n->last_case);
		n->last_case = xstrdup(r->case_id);
	}
}

static const json_t *resource_info(struct link_collect *c, const char *id)
{
	json_t *info = json_object_get(c->resources, id);
	if (info)
		return info;
	struct resource_record res = { 0 };
	int rc = store_resource_get(c->core->store, id, &res);
	if (rc < 0)
		c->failed = true;
	info = json_pack("{s:s, s:s, s:s}", "name",
			 rc == 0 ? json_string_value(json_object_get(json_object_get(res.data, "name"), "ja")) : id,
			 "category", rc == 0 ? res.category : "other", "provider", rc == 0 ? res.provider : "");
	json_object_set_new(c->resources, id, info);
	resource_record_release(&res);
	return info;
}

static int collect_link(void *ctx, const struct store_link_row *r)
{
	struct link_collect *c = ctx;
	const json_t *info = resource_info(c, r->resource_id);
	struct rcase k = { .pathway = (char *)r->pathway, .origin = (char *)r->origin,
			   .receiver = (char *)(r->receiver ? r->receiver : ""), .area = (char *)(r->area ? r->area : ""),
			   .version = r->pathway_version, .opened = r->created_at };
	char *value = NULL, *label = NULL, *label_short = NULL;
	group_value(c->core, c->group, &k, &value, &label, &label_short);
	/* Versions of a pathway count together here: a link is to a resource, not to a state machine. */
	const char *key = c->group == GROUP_PATHWAY ? r->pathway : value;
	if (c->group == GROUP_PATHWAY) {
		free(value);
		value = xstrdup(r->pathway);
	}
	const char *category = json_string_value(json_object_get(info, "category"));
	count_link(&link_group_for(&c->rows, key, r->resource_id, category, value, label, label_short)->n, r);
	count_link(&link_group_for(&c->categories, key, NULL, category, value, label, label_short)->n, r);
	free(value);
	free(label);
	free(label_short);
	return c->failed;
}

static int cmp_link_group(const void *a, const void *b)
{
	const struct link_group *x = a, *y = b;
	int d = strcmp(x->key, y->key);
	if (!d)
		d = strcmp(x->category, y->category);
	if (!d && x->resource && y->resource)
		d = strcmp(x->resource, y->resource);
	return d;
}

static json_t *link_rows(struct link_collect *c, struct link_groups *gs)
{
	const struct config *cfg = c->core->cfg;
	json_t *rows = json_array();
	if (gs->n)
		qsort(gs->items, gs->n, sizeof(*gs->items), cmp_link_group);
	for (size_t i = 0; i < gs->n; i++) {
		struct link_group *x = &gs->items[i];
		const struct config_category *cat = config_find_category(cfg, x->category);
		json_t *row = json_pack("{s:s, s:s}", "group", x->value, "label", x->label);
		if (x->label_short)
			json_object_set_new(row, "label_short", json_string(x->label_short));
		json_object_set_new(row, "category", json_string(x->category));
		json_object_set_new(row, "category_title", json_string(cat ? cat->title.ja : x->category));
		if (x->resource) {
			const json_t *info = json_object_get(c->resources, x->resource);
			json_object_set_new(row, "resource", json_string(x->resource));
			json_object_set(row, "resource_name", json_object_get(info, "name"));
			json_object_set(row, "provider", json_object_get(info, "provider"));
		}
		json_object_set_new(row, "proposed", json_integer(x->n.proposed));
		json_object_set_new(row, "joined", json_integer(x->n.joined));
		json_object_set_new(row, "declined", json_integer(x->n.declined));
		json_object_set_new(row, "ended", json_integer(x->n.ended));
		json_object_set_new(row, "people", json_integer(x->n.people));
		json_array_append_new(rows, row);
	}
	return rows;
}

static void link_groups_release(struct link_groups *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		struct link_group *x = &gs->items[i];
		free(x->key);
		free(x->value);
		free(x->label);
		free(x->label_short);
		free(x->resource);
		free(x->category);
		free(x->n.last_case);
	}
	free(gs->items);
}

json_t *report_resources(struct core *core, const struct report_query *q)
{
	struct link_collect c = { .core = core, .group = q->group, .resources = json_object() };
	json_t *o = NULL;
	if (store_link_rows(core->store, q->from, q->to, collect_link, &c) == 0 && !c.failed) {
		o = header(core, "resources", q);
		json_object_set_new(o, "period_of", json_string("link proposed"));
		json_object_set_new(o, "rows", link_rows(&c, &c.rows));
		json_object_set_new(o, "categories", link_rows(&c, &c.categories));
	}
	link_groups_release(&c.rows);
	link_groups_release(&c.categories);
	json_decref(c.resources);
	return o;
}

/* ---- CSV -------------------------------------------------------------------------------- */

/* A value as cell text (caller frees). */
static char *cell_text(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%g", json_real_value(v));
	return xstrdup("");
}

/* Cells gathered for one row, written at once so the last one ends the line. */
struct cells {
	char *items[64];
	size_t n;
};

static void add(struct cells *c, char *owned)
{
	if (c->n < sizeof(c->items) / sizeof(c->items[0]))
		c->items[c->n++] = owned;
	else
		free(owned);
}

static void flush(struct buf *b, struct cells *c)
{
	for (size_t i = 0; i < c->n; i++) {
		csv_cell(b, c->items[i], i + 1 == c->n);
		free(c->items[i]);
	}
	c->n = 0;
}

char *report_csv(const json_t *report)
{
	struct buf b;
	buf_init(&b);
	struct cells c = { .n = 0 };
	const char *kind = json_string_value(json_object_get(report, "report"));
	const json_t *rows = json_object_get(report, "rows");
	static const char *const head[] = { "pathway", "pathway_version", "group", "label", "label_short", "cases" };
	if (!strcmp(kind, "resources")) {
		/* One table: a row per resource, then the subtotal of each category (kind says which). */
		static const char *const cols[] = { "group", "label", "label_short", "category", "category_title", "resource",
						    "resource_name", "provider", "proposed", "joined", "declined", "ended",
						    "people" };
		add(&c, xstrdup("kind"));
		for (size_t h = 0; h < 13; h++)
			add(&c, xstrdup(cols[h]));
		flush(&b, &c);
		const char *const parts[] = { "rows", "categories" };
		for (int p = 0; p < 2; p++) {
			const json_t *list = json_object_get(report, parts[p]);
			for (size_t i = 0; i < json_array_size(list); i++) {
				const json_t *row = json_array_get(list, i);
				add(&c, xstrdup(p ? "category" : "resource"));
				for (size_t h = 0; h < 13; h++)
					add(&c, cell_text(json_object_get(row, cols[h])));
				flush(&b, &c);
			}
		}
	} else if (!strcmp(kind, "funnel")) {
		/* The outcome columns are the union of all rows' outcome codes, in first-seen order. */
		json_t *codes = json_object();
		for (size_t i = 0; i < json_array_size(rows); i++) {
			const char *code;
			json_t *n;
			json_object_foreach(json_object_get(json_array_get(rows, i), "outcomes"), code, n)
				json_object_set_new(codes, code, json_true());
		}
		const char *code;
		json_t *unused;
		for (size_t h = 0; h < 6; h++)
			add(&c, xstrdup(head[h]));
		for (int m = MILESTONE_OPENED; m < MILESTONE_COUNT; m++)
			add(&c, xstrdup(milestone_names[m]));
		json_object_foreach(codes, code, unused)
			add(&c, xasprintf("outcome:%s", code));
		flush(&b, &c);
		for (size_t i = 0; i < json_array_size(rows); i++) {
			const json_t *row = json_array_get(rows, i);
			for (size_t h = 0; h < 6; h++)
				add(&c, cell_text(json_object_get(row, head[h])));
			for (int m = MILESTONE_OPENED; m < MILESTONE_COUNT; m++)
				add(&c, cell_text(json_object_get(json_object_get(row, "milestones"), milestone_names[m])));
			json_object_foreach(codes, code, unused) {
				const json_t *n = json_object_get(json_object_get(row, "outcomes"), code);
				add(&c, n ? cell_text(n) : xstrdup("0"));
			}
			flush(&b, &c);
		}
		json_decref(codes);
	} else {
		static const char *const cols[] = { "from", "to", "cases", "median", "p90", "max" };
		static const char *const titles[] = { "from", "to", "cases_measured", "median", "p90", "max",
						      "reminders", "escalations" };
		for (size_t h = 0; h < 6; h++)
			add(&c, xstrdup(head[h]));
		for (size_t h = 0; h < 8; h++)
			add(&c, xstrdup(titles[h]));
		flush(&b, &c);
		for (size_t i = 0; i < json_array_size(rows); i++) {
			const json_t *row = json_array_get(rows, i);
			const json_t *ds = json_object_get(row, "business_days");
			for (size_t p = 0; p < json_array_size(ds); p++) {
				for (size_t h = 0; h < 6; h++)
					add(&c, cell_text(json_object_get(row, head[h])));
				for (size_t k = 0; k < 6; k++)
					add(&c, cell_text(json_object_get(json_array_get(ds, p), cols[k])));
				add(&c, cell_text(json_object_get(row, "reminders")));
				add(&c, cell_text(json_object_get(row, "escalations")));
				flush(&b, &c);
			}
		}
	}
	return buf_detach(&b);
}

/* ---- how soon a receiver usually takes a referral on ------------------------------------------ */

struct usual {
	const struct core *core;
	long days[REPORT_USUAL_SAMPLE];
	int n;
};

static void usual_one(void *ctx, clock_us opened, clock_us reached)
{
	struct usual *u = ctx;
	date_days from = clock_local_date(u->core->clock, opened), to = clock_local_date(u->core->clock, reached);
	if (u->n < REPORT_USUAL_SAMPLE)
		u->days[u->n++] = calendar_business_days_between(u->core->cal, from, to);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

int report_usual_acceptance(struct core *core, const struct pathway *pw, const char *receiver, clock_us now,
			    long *median, int *cases)
{
	struct buf states;
	buf_init(&states);
	for (size_t i = 0; i < pw->n_states; i++)
		if (pw->states[i].milestone == MILESTONE_ACCEPTED)
			buf_printf(&states, "%s%s", states.len ? "," : "", pw->states[i].name);
	struct usual u = { .core = core };
	int rc = states.len ? store_reach_times(core->store, receiver, pw->id, states.data,
						now - (clock_us)365 * 86400 * 1000000, REPORT_USUAL_SAMPLE, usual_one, &u)
			    : 0;
	buf_release(&states);
	if (rc)
		return -1;
	*cases = u.n;
	*median = -1;
	if (u.n >= REPORT_USUAL_MIN) {
		qsort(u.days, (size_t)u.n, sizeof(u.days[0]), cmp_long);
		*median = u.days[u.n / 2];
	}
	return 0;
}
