/*
 * prom — writing the exposition format and keeping its instruments. The
 * tables are small (a series per route and status, per channel and result) and
 * touched once per request, so a sorted array searched by halves does.
 */
#include "prom.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prom_histogram_init(struct prom_histogram *h, const double *bounds, size_t n_bounds)
{
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->n_bounds = n_bounds < PROM_MAX_BUCKETS ? n_bounds : PROM_MAX_BUCKETS;
}

void prom_observe(struct prom_histogram *h, double value)
{
	size_t i = 0;
	while (i < h->n_bounds && value > h->bounds[i])
		i++;
	if (i < h->n_bounds)
		h->counts[i]++;
	h->count++;
	h->sum += value;
}

void prom_table_init(struct prom_table *t, const double *bounds, size_t n_bounds)
{
	*t = (struct prom_table){ .bounds = bounds, .n_bounds = n_bounds };
}

void prom_table_release(struct prom_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->items[i].labels);
	free(t->items);
	*t = (struct prom_table){ 0 };
}

struct prom_series *prom_table_get(struct prom_table *t, const char *labels)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(t->items[mid].labels, labels);
		if (c == 0)
			return &t->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	grow_array(&t->items, &t->alloc, t->n + 1, sizeof(*t->items));
	memmove(&t->items[lo + 1], &t->items[lo], (t->n - lo) * sizeof(*t->items));
	t->n++;
	struct prom_series *s = &t->items[lo];
	*s = (struct prom_series){ .labels = xstrdup(labels) };
	prom_histogram_init(&s->histogram, t->bounds, t->n_bounds);
	return s;
}

void prom_labels(char *out, size_t size, ...)
{
	va_list ap;
	size_t len = 0;
	const char *name;
	out[0] = '\0';
	va_start(ap, size);
	while ((name = va_arg(ap, const char *)) && len + 1 < size) {
		const char *value = va_arg(ap, const char *);
		int n = snprintf(out + len, size - len, "%s%s=\"", len ? "," : "", name);
		len = n > 0 && (size_t)n < size - len ? len + (size_t)n : size - 1;
		for (const char *p = value ? value : ""; *p && len + 3 < size; p++) {
			if (*p == '\\' || *p == '"')
				out[len++] = '\\', out[len++] = *p;
			else if (*p == '\n')
				out[len++] = '\\', out[len++] = 'n';
			else
				out[len++] = *p;
		}
		if (len + 1 < size)
			out[len++] = '"';
		out[len] = '\0';
	}
	va_end(ap);
}

void prom_family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void write_value(struct buf *out, double value)
{
	if (isinf(value))
		buf_adds(out, value > 0 ? "+Inf" : "-Inf");
	else if (value == floor(value) && fabs(value) < 1e15)
		buf_printf(out, "%.0f", value);
	else
		buf_printf(out, "%.9g", value);
}

void prom_sample(struct buf *out, const char *name, const char *labels, double value)
{
	if (labels && *labels)
		buf_printf(out, "%s{%s} ", name, labels);
	else
		buf_printf(out, "%s ", name);
	write_value(out, value);
	buf_addc(out, '\n');
}

void prom_histogram_write(struct buf *out, const char *name, const char *labels, const struct prom_histogram *h)
{
	const char *sep = labels && *labels ? "," : "";
	uint64_t cumulated = 0;
	for (size_t i = 0; i <= h->n_bounds; i++) {
		char le[32];
		if (i < h->n_bounds) {
			cumulated += h->counts[i];
			snprintf(le, sizeof(le), "%.9g", h->bounds[i]);
		} else {
			cumulated = h->count;
			snprintf(le, sizeof(le), "+Inf");
		}
		buf_printf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels ? labels : "", sep, le,
			   (unsigned long long)cumulated);
	}
	char part[160];
	snprintf(part, sizeof(part), "%s_sum", name);
	prom_sample(out, part, labels, h->sum);
	snprintf(part, sizeof(part), "%s_count", name);
	prom_sample(out, part, labels, (double)h->count);
}

void prom_table_write(struct buf *out, const char *name, const struct prom_table *t, int histograms)
{
	for (size_t i = 0; i < t->n; i++) {
		if (histograms)
			prom_histogram_write(out, name, t->items[i].labels, &t->items[i].histogram);
		else
			prom_sample(out, name, t->items[i].labels, (double)t->items[i].value);
	}
}
