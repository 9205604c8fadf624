/*
 * templates — loading and checking notification messages, one file each.
 */
#include "templates.h"
#include "placeholder.h"
#include "util.h"
#include "ydoc.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int load_one(struct template_set *set, const char *path, const char *name, struct diag *d)
{
	size_t len;
	char *data = read_file(path, &len);
	if (!data) {
		diag_add(d, DIAG_ERROR, path, 0, 0, "cannot read the template: %s", strerror(errno));
		return -1;
	}
	struct ydoc *doc = NULL;
	int bad = 0;
	if (!utf8_valid(data, len)) {
		diag_add(d, DIAG_ERROR, path, 0, 0, "the template is not UTF-8 text");
		free(data);
		return -1;
	}
	if (ydoc_parse(path, data, len, &doc, d)) {
		free(data);
		return -1;
	}
	free(data);
	struct ydoc_reader r = { path, d };
	static const char *const keys[] = { "subject", "body", NULL };
	static const char *const langs[] = { "ja", "en", NULL };
	struct template t = { .name = xstrdup(name) };
	const struct ydoc_node *root = doc->root;
	if (!root || ydoc_expect(&r, root, YDOC_MAP, "a template")) {
		if (!root)
			diag_add(d, DIAG_ERROR, path, 0, 0, "the template is empty; it needs subject and body in ja and en");
		bad++;
		goto out;
	}
	bad += ydoc_check_keys(&r, root, "a template", keys);
	for (int part = 0; part < 2; part++) {
		const struct ydoc_node *n = ydoc_get(root, keys[part]);
		if (!n) {
			ydoc_error(&r, root, "missing '%s: { ja: …, en: … }'", keys[part]);
			bad++;
			continue;
		}
		if (ydoc_expect(&r, n, YDOC_MAP, keys[part])) {
			bad++;
			continue;
		}
		bad += ydoc_check_keys(&r, n, keys[part], langs);
		for (int lang = 0; lang < 2; lang++) {
			const struct ydoc_node *v = ydoc_get(n, langs[lang]);
			const char *s;
			if (!v) {
				ydoc_error(&r, n, "%s is missing its %s text", keys[part], lang ? "English (en)" : "Japanese (ja)");
				bad++;
				continue;
			}
			if (ydoc_read_string(&r, v, keys[part], &s) || placeholder_check(s, path, v->line, v->column, keys[part], d)) {
				bad++;
				continue;
			}
			if (part == 0 && strpbrk(s, "\r\n")) {
				ydoc_error(&r, v, "a subject is one line");
				bad++;
				continue;
			}
			(part ? t.body : t.subject)[lang] = xstrdup(s);
		}
	}
out:
	ydoc_free(doc);
	if (bad) {
		free(t.name);
		for (int i = 0; i < 2; i++) {
			free(t.subject[i]);
			free(t.body[i]);
		}
		return -1;
	}
	set->items = xrealloc(set->items, (set->n + 1) * sizeof(*set->items));
	set->items[set->n++] = t;
	return 0;
}

int templates_load(struct template_set *set, const char *dir, struct diag *d)
{
	memset(set, 0, sizeof(*set));
	DIR *dp = opendir(dir);
	if (!dp) {
		diag_add(d, DIAG_ERROR, dir, 0, 0, "cannot open the templates folder: %s", strerror(errno));
		return -1;
	}
	int bad = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml"))
			continue;
		char *path = xasprintf("%s/%s", dir, de->d_name);
		char *name = xstrndup(de->d_name, len - 5);
		if (load_one(set, path, name, d))
			bad++;
		free(path);
		free(name);
	}
	closedir(dp);
	return bad ? -1 : 0;
}

void templates_release(struct template_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->items[i].name);
		for (int k = 0; k < 2; k++) {
			free(set->items[i].subject[k]);
			free(set->items[i].body[k]);
		}
	}
	free(set->items);
	memset(set, 0, sizeof(*set));
}

const struct template *templates_find(const struct template_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->items[i].name, name))
			return &set->items[i];
	return NULL;
}
