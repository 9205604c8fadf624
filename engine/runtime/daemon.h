/*
 * daemon — `tsunagu serve`: opens the store, publishes the pathway versions,
 * starts the HTTP server, the timers and the dispatcher, and runs the one event
 * loop, ending every loop turn with its commit (runtime/turn).
 */
#ifndef TSUNAGU_DAEMON_H
#define TSUNAGU_DAEMON_H

#include <stdbool.h>

#include "config.h"
#include "diag.h"
#include "core.h"
#include "httpd.h"

/* Registers an edge's routes with the HTTP server (the JSON API's api_bind); ctx lives as long as the daemon. */
typedef void daemon_bind_fn(struct core *core, struct httpd_routes *routes);

struct daemon_options {
	bool demo_tokens;          /* issue and print tokens for the config's demo users */
	const char *test_clock;    /* start a controllable clock at this RFC 3339 time ("now": the real time) */
	daemon_bind_fn *bind_api;  /* the API whose routes the HTTP server serves */
	daemon_bind_fn *bind_metrics; /* the routes of metrics_listen's own listener */
	/*
	 * Loads the config again for a reload (SIGHUP), with the command line's
	 * overrides: a new config (the daemon frees it), or NULL with what is
	 * wrong in d.
	 */
	struct config *(*reload_config)(void *ctx, struct diag *d);
	void *reload_ctx;
};

/*
 * Runs until SIGINT or SIGTERM; SIGHUP reloads the config, the pathways and
 * the templates. Under systemd (NOTIFY_SOCKET) it says READY, RELOADING,
 * STOPPING and pings the watchdog. Returns an exit code.
 */
int daemon_run(struct config *cfg, const struct daemon_options *opts);

#endif
