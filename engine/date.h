/*
 * date — civil dates as a count of days since 1970-01-01 (proleptic Gregorian),
 * strict YYYY-MM-DD parsing and formatting. The business calendar and the
 * expression language build on it.
 */
#ifndef TSUNAGU_DATE_H
#define TSUNAGU_DATE_H

#include <stdbool.h>
#include <stdint.h>

typedef int32_t date_days;

date_days date_from_ymd(int year, int month, int day);
void date_to_ymd(date_days d, int *year, int *month, int *day);

/* 0 = Sunday … 6 = Saturday */
int date_weekday(date_days d);
int date_days_in_month(int year, int month);
bool date_is_leap(int year);

/* Strict YYYY-MM-DD (a real calendar date, years 1000–9999). Returns 0 or -1. */
int date_parse(const char *s, date_days *out);

/* Writes YYYY-MM-DD and a NUL into out (11 bytes). */
void date_format(date_days d, char out[11]);

#endif
