/*
 * httpd — the HTTP/1.1 server on libevent's evhttp: limits, request-smuggling
 * refusals, path decoding, connection counting, and group commit. Every request
 * of one loop turn runs inside one SQLite transaction (each in its own
 * savepoint); httpd_end_turn() commits it and only then sends the replies, so no
 * client hears "done" before its action is on disk.
 */
#ifndef TSUNAGU_HTTPD_H
#define TSUNAGU_HTTPD_H

#include <event2/event.h>
#include <stdint.h>

#include "api.h"

struct httpd;

struct httpd_stats {
	uint64_t requests;
	uint64_t commits;          /* group commits: one per loop turn that handled requests */
	uint64_t failed_commits;
};

/* Listens on host:port (0: any free port). Returns 0 and *out, or -1 with a message. */
int httpd_start(struct event_base *base, struct app *app, const char *host, int port,
		struct httpd **out, char **err);

/* The port actually bound. */
int httpd_port(const struct httpd *h);

/* Commits the turn's transaction and sends the replies waiting for it. */
void httpd_end_turn(struct httpd *h);

const struct httpd_stats *httpd_stats(const struct httpd *h);

/* True when the turn handled any request. */
bool httpd_busy(const struct httpd *h);

void httpd_free(struct httpd *h);

#endif
