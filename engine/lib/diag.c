/*
 * diag — collects positioned diagnostics and prints them in compiler style so
 * that editors and people read them the same way.
 */
#include "diag.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void diag_release(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->entries[i].file);
		free(d->entries[i].message);
	}
	free(d->entries);
	memset(d, 0, sizeof(*d));
}

static void diag_push(struct diag *d, enum diag_severity sev, const char *file,
		      int line, int column, char *message)
{
	if (d->n == d->alloc) {
		d->alloc = d->alloc ? d->alloc * 2 : 16;
		d->entries = xrealloc(d->entries, d->alloc * sizeof(*d->entries));
	}
	struct diag_entry *e = &d->entries[d->n++];
	e->file = xstrdup(file ? file : "<input>");
	e->line = line;
	e->column = column;
	e->severity = sev;
	e->message = message;
	if (sev == DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
}

void diag_add(struct diag *d, enum diag_severity sev, const char *file,
	      int line, int column, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *message = xvasprintf(fmt, ap);
	va_end(ap);
	diag_push(d, sev, file, line, column, message);
}

void diag_merge(struct diag *dst, const struct diag *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct diag_entry *e = &src->entries[i];
		diag_push(dst, e->severity, e->file, e->line, e->column, xstrdup(e->message));
	}
}

static int entry_cmp(const void *a, const void *b)
{
	const struct diag_entry *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return 0;
}

void diag_print(const struct diag *d, FILE *out)
{
	struct diag_entry *sorted = xmalloc((d->n ? d->n : 1) * sizeof(*sorted));
	if (d->n)
		memcpy(sorted, d->entries, d->n * sizeof(*sorted));
	/* Insertion sort: stable, so entries at one position keep the order found. */
	for (size_t i = 1; i < d->n; i++) {
		struct diag_entry t = sorted[i];
		size_t j = i;
		for (; j > 0 && entry_cmp(&sorted[j - 1], &t) > 0; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = t;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct diag_entry *e = &sorted[i];
		const char *sev = e->severity == DIAG_ERROR ? "error" : "warning";
		if (e->line > 0)
			fprintf(out, "%s:%d:%d: %s: %s\n", e->file, e->line, e->column, sev, e->message);
		else
			fprintf(out, "%s: %s: %s\n", e->file, sev, e->message);
	}
	free(sorted);
}
