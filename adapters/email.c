/*
 * email — SMTP through libcurl multi on the loop. The message is UTF-8 MIME:
 * the subject as RFC 2047 encoded words, the body base64 in Japanese first and
 * English after it. Email-to-FAX gateways work through it like any mailbox.
 */
#include "adapter.h"
#include "curlev.h"
#include "util.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct email {
	char *url;
	char *from;
	struct curl_slist *to;
	char *to_header;
	bool starttls;
	char *username, *password;
	long timeout_ms;
	const struct adapter_env *env;
	char *host;
};

struct request {
	adapter_done_fn done;
	void *ctx;
	struct buf message;
	size_t sent;
};

static const char *const settings[] = { "smtp_url", "from", "to", "starttls", "username", "password",
					"timeout_seconds", NULL };

static const char *const schemes[] = { "smtp", "smtps", NULL };

static char *url_host(const char *url)
{
	return adapter_url_host(url, schemes);
}

/* An address for SMTP and headers: no line breaks, angle brackets or spaces, one @. */
static bool plain_address(const char *a)
{
	const char *at = strchr(a, '@');
	return a && *a && at && at != a && at[1] && !strchr(at + 1, '@') && !strpbrk(a, "\r\n<>, \t\"");
}

static int check(const json_t *s, const char **key, char **err)
{
	const char *url = json_string_value(json_object_get(s, "smtp_url"));
	char *host = url ? url_host(url) : NULL;
	if (!host) {
		*key = "smtp_url";
		*err = xstrdup("'smtp_url' must be smtp://HOST[:PORT] or smtps://HOST[:PORT]");
		return -1;
	}
	free(host);
	const char *from = json_string_value(json_object_get(s, "from"));
	if (!from || !plain_address(from)) {
		*key = "from";
		*err = xstrdup("'from' must be one mail address, e.g. tsunagu@city.example.jp");
		return -1;
	}
	const json_t *to = json_object_get(s, "to");
	if (json_is_string(to) ? !plain_address(json_string_value(to)) : !json_is_array(to) || json_array_size(to) == 0) {
		*key = "to";
		*err = xstrdup("'to' must be a mail address or a list of them");
		return -1;
	}
	for (size_t i = 0; json_is_array(to) && i < json_array_size(to); i++)
		if (!json_is_string(json_array_get(to, i)) || !plain_address(json_string_value(json_array_get(to, i)))) {
			*key = "to";
			*err = xasprintf("'to' item %zu is not a mail address", i + 1);
			return -1;
		}
	const json_t *tls = json_object_get(s, "starttls");
	if (tls && !json_is_boolean(tls)) {
		*key = "starttls";
		*err = xstrdup("'starttls' must be true or false");
		return -1;
	}
	if (adapter_check_seconds(s, "timeout_seconds", key, err))
		return -1;
	const json_t *user = json_object_get(s, "username"), *pass = json_object_get(s, "password");
	if ((user && !json_is_string(user)) || (pass && !json_is_string(pass)) || (!user != !pass)) {
		*key = user ? "password" : "username";
		*err = xstrdup("'username' and 'password' go together, as text");
		return -1;
	}
	return 0;
}

static char *host(const json_t *s)
{
	return url_host(json_string_value(json_object_get(s, "smtp_url")));
}

static void *open_channel(const json_t *s, const struct adapter_env *env)
{
	struct email *e = xcalloc(1, sizeof(*e));
	e->url = xstrdup(json_string_value(json_object_get(s, "smtp_url")));
	e->from = xstrdup(json_string_value(json_object_get(s, "from")));
	const json_t *to = json_object_get(s, "to");
	struct buf header;
	buf_init(&header);
	size_t n = json_is_array(to) ? json_array_size(to) : 1;
	for (size_t i = 0; i < n; i++) {
		const char *addr = json_string_value(json_is_array(to) ? json_array_get(to, i) : to);
		char *rcpt = xasprintf("<%s>", addr);
		e->to = curl_slist_append(e->to, rcpt);
		free(rcpt);
		buf_printf(&header, "%s%s", i ? ", " : "", addr);
	}
	e->to_header = buf_detach(&header);
	e->starttls = json_is_true(json_object_get(s, "starttls"));
	const json_t *user = json_object_get(s, "username");
	if (user) {
		e->username = xstrdup(json_string_value(user));
		e->password = xstrdup(json_string_value(json_object_get(s, "password")));
	}
	const json_t *t = json_object_get(s, "timeout_seconds");
	e->timeout_ms = (t ? json_integer_value(t) : 20) * 1000;
	e->env = env;
	e->host = url_host(e->url);
	return e;
}

static void add_base64(struct buf *b, const unsigned char *data, size_t len)
{
	unsigned char out[4 * 19 + 1];
	/* 57 bytes make one 76-character line */
	for (size_t i = 0; i < len; i += 57) {
		size_t n = len - i < 57 ? len - i : 57;
		int w = EVP_EncodeBlock(out, data + i, (int)n);
		buf_add(b, out, (size_t)w);
		buf_adds(b, "\r\n");
	}
}

/* RFC 2047: base64 encoded words of at most 75 characters, cut between characters. */
static void add_encoded_words(struct buf *b, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), i = 0;
	bool first = true;
	if (len == 0)
		return;
	while (i < len) {
		size_t n = len - i < 45 ? len - i : 45;
		while (i + n < len && (s[i + n] & 0xC0) == 0x80)
			n--;
		unsigned char out[64];
		int w = EVP_EncodeBlock(out, s + i, (int)n);
		buf_printf(b, "%s=?UTF-8?B?%.*s?=", first ? "" : "\r\n ", w, (const char *)out);
		first = false;
		i += n;
	}
}

static size_t read_message(char *ptr, size_t size, size_t nmemb, void *userp)
{
	struct request *rq = userp;
	size_t room = size * nmemb, left = rq->message.len - rq->sent;
	size_t n = left < room ? left : room;
	memcpy(ptr, rq->message.data + rq->sent, n);
	rq->sent += n;
	return n;
}

static void finished(void *ctx, CURLcode result, CURL *easy)
{
	struct request *rq = ctx;
	if (result == CURLE_OK) {
		rq->done(rq->ctx, true, false, NULL);
	} else {
		long code = 0;
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
		char *e = code ? xasprintf("SMTP %ld: %s", code, curl_easy_strerror(result))
			       : xasprintf("%s", curl_easy_strerror(result));
		rq->done(rq->ctx, false, false, e);
		free(e);
	}
	buf_release(&rq->message);
	free(rq);
}

static void send_message(void *channel, const struct adapter_message *m, adapter_done_fn done, void *ctx)
{
	struct email *e = channel;
	if (!e->host || !adapter_host_allowed(e->env, e->host)) {
		done(ctx, false, true, "the SMTP host is not in notifications.allowed_hosts");
		return;
	}
	struct request *rq = xcalloc(1, sizeof(*rq));
	rq->done = done;
	rq->ctx = ctx;
	struct buf *b = &rq->message;
	buf_init(b);
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	const char *at = strchr(e->from, '@');
	buf_printf(b, "From: tsunagu <%s>\r\nTo: %s\r\nSubject: ", e->from, e->to_header);
	add_encoded_words(b, m->subject_ja);
	buf_printf(b, "\r\nDate: %s\r\nMessage-ID: <%s%s>\r\nMIME-Version: 1.0\r\n"
		      "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n"
		      "X-Tsunagu-Notification: %s\r\n\r\n", date, m->id, at, m->id);
	char *text = xasprintf("%s\n----\n%s\n", m->body_ja, m->body_en);
	add_base64(b, (const unsigned char *)text, strlen(text));
	free(text);
	char *from = xasprintf("<%s>", e->from);
	CURL *easy = curl_easy_init();
	curl_easy_setopt(easy, CURLOPT_URL, e->url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, e->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(easy, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, e->to);
	curl_easy_setopt(easy, CURLOPT_READFUNCTION, read_message);
	curl_easy_setopt(easy, CURLOPT_READDATA, rq);
	curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
	if (e->starttls)
		curl_easy_setopt(easy, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (e->username) {
		curl_easy_setopt(easy, CURLOPT_USERNAME, e->username);
		curl_easy_setopt(easy, CURLOPT_PASSWORD, e->password);
	}
	free(from); /* libcurl copies string options */
	if (curlev_add(e->env->curl, easy, finished, rq)) {
		curl_easy_cleanup(easy);
		buf_release(&rq->message);
		free(rq);
		done(ctx, false, false, "cannot start the SMTP transfer");
	}
}

static void close_channel(void *channel)
{
	struct email *e = channel;
	if (!e)
		return;
	free(e->url);
	free(e->from);
	curl_slist_free_all(e->to);
	free(e->to_header);
	free(e->username);
	free(e->password);
	free(e->host);
	free(e);
}

const struct adapter adapter_email = {
	.name = "email",
	.settings = settings,
	.check = check,
	.host = host,
	.open = open_channel,
	.send = send_message,
	.close = close_channel,
};
