/*
 * passphrase — people's passphrases, hashed with Argon2id (libargon2) into the
 * self-describing encoded form ($argon2id$v=19$m=…), so stronger parameters
 * later still verify the hashes made before. Hashing takes tens of
 * milliseconds and 19 MiB by design: callers run it on a worker thread.
 */
#ifndef TSUNAGU_PASSPHRASE_H
#define TSUNAGU_PASSPHRASE_H

#include <stdbool.h>

/* Shortest and longest passphrase accepted, in bytes of UTF-8. */
#define PASSPHRASE_MIN 10
#define PASSPHRASE_MAX 256

/* The encoded hash of a passphrase with a fresh salt (caller frees), or NULL when hashing failed. */
char *passphrase_hash(const char *passphrase);

/* Whether passphrase matches an encoded hash (false for a malformed hash). */
bool passphrase_verify(const char *encoded, const char *passphrase);

#endif
