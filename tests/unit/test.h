/*
 * test — a tiny unit-test harness: TEST(name) registers a test, CHECK* fail it
 * with file:line and jump out, the runner prints one line per test and the
 * closing `N passed, N failed`.
 */
#ifndef TSUNAGU_TEST_H
#define TSUNAGU_TEST_H

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	struct test_case *next;
};

void test_register(struct test_case *t);
__attribute__((noreturn, format(printf, 3, 4)))
void test_fail(const char *file, int line, const char *fmt, ...);

/* The directory of the source tree, for fixtures (set by the runner). */
extern const char *test_root;

#define TEST(name)                                                           \
	static void test_##name(void);                                       \
	static struct test_case test_case_##name = { #name, test_##name, 0 }; \
	__attribute__((constructor)) static void register_##name(void)      \
	{                                                                    \
		test_register(&test_case_##name);                            \
	}                                                                    \
	static void test_##name(void)

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);   \
	} while (0)

#define CHECK_INT(a, b)                                                      \
	do {                                                                 \
		long long va_ = (long long)(a), vb_ = (long long)(b);        \
		if (va_ != vb_)                                              \
			test_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, va_, #b, vb_); \
	} while (0)

#define CHECK_STR(a, b)                                                      \
	do {                                                                 \
		const char *sa_ = (a), *sb_ = (b);                           \
		if (!sa_ || !sb_ || strcmp(sa_, sb_))                        \
			test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
	} while (0)

#define CHECK_CONTAINS(haystack, needle)                                     \
	do {                                                                 \
		const char *h_ = (haystack), *n_ = (needle);                 \
		if (!h_ || !strstr(h_, n_))                                  \
			test_fail(__FILE__, __LINE__, "%s does not contain \"%s\": %s", #haystack, n_, h_ ? h_ : "(null)"); \
	} while (0)

#endif
