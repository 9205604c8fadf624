/*
 * mpjson — event payloads are msgpack (compact, typed, and hashed as bytes);
 * the API speaks JSON. This converts between the two for plain data: objects,
 * arrays, strings, integers, reals, booleans and null.
 */
#ifndef TSUNAGU_MPJSON_H
#define TSUNAGU_MPJSON_H

#include <jansson.h>
#include <stddef.h>

/* Encodes v; returns the bytes (caller frees) and their length. */
char *mpjson_encode(const json_t *v, size_t *len);

struct msgpack_packer;

/* Packs v into a packer, for callers that frame it in a larger message. */
void mpjson_pack(struct msgpack_packer *pk, const json_t *v);

/* Decodes bytes; NULL when they are not one msgpack value. */
json_t *mpjson_decode(const void *data, size_t len);

#endif
