/*
 * daemon — `tsunagu serve`: opens the store, records the pathway versions,
 * starts the HTTP server and runs the one event loop, committing once per turn.
 */
#ifndef TSUNAGU_DAEMON_H
#define TSUNAGU_DAEMON_H

#include <stdbool.h>

#include "config.h"

struct daemon_options {
	bool demo_tokens;          /* issue and print tokens for the config's demo users */
	const char *test_clock;    /* start a controllable clock at this RFC 3339 time ("now": the real time) */
};

/* Runs until SIGINT or SIGTERM. Returns an exit code. */
int daemon_run(struct config *cfg, const struct daemon_options *opts);

#endif
