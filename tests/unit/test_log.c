/* Unit tests of log: a stderr nobody reads costs the caller nothing; what does not fit is dropped and counted. */
#include "clock.h"
#include "log.h"
#include "test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *drain(void *arg)
{
	int fd = *(int *)arg;
	char sink[65536];
	while (read(fd, sink, sizeof(sink)) > 0)
		;
	return NULL;
}

TEST(log_lines_never_wait_for_a_stderr_that_nobody_reads)
{
	int fds[2];
	CHECK(pipe(fds) == 0);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	CHECK(saved >= 0);
	dup2(fds[1], STDERR_FILENO);
	uint64_t dropped_before = log_dropped();
	log_start(4096);
	/* far more than the pipe (64 KiB) and the queue hold together, with nobody reading */
	int64_t start = clock_monotonic_ms();
	for (int i = 0; i < 20000; i++)
		log_msg(LOGM_SLOW_TURN, "line %d of a log that nobody reads", i);
	int64_t took = clock_monotonic_ms() - start;
	uint64_t dropped = log_dropped() - dropped_before;
	/* now somebody reads, so that the writer can finish and stop */
	pthread_t reader;
	CHECK(pthread_create(&reader, NULL, drain, &fds[0]) == 0);
	log_stop();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	pthread_join(reader, NULL);
	close(fds[0]);
	CHECK(took < 2000);
	CHECK(dropped > 0);
}

/* Reads what the log wrote to stderr while fn ran. */
static char *captured(void (*fn)(void))
{
	int fds[2];
	if (pipe(fds))
		return NULL;
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	char buf[4096];
	ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	buf[n > 0 ? n : 0] = '\0';
	return strdup(buf);
}

static void json_lines(void)
{
	log_set_format("json");
	log_request_begin("req-1");
	log_msg(LOGM_CHAIN_BROKEN, "a \"quoted\" break\non two lines");
	log_request_end();
	log_msg(LOGM_STARTED, "no request");
	log_set_format("text");
}

TEST(log_json_lines_carry_level_message_id_and_request)
{
	char *out = captured(json_lines);
	CHECK(out != NULL);
	CHECK_CONTAINS(out, "\"level\":\"error\"");
	CHECK_CONTAINS(out, "\"message_id\":\"chain_broken\"");
	CHECK_CONTAINS(out, "\"journal_message_id\":\"b56d720efbddb6ba83b9426134625d0e\"");
	CHECK_CONTAINS(out, "\"request_id\":\"req-1\"");
	CHECK_CONTAINS(out, "a \\\"quoted\\\" break on two lines");
	/* two lines, the second without a request */
	char *second = strchr(out, '\n');
	CHECK(second && strstr(second, "\"message_id\":\"started\"") && !strstr(second, "request_id"));
	free(out);
}

static void text_lines(void)
{
	log_set_format("text");
	log_request_begin("req-2");
	log_msg(LOGM_SLOW_TURN, "slow loop turn: 300 ms");
	log_request_end();
}

TEST(log_text_lines_say_level_message_id_and_request)
{
	char *out = captured(text_lines);
	CHECK(out != NULL);
	CHECK_STR(out, "tsunagu: warning: slow loop turn: 300 ms [slow_turn request req-2]\n");
	free(out);
	CHECK(log_set_format("xml") == -1);
}

TEST(log_message_ids_are_unique_names_and_128_bit_ids)
{
	for (int i = 0; i < LOGM_COUNT; i++) {
		CHECK(log_messages[i].name && strlen(log_messages[i].id) == 32);
		for (int k = 0; k < i; k++) {
			CHECK(strcmp(log_messages[i].name, log_messages[k].name));
			CHECK(strcmp(log_messages[i].id, log_messages[k].id));
		}
	}
}
