/*
 * dispatch — delivers the outbox, at least once. After each loop turn's commit
 * it hands due notifications to their channels' adapters (at most
 * DISPATCH_IN_FLIGHT at a time, one per case and channel so order is kept) and
 * records each outcome: delivered, or a retry later with exponential backoff and
 * jitter, or dead after the configured attempts or age. Nothing here waits on
 * the network: a slow or dead target never slows the API.
 */
#ifndef TSUNAGU_DISPATCH_H
#define TSUNAGU_DISPATCH_H

#include <event2/event.h>
#include <stdint.h>

#include "core.h"
#include "prom.h"
#include "turn.h"

#define DISPATCH_IN_FLIGHT 64

struct dispatch_stats {
	uint64_t delivered;
	uint64_t failed_attempts;
	uint64_t dead;
	uint64_t unrecorded;       /* outcomes the store could not take (the notification is sent again) */
	struct prom_table attempts;   /* channel="…",result="delivered|failed|dead": attempts by their outcome */
	struct prom_table durations;  /* channel="…": seconds from the start of an attempt to its outcome */
};

struct dispatch;

/*
 * Opens every configured channel; pumps after each of the turn's commits.
 * Returns NULL with a message when one cannot be opened.
 */
struct dispatch *dispatch_new(struct event_base *base, struct core *core, struct turn *turn, char **err);
void dispatch_free(struct dispatch *d);

/* Sends what is due (after a commit); arms a wake-up for the next retry. */
void dispatch_pump(struct dispatch *d);

const struct dispatch_stats *dispatch_stats(const struct dispatch *d);

#endif
