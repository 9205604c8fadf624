/*
 * api_pages — the daemon's own pages: every page path (/login, /inbox,
 * /cases/ID, …) answers the one shell, index.html, whose script draws the
 * page from /v1 as any client would; /assets/… are the embedded files. The
 * shell and files hold nothing personal, so they are served to anyone, with
 * an ETag of their content, revalidated on each use (no-cache).
 */
#include "api.h"
#include "web_assets.h"

#include <string.h>

/* The first segment of each page the shell draws (engine/web/assets/app.js routes them). */
static const char *const page_roots[] = {
	"login", "inbox", "cases", "refer", "referrals", "provider", "checkup", "resources", "print", "coord", NULL,
};

static const struct {
	const char *suffix, *type;
} content_types[] = {
	{ ".html", "text/html; charset=utf-8" },   { ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },     { ".svg", "image/svg+xml" },
	{ ".png", "image/png" },                   { ".ico", "image/x-icon" },
	{ ".json", "application/json; charset=utf-8" }, { ".txt", "text/plain; charset=utf-8" },
};

static const struct web_asset *find_asset(const char *path)
{
	for (size_t i = 0; i < web_assets_count; i++)
		if (!strcmp(web_assets[i].path, path))
			return &web_assets[i];
	return NULL;
}

static const char *type_of(const char *path)
{
	size_t n = strlen(path);
	for (size_t i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++) {
		size_t k = strlen(content_types[i].suffix);
		if (n > k && !strcmp(path + n - k, content_types[i].suffix))
			return content_types[i].type;
	}
	return "application/octet-stream";
}

/* The ETag of a file: a digest of its bytes (the same binary gives the same tags). */
static char *etag_of(const struct web_asset *a)
{
	char hex[TOKEN_HASH_HEX];
	token_sha256_hex(a->data, a->size, hex);
	return xasprintf("\"%.20s\"", hex);
}

static void serve(struct api_request *r, const struct web_asset *a)
{
	struct httpd_request *h = r->http;
	if (h->method != HTTPD_GET && h->method != HTTPD_HEAD) {
		h->allow = xstrdup("GET, HEAD");
		api_error(r, 405, "method_not_allowed", NULL, "this method is not allowed here",
			  "このメソッドはここでは使えません");
		return;
	}
	char *etag = etag_of(a);
	const char *match = httpd_header(h, "If-None-Match");
	/* the shell is the document a signed-in page is drawn in: never kept (the Back button after sign-out) */
	h->shared_asset = strcmp(a->path, "index.html") != 0;
	h->etag = etag;
	h->content_type = type_of(a->path);
	h->reply.len = 0;
	if (match && strstr(match, etag)) {
		h->status = 304;
		return;
	}
	h->status = 200;
	buf_add(&h->reply, (const char *)a->data, a->size);
}

int api_page(struct api_request *r)
{
	struct httpd_request *h = r->http;
	if (h->n_segs == 0) {
		serve(r, find_asset("index.html"));
		return 0;
	}
	if (!strcmp(h->segs[0], "assets") && h->n_segs >= 2) {
		struct buf path;
		buf_init(&path);
		for (int i = 0; i < h->n_segs; i++)
			buf_printf(&path, "%s%s", i ? "/" : "", h->segs[i]);
		const struct web_asset *a = find_asset(path.data);
		buf_release(&path);
		if (!a)
			return 1;
		serve(r, a);
		return 0;
	}
	for (const char *const *p = page_roots; *p; p++)
		if (!strcmp(h->segs[0], *p)) {
			serve(r, find_asset("index.html"));
			return 0;
		}
	return 1;
}
