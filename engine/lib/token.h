/*
 * token — bearer tokens: generated from 192 random bits, shown once, stored only
 * as a SHA-256 hash, and opaque ids for users, cases and events.
 */
#ifndef TSUNAGU_TOKEN_H
#define TSUNAGU_TOKEN_H

#include <stddef.h>

#define TOKEN_HASH_HEX 65

/* A new token "tsu_…" (caller frees), or NULL when no randomness is available. */
char *token_generate(void);

/* The hex SHA-256 of a token, as stored. */
void token_hash(const char *token, char out[TOKEN_HASH_HEX]);

/* A new id "PREFIX" + 20 base32 characters, time-ordered then random. Caller frees. */
char *token_new_id(const char *prefix);

/* n bytes from the CSPRNG (aborts when there is none). */
void token_random(void *buf, size_t n);

/* A one-time enrolment code "XXXX-XXXX-XXXX-XXXX" (80 bits, unambiguous letters). Caller frees. */
char *token_enrolment_code(void);

/* The digest of an enrolment code as typed (case, spaces and dashes ignored). */
void token_code_hash(const char *code, char out[TOKEN_HASH_HEX]);

/* Hex SHA-256 of bytes. */
void token_sha256_hex(const void *data, size_t len, char out[TOKEN_HASH_HEX]);

#endif
