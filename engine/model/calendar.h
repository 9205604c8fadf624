/*
 * calendar — the business calendar of a Japanese municipality: weekends, the
 * national holidays of the National Holidays Act (祝日法) as they were in each
 * year since 1948 (fixed days and their changes, Happy-Monday days, the equinox
 * days by the astronomical formula, 振替休日, 国民の休日 and the one-off days),
 * the municipal year-end closure (12/29–1/3) and extra closed days from the
 * config; and the due times that pathway timers count on it.
 */
#ifndef TSUNAGU_CALENDAR_H
#define TSUNAGU_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>

#include "clock.h"
#include "date.h"
#include "vocab.h"

#define CALENDAR_FIRST_YEAR 1948
#define CALENDAR_LAST_YEAR 2099

struct holiday {
	date_days date;
	const char *name;          /* Japanese, static */
};

struct calendar {
	int business_start_minutes;   /* local minutes after midnight, e.g. 8:30 = 510 */
	date_days *closed_days;       /* extra closed days, sorted */
	size_t n_closed_days;
	const struct clock *clock;    /* for the zone offset */
};

/* Sets up a calendar; closed days as YYYY-MM-DD (already checked by the config). */
int calendar_init(struct calendar *cal, const struct clock *clock, int business_start_minutes,
		  char *const *closed_days, size_t n_closed_days);
void calendar_release(struct calendar *cal);

/* The national holidays of a year, in date order. Returns how many (at most max), or -1 out of range. */
int calendar_holidays(int year, struct holiday *out, size_t max);

/* The national holiday's name on d, or NULL. */
const char *calendar_holiday_name(date_days d);

bool calendar_is_business_day(const struct calendar *cal, date_days d);

/* The Nth business day after d (d itself never counts). n >= 0; 0 gives d. */
date_days calendar_add_business_days(const struct calendar *cal, date_days d, long n);

/*
 * The business days from one date to a later one (from itself not counted,
 * to counted), negative when to is before from: a due badge's "N business
 * days left" or "N business days overdue".
 */
long calendar_business_days_between(const struct calendar *cal, date_days from, date_days to);

/* The instant business hours start on a local date. */
clock_us calendar_business_start(const struct calendar *cal, date_days d);

/*
 * When a timer of `amount` `unit` falls due after entering a state at `entered`
 * (SPEC §5 Durations): business days at the start of business hours on the Nth
 * business day after the day of entry; minutes, hours, days and weeks as elapsed
 * time; months on the same day of month, clamped to the month's end.
 */
clock_us calendar_due(const struct calendar *cal, clock_us entered, long amount, enum duration_unit unit);

/* A timer `at` a date: the start of business hours on that date. */
clock_us calendar_due_at_date(const struct calendar *cal, date_days d);

#endif
