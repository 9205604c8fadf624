/*
 * conn — bufferevents under an evconnlistener. Every connection is on one
 * list that a sweep walks four times a second for its deadlines; a per-address
 * table holds the counts. A connection refused at accept still gets its JSON
 * reply, through a short-lived connection of its own that is not counted (at
 * most REFUSING_MAX at once, beyond that the socket is just closed).
 */
#include "conn.h"
#include "clock.h"
#include "log.h"
#include "strmap.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SWEEP_MS 250
#define LINGER_MS 2000           /* a closing connection drains what the client still sends, this long at most */
#define REFUSING_MAX 64
#define ACCEPT_PAUSE_MS 250
#define ACCEPT_LOG_EVERY_MS 10000

enum conn_state {
	CONN_HEAD,                   /* reading a request head (or waiting for its first byte) */
	CONN_BODY,                   /* reading its body */
	CONN_HANDLER,                /* httpd has the request */
	CONN_WRITING,                /* the reply is being written */
	CONN_IDLE,                   /* keep-alive, between requests */
	CONN_CLOSING,                /* the last reply is out; draining until the client closes */
};

struct conn {
	struct conn_server *s;
	struct bufferevent *bev;
	struct netaddr peer;
	char peer_text[NETADDR_TEXT];
	char peer_key[NETADDR_TEXT];   /* what the per-client count is kept under (an IPv6 /64) */
	bool counted;                /* in the server's and the client's counts (not a refusal at accept) */
	bool trusted;                /* the peer is a trusted proxy */
	enum conn_state state;
	int64_t since_ms;            /* when the state began */
	/* the request being read */
	struct http_head head;
	bool have_head;
	struct buf body;
	struct http_chunked chunked;
	bool head_only;              /* a HEAD request: the reply carries no body */
	bool keep_alive;
	bool http10;                 /* an HTTP/1.0 client: keep-alive is said, not assumed */
	/* the reply being written: progress, for a client that does not read */
	size_t out_seen;
	int64_t out_progress_ms;
	bool close_after;
	bool gone;                   /* the client went away while httpd held its request */
	size_t reserved;             /* of the server's body budget, for the body being read */
	struct conn *prev, *next;
};

struct conn_server {
	struct event_base *base;
	struct turn *turn;
	const struct config *cfg;
	struct conn_callbacks cb;
	struct evconnlistener *listener;
	struct event *sweep, *resume;
	int port;
	struct conn *all;            /* every connection, newest first */
	struct strmap *per_client;   /* peer address -> (intptr_t) open connections */
	struct strmap *client_bodies; /* peer address -> (intptr_t) bytes its bodies being read reserved */
	size_t body_bytes;           /* reserved by the bodies being read, all connections together */
	size_t refusing;
	struct conn_stats stats;
	uint64_t accept_failures_logged;
	int64_t accept_logged_ms;
};

static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

/* ---- bookkeeping ------------------------------------------------------------------------------ */

/* Adds delta to a client's count in m (its connections, or its bodies' bytes); a count of 0 leaves m. */
static void tally(struct strmap *m, const char *addr, intptr_t delta)
{
	void **slot = strmap_slot(m, addr);
	intptr_t n = (intptr_t)*slot + delta;
	if (n <= 0)
		strmap_remove(m, addr);
	else
		*slot = (void *)n;
}

static void client_count(struct conn_server *s, const char *addr, int delta)
{
	tally(s->per_client, addr, delta);
}

static int client_connections(const struct conn_server *s, const char *addr)
{
	return (int)(intptr_t)strmap_get(s->per_client, addr);
}

static void set_state(struct conn *c, enum conn_state st)
{
	c->state = st;
	c->since_ms = clock_monotonic_ms();
}

/* Gives back what the body being read reserved of the server's budget. */
static void release_body(struct conn *c)
{
	if (c->reserved)
		tally(c->s->client_bodies, c->peer_key, -(intptr_t)c->reserved);
	c->s->body_bytes -= c->reserved;
	c->reserved = 0;
}

/*
 * Reserves n more bytes of the body budget: false when all bodies being read
 * together would pass limits.max_buffered_body_bytes (bodies are read before
 * anyone is authenticated, so their sum is what strangers can make us hold),
 * or when one client's would pass its share: an eighth of the budget, or one
 * body of max_body_bytes when that is more (a trusted proxy, which speaks for
 * many, has no share of its own).
 */
static bool reserve_body(struct conn *c, size_t n)
{
	const struct config_limits *lim = &c->s->cfg->limits;
	if (c->s->body_bytes + n > lim->max_buffered_body_bytes)
		return false;
	size_t share = lim->max_buffered_body_bytes / 8 > lim->max_body_bytes ? lim->max_buffered_body_bytes / 8
									       : lim->max_body_bytes;
	size_t held = (size_t)(intptr_t)strmap_get(c->s->client_bodies, c->peer_key);
	if (!c->trusted && held + n > share)
		return false;
	c->s->body_bytes += n;
	c->reserved += n;
	tally(c->s->client_bodies, c->peer_key, (intptr_t)n);
	return true;
}

static void reset_request(struct conn *c)
{
	release_body(c);
	if (c->have_head)
		http_head_release(&c->head);
	c->have_head = false;
	buf_release(&c->body);
	buf_init(&c->body);
	memset(&c->chunked, 0, sizeof(c->chunked));
	c->head_only = false;
}

static void conn_free(struct conn *c)
{
	struct conn_server *s = c->s;
	if (c->prev)
		c->prev->next = c->next;
	else if (s->all == c)
		s->all = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->counted) {
		s->stats.open--;
		if (!c->trusted)
			client_count(s, c->peer_key, -1);
	} else {
		s->refusing--;
	}
	reset_request(c);
	buf_release(&c->body);
	bufferevent_free(c->bev);
	free(c);
}

/* ---- writing ---------------------------------------------------------------------------------- */

static const char *reason_phrase(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

static void free_body(const void *data, size_t len, void *arg)
{
	free(arg);
}

bool conn_gone(const struct conn *c)
{
	return c->gone;
}

void conn_send(struct conn *c, struct conn_reply *reply)
{
	if (c->gone) {
		buf_release(&reply->body);
		conn_free(c);
		return;
	}
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	bool close = reply->close || !c->keep_alive;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Length: %zu\r\n", reply->status,
			    reason_phrase(reply->status), date, reply->body.len);
	for (size_t i = 0; i < reply->n_headers; i++)
		evbuffer_add_printf(out, "%s: %s\r\n", reply->headers[i].name, reply->headers[i].value);
	evbuffer_add_printf(out, "%s\r\n", close ? "Connection: close\r\n" : c->http10 ? "Connection: keep-alive\r\n" : "");
	size_t len = reply->body.len;
	char *data = buf_detach(&reply->body);
	if (len && !c->head_only)
		evbuffer_add_reference(out, data, len, free_body, data);
	else
		free(data);
	c->close_after = close;
	c->out_seen = evbuffer_get_length(out);
	c->out_progress_ms = clock_monotonic_ms();
	set_state(c, CONN_WRITING);
	reset_request(c);
	bufferevent_enable(c->bev, EV_WRITE);
}

/* Answers a refusal of this layer with the API's JSON, and closes after it. */
static void refuse_with(struct conn *c, const struct refusal *why)
{
	struct conn_reply reply = { 0 };
	c->s->cb.refusal(c->s->cb.ctx, why, &reply);
	bufferevent_disable(c->bev, EV_READ);
	reply.close = true;
	conn_send(c, &reply);
}

static void refuse(struct conn *c, const char *code, const char *field, const char *en, const char *ja)
{
	struct refusal why = { 0 };
	refusal_set(&why, code, field, "%s", en);
	refusal_ja(&why, "%s", ja);
	refuse_with(c, &why);
	refusal_release(&why);
}

/* The 503 of a body that would pass the server's budget for bodies being read. */
static void refuse_busy(struct conn *c)
{
	c->s->stats.refused_busy++;
	refuse(c, "server_busy", NULL, "the server is receiving too many large requests; try again shortly",
	       "大きなリクエストの受信が集中しています。しばらくしてお試しください");
}

/* ---- reading ---------------------------------------------------------------------------------- */

static void hand_over(struct conn *c)
{
	release_body(c);
	set_state(c, CONN_HANDLER);
	/*
	 * Reading stays on, so that a client that goes away is noticed (its work
	 * is then dropped); what it pipelines meanwhile waits in the input, at
	 * most up to the read high-watermark.
	 */
	struct http_head head = c->head;
	struct buf body = c->body;
	c->have_head = false;
	memset(&c->head, 0, sizeof(c->head));
	buf_init(&c->body);
	c->s->cb.request(c->s->cb.ctx, c, &head, &body);
}

/* Reads the head in the input, if it is complete: 1 read (or refused), 0 wait for more. */
static int read_head(struct conn *c, struct evbuffer *in)
{
	const struct config_limits *lim = &c->s->cfg->limits;
	size_t len = evbuffer_get_length(in);
	size_t cap = lim->max_header_bytes + 2;
	size_t n = len < cap ? len : cap;
	const char *data = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
	size_t skip = http_head_skip_blank(data, n);
	if (skip) {
		evbuffer_drain(in, skip);
		return evbuffer_get_length(in) ? read_head(c, in) : 0;
	}
	size_t end = http_head_end(data, n);
	if (!end) {
		if (n >= cap) {
			refuse(c, "headers_too_large", NULL, "the request head is too large", "リクエストヘッダーが大きすぎます");
			return 1;
		}
		return 0;
	}
	struct refusal why = { 0 };
	if (http_head_parse(data, end, lim->max_body_bytes, &c->head, &why)) {
		refuse_with(c, &why);
		refusal_release(&why);
		return 1;
	}
	evbuffer_drain(in, end);
	c->have_head = true;
	c->head_only = !strcmp(c->head.method, "HEAD");
	c->keep_alive = c->head.keep_alive;
	c->http10 = c->head.minor == 0;
	if (c->head.chunked || c->head.content_length) {
		if (c->head.has_length && !reserve_body(c, (size_t)c->head.content_length)) {
			refuse_busy(c);
			return 1;
		}
		if (c->head.expect_continue)
			evbuffer_add_printf(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n");
		set_state(c, CONN_BODY);
	} else {
		hand_over(c);
	}
	return 1;
}

/* Reads body bytes; hands the request over when the body is complete. */
static void read_body(struct conn *c, struct evbuffer *in)
{
	const struct config_limits *lim = &c->s->cfg->limits;
	if (c->head.has_length) {
		size_t want = (size_t)c->head.content_length - c->body.len;
		size_t have = evbuffer_get_length(in);
		size_t n = have < want ? have : want;
		/* the buffer grows with what arrives, never by what the head announces */
		buf_add(&c->body, evbuffer_pullup(in, (ev_ssize_t)n), n);
		evbuffer_drain(in, n);
		if (c->body.len == c->head.content_length)
			hand_over(c);
		return;
	}
	while (evbuffer_get_length(in)) {
		size_t len = evbuffer_get_length(in);
		size_t n = len < 65536 ? len : 65536;
		const char *data = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
		bool done = false;
		struct refusal why = { 0 };
		/* a chunked body reserves what it may take of this piece before it takes it */
		if (c->reserved < c->body.len + n && !reserve_body(c, c->body.len + n - c->reserved)) {
			refuse_busy(c);
			return;
		}
		long used = http_chunked_feed(&c->chunked, data, n, &c->body, lim->max_body_bytes, &done, &why);
		if (used < 0) {
			refuse_with(c, &why);
			refusal_release(&why);
			return;
		}
		evbuffer_drain(in, (size_t)used);
		if (done) {
			hand_over(c);
			return;
		}
	}
}

static void process(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	while (evbuffer_get_length(in)) {
		switch (c->state) {
		case CONN_IDLE:
			set_state(c, CONN_HEAD);
			/* fall through */
		case CONN_HEAD:
			if (!read_head(c, in))
				return;
			break;
		case CONN_BODY:
			read_body(c, in);
			if (c->state == CONN_BODY)
				return;
			break;
		case CONN_CLOSING:
			evbuffer_drain(in, evbuffer_get_length(in));
			return;
		case CONN_HANDLER:
		case CONN_WRITING:
			return;
		}
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	turn_touch(c->s->turn);
	process(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	turn_touch(c->s->turn);
	if (c->state != CONN_WRITING)
		return;
	if (c->close_after) {
		/* The reply is out; stop sending and let the client read it before the close (no RST over it). */
		shutdown(bufferevent_getfd(bev), SHUT_WR);
		set_state(c, CONN_CLOSING);
		bufferevent_enable(bev, EV_READ);
		return;
	}
	set_state(c, CONN_IDLE);
	bufferevent_enable(bev, EV_READ);
	process(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	turn_touch(c->s->turn);
	/* httpd holds the request until it answers: the connection lives until then, its answer is then lost */
	if (c->state == CONN_HANDLER) {
		bufferevent_disable(bev, EV_READ | EV_WRITE);
		c->gone = true;
		return;
	}
	conn_free(c);
}

static bool is_trusted(const struct conn_server *s, const struct netaddr *a)
{
	for (size_t i = 0; i < s->cfg->n_trusted_proxies; i++)
		if (netmask_contains(&s->cfg->trusted_proxies[i], a))
			return true;
	return false;
}

/* ---- accepting -------------------------------------------------------------------------------- */

static struct conn *conn_new(struct conn_server *s, evutil_socket_t fd, const struct sockaddr *sa, bool counted)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	c->s = s;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		evutil_closesocket(fd);
		free(c);
		return NULL;
	}
	netaddr_from_sockaddr(sa, &c->peer);
	netaddr_format(&c->peer, c->peer_text);
	netaddr_client_key(&c->peer, c->peer_key);
	c->trusted = is_trusted(s, &c->peer);
	c->counted = counted;
	c->keep_alive = true;
	buf_init(&c->body);
	c->next = s->all;
	if (s->all)
		s->all->prev = c;
	s->all = c;
	if (counted) {
		s->stats.open++;
		if (!c->trusted)
			client_count(s, c->peer_key, +1);
	} else {
		s->refusing++;
	}
	/* The input holds at most a head's worth beyond what is being read: a client cannot make it grow. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, s->cfg->limits.max_header_bytes + 65536);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	set_state(c, CONN_HEAD);
	return c;
}

/* The idle keep-alive connection that waited longest (of the client at addr, when not NULL), or NULL; the list is newest first, so a tie goes to the older. */
static struct conn *oldest_idle(struct conn_server *s, const char *addr)
{
	struct conn *best = NULL;
	for (struct conn *c = s->all; c; c = c->next)
		if (c->counted && c->state == CONN_IDLE && (!best || c->since_ms <= best->since_ms) &&
		    (!addr || (!c->trusted && !strcmp(c->peer_key, addr))))
			best = c;
	return best;
}

/* Closes the idle connection that waited longest (of the client at addr, when not NULL): false when none is idle. */
static bool give_up_idle(struct conn_server *s, const char *addr)
{
	struct conn *idle = oldest_idle(s, addr);
	if (!idle)
		return false;
	s->stats.evicted_idle++;
	conn_free(idle);
	return true;
}

/*
 * When the server is full and nobody is idle, the client holding the most
 * connections gives up its oldest one still reading a request (nothing of it
 * handled yet), so that a few addresses sending slow heads or bodies cannot
 * hold every place: a newcomer takes a place only from a client holding more
 * than it would, and a trusted proxy (many people behind one address) never
 * gives one up. False when nobody holds more.
 */
static bool shed_greediest(struct conn_server *s, const char *newcomer)
{
	const char *greediest = NULL;
	int most = 0;
	for (struct conn *c = s->all; c; c = c->next) {
		int n = c->counted && !c->trusted ? client_connections(s, c->peer_key) : 0;
		if (n > most) {
			most = n;
			greediest = c->peer_key;
		}
	}
	if (!greediest || most <= client_connections(s, newcomer) + 1)
		return false;
	struct conn *victim = NULL;
	for (struct conn *c = s->all; c; c = c->next)
		if (c->counted && !c->trusted && (c->state == CONN_HEAD || c->state == CONN_BODY) &&
		    !strcmp(c->peer_key, greediest) && (!victim || c->since_ms <= victim->since_ms))
			victim = c;
	if (!victim)
		return false;
	s->stats.shed++;
	conn_free(victim);
	return true;
}

static void refuse_at_accept(struct conn_server *s, evutil_socket_t fd, const struct sockaddr *sa, const char *en,
			     const char *ja)
{
	if (s->refusing >= REFUSING_MAX) {
		evutil_closesocket(fd);
		return;
	}
	struct conn *c = conn_new(s, fd, sa, false);
	if (c)
		refuse(c, "too_many_connections", NULL, en, ja);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int socklen, void *arg)
{
	struct conn_server *s = arg;
	turn_touch(s->turn);
	const struct config_limits *lim = &s->cfg->limits;
	struct netaddr peer;
	char text[NETADDR_TEXT];
	netaddr_from_sockaddr(sa, &peer);
	netaddr_client_key(&peer, text);
	/* a browser's idle keep-alive connection gives way to its new one */
	if (!is_trusted(s, &peer) && client_connections(s, text) >= lim->max_connections_per_client &&
	    !give_up_idle(s, text)) {
		s->stats.refused_client++;
		refuse_at_accept(s, fd, sa, "too many open connections from your address; close some and try again",
				 "このアドレスからの接続が多すぎます。いくつか閉じてからお試しください");
		return;
	}
	/* an idle keep-alive connection gives way to one that has something to ask; then the greediest client */
	if ((int)s->stats.open >= lim->max_connections && !give_up_idle(s, NULL) && !shed_greediest(s, text)) {
		s->stats.refused_full++;
		refuse_at_accept(s, fd, sa, "too many open connections; try again shortly",
				 "接続数が上限に達しています。しばらくしてお試しください");
		return;
	}
	s->stats.accepted++;
	struct conn *c = conn_new(s, fd, sa, true);
	if (c)
		bufferevent_enable(c->bev, EV_READ);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct conn_server *s = arg;
	turn_touch(s->turn);
	evconnlistener_enable(s->listener);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
	struct conn_server *s = arg;
	int err = EVUTIL_SOCKET_ERROR();
	turn_touch(s->turn);
	s->stats.accept_failures++;
	int64_t now = clock_monotonic_ms();
	if (!s->accept_logged_ms || now - s->accept_logged_ms >= ACCEPT_LOG_EVERY_MS) {
		log_msg(LOGM_ACCEPT_FAILED, "accept failed %llu time(s): %s%s", (unsigned long long)(s->stats.accept_failures -
									   s->accept_failures_logged),
			 strerror(err), err == EMFILE || err == ENFILE ? " (out of file descriptors: raise LimitNOFILE, "
									 "or lower limits.max_connections)" : "");
		s->accept_failures_logged = s->stats.accept_failures;
		s->accept_logged_ms = now;
	}
	/* Pause instead of spinning on a listener that keeps failing; the connections in hand go on. */
	evconnlistener_disable(s->listener);
	struct timeval tv = { 0, ACCEPT_PAUSE_MS * 1000 };
	evtimer_add(s->resume, &tv);
}

/* ---- deadlines -------------------------------------------------------------------------------- */

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct conn_server *s = arg;
	turn_touch(s->turn);
	const struct config_limits *lim = &s->cfg->limits;
	int64_t now = clock_monotonic_ms();
	for (struct conn *c = s->all, *next; c; c = next) {
		next = c->next;
		int64_t age = now - c->since_ms;
		switch (c->state) {
		case CONN_HEAD:
			if (age > (int64_t)lim->header_timeout_seconds * 1000) {
				s->stats.timed_out++;
				refuse(c, "request_timeout", NULL, "the request head did not arrive in time",
				       "リクエストが時間内に届きませんでした");
			}
			break;
		case CONN_BODY: {
			/* after a grace as long as the head's, the body must keep up a minimum rate */
			int64_t grace = (int64_t)lim->header_timeout_seconds * 1000;
			bool slow = age > grace && (int64_t)c->body.len * 1000 < (int64_t)lim->min_body_bytes_per_second * age;
			if (slow || age > (int64_t)lim->request_timeout_seconds * 1000) {
				s->stats.timed_out++;
				refuse(c, "request_timeout", NULL, "the request body arrived too slowly",
				       "リクエストの本文の到着が遅すぎます");
			}
			break;
		}
		case CONN_IDLE:
			if (age > (int64_t)lim->idle_timeout_seconds * 1000)
				conn_free(c);
			break;
		case CONN_WRITING: {
			size_t left = evbuffer_get_length(bufferevent_get_output(c->bev));
			if (left < c->out_seen) {
				c->out_seen = left;
				c->out_progress_ms = now;
			} else if (now - c->out_progress_ms > (int64_t)lim->request_timeout_seconds * 1000) {
				s->stats.timed_out++;
				conn_free(c);
			}
			break;
		}
		case CONN_CLOSING:
			if (age > LINGER_MS)
				conn_free(c);
			break;
		case CONN_HANDLER:
			break;
		}
	}
}

/* ---- the server ------------------------------------------------------------------------------- */

struct conn_server *conn_server_new(struct event_base *base, struct turn *turn, const struct config *cfg,
				    const struct conn_callbacks *cb, const char *host, int port, char **err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char service[16];
	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(host, service, &hints, &ai) || !ai) {
		*err = xasprintf("cannot listen on %s:%d: not an address of this machine", host, port);
		return NULL;
	}
	struct conn_server *s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->turn = turn;
	s->cfg = cfg;
	s->cb = *cb;
	s->per_client = strmap_new();
	s->client_bodies = strmap_new();
	s->listener = evconnlistener_new_bind(base, on_accept, s,
					      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 1024,
					      ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	if (!s->listener) {
		*err = xasprintf("cannot listen on %s:%d (in use, or not an address of this machine)", host, port);
		strmap_free(s->per_client, NULL);
		strmap_free(s->client_bodies, NULL);
		free(s);
		return NULL;
	}
	evconnlistener_set_error_cb(s->listener, on_accept_error);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	s->port = port;
	if (getsockname(evconnlistener_get_fd(s->listener), (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			s->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	s->resume = evtimer_new(base, on_resume, s);
	s->sweep = event_new(base, -1, EV_PERSIST, on_sweep, s);
	struct timeval tv = { 0, SWEEP_MS * 1000 };
	event_add(s->sweep, &tv);
	return s;
}

void conn_server_free(struct conn_server *s)
{
	if (!s)
		return;
	while (s->all)
		conn_free(s->all);
	if (s->listener)
		evconnlistener_free(s->listener);
	event_free(s->sweep);
	event_free(s->resume);
	strmap_free(s->per_client, NULL);
	strmap_free(s->client_bodies, NULL);
	free(s);
}

void conn_server_stop_accepting(struct conn_server *s)
{
	evconnlistener_disable(s->listener);
	evtimer_del(s->resume);
	for (struct conn *c = s->all, *next; c; c = next) {
		next = c->next;
		if (c->state == CONN_HEAD || c->state == CONN_BODY || c->state == CONN_IDLE)
			conn_free(c);
		else if (c->state == CONN_HANDLER)
			c->keep_alive = false;
	}
}

bool conn_server_quiet(const struct conn_server *s)
{
	for (const struct conn *c = s->all; c; c = c->next)
		if (c->state == CONN_HANDLER || c->state == CONN_WRITING)
			return false;
	return true;
}

int conn_server_port(const struct conn_server *s)
{
	return s->port;
}

const struct conn_stats *conn_server_stats(const struct conn_server *s)
{
	return &s->stats;
}

bool conn_peer_trusted(const struct conn *c)
{
	return c->trusted;
}

void conn_client(const struct conn *c, const struct http_head *head, char *out)
{
	memcpy(out, c->peer_text, NETADDR_TEXT);
	if (!c->trusted)
		return;
	/*
	 * Every X-Forwarded-For line, in order, as one list: a proxy may add a
	 * line of its own below the one the client sent, and only the right end
	 * of the list is the proxies' word.
	 */
	struct buf xff;
	buf_init(&xff);
	for (size_t i = 0; i < head->n_headers; i++)
		if (!strcasecmp(head->headers[i].name, "X-Forwarded-For"))
			buf_printf(&xff, "%s%s", xff.len ? ", " : "", head->headers[i].value);
	if (!xff.len) {
		buf_release(&xff);
		return;
	}
	/* from the right: each trusted proxy appends the address it received from */
	char *copy = buf_detach(&xff);
	for (;;) {
		char *comma = strrchr(copy, ',');
		char *item = comma ? comma + 1 : copy;
		while (*item == ' ' || *item == '\t')
			item++;
		size_t n = strlen(item);
		while (n && (item[n - 1] == ' ' || item[n - 1] == '\t'))
			item[--n] = '\0';
		struct netaddr a;
		if (netaddr_parse(item, &a))
			break; /* not an address: keep the last one we could trust */
		netaddr_format(&a, out);
		if (!is_trusted(c->s, &a) || !comma)
			break;
		*comma = '\0';
	}
	free(copy);
}
