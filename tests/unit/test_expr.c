/* Unit tests of the expression language: parsing, checking and evaluation. */
#include "test.h"

#include "date.h"
#include "expr.h"
#include "util.h"

#include <stdlib.h>

/* A fixed schema: age-related dates, a bool, an enum and an int. */
static const char *const answers[] = { "はい", "いいえ", NULL };

static int resolve(void *ctx, const char *path, struct expr_field_info *out)
{
	static const struct { const char *path; enum expr_type type; } fields[] = {
		{ "subject.birth_date", EXPR_T_DATE }, { "checkup_date", EXPR_T_DATE },
		{ "needs_support", EXPR_T_BOOL }, { "q13", EXPR_T_STRING }, { "count", EXPR_T_INT },
		{ "note", EXPR_T_STRING },
	};
	for (int i = 0; i < (int)(sizeof(fields) / sizeof(fields[0])); i++)
		if (!strcmp(fields[i].path, path)) {
			*out = (struct expr_field_info){ .type = fields[i].type, .slot = i };
			if (!strcmp(path, "q13")) {
				out->enum_values = answers;
				out->n_enum = 2;
			}
			return 0;
		}
	return -1;
}

struct values {
	const char *birth, *checkup, *q13, *note;
	int needs_support;  /* -1 unset */
	long count;
	int has_count;
};

static int lookup(void *ctx, int slot, const char *path, struct expr_value *out)
{
	const struct values *v = ctx;
	date_days d;
	out->type = EXPR_T_NULL;
	switch (slot) {
	case 0:
	case 1: {
		const char *s = slot == 0 ? v->birth : v->checkup;
		if (s && !date_parse(s, &d))
			*out = (struct expr_value){ .type = EXPR_T_DATE, .u.d = d };
		break;
	}
	case 2:
		if (v->needs_support >= 0)
			*out = (struct expr_value){ .type = EXPR_T_BOOL, .u.b = v->needs_support };
		break;
	case 3:
		if (v->q13)
			*out = (struct expr_value){ .type = EXPR_T_STRING, .u.s = v->q13 };
		break;
	case 4:
		if (v->has_count)
			*out = (struct expr_value){ .type = EXPR_T_INT, .u.i = v->count };
		break;
	case 5:
		if (v->note)
			*out = (struct expr_value){ .type = EXPR_T_STRING, .u.s = v->note };
		break;
	}
	return 0;
}

static int eval_src(const char *src, const struct values *v)
{
	struct expr_problems p = { 0 };
	struct expr *e = expr_compile(src, resolve, NULL, &p);
	if (!e) {
		printf("    compile failed: %s: %s\n", src, p.n ? p.items[0].message : "?");
		expr_problems_release(&p);
		return -1;
	}
	bool out = false;
	date_days today;
	date_parse("2026-11-24", &today);
	int rc = expr_eval(e, lookup, (void *)v, today, &out);
	expr_free(e);
	expr_problems_release(&p);
	return rc ? -1 : out;
}

/* Compiles src expecting failure; returns the first error's text and offset. */
static char *first_error(const char *src, size_t *offset)
{
	struct expr_problems p = { 0 };
	struct expr *e = expr_compile(src, resolve, NULL, &p);
	char *msg = NULL;
	if (!e) {
		for (size_t i = 0; i < p.n && !msg; i++)
			if (!p.items[i].warning) {
				msg = xstrdup(p.items[i].message);
				if (offset)
					*offset = p.items[i].offset;
			}
	}
	expr_free(e);
	expr_problems_release(&p);
	return msg;
}

TEST(expr_age_rule_counts_birthdays)
{
	struct values v = { .birth = "1951-04-01", .checkup = "2026-03-31", .needs_support = -1 };
	CHECK_INT(eval_src("age(subject.birth_date, checkup_date) >= 75", &v), 0);
	v.checkup = "2026-04-01";
	CHECK_INT(eval_src("age(subject.birth_date, checkup_date) >= 75", &v), 1);
	v.birth = "1952-02-29";
	v.checkup = "2027-02-28";
	CHECK_INT(eval_src("age(subject.birth_date, checkup_date) == 74", &v), 1);
}

TEST(expr_or_and_not_and_in)
{
	struct values v = { .q13 = "いいえ", .needs_support = 0 };
	CHECK_INT(eval_src("q13 == 'いいえ' or needs_support", &v), 1);
	CHECK_INT(eval_src("q13 in ['はい'] and not needs_support", &v), 0);
	CHECK_INT(eval_src("q13 not in ['はい']", &v), 1);
	CHECK_INT(eval_src("not (q13 == \"はい\") and needs_support == false", &v), 1);
}

TEST(expr_missing_values_make_comparisons_false)
{
	struct values v = { .needs_support = -1 };
	CHECK_INT(eval_src("q13 == 'いいえ'", &v), 0);
	CHECK_INT(eval_src("q13 != 'いいえ'", &v), 1);
	CHECK_INT(eval_src("q13 not in ['はい']", &v), 0);
	CHECK_INT(eval_src("q13 == null", &v), 1);
	CHECK_INT(eval_src("not is_set(q13)", &v), 1);
	CHECK_INT(eval_src("age(subject.birth_date, checkup_date) >= 75", &v), 0);
	CHECK_INT(eval_src("needs_support", &v), 0);
}

TEST(expr_dates_compare_with_date_literals_and_today)
{
	struct values v = { .checkup = "2026-05-01", .needs_support = -1 };
	CHECK_INT(eval_src("checkup_date >= 2026-04-01 and checkup_date < '2027-04-01'", &v), 1);
	CHECK_INT(eval_src("checkup_date < today()", &v), 1);
	CHECK_INT(eval_src("checkup_date == date('2026-05-01')", &v), 1);
}

TEST(expr_numbers_compare)
{
	struct values v = { .count = -3, .has_count = 1, .needs_support = -1 };
	CHECK_INT(eval_src("count < 0 and count >= -3 and count in [1, -3]", &v), 1);
}

TEST(expr_errors_name_the_position)
{
	size_t off = 0;
	char *msg = first_error("q13 = 'はい'", &off);
	CHECK_CONTAINS(msg, "did you mean '=='");
	CHECK_INT(off, 4);
	free(msg);
	msg = first_error("q13 == 'はい' and unknown_field", &off);
	CHECK_CONTAINS(msg, "unknown field 'unknown_field'");
	CHECK_INT(off, strlen("q13 == 'はい' and "));
	free(msg);
	msg = first_error("agee(subject.birth_date, checkup_date) > 1", &off);
	CHECK_CONTAINS(msg, "did you mean 'age'");
	free(msg);
	msg = first_error("(q13 == 'はい'", &off);
	CHECK_CONTAINS(msg, "')'");
	free(msg);
	msg = first_error("'unterminated", &off);
	CHECK_CONTAINS(msg, "not closed");
	free(msg);
}

TEST(expr_type_errors_are_reported)
{
	char *msg = first_error("checkup_date > 3", NULL);
	CHECK_CONTAINS(msg, "cannot compare a date with a number");
	free(msg);
	msg = first_error("q13 and needs_support", NULL);
	CHECK_CONTAINS(msg, "joins true/false values");
	free(msg);
	msg = first_error("count", NULL);
	CHECK_CONTAINS(msg, "must be true or false");
	free(msg);
	msg = first_error("q13 == 'たぶん'", NULL);
	CHECK_CONTAINS(msg, "not a value of q13");
	free(msg);
	msg = first_error("note < 'a'", NULL);
	CHECK_CONTAINS(msg, "compares numbers or dates");
	free(msg);
	msg = first_error("age(checkup_date) > 3", NULL);
	CHECK_CONTAINS(msg, "takes 2 arguments");
	free(msg);
	msg = first_error("checkup_date == 2026-02-30", NULL);
	CHECK_CONTAINS(msg, "not a real date");
	free(msg);
	msg = first_error("count < 1 < 2", NULL);
	CHECK_CONTAINS(msg, "cannot be chained");
	free(msg);
}

TEST(expr_refuses_deep_nesting_and_long_input)
{
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < EXPR_MAX_DEPTH + 2; i++)
		buf_adds(&b, "(");
	buf_adds(&b, "needs_support");
	for (int i = 0; i < EXPR_MAX_DEPTH + 2; i++)
		buf_adds(&b, ")");
	char *msg = first_error(b.data, NULL);
	CHECK_CONTAINS(msg, "nested deeper");
	free(msg);
	b.len = 0;
	for (int i = 0; i < EXPR_MAX_DEPTH + 2; i++)
		buf_adds(&b, "not ");
	buf_adds(&b, "needs_support");
	msg = first_error(b.data, NULL);
	CHECK_CONTAINS(msg, "nested deeper");
	free(msg);
	b.len = 0;
	while (b.len <= EXPR_MAX_LENGTH)
		buf_adds(&b, "needs_support or ");
	buf_adds(&b, "needs_support");
	msg = first_error(b.data, NULL);
	CHECK_CONTAINS(msg, "longer than");
	free(msg);
	buf_release(&b);
}

TEST(expr_empty_and_garbage_are_errors)
{
	char *msg = first_error("   ", NULL);
	CHECK_CONTAINS(msg, "empty");
	free(msg);
	msg = first_error("needs_support needs_support", NULL);
	CHECK_CONTAINS(msg, "expected 'and', 'or' or the end");
	free(msg);
	msg = first_error("needs_support && q13 == 'はい'", NULL);
	CHECK_CONTAINS(msg, "write 'and'");
	free(msg);
	msg = first_error("q13 == はい", NULL);
	CHECK_CONTAINS(msg, "quotes");
	free(msg);
}
