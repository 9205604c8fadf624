/*
 * curlev — the pattern of curl's docs/examples/multi-event.c. libcurl is never
 * called from inside its own timer callback: the callback only re-arms the
 * libevent timer, whose expiry then calls curl_multi_socket_action.
 */
#include "curlev.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>

struct curlev {
	CURLM *multi;
	struct event_base *base;
	struct event *timer;
	CURL **active;             /* transfers not finished yet */
	size_t n_active, alloc_active;
	curlev_touch_fn touch;
	void *touch_ctx;
};

static void touch(const struct curlev *cv)
{
	if (cv->touch)
		cv->touch(cv->touch_ctx);
}

static void forget(struct curlev *cv, CURL *easy)
{
	for (size_t i = 0; i < cv->n_active; i++)
		if (cv->active[i] == easy) {
			cv->active[i] = cv->active[--cv->n_active];
			return;
		}
}

struct watch {
	struct curlev *cv;
	struct event *ev;
};

/* What of a reply's body is read before the transfer stops: enough for any receiver's short answer. */
#define BODY_CAP (64 << 10)

struct transfer {
	curlev_done_fn done;
	void *ctx;
	size_t body_bytes;
	bool body_cut;             /* stopped at BODY_CAP: the status line and headers were read */
};

static void check_done(struct curlev *cv)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(cv->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		/* Copy before removing: msg is invalid afterwards. */
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result;
		struct transfer *t = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
		curl_multi_remove_handle(cv->multi, easy);
		forget(cv, easy);
		/* a body cut at the cap is not a failed delivery: the status says what the receiver did */
		if (t && t->body_cut && result == CURLE_WRITE_ERROR)
			result = CURLE_OK;
		if (t)
			t->done(t->ctx, result, easy);
		curl_easy_cleanup(easy);
		free(t);
	}
}

static void on_socket(evutil_socket_t fd, short kind, void *arg)
{
	struct watch *w = arg;
	/* The action may remove this socket and free w: keep what is needed first. */
	struct curlev *cv = w->cv;
	touch(cv);
	int running, flags = (kind & EV_READ ? CURL_CSELECT_IN : 0) | (kind & EV_WRITE ? CURL_CSELECT_OUT : 0);
	curl_multi_socket_action(cv->multi, fd, flags, &running);
	check_done(cv);
}

static void on_timeout(evutil_socket_t fd, short kind, void *arg)
{
	struct curlev *cv = arg;
	touch(cv);
	int running;
	curl_multi_socket_action(cv->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(cv);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct curlev *cv = userp;
	struct watch *w = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (w) {
			event_free(w->ev);
			free(w);
			curl_multi_assign(cv->multi, s, NULL);
		}
		return 0;
	}
	short kind = (short)(EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0));
	if (!w) {
		w = xcalloc(1, sizeof(*w));
		w->cv = cv;
		w->ev = event_new(cv->base, s, kind, on_socket, w);
		curl_multi_assign(cv->multi, s, w);
	} else {
		/* event_del before re-assigning the socket's event */
		event_del(w->ev);
		event_assign(w->ev, cv->base, s, kind, on_socket, w);
	}
	event_add(w->ev, NULL);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct curlev *cv = userp;
	if (timeout_ms < 0) {
		evtimer_del(cv->timer);
		return 0;
	}
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	evtimer_add(cv->timer, &tv);
	return 0;
}

struct curlev *curlev_new(struct event_base *base, curlev_touch_fn touch_fn, void *touch_ctx)
{
	struct curlev *cv = xcalloc(1, sizeof(*cv));
	cv->base = base;
	cv->touch = touch_fn;
	cv->touch_ctx = touch_ctx;
	cv->multi = curl_multi_init();
	cv->timer = evtimer_new(base, on_timeout, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETDATA, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERDATA, cv);
	/*
	 * libcurl keeps four idle connections per transfer in progress: between
	 * two batches of the dispatcher that is none, and every delivery would
	 * connect anew. Keep as many as may be in flight.
	 */
	curl_multi_setopt(cv->multi, CURLMOPT_MAXCONNECTS, (long)CURLEV_KEEP_CONNECTIONS);
	return cv;
}

/*
 * A reply's body is thrown away, and no more than BODY_CAP of it is read:
 * without a write function libcurl copies it to stdout, where a receiver could
 * fill the disk or forge log lines, a pipe nobody reads would block the loop,
 * and a receiver answering megabytes would hold the loop reading them. The
 * status says what the delivery needs.
 */
static size_t discard(char *data, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	t->body_bytes += size * n;
	if (t->body_bytes > BODY_CAP) {
		t->body_cut = true;
		return 0;
	}
	return size * n;
}

int curlev_add(struct curlev *cv, CURL *easy, curlev_done_fn done, void *ctx)
{
	struct transfer *t = xcalloc(1, sizeof(*t));
	t->done = done;
	t->ctx = ctx;
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
	if (curl_multi_add_handle(cv->multi, easy) != CURLM_OK) {
		free(t);
		return -1;
	}
	grow_array(&cv->active, &cv->alloc_active, cv->n_active, sizeof(*cv->active));
	cv->active[cv->n_active++] = easy;
	return 0;
}

void curlev_free(struct curlev *cv)
{
	if (!cv)
		return;
	while (cv->n_active) {
		CURL *easy = cv->active[--cv->n_active];
		struct transfer *t = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
		curl_multi_remove_handle(cv->multi, easy);
		if (t)
			t->done(t->ctx, CURLE_ABORTED_BY_CALLBACK, easy);
		curl_easy_cleanup(easy);
		free(t);
	}
	free(cv->active);
	curl_multi_cleanup(cv->multi);
	event_free(cv->timer);
	free(cv);
}
