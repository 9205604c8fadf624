/*
 * conn — the daemon's TCP connections, from accept to close: counted at accept
 * (in all and per client address), each request head read under a deadline and
 * checked by httpparse before anything else sees it, bodies read at a minimum
 * rate and never beyond the limit, one request at a time per connection, idle
 * keep-alive connections closed (and the oldest given up when the server is
 * full), accepts paused when the process runs out of descriptors. What a
 * request means is httpd's: it hears each complete request and answers with
 * conn_send. A refusal of this layer is rendered by httpd too, so every
 * refusal that can carry a body is the API's JSON.
 */
#ifndef TSUNAGU_CONN_H
#define TSUNAGU_CONN_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "httpparse.h"
#include "netaddr.h"
#include "refusal.h"
#include "turn.h"
#include "util.h"

struct conn_server;
struct conn;

struct conn_header {
	const char *name, *value;
};

/* A reply as conn_send writes it; conn adds Content-Length, Date and Connection. */
struct conn_reply {
	int status;
	const struct conn_header *headers;
	size_t n_headers;
	struct buf body;           /* taken by conn_send */
	bool close;                /* close the connection after this reply */
};

struct conn_callbacks {
	/*
	 * A complete request: the head (the callee's from now on, to release) and
	 * the body (taken). The connection reads nothing more until conn_send.
	 */
	void (*request)(void *ctx, struct conn *c, struct http_head *head, struct buf *body);
	/* Fills *out with the reply to a refusal of this layer (its status and body); conn closes after it. */
	void (*refusal)(void *ctx, const struct refusal *why, struct conn_reply *out);
	void *ctx;
};

struct conn_stats {
	uint64_t accepted;
	uint64_t refused_full;       /* answered 503 at accept: the server was full */
	uint64_t refused_client;     /* answered 503 at accept: the client address held its share */
	uint64_t evicted_idle;       /* idle connections closed to make room */
	uint64_t shed;               /* connections still reading a request, closed for a client holding fewer */
	uint64_t timed_out;          /* heads or bodies too slow, replies not taken */
	uint64_t refused_busy;       /* bodies refused: all bodies being read together held the budget */
	uint64_t accept_failures;    /* accept() failed (out of descriptors, …) */
	size_t open;                 /* connections now */
};

/* Listens on host:port (0: any free port). Returns the server, or NULL with *err. */
struct conn_server *conn_server_new(struct event_base *base, struct turn *turn, const struct config *cfg,
				    const struct conn_callbacks *cb, const char *host, int port, char **err);
void conn_server_free(struct conn_server *s);

/* For a stop: accepts nothing more, and closes every connection that has no request in hand. */
void conn_server_stop_accepting(struct conn_server *s);

/* True when no connection holds a request or a reply not yet written. */
bool conn_server_quiet(const struct conn_server *s);

int conn_server_port(const struct conn_server *s);
const struct conn_stats *conn_server_stats(const struct conn_server *s);

/* Answers the request conn handed over; after it the connection reads the next one (or closes). */
void conn_send(struct conn *c, struct conn_reply *reply);

/* The client closed the connection of a request httpd holds: conn_send only lets it go then. */
bool conn_gone(const struct conn *c);

/*
 * The client of the request: the peer's address, or, when the peer is a
 * trusted proxy, the nearest address its X-Forwarded-For names that is not a
 * trusted proxy itself. Writes text into out (NETADDR_TEXT bytes).
 */
void conn_client(const struct conn *c, const struct http_head *head, char *out);

/* Whether the peer is one of trusted_proxies (whose headers about the request are believed). */
bool conn_peer_trusted(const struct conn *c);

#endif
