/*
 * jsonl — appends one JSON object per notification to a file and fsyncs it, for
 * local integration (a log shipper, a script). The file is opened append-only,
 * readable by the daemon's user alone. The lines written in one loop turn share
 * one fdatasync, in a callback of their own right after the turn: a burst of
 * notifications costs the loop one flush, not one per line, and each is
 * reported delivered only once it is on disk.
 */
#include "adapter.h"
#include "jsonin.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
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
	struct event *flush;
	struct waiting *waiting;   /* written, not yet flushed */
	size_t n_waiting, alloc_waiting;
};

/* One fdatasync for every line written since the last, then each line's outcome. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct jsonl *j = arg;
	if (j->env->touch)
		j->env->touch(j->env->touch_ctx);
	struct waiting *list = j->waiting;
	size_t n = j->n_waiting;
	j->waiting = NULL;
	j->n_waiting = j->alloc_waiting = 0;
	char *e = NULL;
	if (fdatasync(j->fd)) {
		e = xasprintf("cannot write %s: %s", j->path, strerror(errno));
		close(j->fd);
		j->fd = -1;
	}
	for (size_t i = 0; i < n; i++)
		list[i].done(list[i].ctx, !e, false, e);
	free(e);
	free(list);
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
	j->flush = event_new(env->base, -1, 0, on_flush, j);
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
		if (!j->n_waiting) {
			close(j->fd);
			j->fd = -1;
		}
		done(ctx, false, false, e);
		free(e);
		return;
	}
	grow_array(&j->waiting, &j->alloc_waiting, j->n_waiting, sizeof(*j->waiting));
	j->waiting[j->n_waiting++] = (struct waiting){ done, ctx };
	if (j->n_waiting == 1)
		event_active(j->flush, EV_TIMEOUT, 0);
}

static void close_channel(void *channel)
{
	struct jsonl *j = channel;
	if (!j)
		return;
	/* what is written is flushed and reported before the channel goes */
	if (j->n_waiting)
		on_flush(-1, 0, j);
	if (j->flush)
		event_free(j->flush);
	if (j->fd >= 0)
		close(j->fd);
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
