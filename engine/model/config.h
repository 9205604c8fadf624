/*
 * config — the daemon's one YAML configuration file: where it listens, where the
 * database and pathways are, the participating organisations and the areas they
 * serve, which organisation receives which pathway in which area, the business
 * calendar, the limits, and the categories of the community resource directory. Relative paths are taken from the config file's folder.
 * Checked as strictly as a pathway file, with every error at file:line:column.
 */
#ifndef TSUNAGU_CONFIG_H
#define TSUNAGU_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "diag.h"
#include "netaddr.h"
#include "templates.h"
#include "pathway.h"
#include "vocab.h"

struct config_area {
	char *id;
	struct pw_text name;
};

struct config_org {
	char *id;
	enum org_kind kind;
	struct pw_text name;
	char **areas;              /* area ids; empty: serves every area */
	size_t n_areas;
};

/* Who receives a pathway's cases: a default and per-area organisations. */
struct config_route {
	char *pathway;
	char *default_org;         /* may be NULL when every area is listed */
	char **areas;              /* parallel arrays: area id -> org id */
	char **orgs;
	size_t n;
	int line, column;
};

/* A category of the resource directory's taxonomy. */
struct config_category {
	char *id;
	struct pw_text title;
};

/* A user the demo set-up creates, with a token printed at start (serve --demo-tokens). */
struct config_demo_user {
	char *org;
	char *name;
	char *login;            /* the sign-in name of the pages, or NULL */
	role_mask roles;
};

/* How people sign in to the pages (sign_in: in the config; docs/pages.md). */
struct config_sign_in {
	int idle_minutes;            /* a session unused this long ends (shared counters) */
	int absolute_hours;          /* and every session ends this long after it began */
	int enrolment_days;          /* an enrolment code expires after this */
	int failures_per_account;    /* failed sign-ins per login name within 15 minutes before 429 */
	role_mask totp_roles;        /* roles that must pass a second factor (TOTP) */
};

/* A notification channel: an adapter (by name) with its settings. */
struct config_channel {
	char *name;
	char *adapter;
	json_t *settings;
	int line, column;
};

/*
 * What the config needs to know of the notification adapters, given by the
 * layer that has them (adapters/ stand above the model; cli_adapters is the
 * table of the real ones): the settings each accepts, how they are checked,
 * and the host a channel sends to (checked against the allow-list).
 */
struct config_adapters {
	const char *names;         /* for messages: "webhook, email, jsonl or forward" */
	/* The settings a channel of adapter `name` accepts (NULL-terminated), or NULL when there is none such. */
	const char *const *(*settings)(const char *name);
	/* Checks a channel's settings; on error sets *key (the setting at fault, or NULL) and *err (caller frees). */
	int (*check)(const char *name, const json_t *settings, const char **key, char **err);
	/* The host the channel sends to (caller frees), or NULL for a local channel. */
	char *(*host)(const char *name, const json_t *settings);
};

/* Which channels an organisation's notifications go through. */
struct config_notify_route {
	char *org;                 /* or NULL */
	int kind;                  /* an org kind, or -1 */
	char **channels;
	size_t n_channels;
};

struct config_retry {
	int max_attempts;
	int base_seconds;
	int max_seconds;
	int max_age_hours;
};

/* What one client may hold of the daemon (docs/operations.md, HTTP limits). */
struct config_limits {
	size_t max_body_bytes;
	size_t max_buffered_body_bytes;   /* bodies being read, all connections together (unauthenticated memory) */
	size_t max_header_bytes;
	int request_timeout_seconds;      /* a body must arrive, and a reply be taken, within this */
	int header_timeout_seconds;       /* the whole request head must arrive within this (slowloris) */
	int idle_timeout_seconds;         /* a keep-alive connection may wait this long for its next request */
	size_t min_body_bytes_per_second; /* after header_timeout_seconds, a body slower than this is cut off */
	int max_connections;
	int max_connections_per_client;   /* per client address (trusted proxies excepted) */
	int auth_failures_per_minute;     /* failed authentications per client address before 429 */
	int database_wait_seconds;        /* how long a request waits for a database another process holds */
	size_t max_list_items;
};

struct config_calendar {
	int business_start_minutes;  /* minutes after midnight, local */
	char *time_zone;
	char **closed_days;          /* YYYY-MM-DD */
	size_t n_closed_days;
};

/* backup: where the daemon's backup before a schema migration goes, and the forget log. */
struct config_backup {
	char *dir;                 /* resolved; NULL: backups/ beside the database */
	int keep;                  /* pre-migration backups kept (the oldest beyond are removed) */
	int min_free_mb;           /* free space the folder must keep beyond the backup's size */
	char *key_file;            /* resolved; NULL: backups are not encrypted */
	char *forget_log;          /* resolved; NULL: DATABASE.forget.jsonl */
};

struct config {
	char *file;
	char *dir;                 /* the config file's folder */
	char *listen_host;
	int listen_port;
	char *metrics_host;        /* metrics_listen: a listener of its own for /metrics, or NULL */
	int metrics_port;
	char *database;            /* the SQLite file (database: sqlite:PATH or PATH), resolved */
	char *pathways_dir;        /* resolved path */
	char *templates_dir;       /* resolved path, or NULL */
	char *public_url;
	bool public_url_set;       /* given in the file; otherwise it follows the listen address */
	struct config_calendar calendar;
	struct config_limits limits;
	struct config_sign_in sign_in;
	struct config_backup backup;
	int verify_every_minutes;    /* audit: the daemon walks the event chain this often (0: never) */
	int small_count_threshold;   /* reports: counts below this are shown as 「N未満」 in what is shared (review packs) */
	struct netmask *trusted_proxies;  /* reverse proxies whose X-Forwarded-For names the client */
	size_t n_trusted_proxies;
	struct config_area *areas;
	size_t n_areas;
	struct config_org *orgs;
	size_t n_orgs;
	struct config_route *routes;
	size_t n_routes;
	struct template_set templates;
	struct config_channel *channels;
	size_t n_channels;
	struct config_notify_route *notify_routes;   /* first match wins; a route with org NULL and kind -1 is the default */
	size_t n_notify_routes;
	char **allowed_hosts;
	size_t n_allowed_hosts;
	struct config_retry retry;
	bool allow_test_clock;     /* serve --test-clock may run on this config (never in production) */
	struct config_demo_user *demo_users;
	size_t n_demo_users;
	struct config_category *categories;   /* the resource taxonomy (the seed's six unless configured) */
	size_t n_categories;
	char *resources_seed;      /* an HSDS file imported when the directory is empty, or NULL */
	int resources_stale_months; /* a confirmation older than this is marked in the public directory */
	kind_mask role_kinds[ROLE_COUNT];     /* the organisation kinds each role fits; 0: any (roles: in the config) */
	struct pathway_set pathways;
	struct pathway_broken_set broken_pathways;   /* files that did not compile: the service runs degraded */
};

/*
 * Loads and checks the config at path and the pathways it names; the channels'
 * adapters and settings are checked against `adapters` (NULL: not checked).
 * Returns the config (caller frees) or NULL with every problem added to d.
 */
struct config *config_load(const char *path, const struct config_adapters *adapters, struct diag *d);
void config_free(struct config *cfg);

/*
 * A config of defaults only (no file): no areas or organisations, the national
 * calendar in Asia/Tokyo, the default resource categories. For commands that
 * read a database alone.
 */
struct config *config_defaults(void);

const struct config_org *config_find_org(const struct config *cfg, const char *id);
const struct config_area *config_find_area(const struct config *cfg, const char *id);
const struct config_category *config_find_category(const struct config *cfg, const char *id);

/* The organisation that receives pathway's cases from area, or NULL. */
const struct config_org *config_route(const struct config *cfg, const char *pathway, const char *area);

/* The channels an organisation's notifications go through (may be empty). */
const struct config_notify_route *config_notify_route(const struct config *cfg, const struct config_org *org);
const struct config_channel *config_find_channel(const struct config *cfg, const char *name);

/* The Japanese name of an organisation of the config, or id itself when it is none (NULL: NULL). */
const char *config_org_name(const struct config *cfg, const char *id);

/* The pathway file of this id that did not compile, or NULL. */
const struct pathway_broken *config_broken_pathway(const struct config *cfg, const char *id);

/* Does role fit an organisation of this kind (the config's roles: table)? */
bool config_role_fits(const struct config *cfg, int role, enum org_kind kind);

/* Parses "HOST:PORT" into freshly allocated host and port. Returns 0 or -1. */
int config_parse_listen(const char *s, char **host, int *port);

/*
 * Points the config at the database a command line names (--db: sqlite:PATH
 * or a path, relative to the working folder). 0, or -1 with *err (caller
 * frees; never repeats a password).
 */
int config_set_database(struct config *cfg, const char *text, char **err);

/* Sets public_url from the listen address when the file did not give one (after a --listen override). */
void config_follow_listen(struct config *cfg);

/* Whether a login name is usable: 3 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter. */
bool config_login_valid(const char *login);

#endif
