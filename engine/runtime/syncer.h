/*
 * syncer — flushes the database's write-ahead log to disk on a thread of its
 * own, so that the loop goes on with the next turn while the disk works (the
 * flush was half of what a turn of reads cost). The loop asks for everything
 * written so far to be flushed (syncer_request, with the number of its turn);
 * the syncer answers, on the loop, how far the disk has got. One flush covers
 * every request made before it began: requests made while a flush runs are
 * served together by the next.
 */
#ifndef TSUNAGU_SYNCER_H
#define TSUNAGU_SYNCER_H

#include <event2/event.h>
#include <stdint.h>

struct syncer;

/*
 * On the loop: everything requested up to `upto` is on disk. When a flush
 * fails, nothing after the last good one can be known to be on disk, and the
 * syncer does not call back: it says so on stderr and ends the process
 * (no acknowledgement may follow a failed flush).
 */
typedef void (*syncer_done_fn)(void *ctx, uint64_t upto);

/* fd is the write-ahead log's (the syncer closes it). NULL with *err when the thread cannot start. */
struct syncer *syncer_new(struct event_base *base, int fd, syncer_done_fn done, void *ctx, char **err);

/* Asks for what is written now to be flushed; upto grows with each request. */
void syncer_request(struct syncer *s, uint64_t upto);

/* Blocks until every request is flushed and returns how far (the stop, and tests); no callback. */
uint64_t syncer_wait(struct syncer *s);

void syncer_free(struct syncer *s);

#endif
