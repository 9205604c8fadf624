/*
 * metrics — the daemon's numbers in the Prometheus text format (GET /metrics):
 * what the loop's parts counted (requests, group commits, timers, deliveries,
 * connections, the scheduled chain check), what the store holds (pending
 * timers, the outbox by channel, the files' sizes) and the process itself.
 * Labels name routes, channels and pathways only, never a case, user or person.
 */
#ifndef TSUNAGU_METRICS_H
#define TSUNAGU_METRICS_H

#include "core.h"
#include "dispatch.h"
#include "httpd.h"
#include "timers.h"
#include "turn.h"

/* The loop's parts whose counts are shown; any may be NULL (not started). */
struct metrics_sources {
	const struct core *core;
	const struct httpd *httpd;
	const struct turn *turn;
	const struct timers *timers;
	const struct dispatch *dispatch;
	const char *store_kind;    /* "sqlite" */
};

/* The loop's counts, from the loop thread (they change with every turn). */
void metrics_write_loop(const struct metrics_sources *src, struct buf *out);

/*
 * What the store and the process say: reads, so on a worker's connection; the
 * config's channels are shown even when none of their notifications waits.
 */
void metrics_write_store(struct store *store, const struct config *cfg, clock_us now, struct buf *out);

/* The content type of the text. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
