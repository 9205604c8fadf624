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

#include "api.h"

#define DISPATCH_IN_FLIGHT 64

struct dispatch_stats {
	uint64_t delivered;
	uint64_t failed_attempts;
	uint64_t dead;
};

struct dispatch;

/* Opens every configured channel. Returns NULL with a message when one cannot be opened. */
struct dispatch *dispatch_new(struct event_base *base, struct app *app, char **err);
void dispatch_free(struct dispatch *d);

/* Sends what is due (call after a commit); arms a wake-up for the next retry. */
void dispatch_pump(struct dispatch *d);

const struct dispatch_stats *dispatch_stats(const struct dispatch *d);

#endif
