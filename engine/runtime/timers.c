/*
 * timers — the scheduler. A batch's timers are counted only once their turn
 * has committed: a failed commit undoes them, and they are due again.
 */
#include "timers.h"
#include "flow.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct timers {
	struct event_base *base;
	struct event *ev;
	struct core *core;
	struct turn *turn;
	struct timers_stats stats;
	struct fired *fired;       /* fired or found spent: counted once their turn is on disk */
	size_t n_fired, alloc_fired;
	bool full_batch;           /* more may be due at once */
	bool failed;               /* the last batch hit a storage error: wait a second before the next */
	bool busy;                 /* the last batch found the database held by another process */
};

/* A timer fired (or found spent) in a turn, for the metrics its commit makes true. */
struct fired {
	uint64_t turn;
	const char *pathway;       /* the core's; NULL when the timer was spent */
	double late_s;
};

static const double lateness_bounds[] = { 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600 };

/* How soon a batch that found the database held elsewhere goes on. */
#define BUSY_RETRY_MS 10

struct batch {
	struct timers *t;
	struct flow flow;
	int count;
	bool failed;
	bool busy;                 /* another process holds the database: the batch goes on a moment later */
};

static int fire_one(void *ctx, const struct store_timer *tm)
{
	struct batch *b = ctx;
	struct timers *t = b->t;
	if (b->count++ == 0)
		t->stats.last_lateness_us = b->flow.now - tm->due_at;
	int begun = turn_unit_begin(t->turn);
	if (begun) {
		b->busy = begun == STORE_BUSY;
		b->failed = !b->busy;
		return 1;
	}
	enum flow_timer_outcome outcome;
	const char *pathway = NULL;
	int rc = flow_fire_timer(&b->flow, tm, &outcome, &pathway);
	if (turn_unit_end(t->turn, rc == FLOW_DONE) || rc != FLOW_DONE) {
		b->failed = true;
		return 1;
	}
	grow_array(&t->fired, &t->alloc_fired, t->n_fired, sizeof(*t->fired));
	t->fired[t->n_fired++] = (struct fired){
		turn_number(t->turn), outcome != FLOW_TIMER_FIRED ? NULL : pathway ? pathway : "unknown",
		(double)(b->flow.now - tm->due_at) / 1e6,
	};
	return 0;
}

static void on_due(evutil_socket_t fd, short what, void *arg)
{
	struct timers *t = arg;
	turn_touch(t->turn);
	struct batch b = { .t = t, .flow = flow_system(t->core, clock_now(t->core->clock)) };
	int rc = store_timers_due(t->core->store, b.flow.now, TIMERS_BATCH, fire_one, &b);
	t->busy = b.busy;
	if (b.busy)
		return;
	if (rc || b.failed) {
		log_msg(LOGM_TIMERS_STOPPED, "timers: a batch stopped early (%s); the rest are due again",
			store_errmsg(t->core->store));
		t->failed = true;
	}
	t->full_batch = b.count == TIMERS_BATCH;
	t->stats.batches++;
}

/* Once a turn is on disk: count what it fired, and wake for the next due timer. */
static void on_turn_end(void *arg, uint64_t turn, bool committed)
{
	struct timers *t = arg;
	size_t n = 0;
	for (; n < t->n_fired && t->fired[n].turn <= turn; n++) {
		const struct fired *f = &t->fired[n];
		if (!committed)
			continue;
		if (!f->pathway) {
			t->stats.stale++;
			continue;
		}
		t->stats.fired++;
		char labels[128];
		prom_labels(labels, sizeof(labels), "pathway", f->pathway, NULL);
		prom_table_get(&t->stats.fired_by_pathway, labels)->value++;
		prom_observe(&t->stats.lateness, f->late_s);
	}
	if (n) {
		memmove(t->fired, t->fired + n, (t->n_fired - n) * sizeof(*t->fired));
		t->n_fired -= n;
	}
	timers_reschedule(t);
}

struct timers *timers_new(struct event_base *base, struct core *core, struct turn *turn)
{
	struct timers *t = xcalloc(1, sizeof(*t));
	t->base = base;
	t->core = core;
	t->turn = turn;
	t->ev = evtimer_new(base, on_due, t);
	prom_table_init(&t->stats.fired_by_pathway, NULL, 0);
	prom_histogram_init(&t->stats.lateness, lateness_bounds, COUNT_OF(lateness_bounds));
	turn_join(turn, on_turn_end, t);
	return t;
}

void timers_free(struct timers *t)
{
	if (!t)
		return;
	event_free(t->ev);
	prom_table_release(&t->stats.fired_by_pathway);
	free(t->fired);
	free(t);
}

void timers_reschedule(struct timers *t)
{
	clock_us due;
	struct timeval tv = { 0, 0 };
	evtimer_del(t->ev);
	if (t->busy) {
		t->busy = false;
		tv.tv_usec = BUSY_RETRY_MS * 1000;
	} else if (t->failed) {
		t->failed = false;
		tv.tv_sec = 1;
	} else if (!t->full_batch) {
		int rc = store_timer_next(t->core->store, &due);
		if (rc)
			return; /* none pending (or unreadable: the next turn tries again) */
		clock_us wait = due - clock_now(t->core->clock);
		if (wait > 0) {
			/* A test clock moves only when told to; its timers wait for that. */
			if (t->core->clock->test)
				return;
			/* Wake at most every hour to stay right after a suspend or a clock change. */
			if (wait > (clock_us)3600 * 1000000)
				wait = (clock_us)3600 * 1000000;
			tv.tv_sec = (time_t)(wait / 1000000);
			tv.tv_usec = (suseconds_t)(wait % 1000000);
		}
	}
	evtimer_add(t->ev, &tv);
}

const struct timers_stats *timers_stats(const struct timers *t)
{
	return &t->stats;
}
