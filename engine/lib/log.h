/*
 * log — the daemon's log: one line per event worth an operator's attention,
 * each with a level, a stable message id (a name and the 128-bit MESSAGE_ID of
 * the journal) and the request it happened in. Written as text, as JSON lines,
 * or to the systemd journal with native fields. Once log_start has run, a line
 * goes into a bounded queue that a writer thread empties, so the event loop
 * never waits on a full pipe or a slow journal; when the queue is full the line
 * is dropped and counted, and the count is logged as soon as there is room
 * again. Before log_start, and in commands, a line is written at once.
 * A line never carries a name, kana, phone or note: ids and addresses only.
 */
#ifndef TSUNAGU_LOG_H
#define TSUNAGU_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* syslog's priorities */
enum log_level { LOG_LEVEL_ERROR = 3, LOG_LEVEL_WARNING = 4, LOG_LEVEL_NOTICE = 5, LOG_LEVEL_INFO = 6 };

/* The messages of the log (docs/operations.md, Logs, lists them with their ids). */
enum log_msg {
	LOGM_STARTED, LOGM_STOPPING, LOGM_STOPPED, LOGM_START_REFUSED,
	LOGM_RELOADED, LOGM_RELOAD_REFUSED, LOGM_PATHWAY_PUBLISHED, LOGM_PATHWAY_KEPT,
	LOGM_CHAIN_WHOLE, LOGM_CHAIN_BROKEN, LOGM_CHAIN_UNREADABLE,
	LOGM_CHECKPOINT_FAILED, LOGM_COMMIT_FAILED, LOGM_SLOW_TURN, LOGM_SLOW_REQUEST,
	LOGM_TIMERS_STOPPED, LOGM_TIMER_REFUSED, LOGM_DELIVERY_UNRECORDED,
	LOGM_WORKER_FAILED, LOGM_ACCEPT_FAILED, LOGM_DESCRIPTORS_LOW,
	LOGM_AUTH_THROTTLED, LOGM_AUTH_REFUSED, LOGM_SESSION_ENDED, LOGM_CSRF_REFUSED,
	LOGM_SIGN_IN_THROTTLED, LOGM_SIGNED_IN, LOGM_SIGNED_OUT,
	LOGM_STORE_ERROR, LOGM_LOG_DROPPED, LOGM_BACKUP_DONE, LOGM_BACKUP_FAILED,
	LOGM_COUNT
};

struct log_message_info {
	const char *name;          /* stable: "chain_broken" */
	const char *id;            /* the journal's MESSAGE_ID: 32 hex digits, stable */
	enum log_level level;
};

extern const struct log_message_info log_messages[LOGM_COUNT];

enum log_format { LOG_TEXT, LOG_JSON, LOG_JOURNAL };

/*
 * "text", "json", "journal", or "auto" (the journal when systemd connected
 * stderr to it, JOURNAL_STREAM; text otherwise). 0, or -1 for another word.
 */
int log_set_format(const char *name);

/* Starts the writer thread; at most max_bytes of lines wait in the queue. */
void log_start(size_t max_bytes);

/* Writes what waits, then stops the thread (lines after it are written at once again). */
void log_stop(void);

/*
 * The request whose work this thread does now (its id goes into every line
 * until log_request_end), or NULL. The id is copied.
 */
void log_request_begin(const char *request_id);
void log_request_end(void);

/* One line of a message (printf-style, without the newline). */
__attribute__((format(printf, 2, 3))) void log_msg(enum log_msg msg, const char *fmt, ...);

/* Lines dropped because the queue was full, since the start. */
uint64_t log_dropped(void);

#endif
