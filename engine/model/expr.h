/*
 * expr — the small, safe expression language of pathway files: eligibility rules
 * and guards. Comparisons, and/or/not, `in` lists, field paths, string, number,
 * date and bool literals, and a fixed set of functions (age, today, is_set, date).
 * No loops, no assignment, no general scripting: an expression is type-checked
 * against the pathway's declared fields when the file is compiled, and evaluates
 * in time bounded by its size.
 */
#ifndef TSUNAGU_EXPR_H
#define TSUNAGU_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "date.h"

#define EXPR_MAX_LENGTH 4096
#define EXPR_MAX_DEPTH 32
#define EXPR_MAX_LIST 256

enum expr_type {
	EXPR_T_NULL,
	EXPR_T_BOOL,
	EXPR_T_INT,
	EXPR_T_STRING,
	EXPR_T_DATE,
	EXPR_T_LIST,
};

const char *expr_type_name(enum expr_type t);

struct expr_value {
	enum expr_type type;
	union {
		bool b;
		long i;
		const char *s;     /* owned by whoever produced the value */
		date_days d;
	} u;
};

/* What the compiler knows of a field path: filled by the resolver. */
struct expr_field_info {
	enum expr_type type;
	int slot;                          /* handed back to the lookup at evaluation */
	const char *const *enum_values;    /* for enumerations: allowed texts, else NULL */
	size_t n_enum;
};

/* Returns 0 and fills *out for a known path, -1 for an unknown one. */
typedef int (*expr_resolve_fn)(void *ctx, const char *path, struct expr_field_info *out);

/* Fills *out with the value of a field (EXPR_T_NULL when unset). Returns 0 or -1. */
typedef int (*expr_lookup_fn)(void *ctx, int slot, const char *path, struct expr_value *out);

struct expr_problem {
	size_t offset;        /* byte offset into the source */
	bool warning;
	char *message;
};

struct expr_problems {
	struct expr_problem *items;
	size_t n, alloc;
};

void expr_problems_release(struct expr_problems *p);

struct expr;

/*
 * Compiles src into a boolean expression. Returns NULL when there is any error
 * (all are added to problems, with offsets); warnings are added too.
 */
struct expr *expr_compile(const char *src, expr_resolve_fn resolve, void *ctx,
			  struct expr_problems *problems);
void expr_free(struct expr *e);

const char *expr_source(const struct expr *e);

/* Calls fn for every field path the expression reads. */
void expr_each_field(const struct expr *e, void (*fn)(void *ctx, const char *path), void *ctx);

/*
 * Evaluates e. `today` is the date that today() answers. Returns 0 and *out, or -1
 * when a lookup fails. A missing value (null) makes comparisons false, except
 * `== null` and `!= null`.
 */
int expr_eval(const struct expr *e, expr_lookup_fn lookup, void *ctx, date_days today, bool *out);

#endif
