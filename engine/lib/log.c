/*
 * log — one mutex-protected byte queue and a condition variable. The writer
 * takes the whole queue at once and writes it without the lock held, so a slow
 * stderr only ever blocks the writer thread.
 */
#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stopping;
	struct buf queue;
	size_t max_bytes;
	uint64_t dropped, dropped_reported;
} logq = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

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

static void *writer(void *arg)
{
	pthread_mutex_lock(&logq.lock);
	for (;;) {
		while (!logq.queue.len && !logq.stopping)
			pthread_cond_wait(&logq.wake, &logq.lock);
		if (!logq.queue.len && logq.stopping)
			break;
		struct buf batch = logq.queue;
		buf_init(&logq.queue);
		pthread_mutex_unlock(&logq.lock);
		write_all(batch.data, batch.len);
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

void log_line(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	char *line = xasprintf("tsunagu: %s\n", text);
	free(text);
	size_t len = strlen(line);
	pthread_mutex_lock(&logq.lock);
	if (!logq.running) {
		pthread_mutex_unlock(&logq.lock);
		write_all(line, len);
		free(line);
		return;
	}
	if (logq.dropped > logq.dropped_reported && logq.queue.len + 128 <= logq.max_bytes) {
		buf_printf(&logq.queue, "tsunagu: %llu log lines were dropped (the log could not keep up)\n",
			   (unsigned long long)(logq.dropped - logq.dropped_reported));
		logq.dropped_reported = logq.dropped;
	}
	if (logq.queue.len + len > logq.max_bytes) {
		logq.dropped++;
	} else {
		buf_add(&logq.queue, line, len);
		pthread_cond_signal(&logq.wake);
	}
	pthread_mutex_unlock(&logq.lock);
	free(line);
}

uint64_t log_dropped(void)
{
	pthread_mutex_lock(&logq.lock);
	uint64_t n = logq.dropped;
	pthread_mutex_unlock(&logq.lock);
	return n;
}
