/*
 * timers — the scheduler. A batch runs inside the loop turn's transaction (the
 * daemon commits it with the turn), each timer in its own savepoint so that one
 * failing timer does not undo the others.
 */
#include "timers.h"
#include "flow.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct timers {
	struct event_base *base;
	struct event *ev;
	struct app *app;
	struct timers_stats stats;
	bool full_batch;
};

static const struct pw_timer *find_timer(const struct pathway *pw, const char *state, const char *name,
					 const struct pw_state **st_out)
{
	int s = pathway_state_index(pw, state);
	if (s < 0)
		return NULL;
	const struct pw_state *st = &pw->states[s];
	*st_out = st;
	for (size_t i = 0; i < st->n_timers; i++)
		if (!strcmp(st->timers[i].name, name))
			return &st->timers[i];
	return NULL;
}

/* Fires one timer: 0 done (fired or found stale), -1 on a storage error. */
static int fire(struct timers *t, const struct store_timer *tm, clock_us now)
{
	struct app *app = t->app;
	struct store *store = app->store;
	struct store_case c = { 0 };
	struct cm_step step = { 0 };
	struct cm_error err = { 0 };
	json_t *subject = NULL;
	int ret = -1;
	int rc = store_case_get(store, tm->case_id, &c);
	if (rc < 0)
		goto out;
	const struct pathway *pw = rc == 0 ? app_pathway(app, c.pathway, c.pathway_version) : NULL;
	const struct pw_state *st = NULL;
	const struct pw_timer *pt = pw ? find_timer(pw, tm->state, tm->name, &st) : NULL;
	if (!pt || strcmp(c.state, tm->state)) {
		/* The case left the state (its timers were cancelled) or the pathway lost the timer. */
		t->stats.stale++;
		ret = store_timer_done(store, tm->id, now, false) < 0 ? -1 : 0;
		goto out;
	}
	struct flow f = { .store = store, .cfg = app->cfg, .cal = app->cal, .now = now };
	if (pt->action >= 0) {
		struct cm_caller system = { .user = NULL, .org = NULL, .roles = MASK(ROLE_SYSTEM) };
		subject = store_subject_get(store, c.subject_id);
		date_days today = clock_local_date(app->clock, now);
		if (cm_act(app->cfg, pw, &c, subject, &system, 0, st->actions[pt->action].name, NULL, today, &step,
			   &err)) {
			/* A guard or a missing field stops it; the timer is spent, and says why. */
			fprintf(stderr, "tsunagu: timer %s of case %s could not take '%s': %s\n", tm->name, c.id,
				st->actions[pt->action].name, err.message);
			t->stats.stale++;
			ret = store_timer_done(store, tm->id, now, false) < 0 ? -1 : 0;
			goto out;
		}
		/* Mark first: entering the next state cancels this state's other timers. */
		if (store_timer_done(store, tm->id, now, true) || flow_step(&f, pw, &c, subject, &step, 0))
			goto out;
	} else if (store_timer_done(store, tm->id, now, true) || flow_timer_notify(&f, &c, pt)) {
		goto out;
	}
	t->stats.fired++;
	ret = 0;
out:
	json_decref(subject);
	cm_step_release(&step);
	cm_error_release(&err);
	store_case_release(&c);
	return ret;
}

struct batch {
	struct timers *t;
	clock_us now;
	int count;
	bool failed;
};

static int fire_one(void *ctx, const struct store_timer *tm)
{
	struct batch *b = ctx;
	struct store *store = b->t->app->store;
	if (b->count++ == 0)
		b->t->stats.last_lateness_us = b->now - tm->due_at;
	if (store_savepoint(store)) {
		b->failed = true;
		return 1;
	}
	if (fire(b->t, tm, b->now)) {
		store_rollback_savepoint(store);
		b->failed = true;
		return 1;
	}
	if (store_release(store)) {
		store_rollback_savepoint(store);
		b->failed = true;
		return 1;
	}
	return 0;
}

static void on_due(evutil_socket_t fd, short what, void *arg)
{
	struct timers *t = arg;
	struct store *store = t->app->store;
	struct batch b = { .t = t, .now = clock_now(t->app->clock) };
	if (!store_in_transaction(store) && store_begin(store)) {
		fprintf(stderr, "tsunagu: timers: the database is busy; retrying\n");
		t->full_batch = true;
		return;
	}
	if (store_timers_due(store, b.now, TIMERS_BATCH, fire_one, &b) || b.failed)
		fprintf(stderr, "tsunagu: timers: a batch stopped early: %s\n", store_errmsg(store));
	t->stats.batches++;
	t->full_batch = b.count == TIMERS_BATCH;
}

struct timers *timers_new(struct event_base *base, struct app *app)
{
	struct timers *t = xcalloc(1, sizeof(*t));
	t->base = base;
	t->app = app;
	t->ev = evtimer_new(base, on_due, t);
	return t;
}

void timers_free(struct timers *t)
{
	if (!t)
		return;
	event_free(t->ev);
	free(t);
}

void timers_reschedule(struct timers *t)
{
	clock_us due;
	struct timeval tv = { 0, 0 };
	evtimer_del(t->ev);
	if (!t->full_batch) {
		int rc = store_timer_next(t->app->store, &due);
		if (rc)
			return; /* none pending (or unreadable: the next turn tries again) */
		clock_us wait = due - clock_now(t->app->clock);
		if (wait > 0) {
			/* A test clock moves only when told to; its timers wait for that. */
			if (t->app->clock->test)
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

bool timers_pending_now(const struct timers *t)
{
	return t->full_batch;
}

const struct timers_stats *timers_stats(const struct timers *t)
{
	return &t->stats;
}
