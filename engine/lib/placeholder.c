/*
 * placeholder — texts with {{name}} placeholders: the names a notification
 * text may use (none of them carries personal data), checking a text for
 * unknown or unclosed ones at file:line:column, and rendering it with values
 * escaped for where the text lands (plain, or inside a JSON string).
 */
#include "placeholder.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char *const placeholder_names[] = {
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

static bool known(const char *name)
{
	for (size_t i = 0; placeholder_names[i]; i++)
		if (!strcmp(placeholder_names[i], name))
			return true;
	return false;
}

/* Walks the {{name}} placeholders of text; reports unknown ones and unclosed braces. */
int placeholder_check(const char *text, const char *file, int line, int column, const char *what, struct diag *d)
{
	int bad = 0;
	for (const char *p = strstr(text, "{{"); p; p = strstr(p, "{{")) {
		const char *end = strstr(p + 2, "}}");
		if (!end) {
			diag_add(d, DIAG_ERROR, file, line, column, "%s: '{{' without a closing '}}'", what);
			return -1;
		}
		char *name = placeholder_name(p, end);
		if (!known(name)) {
			const char *near = closest_word(name, placeholder_names);
			diag_add(d, DIAG_ERROR, file, line, column, "%s: unknown placeholder {{%s}}%s%s%s", what, name,
				 near ? "; did you mean {{" : "", near ? near : "", near ? "}}?" : "");
			bad++;
		}
		free(name);
		p = end + 2;
	}
	return bad ? -1 : 0;
}

void placeholder_set(struct placeholder_vars *v, const char *name, const char *value)
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

static void add_escaped(struct buf *b, const char *s, enum placeholder_escape escape)
{
	if (escape == PLACEHOLDER_PLAIN) {
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

char *placeholder_render(const char *text, const struct placeholder_vars *vars, enum placeholder_escape escape)
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
