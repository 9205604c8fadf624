/*
 * The baseline HTTP server of `make bench`: the same evhttp, answering every
 * request with a fixed 200-byte JSON reply and nothing else.
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char reply[] =
	"{\"id\":\"c_0000000000000000000\",\"pathway\":\"pharmacy\",\"state\":\"referred\","
	"\"version\":1,\"origin\":\"pharmacy-hamayuri\",\"receiver\":\"support-centre\","
	"\"opened_at\":\"2026-11-24T10:00:00+09:00\",\"padding\":\"xxxxxxxxxxxx\"}";

static void on_request(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();
	(void)arg;
	evbuffer_add(b, reply, sizeof(reply) - 1);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 18099;
	struct event_base *base = event_base_new();
	struct evhttp *http = evhttp_new(base);
	evhttp_set_gencb(http, on_request, NULL);
	if (!evhttp_bind_socket_with_handle(http, "127.0.0.1", (ev_uint16_t)port)) {
		fprintf(stderr, "fixed_reply: cannot listen on %d\n", port);
		return 1;
	}
	fprintf(stderr, "fixed_reply: listening on %d\n", port);
	event_base_dispatch(base);
	return 0;
}
