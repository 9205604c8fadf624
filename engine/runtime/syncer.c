/*
 * syncer — one thread, a mutex and condition variable around two numbers (how
 * far the loop asked, how far the disk got), and a byte on a pipe to wake the
 * loop when a flush ends. The thread touches nothing of the loop.
 */
#include "syncer.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct syncer {
	int fd;
	syncer_done_fn done;
	void *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;       /* the thread: a request or the stop */
	pthread_cond_t flushed;    /* syncer_wait: a flush ended */
	uint64_t requested, synced;
	int failed_errno;          /* the first failed flush's: nothing after it is known to be on disk */
	bool stopping;
	int pipe_fds[2];
	struct event *drain;
};

static void *run(void *arg)
{
	struct syncer *s = arg;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->stopping && s->requested == s->synced)
			pthread_cond_wait(&s->wake, &s->lock);
		if (s->requested == s->synced)
			break;
		uint64_t target = s->requested;
		pthread_mutex_unlock(&s->lock);
		int rc = fdatasync(s->fd);
		int e = errno;
		pthread_mutex_lock(&s->lock);
		if (rc && !s->failed_errno)
			s->failed_errno = e;
		if (!s->failed_errno)
			s->synced = target;
		pthread_cond_broadcast(&s->flushed);
		char byte = 1;
		/* a full pipe already holds a wake-up */
		if (write(s->pipe_fds[1], &byte, 1) < 0 && errno != EAGAIN)
			log_msg(LOGM_WORKER_FAILED, "syncer: cannot wake the loop: %s", strerror(errno));
		if (s->failed_errno)
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/*
 * A flush that failed may have dropped what it was to write (Linux marks the
 * pages clean): the commits after the last good flush may or may not be on
 * disk, so no reply may say either. The process ends; its restart recovers
 * what the disk holds.
 */
static void fail(int e)
{
	log_msg(LOGM_COMMIT_FAILED, "the disk failed to flush the write-ahead log (%s): stopping without answering what "
		"waited for it; everything answered before is on disk", strerror(e));
	log_stop();
	_exit(1);
}

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct syncer *s = arg;
	char bytes[64];
	while (read(fd, bytes, sizeof(bytes)) > 0)
		;
	pthread_mutex_lock(&s->lock);
	uint64_t upto = s->synced;
	int e = s->failed_errno;
	pthread_mutex_unlock(&s->lock);
	if (e)
		fail(e);
	s->done(s->ctx, upto);
}

struct syncer *syncer_new(struct event_base *base, int fd, syncer_done_fn done, void *ctx, char **err)
{
	struct syncer *s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->done = done;
	s->ctx = ctx;
	s->pipe_fds[0] = s->pipe_fds[1] = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->flushed, NULL);
	if (pipe2(s->pipe_fds, O_CLOEXEC | O_NONBLOCK)) {
		*err = xasprintf("syncer: cannot make a pipe: %s", strerror(errno));
		goto fail;
	}
	s->drain = event_new(base, s->pipe_fds[0], EV_READ | EV_PERSIST, on_drain, s);
	event_add(s->drain, NULL);
	int rc = pthread_create(&s->thread, NULL, run, s);
	if (rc) {
		*err = xasprintf("syncer: cannot start its thread: %s", strerror(rc));
		goto fail;
	}
	return s;
fail:
	if (s->drain)
		event_free(s->drain);
	for (int i = 0; i < 2; i++)
		if (s->pipe_fds[i] >= 0)
			close(s->pipe_fds[i]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->flushed);
	close(fd);
	free(s);
	return NULL;
}

void syncer_request(struct syncer *s, uint64_t upto)
{
	pthread_mutex_lock(&s->lock);
	if (upto > s->requested)
		s->requested = upto;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

uint64_t syncer_wait(struct syncer *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->synced < s->requested && !s->failed_errno)
		pthread_cond_wait(&s->flushed, &s->lock);
	uint64_t upto = s->synced;
	int e = s->failed_errno;
	pthread_mutex_unlock(&s->lock);
	if (e)
		fail(e);
	return upto;
}

void syncer_free(struct syncer *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	/* what was asked is flushed before the thread ends */
	pthread_join(s->thread, NULL);
	event_free(s->drain);
	close(s->pipe_fds[0]);
	close(s->pipe_fds[1]);
	close(s->fd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->flushed);
	free(s);
}
