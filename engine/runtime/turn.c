/*
 * turn — a unit begun while the loop is not dispatching must not leave the
 * transaction open while the loop sleeps: beginning the transaction also
 * activates an empty event, so the loop turn ends promptly and commits.
 * Ended turns wait in a queue, in order, until the disk has what they
 * committed; a turn that wrote nothing, or whose commit failed, waits only
 * for the turns before it (what it read may be theirs). A loop turn that
 * ends while a flush runs is not a turn of its own: what it did joins the
 * turn that commits once the flush is back.
 */
#include "turn.h"
#include "clock.h"
#include "log.h"
#include "syncer.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct participant {
	turn_done_fn done;
	void *ctx;
};

/* A turn ended and not yet told to the participants. */
struct ended {
	uint64_t number;
	bool committed;
	bool flushing;             /* committed work: waits for the disk */
	int64_t head_seq;          /* the last event after its commit */
	int64_t commit_from_us;    /* when its commit began (monotonic) */
};

struct turn {
	struct store *store;
	struct syncer *syncer;
	struct event *kick;
	uint64_t number;           /* the turn units join now */
	bool open;                 /* a transaction was begun for it and not yet ended by a commit */
	uint64_t flushing;         /* the last turn whose flush was asked for */
	uint64_t flushed;          /* the disk has every turn up to this one */
	int64_t durable_seq;
	struct ended *ended;       /* oldest first */
	size_t n_ended, alloc_ended;
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

static void tell(struct turn *t);

static void on_flushed(void *ctx, uint64_t upto)
{
	struct turn *t = ctx;
	turn_touch(t);
	t->flushed = upto;
	tell(t);
}

struct turn *turn_new(struct event_base *base, struct store *store, char **err)
{
	int fd = -1;
	if (store_sync_apart(store, &fd, err))
		return NULL;
	struct turn *t = xcalloc(1, sizeof(*t));
	t->store = store;
	t->number = 1;
	if (store_event_head(store, &t->durable_seq))
		t->durable_seq = 0;
	t->syncer = syncer_new(base, fd, on_flushed, t, err);
	if (!t->syncer) {
		free(t);
		return NULL;
	}
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
	syncer_free(t->syncer);
	event_free(t->kick);
	free(t->ended);
	free(t->parts);
	free(t);
}

uint64_t turn_number(const struct turn *t)
{
	return t->number;
}

int64_t turn_durable_seq(const struct turn *t)
{
	return t->durable_seq;
}

bool turn_unsettled(const struct turn *t)
{
	return t->n_ended > 0;
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

static void queue(struct turn *t, struct ended e)
{
	grow_array(&t->ended, &t->alloc_ended, t->n_ended, sizeof(*t->ended));
	t->ended[t->n_ended++] = e;
}

/*
 * After some errors (a full disk, no memory) SQLite undoes the whole
 * transaction, savepoints and all: the units kept before are gone, and the
 * turn must be told so (their replies become 503s) rather than committed.
 */
static void notice_lost(struct turn *t)
{
	if (!t->open || store_in_transaction(t->store))
		return;
	t->open = false;
	t->stats.failed_commits++;
	log_msg(LOGM_COMMIT_FAILED, "the database undid the turn's transaction (%s); its work is refused",
		store_errmsg(t->store));
	queue(t, (struct ended){ .number = t->number++, .committed = false });
}

int turn_unit_begin(struct turn *t)
{
	notice_lost(t);
	if (!store_in_transaction(t->store)) {
		int rc = store_begin(t->store);
		if (rc)
			return rc;
		t->open = true;
		t->units_at_begin = t->stats.units;
		event_active(t->kick, 0, 0);
	}
	if (store_savepoint(t->store)) {
		if (t->depth == 0)
			store_rollback(t->store);
		notice_lost(t);
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
	notice_lost(t);
	return keep ? -1 : 0;
}

bool turn_pending(const struct turn *t)
{
	return store_in_transaction(t->store);
}

/*
 * Tells the participants of each ended turn at the head of the queue whose
 * work is on disk (or had none to put there), oldest first. What they do
 * then (a delivery refused at once records its outcome) begins the next
 * turn's transaction, which wakes the loop, so it is committed before the
 * loop sleeps.
 */
static void tell(struct turn *t)
{
	size_t told = 0;
	while (told < t->n_ended) {
		struct ended e = t->ended[told];
		if (e.flushing && e.number > t->flushed)
			break;
		told++;
		if (e.flushing) {
			prom_observe(&t->stats.commit_seconds, (double)(clock_monotonic_us() - e.commit_from_us) / 1e6);
			if (e.head_seq > t->durable_seq)
				t->durable_seq = e.head_seq;
		}
		for (size_t i = 0; i < t->n_parts; i++)
			t->parts[i].done(t->parts[i].ctx, e.number, e.committed);
	}
	if (told) {
		memmove(t->ended, t->ended + told, (t->n_ended - told) * sizeof(*t->ended));
		t->n_ended -= told;
	}
}

/* Commits what the transaction holds (without waiting for the disk) and queues the turn. */
static void commit(struct turn *t)
{
	notice_lost(t);
	struct ended e = { .number = t->number++, .committed = true, .commit_from_us = clock_monotonic_us() };
	t->open = false;
	if (store_in_transaction(t->store)) {
		t->stats.commits++;
		if (store_commit(t->store) == 0) {
			prom_observe(&t->stats.units_per_commit, (double)(t->stats.units - t->units_at_begin));
			/* unknown, the notifications of this turn wait for a later one's head */
			if (store_event_head(t->store, &e.head_seq))
				e.head_seq = 0;
			e.flushing = true;
			t->flushing = e.number;
			syncer_request(t->syncer, e.number);
		} else {
			log_msg(LOGM_COMMIT_FAILED, "commit failed: %s; the turn's work is undone", store_errmsg(t->store));
			t->stats.failed_commits++;
			e.committed = false;
		}
	}
	queue(t, e);
}

void turn_settle(struct turn *t)
{
	/* what participants write on hearing (a delivery's outcome) is a turn of its own: a few rounds at most */
	for (int round = 0; round < 4 && (store_in_transaction(t->store) || t->n_ended); round++) {
		if (store_in_transaction(t->store))
			commit(t);
		t->flushed = syncer_wait(t->syncer);
		tell(t);
	}
}

/*
 * While a flush runs, the turn's transaction stays open and the next loop
 * turns' units join it; it commits when the flush is back. So a commit covers
 * everything that arrived during one flush: committing each loop turn at once
 * would write the pages they share into the WAL once per commit.
 */
void turn_end(struct turn *t)
{
	turn_touch(t);
	int64_t commit_from = clock_monotonic_us();
	if (t->flushing <= t->flushed)
		commit(t);
	int64_t commit_us = clock_monotonic_us() - commit_from;
	tell(t);
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
