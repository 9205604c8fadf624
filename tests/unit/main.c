/*
 * The unit-test runner: runs every registered test (or those named on the
 * command line) and prints `N passed, N failed`.
 */
#include "test.h"

#include <stdarg.h>
#include <stdlib.h>

static struct test_case *tests;
static jmp_buf on_failure;
const char *test_root = ".";

void test_register(struct test_case *t)
{
	t->next = tests;
	tests = t;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "    %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	longjmp(on_failure, 1);
}

static int selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return 1;
	return 0;
}

static int run_one(struct test_case *t)
{
	fflush(stdout);
	if (setjmp(on_failure) == 0) {
		t->fn();
		printf("ok   unit: %s\n", t->name);
		return 1;
	}
	printf("FAIL unit: %s\n", t->name);
	return 0;
}

int main(int argc, char **argv)
{
	const char *root = getenv("TSUNAGU_SOURCE");
	if (root)
		test_root = root;
	/* Registered in reverse; run in file order. */
	struct test_case *ordered = NULL;
	while (tests) {
		struct test_case *t = tests;
		tests = t->next;
		t->next = ordered;
		ordered = t;
	}
	int passed = 0, failed = 0;
	for (struct test_case *t = ordered; t; t = t->next) {
		if (!selected(t->name, argc, argv))
			continue;
		if (run_one(t))
			passed++;
		else
			failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
