/*
 * timers — fires the due timers of cases. The loop keeps one libevent timer for
 * the earliest due time (pending timers live in the store, so a million of them
 * cost the memory of one); due timers run in bounded batches, each timer a unit
 * of the loop turn (core/flow fires it as the system, in the same unit that
 * marks it fired), so a timer fires once even across kill -9, and overdue timers
 * fire after a restart.
 */
#ifndef TSUNAGU_TIMERS_H
#define TSUNAGU_TIMERS_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "prom.h"
#include "turn.h"

#define TIMERS_BATCH 200

struct timers_stats {
	uint64_t fired;            /* timers that took their action or sent their notification */
	uint64_t stale;            /* timers found for a state the case had left, or whose action was refused */
	int64_t last_lateness_us;  /* how late the first timer of the last batch fired */
	uint64_t batches;
	struct prom_table fired_by_pathway;  /* pathway="…": timers fired (committed) */
	struct prom_histogram lateness;      /* seconds between each fired timer's due time and its firing */
};

struct timers;

/* Creates the scheduler; it re-arms itself after every turn's commit. */
struct timers *timers_new(struct event_base *base, struct core *core, struct turn *turn);
void timers_free(struct timers *t);

/* Re-arms the loop timer for the earliest pending due time. */
void timers_reschedule(struct timers *t);

const struct timers_stats *timers_stats(const struct timers *t);

#endif
