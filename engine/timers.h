/*
 * timers — fires the due timers of cases. The loop keeps one libevent timer for
 * the earliest due time (pending timers live in SQLite, so a million of them
 * cost the memory of one); due timers run in bounded batches, each as a system
 * action or a notification, in the same transaction that marks it fired, so a
 * timer fires once even across kill -9, and overdue timers fire after a restart.
 */
#ifndef TSUNAGU_TIMERS_H
#define TSUNAGU_TIMERS_H

#include <event2/event.h>
#include <stdint.h>

#include "api.h"

#define TIMERS_BATCH 200

struct timers_stats {
	uint64_t fired;            /* timers that took their action or sent their notification */
	uint64_t stale;            /* timers found for a state the case had left */
	int64_t last_lateness_us;  /* how late the first timer of the last batch fired */
	uint64_t batches;
};

struct timers;

struct timers *timers_new(struct event_base *base, struct app *app);
void timers_free(struct timers *t);

/* Re-arms the loop timer for the earliest pending due time (after a commit). */
void timers_reschedule(struct timers *t);

/* True when the last batch was full, so more may be due at once. */
bool timers_pending_now(const struct timers *t);

const struct timers_stats *timers_stats(const struct timers *t);

#endif
