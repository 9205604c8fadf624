/*
 * placeholder — {{name}} texts: the names a notification text may use (none of
 * them carries personal data), checking, and rendering with escaping.
 */
#ifndef TSUNAGU_PLACEHOLDER_H
#define TSUNAGU_PLACEHOLDER_H

#include <stddef.h>

#include "diag.h"

/* The placeholders a message may use, NULL-terminated. */
extern const char *const placeholder_names[];

/* Checks a text's placeholders (`what` names it in messages); problems go to d at file:line:column. 0 or -1. */
int placeholder_check(const char *text, const char *file, int line, int column, const char *what, struct diag *d);

enum placeholder_escape {
	PLACEHOLDER_PLAIN,         /* as is: mail bodies, plain text */
	PLACEHOLDER_JSON,          /* inside a JSON string: quotes, backslashes, control characters */
};

/* Values of the placeholders, by name. */
struct placeholder_vars {
	const char *names[24];
	const char *values[24];
	size_t n;
};

/* Sets (or replaces) the value of a placeholder; the strings are borrowed. */
void placeholder_set(struct placeholder_vars *v, const char *name, const char *value);

/* Renders text with vars, escaped. Caller frees. */
char *placeholder_render(const char *text, const struct placeholder_vars *vars, enum placeholder_escape escape);

#endif
