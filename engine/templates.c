/*
 * templates — loading, checking and rendering of notification messages.
 */
#include "templates.h"
#include "util.h"
#include "vocab.h"
#include "ydoc.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const template_placeholders[] = {
	"id", "case_id", "case_url", "pathway", "pathway_title", "pathway_title_en", "state", "state_title",
	"state_title_en", "org", "org_name", "org_name_en", "party", "template", "created_at", NULL
};

/* The placeholder name between {{ and }}, spaces trimmed. Caller frees. */
static char *placeholder_name(const char *open, const char *close)
{
	const char *a = open + 2, *b = close;
	while (a < b && *a == ' ')
		a++;
	while (b > a && b[-1] == ' ')
		b--;
	return xstrndup(a, (size_t)(b - a));
}

/* Walks the {{name}} placeholders of text; reports unknown ones and unclosed braces. */
static int check_text(const char *text, const char *file, int line, int column, const char *what, struct diag *d)
{
	int bad = 0;
	for (const char *p = strstr(text, "{{"); p; p = strstr(p, "{{")) {
		const char *end = strstr(p + 2, "}}");
		if (!end) {
			diag_add(d, DIAG_ERROR, file, line, column, "%s: '{{' without a closing '}}'", what);
			return -1;
		}
		char *name = placeholder_name(p, end);
		if (vocab_lookup(template_placeholders, name) < 0) {
			const char *near = closest_word(name, template_placeholders);
			diag_add(d, DIAG_ERROR, file, line, column, "%s: unknown placeholder {{%s}}%s%s%s", what, name,
				 near ? "; did you mean {{" : "", near ? near : "", near ? "}}?" : "");
			bad++;
		}
		free(name);
		p = end + 2;
	}
	return bad ? -1 : 0;
}

int templates_check_text(const char *text, const char *file, int line, int column, struct diag *d)
{
	return check_text(text, file, line, column, "the body template", d);
}

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
			if (ydoc_read_string(&r, v, keys[part], &s) || check_text(s, path, v->line, v->column, keys[part], d)) {
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

void template_vars_set(struct template_vars *v, const char *name, const char *value)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->names[i], name)) {
			v->values[i] = value;
			return;
		}
	if (v->n < sizeof(v->names) / sizeof(v->names[0])) {
		v->names[v->n] = name;
		v->values[v->n++] = value;
	}
}

static void add_escaped(struct buf *b, const char *s, enum template_escape escape)
{
	if (escape == TEMPLATE_PLAIN) {
		buf_adds(b, s);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		default:
			if (*p < 0x20)
				buf_printf(b, "\\u%04x", *p);
			else
				buf_addc(b, (char)*p);
		}
	}
}

char *template_render(const char *text, const struct template_vars *vars, enum template_escape escape)
{
	struct buf b;
	buf_init(&b);
	const char *p = text;
	for (;;) {
		const char *open = strstr(p, "{{");
		const char *close = open ? strstr(open + 2, "}}") : NULL;
		if (!open || !close) {
			buf_adds(&b, p);
			break;
		}
		buf_add(&b, p, (size_t)(open - p));
		char *name = placeholder_name(open, close);
		for (size_t i = 0; i < vars->n; i++)
			if (!strcmp(vars->names[i], name) && vars->values[i])
				add_escaped(&b, vars->values[i], escape);
		free(name);
		p = close + 2;
	}
	return buf_detach(&b);
}
