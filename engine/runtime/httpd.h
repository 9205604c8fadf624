/*
 * httpd — requests as the API sees them, over the connections of runtime/conn:
 * path and query decoding, the client's address, waiting out a database that
 * another process holds, heavy replies made on a worker thread, and group
 * commit. Each request
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
#include "httpparse.h"
#include "netaddr.h"
#include "prom.h"
#include "refusal.h"
#include "turn.h"
#include "util.h"
#include "worker.h"

struct conn_stats;

#define HTTPD_MAX_SEGMENTS 8
#define HTTPD_REQUEST_ID_MAX 64

enum httpd_method { HTTPD_GET, HTTPD_POST, HTTPD_PUT, HTTPD_PATCH, HTTPD_DELETE, HTTPD_HEAD, HTTPD_OTHER };

struct httpd_request;

/*
 * A request whose work is too long for one turn (a large import): after its
 * handler, step runs in a unit of each following turn, each after the commit
 * of the one before, until it returns 0 with the reply made; 1: more to do;
 * -1: it failed (its unit is undone, the reply is step's). The work of the
 * steps before stays committed. free releases ctx in every case.
 */
struct httpd_slices {
	int (*step)(void *ctx, struct httpd_request *req);
	void (*free)(void *ctx);
	void *ctx;
};

/*
 * A reply too heavy to make on the loop (a report, an export, the chain's
 * walk): a handler leaves it in the request, having checked the caller and
 * written what must be committed (the access log). After the turn's commit,
 * run makes the reply on a worker thread over its own read-only connection;
 * free releases ctx in every case (also when the commit failed and run never ran).
 * Work whose result must be written (a passphrase checked on the worker, then
 * a session recorded) sets slices in run: their step goes on on the loop,
 * in a unit of a later turn, and makes the reply.
 */
struct httpd_work {
	void (*run)(void *ctx, struct worker_env *env, struct httpd_request *req);
	void (*free)(void *ctx);
	void *ctx;
};

/* One request as the handler sees it, and the reply it leaves (sent after the commit). */
struct httpd_request {
	enum httpd_method method;
	char *segs[HTTPD_MAX_SEGMENTS];   /* the decoded path segments */
	int n_segs;
	struct evkeyvalq query;     /* decoded strictly (httpparse): no name twice */
	const struct http_head *head;
	char client[NETADDR_TEXT];  /* the client's address (the one a trusted proxy reports) */
	char *body;                 /* NUL-terminated */
	size_t body_len;
	clock_us now;               /* when it arrived */
	int64_t arrived_us;         /* the same on the monotonic clock, for its duration */
	const char *route;          /* the route's pattern, static (set by the API; NULL: none matched) */
	char request_id[HTTPD_REQUEST_ID_MAX + 1];  /* the client's X-Request-Id when it is sane, else ours */
	/* the reply */
	int status;
	struct buf reply;
	const char *content_type;   /* static; NULL: JSON */
	char *etag;
	char *location;
	char *allow;
	char *set_cookie;           /* a Set-Cookie header, or NULL */
	bool shared_asset;          /* one of the pages' files: revalidated (no-cache) rather than no-store */
	bool replayed;
	int unmappable;             /* CP932 CSV: characters written as 〓 (Tsunagu-Unmappable) */
	bool close_connection;
	int retry_after;            /* seconds, > 0: a Retry-After header */
	struct httpd_work work;     /* set: the reply is made on a worker after the commit */
	struct httpd_slices slices; /* set: the work goes on in later turns */
};

/* A request header (the first of that name, compared without case), or NULL. */
const char *httpd_header(const struct httpd_request *r, const char *name);

/* What the API registers: the handler of a request, and the reply to a refusal of the server's own. */
struct httpd_routes {
	/* Runs inside the request's unit; the unit is kept when the reply's status is below 400. */
	void (*handle)(void *ctx, struct httpd_request *req);
	/* Replies with a refusal (framing, limits, a path, a failed commit): the API's error shape and status. */
	void (*refuse)(void *ctx, struct httpd_request *req, const struct refusal *why);
	/* Releases ctx when the server stops (optional). */
	void (*release)(void *ctx);
	void *ctx;
};

struct httpd;

struct httpd_stats {
	uint64_t requests;
	uint64_t commits;          /* turns that committed requests' work */
	uint64_t failed_commits;
	uint64_t waited;           /* requests that waited for a database another process held */
	uint64_t gave_up;          /* requests refused after database_wait_seconds */
	uint64_t offloaded;        /* replies made on a worker */
	uint64_t slices;           /* steps of requests that went on over several turns */
	uint64_t dropped;          /* waiting or sliced requests whose client went away */
	struct prom_table replies;    /* by route, method and status */
	struct prom_table durations;  /* seconds from arrival to the reply, by route and method */
};

/*
 * Listens on host:port (0: any free port), with the config's limits; heavy
 * replies are made on worker. Returns 0 and *out, or -1 with a message.
 */
int httpd_start(struct event_base *base, struct turn *turn, const struct clock *clock, const struct config *cfg,
		struct worker *worker, const struct httpd_routes *routes, const char *host, int port,
		struct httpd **out, char **err);

/* The port actually bound. */
int httpd_port(const struct httpd *h);

const struct httpd_stats *httpd_stats(const struct httpd *h);
const struct conn_stats *httpd_conn_stats(const struct httpd *h);

/* For a stop: takes no new connections or requests; the ones in hand go on. */
void httpd_stop_accepting(struct httpd *h);

/* True when every request in hand has been answered and its reply written. */
bool httpd_quiet(const struct httpd *h);

void httpd_free(struct httpd *h);

#endif
