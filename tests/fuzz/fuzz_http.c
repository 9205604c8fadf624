/*
 * Fuzz target: what the server reads before any handler — a request head, a
 * chunked body fed in pieces, the query string of the target — checking what
 * httpparse promises: a head it accepts has a method, a target starting with
 * /, each header once where once is the rule, and a body never beyond its limit.
 */
#include "httpparse.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BODY 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count_pair(void *ctx, const char *name, const char *value)
{
	if (!utf8_valid(name, strlen(name)) || !utf8_valid(value, strlen(value)))
		abort();
	(*(int *)ctx)++;
}

static void check_head(const struct http_head *h)
{
	if (!h->method[0] || h->target[0] != '/' || (h->minor != 0 && h->minor != 1))
		abort();
	if (h->has_length && h->chunked)
		abort();
	if (h->has_length && h->content_length > MAX_BODY)
		abort();
	static const char *const once[] = { "Content-Length", "Authorization", "Idempotency-Key", "Host" };
	for (size_t k = 0; k < sizeof(once) / sizeof(once[0]); k++) {
		int n = 0;
		for (size_t i = 0; i < h->n_headers; i++)
			n += !strcasecmp(h->headers[i].name, once[k]);
		if (n > 1)
			abort();
	}
	const char *q = strchr(h->target, '?');
	if (q) {
		int pairs = 0;
		struct refusal why = { 0 };
		if (http_query_parse(q + 1, count_pair, &pairs, &why))
			refusal_release(&why);
	}
}

/* The rest of the input as a chunked body, fed in pieces whose sizes the input chooses. */
static void feed_chunked(const char *data, size_t size)
{
	struct http_chunked c = { 0 };
	struct buf body;
	buf_init(&body);
	size_t pos = 0;
	bool done = false;
	while (pos < size && !done) {
		size_t step = 1 + (unsigned char)data[pos] % 17;
		if (step > size - pos)
			step = size - pos;
		struct refusal why = { 0 };
		long used = http_chunked_feed(&c, data + pos, step, &body, MAX_BODY, &done, &why);
		if (used < 0) {
			if (!why.code)
				abort();
			refusal_release(&why);
			break;
		}
		if ((size_t)used > step || body.len > MAX_BODY)
			abort();
		pos += (size_t)used;
		if (!used && !done)
			break;
	}
	buf_release(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t skip = http_head_skip_blank(text, size);
	size_t end = http_head_end(text + skip, size - skip);
	if (end) {
		if (end > size - skip)
			abort();
		struct http_head h;
		struct refusal why = { 0 };
		if (http_head_parse(text + skip, end, MAX_BODY, &h, &why) == 0) {
			check_head(&h);
			http_head_release(&h);
		} else {
			if (!why.code || !why.message)
				abort();
			refusal_release(&why);
		}
		feed_chunked(text + skip + end, size - skip - end);
	} else {
		feed_chunked(text, size);
	}
	return 0;
}
