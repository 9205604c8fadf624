/*
 * checkup — the mapping of a CSV row (read by csvin) to an opening, and the import loop with its report.
 */
#include "checkup.h"
#include "csvin.h"
#include "token.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const columns[] = {
	"checkup_date", "person_id", "name", "kana", "birth_date", "sex", "phone", "area",
	"q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12", "q13", "q14", "q15",
	"needs_support", NULL
};
#define N_COLUMNS 24

/* ---- one row ---------------------------------------------------------------------- */

static char *trimmed(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

/* A date as YYYY-MM-DD or YYYY/MM/DD, normalised; NULL when it is neither. */
static char *date_value(const char *s)
{
	char *d = xstrdup(s);
	if (strlen(d) == 10 && d[4] == '/' && d[7] == '/')
		d[4] = d[7] = '-';
	return d;
}

/* An option number: 1, ①… (U+2460..U+2473); 0 when it is not one. */
static int option_number(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	if (strlen(s) == 3 && u[0] == 0xE2 && u[1] == 0x91 && u[2] >= 0xA0 && u[2] <= 0xB3)
		return u[2] - 0xA0 + 1;
	char *end;
	long n = strtol(s, &end, 10);
	return *s && !*end && n >= 1 && n <= 50 ? (int)n : 0;
}

static void row_fail(struct refusal *e, const char *column, const char *en, const char *ja)
{
	refusal_set(e, "invalid_field", column, "%s", en);
	refusal_ja(e, "%s", ja);
}

/* Builds the opening body of a row, of the values that can be read; every one that cannot is in *e. */
static json_t *row_body(const struct pathway *pw, const struct config *cfg, char **v, struct refusal *e)
{
	json_t *subject = json_object(), *fields = json_object();
	json_t *body = json_pack("{s:s, s:o, s:o}", "pathway", pw->id, "subject", subject, "fields", fields);
	static const char *const subject_cols[] = { "name", "kana", "birth_date", "sex", "phone", "area" };
	for (int i = 0; i < 6; i++) {
		const char *val = v[2 + i];
		if (!*val)
			continue;
		if (!strcmp(subject_cols[i], "birth_date")) {
			char *d = date_value(val);
			json_object_set_new(subject, "birth_date", json_string(d));
			free(d);
		} else if (!strcmp(subject_cols[i], "sex")) {
			const char *sex = NULL;
			if (!strcmp(val, "1") || !strcmp(val, "男") || !strcmp(val, "男性") || !strcasecmp(val, "male") ||
			    !strcasecmp(val, "M"))
				sex = "male";
			else if (!strcmp(val, "2") || !strcmp(val, "女") || !strcmp(val, "女性") ||
				 !strcasecmp(val, "female") || !strcasecmp(val, "F"))
				sex = "female";
			if (!sex)
				row_fail(e, "sex", "sex must be 1/男 or 2/女", "sex は 1（男）か 2（女）で指定してください");
			else
				json_object_set_new(subject, "sex", json_string(sex));
		} else if (!strcmp(subject_cols[i], "area")) {
			const char *area = val;
			for (size_t k = 0; k < cfg->n_areas; k++)
				if (!strcmp(cfg->areas[k].name.ja, val) || !strcmp(cfg->areas[k].name.en, val))
					area = cfg->areas[k].id;
			json_object_set_new(subject, "area", json_string(area));
		} else {
			json_object_set_new(subject, subject_cols[i], json_string(val));
		}
	}
	if (*v[0]) {
		char *d = date_value(v[0]);
		json_object_set_new(fields, "checkup_date", json_string(d));
		free(d);
	}
	if (*v[1])
		json_object_set_new(fields, "person_id", json_string(v[1]));
	for (int q = 1; q <= 15; q++) {
		const char *val = v[7 + q];
		const char *name = columns[7 + q];
		int idx = pathway_field_index(pw, name);
		if (!*val || idx < 0)
			continue;
		const struct pw_field *f = &pw->fields[idx];
		const char *text = NULL;
		int n = option_number(val);
		if (n && (size_t)n <= f->n_values)
			text = f->values[n - 1];
		/* The code, or the label printed on the form. */
		for (size_t k = 0; !text && k < f->n_values; k++) {
			const struct pw_text *label = pathway_value_title(f, f->values[k]);
			if (!strcmp(f->values[k], val) || (label && !strcmp(label->ja, val)))
				text = f->values[k];
		}
		if (!text) {
			struct buf opts;
			buf_init(&opts);
			for (size_t k = 0; k < f->n_values; k++)
				buf_printf(&opts, "%s%zu=%s", k ? ", " : "", k + 1, f->values[k]);
			char *en = xasprintf("%s: '%s' is not an answer of the form (%s)", name, val, opts.data);
			char *ja = xasprintf("%s: 「%s」は回答の選択肢にありません（%s）", name, val, opts.data);
			row_fail(e, columns[7 + q], en, ja);
			free(en);
			free(ja);
			buf_release(&opts);
			continue;
		}
		json_object_set_new(fields, name, json_string(text));
	}
	const char *ns = v[23];
	if (*ns && strcmp(ns, "0") && strcmp(ns, "1"))
		row_fail(e, "needs_support", "needs_support must be empty, 0 or 1",
			 "needs_support は空欄・0・1 のいずれかで指定してください");
	if (pathway_field_index(pw, "needs_support") >= 0)
		json_object_set_new(fields, "needs_support", json_boolean(!strcmp(ns, "1")));
	return body;
}

static const char *column_of(const char *field)
{
	if (!field)
		return NULL;
	const char *dot = strchr(field, '.');
	const char *name = dot ? dot + 1 : field;
	for (int i = 0; columns[i]; i++)
		if (!strcmp(columns[i], name))
			return columns[i];
	return NULL;
}

/* ---- the import ---------------------------------------------------------------------- */

struct report {
	json_t *opened, *not_eligible, *unchanged, *changed, *refused;
	int rows;
	bool apply;                /* apply changed rows (see changed_row) */
};

static void refuse(struct report *rep, int line, const char *column, const char *code, const char *en, const char *ja)
{
	json_t *r = json_pack("{s:i, s:s, s:s, s:s}", "row", line, "code", code, "message", en, "message_ja", ja);
	json_object_set_new(r, "column", column ? json_string(column) : json_null());
	json_array_append_new(rep->refused, r);
}

/* A row refused for every problem it has: one entry, its first problem, the others under `also`. */
static void refuse_all(struct report *rep, int line, const struct refusal *why)
{
	for (size_t i = 0; i < refusal_count(why); i++) {
		struct refusal_item it = refusal_at(why, i);
		const char *column = column_of(it.field), *ja = it.message_ja ? it.message_ja : it.message;
		if (i == 0) {
			refuse(rep, line, column, it.code, it.message, ja);
			continue;
		}
		json_t *entry = json_array_get(rep->refused, json_array_size(rep->refused) - 1);
		json_t *also = json_object_get(entry, "also");
		if (!also)
			json_object_set_new(entry, "also", also = json_array());
		json_t *p = json_pack("{s:s, s:s, s:s}", "code", it.code, "message", it.message, "message_ja", ja);
		json_object_set_new(p, "column", column ? json_string(column) : json_null());
		json_array_append_new(also, p);
	}
}

/*
 * Records a row's import, opening its case when the rule says so; `follows`
 * names the closed case a corrected row reopens the person's journey after.
 */
static int open_row(const struct flow *f, const struct pathway *pw, const struct cm_open *open, int line,
		    const char *person, const char *when, const char *digest, const json_t *cells, const char *follows,
		    date_days today, struct report *rep)
{
	bool yes = cm_eligible(pw, open, today);
	struct case_record c = { 0 };
	int ret = -1;
	if (yes && flow_open_case(f, pw, open, &c))
		goto out;
	if (store_import_put(f->core->store, pw->id, person, when, digest, yes ? c.id : NULL, yes, cells, f->now))
		goto out;
	if (yes) {
		json_t *r = json_pack("{s:i, s:s, s:s, s:s}", "row", line, "case_id", c.id, "state", c.state, "receiver",
				      c.receiver_org ? c.receiver_org : "");
		if (follows)
			json_object_set_new(r, "follows", json_string(follows));
		json_array_append_new(rep->opened, r);
	} else {
		json_array_append_new(rep->not_eligible, json_pack("{s:i}", "row", line));
	}
	ret = 0;
out:
	case_record_release(&c);
	return ret;
}

/* The columns whose value differs between two imports of a row; NULL when the first was not kept. */
static json_t *changed_columns(const json_t *before, const json_t *now)
{
	if (!json_is_object(before))
		return NULL;
	json_t *out = json_array();
	for (int i = 0; columns[i]; i++) {
		const char *a = json_string_value(json_object_get(before, columns[i]));
		const char *b = json_string_value(json_object_get(now, columns[i]));
		if (!a || !b || strcmp(a, b))
			json_array_append_new(out, json_string(columns[i]));
	}
	return out;
}

/* Is a column one of the person's details (name, kana, birth_date, sex, phone, area)? */
static bool subject_column(const char *col)
{
	return vocab_lookup(subject_field_names, col) >= 0;
}

/* The state a case entered on opening (its first event's). Caller frees; NULL when unreadable. */
static int first_state(void *ctx, const struct store_event *ev)
{
	char **out = ctx;
	*out = xstrdup(ev->to_state);
	return 1;
}

/*
 * A row imported before whose values changed. Reported with its changed
 * columns; with the `apply` flag, applied: an open case takes the change as a
 * recorded correction (the person's details and the questionnaire's fields);
 * a closed case, or a row that opened none, opens a new case where the rule
 * now routes the person elsewhere (a new case following the closed one).
 */
static int changed_row(const struct flow *f, const struct pathway *pw, const struct cm_open *open, int line,
		       const char *case_old, const json_t *cells_old, const json_t *cells, const char *digest,
		       date_days today, struct report *rep)
{
	json_t *cols = changed_columns(cells_old, cells);
	json_t *r = json_pack("{s:i, s:o, s:o}", "row", line, "case_id", case_old ? json_string(case_old) : json_null(),
			      "columns", cols ? cols : json_null());
	json_array_append_new(rep->changed, r);
	if (!rep->apply)
		return 0;
	const char *person = json_string_value(json_object_get(cells, "person_id"));
	const char *when = json_string_value(json_object_get(open->fields, "checkup_date"));
	struct flow_case l = { 0 };
	struct refusal why = { 0 };
	int ret = -1, got = case_old ? flow_case_load(f, case_old, &l) : 1;
	if (got < 0)
		goto out;
	if (got == 0 && !cm_closed(l.pw, &l.c)) {
		/* The open case takes the corrected values, each kind through its own recorded correction. */
		json_t *subject = json_object(), *fields = json_object();
		size_t i;
		json_t *col;
		json_array_foreach(cols, i, col) {
			const char *name = json_string_value(col);
			if (subject_column(name))
				json_object_set(subject, name, json_object_get(open->subject, name) ? json_object_get(open->subject, name)
												 : json_null());
			else if (json_object_get(open->fields, name))
				json_object_set(fields, name, json_object_get(open->fields, name));
		}
		if (!cols) {
			json_object_update(subject, open->subject);
			json_object_update(fields, open->fields);
		}
		int rc = FLOW_DONE;
		if (json_object_size(subject))
			rc = flow_correct_subject(f, &l, subject, &why);
		if (rc == FLOW_DONE && json_object_size(fields))
			rc = flow_correct_fields(f, &l, fields, &why);
		json_decref(subject);
		json_decref(fields);
		if (rc == FLOW_FAILED)
			goto out;
		json_object_set_new(r, "applied", json_string(rc == FLOW_DONE ? "corrected" : "refused"));
		if (rc == FLOW_REFUSED)
			json_object_set_new(r, "reason", json_string(why.message));
		ret = rc == FLOW_DONE ? store_import_put(f->core->store, pw->id, person, when, digest, case_old, true, cells,
							  f->now) : 0;
		goto out;
	}
	/* A closed case, or none: open a new one when the rule now routes the person elsewhere. */
	char *was = NULL;
	if (got == 0 && store_events_for_case(f->core->store, l.c.id, 0, first_state, &was))
		goto out;
	bool eligible = cm_eligible(pw, open, today);
	bool elsewhere = eligible && (!was || strcmp(was, pw->states[open->state].name));
	free(was);
	if (!elsewhere) {
		json_object_set_new(r, "applied", json_string("recorded"));
		ret = store_import_put(f->core->store, pw->id, person, when, digest, case_old, got == 0, cells, f->now);
		goto out;
	}
	json_object_set_new(r, "applied", json_string("opened"));
	ret = open_row(f, pw, open, line, person, when, digest, cells, case_old, today, rep);
out:
	refusal_release(&why);
	flow_case_release(&l);
	return ret;
}

/* One data row: 0 done (whatever the outcome), -1 on a storage failure. */
/*
 * A row whose cells could not all be read: the cells that could are checked
 * as an opening too (the date, the area), and what that finds about other
 * columns than those already refused is added.
 */
static void also_check_the_rest(const struct config *cfg, const struct pathway *pw, const struct flow *f,
				const json_t *body, date_days today, struct refusal *err)
{
	struct refusal rest = { 0 };
	struct cm_open open = { 0 };
	if (cm_open(cfg, pw, &f->who, body, today, &open, &rest)) {
		for (size_t i = 0; i < refusal_count(&rest); i++) {
			struct refusal_item it = refusal_at(&rest, i);
			bool known = false;
			for (size_t k = 0; k < refusal_count(err) && !known; k++) {
				struct refusal_item was = refusal_at(err, k);
				const char *a = column_of(was.field), *b = column_of(it.field);
				known = a && b && !strcmp(a, b);
			}
			if (!known) {
				refusal_set(err, it.code, it.field, "%s", it.message);
				if (it.message_ja)
					refusal_ja(err, "%s", it.message_ja);
			}
		}
	}
	cm_open_release(&open);
	refusal_release(&rest);
}

static int import_row(const struct flow *f, const struct pathway *pw,
		      struct csv_row *row, const int *map, date_days today, struct report *rep)
{
	const struct config *cfg = f->core->cfg;
	char *v[N_COLUMNS] = { 0 };
	struct cm_open open = { 0 };
	struct refusal err = { 0 };
	json_t *body = NULL;
	char *digest_old = NULL, *case_old = NULL;
	json_t *cells_old = NULL;
	int ret = 0;
	for (int i = 0; i < N_COLUMNS; i++)
		v[i] = trimmed(row->cells[map[i]]);
	/* every problem of a row at once, as the API answers a request: one fix, not one per retry */
	body = row_body(pw, cfg, v, &err);
	if (refusal_count(&err)) {
		also_check_the_rest(cfg, pw, f, body, today, &err);
		refuse_all(rep, row->line, &err);
		goto out;
	}
	if (cm_open(cfg, pw, &f->who, body, today, &open, &err)) {
		refuse_all(rep, row->line, &err);
		goto out;
	}
	struct buf canon;
	buf_init(&canon);
	for (int i = 0; i < N_COLUMNS; i++)
		buf_printf(&canon, "%s\x1f", v[i]);
	char digest[TOKEN_HASH_HEX];
	token_sha256_hex(canon.data, canon.len, digest);
	buf_release(&canon);
	const char *person = v[1];
	const char *when = json_string_value(json_object_get(open.fields, "checkup_date"));
	json_t *cells = json_object();
	for (int i = 0; i < N_COLUMNS; i++)
		json_object_set_new(cells, columns[i], json_string(v[i]));
	int rc = store_import_get(f->core->store, pw->id, person, when, &digest_old, &case_old, &cells_old);
	if (rc < 0) {
		ret = -1;
	} else if (rc == 0 && !strcmp(digest_old, digest)) {
		json_array_append_new(rep->unchanged, json_pack("{s:i, s:o}", "row", row->line, "case_id",
								case_old ? json_string(case_old) : json_null()));
	} else if (rc == 0) {
		ret = changed_row(f, pw, &open, row->line, case_old, cells_old, cells, digest, today, rep);
	} else {
		ret = open_row(f, pw, &open, row->line, person, when, digest, cells, NULL, today, rep);
	}
	json_decref(cells);
out:
	for (int i = 0; i < N_COLUMNS; i++)
		free(v[i]);
	free(digest_old);
	free(case_old);
	json_decref(cells_old);
	json_decref(body);
	cm_open_release(&open);
	refusal_release(&err);
	return ret;
}

struct checkup_import {
	const struct pathway *pw;
	date_days today;
	char *text;
	size_t text_len, pos;
	int line;
	struct csv_row header;
	int map[N_COLUMNS];
	struct report rep;
	bool done;
};

void checkup_import_free(struct checkup_import *imp)
{
	if (!imp)
		return;
	csvin_row_release(&imp->header);
	free(imp->text);
	json_decref(imp->rep.opened);
	json_decref(imp->rep.not_eligible);
	json_decref(imp->rep.unchanged);
	json_decref(imp->rep.changed);
	json_decref(imp->rep.refused);
	free(imp);
}

struct checkup_import *checkup_import_begin(const struct pathway *pw, const char *data, size_t len, bool apply_changes,
					    date_days today, struct refusal *err)
{
	struct checkup_import *imp = xcalloc(1, sizeof(*imp));
	imp->pw = pw;
	imp->today = today;
	imp->line = 1;
	imp->text = csvin_decode(data, len, &imp->text_len);
	if (!imp->text) {
		refusal_set(err, "invalid_encoding", NULL, "the file is neither UTF-8 nor CP932 (Shift_JIS) text");
		refusal_ja(err, "ファイルが UTF-8 でも CP932（Shift_JIS）でもありません");
		goto fail;
	}
	if (csvin_next(imp->text, imp->text_len, &imp->pos, &imp->line, &imp->header) != 0) {
		refusal_set(err, "missing_header", NULL, "the file needs a header row: %s", "checkup_date, person_id, name, …");
		refusal_ja(err, "1 行目に見出し（checkup_date, person_id, name, …）が必要です");
		goto fail;
	}
	int *map = imp->map;
	for (int i = 0; i < N_COLUMNS; i++)
		map[i] = -1;
	/* Every problem of the header at once: a file exported wrongly usually has several. */
	int bad = 0;
	const struct csv_row *header = &imp->header;
	for (size_t k = 0; k < header->n; k++) {
		char *name = trimmed(header->cells[k]);
		int i = vocab_lookup(columns, name);
		if (i < 0) {
			refusal_set(err, "unknown_column", name, "unknown column '%s' in the header (line 1, column %zu)", name, k + 1);
			refusal_ja(err, "見出しの列「%s」（1 行目 %zu 列目）は知らない列です", name, k + 1);
			bad++;
		} else if (map[i] >= 0) {
			refusal_set(err, "duplicate_column", name, "column '%s' appears twice in the header", name);
			refusal_ja(err, "見出しに列「%s」が 2 回あります", name);
			bad++;
		} else {
			map[i] = (int)k;
		}
		free(name);
	}
	for (int i = 0; i < N_COLUMNS; i++)
		if (map[i] < 0) {
			refusal_set(err, "missing_column", columns[i], "the header lacks the column '%s'", columns[i]);
			refusal_ja(err, "見出しに列「%s」がありません", columns[i]);
			bad++;
		}
	if (bad)
		goto fail;
	imp->rep = (struct report){ json_array(), json_array(), json_array(), json_array(), json_array(), 0, apply_changes };
	return imp;
fail:
	checkup_import_free(imp);
	return NULL;
}

int checkup_import_step(struct checkup_import *imp, const struct flow *f, int max_rows)
{
	struct report *rep = &imp->rep;
	const struct csv_row *header = &imp->header;
	struct csv_row row;
	int rc = 1;
	for (int taken = 0; !imp->done && (max_rows <= 0 || taken < max_rows); taken++) {
		rc = csvin_next(imp->text, imp->text_len, &imp->pos, &imp->line, &row);
		if (rc != 0) {
			if (rc < 0)
				refuse(rep, imp->line, NULL, "invalid_row", "a quoted value is not closed before the end of the file",
				       "引用符で始まる値がファイルの終わりまで閉じられていません");
			imp->done = true;
			break;
		}
		if (row.n == 1 && !row.cells[0][0]) {
			csvin_row_release(&row);
			continue; /* an empty line */
		}
		if (++rep->rows > CHECKUP_MAX_ROWS) {
			csvin_row_release(&row);
			imp->done = true;
			break;
		}
		if (row.n != header->n) {
			char *en = xasprintf("expected %zu columns, found %zu", header->n, row.n);
			char *ja = xasprintf("列の数が %zu のはずが %zu です", header->n, row.n);
			refuse(rep, row.line, NULL, "invalid_row", en, ja);
			free(en);
			free(ja);
		} else if (import_row(f, imp->pw, &row, imp->map, imp->today, rep)) {
			csvin_row_release(&row);
			return -1;
		}
		csvin_row_release(&row);
	}
	return imp->done ? 0 : 1;
}

json_t *checkup_import_report(struct checkup_import *imp)
{
	struct report *rep = &imp->rep;
	/* the lists move into the report: it may be written out on another thread, apart from imp */
	json_t *result = json_pack("{s:s, s:i, s:o, s:o, s:o, s:o, s:o}", "pathway", imp->pw->id, "rows", rep->rows,
				   "opened", rep->opened, "not_eligible", rep->not_eligible, "unchanged", rep->unchanged,
				   "changed", rep->changed, "refused", rep->refused);
	rep->opened = rep->not_eligible = rep->unchanged = rep->changed = rep->refused = NULL;
	if (rep->rows > CHECKUP_MAX_ROWS)
		json_object_set_new(result, "truncated_after", json_integer(CHECKUP_MAX_ROWS));
	return result;
}
