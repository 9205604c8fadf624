/*
 * ydoc — turns libyaml's event stream into a positioned tree and offers typed,
 * diagnosing reads over it. Limits on depth and size keep hostile input cheap.
 */
#include "ydoc.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YDOC_MAX_DEPTH 64
#define YDOC_MAX_NODES 200000

struct builder {
	const char *file;
	struct diag *diag;
	yaml_parser_t parser;
	size_t nodes;
	int failed;
};

static void node_free(struct ydoc_node *n)
{
	if (!n)
		return;
	free(n->value);
	for (size_t i = 0; i < n->n_pairs; i++) {
		node_free(n->pairs[i].key);
		node_free(n->pairs[i].value);
	}
	free(n->pairs);
	for (size_t i = 0; i < n->n_items; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n);
}

void ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	free(doc->file);
	free(doc);
}

static struct ydoc_node *node_new(enum ydoc_kind kind, const yaml_mark_t *mark)
{
	struct ydoc_node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->column = (int)mark->column + 1;
	return n;
}

static void syntax_error(struct builder *b)
{
	const yaml_parser_t *p = &b->parser;
	const char *problem = p->problem ? p->problem : "malformed YAML";
	int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
	if (p->error == YAML_READER_ERROR) {
		diag_add(b->diag, DIAG_ERROR, b->file, 0, 0,
			 "YAML syntax: %s (at byte %zu); expected UTF-8 text",
			 problem, p->problem_offset);
		return;
	}
	if (p->context)
		diag_add(b->diag, DIAG_ERROR, b->file, line, col,
			 "YAML syntax: %s %s (started at line %d, column %d)", problem, p->context,
			 (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	else
		diag_add(b->diag, DIAG_ERROR, b->file, line, col, "YAML syntax: %s", problem);
}

/* Reads the next event; returns 0, or -1 after reporting the error. */
static int next_event(struct builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev)) {
		syntax_error(b);
		return -1;
	}
	return 0;
}

static struct ydoc_node *parse_node(struct builder *b, yaml_event_t *ev, int depth);

static int parse_mapping(struct builder *b, struct ydoc_node *map, int depth)
{
	size_t alloc = 0;
	for (;;) {
		yaml_event_t ev;
		if (next_event(b, &ev))
			return -1;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		struct ydoc_node *key = parse_node(b, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!key)
			return -1;
		bool keep = true;
		if (key->kind != YDOC_SCALAR) {
			diag_add(b->diag, DIAG_ERROR, b->file, key->line, key->column,
				 "a key must be a plain name, not a %s", ydoc_kind_name(key->kind));
			b->failed = 1;
			keep = false;
		} else {
			for (size_t i = 0; i < map->n_pairs; i++) {
				const struct ydoc_node *k = map->pairs[i].key;
				if (strcmp(k->value, key->value) == 0) {
					diag_add(b->diag, DIAG_ERROR, b->file, key->line, key->column,
						 "duplicate key '%s' (first at line %d, column %d)",
						 key->value, k->line, k->column);
					b->failed = 1;
					break;
				}
			}
		}
		if (next_event(b, &ev)) {
			node_free(key);
			return -1;
		}
		struct ydoc_node *value = parse_node(b, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!value) {
			node_free(key);
			return -1;
		}
		/* Only text keys enter the tree: every reader may rely on key->value. */
		if (!keep) {
			node_free(key);
			node_free(value);
			continue;
		}
		grow_array(&map->pairs, &alloc, map->n_pairs, sizeof(*map->pairs));
		map->pairs[map->n_pairs].key = key;
		map->pairs[map->n_pairs].value = value;
		map->n_pairs++;
	}
}

static int parse_sequence(struct builder *b, struct ydoc_node *seq, int depth)
{
	size_t alloc = 0;
	for (;;) {
		yaml_event_t ev;
		if (next_event(b, &ev))
			return -1;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		struct ydoc_node *item = parse_node(b, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!item)
			return -1;
		grow_array(&seq->items, &alloc, seq->n_items, sizeof(*seq->items));
		seq->items[seq->n_items++] = item;
	}
}

/* Builds the node that starts with ev (which the caller deletes). */
static struct ydoc_node *parse_node(struct builder *b, yaml_event_t *ev, int depth)
{
	if (depth > YDOC_MAX_DEPTH) {
		diag_add(b->diag, DIAG_ERROR, b->file, (int)ev->start_mark.line + 1,
			 (int)ev->start_mark.column + 1, "nesting deeper than %d levels", YDOC_MAX_DEPTH);
		return NULL;
	}
	if (++b->nodes > YDOC_MAX_NODES) {
		diag_add(b->diag, DIAG_ERROR, b->file, (int)ev->start_mark.line + 1,
			 (int)ev->start_mark.column + 1, "more than %d values in one file", YDOC_MAX_NODES);
		return NULL;
	}
	struct ydoc_node *n = NULL;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		diag_add(b->diag, DIAG_ERROR, b->file, (int)ev->start_mark.line + 1,
			 (int)ev->start_mark.column + 1,
			 "aliases (*name) are not supported; write the value out in full");
		return NULL;
	case YAML_SCALAR_EVENT:
		n = node_new(YDOC_SCALAR, &ev->start_mark);
		n->value = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->block = ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
			   ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
		if (strlen(n->value) != n->len) {
			diag_add(b->diag, DIAG_ERROR, b->file, n->line, n->column,
				 "text contains a NUL character");
			b->failed = 1;
		}
		return n;
	case YAML_MAPPING_START_EVENT:
		n = node_new(YDOC_MAP, &ev->start_mark);
		if (parse_mapping(b, n, depth)) {
			node_free(n);
			return NULL;
		}
		return n;
	case YAML_SEQUENCE_START_EVENT:
		n = node_new(YDOC_SEQ, &ev->start_mark);
		if (parse_sequence(b, n, depth)) {
			node_free(n);
			return NULL;
		}
		return n;
	default:
		diag_add(b->diag, DIAG_ERROR, b->file, (int)ev->start_mark.line + 1,
			 (int)ev->start_mark.column + 1, "unexpected YAML structure");
		return NULL;
	}
}

int ydoc_parse(const char *file, const char *data, size_t len, struct ydoc **out, struct diag *d)
{
	struct builder b = { .file = file, .diag = d };
	struct ydoc *doc = xcalloc(1, sizeof(*doc));
	doc->file = xstrdup(file);
	int ret = -1;
	yaml_event_t ev;
	int have_doc = 0;

	if (!yaml_parser_initialize(&b.parser)) {
		diag_add(d, DIAG_ERROR, file, 0, 0, "cannot start the YAML parser");
		ydoc_free(doc);
		return -1;
	}
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)data, len);
	for (;;) {
		if (next_event(&b, &ev))
			goto out;
		yaml_event_type_t type = ev.type;
		if (type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (type == YAML_DOCUMENT_START_EVENT && have_doc) {
			diag_add(d, DIAG_ERROR, file, (int)ev.start_mark.line + 1,
				 (int)ev.start_mark.column + 1,
				 "a second YAML document ('---'); write one pathway or config per file");
			yaml_event_delete(&ev);
			goto out;
		}
		if (type == YAML_DOCUMENT_START_EVENT)
			have_doc = 1;
		if (type == YAML_SCALAR_EVENT || type == YAML_MAPPING_START_EVENT ||
		    type == YAML_SEQUENCE_START_EVENT || type == YAML_ALIAS_EVENT) {
			doc->root = parse_node(&b, &ev, 0);
			yaml_event_delete(&ev);
			if (!doc->root)
				goto out;
			continue;
		}
		yaml_event_delete(&ev);
	}
	/* Duplicate keys and the like are reported but still give a tree, so that
	 * the compilers can report the rest of the file's problems too. */
	*out = doc;
	doc = NULL;
	ret = 0;
out:
	yaml_parser_delete(&b.parser);
	ydoc_free(doc);
	return ret;
}

const struct ydoc_node *ydoc_get(const struct ydoc_node *map, const char *key)
{
	if (!map || map->kind != YDOC_MAP)
		return NULL;
	for (size_t i = 0; i < map->n_pairs; i++)
		if (strcmp(map->pairs[i].key->value, key) == 0)
			return map->pairs[i].value;
	return NULL;
}

const char *ydoc_kind_name(enum ydoc_kind kind)
{
	switch (kind) {
	case YDOC_SCALAR: return "single value";
	case YDOC_MAP: return "mapping (key: value)";
	case YDOC_SEQ: return "list";
	}
	return "value";
}

bool ydoc_is_null(const struct ydoc_node *n)
{
	return n && n->kind == YDOC_SCALAR && n->plain &&
	       (n->len == 0 || !strcmp(n->value, "~") || !strcmp(n->value, "null") ||
		!strcmp(n->value, "Null") || !strcmp(n->value, "NULL"));
}

static void report(const struct ydoc_reader *r, const struct ydoc_node *n,
		   enum diag_severity sev, const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap);
	diag_add(r->diag, sev, r->file, n ? n->line : 0, n ? n->column : 0, "%s", msg);
	free(msg);
}

void ydoc_error(const struct ydoc_reader *r, const struct ydoc_node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(r, n, DIAG_ERROR, fmt, ap);
	va_end(ap);
}

void ydoc_warning(const struct ydoc_reader *r, const struct ydoc_node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(r, n, DIAG_WARNING, fmt, ap);
	va_end(ap);
}

int ydoc_expect(const struct ydoc_reader *r, const struct ydoc_node *n,
		enum ydoc_kind kind, const char *what)
{
	if (n->kind == kind)
		return 0;
	ydoc_error(r, n, "%s must be a %s, found a %s", what, ydoc_kind_name(kind),
		   ydoc_kind_name(n->kind));
	return -1;
}

int ydoc_read_string(const struct ydoc_reader *r, const struct ydoc_node *n,
		     const char *what, const char **out)
{
	if (ydoc_expect(r, n, YDOC_SCALAR, what))
		return -1;
	if (ydoc_is_null(n) || n->len == 0) {
		ydoc_error(r, n, "%s must not be empty", what);
		return -1;
	}
	*out = n->value;
	return 0;
}

int ydoc_read_int(const struct ydoc_reader *r, const struct ydoc_node *n,
		  const char *what, long min, long max, long *out)
{
	if (ydoc_expect(r, n, YDOC_SCALAR, what))
		return -1;
	char *end = NULL;
	errno = 0;
	long v = strtol(n->value, &end, 10);
	if (!n->plain || n->len == 0 || *end || errno) {
		ydoc_error(r, n, "%s must be a whole number, found '%s'", what, n->value);
		return -1;
	}
	if (v < min || v > max) {
		ydoc_error(r, n, "%s must be between %ld and %ld, found %ld", what, min, max, v);
		return -1;
	}
	*out = v;
	return 0;
}

int ydoc_read_bool(const struct ydoc_reader *r, const struct ydoc_node *n,
		   const char *what, bool *out)
{
	if (ydoc_expect(r, n, YDOC_SCALAR, what))
		return -1;
	if (n->plain && (!strcmp(n->value, "true") || !strcmp(n->value, "yes"))) {
		*out = true;
		return 0;
	}
	if (n->plain && (!strcmp(n->value, "false") || !strcmp(n->value, "no"))) {
		*out = false;
		return 0;
	}
	ydoc_error(r, n, "%s must be true or false, found '%s'", what, n->value);
	return -1;
}

int ydoc_check_keys(const struct ydoc_reader *r, const struct ydoc_node *map,
		    const char *context, const char *const *allowed)
{
	int unknown = 0;
	if (!map || map->kind != YDOC_MAP)
		return 0;
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct ydoc_node *key = map->pairs[i].key;
		size_t k = 0;
		while (allowed[k] && strcmp(allowed[k], key->value))
			k++;
		if (allowed[k])
			continue;
		unknown++;
		const char *near = closest_word(key->value, allowed);
		if (near)
			ydoc_error(r, key, "unknown key '%s' in %s; did you mean '%s'?",
				   key->value, context, near);
		else {
			struct buf list;
			buf_init(&list);
			for (k = 0; allowed[k]; k++)
				buf_printf(&list, "%s%s", k ? ", " : "", allowed[k]);
			ydoc_error(r, key, "unknown key '%s' in %s; expected one of: %s",
				   key->value, context, list.data);
			buf_release(&list);
		}
	}
	return unknown;
}

json_t *ydoc_to_json(const struct ydoc_node *n, ydoc_json_fn fn, void *ctx)
{
	json_t *v;
	if (n->kind == YDOC_SEQ) {
		v = json_array();
		for (size_t i = 0; i < n->n_items; i++)
			json_array_append_new(v, ydoc_to_json(n->items[i], fn, ctx));
	} else if (n->kind == YDOC_MAP) {
		v = json_object();
		for (size_t i = 0; i < n->n_pairs; i++)
			json_object_set_new(v, n->pairs[i].key->value, ydoc_to_json(n->pairs[i].value, fn, ctx));
	} else if (n->plain && ydoc_is_null(n)) {
		v = json_null();
	} else if (n->plain && (!strcmp(n->value, "true") || !strcmp(n->value, "false"))) {
		v = json_boolean(!strcmp(n->value, "true"));
	} else {
		char *end;
		long long i = n->plain && n->len ? strtoll(n->value, &end, 10) : 0;
		v = n->plain && n->len && !*end ? json_integer(i) : json_string(n->value);
	}
	if (fn)
		fn(ctx, v, n);
	return v;
}
