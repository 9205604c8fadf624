/*
 * httpparse — HTTP/1.1 request heads, chunked bodies and query strings, read
 * strictly and without I/O, so that the server can refuse anything a proxy in
 * front might read differently (request smuggling) with the API's own error
 * before a handler runs, and so that a fuzzer can drive every byte of it. A
 * refusal names its code (invalid_request, invalid_framing, invalid_header,
 * headers_too_large, payload_too_large, version_not_supported,
 * expectation_failed, invalid_query) and the header or parameter at fault.
 */
#ifndef TSUNAGU_HTTPPARSE_H
#define TSUNAGU_HTTPPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "refusal.h"
#include "util.h"

#define HTTP_MAX_HEADERS 100
#define HTTP_MAX_TARGET 8192

struct http_header {
	const char *name;          /* as sent (compare without case) */
	const char *value;         /* without the surrounding spaces */
};

struct http_head {
	char *text;                /* the head, copied and cut into strings (owned) */
	const char *method;        /* case-sensitive, as sent */
	const char *target;        /* the request target: starts with / */
	int minor;                 /* HTTP/1.minor: 0 or 1 */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t n_headers;
	/* the framing the head declares */
	bool chunked;
	bool has_length;
	uint64_t content_length;
	bool keep_alive;           /* the connection may carry another request after this one */
	bool expect_continue;      /* the client waits for 100 Continue before the body */
};

/*
 * Where the head ends in data (len bytes, leading empty lines included): the
 * length of the head with its blank line, or 0 while it is not complete. A
 * bare LF ends a line too, so that such a head is refused rather than waited for.
 */
size_t http_head_end(const char *data, size_t len);

/* Empty lines before a request line (allowed after a body, RFC 9112 §2.2): how many bytes to skip. */
size_t http_head_skip_blank(const char *data, size_t len);

/*
 * Reads a complete head (the len bytes http_head_end measured, blank lines
 * skipped). Returns 0 and fills *head, or -1 with the refusal in *why (nothing
 * to release then). The body's size is checked against max_body here, so an
 * oversize Content-Length is refused before a byte of it is read.
 */
int http_head_parse(const char *data, size_t len, uint64_t max_body, struct http_head *head, struct refusal *why);

void http_head_release(struct http_head *head);

/* The value of a header (the first, compared without case), or NULL. */
const char *http_head_get(const struct http_head *head, const char *name);

/* A chunked body being read: feed it what arrives, in any pieces. */
struct http_chunked {
	int state;
	uint64_t remaining;        /* bytes left in the current chunk */
	size_t line_len;           /* bytes of the size line (or trailer line) read so far */
	char line[24];
};

/*
 * Reads len bytes of a chunked body, appending its data to body (at most
 * max_body bytes in all). Returns the bytes consumed; *done is set when the
 * last chunk and its (empty) trailer section have been read, the bytes after
 * it belonging to the next request. -1 with *why: a malformed size line, a
 * chunk extension, a trailer field, or a body over max_body.
 */
long http_chunked_feed(struct http_chunked *c, const char *data, size_t len, struct buf *body, size_t max_body,
		       bool *done, struct refusal *why);

/*
 * Decodes a query string (without '?') strictly: each '%' followed by two hex
 * digits, '+' as a space, every name and value UTF-8 without NUL or control
 * characters, no name twice. Calls add for each pair in order. 0, or -1 with *why.
 */
int http_query_parse(const char *query, void (*add)(void *ctx, const char *name, const char *value), void *ctx,
		     struct refusal *why);

#endif
