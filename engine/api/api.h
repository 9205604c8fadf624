/*
 * api — the JSON API: routing on decoded path segments, bearer authentication,
 * the error shape every refusal shares (and the one table of refusal codes to
 * statuses), and the replies. Handlers never send: they leave a status and body
 * in the request, and the HTTP server sends it once the loop turn's commit is on
 * disk (group commit). Handlers read through the store and write through core/.
 */
#ifndef TSUNAGU_API_H
#define TSUNAGU_API_H

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "calendar.h"
#include "casemachine.h"
#include "clock.h"
#include "config.h"
#include "core.h"
#include "flow.h"
#include "httpd.h"
#include "store.h"
#include "token.h"
#include "util.h"

/* What the API keeps between requests on the loop. */
struct api_binding {
	struct core *core;
	struct ratelimit *auth_failures;     /* failed authentications by client address */
	struct ratelimit *sign_in_failures;  /* sign-in attempts by login name and client address */
	struct ratelimit *login_failures;    /* sign-in attempts by login name from every address */
	bool metrics_only;                   /* the listener of metrics_listen: /metrics, open, and nothing else */
};

/* One request as a handler sees it: the HTTP exchange, and the caller once authenticated. */
struct api_request {
	struct httpd_request *http;
	struct core *core;
	struct store_user user;
	struct cm_caller caller;
	struct ratelimit *auth_failures; /* failed authentications by client address */
	struct api_binding *binding;     /* on the loop only (NULL on a worker) */
	struct store_session session;    /* when signed in on the pages */
	char session_hash[TOKEN_HASH_HEX];
};

/*
 * Authenticates the caller by bearer token or session cookie; with
 * second_factor_step a session still waiting for its TOTP code passes too.
 * Replies 401 (403 for a cross-site write) and returns -1 when it does not.
 */
int api_authenticate(struct api_request *r, bool second_factor_step);

/*
 * Checks a client's failed attempts (sign-ins, tokens) by address: 0 when it
 * may try, else replies 429 with Retry-After and returns -1.
 */
int api_address_may_try(struct api_request *r);

/* Counts an attempt in advance (a sign-in about to be checked): 0, or replies 429 and returns -1. */
int api_address_take(struct api_request *r);
/* Gives back the attempt api_address_take counted, once it turned out right. */
void api_address_give(struct api_request *r);

/* Counts a failed attempt of the client's address (and logs when it goes over the limit). */
void api_address_failed(struct api_request *r, const char *what);

/*
 * Work in two parts: make runs on a worker (a passphrase's hash) after the
 * turn's commit, then, on the loop in a unit of a later turn, then writes what
 * it found and makes the reply. arg is released with free_arg whatever happens.
 */
typedef void (*api_then_fn)(struct api_request *r, void *arg);
void api_offload_then(struct api_request *r, void (*make)(void *arg), api_then_fn then, void *arg,
		      void (*free_arg)(void *arg));

/* Registers the API's routes with the daemon's HTTP server (daemon_bind_fn). */
void api_bind(struct core *core, struct httpd_routes *routes);

/* The same for the listener of metrics_listen: GET /metrics without a token; every other path 404. */
void api_bind_metrics(struct core *core, struct httpd_routes *routes);

/*
 * A reply made on a worker thread after the turn's commit (a report, an
 * export, the chain's walk), for work that would hold the loop: make runs
 * there with a request over the worker's read-only connection and the same
 * caller, and leaves the reply as any handler does. The handler checks the
 * caller and writes what must be committed first (the access log); arg is
 * released with free_arg (NULL: not at all) whether make ran or not.
 */
typedef void (*api_make_fn)(struct api_request *r, void *arg);
void api_offload(struct api_request *r, api_make_fn make, void *arg, void (*free_arg)(void *arg));

/* Replies 200 with a JSON value (stolen) dumped on a worker after the turn's commit: megabytes of report. */
void api_offload_json(struct api_request *r, json_t *v);

/* Replies with a JSON value (stolen). */
void api_reply_json(struct api_request *r, int status, json_t *v);

/* Replies with the error shape {"error": {code, message, message_ja, field}}. */
void api_error(struct api_request *r, int status, const char *code, const char *field,
	       const char *message, const char *message_ja);
/*
 * api_error with messages formatted from the same arguments, in English and in
 * Japanese; the Japanese format may name them by position (%2$s) where its word
 * order differs. The macro has the compiler check both formats against the
 * arguments (the sizeof is never evaluated).
 */
__attribute__((format(printf, 5, 7))) void api_errorf_both(struct api_request *r, int status, const char *code,
							   const char *field, const char *en_fmt, const char *ja_fmt,
							   ...);
#define api_errorf(r, status, code, field, en_fmt, ja_fmt, ...)                                      \
	((void)sizeof(printf(ja_fmt, __VA_ARGS__)),                                                 \
	 api_errorf_both(r, status, code, field, en_fmt, ja_fmt, __VA_ARGS__))

/* Replies with a refusal of rules/ or core/, its status from the code (api.c's table). */
void api_refuse(struct api_request *r, const struct refusal *e);
int api_refusal_status(const char *code);

/* The 503 of a database that failed: nothing was changed. */
void api_storage_error(struct api_request *r);

/* The 404 a case outside the caller's reach gets: the same as a case that does not exist. */
void api_case_not_found(struct api_request *r);

/* Loads case `id` as the caller stands on it; else replies 404 (or 503) and returns -1. */
int api_case_load(struct api_request *r, const char *id, struct flow_case *out);

/* Writes the access-log row of a read of the case's personal data (committed before the reply). */
int api_case_log_access(struct api_request *r, const struct case_record *c, const char *what);

/* The write context of a request: its clock reading and its caller as the actor. */
struct flow api_flow(const struct api_request *r);

/* A request's write context kept for work in later turns (slices): the caller's id copied, as the request's goes. */
struct api_kept_flow {
	struct flow flow;
	char *user;
};
void api_keep_flow(const struct api_request *r, struct api_kept_flow *out);
void api_kept_flow_release(struct api_kept_flow *k);

/* Replies to a core write that did not succeed: its refusal (FLOW_REFUSED) or 503 (FLOW_FAILED). */
void api_flow_failed(struct api_request *r, int rc, const struct refusal *why);

/* Sets the ETag to a version ("3"). */
void api_set_etag(struct api_request *r, long version);

/* 0 when the request may go on; replies 412 (with the ETag) and returns -1 when If-Match does not match. */
int api_check_if_match(struct api_request *r, long version);

/* The 412 of a write whose object has moved on: the ETag of its current version (when known, > 0) and why. */
void api_precondition_failed(struct api_request *r, long version, const char *message, const char *message_ja);

/* The 400 of a cursor this server did not give out. */
void api_bad_cursor(struct api_request *r);

/* Whether a cursor can be an id (the last item of a page), as the lists that page by id give out. */
bool api_cursor_is_id(const char *cursor);
/* Whether a cursor is an id of one kind: its prefix ("n_"), then 1 to 64 of the ids' letters and digits. */
bool api_cursor_is_id_of(const char *cursor, const char *prefix);

/* A query parameter, or NULL. */
const char *api_query(const struct api_request *r, const char *name);

/* Replies 422 and returns -1 when the query has a parameter not in params (NULL-terminated). */
int api_query_known(struct api_request *r, const char *const *params);

/* Reads ?limit= (1 to the configured maximum) into *limit, left as is when absent; 422 and -1 when bad. */
int api_query_limit(struct api_request *r, int *limit);

/*
 * Reads ?from=YYYY-MM-DD&to=YYYY-MM-DD (local dates, both included) into a
 * period [*from, *to) (0: open end). Replies 422 and returns -1 on a bad one.
 */
int api_query_period(struct api_request *r, clock_us *from, clock_us *to);

enum api_format { API_JSON, API_CSV_UTF8, API_CSV_SHIFT_JIS };

/*
 * What the Accept header asks of a report or a listing, by its weights (q):
 * CSV when text/csv is named with a weight above 0 and no lower than JSON's,
 * JSON otherwise (and with no header). The CSV's charset: UTF-8 unless
 * Shift_JIS (or CP932, Windows-31J) is named, when shift_jis_too. Replies 406
 * and returns -1 when the CSV is asked for in a charset we do not write.
 */
int api_accept(struct api_request *r, bool shift_jis_too, enum api_format *out);

/* The request body as a JSON object; replies 400/415/422 and returns NULL when it is not. */
json_t *api_body_object(struct api_request *r);

/* Formats a timestamp in the configured zone into a new JSON string. */
json_t *api_time(const struct api_request *r, clock_us t);

/* The display name of a user (a new JSON string), or null when unknown. */
json_t *api_user_name(struct api_request *r, const char *id);

/* {ja, en} of a pathway text. */
json_t *api_text(const struct pw_text *t);

/* The choices of an enum field with their labels: [{value, title: {ja, en} | null}]. */
json_t *api_options(const struct pw_field *f);

/* Handlers (api_meta.c, api_cases.c). */
void api_healthz(struct api_request *r);
void api_readyz(struct api_request *r);
void api_metrics(struct api_request *r);
void api_orgs(struct api_request *r);
void api_org_users(struct api_request *r);
void api_me(struct api_request *r);
void api_session_get(struct api_request *r);
void api_session_create(struct api_request *r);
void api_session_delete(struct api_request *r);
void api_session_enrol(struct api_request *r);
void api_session_totp(struct api_request *r);
void api_pathway_routing(struct api_request *r);
void api_pathway_diff(struct api_request *r);
void api_pathway_versions(struct api_request *r);
void api_pathway_migrate(struct api_request *r);
/* The pages: their shell for each page path, and their files under /assets (api_pages.c); 1 when path is none of them. */
int api_page(struct api_request *r);
void api_pathways_list(struct api_request *r);
void api_pathway_get(struct api_request *r);
void api_pathway_graph(struct api_request *r);
void api_cases_create(struct api_request *r);
void api_cases_list(struct api_request *r);
void api_case_get(struct api_request *r);
void api_case_events(struct api_request *r);
void api_case_action(struct api_request *r);
void api_case_notes_add(struct api_request *r);
void api_case_notes_list(struct api_request *r);
void api_case_assign(struct api_request *r);
void api_case_printed(struct api_request *r);
void api_case_subject_patch(struct api_request *r);
void api_import_checkup(struct api_request *r);
void api_resources_list(struct api_request *r);
void api_resources_create(struct api_request *r);
void api_resource_categories(struct api_request *r);
void api_resource_get(struct api_request *r);
void api_resource_put(struct api_request *r);
void api_case_links_list(struct api_request *r);
void api_case_links_create(struct api_request *r);
void api_case_link_patch(struct api_request *r);
void api_case_link_get(struct api_request *r);
void api_links_provider(struct api_request *r);
void api_user_reassign(struct api_request *r);

/* The links of a case as the caller sees them (api_links.c); NULL on a storage error. */
json_t *api_case_links_json(struct api_request *r, const struct flow_case *l);
/* What a resource provider may see of the person: name and contact handed to it through open links. */
json_t *api_provider_subject(struct api_request *r, const struct flow_case *l);
void api_subject_export(struct api_request *r);
void api_subject_erase(struct api_request *r);
void api_report_funnel(struct api_request *r);
void api_report_tally(struct api_request *r);
void api_report_tally_import(struct api_request *r);
void api_report_timeline(struct api_request *r);
void api_report_durations(struct api_request *r);
void api_report_resources(struct api_request *r);
void api_audit_verify(struct api_request *r);
void api_audit_access(struct api_request *r);
void api_audit_provisions(struct api_request *r);
void api_notifications_list(struct api_request *r);
void api_notification_retry(struct api_request *r);
void api_test_clock(struct api_request *r);     /* only with serve --test-clock */

#endif
