/*
 * tally — one pass over the pathway's cases (and, for the timeline, their
 * events), then a table: the values of the field by fiscal year. Counts are
 * kept apart as recorded and imported so a reader can see which years came in
 * as aggregates.
 */
#include "tally.h"
#include "csvin.h"
#include "csvout.h"
#include "date.h"
#include "mpjson.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tally_records_only(const struct pathway *pw, struct refusal *why)
{
	if (pw->no_subject)
		return 0;
	refusal_set(why, "invalid_field", "pathway", "%s is about people: its figures are the funnel, durations and "
		    "resources reports; these tables are of records about no person (subject: none)", pw->id);
	refusal_ja(why, "%s は個人についてのパスです。この表は個人についてではない記録（subject: none）のためのものです", pw->id);
	return -1;
}

/*
 * A pathway field of one of the types that the reader may see (as the side
 * that keeps the records), or -1 with the refusal naming the query's parameter.
 */
static int field_of(const struct pathway *pw, const struct tally_reader *reader, const char *name, const char *param,
		    unsigned types, const char *what, const char *what_ja, struct refusal *why)
{
	int i = name ? pathway_field_index(pw, name) : -1;
	if (i >= 0 && (types & MASK(pw->fields[i].type)) &&
	    (!reader || !reader->roles || pathway_field_visible(pw, i, MASK(PARTY_ORIGIN), reader->roles)))
		return i;
	refusal_set(why, "invalid_field", param, "%s must name %s of %s", param, what, pw->id);
	refusal_ja(why, "%s には %s の%sを指定してください", param, pw->id, what_ja);
	return -1;
}

static int check_years(int from, int to, struct refusal *why)
{
	if (from && to && from > to) {
		refusal_set(why, "invalid_field", "from_year", "from_year comes after to_year");
		refusal_ja(why, "from_year が to_year より後になっています");
		return -1;
	}
	return 0;
}

static json_t *year_json(int fy)
{
	char label[32], short_label[32];
	date_fiscal_label(fy, label, short_label);
	return json_pack("{s:i, s:s, s:s}", "year", fy, "label", label, "short", short_label);
}

/* ---- the tally ---------------------------------------------------------------------------------- */

struct tally_count {
	size_t value;              /* index into the values */
	int fy;
	int64_t n;
	bool imported;
};

struct tally {
	struct core *core;
	const struct tally_query *q;
	char **values;             /* the field's values: the loaded version's, then others met */
	size_t n_values, alloc_values;
	struct tally_count *counts;
	size_t n, alloc;
};

static size_t value_index(struct tally *t, const char *value)
{
	for (size_t i = 0; i < t->n_values; i++)
		if (!strcmp(t->values[i], value))
			return i;
	grow_array(&t->values, &t->alloc_values, t->n_values, sizeof(*t->values));
	t->values[t->n_values] = xstrdup(value);
	return t->n_values++;
}

static void add_count(struct tally *t, const char *value, int fy, int64_t n, bool imported)
{
	grow_array(&t->counts, &t->alloc, t->n, sizeof(*t->counts));
	t->counts[t->n++] = (struct tally_count){ value_index(t, value), fy, n, imported };
}

/*
 * The fiscal year a record counts in: its date field's when the query names
 * one (0 when the record has none: it has no year by that date, as the case
 * list's fiscal_year filter leaves it out), else its opening's.
 */
static int record_year(struct core *core, const struct case_record *c, const char *date_field)
{
	date_days d;
	if (!date_field)
		return date_fiscal_year(clock_local_date(core->clock, c->opened_at));
	return cm_field_date(json_object_get(c->fields, date_field), &d) == 0 ? date_fiscal_year(d) : 0;
}

static int count_case(void *ctx, struct case_record *c)
{
	struct tally *t = ctx;
	const char *value = json_string_value(json_object_get(c->fields, t->q->field));
	int fy = value ? record_year(t->core, c, t->q->date_field) : 0;
	if (fy)
		add_count(t, value, fy, 1, false);
	return 0;
}

static void count_imported(void *ctx, const char *value, int fy, int64_t n)
{
	add_count(ctx, value, fy, n, true);
}

static void tally_release(struct tally *t)
{
	for (size_t i = 0; i < t->n_values; i++)
		free(t->values[i]);
	free(t->values);
	free(t->counts);
}

json_t *tally_report(struct core *core, const struct pathway *pw, const struct tally_query *q, struct refusal *why)
{
	if (tally_records_only(pw, why))
		return NULL;
	int fi = field_of(pw, &q->reader, q->field, "field", MASK(FIELD_ENUM), "an enum field", "選択肢の項目", why);
	if (fi < 0 || (q->date_field && field_of(pw, &q->reader, q->date_field, "date", MASK(FIELD_DATE), "a date field",
						  "日付の項目", why) < 0) ||
	    check_years(q->from_year, q->to_year, why))
		return NULL;
	const struct pw_field *f = &pw->fields[fi];
	struct tally t = { .core = core, .q = q };
	for (size_t i = 0; i < f->n_values; i++)
		value_index(&t, f->values[i]);
	struct store_case_filter filter = { .pathway = pw->id, .open = -1, .overdue = -1 };
	if (store_cases_list(core->store, &filter, count_case, &t) ||
	    store_tallies(core->store, pw->id, q->field, count_imported, &t)) {
		tally_release(&t);
		refusal_set(why, "storage_unavailable", NULL, "the database could not be read");
		refusal_ja(why, "データベースを読めませんでした");
		return NULL;
	}
	int first = q->from_year, last = q->to_year;
	for (size_t i = 0; i < t.n; i++) {
		if (!q->from_year && (!first || t.counts[i].fy < first))
			first = t.counts[i].fy;
		if (!q->to_year && t.counts[i].fy > last)
			last = t.counts[i].fy;
	}
	size_t n_years = first && last >= first ? (size_t)(last - first + 1) : 0;
	int64_t *recorded = xcalloc(t.n_values * (n_years ? n_years : 1), sizeof(int64_t));
	int64_t *imported = xcalloc(t.n_values * (n_years ? n_years : 1), sizeof(int64_t));
	for (size_t i = 0; i < t.n; i++) {
		const struct tally_count *k = &t.counts[i];
		if (k->fy < first || k->fy > last)
			continue;
		(k->imported ? imported : recorded)[k->value * n_years + (size_t)(k->fy - first)] += k->n;
	}
	json_t *years = json_array(), *rows = json_array(), *totals = json_array();
	int64_t total = 0;
	for (size_t y = 0; y < n_years; y++) {
		json_array_append_new(years, year_json(first + (int)y));
		int64_t sum = 0;
		for (size_t v = 0; v < t.n_values; v++)
			sum += recorded[v * n_years + y] + imported[v * n_years + y];
		json_array_append_new(totals, json_integer(sum));
		total += sum;
	}
	for (size_t v = 0; v < t.n_values; v++) {
		json_t *counts = json_array(), *rec = json_array(), *imp = json_array();
		int64_t row = 0;
		for (size_t y = 0; y < n_years; y++) {
			int64_t r = recorded[v * n_years + y], m = imported[v * n_years + y];
			json_array_append_new(counts, json_integer(r + m));
			json_array_append_new(rec, json_integer(r));
			json_array_append_new(imp, json_integer(m));
			row += r + m;
		}
		const struct pw_text *title = pathway_value_title(f, t.values[v]);
		json_array_append_new(rows, json_pack("{s:s, s:o, s:o, s:o, s:o, s:I}", "value", t.values[v], "title",
						      title ? json_pack("{s:s, s:s}", "ja", title->ja, "en", title->en)
							    : json_null(),
						      "counts", counts, "recorded", rec, "imported", imp, "total",
						      (json_int_t)row));
	}
	free(recorded);
	free(imported);
	tally_release(&t);
	return json_pack("{s:s, s:s, s:s?, s:o, s:o, s:o, s:I}", "pathway", pw->id, "field", q->field, "date",
			 q->date_field, "fiscal_years", years, "rows", rows, "totals", totals, "total",
			 (json_int_t)total);
}

/* ---- importing the counts of the years before ---------------------------------------------------- */

/* The code of an enum field's value given as its code or either title, or NULL. */
static const char *value_code(const struct pw_field *f, const char *given)
{
	for (size_t i = 0; i < f->n_values; i++) {
		const struct pw_text *t = f->value_titles ? &f->value_titles[i] : NULL;
		if (!strcmp(f->values[i], given) || (t && t->ja && !strcmp(t->ja, given)) ||
		    (t && t->en && !strcmp(t->en, given)))
			return f->values[i];
	}
	return NULL;
}

struct tally_row {
	const char *value;         /* the field's own string: rows sort by its address within one field */
	int fy;
	int64_t count;
	int line;
};

static int by_value_year_line(const void *a, const void *b)
{
	const struct tally_row *x = a, *y = b;
	int c = strcmp(x->value, y->value);
	if (c)
		return c;
	if (x->fy != y->fy)
		return x->fy < y->fy ? -1 : 1;
	return x->line - y->line;
}

/* A bad line of the file: said while there are fewer than TALLY_MAX_PROBLEMS, counted after. */
__attribute__((format(printf, 4, 6)))
static void bad_line(struct refusal *why, int *bad, int line, const char *fmt, const char *fmt_ja, ...)
{
	if ((*bad)++ >= TALLY_MAX_PROBLEMS)
		return;
	char text[256], text_ja[256];
	va_list ap;
	va_start(ap, fmt_ja);
	va_list again;
	va_copy(again, ap);
	vsnprintf(text, sizeof(text), fmt, ap);
	vsnprintf(text_ja, sizeof(text_ja), fmt_ja, again);
	va_end(again);
	va_end(ap);
	refusal_set(why, "invalid_field", NULL, "line %d: %s", line, text);
	refusal_ja(why, "%d 行目: %s", line, text_ja);
}

json_t *tally_import(struct core *core, const struct pathway *pw, const char *field, const char *data, size_t len,
		     clock_us now, struct refusal *why)
{
	if (tally_records_only(pw, why))
		return NULL;
	int fi = field_of(pw, NULL, field, "field", MASK(FIELD_ENUM), "an enum field", "選択肢の項目", why);
	if (fi < 0)
		return NULL;
	const struct pw_field *f = &pw->fields[fi];
	size_t text_len = 0, pos = 0, n = 0, alloc = 0;
	char *text = csvin_decode(data, len, &text_len);
	struct tally_row *rows = NULL;
	json_t *out = NULL;
	int line = 1, bad = 0;
	struct csv_row row = { 0 };
	if (!text) {
		refusal_set(why, "invalid_encoding", NULL, "the file is neither UTF-8 nor Shift_JIS");
		refusal_ja(why, "ファイルの文字コードが UTF-8 でも Shift_JIS でもありません");
		return NULL;
	}
	if (csvin_next(text, text_len, &pos, &line, &row) != 0 || row.n != 3 || strcmp(row.cells[0], "fiscal_year") ||
	    strcmp(row.cells[1], field) || strcmp(row.cells[2], "count")) {
		refusal_set(why, "missing_column", NULL, "line 1: the header must be fiscal_year,%s,count", field);
		refusal_ja(why, "1 行目: 見出しは fiscal_year,%s,count としてください", field);
		csvin_row_release(&row);
		goto out;
	}
	csvin_row_release(&row);
	int rc;
	while ((rc = csvin_next(text, text_len, &pos, &line, &row)) == 0) {
		if (row.n == 1 && !*row.cells[0]) {
			csvin_row_release(&row);
			continue;
		}
		int fy = 0;
		char *end = NULL;
		long long count = row.n == 3 ? strtoll(row.cells[2], &end, 10) : -1;
		const char *code = row.n == 3 ? value_code(f, row.cells[1]) : NULL;
		if (n == TALLY_MAX_ROWS) {
			refusal_set(why, "invalid_field", NULL, "line %d: a file of counts holds at most %d rows", row.line,
				    TALLY_MAX_ROWS);
			refusal_ja(why, "%d 行目: 件数のファイルは %d 行までです", row.line, TALLY_MAX_ROWS);
			bad++;
			csvin_row_release(&row);
			break;
		}
		if (row.n != 3 || date_fiscal_parse(row.cells[0], &fy) || !code || !*row.cells[2] || *end || count < 0 ||
		    count > 1000000000LL) {
			bad_line(why, &bad, row.line, "expected a fiscal year (2017, H29, 平成29年度), a value of %s and a count "
				 "(a whole number, 0 or more)", "年度（2017・H29・平成29年度など）、%s の値、件数（0 以上の整数）を並べてください",
				 field);
		} else {
			grow_array(&rows, &alloc, n, sizeof(*rows));
			rows[n++] = (struct tally_row){ code, fy, count, row.line };
		}
		csvin_row_release(&row);
	}
	/* a year and value given twice: sorted, the second of each pair is next to the first */
	if (n > 1)
		qsort(rows, n, sizeof(*rows), by_value_year_line);
	for (size_t i = 1; i < n; i++)
		if (rows[i].fy == rows[i - 1].fy && !strcmp(rows[i].value, rows[i - 1].value))
			bad_line(why, &bad, rows[i].line, "%s of this fiscal year is given twice", "この年度の %s が重複しています",
				 rows[i].value);
	if (bad > TALLY_MAX_PROBLEMS) {
		refusal_set(why, "invalid_field", NULL, "and %d more lines like these", bad - TALLY_MAX_PROBLEMS);
		refusal_ja(why, "ほかに同様の行が %d 行あります", bad - TALLY_MAX_PROBLEMS);
	}
	if (rc < 0) {
		refusal_set(why, "invalid_field", NULL, "line %d: a quoted value is not closed", line);
		refusal_ja(why, "%d 行目: 引用符が閉じていません", line);
		bad++;
	}
	if (bad)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (store_tally_put(core->store, pw->id, field, rows[i].value, rows[i].fy, rows[i].count, now)) {
			refusal_set(why, "storage_unavailable", NULL, "the database could not be written");
			refusal_ja(why, "データベースに書き込めませんでした");
			goto out;
		}
	out = json_pack("{s:s, s:s, s:I}", "pathway", pw->id, "field", field, "imported", (json_int_t)n);
out:
	free(rows);
	free(text);
	return out;
}

/* ---- the timeline of an action ------------------------------------------------------------------- */

struct timeline_entry {
	int fy;
	int64_t seq;
	char *case_id, *label, *kind, *note;
};

struct timeline {
	struct core *core;
	const struct pathway *pw;
	const struct timeline_query *q;
	struct case_record *c;     /* the case whose events are read */
	struct timeline_entry *items;
	size_t n, alloc;
	int failed;
};

/* The fiscal year an action's record names: an int field holds it, a date field dates it. */
static int action_year(const json_t *v)
{
	date_days d;
	if (json_is_integer(v))
		return (int)json_integer_value(v);
	if (cm_field_date(v, &d) == 0)
		return date_fiscal_year(d);
	return 0;
}

static int timeline_event(void *ctx, const struct store_event *ev)
{
	struct timeline *t = ctx;
	if (strcmp(ev->action, t->q->action) || !ev->payload)
		return 0;
	json_t *payload = mpjson_decode(ev->payload, ev->payload_len);
	const json_t *given = json_object_get(payload, "fields");
	int fy = action_year(json_object_get(given, t->q->year_field));
	const char *kind = json_string_value(json_object_get(given, t->q->kind_field));
	const char *note = t->q->note_field ? json_string_value(json_object_get(given, t->q->note_field)) : NULL;
	const json_t *label = t->q->label_field ? json_object_get(t->c->fields, t->q->label_field) : NULL;
	if (fy && (!t->q->from_year || fy >= t->q->from_year) && (!t->q->to_year || fy <= t->q->to_year)) {
		grow_array(&t->items, &t->alloc, t->n, sizeof(*t->items));
		char *label_text = json_is_string(label) ? xstrdup(json_string_value(label))
				   : label ? json_dumps(label, JSON_ENCODE_ANY) : xstrdup(t->c->id);
		t->items[t->n++] = (struct timeline_entry){ fy, ev->seq, xstrdup(t->c->id), label_text,
							    kind ? xstrdup(kind) : NULL, note ? xstrdup(note) : NULL };
	}
	json_decref(payload);
	return 0;
}

static int timeline_case(void *ctx, struct case_record *c)
{
	struct timeline *t = ctx;
	t->c = c;
	if (store_events_for_case(t->core->store, c->id, 0, timeline_event, t)) {
		t->failed = 1;
		return 1;
	}
	return 0;
}

static int by_year_then_label(const void *a, const void *b)
{
	const struct timeline_entry *x = a, *y = b;
	if (x->fy != y->fy)
		return x->fy < y->fy ? -1 : 1;
	int c = strcmp(x->label, y->label);
	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

json_t *timeline_report(struct core *core, const struct pathway *pw, const struct timeline_query *q,
			struct refusal *why)
{
	if (tally_records_only(pw, why))
		return NULL;
	int bad = 0;
	const struct tally_reader *rd = &q->reader;
	if (!q->action || pathway_action_id(pw, q->action) < 0) {
		refusal_set(why, "invalid_field", "action", "action must name an action of %s", pw->id);
		refusal_ja(why, "action には %s の操作を指定してください", pw->id);
		bad++;
	}
	if (field_of(pw, rd, q->year_field, "year", MASK(FIELD_INT) | MASK(FIELD_DATE), "an int or date field",
		     "年度（整数）か日付の項目", why) < 0)
		bad++;
	int ki = field_of(pw, rd, q->kind_field, "kind", MASK(FIELD_ENUM), "an enum field", "選択肢の項目", why);
	if (ki < 0)
		bad++;
	if (q->label_field && field_of(pw, rd, q->label_field, "label", MASK(FIELD_TEXT) | MASK(FIELD_ENUM) | MASK(FIELD_INT),
				       "a text, enum or int field", "文字・選択肢・整数の項目", why) < 0)
		bad++;
	if (q->note_field && field_of(pw, rd, q->note_field, "note", MASK(FIELD_TEXT), "a text field", "文字の項目", why) < 0)
		bad++;
	if (bad || check_years(q->from_year, q->to_year, why))
		return NULL;
	struct timeline t = { .core = core, .pw = pw, .q = q };
	struct store_case_filter filter = { .pathway = pw->id, .open = -1, .overdue = -1 };
	json_t *out = NULL;
	if (store_cases_list(core->store, &filter, timeline_case, &t) || t.failed) {
		refusal_set(why, "storage_unavailable", NULL, "the database could not be read");
		refusal_ja(why, "データベースを読めませんでした");
		goto out;
	}
	if (t.n)
		qsort(t.items, t.n, sizeof(*t.items), by_year_then_label);
	json_t *years = json_array(), *year = NULL;
	for (size_t i = 0; i < t.n; i++) {
		const struct timeline_entry *e = &t.items[i];
		if (!i || e->fy != t.items[i - 1].fy) {
			year = year_json(e->fy);
			json_object_set_new(year, "cases", json_array());
			json_object_set_new(year, "entries", json_array());
			json_array_append_new(years, year);
		}
		json_t *cases = json_object_get(year, "cases");
		if (!i || e->fy != t.items[i - 1].fy || strcmp(e->label, t.items[i - 1].label))
			json_array_append_new(cases, json_string(e->label));
		const struct pw_text *title = e->kind ? pathway_value_title(&pw->fields[ki], e->kind) : NULL;
		json_array_append_new(json_object_get(year, "entries"),
				      json_pack("{s:s, s:s, s:s?, s:o, s:s?}", "case", e->case_id, "label", e->label, "kind",
						e->kind, "kind_title",
						title ? json_pack("{s:s, s:s}", "ja", title->ja, "en", title->en)
						      : json_null(),
						"note", e->note));
	}
	out = json_pack("{s:s, s:s, s:o}", "pathway", pw->id, "action", q->action, "fiscal_years", years);
out:
	for (size_t i = 0; i < t.n; i++) {
		free(t.items[i].case_id);
		free(t.items[i].label);
		free(t.items[i].kind);
		free(t.items[i].note);
	}
	free(t.items);
	return out;
}

/* ---- as CSV ------------------------------------------------------------------------------------ */

static void int_cell(struct buf *b, json_int_t n, bool last)
{
	char text[24];
	snprintf(text, sizeof(text), "%lld", (long long)n);
	csv_cell(b, text, last);
}

char *tally_csv(const json_t *tally)
{
	struct buf b;
	buf_init(&b);
	const json_t *years = json_object_get(tally, "fiscal_years");
	size_t i, y;
	json_t *row, *year;
	csv_cell(&b, json_string_value(json_object_get(tally, "field")), false);
	csv_cell(&b, "title", false);
	json_array_foreach(years, y, year)
		csv_cell(&b, json_string_value(json_object_get(year, "short")), false);
	csv_cell(&b, "total", true);
	json_array_foreach(json_object_get(tally, "rows"), i, row) {
		csv_cell(&b, json_string_value(json_object_get(row, "value")), false);
		csv_cell(&b, json_string_value(json_object_get(json_object_get(row, "title"), "ja")), false);
		json_t *n;
		json_array_foreach(json_object_get(row, "counts"), y, n)
			int_cell(&b, json_integer_value(n), false);
		int_cell(&b, json_integer_value(json_object_get(row, "total")), true);
	}
	csv_cell(&b, "total", false);
	csv_cell(&b, "計", false);
	json_t *n;
	json_array_foreach(json_object_get(tally, "totals"), y, n)
		int_cell(&b, json_integer_value(n), false);
	int_cell(&b, json_integer_value(json_object_get(tally, "total")), true);
	buf_addc(&b, '\0');
	return buf_detach(&b);
}

char *timeline_csv(const json_t *timeline)
{
	struct buf b;
	buf_init(&b);
	static const char *const head[] = { "fiscal_year", "label", "case", "kind", "kind_title", "note" };
	for (size_t h = 0; h < 6; h++)
		csv_cell(&b, head[h], h == 5);
	size_t y, e;
	json_t *year, *entry;
	json_array_foreach(json_object_get(timeline, "fiscal_years"), y, year) {
		json_array_foreach(json_object_get(year, "entries"), e, entry) {
			csv_cell(&b, json_string_value(json_object_get(year, "short")), false);
			csv_cell(&b, json_string_value(json_object_get(entry, "label")), false);
			csv_cell(&b, json_string_value(json_object_get(entry, "case")), false);
			csv_cell(&b, json_string_value(json_object_get(entry, "kind")), false);
			csv_cell(&b, json_string_value(json_object_get(json_object_get(entry, "kind_title"), "ja")), false);
			csv_cell(&b, json_string_value(json_object_get(entry, "note")), true);
		}
	}
	buf_addc(&b, '\0');
	return buf_detach(&b);
}
