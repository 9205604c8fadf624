/*
 * curlev — libcurl's multi interface driven by the libevent loop, shared by the
 * adapters that speak HTTP and SMTP. One non-repeating timer that each
 * CURLMOPT_TIMERFUNCTION call replaces; sockets watched with one event each;
 * finished transfers reported to their owner after being removed from the multi.
 */
#ifndef TSUNAGU_CURLEV_H
#define TSUNAGU_CURLEV_H

#include <curl/curl.h>
#include <event2/event.h>

struct curlev;

/* Called from the loop when a transfer ends; the easy handle is cleaned up after. */
typedef void (*curlev_done_fn)(void *ctx, CURLcode result, CURL *easy);

/* Called first in every callback of curlev's on the loop (the daemon measures its turns from there); may be NULL. */
typedef void (*curlev_touch_fn)(void *ctx);

/* Idle connections kept for reuse (the dispatcher's deliveries in flight at most). */
#define CURLEV_KEEP_CONNECTIONS 64

struct curlev *curlev_new(struct event_base *base, curlev_touch_fn touch, void *touch_ctx);
/* Runs easy on the multi (the reply's body discarded, at most 64 KiB of it read); done is called exactly once. Returns 0 or -1 (done not called). */
int curlev_add(struct curlev *cv, CURL *easy, curlev_done_fn done, void *ctx);
/* Cleans up the multi (before the event base is freed); unfinished transfers end with done(CURLE_ABORTED_BY_CALLBACK). */
void curlev_free(struct curlev *cv);

#endif
