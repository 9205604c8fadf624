/*
 * date — day-count arithmetic for civil dates (Howard Hinnant's algorithms),
 * independent of time zones and the C library's locale.
 */
#include "date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

date_days date_from_ymd(int y, int m, int d)
{
	y -= m <= 2;
	const int era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (date_days)(era * 146097 + (int)doe - 719468);
}

void date_to_ymd(date_days z, int *year, int *month, int *day)
{
	int zz = z + 719468;
	const int era = (zz >= 0 ? zz : zz - 146096) / 146097;
	const unsigned doe = (unsigned)(zz - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int y = (int)yoe + era * 400;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	const unsigned d = doy - (153 * mp + 2) / 5 + 1;
	const unsigned m = mp < 10 ? mp + 3 : mp - 9;
	*year = y + (m <= 2);
	*month = (int)m;
	*day = (int)d;
}

int date_weekday(date_days d)
{
	/* 1970-01-01 was a Thursday (4). */
	int w = (d + 4) % 7;
	return w < 0 ? w + 7 : w;
}

bool date_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int date_days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && date_is_leap(y))
		return 29;
	return days[m - 1];
}

int date_parse(const char *s, date_days *out)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1000 || m < 1 || m > 12 || d < 1 || d > date_days_in_month(y, m))
		return -1;
	*out = date_from_ymd(y, m, d);
	return 0;
}

void date_format(date_days d, char out[11])
{
	int y, m, dd;
	date_to_ymd(d, &y, &m, &dd);
	unsigned uy = (unsigned)y % 10000u;
	out[0] = (char)('0' + uy / 1000);
	out[1] = (char)('0' + uy / 100 % 10);
	out[2] = (char)('0' + uy / 10 % 10);
	out[3] = (char)('0' + uy % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + dd / 10);
	out[9] = (char)('0' + dd % 10);
	out[10] = '\0';
}

int date_fiscal_year(date_days d)
{
	int y, m, dd;
	date_to_ymd(d, &y, &m, &dd);
	return m >= 4 ? y : y - 1;
}

static const struct {
	int y, m, d;
	const char *name, *initial;
} eras[] = {
	{ 2019, 5, 1, "令和", "R" }, { 1989, 1, 8, "平成", "H" }, { 1926, 12, 25, "昭和", "S" },
	{ 1912, 7, 30, "大正", "T" }, { 1868, 1, 25, "明治", "M" },
};

/* The era in force on d (index into eras). */
static size_t era_of(date_days d)
{
	size_t i = 0;
	while (i + 1 < sizeof(eras) / sizeof(eras[0]) && d < date_from_ymd(eras[i].y, eras[i].m, eras[i].d))
		i++;
	return i;
}

void date_fiscal_label(int fy, char long_out[32], char short_out[32])
{
	/* The era of the last day names the year; its number is that of the starting
	 * calendar year in the era (so FY2019 is 令和元年度, FY2018 平成30年度). */
	size_t e = era_of(date_from_ymd(fy + 1, 3, 31));
	int n = fy - eras[e].y + 1;
	if (n < 1) {
		/* A fiscal year that began before the era did (FY1988): named by its first day's era. */
		e = era_of(date_from_ymd(fy, 4, 1));
		n = fy - eras[e].y + 1;
	}
	if (n == 1)
		snprintf(long_out, 32, "%s元年度", eras[e].name);
	else
		snprintf(long_out, 32, "%s%d年度", eras[e].name, n);
	snprintf(short_out, 32, "%s%d年度", eras[e].initial, n);
}

int date_fiscal_parse(const char *s, int *fy)
{
	const char *p = s;
	int base = 0;
	if (!strncmp(p, "FY", 2))
		p += 2;
	for (size_t e = 0; e < sizeof(eras) / sizeof(eras[0]) && !base; e++) {
		size_t n = strlen(eras[e].name);
		if (!strncmp(p, eras[e].name, n) || (*p == eras[e].initial[0] && (n = 1))) {
			base = eras[e].y - 1;
			p += n;
		}
	}
	int year;
	if (base && !strncmp(p, "元", strlen("元"))) {
		year = 1;
		p += strlen("元");
	} else {
		char *end;
		long v = (*p >= '0' && *p <= '9') ? strtol(p, &end, 10) : -1;
		if (v < 1 || v > 9999)
			return -1;
		year = (int)v;
		p = end;
	}
	if (!strcmp(p, "年度"))
		p += strlen("年度");
	if (*p || (base && year > 99) || (!base && (year < 1868 || year > 9999)))
		return -1;
	*fy = base + year;
	return 0;
}

int date_wareki(date_days d, char *out, size_t cap)
{
	size_t e = era_of(d);
	int y, m, dd;
	date_to_ymd(d, &y, &m, &dd);
	if (d < date_from_ymd(eras[e].y, eras[e].m, eras[e].d))
		return -1;
	int n = y - eras[e].y + 1;
	if (n == 1)
		snprintf(out, cap, "%s元年%d月%d日", eras[e].name, m, dd);
	else
		snprintf(out, cap, "%s%d年%d月%d日", eras[e].name, n, m, dd);
	return 0;
}
