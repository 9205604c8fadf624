/*
 * templates — notification messages: one YAML file per template in the config's
 * templates folder, with a subject and a body in Japanese and English and
 * {{placeholder}} fields (lib/placeholder). Placeholders are checked when the
 * file is loaded: an unknown one is a config error, not a blank at send time.
 */
#ifndef TSUNAGU_TEMPLATES_H
#define TSUNAGU_TEMPLATES_H

#include <stddef.h>

#include "diag.h"

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

#endif
