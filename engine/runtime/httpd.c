/*
 * httpd — evhttp set up with every limit, and the per-turn group commit. evhttp
 * itself is given generous hard caps so that the configured limits are enforced
 * here, where the refusal can be the API's JSON error.
 */
#include "httpd.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

/* What evhttp may buffer before tsunagu looks; beyond it evhttp answers on its own. */
#define HARD_BODY_CAP (16 << 20)
#define HARD_HEADER_CAP (64 << 10)
#define MAX_SEGMENT 200

struct pending {
	struct evhttp_request *req;
	struct httpd_request *r;
};

struct httpd {
	struct event_base *base;
	struct evhttp *http;
	struct turn *turn;
	const struct clock *clock;
	const struct config_limits *limits;
	struct httpd_routes routes;
	int port;
	struct pending *pending;
	size_t n_pending, alloc_pending;
	struct evhttp_connection **conns;
	size_t n_conns, alloc_conns;
	struct httpd_stats stats;
};

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

static void request_free(struct httpd_request *r)
{
	for (int i = 0; i < r->n_segs; i++)
		free(r->segs[i]);
	evhttp_clear_headers(&r->query);
	free(r->body);
	buf_release(&r->reply);
	free(r->etag);
	free(r->location);
	free(r->allow);
	free(r);
}

static void send_reply(struct evhttp_request *req, struct httpd_request *r)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	evhttp_add_header(out, "Content-Type", r->content_type ? r->content_type : "application/json; charset=utf-8");
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	if (r->etag)
		evhttp_add_header(out, "ETag", r->etag);
	if (r->location)
		evhttp_add_header(out, "Location", r->location);
	if (r->allow)
		evhttp_add_header(out, "Allow", r->allow);
	if (r->replayed)
		evhttp_add_header(out, "Idempotent-Replayed", "true");
	if (r->content_type && strstr(r->content_type, "Shift_JIS")) {
		char n[16];
		snprintf(n, sizeof(n), "%d", r->unmappable);
		evhttp_add_header(out, "Tsunagu-Unmappable", n);
	}
	if (r->close_connection)
		evhttp_add_header(out, "Connection", "close");
	struct evbuffer *body = evbuffer_new();
	if (r->reply.len)
		evbuffer_add(body, r->reply.data, r->reply.len);
	evhttp_send_reply(req, r->status, reason(r->status), body);
	evbuffer_free(body);
}

static void queue(struct httpd *h, struct evhttp_request *req, struct httpd_request *r)
{
	grow_array(&h->pending, &h->alloc_pending, h->n_pending, sizeof(*h->pending));
	h->pending[h->n_pending++] = (struct pending){ req, r };
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	struct httpd *h = arg;
	for (size_t i = 0; i < h->n_conns; i++)
		if (h->conns[i] == evcon) {
			h->conns[i] = h->conns[--h->n_conns];
			break;
		}
	/* A reply still waiting for the commit must not outlive its connection. */
	for (size_t i = 0; i < h->n_pending; i++)
		if (h->pending[i].req && evhttp_request_get_connection(h->pending[i].req) == evcon)
			h->pending[i].req = NULL;
}

/* Counts a connection on its first request; false when the limit is reached. */
static bool admit_connection(struct httpd *h, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	for (size_t i = 0; i < h->n_conns; i++)
		if (h->conns[i] == evcon)
			return true;
	if ((int)h->n_conns >= h->limits->max_connections)
		return false;
	grow_array(&h->conns, &h->alloc_conns, h->n_conns, sizeof(*h->conns));
	h->conns[h->n_conns++] = evcon;
	evhttp_connection_set_closecb(evcon, on_close, h);
	return true;
}

static enum httpd_method method_of(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: return HTTPD_GET;
	case EVHTTP_REQ_POST: return HTTPD_POST;
	case EVHTTP_REQ_PUT: return HTTPD_PUT;
	case EVHTTP_REQ_PATCH: return HTTPD_PATCH;
	case EVHTTP_REQ_DELETE: return HTTPD_DELETE;
	case EVHTTP_REQ_HEAD: return HTTPD_HEAD;
	default: return HTTPD_OTHER;
	}
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

/* Refuses framing that a proxy in front could read differently (request smuggling). */
static int check_framing(struct httpd *h, struct httpd_request *r)
{
	const struct evkeyvalq *hs = r->headers;
	int te = 0, cl = 0;
	const char *te_value = NULL;
	size_t header_bytes = 0;
	for (struct evkeyval *kv = hs->tqh_first; kv; kv = kv->next.tqe_next) {
		header_bytes += strlen(kv->key) + strlen(kv->value) + 4;
		if (!strcasecmp(kv->key, "Transfer-Encoding")) {
			te++;
			te_value = kv->value;
		} else if (!strcasecmp(kv->key, "Content-Length")) {
			cl++;
		}
		if (strpbrk(kv->value, "\r\n")) {
			refuse(h, r, "invalid_header", kv->key, "a header value holds a line break",
				  "ヘッダーの値に改行が含まれています");
			return -1;
		}
	}
	if (header_bytes > h->limits->max_header_bytes) {
		refuse(h, r, "headers_too_large", NULL, "the request headers are too large",
			  "リクエストヘッダーが大きすぎます");
		return -1;
	}
	if (te && cl) {
		refuse(h, r, "invalid_framing", "Transfer-Encoding",
			  "a request may not carry both Content-Length and Transfer-Encoding",
			  "Content-Length と Transfer-Encoding を同時に送ることはできません");
		return -1;
	}
	if (te > 1 || (te && strcasecmp(te_value, "chunked"))) {
		refuse(h, r, "invalid_framing", "Transfer-Encoding",
			  "Transfer-Encoding must be exactly chunked",
			  "Transfer-Encoding は chunked のみ使えます");
		return -1;
	}
	if (cl > 1) {
		refuse(h, r, "invalid_framing", "Content-Length", "Content-Length appears more than once",
			  "Content-Length が複数あります");
		return -1;
	}
	return 0;
}

/* Splits and decodes the raw path; refuses encoded slashes, NUL, dot segments. */
static int parse_path(struct httpd *h, struct httpd_request *r, const char *path)
{
	if (!path || path[0] != '/') {
		refuse(h, r, "invalid_path", NULL, "the path must start with /", "パスは / で始めてください");
		return -1;
	}
	const char *p = path + 1;
	if (!*p)
		return 0;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
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

static void on_request(struct evhttp_request *req, void *arg)
{
	struct httpd *h = arg;
	struct httpd_request *r = xcalloc(1, sizeof(*r));
	r->headers = evhttp_request_get_input_headers(req);
	r->now = clock_now(h->clock);
	r->method = method_of(evhttp_request_get_command(req));
	r->query.tqh_first = NULL;
	r->query.tqh_last = &r->query.tqh_first;
	buf_init(&r->reply);
	queue(h, req, r);

	if (!admit_connection(h, req)) {
		r->close_connection = true;
		refuse(h, r, "too_many_connections", NULL, "too many open connections; try again shortly",
		       "接続数が上限に達しています。しばらくしてお試しください");
		return;
	}
	if (check_framing(h, r)) {
		r->close_connection = true;
		return;
	}
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	if (len > h->limits->max_body_bytes) {
		r->close_connection = true;
		char *msg = xasprintf("the body is larger than %zu bytes", h->limits->max_body_bytes);
		char *ja = xasprintf("本文が大きすぎます（%zu バイトまで）", h->limits->max_body_bytes);
		refuse(h, r, "payload_too_large", NULL, msg, ja);
		free(msg);
		free(ja);
		return;
	}
	r->body = xmalloc(len + 1);
	evbuffer_copyout(in, r->body, len);
	r->body[len] = '\0';
	r->body_len = len;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	if (parse_path(h, r, evhttp_uri_get_path(uri)))
		return;
	const char *q = evhttp_uri_get_query(uri);
	if (q && evhttp_parse_query_str(q, &r->query)) {
		refuse(h, r, "invalid_query", NULL, "the query string is malformed", "クエリ文字列が正しくありません");
		return;
	}
	if (turn_unit_begin(h->turn)) {
		refuse(h, r, "storage_unavailable", NULL, "the database is busy or unavailable; nothing was changed",
		       "データベースを利用できません。変更は行われていません");
		return;
	}
	h->routes.handle(h->routes.ctx, r);
	if (turn_unit_end(h->turn, r->status < 400))
		refuse(h, r, "storage_unavailable", NULL, "the database is unavailable; nothing was changed",
		       "データベースを利用できません。変更は行われていません");
}

/* After the turn's commit: the replies go out, or, when it failed, a 503 in place of each. */
static void on_turn_end(void *arg, bool committed)
{
	struct httpd *h = arg;
	if (!h->n_pending)
		return;
	h->stats.commits++;
	if (!committed)
		h->stats.failed_commits++;
	h->stats.requests += h->n_pending;
	for (size_t i = 0; i < h->n_pending; i++) {
		struct httpd_request *r = h->pending[i].r;
		if (!committed && r->status < 500) {
			free(r->etag);
			r->etag = NULL;
			free(r->location);
			r->location = NULL;
			r->replayed = false;
			refuse(h, r, "storage_unavailable", NULL,
			       "the database could not save this; nothing was changed, try again",
			       "データベースに保存できませんでした。変更は行われていません。もう一度お試しください");
		}
		if (h->pending[i].req)
			send_reply(h->pending[i].req, r);
		request_free(r);
	}
	h->n_pending = 0;
}

const struct httpd_stats *httpd_stats(const struct httpd *h)
{
	return &h->stats;
}

int httpd_start(struct event_base *base, struct turn *turn, const struct clock *clock,
		const struct config_limits *limits, const struct httpd_routes *routes, const char *host, int port,
		struct httpd **out, char **err)
{
	struct httpd *h = xcalloc(1, sizeof(*h));
	h->base = base;
	h->turn = turn;
	h->clock = clock;
	h->limits = limits;
	h->routes = *routes;
	h->http = evhttp_new(base);
	if (!h->http) {
		*err = xstrdup("cannot create the HTTP server");
		free(h);
		return -1;
	}
	const struct config_limits *lim = limits;
	size_t body_cap = lim->max_body_bytes * 4 > HARD_BODY_CAP ? lim->max_body_bytes * 4 : HARD_BODY_CAP;
	evhttp_set_max_body_size(h->http, (ev_ssize_t)body_cap);
	evhttp_set_max_headers_size(h->http, HARD_HEADER_CAP);
	struct timeval tv = { .tv_sec = lim->request_timeout_seconds };
	evhttp_set_timeout_tv(h->http, &tv);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
					    EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
					    EVHTTP_REQ_OPTIONS);
	evhttp_set_default_content_type(h->http, "application/json; charset=utf-8");
	evhttp_set_flags(h->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_gencb(h->http, on_request, h);
	struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(h->http, host, (ev_uint16_t)port);
	if (!bound) {
		*err = xasprintf("cannot listen on %s:%d (in use, or not an address of this machine)", host, port);
		httpd_free(h);
		return -1;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	h->port = port;
	if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			h->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			h->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	turn_join(turn, on_turn_end, h);
	*out = h;
	return 0;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_free(struct httpd *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_pending; i++)
		request_free(h->pending[i].r);
	free(h->pending);
	if (h->http)
		evhttp_free(h->http);
	free(h->conns);
	free(h);
}
