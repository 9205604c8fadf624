/* Unit tests of log: a stderr nobody reads costs the caller nothing; what does not fit is dropped and counted. */
#include "clock.h"
#include "log.h"
#include "test.h"

#include <pthread.h>
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
		log_line("line %d of a log that nobody reads", i);
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
