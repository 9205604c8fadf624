/*
 * clock — the daemon's idea of now, in microseconds since the epoch, and
 * RFC 3339 timestamps in the configured zone (Asia/Tokyo: +09:00). Every module
 * asks the clock rather than the system, so that tests can move time.
 */
#ifndef TSUNAGU_CLOCK_H
#define TSUNAGU_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "date.h"

typedef int64_t clock_us;

struct clock {
	int offset_minutes;     /* the zone's offset from UTC */
	bool test;              /* a test clock: now is `fixed`, moved by tests */
	clock_us fixed;
};

/* Sets up a clock for a zone name ("Asia/Tokyo", "UTC" or "+09:00"). Returns 0 or -1. */
int clock_init(struct clock *c, const char *zone);

clock_us clock_now(const struct clock *c);

/* "2026-11-24T10:00:00+09:00" (seconds precision) into out. */
void clock_format(const struct clock *c, clock_us t, char out[48]);

/* Parses RFC 3339 (with Z or an offset). Returns 0 or -1. */
int clock_parse(const char *s, clock_us *out);

/* The instant a local date begins (local midnight). */
clock_us clock_local_midnight(const struct clock *c, date_days d);

/* The local civil date of an instant. */
date_days clock_local_date(const struct clock *c, clock_us t);

/* Milliseconds of a monotonic clock (for deadlines and durations: never the test clock, never set back). */
int64_t clock_monotonic_ms(void);

/* The same in microseconds. */
int64_t clock_monotonic_us(void);

/* The system's wall clock in microseconds since 1970, whatever a test clock says (names, not times of record). */
int64_t clock_wall_us(void);

#endif
