/*
 * prom — the Prometheus text exposition format (version 0.0.4): families,
 * samples, and the two instruments the daemon keeps on its loop thread — a
 * table of labelled counters and a histogram with fixed buckets. Label values
 * are escaped here; what goes into a label (routes, channels, pathway ids) is
 * bounded by the caller, never a case, user or person.
 */
#ifndef TSUNAGU_PROM_H
#define TSUNAGU_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define PROM_MAX_BUCKETS 16

/* A histogram: counts per upper bound (cumulated when written), their sum and count. */
struct prom_histogram {
	const double *bounds;      /* ascending upper bounds, static */
	size_t n_bounds;
	uint64_t counts[PROM_MAX_BUCKETS];
	uint64_t count;
	double sum;
};

void prom_histogram_init(struct prom_histogram *h, const double *bounds, size_t n_bounds);
void prom_observe(struct prom_histogram *h, double value);

/*
 * Series of one family keyed by their labels (`route="/v1/cases",status="200"`,
 * written by prom_labels): each a counter and, when the table was made with
 * bounds, a histogram. Kept sorted, so that the text is the same every time.
 */
struct prom_series {
	char *labels;
	uint64_t value;
	struct prom_histogram histogram;
};

struct prom_table {
	struct prom_series *items;
	size_t n, alloc;
	const double *bounds;
	size_t n_bounds;
};

void prom_table_init(struct prom_table *t, const double *bounds, size_t n_bounds);
void prom_table_release(struct prom_table *t);

/* The series of labels, added (at zero) when absent; valid until the next insertion. */
struct prom_series *prom_table_get(struct prom_table *t, const char *labels);

/*
 * Writes `name="value"` pairs into out (size bytes), escaping the values;
 * the arguments are pairs of strings, ending with NULL.
 */
__attribute__((sentinel)) void prom_labels(char *out, size_t size, ...);

/* `# HELP` and `# TYPE` of a family. */
void prom_family(struct buf *out, const char *name, const char *type, const char *help);

/* One sample: name{labels} value (labels may be NULL or ""). */
void prom_sample(struct buf *out, const char *name, const char *labels, double value);

/* A histogram's _bucket, _sum and _count samples under name. */
void prom_histogram_write(struct buf *out, const char *name, const char *labels, const struct prom_histogram *h);

/* Every series of a table: as counters (histograms false) or as histograms. */
void prom_table_write(struct buf *out, const char *name, const struct prom_table *t, int histograms);

#endif
