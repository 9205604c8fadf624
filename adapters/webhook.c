/*
 * webhook — an HTTP(S) POST per notification through libcurl multi on the loop,
 * signed per the Standard Webhooks specification: webhook-id (the notification's
 * stable id), webhook-timestamp (unix seconds) and webhook-signature
 * ("v1,<base64 HMAC-SHA256 of id.timestamp.body>" with the channel's secret), so
 * any receiver can verify it with an off-the-shelf library. A body template turns
 * the message into what a chat tool's incoming webhook expects.
 */
#include "adapter.h"
#include "curlev.h"
#include "jsonin.h"
#include "util.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct webhook {
	char *url;
	unsigned char secret[256];
	int secret_len;
	char *body_template;       /* NULL: the standard JSON payload */
	long timeout_ms, connect_timeout_ms;
	const struct adapter_env *env;
	char *host;
};

struct request {
	adapter_done_fn done;
	void *ctx;
	struct curl_slist *headers;
	char *body;
};

static const char *const settings[] = { "url", "secret", "body", "timeout_seconds", "connect_timeout_seconds", NULL };

static const char *const schemes[] = { "http", "https", NULL };

static char *url_host(const char *url)
{
	return adapter_url_host(url, schemes);
}

/* A Standard Webhooks secret: "whsec_" + base64 of the key bytes. */
static int decode_secret(const char *s, unsigned char *out, int *len)
{
	if (strncmp(s, "whsec_", 6))
		return -1;
	const char *b64 = s + 6;
	size_t n = strlen(b64);
	if (n == 0 || n % 4 || n > 340)
		return -1;
	int got = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (got < 0)
		return -1;
	if (n >= 1 && b64[n - 1] == '=')
		got--;
	if (n >= 2 && b64[n - 2] == '=')
		got--;
	*len = got;
	return got >= 16 ? 0 : -1;
}

static int check(const json_t *s, const char **key, char **err)
{
	const char *url = json_string_value(json_object_get(s, "url"));
	const char *secret = json_string_value(json_object_get(s, "secret"));
	unsigned char buf[256];
	int len;
	char *host = url ? url_host(url) : NULL;
	if (!host) {
		*key = "url";
		*err = xstrdup("'url' must be an http:// or https:// URL");
		return -1;
	}
	free(host);
	if (!secret || decode_secret(secret, buf, &len)) {
		*key = "secret";
		*err = xstrdup("'secret' must be a Standard Webhooks secret: whsec_ and the base64 of at least 16 random bytes");
		return -1;
	}
	const json_t *body = json_object_get(s, "body");
	if (body && !json_is_string(body)) {
		*key = "body";
		*err = xstrdup("'body' must be a text with {{placeholders}}");
		return -1;
	}
	if (body) {
		struct diag d;
		diag_init(&d);
		if (placeholder_check(json_string_value(body), "", 0, 0, "the body template", &d)) {
			*key = "body";
			*err = xstrdup(d.entries[0].message);
			diag_release(&d);
			return -1;
		}
		diag_release(&d);
	}
	return adapter_check_seconds(s, "timeout_seconds", key, err) ||
		       adapter_check_seconds(s, "connect_timeout_seconds", key, err) ? -1 : 0;
}

static char *host(const json_t *s)
{
	return url_host(json_string_value(json_object_get(s, "url")));
}

static void *open_channel(const json_t *s, const struct adapter_env *env)
{
	struct webhook *w = xcalloc(1, sizeof(*w));
	w->url = xstrdup(json_string_value(json_object_get(s, "url")));
	decode_secret(json_string_value(json_object_get(s, "secret")), w->secret, &w->secret_len);
	const char *body = json_string_value(json_object_get(s, "body"));
	w->body_template = body ? xstrdup(body) : NULL;
	const json_t *t = json_object_get(s, "timeout_seconds"), *ct = json_object_get(s, "connect_timeout_seconds");
	w->timeout_ms = (t ? json_integer_value(t) : 10) * 1000;
	w->connect_timeout_ms = (ct ? json_integer_value(ct) : 5) * 1000;
	w->env = env;
	w->host = url_host(w->url);
	return w;
}

static void finished(void *ctx, CURLcode result, CURL *easy)
{
	struct request *rq = ctx;
	long status = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (result != CURLE_OK) {
		char *e = xasprintf("%s", curl_easy_strerror(result));
		rq->done(rq->ctx, false, false, e);
		free(e);
	} else if (status >= 200 && status < 300) {
		rq->done(rq->ctx, true, false, NULL);
	} else {
		char *e = status >= 300 && status < 400 ? xasprintf("HTTP %ld: a redirect, not followed", status)
							 : xasprintf("HTTP %ld", status);
		rq->done(rq->ctx, false, false, e);
		free(e);
	}
	curl_slist_free_all(rq->headers);
	free(rq->body);
	free(rq);
}

static char *sign(const struct webhook *w, const char *id, const char *timestamp, const char *body)
{
	char *content = xasprintf("%s.%s.%s", id, timestamp, body);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	HMAC(EVP_sha256(), w->secret, w->secret_len, (const unsigned char *)content, strlen(content), mac, &mac_len);
	free(content);
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	EVP_EncodeBlock(b64, mac, (int)mac_len);
	return xasprintf("v1,%s", b64);
}

static bool header_safe(const char *v)
{
	return !strpbrk(v, "\r\n");
}

static void send_message(void *channel, const struct adapter_message *m, adapter_done_fn done, void *ctx)
{
	struct webhook *w = channel;
	if (!w->host || !adapter_host_allowed(w->env, w->host)) {
		done(ctx, false, true, "the host is not in notifications.allowed_hosts");
		return;
	}
	struct request *rq = xcalloc(1, sizeof(*rq));
	rq->done = done;
	rq->ctx = ctx;
	if (w->body_template) {
		rq->body = placeholder_render(w->body_template, m->vars, PLACEHOLDER_JSON);
	} else {
		json_t *payload = json_pack("{s:s, s:I, s:O}", "type", "tsunagu.notification", "timestamp",
					    (json_int_t)m->created_at, "data", m->data);
		json_object_set_new(payload, "subject", json_pack("{s:s, s:s}", "ja", m->subject_ja, "en", m->subject_en));
		rq->body = jsonin_dump(payload);
		json_decref(payload);
	}
	/* The real time of sending, not the daemon's (test) clock: receivers refuse
	 * signatures older than a few minutes to stop replays. */
	char timestamp[32];
	snprintf(timestamp, sizeof(timestamp), "%lld", (long long)time(NULL));
	char *signature = sign(w, m->id, timestamp, rq->body);
	char *h_id = xasprintf("webhook-id: %s", m->id);
	char *h_ts = xasprintf("webhook-timestamp: %s", timestamp);
	char *h_sig = xasprintf("webhook-signature: %s", signature);
	free(signature);
	if (!header_safe(h_id) || !header_safe(h_ts) || !header_safe(h_sig)) {
		free(h_id);
		free(h_ts);
		free(h_sig);
		free(rq->body);
		free(rq);
		done(ctx, false, true, "a header value would hold a line break");
		return;
	}
	rq->headers = curl_slist_append(rq->headers, "Content-Type: application/json");
	rq->headers = curl_slist_append(rq->headers, "User-Agent: tsunagu");
	rq->headers = curl_slist_append(rq->headers, h_id);
	rq->headers = curl_slist_append(rq->headers, h_ts);
	rq->headers = curl_slist_append(rq->headers, h_sig);
	free(h_id);
	free(h_ts);
	free(h_sig);
	CURL *easy = curl_easy_init();
	curl_easy_setopt(easy, CURLOPT_URL, w->url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, w->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, w->connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, rq->headers);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, rq->body);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)strlen(rq->body));
	if (curlev_add(w->env->curl, easy, finished, rq)) {
		curl_easy_cleanup(easy);
		curl_slist_free_all(rq->headers);
		free(rq->body);
		free(rq);
		done(ctx, false, false, "cannot start the HTTP request");
	}
}

static void close_channel(void *channel)
{
	struct webhook *w = channel;
	if (!w)
		return;
	free(w->url);
	free(w->body_template);
	free(w->host);
	free(w);
}

const struct adapter adapter_webhook = {
	.name = "webhook",
	.settings = settings,
	.check = check,
	.host = host,
	.open = open_channel,
	.send = send_message,
	.close = close_channel,
};
