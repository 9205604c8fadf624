/*
 * adapter — the one small interface every notification channel implements
 * (webhook, email, jsonl, forward), and the table that names them. A channel is
 * an adapter configured by a `notifications.channels` entry of the config. An
 * adapter sends one message at a time per call, never blocks the event loop on
 * the network, and reports the outcome through a callback from the loop.
 */
#ifndef TSUNAGU_ADAPTER_H
#define TSUNAGU_ADAPTER_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "placeholder.h"

struct curlev;

/* What an adapter may use. */
struct adapter_env {
	struct event_base *base;
	struct curlev *curl;            /* libcurl multi on the loop, shared by webhook and email */
	char *const *allowed_hosts;     /* outbound hosts allowed (webhook, email, forward) */
	size_t n_allowed_hosts;
	/* called first in each callback an adapter registers on the loop (the daemon measures its turns from there) */
	void (*touch)(void *ctx);
	void *touch_ctx;
};

/* One message, rendered. No personal data unless a template puts it there. */
struct adapter_message {
	const char *id;                 /* the notification's stable id: receivers drop duplicates by it */
	const char *subject_ja, *subject_en;
	const char *body_ja, *body_en;
	const json_t *data;             /* the structured notification (for JSON bodies) */
	const struct placeholder_vars *vars; /* placeholder values, for body templates */
	int64_t created_at;             /* unix seconds */
};

/* Called once per send, from the loop: ok, or an error text (and whether retrying may help). */
typedef void (*adapter_done_fn)(void *ctx, bool ok, bool permanent, const char *error);

struct adapter {
	const char *name;
	/* The settings a channel of this adapter accepts, NULL-terminated (for "did you mean"). */
	const char *const *settings;
	/* Checks a channel's settings; on error sets *key (the setting at fault) and *err (caller frees). */
	int (*check)(const json_t *settings, const char **key, char **err);
	/* The host the channel sends to (caller frees), or NULL for a local channel: checked against the allow-list. */
	char *(*host)(const json_t *settings);
	/* Creates a channel from checked settings. */
	void *(*open)(const json_t *settings, const struct adapter_env *env);
	void (*send)(void *channel, const struct adapter_message *m, adapter_done_fn done, void *ctx);
	void (*close)(void *channel);
};

extern const struct adapter adapter_webhook;
extern const struct adapter adapter_email;
extern const struct adapter adapter_jsonl;
extern const struct adapter adapter_forward;

/* The adapter called name, or NULL. */
const struct adapter *adapter_find(const char *name);

/*
 * The adapters as the config checks its channels (struct config_adapters of
 * model/config.h, filled in by the command line): "webhook, email, jsonl or
 * forward"; the settings of adapter `name` (NULL when there is none such); its
 * check of a channel's settings; the host a channel sends to (caller frees).
 */
extern const char adapter_names[];
const char *const *adapter_settings_of(const char *name);
int adapter_check_settings(const char *name, const json_t *settings, const char **key, char **err);
char *adapter_settings_host(const char *name, const json_t *settings);

/* The host of a URL whose scheme is one of schemes (NULL-terminated), or NULL. Caller frees. */
char *adapter_url_host(const char *url, const char *const *schemes);

/*
 * Checks an optional whole-seconds setting (1..300). On error sets *key and *err
 * (caller frees) and returns -1.
 */
int adapter_check_seconds(const json_t *settings, const char *name, const char **key, char **err);

/* True when host is in the allow-list (exact, case-insensitive). */
bool adapter_host_allowed(const struct adapter_env *env, const char *host);

#endif
