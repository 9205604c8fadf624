/*
 * forward — notifications into an existing log/event router (Fluentd, Fluent
 * Bit) in the Forward protocol: msgpack [tag, time, record, {"chunk": id}] over
 * TCP, one message at a time on a kept-open connection, each confirmed by the
 * router's {"ack": id} before the next. The host is an IP address (or
 * localhost): a name to resolve would block the loop.
 */
#include "adapter.h"
#include "mpjson.h"
#include "util.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <msgpack.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct forward {
	char *host;
	int port;
	char *tag;
	int timeout_seconds;
	const struct adapter_env *env;
	struct bufferevent *bev;
	bool connected;
	struct queued *head, *tail;   /* head: the message on the wire, awaiting its ack */
	bool on_wire;
	msgpack_unpacker unpacker;
};

struct queued {
	struct queued *next;
	char *bytes;
	size_t len;
	char *chunk;
	adapter_done_fn done;
	void *ctx;
};

static const char *const settings[] = { "host", "port", "tag", "timeout_seconds", NULL };

static const char *numeric_host(const char *h)
{
	return !strcmp(h, "localhost") ? "127.0.0.1" : h;
}

static int check(const json_t *s, const char **key, char **err)
{
	const char *h = json_string_value(json_object_get(s, "host"));
	struct in_addr a4;
	struct in6_addr a6;
	if (!h || (inet_pton(AF_INET, numeric_host(h), &a4) != 1 && inet_pton(AF_INET6, h, &a6) != 1)) {
		*key = "host";
		*err = xstrdup("'host' must be an IP address (or localhost)");
		return -1;
	}
	const json_t *p = json_object_get(s, "port");
	if (!json_is_integer(p) || json_integer_value(p) < 1 || json_integer_value(p) > 65535) {
		*key = "port";
		*err = xstrdup("'port' must be a TCP port, e.g. 24224");
		return -1;
	}
	const char *tag = json_string_value(json_object_get(s, "tag"));
	if (json_object_get(s, "tag") && (!tag || !*tag || strpbrk(tag, " \r\n"))) {
		*key = "tag";
		*err = xstrdup("'tag' must be a word such as tsunagu.notification");
		return -1;
	}
	return adapter_check_seconds(s, "timeout_seconds", key, err);
}

static char *host(const json_t *s)
{
	return xstrdup(json_string_value(json_object_get(s, "host")));
}

static void *open_channel(const json_t *s, const struct adapter_env *env)
{
	struct forward *f = xcalloc(1, sizeof(*f));
	f->host = xstrdup(json_string_value(json_object_get(s, "host")));
	f->port = (int)json_integer_value(json_object_get(s, "port"));
	const char *tag = json_string_value(json_object_get(s, "tag"));
	f->tag = xstrdup(tag ? tag : "tsunagu.notification");
	const json_t *t = json_object_get(s, "timeout_seconds");
	f->timeout_seconds = t ? (int)json_integer_value(t) : 10;
	f->env = env;
	msgpack_unpacker_init(&f->unpacker, 1024);
	return f;
}

static void drop_connection(struct forward *f)
{
	if (f->bev)
		bufferevent_free(f->bev);
	f->bev = NULL;
	f->connected = false;
	f->on_wire = false;
	msgpack_unpacker_reset(&f->unpacker);
}

static void pump(struct forward *f);

/* Ends the message on the wire with a result; on failure the connection is dropped. */
static void finish(struct forward *f, bool ok, const char *error)
{
	struct queued *q = f->head;
	if (!q)
		return;
	f->head = q->next;
	if (!f->head)
		f->tail = NULL;
	f->on_wire = false;
	if (!ok)
		drop_connection(f);
	q->done(q->ctx, ok, false, error);
	free(q->bytes);
	free(q->chunk);
	free(q);
	pump(f);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct forward *f = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	if (!msgpack_unpacker_reserve_buffer(&f->unpacker, len)) {
		finish(f, false, "out of memory reading the ack");
		return;
	}
	evbuffer_remove(in, msgpack_unpacker_buffer(&f->unpacker), len);
	msgpack_unpacker_buffer_consumed(&f->unpacker, len);
	msgpack_unpacked result;
	msgpack_unpacked_init(&result);
	while (f->on_wire && msgpack_unpacker_next(&f->unpacker, &result) == MSGPACK_UNPACK_SUCCESS) {
		const char *chunk = f->head->chunk;
		const msgpack_object *o = &result.data;
		bool acked = false;
		if (o->type == MSGPACK_OBJECT_MAP)
			for (uint32_t i = 0; i < o->via.map.size; i++) {
				const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
				if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 3 && !memcmp(k->via.str.ptr, "ack", 3) &&
				    v->type == MSGPACK_OBJECT_STR && strlen(chunk) == v->via.str.size &&
				    !memcmp(v->via.str.ptr, chunk, v->via.str.size))
					acked = true;
			}
		if (acked) {
			bufferevent_set_timeouts(bev, NULL, NULL);
			finish(f, true, NULL);
		}
	}
	msgpack_unpacked_destroy(&result);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct forward *f = arg;
	if (what & BEV_EVENT_CONNECTED) {
		f->connected = true;
		return;
	}
	const char *why = what & BEV_EVENT_TIMEOUT ? "timed out waiting for the router's ack"
			  : what & BEV_EVENT_EOF ? "the router closed the connection"
						 : "cannot connect to the router";
	finish(f, false, why);
}

static void pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

/* Puts the head of the queue on the wire, connecting first when needed. */
static void pump(struct forward *f)
{
	while (f->head && !f->on_wire) {
		if (!f->bev) {
			struct sockaddr_storage ss;
			int sl = sizeof(ss);
			char *addr = xasprintf(strchr(f->host, ':') ? "[%s]:%d" : "%s:%d", numeric_host(f->host), f->port);
			int bad = evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sl);
			free(addr);
			f->bev = bad ? NULL : bufferevent_socket_new(f->env->base, -1, BEV_OPT_CLOSE_ON_FREE);
			if (!f->bev || bufferevent_socket_connect(f->bev, (struct sockaddr *)&ss, sl)) {
				drop_connection(f);
				f->on_wire = true; /* so that finish takes the head */
				finish(f, false, "cannot connect to the router");
				continue;
			}
			bufferevent_setcb(f->bev, on_read, NULL, on_event, f);
			bufferevent_enable(f->bev, EV_READ | EV_WRITE);
		}
		struct timeval tv = { f->timeout_seconds, 0 };
		bufferevent_set_timeouts(f->bev, &tv, &tv);
		bufferevent_write(f->bev, f->head->bytes, f->head->len);
		f->on_wire = true;
	}
}

static void send_message(void *channel, const struct adapter_message *m, adapter_done_fn done, void *ctx)
{
	struct forward *f = channel;
	if (!adapter_host_allowed(f->env, f->host)) {
		done(ctx, false, true, "the router's host is not in notifications.allowed_hosts");
		return;
	}
	msgpack_sbuffer sbuf;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sbuf);
	msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 4);
	pack_str(&pk, f->tag);
	msgpack_pack_int64(&pk, m->created_at);
	json_t *record = json_deep_copy(m->data);
	json_object_set_new(record, "subject", json_pack("{s:s, s:s}", "ja", m->subject_ja, "en", m->subject_en));
	mpjson_pack(&pk, record);
	json_decref(record);
	msgpack_pack_map(&pk, 1);
	pack_str(&pk, "chunk");
	pack_str(&pk, m->id);
	struct queued *q = xcalloc(1, sizeof(*q));
	q->bytes = xmalloc(sbuf.size);
	memcpy(q->bytes, sbuf.data, sbuf.size);
	q->len = sbuf.size;
	q->chunk = xstrdup(m->id);
	q->done = done;
	q->ctx = ctx;
	msgpack_sbuffer_destroy(&sbuf);
	if (f->tail)
		f->tail->next = q;
	else
		f->head = q;
	f->tail = q;
	pump(f);
}

static void close_channel(void *channel)
{
	struct forward *f = channel;
	if (!f)
		return;
	if (f->bev)
		bufferevent_free(f->bev);
	f->bev = NULL;
	/* Messages not acknowledged stay pending in the database; their owners hear so. */
	while (f->head) {
		struct queued *q = f->head;
		f->head = q->next;
		q->done(q->ctx, false, false, "shutting down");
		free(q->bytes);
		free(q->chunk);
		free(q);
	}
	msgpack_unpacker_destroy(&f->unpacker);
	free(f->host);
	free(f->tag);
	free(f);
}

const struct adapter adapter_forward = {
	.name = "forward",
	.settings = settings,
	.check = check,
	.host = host,
	.open = open_channel,
	.send = send_message,
	.close = close_channel,
};
