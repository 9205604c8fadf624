/*
 * httpparse — RFC 9112 read strictly: one space between the parts of the
 * request line, CRLF line ends, no whitespace before a header's colon, no
 * folded lines, no control characters, one framing only, and the headers whose
 * repetition an attacker could use (Authorization, Content-Length, …) at most
 * once. Anything else is refused, never guessed.
 */
#include "httpparse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Headers that may appear once: a second Content-Length or Authorization is an attack, not a choice. */
static const char *const single_headers[] = {
	"Host", "Authorization", "Idempotency-Key", "Content-Length", "Content-Type", "If-Match", "Expect",
	"Transfer-Encoding", "Cookie", "Origin", NULL
};

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

size_t http_head_skip_blank(const char *data, size_t len)
{
	size_t i = 0;
	while (i < len && (data[i] == '\n' || (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')))
		i += data[i] == '\r' ? 2 : 1;
	return i;
}

size_t http_head_end(const char *data, size_t len)
{
	/* The first line is the request line; the head ends at the first empty line after it. */
	const char *nl = memchr(data, '\n', len);
	while (nl) {
		size_t next = (size_t)(nl - data) + 1;
		if (next < len && data[next] == '\n')
			return next + 1;
		if (next + 1 < len && data[next] == '\r' && data[next + 1] == '\n')
			return next + 2;
		if (next + 1 >= len)
			return 0;
		nl = memchr(data + next, '\n', len - next);
	}
	return 0;
}

static int fail(struct refusal *why, const char *code, const char *field, const char *en, const char *ja)
{
	refusal_set(why, code, field, "%s", en);
	refusal_ja(why, "%s", ja);
	return -1;
}

/* Cuts the next line out of text at *pos (NUL-terminating it); NULL when a line does not end with CRLF. */
static char *next_line(char *text, size_t len, size_t *pos)
{
	char *start = text + *pos;
	char *nl = memchr(start, '\n', len - *pos);
	if (!nl || nl == start || nl[-1] != '\r')
		return NULL;
	nl[-1] = '\0';
	*pos = (size_t)(nl - text) + 1;
	return start;
}

static int read_request_line(char *line, struct http_head *h, struct refusal *why)
{
	char *sp1 = strchr(line, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strchr(sp2 + 1, ' '))
		return fail(why, "invalid_request", NULL, "the request line must be METHOD SP TARGET SP HTTP/1.1",
			    "リクエスト行は「メソッド 空白 パス 空白 HTTP/1.1」の形にしてください");
	*sp1 = *sp2 = '\0';
	h->method = line;
	h->target = sp1 + 1;
	const char *version = sp2 + 1;
	size_t mlen = strlen(h->method);
	if (!mlen || mlen > 20)
		return fail(why, "invalid_request", NULL, "the request method is missing or too long",
			    "リクエストのメソッドがないか長すぎます");
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)h->method[i]))
			return fail(why, "invalid_request", NULL, "the request method is not a token",
				    "リクエストのメソッドに使えない文字があります");
	/* the version first: HTTP/2's preface (PRI * HTTP/2.0) is told 505, not that its target is no path */
	if (!strcmp(version, "HTTP/1.1"))
		h->minor = 1;
	else if (!strcmp(version, "HTTP/1.0"))
		h->minor = 0;
	else if (!strncmp(version, "HTTP/", 5) && strlen(version) == 8 && version[5] >= '0' && version[5] <= '9' &&
		 version[6] == '.' && version[7] >= '0' && version[7] <= '9')
		return fail(why, "version_not_supported", NULL, "only HTTP/1.1 and HTTP/1.0 are served",
			    "HTTP/1.1 と HTTP/1.0 だけに対応しています");
	else
		return fail(why, "invalid_request", NULL, "the request line must end with HTTP/1.1",
			    "リクエスト行の最後は HTTP/1.1 にしてください");
	size_t tlen = strlen(h->target);
	if (!tlen || tlen > HTTP_MAX_TARGET)
		return fail(why, "invalid_request", NULL, "the request target is missing or too long",
			    "リクエストのパスがないか長すぎます");
	for (size_t i = 0; i < tlen; i++) {
		unsigned char c = (unsigned char)h->target[i];
		if (c <= 0x20 || c >= 0x7F || c == '#')
			return fail(why, "invalid_path", NULL, "the request target holds a character that must be percent-encoded",
				    "パスにそのままでは使えない文字があります（% で符号化してください）");
	}
	if (h->target[0] != '/')
		return fail(why, "invalid_path", NULL, "the request target must be a path starting with /",
			    "パスは / で始めてください");
	return 0;
}

static int read_header_line(char *line, struct http_head *h, struct refusal *why)
{
	if (*line == ' ' || *line == '\t')
		return fail(why, "invalid_header", NULL, "a header line may not be folded onto the next",
			    "ヘッダーを複数行に折り返すことはできません");
	char *colon = strchr(line, ':');
	if (!colon || colon == line)
		return fail(why, "invalid_header", NULL, "a header line must be NAME: VALUE", "ヘッダーは「名前: 値」の形にしてください");
	*colon = '\0';
	for (const char *p = line; *p; p++)
		if (!is_tchar((unsigned char)*p))
			return fail(why, "invalid_header", NULL, "a header name holds a space or a character that is not allowed",
				    "ヘッダー名に空白または使えない文字があります");
	char *value = colon + 1;
	while (*value == ' ' || *value == '\t')
		value++;
	size_t n = strlen(value);
	while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		value[--n] = '\0';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];
		if ((c < 0x20 && c != '\t') || c == 0x7F) {
			refusal_set(why, "invalid_header", line, "the header %s holds a control character", line);
			refusal_ja(why, "ヘッダー %s に制御文字が含まれています", line);
			return -1;
		}
	}
	if (h->n_headers == HTTP_MAX_HEADERS)
		return fail(why, "headers_too_large", NULL, "the request has too many header lines", "ヘッダーの行が多すぎます");
	for (size_t i = 0; single_headers[i]; i++)
		if (!strcasecmp(line, single_headers[i]) && http_head_get(h, line)) {
			const char *code = !strcasecmp(line, "Content-Length") || !strcasecmp(line, "Transfer-Encoding")
						   ? "invalid_framing" : "invalid_header";
			refusal_set(why, code, single_headers[i], "the header %s appears more than once", single_headers[i]);
			refusal_ja(why, "ヘッダー %s が複数あります", single_headers[i]);
			return -1;
		}
	h->headers[h->n_headers++] = (struct http_header){ line, value };
	return 0;
}

/* Content-Length, Transfer-Encoding, Host, Connection and Expect: what the head means for the bytes that follow. */
static int read_framing(struct http_head *h, uint64_t max_body, struct refusal *why)
{
	const char *cl = http_head_get(h, "Content-Length"), *te = http_head_get(h, "Transfer-Encoding");
	if (cl && te)
		return fail(why, "invalid_framing", "Transfer-Encoding",
			    "a request may not carry both Content-Length and Transfer-Encoding",
			    "Content-Length と Transfer-Encoding を同時に送ることはできません");
	if (te) {
		if (strcasecmp(te, "chunked") || h->minor == 0)
			return fail(why, "invalid_framing", "Transfer-Encoding", "Transfer-Encoding must be exactly chunked (HTTP/1.1)",
				    "Transfer-Encoding は chunked のみ使えます（HTTP/1.1）");
		h->chunked = true;
	}
	if (cl) {
		size_t n = strlen(cl);
		if (!n || strspn(cl, "0123456789") != n)
			return fail(why, "invalid_framing", "Content-Length", "Content-Length must be a number of bytes (digits only)",
				    "Content-Length はバイト数（数字のみ）で指定してください");
		uint64_t v = 0;
		for (size_t i = 0; i < n; i++) {
			if (v > (UINT64_MAX - 9) / 10)
				return fail(why, "payload_too_large", "Content-Length", "the body is too large",
					    "本文が大きすぎます");
			v = v * 10 + (uint64_t)(cl[i] - '0');
		}
		h->has_length = true;
		h->content_length = v;
		if (v > max_body) {
			refusal_set(why, "payload_too_large", "Content-Length", "the body is larger than %llu bytes",
				    (unsigned long long)max_body);
			refusal_ja(why, "本文が大きすぎます（%llu バイトまで）", (unsigned long long)max_body);
			return -1;
		}
	}
	if (h->minor == 1 && !http_head_get(h, "Host"))
		return fail(why, "invalid_request", "Host", "an HTTP/1.1 request must carry a Host header",
			    "HTTP/1.1 のリクエストには Host ヘッダーが必要です");
	h->keep_alive = h->minor == 1;
	for (size_t i = 0; i < h->n_headers; i++) {
		if (strcasecmp(h->headers[i].name, "Connection"))
			continue;
		/* a list of tokens: close wins, keep-alive only matters to HTTP/1.0 */
		char *copy = xstrdup(h->headers[i].value), *save = NULL;
		for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
			if (!strcasecmp(t, "close"))
				h->keep_alive = false;
			else if (!strcasecmp(t, "keep-alive") && h->minor == 0)
				h->keep_alive = true;
		}
		free(copy);
	}
	const char *expect = http_head_get(h, "Expect");
	if (expect) {
		if (strcasecmp(expect, "100-continue"))
			return fail(why, "expectation_failed", "Expect", "only Expect: 100-continue is understood",
				    "Expect は 100-continue のみ使えます");
		h->expect_continue = h->minor == 1 && (h->chunked || h->content_length > 0);
	}
	return 0;
}

int http_head_parse(const char *data, size_t len, uint64_t max_body, struct http_head *head, struct refusal *why)
{
	struct http_head h = { 0 };
	h.text = xmalloc(len + 1);
	memcpy(h.text, data, len);
	h.text[len] = '\0';
	if (memchr(data, '\0', len)) {
		fail(why, "invalid_request", NULL, "the request head holds a NUL byte", "リクエストに NUL 文字が含まれています");
		goto fail;
	}
	size_t pos = 0;
	char *line = next_line(h.text, len, &pos);
	if (!line) {
		fail(why, "invalid_request", NULL, "every line of the request head must end with CRLF",
		     "リクエストの各行は CRLF で終えてください");
		goto fail;
	}
	if (read_request_line(line, &h, why))
		goto fail;
	for (;;) {
		line = next_line(h.text, len, &pos);
		if (!line) {
			fail(why, "invalid_request", NULL, "every line of the request head must end with CRLF",
			     "リクエストの各行は CRLF で終えてください");
			goto fail;
		}
		if (!*line)
			break;
		if (read_header_line(line, &h, why))
			goto fail;
	}
	if (pos != len) {
		fail(why, "invalid_request", NULL, "the request head is malformed", "リクエストの形が正しくありません");
		goto fail;
	}
	if (read_framing(&h, max_body, why))
		goto fail;
	*head = h;
	return 0;
fail:
	free(h.text);
	return -1;
}

void http_head_release(struct http_head *head)
{
	free(head->text);
	memset(head, 0, sizeof(*head));
}

const char *http_head_get(const struct http_head *head, const char *name)
{
	for (size_t i = 0; i < head->n_headers; i++)
		if (!strcasecmp(head->headers[i].name, name))
			return head->headers[i].value;
	return NULL;
}

/* ---- chunked bodies --------------------------------------------------------------------------- */

enum { CH_SIZE, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_DONE };

/* A complete size line (without CRLF) into c->remaining. */
static int chunk_size(struct http_chunked *c, struct refusal *why)
{
	if (!c->line_len)
		return fail(why, "invalid_framing", "Transfer-Encoding", "a chunk size is missing", "チャンクの大きさがありません");
	uint64_t v = 0;
	for (size_t i = 0; i < c->line_len; i++) {
		if (c->line[i] == ';' || c->line[i] == ' ' || c->line[i] == '\t')
			return fail(why, "invalid_framing", "Transfer-Encoding", "chunk extensions are not accepted",
				    "チャンク拡張は使えません");
		int d = hex_digit(c->line[i]);
		if (d < 0)
			return fail(why, "invalid_framing", "Transfer-Encoding", "a chunk size must be hexadecimal digits",
				    "チャンクの大きさは 16 進数で指定してください");
		if (v >> 60)
			return fail(why, "payload_too_large", NULL, "the body is too large", "本文が大きすぎます");
		v = v * 16 + (uint64_t)d;
	}
	c->remaining = v;
	return 0;
}

long http_chunked_feed(struct http_chunked *c, const char *data, size_t len, struct buf *body, size_t max_body,
		       bool *done, struct refusal *why)
{
	size_t i = 0;
	*done = c->state == CH_DONE;
	while (i < len && c->state != CH_DONE) {
		char ch = data[i];
		switch (c->state) {
		case CH_SIZE:
		case CH_TRAILER:
			i++;
			if (ch == '\n') {
				if (!c->line_len || c->line[c->line_len - 1] != '\r')
					return fail(why, "invalid_framing", "Transfer-Encoding", "chunk lines must end with CRLF",
						    "チャンクの行は CRLF で終えてください");
				c->line_len--;
				if (c->state == CH_TRAILER) {
					if (c->line_len)
						return fail(why, "invalid_framing", "Transfer-Encoding",
							    "trailer fields after a chunked body are not accepted",
							    "チャンク形式の本文の後のトレーラーは使えません");
					c->state = CH_DONE;
					break;
				}
				if (chunk_size(c, why))
					return -1;
				c->line_len = 0;
				if (c->remaining > max_body - body->len)
					return fail(why, "payload_too_large", NULL, "the body is too large", "本文が大きすぎます");
				c->state = c->remaining ? CH_DATA : CH_TRAILER;
				break;
			}
			if (c->line_len == sizeof(c->line))
				return fail(why, "invalid_framing", "Transfer-Encoding",
					    c->state == CH_SIZE ? "a chunk size line is too long"
								: "trailer fields after a chunked body are not accepted",
					    c->state == CH_SIZE ? "チャンクの大きさの行が長すぎます"
								: "チャンク形式の本文の後のトレーラーは使えません");
			c->line[c->line_len++] = ch;
			break;
		case CH_DATA: {
			size_t n = len - i < c->remaining ? len - i : (size_t)c->remaining;
			buf_add(body, data + i, n);
			i += n;
			c->remaining -= n;
			if (!c->remaining)
				c->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
		case CH_DATA_LF:
			if (ch != (c->state == CH_DATA_CR ? '\r' : '\n'))
				return fail(why, "invalid_framing", "Transfer-Encoding", "a chunk's data must end with CRLF",
					    "チャンクのデータは CRLF で終えてください");
			i++;
			c->state = c->state == CH_DATA_CR ? CH_DATA_LF : CH_SIZE;
			break;
		}
	}
	*done = c->state == CH_DONE;
	return (long)i;
}

/* ---- query strings ---------------------------------------------------------------------------- */

/* Percent-decodes s[0..n) into a new string; NULL when an escape is malformed or decodes to NUL. */
static char *query_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			int hi = i + 2 < n ? hex_digit(s[i + 1]) : -1;
			int lo = i + 2 < n ? hex_digit(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

static bool plain_text(const char *s)
{
	if (!utf8_valid(s, strlen(s)))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			return false;
	return true;
}

int http_query_parse(const char *query, void (*add)(void *ctx, const char *name, const char *value), void *ctx,
		     struct refusal *why)
{
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int ret = -1;
	const char *p = query;
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		char *name = query_decode(p, eq ? (size_t)(eq - p) : len);
		char *value = eq ? query_decode(eq + 1, len - (size_t)(eq + 1 - p)) : xstrdup("");
		if (!name || !value || !*name || !plain_text(name) || !plain_text(value)) {
			const char *field = name && *name && plain_text(name) ? name : NULL;
			refusal_set(why, "invalid_query", field,
				    "the query string holds a malformed escape, a NUL, a control character or invalid text%s%s",
				    field ? " in " : "", field ? field : "");
			refusal_ja(why, "クエリ文字列に正しくない %%XX 符号化・NUL・制御文字・文字化けがあります");
			free(name);
			free(value);
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			if (!strcmp(names[i], name)) {
				refusal_set(why, "invalid_query", name, "the parameter %s is given more than once", name);
				refusal_ja(why, "パラメータ %s が複数あります", name);
				free(name);
				free(value);
				goto out;
			}
		add(ctx, name, value);
		grow_array(&names, &alloc, n, sizeof(*names));
		names[n++] = name;
		free(value);
		if (!amp)
			break;
		p = amp + 1;
	}
	ret = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}
