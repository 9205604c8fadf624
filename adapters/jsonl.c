/*
 * jsonl — appends one JSON object per notification to a file and fsyncs it, for
 * local integration (a log shipper, a script). The file is opened append-only,
 * readable by the daemon's user alone. Lines are written on the loop (into
 * the page cache); a thread of the channel's own flushes them, one fdatasync
 * for every line written since the last, and a byte on a pipe brings the
 * outcome back to the loop: each line is reported delivered once it is on
 * disk, and a disk that stalls never stalls the loop.
 */
#include "adapter.h"
#include "jsonin.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct waiting {
	adapter_done_fn done;
	void *ctx;
};

struct jsonl {
	char *path;
	int fd;
	const struct adapter_env *env;
	struct waiting *waiting;   /* written, not yet in a flush */
	size_t n_waiting, alloc_waiting;
	struct waiting *flushing;  /* in the flush under way */
	size_t n_flushing;
	/* the flusher: the loop asks, the thread answers through the pipe */
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool requested, stopping;
	int flush_fd;              /* the descriptor to flush, as the loop handed it over */
	int flush_errno;           /* 0, or why the flush failed */
	int pipe_fds[2];
	struct event *flushed;
};

static void *flusher(void *arg)
{
	struct jsonl *j = arg;
	pthread_mutex_lock(&j->lock);
	for (;;) {
		while (!j->requested && !j->stopping)
			pthread_cond_wait(&j->wake, &j->lock);
		if (!j->requested)
			break;
		int fd = j->flush_fd;
		pthread_mutex_unlock(&j->lock);
		int err = fdatasync(fd) ? errno : 0;
		pthread_mutex_lock(&j->lock);
		j->flush_errno = err;
		j->requested = false;
		char byte = 1;
		if (write(j->pipe_fds[1], &byte, 1) < 0) {
			/* the pipe holds a wake-up already */
		}
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

static void close_channel(void *channel);

/* Hands the lines written so far to the flusher (the loop's side; one flush at a time). */
static void start_flush(struct jsonl *j)
{
	if (j->n_flushing || !j->n_waiting)
		return;
	j->flushing = j->waiting;
	j->n_flushing = j->n_waiting;
	j->waiting = NULL;
	j->n_waiting = j->alloc_waiting = 0;
	pthread_mutex_lock(&j->lock);
	j->flush_fd = j->fd;
	j->requested = true;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->lock);
}

/* Each line's outcome: delivered, or the error of the flush (err) that should have kept it. */
static void report(const struct jsonl *j, struct waiting *list, size_t n, int err)
{
	char *e = err ? xasprintf("cannot write %s: %s", j->path, strerror(err)) : NULL;
	for (size_t i = 0; i < n; i++)
		list[i].done(list[i].ctx, !e, false, e);
	free(e);
	free(list);
}

/* The flush is done: its lines' outcomes, then the next flush if lines came meanwhile. */
static void finish_flush(struct jsonl *j)
{
	pthread_mutex_lock(&j->lock);
	int err = j->flush_errno;
	pthread_mutex_unlock(&j->lock);
	struct waiting *list = j->flushing;
	size_t n = j->n_flushing;
	j->flushing = NULL;
	j->n_flushing = 0;
	if (err) {
		/* the next line opens the file again */
		close(j->fd);
		j->fd = -1;
	}
	report(j, list, n, err);
	if (j->fd >= 0)
		start_flush(j);
}

static void on_flushed(evutil_socket_t fd, short what, void *arg)
{
	struct jsonl *j = arg;
	if (j->env->touch)
		j->env->touch(j->env->touch_ctx);
	char bytes[16];
	while (read(fd, bytes, sizeof(bytes)) > 0)
		;
	pthread_mutex_lock(&j->lock);
	bool done = !j->requested;
	pthread_mutex_unlock(&j->lock);
	if (done && j->n_flushing)
		finish_flush(j);
}

static const char *const settings[] = { "path", NULL };

static int check(const json_t *s, const char **key, char **err)
{
	const char *path = json_string_value(json_object_get(s, "path"));
	if (!path || !*path) {
		*key = "path";
		*err = xstrdup("a jsonl channel needs 'path': the file to append to");
		return -1;
	}
	return 0;
}

static char *host(const json_t *s)
{
	return NULL;
}

static void *open_channel(const json_t *s, const struct adapter_env *env)
{
	struct jsonl *j = xcalloc(1, sizeof(*j));
	j->path = xstrdup(json_string_value(json_object_get(s, "path")));
	j->fd = -1;
	j->env = env;
	j->pipe_fds[0] = j->pipe_fds[1] = -1;
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->wake, NULL);
	if (pipe2(j->pipe_fds, O_CLOEXEC | O_NONBLOCK) || pthread_create(&j->thread, NULL, flusher, j)) {
		close_channel(j);
		return NULL;
	}
	j->started = true;
	j->flushed = event_new(env->base, j->pipe_fds[0], EV_READ | EV_PERSIST, on_flushed, j);
	event_add(j->flushed, NULL);
	/* a file that cannot be opened is said at the start, not found again by every notification */
	j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		fprintf(stderr, "tsunagu: the jsonl channel cannot open %s: %s\n", j->path, strerror(errno));
		close_channel(j);
		return NULL;
	}
	return j;
}

static void send_message(void *channel, const struct adapter_message *m, adapter_done_fn done, void *ctx)
{
	struct jsonl *j = channel;
	if (j->fd < 0)
		j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		char *e = xasprintf("cannot open %s: %s", j->path, strerror(errno));
		done(ctx, false, false, e);
		free(e);
		return;
	}
	json_t *line = json_deep_copy(m->data);
	json_object_set_new(line, "subject", json_pack("{s:s, s:s}", "ja", m->subject_ja, "en", m->subject_en));
	json_object_set_new(line, "body", json_pack("{s:s, s:s}", "ja", m->body_ja, "en", m->body_en));
	char *text = jsonin_dump(line);
	json_decref(line);
	size_t len = strlen(text);
	text[len] = '\n';
	ssize_t w = write(j->fd, text, len + 1);
	free(text);
	if (w != (ssize_t)(len + 1)) {
		char *e = xasprintf("cannot write %s: %s", j->path, strerror(errno));
		/* the lines before it still get their flush; the next line opens the file again */
		if (!j->n_waiting && !j->n_flushing) {
			close(j->fd);
			j->fd = -1;
		}
		done(ctx, false, false, e);
		free(e);
		return;
	}
	grow_array(&j->waiting, &j->alloc_waiting, j->n_waiting, sizeof(*j->waiting));
	j->waiting[j->n_waiting++] = (struct waiting){ done, ctx };
	start_flush(j);
}

static void close_channel(void *channel)
{
	struct jsonl *j = channel;
	if (!j)
		return;
	/* the flush under way ends first; what it and the lines after it hold are reported */
	pthread_mutex_lock(&j->lock);
	j->stopping = true;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->lock);
	if (j->started)
		pthread_join(j->thread, NULL);
	if (j->n_flushing)
		report(j, j->flushing, j->n_flushing, j->flush_errno);
	if (j->n_waiting)
		report(j, j->waiting, j->n_waiting, j->fd < 0 ? EBADF : fdatasync(j->fd) ? errno : 0);
	j->waiting = NULL;
	if (j->flushed)
		event_free(j->flushed);
	for (int i = 0; i < 2; i++)
		if (j->pipe_fds[i] >= 0)
			close(j->pipe_fds[i]);
	if (j->fd >= 0)
		close(j->fd);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->wake);
	free(j->path);
	free(j);
}

const struct adapter adapter_jsonl = {
	.name = "jsonl",
	.settings = settings,
	.check = check,
	.host = host,
	.open = open_channel,
	.send = send_message,
	.close = close_channel,
};
