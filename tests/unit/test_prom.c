/* Unit tests of prom: label escaping, cumulated histogram buckets, sorted series. */
#include "prom.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

TEST(prom_labels_escape_quotes_backslashes_and_newlines)
{
	char labels[128];
	prom_labels(labels, sizeof(labels), "route", "/v1/\"x\"\\y\nz", "status", "200", NULL);
	CHECK_STR(labels, "route=\"/v1/\\\"x\\\"\\\\y\\nz\",status=\"200\"");
	/* too small a buffer truncates, never overruns */
	char small[12];
	prom_labels(small, sizeof(small), "route", "/v1/cases/long", NULL);
	CHECK(strlen(small) < sizeof(small));
}

TEST(prom_histogram_buckets_are_cumulated_with_inf_sum_and_count)
{
	static const double bounds[] = { 0.1, 1 };
	struct prom_histogram h;
	prom_histogram_init(&h, bounds, 2);
	prom_observe(&h, 0.05);
	prom_observe(&h, 0.1);
	prom_observe(&h, 0.5);
	prom_observe(&h, 7);
	struct buf out;
	buf_init(&out);
	prom_histogram_write(&out, "x_seconds", "a=\"b\"", &h);
	buf_addc(&out, '\0');
	CHECK_STR(out.data, "x_seconds_bucket{a=\"b\",le=\"0.1\"} 2\n"
			    "x_seconds_bucket{a=\"b\",le=\"1\"} 3\n"
			    "x_seconds_bucket{a=\"b\",le=\"+Inf\"} 4\n"
			    "x_seconds_sum{a=\"b\"} 7.65\n"
			    "x_seconds_count{a=\"b\"} 4\n");
	buf_release(&out);
}

TEST(prom_table_keeps_series_sorted_and_counts_each)
{
	struct prom_table t;
	prom_table_init(&t, NULL, 0);
	prom_table_get(&t, "k=\"b\"")->value += 2;
	prom_table_get(&t, "k=\"a\"")->value++;
	prom_table_get(&t, "k=\"b\"")->value++;
	struct buf out;
	buf_init(&out);
	prom_table_write(&out, "n_total", &t, 0);
	buf_addc(&out, '\0');
	CHECK_STR(out.data, "n_total{k=\"a\"} 1\nn_total{k=\"b\"} 3\n");
	buf_release(&out);
	prom_table_release(&t);
}
