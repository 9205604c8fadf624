/*
 * expr — tokenizer, recursive-descent parser, type checker and evaluator of the
 * pathway expression language. Every node keeps its byte offset so that errors
 * point at the exact character of the rule in the pathway file.
 */
#include "expr.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum tok_kind {
	TOK_END, TOK_IDENT, TOK_STRING, TOK_INT, TOK_DATE,
	TOK_LPAREN, TOK_RPAREN, TOK_LBRACK, TOK_RBRACK, TOK_COMMA,
	TOK_EQ, TOK_NE, TOK_LT, TOK_LE, TOK_GT, TOK_GE,
	TOK_AND, TOK_OR, TOK_NOT, TOK_IN, TOK_TRUE, TOK_FALSE, TOK_NULL,
	TOK_ERROR,
};

struct token {
	enum tok_kind kind;
	size_t offset, len;
	char *text;        /* identifiers and decoded strings */
	long ival;
	date_days dval;
};

enum node_kind {
	N_LITERAL, N_FIELD, N_CALL, N_NOT, N_AND, N_OR, N_CMP, N_IN, N_LIST,
};

enum func_id { F_AGE, F_TODAY, F_IS_SET, F_DATE };

struct node {
	enum node_kind kind;
	size_t offset;
	enum expr_type type;       /* result type, after checking */
	struct expr_value lit;     /* N_LITERAL */
	char *text;                /* string literal storage, or field path */
	int slot;                  /* N_FIELD */
	const char *const *enum_values;
	size_t n_enum;
	enum func_id func;         /* N_CALL */
	enum tok_kind op;          /* N_CMP */
	bool negate;               /* N_IN: not in */
	bool poisoned;             /* an error below was reported already */
	struct node **kids;
	size_t n_kids;
};

struct expr {
	char *source;
	struct node *root;
};

struct parser {
	const char *src;
	size_t pos;
	struct token tok;
	int depth;
	bool failed;
	struct expr_problems *problems;
	expr_resolve_fn resolve;
	void *ctx;
};

const char *expr_type_name(enum expr_type t)
{
	switch (t) {
	case EXPR_T_NULL: return "null";
	case EXPR_T_BOOL: return "true/false";
	case EXPR_T_INT: return "number";
	case EXPR_T_STRING: return "text";
	case EXPR_T_DATE: return "date";
	case EXPR_T_LIST: return "list";
	}
	return "value";
}

void expr_problems_release(struct expr_problems *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->items[i].message);
	free(p->items);
	memset(p, 0, sizeof(*p));
}

__attribute__((format(printf, 4, 5)))
static void problem(struct parser *p, size_t offset, bool warning, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	grow_array(&p->problems->items, &p->problems->alloc, p->problems->n, sizeof(struct expr_problem));
	p->problems->items[p->problems->n++] = (struct expr_problem){ offset, warning, msg };
	if (!warning)
		p->failed = true;
}

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_kids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

static struct node *node_new(enum node_kind kind, size_t offset)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->offset = offset;
	return n;
}

static void node_add(struct node *parent, struct node *kid)
{
	parent->kids = xrealloc(parent->kids, (parent->n_kids + 1) * sizeof(*parent->kids));
	parent->kids[parent->n_kids++] = kid;
}

/* ---- tokenizer ---------------------------------------------------------- */

static const char *tok_describe(enum tok_kind k)
{
	switch (k) {
	case TOK_END: return "the end of the expression";
	case TOK_IDENT: return "a field name";
	case TOK_STRING: return "a text";
	case TOK_INT: return "a number";
	case TOK_DATE: return "a date";
	case TOK_LPAREN: return "'('";
	case TOK_RPAREN: return "')'";
	case TOK_LBRACK: return "'['";
	case TOK_RBRACK: return "']'";
	case TOK_COMMA: return "','";
	case TOK_EQ: return "'=='";
	case TOK_NE: return "'!='";
	case TOK_LT: return "'<'";
	case TOK_LE: return "'<='";
	case TOK_GT: return "'>'";
	case TOK_GE: return "'>='";
	case TOK_AND: return "'and'";
	case TOK_OR: return "'or'";
	case TOK_NOT: return "'not'";
	case TOK_IN: return "'in'";
	case TOK_TRUE: return "'true'";
	case TOK_FALSE: return "'false'";
	case TOK_NULL: return "'null'";
	case TOK_ERROR: return "an invalid character";
	}
	return "a token";
}

static bool is_ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static bool is_ident_char(int c)
{
	return isalnum(c) || c == '_';
}

static void lex_string(struct parser *p, struct token *t)
{
	char quote = p->src[p->pos++];
	struct buf b;
	buf_init(&b);
	for (;;) {
		char c = p->src[p->pos];
		if (c == '\0') {
			problem(p, t->offset, false, "text is not closed: expected %c", quote);
			t->kind = TOK_ERROR;
			buf_release(&b);
			return;
		}
		p->pos++;
		if (c == quote)
			break;
		if (c == '\\') {
			char e = p->src[p->pos];
			if (e == '\\' || e == '\'' || e == '"') {
				buf_addc(&b, e);
				p->pos++;
				continue;
			}
			problem(p, p->pos - 1, false, "unknown escape '\\%c' in text; use \\\\, \\' or \\\"", e ? e : '0');
			t->kind = TOK_ERROR;
			buf_release(&b);
			return;
		}
		buf_addc(&b, c);
	}
	t->kind = TOK_STRING;
	t->text = buf_detach(&b);
}

static void lex_number(struct parser *p, struct token *t)
{
	const char *s = p->src + p->pos;
	size_t n = 0;
	if (s[n] == '-')
		n++;
	while (isdigit((unsigned char)s[n]))
		n++;
	/* A date literal: YYYY-MM-DD */
	if (n == 4 && s[0] != '-' && s[4] == '-' && isdigit((unsigned char)s[5]) &&
	    isdigit((unsigned char)s[6]) && s[7] == '-' && isdigit((unsigned char)s[8]) &&
	    isdigit((unsigned char)s[9]) && !is_ident_char((unsigned char)s[10])) {
		char tmp[11];
		memcpy(tmp, s, 10);
		tmp[10] = '\0';
		p->pos += 10;
		if (date_parse(tmp, &t->dval)) {
			problem(p, t->offset, false, "'%s' is not a real date", tmp);
			t->kind = TOK_ERROR;
			return;
		}
		t->kind = TOK_DATE;
		return;
	}
	if (is_ident_char((unsigned char)s[n])) {
		problem(p, t->offset, false, "malformed number");
		p->pos += n;
		t->kind = TOK_ERROR;
		return;
	}
	char *tmp = xstrndup(s, n);
	errno = 0;
	t->ival = strtol(tmp, NULL, 10);
	if (errno) {
		problem(p, t->offset, false, "number %s is too large", tmp);
		t->kind = TOK_ERROR;
	} else {
		t->kind = TOK_INT;
	}
	free(tmp);
	p->pos += n;
}

static void next(struct parser *p)
{
	struct token *t = &p->tok;
	free(t->text);
	memset(t, 0, sizeof(*t));
	while (p->src[p->pos] == ' ' || p->src[p->pos] == '\t' || p->src[p->pos] == '\n' ||
	       p->src[p->pos] == '\r')
		p->pos++;
	t->offset = p->pos;
	const char *s = p->src + p->pos;
	unsigned char c = (unsigned char)*s;
	if (!c) {
		t->kind = TOK_END;
		return;
	}
	if (is_ident_start(c)) {
		size_t n = 0;
		for (;;) {
			while (is_ident_char((unsigned char)s[n]))
				n++;
			if (s[n] == '.' && is_ident_start((unsigned char)s[n + 1])) {
				n++;
				continue;
			}
			break;
		}
		p->pos += n;
		char *word = xstrndup(s, n);
		static const struct { const char *w; enum tok_kind k; } kw[] = {
			{ "and", TOK_AND }, { "or", TOK_OR }, { "not", TOK_NOT }, { "in", TOK_IN },
			{ "true", TOK_TRUE }, { "false", TOK_FALSE }, { "null", TOK_NULL },
		};
		t->kind = TOK_IDENT;
		for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
			if (!strcmp(word, kw[i].w))
				t->kind = kw[i].k;
		if (t->kind == TOK_IDENT)
			t->text = word;
		else
			free(word);
		return;
	}
	if (isdigit(c) || (c == '-' && isdigit((unsigned char)s[1]))) {
		lex_number(p, t);
		return;
	}
	if (c == '\'' || c == '"') {
		lex_string(p, t);
		return;
	}
	p->pos++;
	switch (c) {
	case '(': t->kind = TOK_LPAREN; return;
	case ')': t->kind = TOK_RPAREN; return;
	case '[': t->kind = TOK_LBRACK; return;
	case ']': t->kind = TOK_RBRACK; return;
	case ',': t->kind = TOK_COMMA; return;
	case '=':
		if (s[1] == '=') {
			p->pos++;
			t->kind = TOK_EQ;
			return;
		}
		problem(p, t->offset, false, "'=' is not a comparison; did you mean '=='?");
		t->kind = TOK_ERROR;
		return;
	case '!':
		if (s[1] == '=') {
			p->pos++;
			t->kind = TOK_NE;
			return;
		}
		problem(p, t->offset, false, "'!' is not an operator; write 'not' or '!='");
		t->kind = TOK_ERROR;
		return;
	case '<':
		t->kind = TOK_LT;
		if (s[1] == '=') {
			p->pos++;
			t->kind = TOK_LE;
		}
		return;
	case '>':
		t->kind = TOK_GT;
		if (s[1] == '=') {
			p->pos++;
			t->kind = TOK_GE;
		}
		return;
	case '&':
	case '|':
		problem(p, t->offset, false, "'%c' is not an operator; write '%s'", c, c == '&' ? "and" : "or");
		if (s[1] == (char)c)
			p->pos++;
		t->kind = TOK_ERROR;
		return;
	default:
		if (c >= 0x80)
			problem(p, t->offset, false, "unexpected character; put text in quotes, e.g. 'はい'");
		else
			problem(p, t->offset, false, "unexpected character '%c'", c);
		t->kind = TOK_ERROR;
		/* skip the rest of a UTF-8 sequence */
		while ((p->src[p->pos] & 0xC0) == 0x80)
			p->pos++;
		return;
	}
}

static bool expect(struct parser *p, enum tok_kind k, const char *context)
{
	if (p->tok.kind == k) {
		next(p);
		return true;
	}
	if (p->tok.kind != TOK_ERROR)
		problem(p, p->tok.offset, false, "expected %s %s, found %s", tok_describe(k), context,
			tok_describe(p->tok.kind));
	return false;
}

/* ---- parser ---------------------------------------------------------------- */

static struct node *parse_or(struct parser *p);

static struct node *literal_from_token(struct parser *p)
{
	struct token *t = &p->tok;
	struct node *n = node_new(N_LITERAL, t->offset);
	switch (t->kind) {
	case TOK_STRING:
		n->text = t->text;
		t->text = NULL;
		n->lit.type = EXPR_T_STRING;
		n->lit.u.s = n->text;
		break;
	case TOK_INT:
		n->lit.type = EXPR_T_INT;
		n->lit.u.i = t->ival;
		break;
	case TOK_DATE:
		n->lit.type = EXPR_T_DATE;
		n->lit.u.d = t->dval;
		break;
	case TOK_TRUE:
	case TOK_FALSE:
		n->lit.type = EXPR_T_BOOL;
		n->lit.u.b = t->kind == TOK_TRUE;
		break;
	case TOK_NULL:
		n->lit.type = EXPR_T_NULL;
		break;
	default:
		free(n);
		return NULL;
	}
	n->type = n->lit.type;
	next(p);
	return n;
}

static const struct {
	const char *name;
	enum func_id id;
	size_t n_args;
	enum expr_type args[2];
	enum expr_type result;
	const char *usage;
} functions[] = {
	{ "age", F_AGE, 2, { EXPR_T_DATE, EXPR_T_DATE }, EXPR_T_INT, "age(birth_date, on_date)" },
	{ "today", F_TODAY, 0, { 0, 0 }, EXPR_T_DATE, "today()" },
	{ "is_set", F_IS_SET, 1, { 0, 0 }, EXPR_T_BOOL, "is_set(field)" },
	{ "date", F_DATE, 1, { EXPR_T_STRING, 0 }, EXPR_T_DATE, "date('YYYY-MM-DD')" },
};

static struct node *parse_call(struct parser *p, char *name, size_t offset)
{
	size_t fi = 0, nf = sizeof(functions) / sizeof(functions[0]);
	while (fi < nf && strcmp(functions[fi].name, name))
		fi++;
	if (fi == nf) {
		const char *names[sizeof(functions) / sizeof(functions[0]) + 1];
		for (size_t i = 0; i < nf; i++)
			names[i] = functions[i].name;
		names[nf] = NULL;
		const char *near = closest_word(name, names);
		if (near)
			problem(p, offset, false, "unknown function '%s'; did you mean '%s'?", name, near);
		else
			problem(p, offset, false, "unknown function '%s'; known: age, today, is_set, date", name);
	}
	free(name);
	next(p); /* '(' */
	struct node *n = node_new(N_CALL, offset);
	if (fi < nf)
		n->func = functions[fi].id;
	if (p->tok.kind != TOK_RPAREN) {
		for (;;) {
			struct node *arg = parse_or(p);
			if (!arg) {
				node_free(n);
				return NULL;
			}
			node_add(n, arg);
			if (p->tok.kind != TOK_COMMA)
				break;
			next(p);
		}
	}
	if (!expect(p, TOK_RPAREN, "to close the function call")) {
		node_free(n);
		return NULL;
	}
	if (fi == nf) {
		/* reported above; its arguments are still checked for their own mistakes */
		n->poisoned = true;
		return n;
	}
	if (n->n_kids != functions[fi].n_args) {
		problem(p, offset, false, "%s takes %zu argument%s: %s", functions[fi].name,
			functions[fi].n_args, functions[fi].n_args == 1 ? "" : "s", functions[fi].usage);
		node_free(n);
		return NULL;
	}
	return n;
}

static struct node *parse_list(struct parser *p)
{
	struct node *n = node_new(N_LIST, p->tok.offset);
	next(p); /* '[' */
	if (p->tok.kind != TOK_RBRACK) {
		for (;;) {
			if (n->n_kids >= EXPR_MAX_LIST) {
				problem(p, p->tok.offset, false, "a list may hold at most %d values", EXPR_MAX_LIST);
				node_free(n);
				return NULL;
			}
			struct node *item = literal_from_token(p);
			if (!item) {
				if (p->tok.kind != TOK_ERROR)
					problem(p, p->tok.offset, false,
						"expected a text, number or date in the list, found %s",
						tok_describe(p->tok.kind));
				node_free(n);
				return NULL;
			}
			node_add(n, item);
			if (p->tok.kind != TOK_COMMA)
				break;
			next(p);
		}
	}
	if (!expect(p, TOK_RBRACK, "to close the list")) {
		node_free(n);
		return NULL;
	}
	return n;
}

static struct node *parse_primary(struct parser *p)
{
	struct token *t = &p->tok;
	size_t offset = t->offset;
	switch (t->kind) {
	case TOK_LPAREN: {
		if (++p->depth > EXPR_MAX_DEPTH) {
			problem(p, offset, false, "expression nested deeper than %d levels", EXPR_MAX_DEPTH);
			return NULL;
		}
		next(p);
		struct node *n = parse_or(p);
		p->depth--;
		if (!n)
			return NULL;
		if (!expect(p, TOK_RPAREN, "to close '('")) {
			node_free(n);
			return NULL;
		}
		return n;
	}
	case TOK_LBRACK:
		return parse_list(p);
	case TOK_IDENT: {
		char *name = t->text;
		t->text = NULL;
		next(p);
		if (p->tok.kind == TOK_LPAREN)
			return parse_call(p, name, offset);
		struct node *n = node_new(N_FIELD, offset);
		n->text = name;
		return n;
	}
	case TOK_STRING:
	case TOK_INT:
	case TOK_DATE:
	case TOK_TRUE:
	case TOK_FALSE:
	case TOK_NULL:
		return literal_from_token(p);
	case TOK_ERROR:
		return NULL;
	default:
		problem(p, offset, false, "expected a field, a value or '(', found %s", tok_describe(t->kind));
		return NULL;
	}
}

static bool is_cmp(enum tok_kind k)
{
	return k == TOK_EQ || k == TOK_NE || k == TOK_LT || k == TOK_LE || k == TOK_GT || k == TOK_GE;
}

static struct node *parse_cmp(struct parser *p)
{
	struct node *left = parse_primary(p);
	if (!left)
		return NULL;
	struct token *t = &p->tok;
	if (is_cmp(t->kind)) {
		struct node *n = node_new(N_CMP, t->offset);
		n->op = t->kind;
		next(p);
		struct node *right = parse_primary(p);
		node_add(n, left);
		if (!right) {
			node_free(n);
			return NULL;
		}
		node_add(n, right);
		if (is_cmp(p->tok.kind)) {
			problem(p, p->tok.offset, false, "comparisons cannot be chained; join them with 'and'");
			node_free(n);
			return NULL;
		}
		return n;
	}
	bool negate = false;
	size_t offset = t->offset;
	if (t->kind == TOK_NOT) {
		/* only `x not in [...]` may follow a value with 'not' */
		next(p);
		if (p->tok.kind != TOK_IN) {
			problem(p, offset, false, "expected 'not in' or an operator after a value");
			node_free(left);
			return NULL;
		}
		negate = true;
	}
	if (p->tok.kind == TOK_IN) {
		struct node *n = node_new(N_IN, offset);
		n->negate = negate;
		next(p);
		node_add(n, left);
		if (p->tok.kind != TOK_LBRACK) {
			problem(p, p->tok.offset, false, "expected a list after 'in', e.g. ['はい', 'いいえ']");
			node_free(n);
			return NULL;
		}
		struct node *list = parse_list(p);
		if (!list) {
			node_free(n);
			return NULL;
		}
		node_add(n, list);
		return n;
	}
	return left;
}

static struct node *parse_not(struct parser *p)
{
	if (p->tok.kind == TOK_NOT) {
		size_t offset = p->tok.offset;
		if (++p->depth > EXPR_MAX_DEPTH) {
			problem(p, offset, false, "expression nested deeper than %d levels", EXPR_MAX_DEPTH);
			return NULL;
		}
		next(p);
		struct node *kid = parse_not(p);
		p->depth--;
		if (!kid)
			return NULL;
		struct node *n = node_new(N_NOT, offset);
		node_add(n, kid);
		return n;
	}
	return parse_cmp(p);
}

static struct node *parse_binary(struct parser *p, enum tok_kind op, enum node_kind kind,
				 struct node *(*sub)(struct parser *))
{
	struct node *left = sub(p);
	if (!left)
		return NULL;
	if (p->tok.kind != op)
		return left;
	struct node *n = node_new(kind, left->offset);
	node_add(n, left);
	while (p->tok.kind == op) {
		next(p);
		struct node *right = sub(p);
		if (!right) {
			node_free(n);
			return NULL;
		}
		node_add(n, right);
	}
	return n;
}

static struct node *parse_and(struct parser *p)
{
	return parse_binary(p, TOK_AND, N_AND, parse_not);
}

static struct node *parse_or(struct parser *p)
{
	return parse_binary(p, TOK_OR, N_OR, parse_and);
}

/* ---- type checking ------------------------------------------------------- */

static void check(struct parser *p, struct node *n);

/* Turns a text literal that is a date into a date literal, for `birth_date < '1950-01-01'`. */
static bool coerce_to_date(struct node *n)
{
	date_days d;
	if (n->kind != N_LITERAL || n->lit.type != EXPR_T_STRING || date_parse(n->text, &d))
		return false;
	n->lit.type = n->type = EXPR_T_DATE;
	n->lit.u.d = d;
	return true;
}

static void check_enum_literal(struct parser *p, const struct node *field, const struct node *lit)
{
	if (field->kind != N_FIELD || !field->enum_values || lit->kind != N_LITERAL ||
	    lit->lit.type != EXPR_T_STRING)
		return;
	for (size_t i = 0; i < field->n_enum; i++)
		if (!strcmp(field->enum_values[i], lit->text))
			return;
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < field->n_enum; i++)
		buf_printf(&b, "%s'%s'", i ? ", " : "", field->enum_values[i]);
	problem(p, lit->offset, false, "'%s' is not a value of %s; its values are %s", lit->text,
		field->text, b.data);
	buf_release(&b);
}

static bool same_type(struct node *a, struct node *b)
{
	if (a->type == b->type)
		return true;
	if (a->type == EXPR_T_DATE && coerce_to_date(b))
		return true;
	if (b->type == EXPR_T_DATE && coerce_to_date(a))
		return true;
	return false;
}

static void check(struct parser *p, struct node *n)
{
	for (size_t i = 0; i < n->n_kids; i++) {
		check(p, n->kids[i]);
		n->poisoned |= n->kids[i]->poisoned;
	}
	/* One mistake, one message: nothing above an unknown field is checked. */
	if (n->poisoned)
		return;
	switch (n->kind) {
	case N_LITERAL:
		return;
	case N_FIELD: {
		struct expr_field_info info = { 0 };
		if (p->resolve(p->ctx, n->text, &info)) {
			problem(p, n->offset, false, "unknown field '%s'", n->text);
			n->poisoned = true;
			return;
		}
		n->type = info.type;
		n->slot = info.slot;
		n->enum_values = info.enum_values;
		n->n_enum = info.n_enum;
		return;
	}
	case N_CALL:
		for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++) {
			if (functions[i].id != n->func)
				continue;
			n->type = functions[i].result;
			for (size_t a = 0; a < n->n_kids; a++) {
				struct node *arg = n->kids[a];
				enum expr_type want = functions[i].args[a];
				if (n->func == F_IS_SET) {
					if (arg->kind != N_FIELD)
						problem(p, arg->offset, false, "is_set takes a field");
					continue;
				}
				if (want == EXPR_T_DATE && coerce_to_date(arg))
					continue;
				if (arg->type != want)
					problem(p, arg->offset, false, "%s expects a %s here, found a %s: %s",
						functions[i].name, expr_type_name(want),
						expr_type_name(arg->type), functions[i].usage);
			}
			if (n->func == F_DATE && n->n_kids == 1) {
				struct node *arg = n->kids[0];
				if (arg->kind != N_LITERAL || !coerce_to_date(arg))
					problem(p, arg->offset, false, "date() takes a text 'YYYY-MM-DD' of a real date");
			}
		}
		return;
	case N_NOT:
		if (n->kids[0]->type != EXPR_T_BOOL)
			problem(p, n->kids[0]->offset, false, "'not' needs a true/false value, found a %s",
				expr_type_name(n->kids[0]->type));
		n->type = EXPR_T_BOOL;
		return;
	case N_AND:
	case N_OR:
		for (size_t i = 0; i < n->n_kids; i++)
			if (n->kids[i]->type != EXPR_T_BOOL)
				problem(p, n->kids[i]->offset, false,
					"'%s' joins true/false values; this is a %s (compare it with ==, <, in …)",
					n->kind == N_AND ? "and" : "or", expr_type_name(n->kids[i]->type));
		n->type = EXPR_T_BOOL;
		return;
	case N_CMP: {
		struct node *a = n->kids[0], *b = n->kids[1];
		n->type = EXPR_T_BOOL;
		bool ordering = n->op != TOK_EQ && n->op != TOK_NE;
		if (!ordering && (a->type == EXPR_T_NULL || b->type == EXPR_T_NULL))
			return;
		if (!same_type(a, b)) {
			problem(p, n->offset, false, "cannot compare a %s with a %s", expr_type_name(a->type),
				expr_type_name(b->type));
			return;
		}
		if (ordering && a->type != EXPR_T_INT && a->type != EXPR_T_DATE)
			problem(p, n->offset, false, "%s compares numbers or dates, not %s", tok_describe(n->op),
				expr_type_name(a->type));
		check_enum_literal(p, a, b);
		check_enum_literal(p, b, a);
		return;
	}
	case N_IN: {
		struct node *v = n->kids[0], *list = n->kids[1];
		n->type = EXPR_T_BOOL;
		for (size_t i = 0; i < list->n_kids; i++) {
			struct node *item = list->kids[i];
			if (!same_type(v, item))
				problem(p, item->offset, false, "the list holds a %s but %s is a %s",
					expr_type_name(item->type), v->kind == N_FIELD ? v->text : "the value",
					expr_type_name(v->type));
			else
				check_enum_literal(p, v, item);
		}
		return;
	}
	case N_LIST:
		n->type = EXPR_T_LIST;
		return;
	}
}

struct expr *expr_compile(const char *src, expr_resolve_fn resolve, void *ctx,
			  struct expr_problems *problems)
{
	struct parser p = { .src = src, .problems = problems, .resolve = resolve, .ctx = ctx };
	if (strlen(src) > EXPR_MAX_LENGTH) {
		problem(&p, 0, false, "expression longer than %d characters", EXPR_MAX_LENGTH);
		return NULL;
	}
	next(&p);
	if (p.tok.kind == TOK_END) {
		problem(&p, 0, false, "empty expression");
		return NULL;
	}
	struct node *root = parse_or(&p);
	if (root && p.tok.kind != TOK_END) {
		if (p.tok.kind != TOK_ERROR)
			problem(&p, p.tok.offset, false, "expected 'and', 'or' or the end, found %s",
				tok_describe(p.tok.kind));
		node_free(root);
		root = NULL;
	}
	free(p.tok.text);
	if (!root) {
		if (!p.failed)
			problem(&p, 0, false, "malformed expression");
		return NULL;
	}
	check(&p, root);
	if (!p.failed && !root->poisoned && root->type != EXPR_T_BOOL)
		problem(&p, root->offset, false, "a rule must be true or false, but this is a %s",
			expr_type_name(root->type));
	if (p.failed) {
		node_free(root);
		return NULL;
	}
	struct expr *e = xcalloc(1, sizeof(*e));
	e->source = xstrdup(src);
	e->root = root;
	return e;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	node_free(e->root);
	free(e->source);
	free(e);
}

const char *expr_source(const struct expr *e)
{
	return e->source;
}

static void each_field(const struct node *n, void (*fn)(void *, const char *), void *ctx)
{
	if (n->kind == N_FIELD)
		fn(ctx, n->text);
	for (size_t i = 0; i < n->n_kids; i++)
		each_field(n->kids[i], fn, ctx);
}

void expr_each_field(const struct expr *e, void (*fn)(void *ctx, const char *path), void *ctx)
{
	each_field(e->root, fn, ctx);
}

/* ---- evaluation ------------------------------------------------------------ */

struct eval {
	expr_lookup_fn lookup;
	void *ctx;
	date_days today;
};

static int eval(const struct eval *ev, const struct node *n, struct expr_value *out);

static bool values_equal(const struct expr_value *a, const struct expr_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case EXPR_T_NULL: return true;
	case EXPR_T_BOOL: return a->u.b == b->u.b;
	case EXPR_T_INT: return a->u.i == b->u.i;
	case EXPR_T_STRING: return strcmp(a->u.s, b->u.s) == 0;
	case EXPR_T_DATE: return a->u.d == b->u.d;
	case EXPR_T_LIST: return false;
	}
	return false;
}

static int age_on(date_days birth, date_days on)
{
	int by, bm, bd, oy, om, od;
	date_to_ymd(birth, &by, &bm, &bd);
	date_to_ymd(on, &oy, &om, &od);
	int age = oy - by;
	if (om < bm || (om == bm && od < bd))
		age--;
	return age;
}

static int eval_call(const struct eval *ev, const struct node *n, struct expr_value *out)
{
	struct expr_value a = { 0 }, b = { 0 };
	switch (n->func) {
	case F_TODAY:
		*out = (struct expr_value){ .type = EXPR_T_DATE, .u.d = ev->today };
		return 0;
	case F_DATE:
		return eval(ev, n->kids[0], out);
	case F_IS_SET:
		if (eval(ev, n->kids[0], &a))
			return -1;
		*out = (struct expr_value){ .type = EXPR_T_BOOL, .u.b = a.type != EXPR_T_NULL };
		return 0;
	case F_AGE:
		if (eval(ev, n->kids[0], &a) || eval(ev, n->kids[1], &b))
			return -1;
		if (a.type != EXPR_T_DATE || b.type != EXPR_T_DATE) {
			out->type = EXPR_T_NULL;
			return 0;
		}
		*out = (struct expr_value){ .type = EXPR_T_INT, .u.i = age_on(a.u.d, b.u.d) };
		return 0;
	}
	return -1;
}

static int eval(const struct eval *ev, const struct node *n, struct expr_value *out)
{
	struct expr_value a, b;
	switch (n->kind) {
	case N_LITERAL:
		*out = n->lit;
		return 0;
	case N_FIELD:
		out->type = EXPR_T_NULL;
		if (ev->lookup(ev->ctx, n->slot, n->text, out))
			return -1;
		/* a value of another type than declared counts as missing */
		if (out->type != EXPR_T_NULL && out->type != n->type)
			out->type = EXPR_T_NULL;
		return 0;
	case N_CALL:
		return eval_call(ev, n, out);
	case N_NOT:
		if (eval(ev, n->kids[0], &a))
			return -1;
		*out = (struct expr_value){ .type = EXPR_T_BOOL, .u.b = a.type == EXPR_T_BOOL && !a.u.b };
		return 0;
	case N_AND:
	case N_OR: {
		bool want = n->kind == N_OR;
		for (size_t i = 0; i < n->n_kids; i++) {
			if (eval(ev, n->kids[i], &a))
				return -1;
			bool v = a.type == EXPR_T_BOOL && a.u.b;
			if (v == want) {
				*out = (struct expr_value){ .type = EXPR_T_BOOL, .u.b = want };
				return 0;
			}
		}
		*out = (struct expr_value){ .type = EXPR_T_BOOL, .u.b = !want };
		return 0;
	}
	case N_CMP: {
		if (eval(ev, n->kids[0], &a) || eval(ev, n->kids[1], &b))
			return -1;
		bool r = false;
		if (n->op == TOK_EQ)
			r = values_equal(&a, &b);
		else if (n->op == TOK_NE)
			r = !values_equal(&a, &b);
		else if (a.type == b.type && (a.type == EXPR_T_INT || a.type == EXPR_T_DATE)) {
			long x = a.type == EXPR_T_INT ? a.u.i : a.u.d;
			long y = b.type == EXPR_T_INT ? b.u.i : b.u.d;
			r = n->op == TOK_LT ? x < y : n->op == TOK_LE ? x <= y : n->op == TOK_GT ? x > y : x >= y;
		}
		*out = (struct expr_value){ .type = EXPR_T_BOOL, .u.b = r };
		return 0;
	}
	case N_IN: {
		if (eval(ev, n->kids[0], &a))
			return -1;
		bool found = false;
		const struct node *list = n->kids[1];
		for (size_t i = 0; i < list->n_kids && !found; i++)
			found = values_equal(&a, &list->kids[i]->lit);
		bool r = a.type != EXPR_T_NULL && (n->negate ? !found : found);
		*out = (struct expr_value){ .type = EXPR_T_BOOL, .u.b = r };
		return 0;
	}
	case N_LIST:
		out->type = EXPR_T_LIST;
		return 0;
	}
	return -1;
}

int expr_eval(const struct expr *e, expr_lookup_fn lookup, void *ctx, date_days today, bool *out)
{
	struct eval ev = { lookup, ctx, today };
	struct expr_value v;
	if (eval(&ev, e->root, &v))
		return -1;
	*out = v.type == EXPR_T_BOOL && v.u.b;
	return 0;
}
