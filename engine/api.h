/*
 * api — the JSON API: routing on decoded path segments, bearer authentication,
 * the error shape every refusal shares, and the replies. Handlers never send:
 * they leave a status and body in the request, and the HTTP server sends it once
 * the loop turn's commit is on disk (group commit).
 */
#ifndef TSUNAGU_API_H
#define TSUNAGU_API_H

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>

#include "calendar.h"
#include "casemachine.h"
#include "clock.h"
#include "config.h"
#include "flow.h"
#include "store.h"
#include "util.h"

#define API_MAX_SEGMENTS 8

/* Everything a handler may use; owned by the daemon. */
struct app {
	const struct config *cfg;
	struct store *store;
	struct clock *clock;
	const struct calendar *cal;
	struct pathway_set older;   /* versions that running cases still use, compiled on demand */
};

/* The pathway a case runs on: the loaded version, or an older one recorded in the store. */
const struct pathway *app_pathway(struct app *app, const char *id, long version);

enum api_method { API_GET, API_POST, API_PUT, API_PATCH, API_DELETE, API_HEAD, API_OTHER };

struct api_request {
	struct app *app;
	enum api_method method;
	char *segs[API_MAX_SEGMENTS];
	int n_segs;
	struct evkeyvalq query;
	const struct evkeyvalq *headers;
	char *body;                 /* NUL-terminated copy */
	size_t body_len;
	/* the caller, once authenticated */
	struct store_user user;
	struct cm_caller caller;
	clock_us now;
	/* the reply */
	int status;
	struct buf reply;
	char *etag;                 /* the case version, or NULL */
	char *location;
	char *allow;
	bool replayed;
	int unmappable;             /* CP932 CSV: characters written as 〓 (Tsunagu-Unmappable) */
	bool close_connection;
	const char *content_type;
};

/* Handles one request: routes, authenticates, runs the handler (inside a savepoint). */
void api_dispatch(struct api_request *r);

/* Replies with a JSON value (stolen). */
void api_reply_json(struct api_request *r, int status, json_t *v);

/* Replies with the error shape {"error": {code, message, message_ja, field}}. */
void api_error(struct api_request *r, int status, const char *code, const char *field,
	       const char *message, const char *message_ja);
void api_error_cm(struct api_request *r, const struct cm_error *e);

/* The 503 of a database that failed: nothing was changed. */
void api_storage_error(struct api_request *r);

/* The 404 a case outside the caller's reach gets: the same as a case that does not exist. */
void api_case_not_found(struct api_request *r);

/* A case the caller stands on, loaded for a handler (api_cases.c). */
struct api_case {
	struct store_case c;
	const struct pathway *pw;
	party_mask parties;
	json_t *subject;           /* only when the caller may see it */
	bool personal;             /* may see the subject and the fields (not a provider's narrow view) */
};

/* Loads case `id` if the caller stands on some side of it; else replies 404 (or 503) and returns -1. */
int api_case_load(struct api_request *r, const char *id, struct api_case *out);
void api_case_release(struct api_case *l);

/* Writes the access-log row of a read of the case's personal data (committed before the reply). */
int api_case_log_access(struct api_request *r, const struct store_case *c, const char *what);

/* The write context of a request: its clock reading and its caller as the actor. */
struct flow api_flow(const struct api_request *r);

/* Sets the ETag to a version ("3"). */
void api_set_etag(struct api_request *r, long version);

/* 0 when the request may go on; replies 412 (with the ETag) and returns -1 when If-Match does not match. */
int api_check_if_match(struct api_request *r, long version);

/* A query parameter, or NULL. */
const char *api_query(const struct api_request *r, const char *name);

/* Replies 422 and returns -1 when the query has a parameter not in params (NULL-terminated). */
int api_query_known(struct api_request *r, const char *const *params);

/* Reads ?limit= (1 to the configured maximum) into *limit, left as is when absent; 422 and -1 when bad. */
int api_query_limit(struct api_request *r, int *limit);

/* The request body as a JSON object; replies 400/415/422 and returns NULL when it is not. */
json_t *api_body_object(struct api_request *r);

/* Formats a timestamp in the configured zone into a new JSON string. */
json_t *api_time(const struct api_request *r, clock_us t);

/* {ja, en} of a pathway text. */
json_t *api_text(const struct pw_text *t);

/* Handlers (api_meta.c, api_cases.c). */
void api_healthz(struct api_request *r);
void api_orgs(struct api_request *r);
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
void api_links_provider(struct api_request *r);

/* The links of a case as the caller sees them (api_links.c); NULL on a storage error. */
json_t *api_case_links_json(struct api_request *r, const struct api_case *l);
/* What a resource provider may see of the person: name and contact handed to it through open links. */
json_t *api_provider_subject(struct api_request *r, const struct api_case *l);
void api_subject_export(struct api_request *r);
void api_report_funnel(struct api_request *r);
void api_report_durations(struct api_request *r);
void api_report_resources(struct api_request *r);
void api_audit_verify(struct api_request *r);
void api_audit_access(struct api_request *r);
void api_audit_provisions(struct api_request *r);
void api_notifications_list(struct api_request *r);
void api_notification_retry(struct api_request *r);
void api_test_clock(struct api_request *r);     /* only with serve --test-clock */

#endif
