/*
 * log — one mutex-protected queue of records and a condition variable. The
 * writer takes the whole queue at once and writes it without the lock held,
 * so a slow stderr or journal only ever blocks the writer thread.
 */
#include "log.h"
#include "util.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_ID_MAX 64

const struct log_message_info log_messages[LOGM_COUNT] = {
	[LOGM_STARTED] = { "started", "4d715e307d574aa87848c71dcdecc0da", LOG_LEVEL_NOTICE },
	[LOGM_STOPPING] = { "stopping", "89f8001303daa599d777b01822142ba3", LOG_LEVEL_NOTICE },
	[LOGM_STOPPED] = { "stopped", "62f69dcf2107e73658ea4c58ae943bbc", LOG_LEVEL_NOTICE },
	[LOGM_START_REFUSED] = { "start_refused", "50f6ae385f9990d8eb44e512a508490c", LOG_LEVEL_ERROR },
	[LOGM_RELOADED] = { "reloaded", "2ea7be095b7245cba015f5498b8b3a49", LOG_LEVEL_NOTICE },
	[LOGM_RELOAD_REFUSED] = { "reload_refused", "c617a0043df48be395928ca017f519fe", LOG_LEVEL_ERROR },
	[LOGM_PATHWAY_PUBLISHED] = { "pathway_published", "481f7a55d8c8c23cfa502ed8738ec924", LOG_LEVEL_NOTICE },
	[LOGM_PATHWAY_KEPT] = { "pathway_kept", "b8b3b4bd5d6d74e2a682f3babecdb915", LOG_LEVEL_WARNING },
	[LOGM_CHAIN_WHOLE] = { "chain_whole", "518658f0766a976ca22e04aadeb5732d", LOG_LEVEL_INFO },
	[LOGM_CHAIN_BROKEN] = { "chain_broken", "b56d720efbddb6ba83b9426134625d0e", LOG_LEVEL_ERROR },
	[LOGM_CHAIN_UNREADABLE] = { "chain_unreadable", "5416b45c393ad2f93b10d2efa1f282ac", LOG_LEVEL_ERROR },
	[LOGM_CHECKPOINT_FAILED] = { "checkpoint_failed", "9a62609804f0683981b047ac67af0420", LOG_LEVEL_WARNING },
	[LOGM_COMMIT_FAILED] = { "commit_failed", "08de33f5c6eccc1fa4a9af4e7e11f2af", LOG_LEVEL_ERROR },
	[LOGM_SLOW_TURN] = { "slow_turn", "3b3cb5dbb7b581a53ea329b1e9a40657", LOG_LEVEL_WARNING },
	[LOGM_SLOW_REQUEST] = { "slow_request", "dce746d80d3fd4e89136981ddadaec31", LOG_LEVEL_WARNING },
	[LOGM_TIMERS_STOPPED] = { "timers_stopped", "19232049b5d9c7f8bc3ced5d562c5b3c", LOG_LEVEL_WARNING },
	[LOGM_TIMER_REFUSED] = { "timer_refused", "543d1d397b2036d6a4d4721372471bbd", LOG_LEVEL_WARNING },
	[LOGM_DELIVERY_UNRECORDED] = { "delivery_unrecorded", "0fe71d48e97a64c5562708913bfce887", LOG_LEVEL_WARNING },
	[LOGM_WORKER_FAILED] = { "worker_failed", "72f141c18d25080451e5d6c253113974", LOG_LEVEL_ERROR },
	[LOGM_ACCEPT_FAILED] = { "accept_failed", "98195248be832721a0d5a2747b156699", LOG_LEVEL_ERROR },
	[LOGM_DESCRIPTORS_LOW] = { "descriptors_low", "3182f95388203d31c4a2b4f54f857e56", LOG_LEVEL_WARNING },
	[LOGM_AUTH_THROTTLED] = { "auth_throttled", "2c06742303c0202e09e4150b9979357f", LOG_LEVEL_WARNING },
	[LOGM_AUTH_REFUSED] = { "auth_refused", "9c46da76868b2bce3fca2991f1cf00a0", LOG_LEVEL_NOTICE },
	[LOGM_SESSION_ENDED] = { "session_ended", "d14259bcef1f594019dab070360c5028", LOG_LEVEL_INFO },
	[LOGM_CSRF_REFUSED] = { "csrf_refused", "d7261ad36b7557a47bd40205f08121ce", LOG_LEVEL_WARNING },
	[LOGM_SIGN_IN_THROTTLED] = { "sign_in_throttled", "286c44e9f1a53a0d5d2908b6d30c9556", LOG_LEVEL_WARNING },
	[LOGM_SIGNED_IN] = { "signed_in", "f5fabe8e625e55c16050bd9c5a880655", LOG_LEVEL_INFO },
	[LOGM_SIGNED_OUT] = { "signed_out", "449e1a202277cde2e165d28e86e08bd2", LOG_LEVEL_INFO },
	[LOGM_STORE_ERROR] = { "store_error", "1613690617a53cf89e654e8acafd5896", LOG_LEVEL_ERROR },
	[LOGM_LOG_DROPPED] = { "log_dropped", "0957c6a86116310d8d0fa87c1b83bb2d", LOG_LEVEL_WARNING },
	[LOGM_BACKUP_DONE] = { "backup_done", "a0168990724682021b8b4cd135f613a7", LOG_LEVEL_NOTICE },
	[LOGM_BACKUP_FAILED] = { "backup_failed", "9c3d7b747d64981648e94d72ee376947", LOG_LEVEL_ERROR },
};

static const char *const level_names[] = { [LOG_LEVEL_ERROR] = "error", [LOG_LEVEL_WARNING] = "warning",
					   [LOG_LEVEL_NOTICE] = "notice", [LOG_LEVEL_INFO] = "info" };

/* One line waiting: its header, then its text and NUL, in the queue's bytes. */
struct record {
	uint32_t msg;
	uint32_t text_len;
	int64_t at_us;             /* wall clock */
	char request_id[REQUEST_ID_MAX + 1];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stopping;
	enum log_format format;
	struct buf queue;
	size_t max_bytes;
	uint64_t dropped, dropped_reported;
} logq = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static _Thread_local char current_request[REQUEST_ID_MAX + 1];

/*
 * systemd sets JOURNAL_STREAM to the device and inode of the stream it gave
 * stderr; a child whose stderr was since redirected elsewhere inherits the
 * variable, so it counts only when stderr is still that stream.
 */
static bool stderr_is_the_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	return v && sscanf(v, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int log_set_format(const char *name)
{
	enum log_format f;
	if (!strcmp(name, "text"))
		f = LOG_TEXT;
	else if (!strcmp(name, "json"))
		f = LOG_JSON;
	else if (!strcmp(name, "journal"))
		f = LOG_JOURNAL;
	else if (!strcmp(name, "auto"))
		f = stderr_is_the_journal() ? LOG_JOURNAL : LOG_TEXT;
	else
		return -1;
	pthread_mutex_lock(&logq.lock);
	logq.format = f;
	pthread_mutex_unlock(&logq.lock);
	return 0;
}

void log_request_begin(const char *request_id)
{
	snprintf(current_request, sizeof(current_request), "%s", request_id ? request_id : "");
}

void log_request_end(void)
{
	current_request[0] = '\0';
}

static void write_all(const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(STDERR_FILENO, data, len);
		if (n <= 0)
			return; /* nowhere to log to: the lines are lost, the daemon goes on */
		data += n;
		len -= (size_t)n;
	}
}

/* Adds one record's line in the format to out (the journal's are sent, not added). */
static void emit(enum log_format format, const struct record *r, const char *text, struct buf *out)
{
	const struct log_message_info *m = &log_messages[r->msg];
	if (format == LOG_JOURNAL) {
		if (r->request_id[0])
			sd_journal_send("MESSAGE=%s", text, "PRIORITY=%d", (int)m->level, "MESSAGE_ID=%s", m->id,
					"TSUNAGU_MESSAGE=%s", m->name, "TSUNAGU_REQUEST_ID=%s", r->request_id,
					"SYSLOG_IDENTIFIER=tsunagu", NULL);
		else
			sd_journal_send("MESSAGE=%s", text, "PRIORITY=%d", (int)m->level, "MESSAGE_ID=%s", m->id,
					"TSUNAGU_MESSAGE=%s", m->name, "SYSLOG_IDENTIFIER=tsunagu", NULL);
		return;
	}
	if (format == LOG_JSON) {
		time_t secs = (time_t)(r->at_us / 1000000);
		struct tm tm;
		char at[80];
		gmtime_r(&secs, &tm);
		snprintf(at, sizeof(at), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(r->at_us / 1000 % 1000));
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "time", at, "level", level_names[m->level], "message_id",
				      m->name, "journal_message_id", m->id, "message", text);
		if (r->request_id[0])
			json_object_set_new(o, "request_id", json_string(r->request_id));
		char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(o);
		if (line) {
			buf_adds(out, line);
			buf_addc(out, '\n');
			free(line);
		}
		return;
	}
	buf_printf(out, "tsunagu: %s%s%s [%s%s%s]\n", m->level <= LOG_LEVEL_WARNING ? level_names[m->level] : "",
		   m->level <= LOG_LEVEL_WARNING ? ": " : "", text, m->name, r->request_id[0] ? " request " : "",
		   r->request_id);
}

/* Writes a batch of queued records. */
static void write_batch(enum log_format format, const struct buf *batch)
{
	struct buf out;
	buf_init(&out);
	size_t at = 0;
	while (at + sizeof(struct record) <= batch->len) {
		struct record r;
		memcpy(&r, batch->data + at, sizeof(r));
		const char *text = batch->data + at + sizeof(r);
		emit(format, &r, text, &out);
		at += sizeof(r) + r.text_len + 1;
	}
	write_all(out.data, out.len);
	buf_release(&out);
}

static void *writer(void *arg)
{
	pthread_mutex_lock(&logq.lock);
	for (;;) {
		while (!logq.queue.len && !logq.stopping)
			pthread_cond_wait(&logq.wake, &logq.lock);
		if (!logq.queue.len && logq.stopping)
			break;
		struct buf batch = logq.queue;
		enum log_format format = logq.format;
		buf_init(&logq.queue);
		pthread_mutex_unlock(&logq.lock);
		write_batch(format, &batch);
		buf_release(&batch);
		pthread_mutex_lock(&logq.lock);
	}
	pthread_mutex_unlock(&logq.lock);
	return arg;
}

void log_start(size_t max_bytes)
{
	pthread_mutex_lock(&logq.lock);
	if (!logq.running) {
		buf_init(&logq.queue);
		logq.max_bytes = max_bytes;
		logq.stopping = false;
		logq.running = pthread_create(&logq.thread, NULL, writer, NULL) == 0;
	}
	pthread_mutex_unlock(&logq.lock);
}

void log_stop(void)
{
	pthread_mutex_lock(&logq.lock);
	bool running = logq.running;
	logq.stopping = true;
	pthread_cond_signal(&logq.wake);
	pthread_mutex_unlock(&logq.lock);
	if (running)
		pthread_join(logq.thread, NULL);
	pthread_mutex_lock(&logq.lock);
	logq.running = false;
	buf_release(&logq.queue);
	pthread_mutex_unlock(&logq.lock);
}

/* Appends a record to b; one line, whatever the text held. */
static void add_record(struct buf *b, enum log_msg msg, const char *request_id, const char *text)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct record r = { .msg = (uint32_t)msg, .text_len = (uint32_t)strlen(text),
			    .at_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 };
	snprintf(r.request_id, sizeof(r.request_id), "%s", request_id);
	buf_add(b, &r, sizeof(r));
	size_t from = b->len;
	buf_add(b, text, r.text_len + 1);
	for (size_t i = from; i < b->len - 1; i++)
		if (b->data[i] == '\n' || b->data[i] == '\r')
			b->data[i] = ' ';
}

void log_msg(enum log_msg msg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	struct buf one;
	buf_init(&one);
	add_record(&one, msg, current_request, text);
	pthread_mutex_lock(&logq.lock);
	if (!logq.running) {
		enum log_format format = logq.format;
		pthread_mutex_unlock(&logq.lock);
		write_batch(format, &one);
		goto out;
	}
	if (logq.dropped > logq.dropped_reported && logq.queue.len + 256 <= logq.max_bytes) {
		char note[96];
		snprintf(note, sizeof(note), "%llu log lines were dropped (the log could not keep up)",
			 (unsigned long long)(logq.dropped - logq.dropped_reported));
		add_record(&logq.queue, LOGM_LOG_DROPPED, "", note);
		logq.dropped_reported = logq.dropped;
	}
	if (logq.queue.len + one.len > logq.max_bytes) {
		logq.dropped++;
	} else {
		buf_add(&logq.queue, one.data, one.len);
		pthread_cond_signal(&logq.wake);
	}
	pthread_mutex_unlock(&logq.lock);
out:
	buf_release(&one);
	free(text);
}

uint64_t log_dropped(void)
{
	pthread_mutex_lock(&logq.lock);
	uint64_t n = logq.dropped;
	pthread_mutex_unlock(&logq.lock);
	return n;
}
