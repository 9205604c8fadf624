/*
 * strmap — a hash table from strings to pointers, for the server's bounded
 * per-client and per-account tables. The hash is seeded at random per table, so
 * that keys a client chooses (addresses, account names) cannot be picked to
 * collide.
 */
#ifndef TSUNAGU_STRMAP_H
#define TSUNAGU_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap;

struct strmap *strmap_new(void);

/* Frees the table and, with free_value, every value. */
void strmap_free(struct strmap *m, void (*free_value)(void *value));

/* The value of key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);

/* The slot of key's value, inserted (holding NULL) when absent; valid until the next insertion or removal. */
void **strmap_slot(struct strmap *m, const char *key);

/* Removes key (its value is the caller's). */
void strmap_remove(struct strmap *m, const char *key);

size_t strmap_count(const struct strmap *m);

/* Visits every entry; an entry for which keep returns false is removed (its value is the caller's, freed in keep). */
void strmap_filter(struct strmap *m, bool (*keep)(void *ctx, const char *key, void *value), void *ctx);

#endif
