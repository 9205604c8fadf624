/*
 * ratelimit — a bucket holds tokens in thousandths, refilled lazily from the
 * time of its last event.
 */
#include "ratelimit.h"
#include "strmap.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>

struct bucket {
	int64_t milli_tokens;
	int64_t at_ms;
};

struct ratelimit {
	struct strmap *keys;
	int64_t burst_milli;
	int per_minute;
	size_t max_keys;
};

struct ratelimit *ratelimit_new(int burst, int per_minute, size_t max_keys)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));
	rl->keys = strmap_new();
	rl->burst_milli = (int64_t)(burst > 0 ? burst : 1) * 1000;
	rl->per_minute = per_minute > 0 ? per_minute : 1;
	rl->max_keys = max_keys ? max_keys : 1;
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	strmap_free(rl->keys, free);
	free(rl);
}

static void refill(const struct ratelimit *rl, struct bucket *b, int64_t now_ms)
{
	if (now_ms > b->at_ms) {
		/* per_minute tokens per 60,000 ms: per_minute / 60 milli-tokens per ms */
		b->milli_tokens += (now_ms - b->at_ms) * rl->per_minute / 60;
		if (b->milli_tokens > rl->burst_milli)
			b->milli_tokens = rl->burst_milli;
		b->at_ms = now_ms;
	}
}

struct prune {
	const struct ratelimit *rl;
	int64_t now_ms;
	int64_t below;             /* a bucket with fewer milli-tokens than this is kept */
	size_t excess;             /* how many more to forget (0: only the full ones) */
};

static bool keep(void *ctx, const char *key, void *value)
{
	struct prune *p = ctx;
	struct bucket *b = value;
	refill(p->rl, b, p->now_ms);
	bool full = b->milli_tokens >= p->rl->burst_milli;
	if (!full && (!p->excess || b->milli_tokens < p->below))
		return true;
	if (!full)
		p->excess--;
	free(b);
	return false;
}
static int wait_seconds(const struct ratelimit *rl, const struct bucket *b)
{
	if (b->milli_tokens >= 1000)
		return 0;
	int64_t ms = (1000 - b->milli_tokens) * 60 / rl->per_minute + 1;
	return (int)((ms + 999) / 1000);
}

int ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	if (strmap_count(rl->keys) >= rl->max_keys && !strmap_get(rl->keys, key)) {
		/*
		 * Forget the buckets that are full again; if that is not enough,
		 * ones that still allow an event; only then limited ones, so that a
		 * flood of new keys cannot free a key that is being limited.
		 */
		struct prune p = { rl, now_ms, 0, 0 };
		strmap_filter(rl->keys, keep, &p);
		/* a tenth at a time, so that a flood of new keys costs one walk per tenth, not one per key */
		size_t room = rl->max_keys / 10 ? rl->max_keys / 10 : 1;
		for (int pass = 0; pass < 2 && strmap_count(rl->keys) + room > rl->max_keys; pass++) {
			p.below = pass == 0 ? 1000 : 0;
			p.excess = strmap_count(rl->keys) + room - rl->max_keys;
			strmap_filter(rl->keys, keep, &p);
		}
	}
	void **slot = strmap_slot(rl->keys, key);
	struct bucket *b = *slot;
	if (!b) {
		b = xmalloc(sizeof(*b));
		*b = (struct bucket){ rl->burst_milli, now_ms };
		*slot = b;
	}
	refill(rl, b, now_ms);
	if (b->milli_tokens < 1000)
		return wait_seconds(rl, b);
	b->milli_tokens -= 1000;
	return 0;
}

int ratelimit_wait(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	struct bucket *b = strmap_get(rl->keys, key);
	if (!b)
		return 0;
	refill(rl, b, now_ms);
	return wait_seconds(rl, b);
}

void ratelimit_give(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	struct bucket *b = strmap_get(rl->keys, key);
	if (!b)
		return;
	refill(rl, b, now_ms);
	b->milli_tokens += 1000;
	if (b->milli_tokens > rl->burst_milli)
		b->milli_tokens = rl->burst_milli;
}
