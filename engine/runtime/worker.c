/*
 * worker — a mutex and condition variable guard the queue of jobs; finished
 * jobs go on a second queue and a byte on a pipe wakes the loop, which drains
 * that queue in one callback. The threads share nothing with the loop but the
 * two queues: each job gets the clock as it read at submission (a test clock
 * moves on the loop while the job runs) and the config then in force (a
 * reload replaces the loop's; the old one lives until the daemon stops).
 */
#include "worker.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct job {
	worker_run_fn run;
	worker_done_fn done;
	void *ctx;
	struct clock clock;
	const struct config *cfg;  /* the loop's at submission: a reload may replace it while the job waits */
	struct job *next;
};

struct thread {
	struct worker *w;
	pthread_t id;
	bool started;
	struct clock clock;        /* the running job's clock, which env.core.clock points at */
	struct worker_env env;
};

struct worker {
	struct turn *turn;
	const struct clock *loop_clock;
	const struct core *loop_core;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *queued, **queued_tail;
	struct job *finished, **finished_tail;
	size_t pending;            /* queued, running or finished and not yet done on the loop */
	bool stopping;
	int pipe_fds[2];
	struct event *drain;
	struct thread *threads;
	int n_threads;
};

static void *thread_main(void *arg)
{
	struct thread *t = arg;
	struct worker *w = t->w;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->queued && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->stopping)
			break;
		struct job *j = w->queued;
		w->queued = j->next;
		if (!w->queued)
			w->queued_tail = &w->queued;
		pthread_mutex_unlock(&w->lock);

		t->clock = j->clock;
		t->env.core.cfg = j->cfg;
		j->run(j->ctx, &t->env);
		/* a version compiled for this job is not kept: the loop may load another config */
		core_release(&t->env.core);

		pthread_mutex_lock(&w->lock);
		j->next = NULL;
		*w->finished_tail = j;
		w->finished_tail = &j->next;
		char byte = 1;
		/* a full pipe already holds a wake-up: nothing is lost when this write fails */
		if (write(w->pipe_fds[1], &byte, 1) < 0 && errno != EAGAIN)
			log_msg(LOGM_WORKER_FAILED, "worker: cannot wake the loop: %s", strerror(errno));
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	turn_touch(w->turn);
	char bytes[64];
	while (read(fd, bytes, sizeof(bytes)) > 0)
		;
	pthread_mutex_lock(&w->lock);
	struct job *done = w->finished;
	w->finished = NULL;
	w->finished_tail = &w->finished;
	pthread_mutex_unlock(&w->lock);
	while (done) {
		struct job *next = done->next;
		done->done(done->ctx, true);
		free(done);
		pthread_mutex_lock(&w->lock);
		w->pending--;
		pthread_mutex_unlock(&w->lock);
		done = next;
	}
}

struct worker *worker_new(struct event_base *base, struct turn *turn, const struct core *core, const char *path,
			  int n, char **err)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	w->turn = turn;
	w->loop_clock = core->clock;
	w->loop_core = core;
	w->queued_tail = &w->queued;
	w->finished_tail = &w->finished;
	w->pipe_fds[0] = w->pipe_fds[1] = -1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	w->threads = xcalloc((size_t)n, sizeof(*w->threads));
	w->n_threads = n;
	if (pipe2(w->pipe_fds, O_CLOEXEC | O_NONBLOCK)) {
		*err = xasprintf("worker: cannot make a pipe: %s", strerror(errno));
		goto fail;
	}
	w->drain = event_new(base, w->pipe_fds[0], EV_READ | EV_PERSIST, on_drain, w);
	event_add(w->drain, NULL);
	for (int i = 0; i < n; i++) {
		struct thread *t = &w->threads[i];
		t->w = w;
		t->clock = *core->clock;
		t->env.core = (struct core){ .cfg = core->cfg, .clock = &t->clock, .cal = core->cal };
		t->env.database = path;
		if (store_open(path, STORE_READER, &t->env.core.store, NULL, err))
			goto fail;
		if (pthread_create(&t->id, NULL, thread_main, t)) {
			*err = xstrdup("worker: cannot start a thread");
			goto fail;
		}
		t->started = true;
	}
	return w;
fail:
	worker_free(w);
	return NULL;
}

static void enqueue(struct worker *w, worker_run_fn run, worker_done_fn done, void *ctx, bool first)
{
	struct job *j = xcalloc(1, sizeof(*j));
	j->run = run;
	j->done = done;
	j->ctx = ctx;
	pthread_mutex_lock(&w->lock);
	j->clock = *w->loop_clock;
	j->cfg = w->loop_core->cfg;
	if (first) {
		j->next = w->queued;
		w->queued = j;
		if (!j->next)
			w->queued_tail = &j->next;
	} else {
		*w->queued_tail = j;
		w->queued_tail = &j->next;
	}
	w->pending++;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void worker_submit(struct worker *w, worker_run_fn run, worker_done_fn done, void *ctx)
{
	enqueue(w, run, done, ctx, false);
}

void worker_submit_first(struct worker *w, worker_run_fn run, worker_done_fn done, void *ctx)
{
	enqueue(w, run, done, ctx, true);
}

size_t worker_pending(const struct worker *w)
{
	pthread_mutex_lock((pthread_mutex_t *)&w->lock);
	size_t n = w->pending;
	pthread_mutex_unlock((pthread_mutex_t *)&w->lock);
	return n;
}

static void drop_jobs(struct job *j, bool ran)
{
	while (j) {
		struct job *next = j->next;
		j->done(j->ctx, ran);
		free(j);
		j = next;
	}
}

void worker_free(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < w->n_threads; i++) {
		struct thread *t = &w->threads[i];
		if (t->started)
			pthread_join(t->id, NULL);
		core_release(&t->env.core);
		store_close(t->env.core.store);
		store_close(t->env.checkpointer);
	}
	drop_jobs(w->queued, false);
	drop_jobs(w->finished, true);
	if (w->drain)
		event_free(w->drain);
	for (int i = 0; i < 2; i++)
		if (w->pipe_fds[i] >= 0)
			close(w->pipe_fds[i]);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w->threads);
	free(w);
}
