/*
 * date — civil dates as a count of days since 1970-01-01 (proleptic Gregorian),
 * strict YYYY-MM-DD parsing and formatting. The business calendar and the
 * expression language build on it.
 */
#ifndef TSUNAGU_DATE_H
#define TSUNAGU_DATE_H

#include <stdbool.h>
#include <stddef.h>
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

/* The fiscal year (April–March) a date falls in, named by its starting year. */
int date_fiscal_year(date_days d);

/*
 * The Japanese label of fiscal year fy (fy-04 to fy+1-03), by the era in force on
 * its last day, year 1 as 元: FY2019 -> "令和元年度" / "R1年度", FY2018 -> "平成30年度" /
 * "H30年度". Writes into long_out and short_out (32 bytes each).
 */
void date_fiscal_label(int fy, char long_out[32], char short_out[32]);

/*
 * Reads a fiscal year as people write it: 2017, FY2017, 平成29年度, H29年度, H29,
 * 令和元年度, R元, R1 (an era year counts from the era's first calendar year, as
 * date_fiscal_label names it). 0 with *fy, or -1.
 */
int date_fiscal_parse(const char *s, int *fy);

/* A date in the era, year 1 as 元: 2019-05-01 -> "令和元年5月1日". 0, or -1 before 明治. */
int date_wareki(date_days d, char *out, size_t cap);

#endif
