/*
 * pathway — the compiler from a pathway file's YAML tree to the immutable
 * state machine of pathway.h, and the lookups the engine runs on it. The
 * compiler never stops at the first problem: it reports everything it can find
 * in one pass, so that a coordinator fixes a file in one go.
 */
#include "pathway.h"
#include "util.h"
#include "ydoc.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define PW_MAX_NAME 64
#define PW_MAX_STATES 256
#define PW_MAX_ACTIONS 1024
#define PW_MAX_FIELDS 512
#define PW_MAX_ENUM 256
#define PW_DEFAULT_TEXT_LENGTH 2000
#define PW_MAX_TEXT_LENGTH 20000

const char *const subject_field_names[SUBJECT_FIELD_COUNT + 1] = {
	"name", "kana", "birth_date", "sex", "phone", "area", NULL
};

const char *const link_count_names[] = { "proposed", "joined", "declined", "ended", "active", NULL };

const char *const consent_field_names[] = {
	"obtained_by", "obtained_at", "method", "scope", NULL
};

static const char *const consent_methods[] = { "written", "verbal", NULL };

struct compiler {
	struct ydoc_reader r;
	struct pathway *pw;
	int unresolved_targets;    /* reachability means nothing while a target is unknown */
};

/* ---- small readers ---------------------------------------------------------- */

static bool valid_name(const char *s, bool dash)
{
	size_t n = strlen(s);
	if (n == 0 || n > PW_MAX_NAME || !((s[0] >= 'a' && s[0] <= 'z')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (dash && c == '-')))
			return false;
	}
	return true;
}

/* Reads a name: lower-case letters, digits and '_', starting with a letter. */
static int read_name(struct compiler *c, const struct ydoc_node *n, const char *what, const char **out)
{
	const char *s;
	if (ydoc_read_string(&c->r, n, what, &s))
		return -1;
	if (!valid_name(s, false)) {
		ydoc_error(&c->r, n, "%s '%s' must be lower-case letters, digits and '_', starting with a letter (at most %d)",
			   what, s, PW_MAX_NAME);
		return -1;
	}
	*out = s;
	return 0;
}

int pathway_read_text(struct ydoc_reader *r, const struct ydoc_node *n, const char *what, struct pw_text *out)
{
	static const char *const keys[] = { "ja", "en", NULL };
	if (n->kind == YDOC_SCALAR) {
		ydoc_error(r, n, "%s must give both languages: { ja: …, en: … }", what);
		return -1;
	}
	if (ydoc_expect(r, n, YDOC_MAP, what))
		return -1;
	int bad = ydoc_check_keys(r, n, what, keys);
	const struct ydoc_node *ja = ydoc_get(n, "ja"), *en = ydoc_get(n, "en");
	const char *sja = NULL, *sen = NULL;
	if (!ja) {
		ydoc_error(r, n, "%s is missing its Japanese text (ja)", what);
		bad++;
	} else if (ydoc_read_string(r, ja, "the ja text", &sja)) {
		bad++;
	}
	if (!en) {
		ydoc_error(r, n, "%s is missing its English text (en)", what);
		bad++;
	} else if (ydoc_read_string(r, en, "the en text", &sen)) {
		bad++;
	}
	if (bad)
		return -1;
	out->ja = xstrdup(sja);
	out->en = xstrdup(sen);
	return 0;
}

static int read_text(struct compiler *c, const struct ydoc_node *n, const char *what, struct pw_text *out)
{
	return pathway_read_text(&c->r, n, what, out);
}

static void text_free(struct pw_text *t)
{
	free(t->ja);
	free(t->en);
}

/* Reads one word of a vocabulary table, suggesting the closest on a typo. */
static int read_vocab(struct compiler *c, const struct ydoc_node *n, const char *what,
		      const char *const *table, int *out)
{
	const char *s;
	if (ydoc_read_string(&c->r, n, what, &s))
		return -1;
	int v = vocab_lookup(table, s);
	if (v >= 0) {
		*out = v;
		return 0;
	}
	const char *near = closest_word(s, table);
	if (near) {
		ydoc_error(&c->r, n, "unknown %s '%s'; did you mean '%s'?", what, s, near);
	} else {
		struct buf b;
		buf_init(&b);
		for (size_t i = 0; table[i]; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", table[i]);
		ydoc_error(&c->r, n, "unknown %s '%s'; expected one of: %s", what, s, b.data);
		buf_release(&b);
	}
	return -1;
}

/* A list of vocabulary words (a single word is accepted as a list of one) into a mask. */
static int read_vocab_mask(struct compiler *c, const struct ydoc_node *n, const char *what,
			   const char *const *table, int limit, uint32_t *out)
{
	uint32_t mask = 0;
	int bad = 0;
	if (n->kind == YDOC_SCALAR) {
		int v;
		if (read_vocab(c, n, what, table, &v))
			return -1;
		if (v >= limit) {
			ydoc_error(&c->r, n, "%s '%s' is not allowed here", what, table[v]);
			return -1;
		}
		*out = MASK(v);
		return 0;
	}
	if (ydoc_expect(&c->r, n, YDOC_SEQ, what))
		return -1;
	for (size_t i = 0; i < n->n_items; i++) {
		int v;
		if (read_vocab(c, n->items[i], what, table, &v)) {
			bad++;
			continue;
		}
		if (v >= limit) {
			ydoc_error(&c->r, n->items[i], "%s '%s' is not allowed here", what, table[v]);
			bad++;
			continue;
		}
		if (mask & MASK(v))
			ydoc_warning(&c->r, n->items[i], "%s '%s' is listed twice", what, table[v]);
		mask |= MASK(v);
	}
	if (bad)
		return -1;
	*out = mask;
	return 0;
}

/* ---- fields ------------------------------------------------------------------ */

static int field_index(const struct pathway *pw, const char *name)
{
	for (size_t i = 0; i < pw->n_fields; i++)
		if (!strcmp(pw->fields[i].name, name))
			return (int)i;
	return -1;
}

static int read_visibility(struct compiler *c, const struct ydoc_node *n, struct pw_field *f)
{
	if (n->kind != YDOC_MAP)
		return read_vocab_mask(c, n, "party", party_names, PARTY_NONE, &f->visible_parties);
	static const char *const keys[] = { "parties", "roles", NULL };
	int bad = ydoc_check_keys(&c->r, n, "visible_to", keys);
	const struct ydoc_node *parties = ydoc_get(n, "parties"), *roles = ydoc_get(n, "roles");
	if (parties && read_vocab_mask(c, parties, "party", party_names, PARTY_NONE, &f->visible_parties))
		bad++;
	if (roles && read_vocab_mask(c, roles, "role", role_names, ROLE_SYSTEM, &f->visible_roles))
		bad++;
	if (!parties && !roles) {
		ydoc_error(&c->r, n, "visible_to needs parties, roles or both");
		bad++;
	}
	return bad ? -1 : 0;
}

/*
 * A field's type: either a type name (`reason: text`) or a mapping with `type`
 * and its details. Fills f (name already set); returns 0 or -1.
 */
static int read_field_spec(struct compiler *c, const struct ydoc_node *n, struct pw_field *f)
{
	static const char *const keys[] = {
		"type", "title", "values", "max_length", "min", "max", "visible_to", "when", "pathways", NULL
	};
	int type, bad = 0;
	f->line = n->line;
	f->column = n->column;
	f->max_length = PW_DEFAULT_TEXT_LENGTH;
	f->min = -1000000000L;
	f->max = 1000000000L;
	if (n->kind == YDOC_SCALAR) {
		if (read_vocab(c, n, "field type", field_type_names, &type))
			return -1;
		f->type = type;
		if (type == FIELD_ENUM) {
			ydoc_error(&c->r, n, "an enum field needs its values: { type: enum, values: [...] }");
			return -1;
		}
		if (type == FIELD_CASES) {
			ydoc_error(&c->r, n, "a cases field names the pathways of its cases: { type: cases, pathways: [...] }");
			return -1;
		}
		return 0;
	}
	if (ydoc_expect(&c->r, n, YDOC_MAP, "a field"))
		return -1;
	bad += ydoc_check_keys(&c->r, n, "a field", keys);
	const struct ydoc_node *t = ydoc_get(n, "type");
	if (!t) {
		ydoc_error(&c->r, n, "field '%s' is missing 'type' (one of text, date, enum, bool, int, org, resource, orgs, "
			   "cases)", f->name);
		return -1;
	}
	if (read_vocab(c, t, "field type", field_type_names, &type))
		return -1;
	f->type = type;
	const struct ydoc_node *v;
	if ((v = ydoc_get(n, "title")) && read_text(c, v, "the field's title", &f->title))
		bad++;
	v = ydoc_get(n, "values");
	if (type == FIELD_ENUM && !v) {
		ydoc_error(&c->r, n, "enum field '%s' needs its values: values: [...]", f->name);
		bad++;
	} else if (v && type != FIELD_ENUM) {
		ydoc_error(&c->r, v, "only an enum field has values; '%s' is %s", f->name, field_type_names[type]);
		bad++;
	} else if (v && (v->kind == YDOC_SEQ || v->kind == YDOC_MAP)) {
		/* values: [code, …], or { code: { ja: …, en: … }, … } with the labels people read */
		bool labelled = v->kind == YDOC_MAP;
		size_t n_values = labelled ? v->n_pairs : v->n_items;
		if (n_values == 0 || n_values > PW_MAX_ENUM) {
			ydoc_error(&c->r, v, "an enum needs between 1 and %d values", PW_MAX_ENUM);
			bad++;
		}
		f->values = xcalloc(n_values ? n_values : 1, sizeof(char *));
		f->value_titles = xcalloc(n_values ? n_values : 1, sizeof(*f->value_titles));
		for (size_t i = 0; i < n_values; i++) {
			const struct ydoc_node *item = labelled ? v->pairs[i].key : v->items[i];
			const char *s;
			if (ydoc_read_string(&c->r, item, "an enum value", &s)) {
				bad++;
				continue;
			}
			for (size_t k = 0; k < f->n_values; k++)
				if (!strcmp(f->values[k], s)) {
					ydoc_error(&c->r, item, "duplicate value '%s' in %s", s, f->name);
					bad++;
				}
			if (labelled && read_text(c, v->pairs[i].value, "a value's label", &f->value_titles[f->n_values]))
				bad++;
			f->values[f->n_values++] = xstrdup(s);
		}
	} else if (v) {
		ydoc_error(&c->r, v, "values must be a list of codes, or codes with their labels { code: { ja: …, en: … } }");
		bad++;
	}
	if ((v = ydoc_get(n, "when"))) {
		static const char *const tenses[] = { "any", "past", "future", NULL };
		int tense;
		if (type != FIELD_DATE) {
			ydoc_error(&c->r, v, "'when' is for date fields (past: a date that happened; future: one planned)");
			bad++;
		} else if (read_vocab(c, v, "when", tenses, &tense)) {
			bad++;
		} else {
			f->tense = (enum pw_tense)tense;
		}
	}
	long num;
	if ((v = ydoc_get(n, "max_length"))) {
		if (type != FIELD_TEXT) {
			ydoc_error(&c->r, v, "max_length is for text fields");
			bad++;
		} else if (ydoc_read_int(&c->r, v, "max_length", 1, PW_MAX_TEXT_LENGTH, &num)) {
			bad++;
		} else {
			f->max_length = (size_t)num;
		}
	}
	for (int which = 0; which < 2; which++) {
		const char *key = which ? "max" : "min";
		if (!(v = ydoc_get(n, key)))
			continue;
		if (type != FIELD_INT) {
			ydoc_error(&c->r, v, "%s is for int fields", key);
			bad++;
		} else if (ydoc_read_int(&c->r, v, key, -1000000000L, 1000000000L, &num)) {
			bad++;
		} else if (which) {
			f->max = num;
		} else {
			f->min = num;
		}
	}
	if (f->min > f->max) {
		ydoc_error(&c->r, n, "min is larger than max");
		bad++;
	}
	if ((v = ydoc_get(n, "visible_to")) && read_visibility(c, v, f))
		bad++;
	v = ydoc_get(n, "pathways");
	if (type == FIELD_CASES && !v) {
		ydoc_error(&c->r, n, "cases field '%s' needs 'pathways': the pathways whose cases it may name", f->name);
		bad++;
	} else if (v && type != FIELD_CASES) {
		ydoc_error(&c->r, v, "only a cases field names pathways; '%s' is %s", f->name, field_type_names[type]);
		bad++;
	} else if (v && ydoc_expect(&c->r, v, YDOC_SEQ, "a list of pathway ids")) {
		bad++;
	} else if (v) {
		f->pathways = xcalloc(v->n_items ? v->n_items : 1, sizeof(char *));
		for (size_t i = 0; i < v->n_items; i++) {
			const char *s;
			if (ydoc_read_string(&c->r, v->items[i], "pathway id", &s)) {
				bad++;
			} else if (!valid_name(s, true)) {
				ydoc_error(&c->r, v->items[i], "pathway id '%s' must be lower-case letters, digits, '-' and '_'", s);
				bad++;
			} else {
				f->pathways[f->n_pathways++] = xstrdup(s);
			}
		}
		if (!f->n_pathways) {
			ydoc_error(&c->r, v, "name at least one pathway");
			bad++;
		}
	}
	return bad ? -1 : 0;
}

static void field_release(struct pw_field *f)
{
	free(f->name);
	text_free(&f->title);
	for (size_t i = 0; i < f->n_values; i++) {
		free(f->values[i]);
		if (f->value_titles)
			text_free(&f->value_titles[i]);
	}
	free(f->values);
	free(f->value_titles);
	for (size_t i = 0; i < f->n_pathways; i++)
		free(f->pathways[i]);
	free(f->pathways);
}

const struct pw_text *pathway_value_title(const struct pw_field *f, const char *value)
{
	for (size_t i = 0; value && i < f->n_values; i++)
		if (!strcmp(f->values[i], value))
			return f->value_titles && f->value_titles[i].ja ? &f->value_titles[i] : NULL;
	return NULL;
}

static bool same_field_type(const struct pw_field *a, const struct pw_field *b)
{
	if (a->type != b->type || a->n_values != b->n_values)
		return false;
	for (size_t i = 0; i < a->n_values; i++)
		if (strcmp(a->values[i], b->values[i]))
			return false;
	return true;
}

/* Declares a field, or checks an inline declaration against the existing one. */
static int declare_field(struct compiler *c, const struct ydoc_node *key, const struct ydoc_node *spec)
{
	struct pathway *pw = c->pw;
	const char *name;
	if (read_name(c, key, "field name", &name))
		return -1;
	struct pw_field f = { .name = xstrdup(name) };
	if (read_field_spec(c, spec, &f)) {
		field_release(&f);
		return -1;
	}
	if (!strcmp(name, "receiver") && f.type != FIELD_ORG) {
		ydoc_error(&c->r, spec, "the field 'receiver' names an organisation: its type must be org");
		field_release(&f);
		return -1;
	}
	int idx = field_index(pw, name);
	if (idx >= 0) {
		if (!same_field_type(&pw->fields[idx], &f)) {
			ydoc_error(&c->r, key, "field '%s' is declared at line %d with another type", name,
				   pw->fields[idx].line);
			field_release(&f);
			return -1;
		}
		field_release(&f);
		return idx;
	}
	if (pw->n_fields >= PW_MAX_FIELDS) {
		ydoc_error(&c->r, key, "more than %d fields", PW_MAX_FIELDS);
		field_release(&f);
		return -1;
	}
	pw->fields = xrealloc(pw->fields, (pw->n_fields + 1) * sizeof(*pw->fields));
	pw->fields[pw->n_fields] = f;
	return (int)pw->n_fields++;
}

static int compile_fields(struct compiler *c, const struct ydoc_node *n)
{
	if (ydoc_expect(&c->r, n, YDOC_MAP, "fields"))
		return -1;
	int bad = 0;
	for (size_t i = 0; i < n->n_pairs; i++)
		if (declare_field(c, n->pairs[i].key, n->pairs[i].value) < 0)
			bad++;
	return bad ? -1 : 0;
}

/* A reference to a declared field by name, with a suggestion on a typo. */
static int lookup_field(struct compiler *c, const struct ydoc_node *n)
{
	const char *name;
	if (ydoc_read_string(&c->r, n, "a field name", &name))
		return -1;
	int idx = field_index(c->pw, name);
	if (idx >= 0)
		return idx;
	const char **names = xcalloc(c->pw->n_fields + 1, sizeof(char *));
	for (size_t i = 0; i < c->pw->n_fields; i++)
		names[i] = c->pw->fields[i].name;
	const char *near = closest_word(name, names);
	if (near)
		ydoc_error(&c->r, n, "unknown field '%s'; did you mean '%s'?", name, near);
	else
		ydoc_error(&c->r, n, "unknown field '%s'; declare it under 'fields:' or give its type here", name);
	free(names);
	return -1;
}

static int add_field_use(struct compiler *c, const struct ydoc_node *where, int idx, bool required,
			 struct pw_field_use **uses, size_t *n_uses)
{
	for (size_t k = 0; k < *n_uses; k++)
		if ((*uses)[k].field == idx) {
			ydoc_error(&c->r, where, "field '%s' is listed twice", c->pw->fields[idx].name);
			return -1;
		}
	*uses = xrealloc(*uses, (*n_uses + 1) * sizeof(**uses));
	(*uses)[(*n_uses)++] = (struct pw_field_use){ idx, required };
	return 0;
}

/*
 * The fields an action (or the opening) takes: a list of declared field names, or
 * a mapping name -> type that declares them inline.
 */
static int read_field_uses(struct compiler *c, const struct ydoc_node *n, bool required,
			   struct pw_field_use **uses, size_t *n_uses)
{
	int bad = 0;
	if (n->kind == YDOC_SCALAR && !ydoc_is_null(n)) {
		ydoc_error(&c->r, n, "expected a list of field names or a mapping of field: type");
		return -1;
	}
	size_t count = n->kind == YDOC_MAP ? n->n_pairs : n->kind == YDOC_SEQ ? n->n_items : 0;
	for (size_t i = 0; i < count; i++) {
		int idx;
		const struct ydoc_node *where;
		if (n->kind == YDOC_MAP) {
			where = n->pairs[i].key;
			idx = declare_field(c, n->pairs[i].key, n->pairs[i].value);
		} else {
			where = n->items[i];
			idx = lookup_field(c, n->items[i]);
		}
		if (idx < 0) {
			bad++;
			continue;
		}
		if (add_field_use(c, where, idx, required, uses, n_uses))
			bad++;
	}
	return bad ? -1 : 0;
}

/* ---- expressions ---------------------------------------------------------------- */

static int count_columns(const char *s, size_t bytes)
{
	int cols = 0;
	for (size_t i = 0; i < bytes && s[i]; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			cols++;
	return cols;
}

static struct expr *compile_expr(struct compiler *c, const struct ydoc_node *n, const char *what)
{
	const char *src;
	if (ydoc_read_string(&c->r, n, what, &src))
		return NULL;
	struct expr_problems problems = { 0 };
	struct expr *e = expr_compile(src, pathway_resolve_path, c->pw, &problems);
	for (size_t i = 0; i < problems.n; i++) {
		const struct expr_problem *p = &problems.items[i];
		enum diag_severity sev = p->warning ? DIAG_WARNING : DIAG_ERROR;
		if (!n->block && !strchr(src, '\n'))
			diag_add(c->r.diag, sev, c->r.file, n->line,
				 n->column + (n->plain ? 0 : 1) + count_columns(src, p->offset),
				 "in %s: %s", what, p->message);
		else
			diag_add(c->r.diag, sev, c->r.file, n->line, n->column,
				 "in %s, at character %d: %s", what, count_columns(src, p->offset) + 1,
				 p->message);
	}
	expr_problems_release(&problems);
	return e;
}

int pathway_resolve_path(void *pathway, const char *path, struct expr_field_info *out)
{
	const struct pathway *pw = pathway;
	if (pw->no_subject && (!strncmp(path, "subject.", 8) || !strncmp(path, "consent.", 8)))
		return -1;
	if (!strncmp(path, "subject.", 8)) {
		int i = vocab_lookup(subject_field_names, path + 8);
		if (i < 0)
			return -1;
		*out = (struct expr_field_info){
			.type = i == SUBJECT_BIRTH_DATE ? EXPR_T_DATE : EXPR_T_STRING,
			.slot = PW_SLOT_SUBJECT + i,
		};
		return 0;
	}
	if (!strncmp(path, "consent.", 8)) {
		int i = vocab_lookup(consent_field_names, path + 8);
		if (i < 0)
			return -1;
		*out = (struct expr_field_info){
			.type = !strcmp(path + 8, "obtained_at") ? EXPR_T_DATE : EXPR_T_STRING,
			.slot = PW_SLOT_CONSENT + i,
		};
		if (!strcmp(path + 8, "method")) {
			out->enum_values = consent_methods;
			out->n_enum = 2;
		}
		return 0;
	}
	if (!strncmp(path, "links.", 6)) {
		int i = vocab_lookup(link_count_names, path + 6);
		if (i < 0)
			return -1;
		*out = (struct expr_field_info){ .type = EXPR_T_INT, .slot = PW_SLOT_LINKS + i };
		return 0;
	}
	if (!strncmp(path, "fields.", 7))
		path += 7;
	int idx = field_index(pw, path);
	if (idx < 0)
		return -1;
	const struct pw_field *f = &pw->fields[idx];
	if (f->type == FIELD_ORGS || f->type == FIELD_CASES)
		return -1;
	static const enum expr_type types[FIELD_TYPE_COUNT] = {
		[FIELD_TEXT] = EXPR_T_STRING, [FIELD_DATE] = EXPR_T_DATE, [FIELD_ENUM] = EXPR_T_STRING,
		[FIELD_BOOL] = EXPR_T_BOOL, [FIELD_INT] = EXPR_T_INT, [FIELD_ORG] = EXPR_T_STRING,
		[FIELD_RESOURCE] = EXPR_T_STRING,
	};
	*out = (struct expr_field_info){
		.type = types[f->type],
		.slot = PW_SLOT_FIELD + idx,
		.enum_values = (const char *const *)f->values,
		.n_enum = f->n_values,
	};
	return 0;
}

/* ---- states, actions, timers -------------------------------------------------- */

static int state_index_of(const struct pathway *pw, const char *name)
{
	for (size_t i = 0; i < pw->n_states; i++)
		if (!strcmp(pw->states[i].name, name))
			return (int)i;
	return -1;
}

static int read_target(struct compiler *c, const struct ydoc_node *n, const char *what)
{
	const char *name;
	if (ydoc_read_string(&c->r, n, what, &name))
		return -1;
	int idx = state_index_of(c->pw, name);
	if (idx >= 0)
		return idx;
	c->unresolved_targets++;
	const char **names = xcalloc(c->pw->n_states + 1, sizeof(char *));
	for (size_t i = 0; i < c->pw->n_states; i++)
		names[i] = c->pw->states[i].name;
	const char *near = closest_word(name, names);
	if (near)
		ydoc_error(&c->r, n, "unknown state '%s' in %s; did you mean '%s'?", name, what, near);
	else
		ydoc_error(&c->r, n, "unknown state '%s' in %s; declare it under 'states:'", name, what);
	free(names);
	return -1;
}

static int intern_action(struct pathway *pw, const char *name)
{
	for (size_t i = 0; i < pw->n_action_names; i++)
		if (!strcmp(pw->action_names[i], name))
			return (int)i;
	pw->action_names = xrealloc(pw->action_names, (pw->n_action_names + 1) * sizeof(char *));
	pw->action_names[pw->n_action_names] = xstrdup(name);
	return (int)pw->n_action_names++;
}

/* A constant for `sets:`, of the field's type. */
static int read_setting(struct compiler *c, const struct ydoc_node *key, const struct ydoc_node *val,
			struct pw_setting *out)
{
	int idx = lookup_field(c, key);
	if (idx < 0)
		return -1;
	const struct pw_field *f = &c->pw->fields[idx];
	out->field = idx;
	if (ydoc_expect(&c->r, val, YDOC_SCALAR, "a value to set"))
		return -1;
	switch (f->type) {
	case FIELD_BOOL: {
		bool b;
		if (ydoc_read_bool(&c->r, val, f->name, &b))
			return -1;
		out->value = (struct expr_value){ .type = EXPR_T_BOOL, .u.b = b };
		return 0;
	}
	case FIELD_INT: {
		long v;
		if (ydoc_read_int(&c->r, val, f->name, f->min, f->max, &v))
			return -1;
		out->value = (struct expr_value){ .type = EXPR_T_INT, .u.i = v };
		return 0;
	}
	case FIELD_DATE: {
		date_days d;
		if (date_parse(val->value, &d)) {
			ydoc_error(&c->r, val, "%s must be a date YYYY-MM-DD", f->name);
			return -1;
		}
		out->value = (struct expr_value){ .type = EXPR_T_DATE, .u.d = d };
		return 0;
	}
	case FIELD_ENUM: {
		size_t i = 0;
		while (i < f->n_values && strcmp(f->values[i], val->value))
			i++;
		if (i == f->n_values) {
			ydoc_error(&c->r, val, "'%s' is not a value of %s", val->value, f->name);
			return -1;
		}
	}
		/* fall through */
	default:
		out->text = xstrdup(val->value);
		out->value = (struct expr_value){ .type = EXPR_T_STRING, .u.s = out->text };
		return 0;
	}
}

static int compile_action(struct compiler *c, struct pw_state *st, const struct ydoc_node *key,
			  const struct ydoc_node *n, struct pw_action *a)
{
	static const char *const keys[] = {
		"to", "by", "parties", "title", "requires", "optional", "sets", "when", "route", NULL
	};
	int bad = 0;
	const char *name;
	a->line = key->line;
	a->column = key->column;
	a->target = -1;
	if (read_name(c, key, "action name", &name))
		return -1;
	a->name = xstrdup(name);
	a->id = intern_action(c->pw, name);
	if (ydoc_expect(&c->r, n, YDOC_MAP, "an action"))
		return -1;
	bad += ydoc_check_keys(&c->r, n, "an action", keys);
	const struct ydoc_node *v;
	if (!(v = ydoc_get(n, "to"))) {
		ydoc_error(&c->r, n, "action '%s' is missing 'to' (the state it leads to)", name);
		bad++;
	} else if ((a->target = read_target(c, v, "'to'")) < 0) {
		bad++;
	}
	if (!(v = ydoc_get(n, "by"))) {
		ydoc_error(&c->r, n, "action '%s' is missing 'by' (the roles that may take it)", name);
		bad++;
	} else if (read_vocab_mask(c, v, "role", role_names, ROLE_MONITOR, &a->by)) {
		bad++;
	}
	if ((v = ydoc_get(n, "parties")) &&
	    read_vocab_mask(c, v, "party", party_names, PARTY_NONE, &a->parties))
		bad++;
	if ((v = ydoc_get(n, "title")) && read_text(c, v, "the action's title", &a->title))
		bad++;
	if ((v = ydoc_get(n, "requires")) && read_field_uses(c, v, true, &a->fields, &a->n_fields))
		bad++;
	if ((v = ydoc_get(n, "optional")) && read_field_uses(c, v, false, &a->fields, &a->n_fields))
		bad++;
	for (size_t i = 0; i < a->n_fields; i++)
		if (!strcmp(c->pw->fields[a->fields[i].field].name, "receiver"))
			a->changes_receiver = true;
	if ((v = ydoc_get(n, "sets")) && !ydoc_expect(&c->r, v, YDOC_MAP, "sets")) {
		a->sets = xcalloc(v->n_pairs ? v->n_pairs : 1, sizeof(*a->sets));
		for (size_t i = 0; i < v->n_pairs; i++) {
			if (read_setting(c, v->pairs[i].key, v->pairs[i].value, &a->sets[a->n_sets]))
				bad++;
			else
				a->n_sets++;
		}
	} else if (v && v->kind != YDOC_MAP) {
		bad++;
	}
	if ((v = ydoc_get(n, "when")) && !(a->guard = compile_expr(c, v, "the action's 'when' rule")))
		bad++;
	if ((v = ydoc_get(n, "route"))) {
		static const char *const routes[] = { "area", NULL };
		int r;
		if (read_vocab(c, v, "route", routes, &r)) {
			bad++;
		} else if (!c->pw->receiver_by_area) {
			ydoc_error(&c->r, v, "'route: area' hands the case to the receiver its area is routed to: the pathway's "
				   "receiver needs 'route: area'");
			bad++;
		} else if (a->changes_receiver) {
			ydoc_error(&c->r, v, "an action either names its receiver or takes the area's: not both");
			bad++;
		} else {
			a->reroutes = true;
		}
	}
	(void)st;
	return bad ? -1 : 0;
}

static int read_notify(struct compiler *c, const struct ydoc_node *n, struct pw_notify *out)
{
	static const char *const keys[] = { "to", "template", NULL };
	if (ydoc_expect(&c->r, n, YDOC_MAP, "a notification"))
		return -1;
	out->line = n->line;
	out->column = n->column;
	int bad = ydoc_check_keys(&c->r, n, "a notification", keys);
	const struct ydoc_node *to = ydoc_get(n, "to"), *tpl = ydoc_get(n, "template");
	int party;
	const char *name;
	if (!to) {
		ydoc_error(&c->r, n, "a notification needs 'to' (origin, receiver, assignee or coordinator)");
		bad++;
	} else if (read_vocab(c, to, "party", party_names, &party)) {
		bad++;
	} else if (party == PARTY_NONE || party == PARTY_PROVIDER) {
		ydoc_error(&c->r, to, "a notification goes to origin, receiver, assignee or coordinator");
		bad++;
	} else {
		out->to = party;
	}
	if (!tpl) {
		ydoc_error(&c->r, n, "a notification needs 'template' (the message's name)");
		bad++;
	} else if (read_name(c, tpl, "template name", &name)) {
		bad++;
	} else if (!bad) {
		out->template_name = xstrdup(name);
	}
	return bad ? -1 : 0;
}

/* "3 business_days", "1 month": a positive amount and a unit (singular accepted). */
static int read_duration(struct compiler *c, const struct ydoc_node *n, struct pw_timer *t)
{
	const char *s;
	if (ydoc_read_string(&c->r, n, "'after'", &s))
		return -1;
	char *end;
	errno = 0;
	long amount = strtol(s, &end, 10);
	const char *unit = end;
	while (*unit == ' ')
		unit++;
	if (end == s || errno || unit == end || amount < 1 || amount > 100000) {
		ydoc_error(&c->r, n, "malformed duration '%s'; expected a whole number and a unit, e.g. '3 business_days' (units: minutes, hours, days, business_days, weeks, months)", s);
		return -1;
	}
	int u = vocab_lookup(unit_names, unit);
	if (u < 0) {
		char *plural = xasprintf("%ss", unit);
		u = vocab_lookup(unit_names, plural);
		free(plural);
	}
	if (u < 0) {
		const char *near = closest_word(unit, unit_names);
		ydoc_error(&c->r, n, "unknown unit '%s' in duration '%s'%s%s%s; units: minutes, hours, days, business_days, weeks, months",
			   unit, s, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
		return -1;
	}
	t->amount = amount;
	t->unit = u;
	return 0;
}

static int compile_timer(struct compiler *c, struct pw_state *st, const struct ydoc_node *n,
			 struct pw_timer *t, size_t index)
{
	static const char *const keys[] = { "name", "after", "at", "notify", "action", NULL };
	int bad = 0;
	t->line = n->line;
	t->column = n->column;
	t->at_field = -1;
	t->action = -1;
	if (ydoc_expect(&c->r, n, YDOC_MAP, "a timer"))
		return -1;
	bad += ydoc_check_keys(&c->r, n, "a timer", keys);
	const struct ydoc_node *after = ydoc_get(n, "after"), *at = ydoc_get(n, "at");
	const struct ydoc_node *notify = ydoc_get(n, "notify"), *action = ydoc_get(n, "action");
	const struct ydoc_node *name = ydoc_get(n, "name");
	const char *s;
	if (after && at) {
		ydoc_error(&c->r, at, "a timer has either 'after' or 'at', not both");
		bad++;
	} else if (!after && !at) {
		ydoc_error(&c->r, n, "a timer needs 'after: N unit' or 'at: a date field'");
		bad++;
	} else if (after && read_duration(c, after, t)) {
		bad++;
	} else if (at) {
		int idx = lookup_field(c, at);
		if (idx < 0)
			bad++;
		else if (c->pw->fields[idx].type != FIELD_DATE) {
			ydoc_error(&c->r, at, "'at' needs a date field; '%s' is %s", c->pw->fields[idx].name,
				   field_type_names[c->pw->fields[idx].type]);
			bad++;
		} else {
			t->at_field = idx;
		}
	}
	if (notify && action) {
		ydoc_error(&c->r, action, "a timer either notifies or takes an action, not both; use two timers");
		bad++;
	} else if (!notify && !action) {
		ydoc_error(&c->r, n, "a timer needs 'notify: {to, template}' or 'action: NAME'");
		bad++;
	} else if (notify && read_notify(c, notify, &t->notify)) {
		bad++;
	} else if (action && !ydoc_read_string(&c->r, action, "the timer's action", &s)) {
		for (size_t i = 0; i < st->n_actions; i++)
			if (st->actions[i].name && !strcmp(st->actions[i].name, s))
				t->action = (int)i;
		if (t->action < 0) {
			ydoc_error(&c->r, action, "timer action '%s' is not an action of state '%s'", s, st->name);
			bad++;
		} else if (!(st->actions[t->action].by & MASK(ROLE_SYSTEM))) {
			ydoc_error(&c->r, action, "timer action '%s' must allow the role 'system' in its 'by'", s);
			bad++;
		}
	} else if (action) {
		bad++;
	}
	if (name) {
		if (read_name(c, name, "timer name", &s))
			bad++;
		else
			t->name = xstrdup(s);
	} else if (t->action >= 0) {
		t->name = xstrdup(st->actions[t->action].name);
	} else if (t->notify.template_name) {
		t->name = xstrdup(t->notify.template_name);
	} else {
		t->name = xasprintf("timer%zu", index + 1);
	}
	return bad ? -1 : 0;
}

/*
 * on_link: { joined: ACTION, … } — when a link of the case to a resource reaches
 * the status while the case is in this state, the system takes the action. It
 * must allow the role system and need no fields: nobody is there to fill them.
 */
static int compile_on_link(struct compiler *c, struct pw_state *st, const struct ydoc_node *n)
{
	if (st->final) {
		ydoc_error(&c->r, n, "a final state has no on_link: the case has ended");
		return -1;
	}
	if (ydoc_expect(&c->r, n, YDOC_MAP, "on_link"))
		return -1;
	int bad = 0;
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct ydoc_node *key = n->pairs[i].key, *value = n->pairs[i].value;
		int status;
		const char *name;
		if (read_vocab(c, key, "link status", link_status_names, &status) ||
		    ydoc_read_string(&c->r, value, "an action of this state", &name)) {
			bad++;
			continue;
		}
		int a = -1;
		for (size_t k = 0; k < st->n_actions; k++)
			if (st->actions[k].name && !strcmp(st->actions[k].name, name))
				a = (int)k;
		if (a < 0) {
			ydoc_error(&c->r, value, "on_link action '%s' is not an action of state '%s'", name, st->name);
			bad++;
			continue;
		}
		const struct pw_action *act = &st->actions[a];
		if (!(act->by & MASK(ROLE_SYSTEM))) {
			ydoc_error(&c->r, value, "on_link action '%s' must allow the role 'system' in its 'by'", name);
			bad++;
			continue;
		}
		for (size_t k = 0; k < act->n_fields; k++)
			if (act->fields[k].required) {
				ydoc_error(&c->r, value, "on_link action '%s' requires '%s', which the system cannot give; "
					   "make it optional or use another action", name, c->pw->fields[act->fields[k].field].name);
				bad++;
				break;
			}
		st->on_link[status] = a;
	}
	return bad ? -1 : 0;
}

/* A state's inbox: whose work it is (none for a final state). */
static int compile_inbox(struct compiler *c, struct pw_state *st, const struct ydoc_node *n)
{
	const struct ydoc_node *v = ydoc_get(n, "inbox");
	int party;
	if (!v) {
		if (st->final)
			return 0;
		ydoc_error(&c->r, n, "state '%s' needs 'inbox' (origin, receiver, assignee or coordinator): whose work it is", st->name);
		return -1;
	}
	if (read_vocab(c, v, "inbox", party_names, &party))
		return -1;
	if (party == PARTY_PROVIDER) {
		ydoc_error(&c->r, v, "a case cannot sit in a resource provider's inbox");
		return -1;
	}
	if (st->final && party != PARTY_NONE) {
		ydoc_error(&c->r, v, "a final state sits in no inbox");
		return -1;
	}
	st->inbox = party;
	return 0;
}

/* Is code declared under the pathway's `outcomes:`? */
static bool declared_outcome(const struct compiler *c, const char *code)
{
	for (size_t i = 0; i < c->pw->n_outcomes; i++)
		if (!strcmp(c->pw->outcomes[i].code, code))
			return true;
	return false;
}

/* A final state's outcome: a declared code, or an enum field whose values are all declared codes. */
static int compile_outcome(struct compiler *c, struct pw_state *st, const struct ydoc_node *n)
{
	const struct ydoc_node *outcome = ydoc_get(n, "outcome"), *from = ydoc_get(n, "outcome_from");
	if ((outcome || from) && !st->final) {
		ydoc_error(&c->r, outcome ? outcome : from, "only a final state has an outcome");
		return -1;
	}
	if (outcome && from) {
		ydoc_error(&c->r, from, "a final state has either 'outcome' or 'outcome_from', not both");
		return -1;
	}
	if (outcome) {
		const char *code;
		if (ydoc_read_string(&c->r, outcome, "outcome", &code))
			return -1;
		if (!declared_outcome(c, code)) {
			ydoc_error(&c->r, outcome, "outcome '%s' is not declared under 'outcomes:'", code);
			return -1;
		}
		st->outcome = xstrdup(code);
		return 0;
	}
	if (from) {
		int idx = lookup_field(c, from);
		if (idx < 0)
			return -1;
		const struct pw_field *f = &c->pw->fields[idx];
		if (f->type != FIELD_ENUM) {
			ydoc_error(&c->r, from, "outcome_from needs an enum field of outcome codes");
			return -1;
		}
		int bad = 0;
		for (size_t k = 0; k < f->n_values; k++)
			if (!declared_outcome(c, f->values[k])) {
				ydoc_error(&c->r, from, "value '%s' of %s is not declared under 'outcomes:'", f->values[k],
					   f->name);
				bad++;
			}
		st->outcome_field = idx;
		return bad ? -1 : 0;
	}
	if (st->final) {
		ydoc_error(&c->r, n, "final state '%s' needs 'outcome: CODE' or 'outcome_from: FIELD'", st->name);
		return -1;
	}
	return 0;
}

/* The notifications of entering a state: one {to, template} or a list of them. */
static int compile_state_notify(struct compiler *c, struct pw_state *st, const struct ydoc_node *v)
{
	if (v->kind == YDOC_MAP) {
		st->notify = xcalloc(1, sizeof(*st->notify));
		if (read_notify(c, v, &st->notify[0]))
			return -1;
		st->n_notify = 1;
		return 0;
	}
	if (ydoc_expect(&c->r, v, YDOC_SEQ, "notify"))
		return -1;
	int bad = 0;
	st->notify = xcalloc(v->n_items ? v->n_items : 1, sizeof(*st->notify));
	for (size_t i = 0; i < v->n_items; i++) {
		if (read_notify(c, v->items[i], &st->notify[st->n_notify]))
			bad++;
		else
			st->n_notify++;
	}
	return bad ? -1 : 0;
}

static int compile_state_actions(struct compiler *c, struct pw_state *st, const struct ydoc_node *v)
{
	if (st->final) {
		ydoc_error(&c->r, v, "a final state has no actions: the case has ended");
		return -1;
	}
	if (ydoc_expect(&c->r, v, YDOC_MAP, "actions"))
		return -1;
	int bad = 0;
	st->actions = xcalloc(v->n_pairs ? v->n_pairs : 1, sizeof(*st->actions));
	st->n_actions = v->n_pairs;
	for (size_t i = 0; i < v->n_pairs; i++)
		if (compile_action(c, st, v->pairs[i].key, v->pairs[i].value, &st->actions[i]))
			bad++;
	return bad ? -1 : 0;
}

static int compile_state_timers(struct compiler *c, struct pw_state *st, const struct ydoc_node *v)
{
	if (st->final) {
		ydoc_error(&c->r, v, "a final state has no timers: the case has ended");
		return -1;
	}
	if (ydoc_expect(&c->r, v, YDOC_SEQ, "timers"))
		return -1;
	int bad = 0;
	st->timers = xcalloc(v->n_items ? v->n_items : 1, sizeof(*st->timers));
	for (size_t i = 0; i < v->n_items; i++) {
		struct pw_timer *t = &st->timers[st->n_timers++];
		if (compile_timer(c, st, v->items[i], t, i))
			bad++;
		for (size_t k = 0; t->name && k + 1 < st->n_timers; k++)
			if (st->timers[k].name && !strcmp(st->timers[k].name, t->name)) {
				ydoc_error(&c->r, v->items[i], "duplicate timer name '%s' in state '%s'; give each a distinct 'name'",
					   t->name, st->name);
				bad++;
			}
	}
	return bad ? -1 : 0;
}

static int compile_state(struct compiler *c, struct pw_state *st, const struct ydoc_node *n)
{
	static const char *const keys[] = {
		"title", "inbox", "milestone", "final", "outcome", "outcome_from", "notify", "timers",
		"actions", "on_link", NULL
	};
	int bad = 0;
	st->outcome_field = -1;
	for (int k = 0; k < LINK_STATUS_COUNT; k++)
		st->on_link[k] = -1;
	st->inbox = PARTY_NONE;
	if (ydoc_expect(&c->r, n, YDOC_MAP, "a state"))
		return -1;
	bad += ydoc_check_keys(&c->r, n, "a state", keys);
	const struct ydoc_node *v;
	if (!(v = ydoc_get(n, "title"))) {
		ydoc_error(&c->r, n, "state '%s' is missing its title: { ja: …, en: … }", st->name);
		bad++;
	} else if (read_text(c, v, "the state's title", &st->title)) {
		bad++;
	}
	if ((v = ydoc_get(n, "final")) && ydoc_read_bool(&c->r, v, "final", &st->final))
		bad++;
	int m;
	if ((v = ydoc_get(n, "milestone"))) {
		if (read_vocab(c, v, "milestone", milestone_names, &m))
			bad++;
		else
			st->milestone = m;
	}
	bad += compile_inbox(c, st, n) != 0;
	bad += compile_outcome(c, st, n) != 0;
	if ((v = ydoc_get(n, "notify")))
		bad += compile_state_notify(c, st, v) != 0;
	if ((v = ydoc_get(n, "actions")))
		bad += compile_state_actions(c, st, v) != 0;
	if ((v = ydoc_get(n, "timers")))
		bad += compile_state_timers(c, st, v) != 0;
	if ((v = ydoc_get(n, "on_link")) && compile_on_link(c, st, v))
		bad++;
	if (!st->final && st->n_actions == 0) {
		diag_add(c->r.diag, DIAG_ERROR, c->r.file, st->line, st->column,
			 "state '%s' is not final and has no actions: a case would be stuck there (add actions, or 'final: true' with an outcome)",
			 st->name);
		bad++;
	}
	return bad ? -1 : 0;
}

/* ---- pathway level ------------------------------------------------------------- */

static int compile_opened_by(struct compiler *c, const struct ydoc_node *n)
{
	static const char *const keys[] = { "roles", "org_kinds", NULL };
	if (ydoc_expect(&c->r, n, YDOC_MAP, "opened_by"))
		return -1;
	int bad = ydoc_check_keys(&c->r, n, "opened_by", keys);
	const struct ydoc_node *roles = ydoc_get(n, "roles"), *kinds = ydoc_get(n, "org_kinds");
	if (!roles) {
		ydoc_error(&c->r, n, "opened_by needs 'roles': who may open a case");
		bad++;
	} else if (read_vocab_mask(c, roles, "role", role_names, ROLE_MONITOR, &c->pw->open_roles)) {
		bad++;
	}
	if (kinds && read_vocab_mask(c, kinds, "organisation kind", org_kind_names, ORG_KIND_COUNT,
				     &c->pw->open_kinds))
		bad++;
	return bad ? -1 : 0;
}

static int compile_receiver(struct compiler *c, const struct ydoc_node *n)
{
	static const char *const keys[] = { "kinds", "route", NULL };
	static const char *const routes[] = { "area", "action", NULL };
	if (n->kind != YDOC_MAP) {
		c->pw->receiver_by_area = true;
		return read_vocab_mask(c, n, "organisation kind", org_kind_names, ORG_KIND_COUNT,
				       &c->pw->receiver_kinds);
	}
	int bad = ydoc_check_keys(&c->r, n, "receiver", keys);
	const struct ydoc_node *kinds = ydoc_get(n, "kinds"), *route = ydoc_get(n, "route");
	if (!kinds) {
		ydoc_error(&c->r, n, "receiver needs 'kinds': which organisation kinds may receive");
		bad++;
	} else if (read_vocab_mask(c, kinds, "organisation kind", org_kind_names, ORG_KIND_COUNT,
				   &c->pw->receiver_kinds)) {
		bad++;
	}
	int r = 0;
	if (route && read_vocab(c, route, "route", routes, &r))
		bad++;
	c->pw->receiver_by_area = r == 0;
	return bad ? -1 : 0;
}

/* consent: { covers: [kinds], purpose: { ja, en } } */
static int compile_consent(struct compiler *c, const struct ydoc_node *n)
{
	static const char *const keys[] = { "covers", "purpose", NULL };
	if (ydoc_expect(&c->r, n, YDOC_MAP, "consent"))
		return -1;
	int bad = ydoc_check_keys(&c->r, n, "consent", keys);
	const struct ydoc_node *covers = ydoc_get(n, "covers"), *purpose = ydoc_get(n, "purpose");
	if (!covers) {
		ydoc_error(&c->r, n, "consent needs 'covers': the kinds of organisation the person's details may pass to");
		bad++;
	} else if (read_vocab_mask(c, covers, "organisation kind", org_kind_names, ORG_KIND_COUNT,
				   &c->pw->consent_covers)) {
		bad++;
	} else if (!c->pw->consent_covers) {
		ydoc_error(&c->r, covers, "consent covers at least one kind of organisation");
		bad++;
	}
	if (purpose && read_text(c, purpose, "the consent's purpose", &c->pw->consent_purpose))
		bad++;
	return bad ? -1 : 0;
}

kind_mask pathway_consent_covers(const struct pathway *pw)
{
	return pw->consent_covers ? pw->consent_covers : pw->receiver_kinds | MASK(ORG_RESOURCE_PROVIDER);
}

static int compile_requires(struct compiler *c, const struct ydoc_node *n, bool required)
{
	struct pathway *pw = c->pw;
	const char *what = required ? "requires" : "optional";
	if (ydoc_expect(&c->r, n, YDOC_SEQ, what))
		return -1;
	int bad = 0;
	for (size_t i = 0; i < n->n_items; i++) {
		const char *s;
		const struct ydoc_node *item = n->items[i];
		if (ydoc_read_string(&c->r, item, "a required item", &s)) {
			bad++;
			continue;
		}
		if (pw->no_subject && (!strncmp(s, "subject.", 8) || !strcmp(s, "consent"))) {
			ydoc_error(&c->r, item, "a pathway of 'subject: none' keeps no person's details and no consent: "
				   "remove '%s'", s);
			bad++;
			continue;
		}
		if (!strncmp(s, "subject.", 8)) {
			int f = vocab_lookup(subject_field_names, s + 8);
			if (f < 0) {
				const char *near = closest_word(s + 8, subject_field_names);
				ydoc_error(&c->r, item, "unknown subject field '%s'%s%s%s; subject fields: name, kana, birth_date, sex, phone, area",
					   s, near ? "; did you mean 'subject." : "", near ? near : "", near ? "'?" : "");
				bad++;
			} else if (required) {
				pw->subject_required |= MASK(f);
			}
			continue;
		}
		if (!strcmp(s, "consent")) {
			if (required)
				pw->consent_required = true;
			continue;
		}
		int idx = lookup_field(c, item);
		if (idx < 0 || add_field_use(c, item, idx, required, &pw->open_fields, &pw->n_open_fields))
			bad++;
	}
	return bad ? -1 : 0;
}

static int compile_outcomes(struct compiler *c, const struct ydoc_node *n)
{
	if (ydoc_expect(&c->r, n, YDOC_MAP, "outcomes"))
		return -1;
	int bad = 0;
	c->pw->outcomes = xcalloc(n->n_pairs ? n->n_pairs : 1, sizeof(*c->pw->outcomes));
	for (size_t i = 0; i < n->n_pairs; i++) {
		const char *code;
		struct pw_outcome *o = &c->pw->outcomes[c->pw->n_outcomes];
		if (read_name(c, n->pairs[i].key, "outcome code", &code)) {
			bad++;
			continue;
		}
		if (read_text(c, n->pairs[i].value, "the outcome's title", &o->title)) {
			bad++;
			continue;
		}
		o->code = xstrdup(code);
		c->pw->n_outcomes++;
	}
	return bad ? -1 : 0;
}

static int compile_start(struct compiler *c, const struct ydoc_node *n)
{
	struct pathway *pw = c->pw;
	static const char *const keys[] = { "when", "to", NULL };
	if (n->kind == YDOC_SCALAR) {
		int t = read_target(c, n, "'start'");
		if (t < 0)
			return -1;
		pw->start = xcalloc(1, sizeof(*pw->start));
		pw->start[0].target = t;
		pw->n_start = 1;
		return 0;
	}
	if (ydoc_expect(&c->r, n, YDOC_SEQ, "start") || n->n_items == 0) {
		if (n->kind == YDOC_SEQ)
			ydoc_error(&c->r, n, "start needs at least one route");
		return -1;
	}
	int bad = 0;
	pw->start = xcalloc(n->n_items, sizeof(*pw->start));
	for (size_t i = 0; i < n->n_items; i++) {
		const struct ydoc_node *item = n->items[i];
		struct pw_route *r = &pw->start[pw->n_start++];
		r->target = -1;
		if (ydoc_expect(&c->r, item, YDOC_MAP, "a start route")) {
			bad++;
			continue;
		}
		bad += ydoc_check_keys(&c->r, item, "a start route", keys);
		const struct ydoc_node *to = ydoc_get(item, "to"), *when = ydoc_get(item, "when");
		if (!to) {
			ydoc_error(&c->r, item, "a start route needs 'to'");
			bad++;
		} else if ((r->target = read_target(c, to, "'start'")) < 0) {
			bad++;
		}
		bool last = i + 1 == n->n_items;
		if (when && !(r->when = compile_expr(c, when, "the start route's 'when' rule")))
			bad++;
		if (!when && !last) {
			ydoc_error(&c->r, item, "only the last start route may go without 'when'; later routes could never be taken");
			bad++;
		}
		if (when && last) {
			ydoc_error(&c->r, item, "the last start route must have no 'when': it is where every other case goes");
			bad++;
		}
	}
	return bad ? -1 : 0;
}

static void check_reachability(struct compiler *c)
{
	struct pathway *pw = c->pw;
	bool *seen = xcalloc(pw->n_states, sizeof(bool));
	int *queue = xcalloc(pw->n_states, sizeof(int));
	size_t head = 0, tail = 0;
	for (size_t i = 0; i < pw->n_start; i++)
		if (pw->start[i].target >= 0 && !seen[pw->start[i].target]) {
			seen[pw->start[i].target] = true;
			queue[tail++] = pw->start[i].target;
		}
	while (head < tail) {
		const struct pw_state *st = &pw->states[queue[head++]];
		for (size_t i = 0; i < st->n_actions; i++) {
			int t = st->actions[i].target;
			if (t >= 0 && !seen[t]) {
				seen[t] = true;
				queue[tail++] = t;
			}
		}
	}
	for (size_t i = 0; i < pw->n_states; i++)
		if (!seen[i])
			diag_add(c->r.diag, DIAG_ERROR, c->r.file, pw->states[i].line, pw->states[i].column,
				 "state '%s' is unreachable: no start route and no action leads to it",
				 pw->states[i].name);
	free(seen);
	free(queue);
}

static void build_transitions(struct pathway *pw)
{
	size_t cells = pw->n_states * (pw->n_action_names ? pw->n_action_names : 1);
	pw->transitions = xmalloc(cells * sizeof(int16_t));
	for (size_t i = 0; i < cells; i++)
		pw->transitions[i] = -1;
	for (size_t s = 0; s < pw->n_states; s++)
		for (size_t a = 0; a < pw->states[s].n_actions; a++)
			pw->transitions[s * pw->n_action_names + pw->states[s].actions[a].id] = (int16_t)a;
}

static void digest_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < md_len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

/* The pathway's header: id, version, title and description. */
static int compile_header(struct compiler *c, const struct ydoc_node *root)
{
	struct pathway *pw = c->pw;
	const struct ydoc_node *v;
	const char *s;
	int bad = 0;
	if (!(v = ydoc_get(root, "pathway"))) {
		ydoc_error(&c->r, root, "missing 'pathway: ID' (the pathway's id)");
		bad++;
	} else if (ydoc_read_string(&c->r, v, "pathway id", &s)) {
		bad++;
	} else if (!valid_name(s, true)) {
		ydoc_error(&c->r, v, "pathway id '%s' must be lower-case letters, digits, '-' and '_', starting with a letter (at most %d)",
			   s, PW_MAX_NAME);
		bad++;
	} else {
		pw->id = xstrdup(s);
	}
	if (!(v = ydoc_get(root, "version"))) {
		ydoc_error(&c->r, root, "missing 'version: N' (a whole number, raised on every change)");
		bad++;
	} else if (ydoc_read_int(&c->r, v, "version", 1, 1000000, &pw->version)) {
		bad++;
	}
	if (!(v = ydoc_get(root, "title"))) {
		ydoc_error(&c->r, root, "missing 'title: { ja: …, en: … }'");
		bad++;
	} else if (read_text(c, v, "the pathway's title", &pw->title)) {
		bad++;
	}
	if ((v = ydoc_get(root, "description")) && read_text(c, v, "the description", &pw->description))
		bad++;
	return bad;
}

/* An enum of outcome codes given as codes alone reads its labels from `outcomes:`. */
static void label_outcome_values(struct pathway *pw)
{
	for (size_t i = 0; i < pw->n_fields; i++) {
		struct pw_field *f = &pw->fields[i];
		if (f->type != FIELD_ENUM || !f->value_titles)
			continue;
		for (size_t k = 0; k < f->n_values; k++)
			for (size_t o = 0; !f->value_titles[k].ja && o < pw->n_outcomes; o++)
				if (!strcmp(pw->outcomes[o].code, f->values[k])) {
					f->value_titles[k].ja = xstrdup(pw->outcomes[o].title.ja);
					f->value_titles[k].en = xstrdup(pw->outcomes[o].title.en);
				}
	}
}

/* subject: person (the default: a case is about a person) or none (a record about no person). */
static int compile_subject(struct compiler *c, const struct ydoc_node *n)
{
	static const char *const kinds[] = { "person", "none", NULL };
	int kind = 0;
	if (read_vocab(c, n, "subject", kinds, &kind))
		return -1;
	c->pw->no_subject = kind == 1;
	return 0;
}

/* Who opens, who receives, the fields, outcomes, requirements and the eligibility rule. */
static int compile_terms(struct compiler *c, const struct ydoc_node *root)
{
	struct pathway *pw = c->pw;
	const struct ydoc_node *v;
	int bad = 0;
	if ((v = ydoc_get(root, "subject")) && compile_subject(c, v))
		bad++;
	if (!(v = ydoc_get(root, "opened_by"))) {
		ydoc_error(&c->r, root, "missing 'opened_by: { roles: [...] }' (who may open a case)");
		bad++;
	} else if (compile_opened_by(c, v)) {
		bad++;
	}
	if (pw->no_subject && (v = ydoc_get(root, "receiver"))) {
		ydoc_error(&c->r, v, "a record of 'subject: none' stays with the organisation that opened it: remove "
			   "'receiver'");
		bad++;
	} else if (!pw->no_subject && !(v = ydoc_get(root, "receiver"))) {
		ydoc_error(&c->r, root, "missing 'receiver' (the organisation kind that receives the handoff)");
		bad++;
	} else if (!pw->no_subject && compile_receiver(c, v)) {
		bad++;
	}
	if ((v = ydoc_get(root, "fields")) && compile_fields(c, v))
		bad++;
	if ((v = ydoc_get(root, "outcomes")) && compile_outcomes(c, v))
		bad++;
	if ((v = ydoc_get(root, "requires")) && compile_requires(c, v, true))
		bad++;
	if ((v = ydoc_get(root, "optional")) && compile_requires(c, v, false))
		bad++;
	if ((v = ydoc_get(root, "eligibility")) &&
	    !(pw->eligibility = compile_expr(c, v, "the eligibility rule")))
		bad++;
	if ((v = ydoc_get(root, "consent")) && pw->no_subject) {
		ydoc_error(&c->r, v, "a pathway of 'subject: none' takes no consent: remove 'consent'");
		bad++;
	} else if (v && compile_consent(c, v)) {
		bad++;
	}
	label_outcome_values(c->pw);
	return bad;
}

/*
 * The states: names first, so that actions can lead to states declared below
 * them (a duplicated state was reported by the YAML reader and is left out
 * here), then each state. -1 when there are no states to compile at all.
 */
static int compile_states(struct compiler *c, const struct ydoc_node *root, const struct ydoc_node **states_out)
{
	struct pathway *pw = c->pw;
	const struct ydoc_node *states = ydoc_get(root, "states");
	*states_out = states;
	if (!states) {
		ydoc_error(&c->r, root, "missing 'states:' (the steps of the pathway)");
		return -1;
	}
	if (ydoc_expect(&c->r, states, YDOC_MAP, "states"))
		return -1;
	if (states->n_pairs == 0 || states->n_pairs > PW_MAX_STATES) {
		ydoc_error(&c->r, states, "a pathway needs between 1 and %d states", PW_MAX_STATES);
		return -1;
	}
	int bad = 0;
	const char *s;
	pw->states = xcalloc(states->n_pairs, sizeof(*pw->states));
	const struct ydoc_node **bodies = xcalloc(states->n_pairs, sizeof(*bodies));
	for (size_t i = 0; i < states->n_pairs; i++) {
		const struct ydoc_node *key = states->pairs[i].key;
		if (state_index_of(pw, key->value) >= 0)
			continue;
		if (read_name(c, key, "state name", &s)) {
			bad++;
			continue;
		}
		struct pw_state *st = &pw->states[pw->n_states];
		st->line = key->line;
		st->column = key->column;
		st->name = xstrdup(s);
		bodies[pw->n_states++] = states->pairs[i].value;
	}
	for (size_t i = 0; i < pw->n_states; i++)
		if (compile_state(c, &pw->states[i], bodies[i]))
			bad++;
	free(bodies);
	if (pw->n_action_names > PW_MAX_ACTIONS) {
		ydoc_error(&c->r, states, "more than %d distinct action names", PW_MAX_ACTIONS);
		bad++;
	}
	return bad;
}

/* A report's field: declared, of one of the types; or an error at n. */
static int report_field(struct compiler *c, const struct ydoc_node *map, const char *key, bool required,
			unsigned types, const char *what, char **out)
{
	const struct ydoc_node *n = ydoc_get(map, key);
	const char *s;
	if (!n) {
		if (required)
			ydoc_error(&c->r, map, "the report needs '%s' (%s)", key, what);
		return required ? -1 : 0;
	}
	if (ydoc_read_string(&c->r, n, what, &s))
		return -1;
	int i = field_index(c->pw, s);
	if (i < 0 || !(types & MASK(c->pw->fields[i].type))) {
		ydoc_error(&c->r, n, "'%s' must name %s of this pathway", s, what);
		return -1;
	}
	*out = xstrdup(s);
	return 0;
}

/*
 * reports: [{ tally: FIELD, date: FIELD, title }, { timeline: ACTION, year: FIELD,
 * kind: FIELD, label: FIELD, note: FIELD, title }] — what the pages show of the
 * pathway's records by fiscal year.
 */
static int compile_reports(struct compiler *c, const struct ydoc_node *n)
{
	static const char *const keys[] = { "tally", "date", "timeline", "year", "kind", "label", "note", "title", NULL };
	struct pathway *pw = c->pw;
	if (ydoc_expect(&c->r, n, YDOC_SEQ, "a list of reports"))
		return -1;
	int bad = 0;
	pw->reports = xcalloc(n->n_items ? n->n_items : 1, sizeof(*pw->reports));
	for (size_t i = 0; i < n->n_items; i++) {
		const struct ydoc_node *m = n->items[i], *v;
		if (ydoc_expect(&c->r, m, YDOC_MAP, "a report { tally: FIELD } or { timeline: ACTION }")) {
			bad++;
			continue;
		}
		struct pw_report *r = &pw->reports[pw->n_reports++];
		int b = ydoc_check_keys(&c->r, m, "a report", keys);
		if (!(v = ydoc_get(m, "title"))) {
			ydoc_error(&c->r, m, "the report needs a title { ja, en }");
			b++;
		} else if (read_text(c, v, "the report's title", &r->title)) {
			b++;
		}
		const char *action;
		if (ydoc_get(m, "tally")) {
			r->kind = PW_REPORT_TALLY;
			b += report_field(c, m, "tally", true, MASK(FIELD_ENUM), "an enum field", &r->field) ||
			     report_field(c, m, "date", false, MASK(FIELD_DATE), "a date field", &r->date);
		} else if ((v = ydoc_get(m, "timeline"))) {
			r->kind = PW_REPORT_TIMELINE;
			if (ydoc_read_string(&c->r, v, "an action", &action)) {
				b++;
			} else if (pathway_action_id(pw, action) < 0) {
				ydoc_error(&c->r, v, "'%s' is no action of this pathway", action);
				b++;
			} else {
				r->action = xstrdup(action);
			}
			b += report_field(c, m, "year", true, MASK(FIELD_INT) | MASK(FIELD_DATE), "an int or date field",
					  &r->year) ||
			     report_field(c, m, "kind", true, MASK(FIELD_ENUM), "an enum field", &r->kind_field) ||
			     report_field(c, m, "label", false, MASK(FIELD_TEXT) | MASK(FIELD_ENUM) | MASK(FIELD_INT),
					  "a text, enum or int field", &r->label) ||
			     report_field(c, m, "note", false, MASK(FIELD_TEXT), "a text field", &r->note);
		} else {
			ydoc_error(&c->r, m, "a report is { tally: FIELD, date: FIELD } or { timeline: ACTION, year, kind }");
			b++;
		}
		bad += b != 0;
	}
	return bad ? -1 : 0;
}

static int compile_root(struct compiler *c, const struct ydoc_node *root)
{
	static const char *const keys[] = {
		"pathway", "version", "title", "description", "subject", "opened_by", "receiver", "requires",
		"optional", "fields", "outcomes", "eligibility", "consent", "start", "states", "reports", NULL
	};
	struct pathway *pw = c->pw;
	if (!root) {
		ydoc_error(&c->r, NULL, "the file is empty; a pathway starts with 'pathway: ID'");
		return -1;
	}
	if (ydoc_expect(&c->r, root, YDOC_MAP, "a pathway file"))
		return -1;
	int bad = ydoc_check_keys(&c->r, root, "a pathway", keys);
	bad += compile_header(c, root);
	bad += compile_terms(c, root);
	const struct ydoc_node *states, *v;
	int rc = compile_states(c, root, &states);
	if (rc < 0)
		return -1;
	bad += rc;
	if (!(v = ydoc_get(root, "start"))) {
		ydoc_error(&c->r, root, "missing 'start:' (the state a new case enters)");
		bad++;
	} else if (compile_start(c, v)) {
		bad++;
	}
	if ((v = ydoc_get(root, "reports")) && compile_reports(c, v))
		bad++;
	size_t finals = 0;
	for (size_t i = 0; i < pw->n_states; i++) {
		const struct pw_state *st = &pw->states[i];
		finals += st->final;
		pw->coordinator_step |= st->inbox == PARTY_COORDINATOR;
		if (pw->no_subject && (st->inbox == PARTY_RECEIVER || st->inbox == PARTY_ASSIGNEE)) {
			diag_add(c->r.diag, DIAG_ERROR, c->r.file, st->line, st->column,
				 "state '%s': a record of 'subject: none' stays with the organisation that opened it; its "
				 "inbox is origin or coordinator", st->name);
			bad++;
		}
	}
	if (finals == 0) {
		ydoc_error(&c->r, states, "no final state: every case must be able to end ('final: true' with an outcome)");
		bad++;
	}
	if (pw->n_start && !c->unresolved_targets)
		check_reachability(c);
	return bad ? -1 : 0;
}

struct pathway *pathway_compile(const char *file, const char *data, size_t len, struct diag *d)
{
	size_t errors_before = d->errors;
	struct ydoc *doc = NULL;
	if (!utf8_valid(data, len)) {
		diag_add(d, DIAG_ERROR, file, 0, 0, "the file is not UTF-8 text; save it as UTF-8");
		return NULL;
	}
	if (ydoc_parse(file, data, len, &doc, d))
		return NULL;
	struct compiler c = { .r = { file, d } };
	c.pw = xcalloc(1, sizeof(*c.pw));
	c.pw->file = xstrdup(file);
	digest_hex(data, len, c.pw->digest);
	int rc = compile_root(&c, doc->root);
	ydoc_free(doc);
	if (rc || d->errors > errors_before) {
		pathway_free(c.pw);
		return NULL;
	}
	build_transitions(c.pw);
	return c.pw;
}

struct pathway *pathway_load(const char *path, struct diag *d)
{
	size_t len;
	char *data = read_file(path, &len);
	if (!data) {
		diag_add(d, DIAG_ERROR, path, 0, 0, "cannot read the file: %s", strerror(errno));
		return NULL;
	}
	struct pathway *pw = pathway_compile(path, data, len, d);
	free(data);
	return pw;
}

static void notify_release(struct pw_notify *n)
{
	free(n->template_name);
}

void pathway_free(struct pathway *pw)
{
	if (!pw)
		return;
	free(pw->id);
	free(pw->file);
	text_free(&pw->title);
	text_free(&pw->description);
	text_free(&pw->consent_purpose);
	free(pw->open_fields);
	for (size_t i = 0; i < pw->n_fields; i++)
		field_release(&pw->fields[i]);
	free(pw->fields);
	for (size_t i = 0; i < pw->n_outcomes; i++) {
		free(pw->outcomes[i].code);
		text_free(&pw->outcomes[i].title);
	}
	free(pw->outcomes);
	for (size_t i = 0; i < pw->n_reports; i++) {
		struct pw_report *r = &pw->reports[i];
		text_free(&r->title);
		free(r->field);
		free(r->date);
		free(r->action);
		free(r->year);
		free(r->kind_field);
		free(r->label);
		free(r->note);
	}
	free(pw->reports);
	expr_free(pw->eligibility);
	for (size_t i = 0; i < pw->n_start; i++)
		expr_free(pw->start[i].when);
	free(pw->start);
	for (size_t s = 0; s < pw->n_states; s++) {
		struct pw_state *st = &pw->states[s];
		free(st->name);
		text_free(&st->title);
		free(st->outcome);
		for (size_t i = 0; i < st->n_notify; i++)
			notify_release(&st->notify[i]);
		free(st->notify);
		for (size_t i = 0; i < st->n_timers; i++) {
			free(st->timers[i].name);
			notify_release(&st->timers[i].notify);
		}
		free(st->timers);
		for (size_t i = 0; i < st->n_actions; i++) {
			struct pw_action *a = &st->actions[i];
			free(a->name);
			text_free(&a->title);
			free(a->fields);
			for (size_t k = 0; k < a->n_sets; k++)
				free(a->sets[k].text);
			free(a->sets);
			expr_free(a->guard);
		}
		free(st->actions);
	}
	free(pw->states);
	for (size_t i = 0; i < pw->n_action_names; i++)
		free(pw->action_names[i]);
	free(pw->action_names);
	free(pw->transitions);
	free(pw);
}

/* ---- lookups ------------------------------------------------------------------- */

int pathway_state_index(const struct pathway *pw, const char *name)
{
	return state_index_of(pw, name);
}

int pathway_action_id(const struct pathway *pw, const char *name)
{
	for (size_t i = 0; i < pw->n_action_names; i++)
		if (!strcmp(pw->action_names[i], name))
			return (int)i;
	return -1;
}

int pathway_field_index(const struct pathway *pw, const char *name)
{
	return field_index(pw, name);
}

const struct pw_action *pathway_transition(const struct pathway *pw, int state, int action_id)
{
	if (state < 0 || (size_t)state >= pw->n_states || action_id < 0 ||
	    (size_t)action_id >= pw->n_action_names)
		return NULL;
	int16_t idx = pw->transitions[(size_t)state * pw->n_action_names + (size_t)action_id];
	return idx < 0 ? NULL : &pw->states[state].actions[idx];
}

bool pathway_action_permits(const struct pw_action *a, role_mask roles, party_mask parties)
{
	if (!(a->by & roles))
		return false;
	if (roles & MASK(ROLE_SYSTEM))
		return true;
	/* "Every side" means the sides working the case: a resource provider acts only where it is named. */
	return a->parties == 0 ? (parties & ~MASK(PARTY_PROVIDER)) != 0 : (a->parties & parties) != 0;
}

bool pathway_field_visible(const struct pathway *pw, int field, party_mask parties, role_mask roles)
{
	if (field < 0 || (size_t)field >= pw->n_fields || parties == 0)
		return false;
	const struct pw_field *f = &pw->fields[field];
	if (!f->visible_parties && !(parties & ~MASK(PARTY_PROVIDER)))
		return false;
	if (f->visible_parties && !(f->visible_parties & parties))
		return false;
	if (f->visible_roles && !(f->visible_roles & roles))
		return false;
	return true;
}

/* ---- sets ----------------------------------------------------------------------- */

int pathway_check_unique(struct pathway *const *items, size_t n, struct diag *d)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < i; k++)
			if (!strcmp(items[i]->id, items[k]->id)) {
				diag_add(d, DIAG_ERROR, items[i]->file, 1, 1,
					 "pathway id '%s' is also used by %s; each file needs its own id",
					 items[i]->id, items[k]->file);
				bad++;
			}
	return bad ? -1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml files of dir, sorted; NULL with a problem in d when the folder cannot be read. */
static char **pathway_files(const char *dir, size_t *n_out, struct diag *d)
{
	DIR *dp = opendir(dir);
	if (!dp) {
		diag_add(d, DIAG_ERROR, dir, 0, 0, "cannot open the pathways directory: %s", strerror(errno));
		return NULL;
	}
	char **names = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml"))
			continue;
		grow_array(&names, &alloc, n, sizeof(*names));
		names[n++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof(*names), cmp_str);
	*n_out = n;
	return names ? names : xcalloc(1, sizeof(*names));
}

void pathway_set_add(struct pathway_set *set, struct pathway *pw)
{
	set->items = xrealloc(set->items, (set->n + 1) * sizeof(*set->items));
	set->items[set->n++] = pw;
}

/* The id a broken file declares, if its YAML can be read that far; else its name without .yaml. */
static char *broken_id(const char *path)
{
	size_t len;
	char *data = read_file(path, &len), *id = NULL;
	struct ydoc *doc = NULL;
	struct diag quiet;
	diag_init(&quiet);
	if (data && utf8_valid(data, len) && ydoc_parse(path, data, len, &doc, &quiet) == 0 && doc->root &&
	    doc->root->kind == YDOC_MAP) {
		const struct ydoc_node *v = ydoc_get(doc->root, "pathway");
		if (v && v->kind == YDOC_SCALAR && valid_name(v->value, true))
			id = xstrdup(v->value);
	}
	ydoc_free(doc);
	diag_release(&quiet);
	free(data);
	if (!id) {
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		id = xstrndup(base, strlen(base) - 5);
	}
	return id;
}

static int load_files(struct pathway_set *set, struct pathway_broken_set *broken, const char *dir, struct diag *d)
{
	memset(set, 0, sizeof(*set));
	if (broken)
		memset(broken, 0, sizeof(*broken));
	size_t n = 0;
	char **names = pathway_files(dir, &n, d);
	if (!names)
		return -1;
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		struct diag own;
		diag_init(&own);
		struct pathway *pw = pathway_load(names[i], broken ? &own : d);
		if (pw) {
			pathway_set_add(set, pw);
		} else if (!broken) {
			bad++;
		} else {
			/* Reported, as warnings: the service runs on without this file. */
			struct pathway_broken b = { .file = xstrdup(names[i]), .id = broken_id(names[i]),
						    .n_problems = own.errors };
			for (size_t k = 0; k < own.n; k++) {
				struct diag_entry *e = &own.entries[k];
				if (!b.problem && e->severity == DIAG_ERROR)
					b.problem = xasprintf("%s:%d:%d: %s", e->file, e->line, e->column, e->message);
				e->severity = DIAG_WARNING;
			}
			diag_merge(d, &own);
			diag_add(d, DIAG_WARNING, names[i], 0, 0,
				 "this file does not compile: the service would run without it, on the last version of "
				 "pathway '%s' the database has published (if any)", b.id);
			broken->items = xrealloc(broken->items, (broken->n + 1) * sizeof(*broken->items));
			broken->items[broken->n++] = b;
		}
		diag_release(&own);
		free(names[i]);
	}
	free(names);
	if (n == 0) {
		diag_add(d, DIAG_ERROR, dir, 0, 0, "no pathway files (*.yaml) in the directory");
		bad++;
	}
	if (pathway_check_unique(set->items, set->n, d))
		bad++;
	if (bad) {
		pathway_set_release(set);
		if (broken)
			pathway_broken_set_release(broken);
		return -1;
	}
	return 0;
}

int pathway_set_load(struct pathway_set *set, const char *dir, struct diag *d)
{
	return load_files(set, NULL, dir, d);
}

int pathway_set_load_tolerant(struct pathway_set *set, struct pathway_broken_set *broken, const char *dir,
			      struct diag *d)
{
	return load_files(set, broken, dir, d);
}

void pathway_broken_set_release(struct pathway_broken_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->items[i].file);
		free(set->items[i].id);
		free(set->items[i].problem);
	}
	free(set->items);
	memset(set, 0, sizeof(*set));
}

void pathway_set_release(struct pathway_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		pathway_free(set->items[i]);
	free(set->items);
	memset(set, 0, sizeof(*set));
}

const struct pathway *pathway_set_find(const struct pathway_set *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->items[i]->id, id))
			return set->items[i];
	return NULL;
}
