/*
 * httpd — a request conn hands over runs as a unit of the loop turn at once,
 * or, while another process holds the database's write lock, waits on a short
 * timer and is tried again (the loop never sleeps on the lock). Its reply waits
 * in `pending` for the turn's commit; a reply with work goes to the worker then,
 * and is sent when the worker hands it back.
 */
#include "httpd.h"
#include "conn.h"
#include "clock.h"
#include "log.h"

#include <ctype.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SEGMENT 200
/* A method's name; the last for every method the server does not know (a label of /metrics). */
static const char *const method_names[HTTPD_OTHER + 1] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "other" };
#define RETRY_FIRST_MS 2
#define RETRY_MAX_MS 20
/* Heavy replies queued for the workers beyond which more are refused for a moment (503 server_busy). */
#define WORKER_QUEUE_MAX 64
/* What one callback may spend on waiting requests or slices before the rest go to the next turn. */
#define BUDGET_US 20000

struct held {
	struct conn *c;
	struct httpd_request *r;
	int64_t since_ms;          /* when it first found the database busy */
	uint64_t turn;             /* pending: the turn whose commit its reply waits for */
	bool made;                 /* pending: a worker's reply, waiting only for what it read to be on disk */
};

struct httpd {
	struct event_base *base;
	struct turn *turn;
	const struct clock *clock;
	const struct config *cfg;
	struct worker *worker;
	struct httpd_routes routes;
	struct conn_server *server;
	struct held *pending;      /* handled this turn, replies waiting for the commit */
	size_t n_pending, alloc_pending;
	struct held *waiting;      /* not begun: the database was busy */
	size_t n_waiting, alloc_waiting;
	struct held *sliced;       /* going on in the next turn */
	size_t n_sliced, alloc_sliced;
	struct event *retry, *next_slice;
	int retry_ms;
	struct httpd_stats stats;
	int64_t started_us;        /* wall clock at the start: our request ids begin with it */
	uint64_t request_count;
};

/* A reply on its way through the worker. */
struct worker_reply {
	struct httpd *h;
	struct conn *c;
	struct httpd_request *r;
};

const char *httpd_header(const struct httpd_request *r, const char *name)
{
	return http_head_get(r->head, name);
}

static void request_free(struct httpd_request *r)
{
	for (int i = 0; i < r->n_segs; i++)
		free(r->segs[i]);
	evhttp_clear_headers(&r->query);
	if (r->head) {
		http_head_release((struct http_head *)r->head);
		free((struct http_head *)r->head);
	}
	free(r->body);
	buf_release(&r->reply);
	free(r->etag);
	free(r->location);
	free(r->allow);
	free(r->set_cookie);
	if (r->work.free)
		r->work.free(r->work.ctx);
	if (r->slices.free)
		r->slices.free(r->slices.ctx);
	free(r);
}

static void end_slices(struct httpd_request *r)
{
	if (r->slices.free)
		r->slices.free(r->slices.ctx);
	r->slices = (struct httpd_slices){ 0 };
}

/*
 * The policy of every reply, pages and JSON alike: scripts, styles and
 * everything else only from the daemon itself, nothing inline, never in a
 * frame, and no address of ours in another site's Referer.
 */
#define CONTENT_SECURITY_POLICY                                                                 \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "       \
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "             \
	"form-action 'self'; frame-ancestors 'none'"

/* Seconds from a request's arrival to its reply, for the histogram of /metrics. */
static const double duration_bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };

static void count_reply(struct httpd_stats *st, const struct httpd_request *r)
{
	char labels[256], status[8];
	const char *route = r->route ? r->route : "other";
	snprintf(status, sizeof(status), "%d", r->status);
	prom_labels(labels, sizeof(labels), "route", route, "method", method_names[r->method], "status", status, NULL);
	prom_table_get(&st->replies, labels)->value++;
	prom_labels(labels, sizeof(labels), "route", route, "method", method_names[r->method], NULL);
	prom_observe(&prom_table_get(&st->durations, labels)->histogram,
		     (double)(clock_monotonic_us() - r->arrived_us) / 1e6);
}

static void send_reply(struct httpd *h, struct conn *c, struct httpd_request *r)
{
	count_reply(&h->stats, r);
	struct conn_header hs[17];
	size_t n = 0;
	char unmappable[16], retry_after[16];
	hs[n++] = (struct conn_header){ "Content-Type", r->content_type ? r->content_type
									 : "application/json; charset=utf-8" };
	/* the pages' own files carry nothing personal: kept, and checked against their ETag on each use */
	hs[n++] = (struct conn_header){ "Cache-Control", r->shared_asset ? "no-cache" : "no-store" };
	hs[n++] = (struct conn_header){ "X-Content-Type-Options", "nosniff" };
	hs[n++] = (struct conn_header){ "Content-Security-Policy", CONTENT_SECURITY_POLICY };
	hs[n++] = (struct conn_header){ "Referrer-Policy", "no-referrer" };
	hs[n++] = (struct conn_header){ "X-Frame-Options", "DENY" };
	hs[n++] = (struct conn_header){ "X-Request-Id", r->request_id };
	if (r->set_cookie)
		hs[n++] = (struct conn_header){ "Set-Cookie", r->set_cookie };
	if (r->etag)
		hs[n++] = (struct conn_header){ "ETag", r->etag };
	if (r->location)
		hs[n++] = (struct conn_header){ "Location", r->location };
	if (r->allow)
		hs[n++] = (struct conn_header){ "Allow", r->allow };
	if (r->replayed)
		hs[n++] = (struct conn_header){ "Idempotent-Replayed", "true" };
	if (r->content_type && strstr(r->content_type, "Shift_JIS")) {
		snprintf(unmappable, sizeof(unmappable), "%d", r->unmappable);
		hs[n++] = (struct conn_header){ "Tsunagu-Unmappable", unmappable };
	}
	/* a 401 says how to authenticate (RFC 9110 11.6.1): a bearer token (RFC 6750) */
	if (r->status == 401)
		hs[n++] = (struct conn_header){ "WWW-Authenticate", "Bearer realm=\"tsunagu\"" };
	if (r->retry_after > 0) {
		snprintf(retry_after, sizeof(retry_after), "%d", r->retry_after);
		hs[n++] = (struct conn_header){ "Retry-After", retry_after };
	}
	struct conn_reply reply = { .status = r->status, .headers = hs, .n_headers = n, .body = r->reply,
				    .close = r->close_connection };
	buf_init(&r->reply);
	conn_send(c, &reply);
}

static void hold(struct held **list, size_t *n, size_t *alloc, struct held item)
{
	grow_array(list, alloc, *n, sizeof(**list));
	(*list)[(*n)++] = item;
}

/* Holds a handled request until the turn it joined is on disk. */
static void await_turn(struct httpd *h, struct held item)
{
	item.turn = turn_number(h->turn);
	hold(&h->pending, &h->n_pending, &h->alloc_pending, item);
}

/* Takes a whole list (its count into *count), leaving it empty for what is held again while it is walked. */
static struct held *take(struct held **list, size_t *n, size_t *alloc, size_t *count)
{
	struct held *taken = *list;
	*count = *n;
	*list = NULL;
	*n = *alloc = 0;
	return taken;
}

static void arm(struct event *ev, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	evtimer_add(ev, &tv);
}

static enum httpd_method method_of(const char *m)
{
	for (int i = 0; i < HTTPD_OTHER; i++)
		if (!strcmp(m, method_names[i]))
			return (enum httpd_method)i;
	return HTTPD_OTHER;
}

/* Replies with a refusal of the server's own, in the API's shape. */
static void refuse(struct httpd *h, struct httpd_request *r, const char *code, const char *field, const char *en,
		   const char *ja)
{
	struct refusal why = { 0 };
	refusal_set(&why, code, field, "%s", en);
	refusal_ja(&why, "%s", ja);
	h->routes.refuse(h->routes.ctx, r, &why);
	refusal_release(&why);
}

static void refuse_storage(struct httpd *h, struct httpd_request *r, const char *en, const char *ja)
{
	free(r->etag);
	r->etag = NULL;
	/* a session the failed commit took back must not replace the browser's live one */
	free(r->set_cookie);
	r->set_cookie = NULL;
	free(r->location);
	r->location = NULL;
	r->replayed = false;
	r->retry_after = 1;
	if (r->work.free)
		r->work.free(r->work.ctx);
	r->work = (struct httpd_work){ 0 };
	end_slices(r);
	refuse(h, r, "storage_unavailable", NULL, en, ja);
}

/* Splits and decodes the path; refuses encoded slashes, NUL, dot segments. */
static int parse_path(struct httpd *h, struct httpd_request *r, const char *path, size_t path_len)
{
	const char *p = path + 1, *end = path + path_len;
	if (p == end)
		return 0;
	for (;;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t n = slash ? (size_t)(slash - p) : (size_t)(end - p);
		if (r->n_segs == HTTPD_MAX_SEGMENTS || n > MAX_SEGMENT * 3) {
			refuse(h, r, "not_found", NULL, "no such resource", "該当するリソースはありません");
			return -1;
		}
		char *raw = xstrndup(p, n);
		size_t len = 0;
		char *seg = evhttp_uridecode(raw, 0, &len);
		free(raw);
		if (!seg || len != strlen(seg) || strchr(seg, '/') || !strcmp(seg, ".") || !strcmp(seg, "..") ||
		    len > MAX_SEGMENT || !utf8_valid(seg, len) || (len == 0 && slash)) {
			free(seg);
			refuse(h, r, "invalid_path", NULL,
			       "the path holds an encoded slash, a NUL, a dot segment or invalid text",
			       "パスに使えない文字列が含まれています");
			return -1;
		}
		if (len == 0) { /* a trailing slash */
			free(seg);
			refuse(h, r, "not_found", NULL, "no such resource", "該当するリソースはありません");
			return -1;
		}
		r->segs[r->n_segs++] = seg;
		if (!slash)
			return 0;
		p = slash + 1;
	}
}

static void add_query(void *ctx, const char *name, const char *value)
{
	struct httpd_request *r = ctx;
	/* http_query_parse admits no control character, so evhttp has nothing to refuse here */
	evhttp_add_header(&r->query, name, value);
}

/* Reads the target into path segments and query parameters: 0, or -1 with the refusal as the reply. */
static int parse_target(struct httpd *h, struct httpd_request *r)
{
	const char *target = r->head->target;
	const char *q = strchr(target, '?');
	size_t path_len = q ? (size_t)(q - target) : strlen(target);
	if (parse_path(h, r, target, path_len))
		return -1;
	if (!q)
		return 0;
	struct refusal why = { 0 };
	if (http_query_parse(q + 1, add_query, r, &why)) {
		h->routes.refuse(h->routes.ctx, r, &why);
		refusal_release(&why);
		return -1;
	}
	return 0;
}

/* Says which request held the loop longer than a turn should (its method and path: ids, never a query). */
static void log_if_slow(const struct httpd_request *r, const char *what, int64_t took_us)
{
	if (took_us <= TURN_SLOW_US)
		return;
	const char *target = r->head->target;
	int path_len = (int)strcspn(target, "?");
	log_msg(LOGM_SLOW_REQUEST, "slow %s: %s %.*s held the loop %.1f ms", what, r->head->method, path_len, target,
		 (double)took_us / 1000.0);
}

/* Runs the request as a unit of this turn: 0, or STORE_BUSY when the database is held elsewhere (nothing done). */
static int run_request(struct httpd *h, struct conn *c, struct httpd_request *r)
{
	int rc = turn_unit_begin(h->turn);
	if (rc == STORE_BUSY)
		return STORE_BUSY;
	await_turn(h, (struct held){ .c = c, .r = r });
	if (rc) {
		refuse_storage(h, r, "the database is unavailable; nothing was changed",
			       "データベースを利用できません。変更は行われていません");
		return 0;
	}
	int64_t start = clock_monotonic_us();
	log_request_begin(r->request_id);
	h->routes.handle(h->routes.ctx, r);
	log_if_slow(r, "request", clock_monotonic_us() - start);
	log_request_end();
	if (turn_unit_end(h->turn, r->status < 400))
		refuse_storage(h, r, "the database is unavailable; nothing was changed",
			       "データベースを利用できません。変更は行われていません");
	return 0;
}

static void wait_for_database(struct httpd *h, struct conn *c, struct httpd_request *r, int64_t since_ms)
{
	if (!h->n_waiting) {
		h->retry_ms = RETRY_FIRST_MS;
		arm(h->retry, h->retry_ms);
	}
	hold(&h->waiting, &h->n_waiting, &h->alloc_waiting, (struct held){ .c = c, .r = r, .since_ms = since_ms });
}

/* A request whose client has gone: its connection is let go, and nothing more is done for it. */
static void drop(struct httpd *h, struct held *w)
{
	h->stats.dropped++;
	conn_send(w->c, &(struct conn_reply){ .status = 499 });
	request_free(w->r);
}

/*
 * Tries the waiting requests again, in the order they came, for at most
 * BUDGET_US (a backlog after a long hold goes over several turns); those
 * still blocked wait a little longer.
 */
static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct httpd *h = arg;
	turn_touch(h->turn);
	size_t n;
	struct held *list = take(&h->waiting, &h->n_waiting, &h->alloc_waiting, &n);
	int64_t now = clock_monotonic_ms(), start = clock_monotonic_us();
	int64_t limit = (int64_t)h->cfg->limits.database_wait_seconds * 1000;
	bool busy = false, spent = false;
	for (size_t i = 0; i < n; i++) {
		struct held *w = &list[i];
		if (conn_gone(w->c)) {
			drop(h, w);
			continue;
		}
		spent = spent || clock_monotonic_us() - start > BUDGET_US;
		/* once one is still blocked, the later ones keep their place behind it */
		if (!busy && !spent && run_request(h, w->c, w->r) == 0)
			continue;
		busy = busy || !spent;
		if (now - w->since_ms >= limit) {
			h->stats.gave_up++;
			await_turn(h, *w);
			refuse_storage(h, w->r, "the database is held by another process; nothing was changed, try again",
				       "データベースが他の処理で使用中です。変更は行われていません。もう一度お試しください");
			continue;
		}
		hold(&h->waiting, &h->n_waiting, &h->alloc_waiting, *w);
	}
	free(list);
	if (h->n_waiting && busy) {
		h->retry_ms = h->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : h->retry_ms * 2;
		arm(h->retry, h->retry_ms);
	} else if (h->n_waiting) {
		/* not blocked, only out of time: the next turn goes on at once */
		arm(h->retry, 0);
	}
}

/*
 * The next step of each request that goes on over several turns, each in a
 * unit of this turn, for at most BUDGET_US: the rest go first in the next
 * turn, and a stepped one goes to the back (round robin).
 */
static void on_slice(evutil_socket_t fd, short what, void *arg)
{
	struct httpd *h = arg;
	turn_touch(h->turn);
	size_t n;
	struct held *list = take(&h->sliced, &h->n_sliced, &h->alloc_sliced, &n);
	int64_t begun = clock_monotonic_us();
	bool spent = false;
	for (size_t i = 0; i < n; i++) {
		struct held *s = &list[i];
		struct httpd_request *r = s->r;
		if (conn_gone(s->c)) {
			/* the rows so far stay imported; sending the file again finishes it */
			drop(h, s);
			continue;
		}
		spent = spent || clock_monotonic_us() - begun > BUDGET_US;
		if (spent) {
			hold(&h->sliced, &h->n_sliced, &h->alloc_sliced, *s);
			continue;
		}
		int rc = turn_unit_begin(h->turn);
		if (rc == STORE_BUSY) {
			/* another process has the database: this step waits for a later turn */
			hold(&h->sliced, &h->n_sliced, &h->alloc_sliced, *s);
			continue;
		}
		await_turn(h, *s);
		if (rc) {
			refuse_storage(h, r, "the database is unavailable; the rest was not done",
				       "データベースを利用できません。残りは処理されていません");
			continue;
		}
		h->stats.slices++;
		int64_t start = clock_monotonic_us();
		int step = r->slices.step(r->slices.ctx, r);
		log_if_slow(r, "slice", clock_monotonic_us() - start);
		if (step <= 0)
			end_slices(r);
		if (turn_unit_end(h->turn, step >= 0))
			refuse_storage(h, r, "the database is unavailable; the rest was not done",
				       "データベースを利用できません。残りは処理されていません");
	}
	free(list);
	if (h->n_sliced)
		arm(h->next_slice, spent ? 0 : RETRY_MAX_MS);
}

/* A request id a client may choose: short, and of characters no log or header can be confused by. */
static bool sane_request_id(const char *id)
{
	size_t n = strlen(id);
	if (!n || n > HTTPD_REQUEST_ID_MAX)
		return false;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.:", *p))
			return false;
	return true;
}

/*
 * A trusted proxy's X-Request-Id (nginx's $request_id), or one of ours: the
 * start's time and a count. A client's own is not taken: it could give the id
 * of another's request and muddle the logs.
 */
static void name_request(struct httpd *h, struct conn *c, struct httpd_request *r)
{
	const char *given = conn_peer_trusted(c) ? http_head_get(r->head, "X-Request-Id") : NULL;
	if (given && sane_request_id(given))
		snprintf(r->request_id, sizeof(r->request_id), "%s", given);
	else
		snprintf(r->request_id, sizeof(r->request_id), "%llx-%llu", (unsigned long long)h->started_us,
			 (unsigned long long)++h->request_count);
}

static void on_request(void *ctx, struct conn *c, struct http_head *head, struct buf *body)
{
	struct httpd *h = ctx;
	struct httpd_request *r = xcalloc(1, sizeof(*r));
	struct http_head *owned = xmalloc(sizeof(*owned));
	*owned = *head;
	r->head = owned;
	r->now = clock_now(h->clock);
	r->arrived_us = clock_monotonic_us();
	r->method = method_of(head->method);
	r->query.tqh_first = NULL;
	r->query.tqh_last = &r->query.tqh_first;
	conn_client(c, owned, r->client);
	name_request(h, c, r);
	buf_addc(body, '\0');
	r->body_len = body->len - 1;
	r->body = buf_detach(body);
	buf_init(&r->reply);
	if (parse_target(h, r)) {
		await_turn(h, (struct held){ .c = c, .r = r });
		/* nothing was begun, but the reply still waits for the turn's end, as every reply does */
		return;
	}
	/* behind requests already waiting, so that none overtakes an earlier one of the same client */
	if (h->n_waiting || run_request(h, c, r) == STORE_BUSY) {
		h->stats.waited++;
		wait_for_database(h, c, r, clock_monotonic_ms());
	}
}

static void on_refusal(void *ctx, const struct refusal *why, struct conn_reply *out)
{
	struct httpd *h = ctx;
	struct httpd_request r = { .status = 500 };
	buf_init(&r.reply);
	r.query.tqh_first = NULL;
	r.query.tqh_last = &r.query.tqh_first;
	h->routes.refuse(h->routes.ctx, &r, why);
	out->status = r.status;
	out->body = r.reply;
	static const struct conn_header json[] = {
		{ "Content-Type", "application/json; charset=utf-8" },
		{ "Cache-Control", "no-store" },
		{ "X-Content-Type-Options", "nosniff" },
		{ "Retry-After", "1" },
	};
	out->headers = json;
	/* a full server or a slow client may try again soon; a malformed request may not */
	out->n_headers = r.status == 503 || r.status == 429 ? 4 : 3;
}

static void offload_run(void *ctx, struct worker_env *env)
{
	struct worker_reply *o = ctx;
	log_request_begin(o->r->request_id);
	o->r->work.run(o->r->work.ctx, env, o->r);
	log_request_end();
}

static void offload_done(void *ctx, bool ran)
{
	struct worker_reply *o = ctx;
	struct httpd *h = o->h;
	struct httpd_request *r = o->r;
	/* kept for the step that may follow; released with the request */
	r->work.run = NULL;
	if (ran && r->slices.step && !conn_gone(o->c)) {
		/* what the worker found is written on the loop, in a unit of a later turn */
		hold(&h->sliced, &h->n_sliced, &h->alloc_sliced, (struct held){ .c = o->c, .r = r });
		event_active(h->next_slice, EV_TIMEOUT, 0);
		free(o);
		return;
	}
	/*
	 * What the worker read may include turns committed while it ran and not
	 * yet on disk: its reply waits for the turns up to now (a flush at most).
	 * Unrun only when the daemon stops: its connections close with it.
	 */
	if (ran && !r->slices.step)
		await_turn(h, (struct held){ .c = o->c, .r = r, .made = true });
	else
		request_free(r);
	free(o);
}

/*
 * Once a turn is on disk: its replies go out, or, when its commit failed, a
 * 503 in place of each. The requests of later turns stay held.
 */
static void on_turn_end(void *arg, uint64_t turn, bool committed)
{
	struct httpd *h = arg;
	size_t n = 0;
	while (n < h->n_pending && h->pending[n].turn <= turn)
		n++;
	if (!n)
		return;
	/* taken out first: what a reply sets going may hold requests again */
	struct held *done = xmalloc(n * sizeof(*done));
	memcpy(done, h->pending, n * sizeof(*done));
	memmove(h->pending, h->pending + n, (h->n_pending - n) * sizeof(*h->pending));
	h->n_pending -= n;
	h->stats.commits++;
	if (!committed)
		h->stats.failed_commits++;
	for (size_t i = 0; i < n; i++) {
		struct httpd_request *r = done[i].r;
		struct conn *c = done[i].c;
		if (done[i].made) {
			/* the turn's own outcome is not this reply's: its unit was committed before */
			send_reply(h, c, r);
			request_free(r);
			continue;
		}
		h->stats.requests++;
		if (!committed && r->status < 500 && r->slices.step)
			refuse_storage(h, r, "the database could not save the rest; what was saved before stays, send it "
				       "again to finish", "データベースに残りを保存できませんでした。保存済みの分は残っています。"
				       "もう一度送ると残りを処理します");
		else if (!committed && r->status < 500)
			refuse_storage(h, r, "the database could not save this; nothing was changed, try again",
				       "データベースに保存できませんでした。変更は行われていません。もう一度お試しください");
		if (r->slices.step) {
			/* the next step after this commit, in a turn of its own: others' requests go between */
			hold(&h->sliced, &h->n_sliced, &h->alloc_sliced, done[i]);
			event_active(h->next_slice, EV_TIMEOUT, 0);
			continue;
		}
		if (r->work.run && worker_pending(h->worker) >= WORKER_QUEUE_MAX) {
			/* one caller queueing hundreds of reports would starve everyone's */
			r->work.free(r->work.ctx);
			r->work = (struct httpd_work){ 0 };
			r->retry_after = 1;
			refuse(h, r, "server_busy", NULL, "too many reports and exports are being made; try again shortly",
			       "報告・出力の作成が集中しています。しばらくしてお試しください");
		}
		if (r->work.run) {
			h->stats.offloaded++;
			struct worker_reply *o = xmalloc(sizeof(*o));
			*o = (struct worker_reply){ h, c, r };
			worker_submit(h->worker, offload_run, offload_done, o);
			continue;
		}
		send_reply(h, c, r);
		request_free(r);
	}
	free(done);
}

const struct httpd_stats *httpd_stats(const struct httpd *h)
{
	return &h->stats;
}

const struct conn_stats *httpd_conn_stats(const struct httpd *h)
{
	return conn_server_stats(h->server);
}

int httpd_start(struct event_base *base, struct turn *turn, const struct clock *clock, const struct config *cfg,
		struct worker *worker, const struct httpd_routes *routes, const char *host, int port,
		struct httpd **out, char **err)
{
	struct httpd *h = xcalloc(1, sizeof(*h));
	h->base = base;
	h->turn = turn;
	h->clock = clock;
	h->cfg = cfg;
	h->worker = worker;
	h->routes = *routes;
	h->started_us = clock_wall_us();
	prom_table_init(&h->stats.replies, NULL, 0);
	prom_table_init(&h->stats.durations, duration_bounds, COUNT_OF(duration_bounds));
	struct conn_callbacks cb = { .request = on_request, .refusal = on_refusal, .ctx = h };
	h->server = conn_server_new(base, turn, cfg, &cb, host, port, err);
	if (!h->server) {
		prom_table_release(&h->stats.replies);
		prom_table_release(&h->stats.durations);
		free(h);
		return -1;
	}
	h->retry = evtimer_new(base, on_retry, h);
	h->next_slice = evtimer_new(base, on_slice, h);
	turn_join(turn, on_turn_end, h);
	*out = h;
	return 0;
}

int httpd_port(const struct httpd *h)
{
	return conn_server_port(h->server);
}

void httpd_stop_accepting(struct httpd *h)
{
	conn_server_stop_accepting(h->server);
}

bool httpd_quiet(const struct httpd *h)
{
	return !h->n_pending && !h->n_waiting && !h->n_sliced && conn_server_quiet(h->server);
}

void httpd_free(struct httpd *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_pending; i++)
		request_free(h->pending[i].r);
	for (size_t i = 0; i < h->n_waiting; i++)
		request_free(h->waiting[i].r);
	for (size_t i = 0; i < h->n_sliced; i++)
		request_free(h->sliced[i].r);
	free(h->pending);
	free(h->waiting);
	free(h->sliced);
	if (h->retry)
		event_free(h->retry);
	if (h->next_slice)
		event_free(h->next_slice);
	conn_server_free(h->server);
	if (h->routes.release)
		h->routes.release(h->routes.ctx);
	prom_table_release(&h->stats.replies);
	prom_table_release(&h->stats.durations);
	free(h);
}
