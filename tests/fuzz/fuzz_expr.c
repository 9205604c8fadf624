/*
 * Fuzz target: the expression language. Compiles the input against a small
 * schema and, when it compiles, evaluates it over fixed values.
 */
#include "expr.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const answers[] = { "はい", "いいえ", NULL };

static int resolve(void *ctx, const char *path, struct expr_field_info *out)
{
	static const struct { const char *path; enum expr_type type; } fields[] = {
		{ "subject.birth_date", EXPR_T_DATE }, { "checkup_date", EXPR_T_DATE },
		{ "needs_support", EXPR_T_BOOL }, { "q13", EXPR_T_STRING }, { "count", EXPR_T_INT },
	};
	for (int i = 0; i < 5; i++)
		if (!strcmp(fields[i].path, path)) {
			*out = (struct expr_field_info){ .type = fields[i].type, .slot = i };
			if (i == 3) {
				out->enum_values = answers;
				out->n_enum = 2;
			}
			return 0;
		}
	return -1;
}

static int lookup(void *ctx, int slot, const char *path, struct expr_value *out)
{
	switch (slot) {
	case 0: *out = (struct expr_value){ .type = EXPR_T_DATE, .u.d = -9000 }; break;
	case 1: *out = (struct expr_value){ .type = EXPR_T_DATE, .u.d = 20000 }; break;
	case 2: *out = (struct expr_value){ .type = EXPR_T_BOOL, .u.b = true }; break;
	case 3: *out = (struct expr_value){ .type = EXPR_T_STRING, .u.s = "いいえ" }; break;
	default: out->type = EXPR_T_NULL; break;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = xstrndup((const char *)data, size);
	struct expr_problems problems = { 0 };
	struct expr *e = expr_compile(src, resolve, NULL, &problems);
	if (e) {
		bool out;
		expr_eval(e, lookup, NULL, 20000, &out);
		expr_free(e);
	} else if (problems.n == 0) {
		__builtin_trap(); /* refused without saying why */
	}
	for (size_t i = 0; i < problems.n; i++)
		if (problems.items[i].offset > strlen(src))
			__builtin_trap(); /* an error must point inside the text */
	expr_problems_release(&problems);
	free(src);
	return 0;
}
