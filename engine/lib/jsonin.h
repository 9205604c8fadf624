/*
 * jsonin — strict JSON input for the API: UTF-8 checked, duplicate keys refused,
 * nesting and size bounded, with errors that say where the body went wrong.
 */
#ifndef TSUNAGU_JSONIN_H
#define TSUNAGU_JSONIN_H

#include <jansson.h>
#include <stddef.h>

#define JSONIN_MAX_DEPTH 16

/*
 * Parses a request body. Returns the value (caller decrefs) or NULL with a
 * message in *err (caller frees) that a client can act on.
 */
json_t *jsonin_parse(const char *body, size_t len, char **err);

/* Serialises compactly, keeping key order. Caller frees. */
char *jsonin_dump(const json_t *v);

#endif
