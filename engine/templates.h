/*
 * templates — notification messages: one YAML file per template in the config's
 * templates folder, with a subject and a body in Japanese and English and
 * {{placeholder}} fields. Placeholders are checked when the file is loaded (an
 * unknown one is a config error, not a blank at send time) and escaped for where
 * the text lands when it is rendered. None of them carries personal data.
 */
#ifndef TSUNAGU_TEMPLATES_H
#define TSUNAGU_TEMPLATES_H

#include <stddef.h>

#include "diag.h"

/* The placeholders a message may use. */
extern const char *const template_placeholders[];

struct template {
	char *name;
	char *subject[2];          /* [0] ja, [1] en */
	char *body[2];
};

struct template_set {
	struct template *items;
	size_t n;
};

/* Loads every *.yaml of dir. Returns 0, or -1 with problems in d. */
int templates_load(struct template_set *set, const char *dir, struct diag *d);
void templates_release(struct template_set *set);
const struct template *templates_find(const struct template_set *set, const char *name);

/* Checks a text with placeholders (e.g. a channel's body template); problems go to d at file:line:col. */
int templates_check_text(const char *text, const char *file, int line, int column, struct diag *d);

enum template_escape {
	TEMPLATE_PLAIN,            /* as is: mail bodies, plain text */
	TEMPLATE_JSON,             /* inside a JSON string: quotes, backslashes, control characters */
};

/* Values of the placeholders, by name (NULL-terminated pairs). */
struct template_vars {
	const char *names[24];
	const char *values[24];
	size_t n;
};

void template_vars_set(struct template_vars *v, const char *name, const char *value);

/* Renders text with vars, escaped. Caller frees. */
char *template_render(const char *text, const struct template_vars *vars, enum template_escape escape);

#endif
