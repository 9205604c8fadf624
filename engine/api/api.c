/*
 * api — the route table, authentication and the shared reply helpers. A route
 * is a pattern of path segments ("*" matches one segment) and a handler per
 * method; a known path with another method answers 405 with Allow.
 */
#include "api.h"
#include "clock.h"
#include "jsonin.h"
#include "log.h"
#include "netaddr.h"
#include "ratelimit.h"
#include "sessions.h"
#include "token.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct route {
	const char *pattern[HTTPD_MAX_SEGMENTS];
	void (*handlers[HTTPD_OTHER])(struct api_request *r);
	bool public;                /* answers without a token or session (or checks its own) */
};

static const struct route routes[] = {
	{ { "healthz" }, { [HTTPD_GET] = api_healthz }, true },
	{ { "readyz" }, { [HTTPD_GET] = api_readyz }, true },
	{ { "metrics" }, { [HTTPD_GET] = api_metrics }, true },
	{ { "v1", "orgs" }, { [HTTPD_GET] = api_orgs }, false },
	{ { "v1", "orgs", "*", "users" }, { [HTTPD_GET] = api_org_users }, false },
	{ { "v1", "me" }, { [HTTPD_GET] = api_me }, false },
	{ { "v1", "session" }, { [HTTPD_GET] = api_session_get, [HTTPD_POST] = api_session_create,
				 [HTTPD_DELETE] = api_session_delete }, true },
	{ { "v1", "session", "enrol" }, { [HTTPD_POST] = api_session_enrol }, true },
	{ { "v1", "session", "totp" }, { [HTTPD_POST] = api_session_totp }, true },
	{ { "v1", "pathways" }, { [HTTPD_GET] = api_pathways_list }, false },
	{ { "v1", "pathways", "*" }, { [HTTPD_GET] = api_pathway_get }, false },
	{ { "v1", "pathways", "*", "graph" }, { [HTTPD_GET] = api_pathway_graph }, false },
	{ { "v1", "pathways", "*", "routing" }, { [HTTPD_GET] = api_pathway_routing }, false },
	{ { "v1", "pathways", "*", "diff" }, { [HTTPD_GET] = api_pathway_diff }, false },
	{ { "v1", "pathways", "*", "versions" }, { [HTTPD_GET] = api_pathway_versions }, false },
	{ { "v1", "pathways", "*", "migrations" }, { [HTTPD_POST] = api_pathway_migrate }, false },
	{ { "v1", "cases" }, { [HTTPD_GET] = api_cases_list, [HTTPD_POST] = api_cases_create }, false },
	{ { "v1", "cases", "*" }, { [HTTPD_GET] = api_case_get }, false },
	{ { "v1", "cases", "*", "events" }, { [HTTPD_GET] = api_case_events }, false },
	{ { "v1", "cases", "*", "actions", "*" }, { [HTTPD_POST] = api_case_action }, false },
	{ { "v1", "cases", "*", "notes" }, { [HTTPD_GET] = api_case_notes_list, [HTTPD_POST] = api_case_notes_add }, false },
	{ { "v1", "cases", "*", "assign" }, { [HTTPD_POST] = api_case_assign }, false },
	{ { "v1", "cases", "*", "printed" }, { [HTTPD_POST] = api_case_printed }, false },
	{ { "v1", "cases", "*", "subject" }, { [HTTPD_PATCH] = api_case_subject_patch }, false },
	{ { "v1", "cases", "*", "links" }, { [HTTPD_GET] = api_case_links_list, [HTTPD_POST] = api_case_links_create }, false },
	{ { "v1", "cases", "*", "links", "*" }, { [HTTPD_GET] = api_case_link_get, [HTTPD_PATCH] = api_case_link_patch }, false },
	{ { "v1", "links" }, { [HTTPD_GET] = api_links_provider }, false },
	{ { "v1", "users", "*", "reassign" }, { [HTTPD_POST] = api_user_reassign }, false },
	{ { "v1", "subjects", "*", "export" }, { [HTTPD_GET] = api_subject_export }, false },
	{ { "v1", "subjects", "*", "erase" }, { [HTTPD_POST] = api_subject_erase }, false },
	{ { "v1", "resources" }, { [HTTPD_GET] = api_resources_list, [HTTPD_POST] = api_resources_create }, false },
	{ { "v1", "resources", "categories" }, { [HTTPD_GET] = api_resource_categories }, false },
	{ { "v1", "resources", "*" }, { [HTTPD_GET] = api_resource_get, [HTTPD_PUT] = api_resource_put }, false },
	{ { "v1", "reports", "funnel" }, { [HTTPD_GET] = api_report_funnel }, false },
	{ { "v1", "reports", "durations" }, { [HTTPD_GET] = api_report_durations }, false },
	{ { "v1", "reports", "resources" }, { [HTTPD_GET] = api_report_resources }, false },
	{ { "v1", "reports", "tally" }, { [HTTPD_GET] = api_report_tally, [HTTPD_POST] = api_report_tally_import }, false },
	{ { "v1", "reports", "timeline" }, { [HTTPD_GET] = api_report_timeline }, false },
	{ { "v1", "audit", "verify" }, { [HTTPD_GET] = api_audit_verify }, false },
	{ { "v1", "audit", "access" }, { [HTTPD_GET] = api_audit_access }, false },
	{ { "v1", "audit", "provisions" }, { [HTTPD_GET] = api_audit_provisions }, false },
	{ { "v1", "imports", "checkup" }, { [HTTPD_POST] = api_import_checkup }, false },
	{ { "v1", "notifications" }, { [HTTPD_GET] = api_notifications_list }, false },
	{ { "v1", "notifications", "*", "retry" }, { [HTTPD_POST] = api_notification_retry }, false },
	{ { "v1", "test", "clock" }, { [HTTPD_GET] = api_test_clock, [HTTPD_POST] = api_test_clock }, false },
};

static const char *const method_names[HTTPD_OTHER] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD" };

/* Each route's pattern as /metrics labels it: "/v1/cases/{id}/actions/{action}". */
static char route_labels[COUNT_OF(routes)][96];

static void name_routes(void)
{
	for (size_t i = 0; i < COUNT_OF(routes); i++) {
		struct buf b;
		buf_init(&b);
		for (int k = 0; k < HTTPD_MAX_SEGMENTS && routes[i].pattern[k]; k++) {
			const char *seg = routes[i].pattern[k];
			if (strcmp(seg, "*"))
				buf_printf(&b, "/%s", seg);
			else
				buf_adds(&b, k && !strcmp(routes[i].pattern[k - 1], "actions") ? "/{action}" : "/{id}");
		}
		snprintf(route_labels[i], sizeof(route_labels[i]), "%s", b.data);
		buf_release(&b);
	}
}

static bool route_matches(const struct route *rt, const struct api_request *r)
{
	int n = 0;
	while (n < HTTPD_MAX_SEGMENTS && rt->pattern[n])
		n++;
	if (n != r->http->n_segs)
		return false;
	for (int i = 0; i < n; i++)
		if (strcmp(rt->pattern[i], "*") && strcmp(rt->pattern[i], r->http->segs[i]))
			return false;
	return true;
}

/* jansson writes the text straight into the reply: no copy of its own to make and free */
static int dump_into(const char *text, size_t len, void *data)
{
	buf_add(data, text, len);
	return 0;
}

void api_reply_json(struct api_request *r, int status, json_t *v)
{
	r->http->status = status;
	r->http->reply.len = 0;
	json_dump_callback(v, dump_into, &r->http->reply, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(v);
	buf_addc(&r->http->reply, '\n');
	r->http->content_type = "application/json; charset=utf-8";
}

static json_t *error_json(const char *code, const char *field, const char *message, const char *message_ja);

void api_error(struct api_request *r, int status, const char *code, const char *field,
	       const char *message, const char *message_ja)
{
	api_reply_json(r, status, json_pack("{s:o}", "error", error_json(code, field, message, message_ja)));
}

void api_errorf_both(struct api_request *r, int status, const char *code, const char *field, const char *en_fmt,
		     const char *ja_fmt, ...)
{
	va_list ap, ap_ja;
	va_start(ap, ja_fmt);
	va_copy(ap_ja, ap);
	char *en = xvasprintf(en_fmt, ap);
	char *ja = xvasprintf(ja_fmt, ap_ja);
	va_end(ap_ja);
	va_end(ap);
	api_error(r, status, code, field, en, ja);
	free(en);
	free(ja);
}

/* The status of each refusal code of rules/ and core/: the one place a refusal becomes HTTP. */
static const struct {
	const char *code;
	int status;
} refusal_statuses[] = {
	{ "invalid_field", 422 }, { "missing_field", 422 }, { "unknown_field", 422 }, { "invalid_json", 422 },
	{ "consent_required", 422 }, { "consent_scope", 422 }, { "invalid_encoding", 422 }, { "missing_header", 422 },
	{ "missing_column", 422 }, { "unknown_column", 422 }, { "duplicate_column", 422 },
	{ "forbidden", 403 }, { "not_found", 404 }, { "unknown_action", 404 },
	{ "action_not_available", 409 }, { "already_linked", 409 }, { "already_shared", 409 },
	{ "link_status_not_possible", 409 }, { "not_dead", 409 }, { "case_closed", 409 }, { "case_purged", 409 },
	{ "precondition_failed", 412 }, { "storage_unavailable", 503 },
	/* the HTTP server's own */
	{ "invalid_request", 400 }, { "invalid_framing", 400 }, { "invalid_header", 400 }, { "invalid_path", 400 },
	{ "invalid_query", 400 }, { "request_timeout", 408 }, { "payload_too_large", 413 },
	{ "not_acceptable", 406 }, { "expectation_failed", 417 }, { "too_many_requests", 429 }, { "headers_too_large", 431 },
	{ "too_many_connections", 503 }, { "server_busy", 503 }, { "version_not_supported", 505 },
};

int api_refusal_status(const char *code)
{
	for (size_t i = 0; i < sizeof(refusal_statuses) / sizeof(refusal_statuses[0]); i++)
		if (!strcmp(refusal_statuses[i].code, code))
			return refusal_statuses[i].status;
	return 422;
}

static json_t *error_json(const char *code, const char *field, const char *message, const char *message_ja)
{
	json_t *e = json_pack("{s:s, s:s, s:s}", "code", code, "message", message, "message_ja",
			      message_ja ? message_ja : message);
	json_object_set_new(e, "field", field ? json_string(field) : json_null());
	return e;
}

void api_refuse(struct api_request *r, const struct refusal *e)
{
	size_t n = refusal_count(e);
	json_t *o = json_pack("{s:o}", "error", error_json(e->code, e->field, e->message, e->message_ja));
	/* Every problem of the request, the first included, when there is more than one. */
	if (n > 1) {
		json_t *all = json_array();
		for (size_t i = 0; i < n; i++) {
			struct refusal_item it = refusal_at(e, i);
			json_array_append_new(all, error_json(it.code, it.field, it.message, it.message_ja));
		}
		json_object_set_new(o, "errors", all);
	}
	api_reply_json(r, api_refusal_status(e->code), o);
}

void api_storage_error(struct api_request *r)
{
	api_error(r, 503, "storage_unavailable", NULL, "the database is not available; nothing was changed",
		  "データベースを利用できません。変更は行われていません");
}

void api_case_not_found(struct api_request *r)
{
	api_error(r, 404, "not_found", NULL, "no such case", "該当するケースはありません");
}

const char *api_query(const struct api_request *r, const char *name)
{
	return evhttp_find_header(&r->http->query, name);
}

int api_query_known(struct api_request *r, const char *const *params)
{
	for (struct evkeyval *kv = r->http->query.tqh_first; kv; kv = kv->next.tqe_next) {
		if (vocab_lookup(params, kv->key) >= 0)
			continue;
		struct buf list;
		buf_init(&list);
		for (size_t i = 0; params[i]; i++)
			buf_printf(&list, "%s%s", i ? ", " : "", params[i]);
		char *msg = xasprintf("unknown parameter '%s' (%s)", kv->key, list.data);
		char *ja = xasprintf("不明なパラメータ '%s' です（%s）", kv->key, list.data);
		api_error(r, 422, "unknown_field", kv->key, msg, ja);
		free(msg);
		free(ja);
		buf_release(&list);
		return -1;
	}
	return 0;
}

/* One media range of an Accept header, [p, p + n): its type, weight (0 to 1000) and charset, lower-cased. */
static void accept_range(const char *p, size_t n, char *type, size_t type_size, int *q, char *charset,
			 size_t charset_size)
{
	*q = 1000;
	*charset = '\0';
	size_t k = 0;
	while (k < n && p[k] != ';')
		k++;
	size_t t = 0;
	for (size_t i = 0; i < k && t + 1 < type_size; i++)
		if (!isspace((unsigned char)p[i]))
			type[t++] = (char)tolower((unsigned char)p[i]);
	type[t] = '\0';
	while (k < n) {
		size_t start = ++k;
		while (k < n && p[k] != ';')
			k++;
		char param[64];
		size_t m = 0;
		for (size_t i = start; i < k && m + 1 < sizeof(param); i++)
			if (!isspace((unsigned char)p[i]) && p[i] != '"')
				param[m++] = (char)tolower((unsigned char)p[i]);
		param[m] = '\0';
		if (!strncmp(param, "q=", 2)) {
			/* q = 0 / 1 with up to three decimals (RFC 9110 12.4.2); anything else weighs 0 */
			const char *v = param + 2;
			int whole = *v == '1' ? 1000 : 0, frac = 0, digits = 0;
			if (*v != '0' && *v != '1') {
				*q = 0;
				continue;
			}
			if (*++v == '.')
				while (isdigit((unsigned char)*++v) && digits < 3)
					frac = frac * 10 + (*v - '0'), digits++;
			while (digits++ < 3)
				frac *= 10;
			*q = whole ? 1000 : frac;
		} else if (!strncmp(param, "charset=", 8)) {
			size_t len = strlen(param + 8);
			len = len < charset_size ? len : charset_size - 1;
			memcpy(charset, param + 8, len);
			charset[len] = '\0';
		}
	}
}

int api_accept(struct api_request *r, bool shift_jis_too, enum api_format *out)
{
	*out = API_JSON;
	const char *accept = httpd_header(r->http, "Accept");
	if (!accept)
		return 0;
	/* each type's weight from its most specific range: type/subtype, then type/any, then any */
	int csv_q = -1, json_q = -1, csv_rank = 0, json_rank = 0;
	char csv_charset[32] = "";
	for (const char *p = accept; *p;) {
		size_t n = strcspn(p, ",");
		char type[64], charset[32];
		int q;
		accept_range(p, n, type, sizeof(type), &q, charset, sizeof(charset));
		int csv = !strcmp(type, "text/csv") ? 3 : !strcmp(type, "text/*") ? 2 : !strcmp(type, "*/*") ? 1 : 0;
		int json = !strcmp(type, "application/json") ? 3 : !strcmp(type, "application/*") ? 2
			   : !strcmp(type, "*/*") ? 1 : 0;
		if (csv > csv_rank) {
			csv_rank = csv;
			csv_q = q;
			snprintf(csv_charset, sizeof(csv_charset), "%s", charset);
		}
		if (json > json_rank) {
			json_rank = json;
			json_q = q;
		}
		p += n + (p[n] == ',');
	}
	if (csv_rank < 3 || csv_q <= 0 || csv_q < json_q)
		return 0;
	if (!*csv_charset || !strcmp(csv_charset, "utf-8") || !strcmp(csv_charset, "utf8")) {
		*out = API_CSV_UTF8;
		return 0;
	}
	if (shift_jis_too && (!strcmp(csv_charset, "shift_jis") || !strcmp(csv_charset, "cp932") ||
			      !strcmp(csv_charset, "windows-31j"))) {
		*out = API_CSV_SHIFT_JIS;
		return 0;
	}
	api_error(r, 406, "not_acceptable", "Accept",
		  shift_jis_too ? "CSV is written in UTF-8 or Shift_JIS (text/csv; charset=Shift_JIS)"
				: "this CSV is written in UTF-8 only",
		  shift_jis_too ? "CSV は UTF-8 か Shift_JIS（text/csv; charset=Shift_JIS）で出力します"
				: "この CSV は UTF-8 でのみ出力します");
	return -1;
}

void api_bad_cursor(struct api_request *r)
{
	api_error(r, 400, "invalid_query", "cursor", "cursor is not one this server gave out; start again without it",
		  "cursor が正しくありません。cursor を付けずに最初から読み直してください");
}

bool api_cursor_is_id(const char *cursor)
{
	return *cursor && strspn(cursor, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(cursor);
}

bool api_cursor_is_id_of(const char *cursor, const char *prefix)
{
	size_t p = strlen(prefix), n = strlen(cursor);
	return n > p && n - p <= 64 && !strncmp(cursor, prefix, p) &&
	       strspn(cursor + p, "abcdefghijklmnopqrstuvwxyz0123456789") == n - p;
}

int api_query_limit(struct api_request *r, int *limit)
{
	const char *v = api_query(r, "limit");
	if (!v)
		return 0;
	size_t max = r->core->cfg->limits.max_list_items;
	/*
	 * A number with a sign or spaces around it (" 10", "+5") is malformed
	 * rather than wrong: 400, not the 422 of a limit out of range or not a number.
	 */
	if (strchr(" \t+-", v[0]) || (*v && strchr(" \t", v[strlen(v) - 1]))) {
		api_error(r, 400, "invalid_query", "limit", "limit must be written as digits only",
			  "limit は数字だけで指定してください");
		return -1;
	}
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < 1 || n > (long)max) {
		api_errorf(r, 422, "invalid_field", "limit", "limit must be a whole number from 1 to %zu",
			   "limit は 1〜%zu の整数で指定してください", max);
		return -1;
	}
	*limit = (int)n;
	return 0;
}

int api_query_period(struct api_request *r, clock_us *from, clock_us *to)
{
	const char *names[2] = { "from", "to" };
	clock_us *out[2] = { from, to };
	*from = *to = 0;
	for (int i = 0; i < 2; i++) {
		const char *v = api_query(r, names[i]);
		date_days d;
		if (!v)
			continue;
		if (date_parse(v, &d)) {
			char *msg = xasprintf("%s must be a date (YYYY-MM-DD)", names[i]);
			char *ja = xasprintf("%s は日付（YYYY-MM-DD）で指定してください", names[i]);
			api_error(r, 422, "invalid_field", names[i], msg, ja);
			free(msg);
			free(ja);
			return -1;
		}
		/* local midnight; `to` is inclusive, so the period ends at the next midnight */
		*out[i] = clock_local_midnight(r->core->clock, d + i);
	}
	if (*from && *to && *to <= *from) {
		api_error(r, 422, "invalid_field", "to", "to is before from: the period is empty",
			  "to が from より前です（期間が空です）");
		return -1;
	}
	return 0;
}

json_t *api_time(const struct api_request *r, clock_us t)
{
	return core_time_json(r->core, t);
}

json_t *api_text(const struct pw_text *t)
{
	if (!t->ja)
		return json_null();
	return json_pack("{s:s, s:s}", "ja", t->ja, "en", t->en);
}

json_t *api_user_name(struct api_request *r, const char *id)
{
	struct store_user u = { 0 };
	json_t *name = id && store_user_get(r->core->store, id, &u) == 0 ? json_string(u.name) : json_null();
	store_user_release(&u);
	return name;
}

json_t *api_options(const struct pw_field *f)
{
	json_t *a = json_array();
	for (size_t i = 0; i < f->n_values; i++) {
		const struct pw_text *t = pathway_value_title(f, f->values[i]);
		json_array_append_new(a, json_pack("{s:s, s:o}", "value", f->values[i], "title",
						   t ? api_text(t) : json_null()));
	}
	return a;
}

json_t *api_body_object(struct api_request *r)
{
	const char *ct = httpd_header(r->http, "Content-Type");
	if (!ct || strncasecmp(ct, "application/json", 16) ||
	    (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
		api_error(r, 415, "unsupported_media_type", NULL,
			  "send the body as JSON with Content-Type: application/json",
			  "本文は Content-Type: application/json の JSON で送ってください");
		return NULL;
	}
	char *err = NULL;
	json_t *v = jsonin_parse(r->http->body, r->http->body_len, &err);
	if (!v) {
		char *ja = xasprintf("JSON として読めません: %s", err);
		api_error(r, 400, "invalid_json", NULL, err, ja);
		free(ja);
		free(err);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		api_error(r, 422, "invalid_json", NULL, "the body must be a JSON object",
			  "本文は JSON オブジェクトで送ってください");
		return NULL;
	}
	return v;
}

void api_set_etag(struct api_request *r, long version)
{
	free(r->http->etag);
	r->http->etag = xasprintf("\"%ld\"", version);
}

/* 0 when the request may go on; replies 412 and returns -1 when If-Match does not match. */
int api_check_if_match(struct api_request *r, long version)
{
	const char *h = httpd_header(r->http, "If-Match");
	if (!h)
		return 0;
	char *copy = xstrdup(h), *save = NULL;
	bool match = false, valid = true;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		size_t n = strlen(tok);
		while (n && tok[n - 1] == ' ')
			tok[--n] = '\0';
		if (!strcmp(tok, "*")) {
			match = true;
			continue;
		}
		if (!strncmp(tok, "W/", 2))
			tok += 2;
		if (*tok == '"' && n >= 2 && tok[strlen(tok) - 1] == '"') {
			tok++;
			tok[strlen(tok) - 1] = '\0';
		}
		char *end;
		errno = 0;
		long v = strtol(tok, &end, 10);
		if (*tok == '\0' || *end || errno) {
			valid = false;
			continue;
		}
		match |= v == version;
	}
	free(copy);
	if (match)
		return 0;
	char *msg = xasprintf(valid ? "it has changed (now version %ld); reload it and try again"
				    : "If-Match must be the ETag, e.g. \"%ld\"", version);
	char *ja = xasprintf(valid ? "更新されています（現在の版 %ld）。読み直してからもう一度お試しください"
				   : "If-Match には ETag（例 \"%ld\"）を指定してください", version);
	api_precondition_failed(r, version, msg, ja);
	free(msg);
	free(ja);
	return -1;
}

void api_precondition_failed(struct api_request *r, long version, const char *message, const char *message_ja)
{
	if (version > 0)
		api_set_etag(r, version);
	api_error(r, 412, "precondition_failed", "If-Match", message, message_ja);
}

/* Keys of the failure table the client addresses may fill: beyond it the fullest buckets are forgotten first. */
#define AUTH_FAILURE_KEYS 65536

/*
 * A wrong token, counted against the client's address (an IPv6 /64): 401
 * while the address is within auth_failures_per_minute, 429 with Retry-After
 * beyond it. A right token is never refused for the address it comes from, so
 * one script with a stale token behind the city hall's proxy locks out nobody
 * else there; tokens are 256 bits, guessing them is not the risk, the load is.
 * The log names the address (never the token): each wrong token, and once when
 * the address goes over the limit.
 */
int api_address_may_try(struct api_request *r)
{
	char key[NETADDR_TEXT];
	netaddr_client_key_text(r->http->client, key);
	int wait = ratelimit_wait(r->auth_failures, key, clock_monotonic_ms());
	if (!wait)
		return 0;
	r->http->retry_after = wait;
	api_errorf(r, 429, "too_many_requests", NULL,
		   "too many wrong tokens or failed sign-ins from your address; try again in %d s",
		   "このアドレスからの無効なトークン・ログインの失敗が多すぎます。%d 秒後にお試しください", wait);
	return -1;
}

int api_address_take(struct api_request *r)
{
	char key[NETADDR_TEXT];
	netaddr_client_key_text(r->http->client, key);
	if (api_address_may_try(r))
		return -1;
	ratelimit_take(r->auth_failures, key, clock_monotonic_ms());
	return 0;
}

void api_address_give(struct api_request *r)
{
	char key[NETADDR_TEXT];
	netaddr_client_key_text(r->http->client, key);
	ratelimit_give(r->auth_failures, key, clock_monotonic_ms());
}

void api_address_failed(struct api_request *r, const char *what)
{
	char key[NETADDR_TEXT];
	netaddr_client_key_text(r->http->client, key);
	int64_t now = clock_monotonic_ms();
	ratelimit_take(r->auth_failures, key, now);
	if (ratelimit_wait(r->auth_failures, key, now))
		log_msg(LOGM_AUTH_THROTTLED, "authentication: %s presented %d wrong tokens or sign-ins within a minute; more from it get 429 "
			 "for a while", r->http->client, r->core->cfg->limits.auth_failures_per_minute);
	else
		log_msg(LOGM_AUTH_REFUSED, "authentication: %s from %s", what, r->http->client);
}

static void auth_failed(struct api_request *r)
{
	if (api_address_may_try(r))
		return;
	api_address_failed(r, "a wrong token");
	api_error(r, 401, "unauthorized", NULL, "the token is unknown, revoked or expired",
		  "トークンが無効です（不明・失効・期限切れ）");
}

/* The bearer token of an API client. */
static int authenticate_token(struct api_request *r, const char *h)
{
	const char *token = h + 7;
	while (*token == ' ')
		token++;
	char hash[TOKEN_HASH_HEX];
	token_hash(token, hash);
	int rc = store_authenticate(r->core->store, hash, r->http->now, &r->user);
	if (rc < 0) {
		api_storage_error(r);
		return -1;
	}
	const struct config_org *org = rc == 0 ? config_find_org(r->core->cfg, r->user.org) : NULL;
	if (!org) {
		store_user_release(&r->user);
		auth_failed(r);
		return -1;
	}
	r->caller = (struct cm_caller){ .user = r->user.id, .org = org, .roles = r->user.roles };
	return 0;
}

/*
 * Whether a cookie-authenticated write comes from our own pages: its Origin is
 * the public_url's or the Host it was sent to (SameSite=Strict already keeps
 * the cookie off other sites' requests; this holds where a browser does not).
 */
static bool same_origin(struct api_request *r)
{
	const char *origin = httpd_header(r->http, "Origin"), *host = httpd_header(r->http, "Host");
	if (!origin)
		return false;
	const char *pub = r->core->cfg->public_url;
	const char *after_scheme = strstr(pub, "://") + 3;
	const char *path = strchr(after_scheme, '/');
	size_t pub_len = path ? (size_t)(path - pub) : strlen(pub);
	if (strlen(origin) == pub_len && !strncasecmp(origin, pub, pub_len))
		return true;
	/* the address it was reached at (a test port, a second name), in the public_url's scheme */
	size_t scheme_len = (size_t)(after_scheme - pub);
	return host && strlen(origin) > scheme_len && !strncasecmp(origin, pub, scheme_len) &&
	       !strcasecmp(origin + scheme_len, host);
}

static void session_refused(struct api_request *r, const char *code, const char *en, const char *ja)
{
	free(r->http->set_cookie);
	r->http->set_cookie = sessions_cookie_header(r->core->cfg, NULL);
	api_error(r, 401, code, NULL, en, ja);
}

/*
 * The session cookie of a person on the pages: live (not idle, not past its
 * absolute end), past the second factor unless second_factor_step, and for a
 * write from our own origin with the session's anti-CSRF token. A request
 * that is not a background refresh (Tsunagu-Background: 1) marks it used.
 */
static int authenticate_session(struct api_request *r, const char *secret, bool second_factor_step)
{
	token_hash(secret, r->session_hash);
	int rc = store_session_authenticate(r->core->store, r->session_hash, &r->user, &r->session);
	if (rc < 0) {
		api_storage_error(r);
		return -1;
	}
	const struct config_org *org = rc == 0 ? config_find_org(r->core->cfg, r->user.org) : NULL;
	enum session_state state = org ? sessions_state(r->core->cfg, &r->session, r->http->now) : SESSION_EXPIRED;
	if (!org || state != SESSION_LIVE) {
		if (org)
			log_msg(LOGM_SESSION_ENDED, "session %s of %s ended (%s)", r->session.id, r->user.id,
				 state == SESSION_IDLE ? "idle" : "past its absolute end");
		store_user_release(&r->user);
		store_session_release(&r->session);
		r->session_hash[0] = '\0';
		session_refused(r, "session_ended", "the session has ended; sign in again",
				"セッションが終了しました。もう一度ログインしてください");
		return -1;
	}
	r->caller = (struct cm_caller){ .user = r->user.id, .org = org, .roles = r->user.roles };
	if (strcmp(r->session.stage, "full") && !second_factor_step) {
		api_error(r, 401, "second_factor_required", NULL, "enter the code of your authenticator app first",
			  "先に認証アプリのコードを入力してください");
		return -1;
	}
	bool write = r->http->method != HTTPD_GET && r->http->method != HTTPD_HEAD;
	const char *csrf = httpd_header(r->http, "X-CSRF-Token");
	if (write && (!same_origin(r) || !csrf || strlen(csrf) != strlen(r->session.csrf) ||
		      CRYPTO_memcmp(csrf, r->session.csrf, strlen(csrf)))) {
		log_msg(LOGM_CSRF_REFUSED, "session %s: a write without our origin or its anti-CSRF token was refused", r->session.id);
		api_error(r, 403, "csrf_failed", NULL,
			  "this write did not come from tsunagu's own pages (Origin and X-CSRF-Token); reload the page",
			  "この操作は tsunagu の画面から送られていません。画面を読み込み直してください");
		return -1;
	}
	const char *background = httpd_header(r->http, "Tsunagu-Background");
	if (!(background && !strcmp(background, "1")) && r->http->now - r->session.seen_at >= SESSION_SEEN_EVERY_US &&
	    store_session_seen(r->core->store, r->session_hash, r->http->now) < 0) {
		api_storage_error(r);
		return -1;
	}
	return 0;
}

int api_authenticate(struct api_request *r, bool second_factor_step)
{
	const char *h = httpd_header(r->http, "Authorization");
	if (h && !strncasecmp(h, "Bearer ", 7))
		return authenticate_token(r, h);
	char *secret = h ? NULL : sessions_cookie_from(r->core->cfg, httpd_header(r->http, "Cookie"));
	if (secret) {
		int rc = authenticate_session(r, secret, second_factor_step);
		free(secret);
		return rc;
	}
	api_error(r, 401, "unauthorized", NULL, "send Authorization: Bearer TOKEN, or sign in on the pages",
		  "Authorization: Bearer トークン を付けるか、画面からログインしてください");
	return -1;
}

static void dispatch(struct api_request *r)
{
	const struct route *rt = NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]) && !rt; i++)
		if (route_matches(&routes[i], r))
			rt = &routes[i];
	if (!rt && (r->http->n_segs == 0 || strcmp(r->http->segs[0], "v1")) && api_page(r) == 0) {
		r->http->route = "pages";
		return;
	}
	if (rt)
		r->http->route = route_labels[rt - routes];
	if (!rt) {
		api_error(r, 404, "not_found", NULL, "no such resource", "該当するリソースはありません");
		return;
	}
	void (*handler)(struct api_request *) = r->http->method < HTTPD_OTHER ? rt->handlers[r->http->method] : NULL;
	if (!handler && r->http->method == HTTPD_HEAD)
		handler = rt->handlers[HTTPD_GET];
	if (!handler) {
		struct buf allow;
		buf_init(&allow);
		for (int m = 0; m < HTTPD_OTHER; m++)
			if (rt->handlers[m])
				buf_printf(&allow, "%s%s", allow.len ? ", " : "", method_names[m]);
		r->http->allow = buf_detach(&allow);
		api_error(r, 405, "method_not_allowed", NULL, "this method is not allowed here",
			  "このメソッドはここでは使えません");
		return;
	}
	if (!rt->public && api_authenticate(r, false))
		return;
	/* a monitor's token reads /metrics (a public route that checks its caller) and who it is */
	if (!rt->public && handler != api_me && r->caller.roles == MASK(ROLE_MONITOR)) {
		api_error(r, 403, "forbidden", NULL, "the monitor role reads /metrics only",
			  "monitor ロールで読めるのは /metrics だけです");
		return;
	}
	handler(r);
}

void api_test_clock(struct api_request *r)
{
	struct clock *clk = r->core->clock;
	if (!clk->test) {
		api_error(r, 404, "not_found", NULL, "no such resource", "該当するリソースはありません");
		return;
	}
	if (r->http->method == HTTPD_POST) {
		json_t *body = api_body_object(r);
		if (!body)
			return;
		const json_t *now = json_object_get(body, "now"), *adv = json_object_get(body, "advance_seconds");
		clock_us t = clk->fixed;
		if ((now && (!json_is_string(now) || clock_parse(json_string_value(now), &t))) ||
		    (adv && !json_is_integer(adv)) || (!now && !adv)) {
			json_decref(body);
			api_error(r, 422, "invalid_field", now ? "now" : "advance_seconds",
				  "send {\"now\": RFC 3339} or {\"advance_seconds\": N}",
				  "{\"now\": RFC 3339} か {\"advance_seconds\": N} を送ってください");
			return;
		}
		if (adv)
			t += (clock_us)json_integer_value(adv) * 1000000;
		json_decref(body);
		if (t < clk->fixed) {
			api_error(r, 422, "invalid_field", "now", "the test clock does not go back",
				  "テスト用の時計は戻せません");
			return;
		}
		clk->fixed = t;
	}
	api_reply_json(r, 200, json_pack("{s:o}", "now", api_time(r, clk->fixed)));
}

/* ---- replies made on a worker ---------------------------------------------------------------- */

struct offload {
	api_make_fn make;
	void (*free_arg)(void *arg);
	void *arg;
	struct cm_caller caller;
	char *user;                /* the caller's id, copied: the request's user is released after its handler */
	const struct config *cfg;  /* the one the handler checked the caller with (a reload may follow) */
};

static void offload_run(void *ctx, struct worker_env *env, struct httpd_request *req)
{
	struct offload *o = ctx;
	env->core.cfg = o->cfg;
	struct api_request r = { .http = req, .core = &env->core, .caller = o->caller };
	r.caller.user = o->user;
	o->make(&r, o->arg);
}

static void offload_free(void *ctx)
{
	struct offload *o = ctx;
	if (o->free_arg)
		o->free_arg(o->arg);
	free(o->user);
	free(o);
}

void api_offload(struct api_request *r, api_make_fn make, void *arg, void (*free_arg)(void *arg))
{
	struct offload *o = xcalloc(1, sizeof(*o));
	*o = (struct offload){ .make = make, .free_arg = free_arg, .arg = arg, .caller = r->caller, .cfg = r->core->cfg };
	o->user = r->caller.user ? xstrdup(r->caller.user) : NULL;
	r->http->work = (struct httpd_work){ .run = offload_run, .free = offload_free, .ctx = o };
	/* kept: what the handler wrote (the access log) is committed before the worker begins */
	r->http->status = 200;
}

static void reply_json_made(struct api_request *r, void *v)
{
	api_reply_json(r, 200, json_incref(v));
}

static void json_release(void *v)
{
	json_decref(v);
}

void api_offload_json(struct api_request *r, json_t *v)
{
	api_offload(r, reply_json_made, v, json_release);
}

/* Work in two parts: the worker's, then the loop's (api_offload_then). */
struct offload_then {
	void (*make)(void *arg);
	api_then_fn then;
	void (*free_arg)(void *arg);
	void *arg;
	struct api_binding *binding;
};

static int then_step(void *ctx, struct httpd_request *req)
{
	struct offload_then *o = ctx;
	struct api_request r = { .http = req, .core = o->binding->core, .auth_failures = o->binding->auth_failures,
				 .binding = o->binding };
	o->then(&r, o->arg);
	store_user_release(&r.user);
	store_session_release(&r.session);
	return req->status < 400 ? 0 : -1;
}

static void then_free(void *ctx)
{
	struct offload_then *o = ctx;
	if (o->free_arg)
		o->free_arg(o->arg);
	free(o);
}

static void then_run(void *ctx, struct worker_env *env, struct httpd_request *req)
{
	struct offload_then *o = ctx;
	o->make(o->arg);
	/* the request's slices take over the context: the work's own free must not release it too */
	req->slices = (struct httpd_slices){ .step = then_step, .free = then_free, .ctx = o };
	req->work.free = NULL;
}

void api_offload_then(struct api_request *r, void (*make)(void *arg), api_then_fn then, void *arg,
		      void (*free_arg)(void *arg))
{
	struct offload_then *o = xcalloc(1, sizeof(*o));
	*o = (struct offload_then){ .make = make, .then = then, .free_arg = free_arg, .arg = arg, .binding = r->binding };
	r->http->work = (struct httpd_work){ .run = then_run, .free = then_free, .ctx = o };
	r->http->status = 200;
}

/* ---- the binding to the HTTP server ---------------------------------------------------------- */

static void handle(void *ctx, struct httpd_request *req)
{
	struct api_binding *b = ctx;
	struct api_request r = { .http = req, .core = b->core, .auth_failures = b->auth_failures, .binding = b };
	dispatch(&r);
	store_user_release(&r.user);
	store_session_release(&r.session);
}

/* The listener of metrics_listen answers /metrics and nothing else. */
static void handle_metrics(void *ctx, struct httpd_request *req)
{
	struct api_binding *b = ctx;
	struct api_request r = { .http = req, .core = b->core, .binding = b };
	if (req->n_segs != 1 || strcmp(req->segs[0], "metrics")) {
		api_error(&r, 404, "not_found", NULL, "no such resource", "該当するリソースはありません");
		return;
	}
	req->route = "/metrics";
	if (req->method != HTTPD_GET && req->method != HTTPD_HEAD) {
		req->allow = xstrdup("GET, HEAD");
		api_error(&r, 405, "method_not_allowed", NULL, "this method is not allowed here",
			  "このメソッドはここでは使えません");
		return;
	}
	api_metrics(&r);
}

static void refuse(void *ctx, struct httpd_request *req, const struct refusal *why)
{
	struct api_binding *b = ctx;
	struct api_request r = { .http = req, .core = b->core };
	api_refuse(&r, why);
}

static void release(void *ctx)
{
	struct api_binding *b = ctx;
	ratelimit_free(b->auth_failures);
	ratelimit_free(b->sign_in_failures);
	ratelimit_free(b->login_failures);
	free(b);
}

void api_bind(struct core *core, struct httpd_routes *out)
{
	struct api_binding *b = xcalloc(1, sizeof(*b));
	int per_minute = core->cfg->limits.auth_failures_per_minute;
	b->core = core;
	name_routes();
	b->auth_failures = ratelimit_new(per_minute, per_minute, AUTH_FAILURE_KEYS);
	/*
	 * A login name from one address: a few tries, then one more a minute; the
	 * same name from every address together: ten times as many, so that
	 * someone who only knows a colleague's name cannot lock them out.
	 */
	int tries = core->cfg->sign_in.failures_per_account;
	b->sign_in_failures = ratelimit_new(tries, 1, AUTH_FAILURE_KEYS);
	b->login_failures = ratelimit_new(tries * 10, tries, AUTH_FAILURE_KEYS);
	*out = (struct httpd_routes){ .handle = handle, .refuse = refuse, .release = release, .ctx = b };
}

void api_bind_metrics(struct core *core, struct httpd_routes *out)
{
	struct api_binding *b = xcalloc(1, sizeof(*b));
	b->core = core;
	b->metrics_only = true;
	*out = (struct httpd_routes){ .handle = handle_metrics, .refuse = refuse, .release = release, .ctx = b };
}
