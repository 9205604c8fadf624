/*
 * httpd — the HTTP/1.1 server on libevent's evhttp: limits, request-smuggling
 * refusals, path decoding, connection counting, and group commit. Each request
 * is a unit of the loop turn's transaction (runtime/turn); its reply waits
 * until the turn has committed, so no client hears "done" before its action is
 * on disk. What a request means is the API's: it registers its handler and
 * its refusal replies (struct httpd_routes), so this layer never includes it.
 */
#ifndef TSUNAGU_HTTPD_H
#define TSUNAGU_HTTPD_H

#include <event2/event.h>
#include <event2/keyvalq_struct.h>
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "config.h"
#include "refusal.h"
#include "turn.h"
#include "util.h"

#define HTTPD_MAX_SEGMENTS 8

enum httpd_method { HTTPD_GET, HTTPD_POST, HTTPD_PUT, HTTPD_PATCH, HTTPD_DELETE, HTTPD_HEAD, HTTPD_OTHER };

/* One request as the handler sees it, and the reply it leaves (sent after the commit). */
struct httpd_request {
	enum httpd_method method;
	char *segs[HTTPD_MAX_SEGMENTS];   /* the decoded path segments */
	int n_segs;
	struct evkeyvalq query;
	const struct evkeyvalq *headers;
	char *body;                 /* NUL-terminated copy */
	size_t body_len;
	clock_us now;               /* when it arrived */
	/* the reply */
	int status;
	struct buf reply;
	const char *content_type;   /* static; NULL: JSON */
	char *etag;
	char *location;
	char *allow;
	bool replayed;
	int unmappable;             /* CP932 CSV: characters written as 〓 (Tsunagu-Unmappable) */
	bool close_connection;
};

/* What the API registers: the handler of a request, and the reply to a refusal of the server's own. */
struct httpd_routes {
	/* Runs inside the request's unit; the unit is kept when the reply's status is below 400. */
	void (*handle)(void *ctx, struct httpd_request *req);
	/* Replies with a refusal (framing, limits, a path, a failed commit): the API's error shape and status. */
	void (*refuse)(void *ctx, struct httpd_request *req, const struct refusal *why);
	void *ctx;
};

struct httpd;

struct httpd_stats {
	uint64_t requests;
	uint64_t commits;          /* turns that committed requests' work */
	uint64_t failed_commits;
};

/* Listens on host:port (0: any free port), with the configured limits. Returns 0 and *out, or -1 with a message. */
int httpd_start(struct event_base *base, struct turn *turn, const struct clock *clock,
		const struct config_limits *limits, const struct httpd_routes *routes, const char *host, int port,
		struct httpd **out, char **err);

/* The port actually bound. */
int httpd_port(const struct httpd *h);

const struct httpd_stats *httpd_stats(const struct httpd *h);

void httpd_free(struct httpd *h);

#endif
