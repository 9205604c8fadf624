/*
 * ratelimit — token buckets keyed by a string (a client address, an account):
 * at most `burst` events at once, refilled at `per_minute`. The table holds at
 * most max_keys keys; full buckets are forgotten first, so a flood of new keys
 * cannot grow it without bound.
 */
#ifndef TSUNAGU_RATELIMIT_H
#define TSUNAGU_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct ratelimit;

struct ratelimit *ratelimit_new(int burst, int per_minute, size_t max_keys);
void ratelimit_free(struct ratelimit *rl);

/* Counts an event of key at now_ms: 0 when it was within the limit, else the seconds until one would be (>= 1). */
int ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms);

/* Gives back an event taken for key (an attempt counted in advance that turned out well). */
void ratelimit_give(struct ratelimit *rl, const char *key, int64_t now_ms);

/* The seconds until key may have another event (0: now), counting nothing. */
int ratelimit_wait(struct ratelimit *rl, const char *key, int64_t now_ms);

#endif
