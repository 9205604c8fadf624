/*
 * log — the daemon's log lines on stderr (the journal under systemd). Once
 * log_start has run, a line goes into a bounded queue that a writer thread
 * empties, so the event loop never waits on a full pipe or a slow journal;
 * when the queue is full the line is dropped and counted, and the count is
 * logged as soon as there is room again. Before log_start, and in commands, a
 * line is written at once.
 */
#ifndef TSUNAGU_LOG_H
#define TSUNAGU_LOG_H

#include <stddef.h>
#include <stdint.h>

/* Starts the writer thread; at most max_bytes of lines wait in the queue. */
void log_start(size_t max_bytes);

/* Writes what waits, then stops the thread (lines after it are written at once again). */
void log_stop(void);

/* One line, prefixed "tsunagu: " (printf-style, without the newline). */
__attribute__((format(printf, 1, 2))) void log_line(const char *fmt, ...);

/* Lines dropped because the queue was full, since the start. */
uint64_t log_dropped(void);

#endif
