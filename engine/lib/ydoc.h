/*
 * ydoc — a YAML file read with libyaml into a small tree that remembers where
 * every node stands (line, column), so that the pathway and config compilers can
 * point at the exact spot of a problem. Aliases, tags and several documents in one
 * file are refused: pathway and config files are plain data.
 */
#ifndef TSUNAGU_YDOC_H
#define TSUNAGU_YDOC_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#include <jansson.h>

enum ydoc_kind { YDOC_SCALAR, YDOC_MAP, YDOC_SEQ };

struct ydoc_node;

struct ydoc_pair {
	struct ydoc_node *key;     /* always a scalar */
	struct ydoc_node *value;
};

struct ydoc_node {
	enum ydoc_kind kind;
	int line, column;          /* 1-based */
	/* scalar */
	char *value;
	size_t len;
	bool plain;                /* unquoted: may be read as a number, bool or null */
	bool block;                /* a | or > block: the text starts on the next line */
	/* map */
	struct ydoc_pair *pairs;
	size_t n_pairs;
	/* sequence */
	struct ydoc_node **items;
	size_t n_items;
};

struct ydoc {
	char *file;
	struct ydoc_node *root;    /* NULL for an empty document */
};

/*
 * Parses data (len bytes) named file into *out (caller frees with ydoc_free) and
 * returns 0; problems that still leave a tree (duplicate keys) are added to d.
 * When the text is not YAML at all, adds the syntax error to d and returns -1.
 */
int ydoc_parse(const char *file, const char *data, size_t len, struct ydoc **out, struct diag *d);
void ydoc_free(struct ydoc *doc);

/* The value of key in a map node, or NULL. */
const struct ydoc_node *ydoc_get(const struct ydoc_node *map, const char *key);

const char *ydoc_kind_name(enum ydoc_kind kind);

/* True for a plain scalar that YAML reads as null (~, null, empty). */
bool ydoc_is_null(const struct ydoc_node *n);

/*
 * Typed reads. Each returns 0 on success; on a mismatch it adds an error at the
 * node naming what was expected (`what` describes the value, e.g. "pathway id")
 * and returns -1, leaving the out-parameter untouched.
 */
struct ydoc_reader {
	const char *file;
	struct diag *diag;
};

int ydoc_read_string(const struct ydoc_reader *r, const struct ydoc_node *n,
		     const char *what, const char **out);
int ydoc_read_int(const struct ydoc_reader *r, const struct ydoc_node *n,
		  const char *what, long min, long max, long *out);
int ydoc_read_bool(const struct ydoc_reader *r, const struct ydoc_node *n,
		   const char *what, bool *out);
int ydoc_expect(const struct ydoc_reader *r, const struct ydoc_node *n,
		enum ydoc_kind kind, const char *what);

/*
 * Reports every key of map that is not in allowed (NULL-terminated), with a
 * "did you mean" when one is close. Returns the number of unknown keys.
 */
int ydoc_check_keys(const struct ydoc_reader *r, const struct ydoc_node *map,
		    const char *context, const char *const *allowed);

/*
 * The node as JSON (caller decrefs): maps, sequences, and scalars read as YAML
 * would (unquoted integers, true/false and null; everything else text). With
 * fn, it is called for every value made, with the node it came from.
 */
typedef void (*ydoc_json_fn)(void *ctx, json_t *made, const struct ydoc_node *from);
json_t *ydoc_to_json(const struct ydoc_node *n, ydoc_json_fn fn, void *ctx);

/* Reports an error at node n (or at line 0 when n is NULL). */
__attribute__((format(printf, 3, 4)))
void ydoc_error(const struct ydoc_reader *r, const struct ydoc_node *n, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void ydoc_warning(const struct ydoc_reader *r, const struct ydoc_node *n, const char *fmt, ...);

#endif
