/*
 * slow_flush — an LD_PRELOAD shim for the durability tests: once the file
 * SLOW_FLUSH_WHEN names exists, each fdatasync and fsync of the process takes
 * SLOW_FLUSH_MS longer, so that a test can see what waits for the disk and
 * what does not. Test-only; never part of the daemon.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void slow_down(void)
{
	const char *when = getenv("SLOW_FLUSH_WHEN");
	const char *ms = getenv("SLOW_FLUSH_MS");
	if (!when || !ms || access(when, F_OK) != 0)
		return;
	long n = atol(ms);
	struct timespec ts = { n / 1000, (n % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int fdatasync(int fd)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	int rc = real(fd);
	slow_down();
	return rc;
}

int fsync(int fd)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	int rc = real(fd);
	slow_down();
	return rc;
}
