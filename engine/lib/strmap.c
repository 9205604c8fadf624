/*
 * strmap — separate chaining, grown at a load of one entry per bucket.
 */
#include "strmap.h"
#include "util.h"

#include <openssl/rand.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	struct entry *next;
	uint64_t hash;
	void *value;
	char key[];
};

struct strmap {
	struct entry **buckets;
	size_t n_buckets, count;
	uint64_t seed;
};

static uint64_t hash_of(const struct strmap *m, const char *key)
{
	uint64_t h = m->seed ^ 0xcbf29ce484222325ull;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

struct strmap *strmap_new(void)
{
	struct strmap *m = xcalloc(1, sizeof(*m));
	m->n_buckets = 16;
	m->buckets = xcalloc(m->n_buckets, sizeof(*m->buckets));
	if (RAND_bytes((unsigned char *)&m->seed, sizeof(m->seed)) != 1)
		m->seed = (uint64_t)(uintptr_t)m;
	return m;
}

void strmap_free(struct strmap *m, void (*free_value)(void *value))
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_buckets; i++)
		for (struct entry *e = m->buckets[i], *next; e; e = next) {
			next = e->next;
			if (free_value)
				free_value(e->value);
			free(e);
		}
	free(m->buckets);
	free(m);
}

static struct entry **find(const struct strmap *m, const char *key, uint64_t h)
{
	struct entry **p = &m->buckets[h % m->n_buckets];
	while (*p && ((*p)->hash != h || strcmp((*p)->key, key)))
		p = &(*p)->next;
	return p;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	struct entry *e = *find(m, key, hash_of(m, key));
	return e ? e->value : NULL;
}

static void grow(struct strmap *m)
{
	size_t n = m->n_buckets * 2;
	struct entry **b = xcalloc(n, sizeof(*b));
	for (size_t i = 0; i < m->n_buckets; i++)
		for (struct entry *e = m->buckets[i], *next; e; e = next) {
			next = e->next;
			e->next = b[e->hash % n];
			b[e->hash % n] = e;
		}
	free(m->buckets);
	m->buckets = b;
	m->n_buckets = n;
}

void **strmap_slot(struct strmap *m, const char *key)
{
	uint64_t h = hash_of(m, key);
	struct entry **p = find(m, key, h);
	if (*p)
		return &(*p)->value;
	if (m->count >= m->n_buckets) {
		grow(m);
		p = find(m, key, h);
	}
	size_t len = strlen(key);
	struct entry *e = xmalloc(sizeof(*e) + len + 1);
	e->next = NULL;
	e->hash = h;
	e->value = NULL;
	memcpy(e->key, key, len + 1);
	*p = e;
	m->count++;
	return &e->value;
}

void strmap_remove(struct strmap *m, const char *key)
{
	struct entry **p = find(m, key, hash_of(m, key));
	if (!*p)
		return;
	struct entry *e = *p;
	*p = e->next;
	free(e);
	m->count--;
}

size_t strmap_count(const struct strmap *m)
{
	return m->count;
}

void strmap_filter(struct strmap *m, bool (*keep)(void *ctx, const char *key, void *value), void *ctx)
{
	for (size_t i = 0; i < m->n_buckets; i++) {
		struct entry **p = &m->buckets[i];
		while (*p) {
			struct entry *e = *p;
			if (keep(ctx, e->key, e->value)) {
				p = &e->next;
			} else {
				*p = e->next;
				free(e);
				m->count--;
			}
		}
	}
}
