/*
 * jsonl — appends one JSON object per notification to a file and fsyncs it, for
 * local integration (a log shipper, a script). The file is opened append-only,
 * readable by the daemon's user alone.
 */
#include "adapter.h"
#include "jsonin.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct jsonl {
	char *path;
	int fd;
};

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
	if (w != (ssize_t)(len + 1) || fdatasync(j->fd)) {
		char *e = xasprintf("cannot write %s: %s", j->path, strerror(errno));
		close(j->fd);
		j->fd = -1;
		done(ctx, false, false, e);
		free(e);
		return;
	}
	done(ctx, true, false, NULL);
}

static void close_channel(void *channel)
{
	struct jsonl *j = channel;
	if (!j)
		return;
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
