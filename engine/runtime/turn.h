/*
 * turn — the loop turn and its one transaction, the only owner of it in the
 * daemon. Each unit of work (a request, a due timer, a delivery's outcome)
 * runs between turn_unit_begin and turn_unit_end: the first unit of a turn
 * begins the transaction (BEGIN IMMEDIATE), each unit gets its savepoint so
 * that a failing one undoes only itself. turn_end, once per loop turn, commits
 * (group commit: one flush covers every action of the turn). The flush runs
 * on the syncer's thread while the loop goes on with the next turns; each
 * participant hears, turn by turn and in order, once a turn's work is on disk
 * (or that its commit failed), so replies are sent, notifications started and
 * timers counted only then. What waits on a turn is stamped with its number
 * (turn_number) when it is held.
 */
#ifndef TSUNAGU_TURN_H
#define TSUNAGU_TURN_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "prom.h"
#include "store.h"

struct turn;

struct turn_stats {
	uint64_t commits;          /* turns that committed work */
	uint64_t failed_commits;
	uint64_t units;            /* units kept */
	int64_t longest_us;        /* the longest turn: from its first callback to the end of its commit */
	uint64_t slow_turns;       /* turns longer than TURN_SLOW_US */
	struct prom_histogram units_per_commit;  /* the group commit: units kept by each commit */
	struct prom_histogram commit_seconds;    /* how long each commit took until it was on disk */
	struct prom_histogram turn_seconds;      /* each turn, from its first callback to its commit's end */
};

#define TURN_SLOW_US 50000
#define TURN_SLOW_LOG_US 200000

/*
 * A participant hears of every turn, in order: what it holds stamped with
 * turn (or earlier) may go; committed is false when that turn's commit failed
 * (nothing of it was kept).
 */
typedef void (*turn_done_fn)(void *ctx, uint64_t turn, bool committed);

/* Takes over the store's flushes (store_sync_apart). NULL with *err when it cannot. */
struct turn *turn_new(struct event_base *base, struct store *store, char **err);
/* Flushes what was committed (no participant hears: call turn_settle first). */
void turn_free(struct turn *t);

/* The number of the turn that units begun now belong to: the stamp of what waits on it. */
uint64_t turn_number(const struct turn *t);

/* The last event on disk: notifications of later events wait (they may yet be undone by a crash). */
int64_t turn_durable_seq(const struct turn *t);

/* Waits for the disk and tells the participants of every turn ended (the stop). */
void turn_settle(struct turn *t);

/* True while an ended turn waits for the disk. */
bool turn_unsettled(const struct turn *t);

/*
 * Marks the loop as working on this turn; every callback of the loop calls it
 * first, so that a turn is measured from its first callback (the wait for
 * events is not part of it).
 */
void turn_touch(struct turn *t);

/* Registers a participant; they hear in the order they joined. */
void turn_join(struct turn *t, turn_done_fn done, void *ctx);

/*
 * Begins a unit: opens the turn's transaction if this is its first unit, then
 * a savepoint. 0; STORE_BUSY when another process holds the database's write
 * lock (the caller tries again in a moment); -1 when the database is
 * unavailable. Nothing was begun unless it returns 0.
 */
int turn_unit_begin(struct turn *t);

/*
 * Ends the unit begun last: keep releases its savepoint, !keep rolls it back.
 * 0, or -1 when it could not be kept (it is rolled back).
 */
int turn_unit_end(struct turn *t, bool keep);

/* True while the turn's transaction holds work not yet committed. */
bool turn_pending(const struct turn *t);

/*
 * Commits the turn's work (if any) and asks for its flush; while a flush runs,
 * it leaves the transaction open for the next loop turns' units. Called once
 * per loop turn.
 */
void turn_end(struct turn *t);

const struct turn_stats *turn_stats(const struct turn *t);

#endif
