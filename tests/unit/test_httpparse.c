/* Unit tests of httpparse: request heads, chunked bodies and query strings read strictly. */
#include "httpparse.h"
#include "test.h"

#include <stdlib.h>

#define MAX_BODY 1024

/* Parses a head given as text; returns the refusal code, or NULL when it was accepted (head filled). */
static const char *parse(const char *text, struct http_head *head)
{
	static char code[64];
	size_t len = strlen(text);
	size_t end = http_head_end(text, len);
	if (!end)
		return "incomplete";
	struct refusal why = { 0 };
	if (http_head_parse(text, end, MAX_BODY, head, &why) == 0)
		return NULL;
	snprintf(code, sizeof(code), "%s", why.code);
	refusal_release(&why);
	return code;
}

static void refused(const char *text, const char *want)
{
	struct http_head head;
	const char *code = parse(text, &head);
	if (!code)
		http_head_release(&head);
	CHECK_STR(code ? code : "(accepted)", want);
}

TEST(httpparse_reads_a_plain_request)
{
	struct http_head h;
	CHECK(parse("GET /v1/cases?limit=3 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n", &h) == NULL);
	CHECK_STR(h.method, "GET");
	CHECK_STR(h.target, "/v1/cases?limit=3");
	CHECK_INT(h.minor, 1);
	CHECK_STR(http_head_get(&h, "authorization"), "Bearer t");
	CHECK(h.keep_alive);
	CHECK(!h.has_length && !h.chunked);
	http_head_release(&h);

	CHECK(parse("POST /v1/cases HTTP/1.0\r\nContent-Length: 12\r\n\r\n", &h) == NULL);
	CHECK(!h.keep_alive);
	CHECK(h.has_length);
	CHECK_INT(h.content_length, 12);
	http_head_release(&h);

	CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &h) == NULL);
	CHECK(!h.keep_alive);
	http_head_release(&h);
}

TEST(httpparse_refuses_framing_a_proxy_could_read_otherwise)
{
	refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", "invalid_framing");
	refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n", "invalid_framing");
	refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 1\r\n\r\n", "invalid_framing");
	refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "invalid_framing");
	refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", "payload_too_large");
	refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n", "payload_too_large");
	refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		"invalid_framing");
	refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "invalid_framing");
	refused("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n", "invalid_header");
	refused("GET / HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\r\nidempotency-key: b\r\n\r\n", "invalid_header");
	refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "invalid_header");
	refused("GET / HTTP/1.1\r\n\r\n", "invalid_request");
}

TEST(httpparse_refuses_malformed_heads)
{
	refused("GET / HTTP/1.1\nHost: x\n\n", "invalid_request");
	refused("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", "invalid_request");
	refused("GET / HTTP/2.0\r\nHost: x\r\n\r\n", "version_not_supported");
	/* the preface of HTTP/2 with prior knowledge: its version is what is refused, not its target "*" */
	refused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "version_not_supported");
	refused("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", "invalid_header");
	refused("GET / HTTP/1.1\r\nHost : x\r\n\r\n", "invalid_header");
	refused("GET / HTTP/1.1\r\nHo(st: x\r\n\r\n", "invalid_header");
	refused("GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n", "invalid_header");
	refused("GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", "invalid_path");
	refused("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", "invalid_request");
	refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: 200-ok\r\n\r\n", "expectation_failed");
	/* a NUL inside a header */
	static const char nul[] = "GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n";
	struct http_head h;
	struct refusal why = { 0 };
	size_t end = http_head_end(nul, sizeof(nul) - 1);
	CHECK(end > 0);
	CHECK(http_head_parse(nul, end, MAX_BODY, &h, &why) == -1);
	CHECK_STR(why.code, "invalid_request");
	refusal_release(&why);
}

TEST(httpparse_answers_lowercase_and_odd_methods_later_not_here)
{
	/* a method is a token: the API answers lowercase, TRACE or CONNECT with its 405 or 404 */
	struct http_head h;
	CHECK(parse("get / HTTP/1.1\r\nHost: x\r\n\r\n", &h) == NULL);
	CHECK_STR(h.method, "get");
	http_head_release(&h);
	CHECK(parse("TRACE / HTTP/1.1\r\nHost: x\r\n\r\n", &h) == NULL);
	http_head_release(&h);
}

TEST(httpparse_expect_continue)
{
	struct http_head h;
	CHECK(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", &h) == NULL);
	CHECK(h.expect_continue);
	http_head_release(&h);
}

/* Feeds a chunked body in pieces of step bytes; returns the refusal code or NULL, the body in *out. */
static const char *chunked(const char *text, size_t step, struct buf *out, size_t *rest)
{
	static char code[64];
	struct http_chunked c = { 0 };
	buf_init(out);
	size_t len = strlen(text), pos = 0;
	bool done = false;
	while (pos < len && !done) {
		size_t n = len - pos < step ? len - pos : step;
		struct refusal why = { 0 };
		long used = http_chunked_feed(&c, text + pos, n, out, MAX_BODY, &done, &why);
		if (used < 0) {
			snprintf(code, sizeof(code), "%s", why.code);
			refusal_release(&why);
			return code;
		}
		pos += (size_t)used;
		if (!used && !done)
			break;
	}
	*rest = len - pos;
	return done ? NULL : "incomplete";
}

TEST(httpparse_chunked_bodies_in_any_pieces)
{
	const char *body = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET";
	for (size_t step = 1; step < 40; step++) {
		struct buf out;
		size_t rest = 0;
		const char *code = chunked(body, step, &out, &rest);
		CHECK(code == NULL);
		CHECK_INT(out.len, 11);
		CHECK(!memcmp(out.data, "hello world", 11));
		CHECK_INT(rest, 3);
		buf_release(&out);
	}
}

TEST(httpparse_chunked_refusals)
{
	struct buf out;
	size_t rest;
	CHECK_STR(chunked("5;ext=1\r\nhello\r\n0\r\n\r\n", 64, &out, &rest), "invalid_framing");
	buf_release(&out);
	CHECK_STR(chunked("5\r\nhello\r\n0\r\nTrailer: x\r\n\r\n", 64, &out, &rest), "invalid_framing");
	buf_release(&out);
	CHECK_STR(chunked("zz\r\n", 64, &out, &rest), "invalid_framing");
	buf_release(&out);
	CHECK_STR(chunked("5\r\nhelloXX", 64, &out, &rest), "invalid_framing");
	buf_release(&out);
	/* beyond the body limit: refused as soon as the size line says so */
	CHECK_STR(chunked("401\r\n", 64, &out, &rest), "payload_too_large");
	buf_release(&out);
	CHECK_STR(chunked("fffffffffffffffffffff\r\n", 64, &out, &rest), "payload_too_large");
	buf_release(&out);
}

struct pairs {
	char text[256];
};

static void add_pair(void *ctx, const char *name, const char *value)
{
	struct pairs *p = ctx;
	size_t n = strlen(p->text);
	snprintf(p->text + n, sizeof(p->text) - n, "[%s=%s]", name, value);
}

static const char *query(const char *q, struct pairs *p)
{
	static char code[64];
	p->text[0] = '\0';
	struct refusal why = { 0 };
	if (http_query_parse(q, add_pair, p, &why) == 0)
		return NULL;
	snprintf(code, sizeof(code), "%s:%s", why.code, why.field ? why.field : "");
	refusal_release(&why);
	return code;
}

TEST(httpparse_query_strings)
{
	struct pairs p;
	CHECK(query("a=1&b=%E3%81%82+x&c", &p) == NULL);
	CHECK_STR(p.text, "[a=1][b=あ x][c=]");
	CHECK(query("", &p) == NULL);
	CHECK_STR(p.text, "");
	CHECK_STR(query("q=%00", &p), "invalid_query:q");
	CHECK_STR(query("q=%0a", &p), "invalid_query:q");
	CHECK_STR(query("q=%zz", &p), "invalid_query:q");
	CHECK_STR(query("q=%4", &p), "invalid_query:q");
	CHECK_STR(query("q=%ff", &p), "invalid_query:q");
	CHECK_STR(query("limit=1&limit=2", &p), "invalid_query:limit");
}
