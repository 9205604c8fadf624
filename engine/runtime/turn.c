/*
 * turn — a unit begun while the loop is not dispatching must not leave the
 * transaction open while the loop sleeps: beginning the transaction also
 * activates an empty event, so the loop turn ends promptly and commits.
 */
#include "turn.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

struct participant {
	turn_done_fn done;
	void *ctx;
};

struct turn {
	struct store *store;
	struct event *kick;
	struct participant *parts;
	size_t n_parts, alloc_parts;
	int depth;                 /* units begun and not ended */
	int64_t touched_us;        /* when this turn's first callback began (monotonic), or 0 */
	int64_t logged_us;         /* when a slow turn was last logged */
	uint64_t units_at_begin;   /* stats.units when the turn's transaction began */
	struct turn_stats stats;
};

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
	/* Waking the loop is all: the daemon ends every turn with turn_end. */
}

static const double units_bounds[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256 };
static const double seconds_bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1 };

struct turn *turn_new(struct event_base *base, struct store *store)
{
	struct turn *t = xcalloc(1, sizeof(*t));
	t->store = store;
	prom_histogram_init(&t->stats.units_per_commit, units_bounds, COUNT_OF(units_bounds));
	prom_histogram_init(&t->stats.commit_seconds, seconds_bounds, COUNT_OF(seconds_bounds));
	prom_histogram_init(&t->stats.turn_seconds, seconds_bounds, COUNT_OF(seconds_bounds));
	t->kick = event_new(base, -1, 0, on_kick, t);
	return t;
}

void turn_free(struct turn *t)
{
	if (!t)
		return;
	if (store_in_transaction(t->store))
		store_rollback(t->store);
	event_free(t->kick);
	free(t->parts);
	free(t);
}

void turn_touch(struct turn *t)
{
	if (!t->touched_us)
		t->touched_us = clock_monotonic_us();
}

void turn_join(struct turn *t, turn_done_fn done, void *ctx)
{
	grow_array(&t->parts, &t->alloc_parts, t->n_parts, sizeof(*t->parts));
	t->parts[t->n_parts++] = (struct participant){ done, ctx };
}

int turn_unit_begin(struct turn *t)
{
	if (!store_in_transaction(t->store)) {
		int rc = store_begin(t->store);
		if (rc)
			return rc;
		t->units_at_begin = t->stats.units;
		event_active(t->kick, 0, 0);
	}
	if (store_savepoint(t->store)) {
		if (t->depth == 0)
			store_rollback(t->store);
		return -1;
	}
	t->depth++;
	return 0;
}

int turn_unit_end(struct turn *t, bool keep)
{
	t->depth--;
	if (keep && store_savepoint_release(t->store) == 0) {
		t->stats.units++;
		return 0;
	}
	store_savepoint_rollback(t->store);
	return keep ? -1 : 0;
}

bool turn_pending(const struct turn *t)
{
	return store_in_transaction(t->store);
}

/* Commits what the transaction holds: true when it is on disk (or there was nothing to commit). */
static bool commit(struct turn *t)
{
	if (!store_in_transaction(t->store))
		return true;
	t->stats.commits++;
	int64_t from = clock_monotonic_us();
	int rc = store_commit(t->store);
	prom_observe(&t->stats.commit_seconds, (double)(clock_monotonic_us() - from) / 1e6);
	if (rc == 0) {
		prom_observe(&t->stats.units_per_commit, (double)(t->stats.units - t->units_at_begin));
		return true;
	}
	log_msg(LOGM_COMMIT_FAILED, "commit failed: %s; the turn's work is undone", store_errmsg(t->store));
	t->stats.failed_commits++;
	return false;
}

void turn_end(struct turn *t)
{
	turn_touch(t);
	int64_t commit_from = clock_monotonic_us();
	bool committed = commit(t);
	int64_t commit_us = clock_monotonic_us() - commit_from;
	for (size_t i = 0; i < t->n_parts; i++)
		t->parts[i].done(t->parts[i].ctx, committed);
	/*
	 * What participants did after the commit (a delivery refused at once
	 * records its outcome) is committed before the loop sleeps, so every
	 * effect of the turn is on disk when it ends. Nobody waits on it: a
	 * failure only means a notification is sent again.
	 */
	commit(t);
	int64_t took = clock_monotonic_us() - t->touched_us;
	prom_observe(&t->stats.turn_seconds, (double)took / 1e6);
	if (took > t->stats.longest_us)
		t->stats.longest_us = took;
	if (took > TURN_SLOW_US)
		t->stats.slow_turns++;
	/* a turn far over its time is said once a second at most, with how much of it the disk took */
	if (took > TURN_SLOW_LOG_US && t->touched_us - t->logged_us > 1000000) {
		log_msg(LOGM_SLOW_TURN, "slow loop turn: %.1f ms, of which %.1f ms its commit", (double)took / 1000.0,
			 (double)commit_us / 1000.0);
		t->logged_us = t->touched_us;
	}
	t->touched_us = 0;
}

const struct turn_stats *turn_stats(const struct turn *t)
{
	return &t->stats;
}
