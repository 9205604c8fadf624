/*
 * clock — fixed-offset zones only: Japan has kept +09:00 without summer time
 * since 1951, and a fixed offset keeps timestamps independent of the host's TZ.
 */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int clock_init(struct clock *c, const char *zone)
{
	memset(c, 0, sizeof(*c));
	if (!zone || !strcmp(zone, "Asia/Tokyo") || !strcmp(zone, "Japan")) {
		c->offset_minutes = 9 * 60;
		return 0;
	}
	if (!strcmp(zone, "UTC") || !strcmp(zone, "Z")) {
		c->offset_minutes = 0;
		return 0;
	}
	int h, m;
	char sign, extra;
	if (sscanf(zone, "%c%2d:%2d%c", &sign, &h, &m, &extra) == 3 && (sign == '+' || sign == '-') &&
	    h <= 14 && m < 60 && strlen(zone) == 6) {
		c->offset_minutes = (sign == '-' ? -1 : 1) * (h * 60 + m);
		return 0;
	}
	return -1;
}

clock_us clock_now(const struct clock *c)
{
	if (c->test)
		return c->fixed;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (clock_us)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

clock_us clock_local_midnight(const struct clock *c, date_days d)
{
	return ((int64_t)d * 86400 - (int64_t)c->offset_minutes * 60) * 1000000;
}

date_days clock_local_date(const struct clock *c, clock_us t)
{
	int64_t secs = floor_div(t, 1000000) + (int64_t)c->offset_minutes * 60;
	return (date_days)floor_div(secs, 86400);
}

void clock_format(const struct clock *c, clock_us t, char out[48])
{
	int64_t secs = floor_div(t, 1000000) + (int64_t)c->offset_minutes * 60;
	date_days d = (date_days)floor_div(secs, 86400);
	int64_t sod = secs - (int64_t)d * 86400;
	char day[11];
	date_format(d, day);
	int off = c->offset_minutes;
	if (off == 0)
		snprintf(out, 48, "%sT%02d:%02d:%02dZ", day, (int)(sod / 3600), (int)(sod / 60 % 60),
			 (int)(sod % 60));
	else
		snprintf(out, 48, "%sT%02d:%02d:%02d%c%02d:%02d", day, (int)(sod / 3600),
			 (int)(sod / 60 % 60), (int)(sod % 60), off < 0 ? '-' : '+', abs(off) / 60,
			 abs(off) % 60);
}

int clock_parse(const char *s, clock_us *out)
{
	char day[11];
	date_days d;
	int hh, mm, ss, n = 0;
	if (strlen(s) < 20 || s[10] != 'T')
		return -1;
	memcpy(day, s, 10);
	day[10] = '\0';
	if (date_parse(day, &d) || sscanf(s + 11, "%2d:%2d:%2d%n", &hh, &mm, &ss, &n) != 3 || n != 8 ||
	    hh > 23 || mm > 59 || ss > 60)
		return -1;
	const char *p = s + 19;
	int64_t frac_us = 0;
	if (*p == '.') {
		int64_t scale = 100000;
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9') {
			frac_us += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	int offset = 0;
	if (*p == 'Z' && p[1] == '\0') {
		offset = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int oh, om;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || oh > 14 || om > 59)
			return -1;
		offset = (*p == '-' ? -1 : 1) * (oh * 60 + om);
	} else {
		return -1;
	}
	int64_t secs = (int64_t)d * 86400 + hh * 3600 + mm * 60 + ss - (int64_t)offset * 60;
	*out = secs * 1000000 + frac_us;
	return 0;
}

int64_t clock_monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_monotonic_ms(void)
{
	return clock_monotonic_us() / 1000;
}
