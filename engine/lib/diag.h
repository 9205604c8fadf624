/*
 * diag — diagnostics of a file being checked: every error and warning with its
 * position, collected so that a user sees all problems of a file at once, each as
 * `file:line:column: error: message`.
 */
#ifndef TSUNAGU_DIAG_H
#define TSUNAGU_DIAG_H

#include <stdio.h>
#include <stddef.h>

enum diag_severity { DIAG_ERROR, DIAG_WARNING };

struct diag_entry {
	char *file;
	int line, column;          /* 1-based; 0 when unknown */
	enum diag_severity severity;
	char *message;
};

struct diag {
	struct diag_entry *entries;
	size_t n, alloc;
	size_t errors, warnings;
};

void diag_init(struct diag *d);
void diag_release(struct diag *d);

__attribute__((format(printf, 6, 7)))
void diag_add(struct diag *d, enum diag_severity sev, const char *file,
	      int line, int column, const char *fmt, ...);

/* Prints the entries sorted by file, line and column. */
void diag_print(const struct diag *d, FILE *out);

/* Appends the entries of src to dst. */
void diag_merge(struct diag *dst, const struct diag *src);

#endif
