/*
 * The delivery baseline of `make bench`: a bare libcurl multi sender, N POSTs of
 * a webhook-sized body to one URL with 64 in flight, reusing connections, and
 * nothing else (no database, no signing, no event loop of ours).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: curl_sender URL N\n");
		return 2;
	}
	const char *url = argv[1];
	int total = atoi(argv[2]), started = 0, done = 0, in_flight = 64;
	char body[700];
	memset(body, 'x', sizeof(body) - 1);
	body[0] = '{';
	body[sizeof(body) - 2] = '}';
	body[sizeof(body) - 1] = '\0';
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURLM *multi = curl_multi_init();
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	double t0 = now_s();
	while (done < total) {
		while (started < total && started - done < in_flight) {
			CURL *e = curl_easy_init();
			curl_easy_setopt(e, CURLOPT_URL, url);
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
			curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
			curl_multi_add_handle(multi, e);
			started++;
		}
		int running;
		curl_multi_perform(multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			CURL *e = m->easy_handle;
			curl_multi_remove_handle(multi, e);
			curl_easy_cleanup(e);
			done++;
		}
		curl_multi_poll(multi, NULL, 0, 100, NULL);
	}
	printf("curl_sender_per_second %.0f\n", total / (now_s() - t0));
	curl_slist_free_all(headers);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	return 0;
}
