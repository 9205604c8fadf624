/*
 * calendar — holidays are computed year by year from the rules in force that
 * year, in three passes: the named holidays (国民の祝日, with the one-off days
 * that special laws made holidays), then 振替休日, then 国民の休日. No table to
 * keep up to date, except the law's own changes, which are dated below.
 */
#include "calendar.h"
#include "util.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HOLIDAYS 32

static date_days ymd(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

/* The nth Monday of a month (Happy Monday system). */
static date_days nth_monday(int y, int m, int n)
{
	date_days first = ymd(y, m, 1);
	int offset = (8 - date_weekday(first)) % 7; /* days to the first Monday */
	return first + offset + (n - 1) * 7;
}

/* Equinox days by the astronomical approximation used for the official announcements. */
static int vernal_equinox_day(int y)
{
	if (y <= 1979)
		return (int)(20.8357 + 0.242194 * (y - 1980) - (int)((y - 1983) / 4));
	return (int)(20.8431 + 0.242194 * (y - 1980) - (int)((y - 1980) / 4));
}

static int autumnal_equinox_day(int y)
{
	if (y <= 1979)
		return (int)(23.2588 + 0.242194 * (y - 1980) - (int)((y - 1983) / 4));
	return (int)(23.2488 + 0.242194 * (y - 1980) - (int)((y - 1980) / 4));
}

struct list {
	struct holiday items[MAX_HOLIDAYS];
	size_t n;
};

static void add(struct list *l, date_days d, const char *name)
{
	if (l->n < MAX_HOLIDAYS)
		l->items[l->n++] = (struct holiday){ d, name };
}

static int find(const struct list *l, date_days d)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].date == d)
			return (int)i;
	return -1;
}

/* The named holidays (and one-off days) of year y. The Act took effect on 1948-07-20. */
static void named_holidays(int y, struct list *l)
{
	date_days act = ymd(1948, 7, 20);
	struct list all = { .n = 0 };
	add(&all, ymd(y, 1, 1), "元日");
	if (y >= 2000)
		add(&all, nth_monday(y, 1, 2), "成人の日");
	else
		add(&all, ymd(y, 1, 15), "成人の日");
	if (y >= 1967)
		add(&all, ymd(y, 2, 11), "建国記念の日");
	if (y >= 2020)
		add(&all, ymd(y, 2, 23), "天皇誕生日");
	add(&all, ymd(y, 3, vernal_equinox_day(y)), "春分の日");
	if (y >= 2007)
		add(&all, ymd(y, 4, 29), "昭和の日");
	else if (y >= 1989)
		add(&all, ymd(y, 4, 29), "みどりの日");
	else
		add(&all, ymd(y, 4, 29), "天皇誕生日");
	add(&all, ymd(y, 5, 3), "憲法記念日");
	if (y >= 2007)
		add(&all, ymd(y, 5, 4), "みどりの日");
	add(&all, ymd(y, 5, 5), "こどもの日");
	if (y == 2020)
		add(&all, ymd(y, 7, 23), "海の日");
	else if (y == 2021)
		add(&all, ymd(y, 7, 22), "海の日");
	else if (y >= 2003)
		add(&all, nth_monday(y, 7, 3), "海の日");
	else if (y >= 1996)
		add(&all, ymd(y, 7, 20), "海の日");
	if (y == 2020)
		add(&all, ymd(y, 8, 10), "山の日");
	else if (y == 2021)
		add(&all, ymd(y, 8, 8), "山の日");
	else if (y >= 2016)
		add(&all, ymd(y, 8, 11), "山の日");
	if (y >= 2003)
		add(&all, nth_monday(y, 9, 3), "敬老の日");
	else if (y >= 1966)
		add(&all, ymd(y, 9, 15), "敬老の日");
	add(&all, ymd(y, 9, autumnal_equinox_day(y)), "秋分の日");
	if (y == 2020)
		add(&all, ymd(y, 7, 24), "スポーツの日");
	else if (y == 2021)
		add(&all, ymd(y, 7, 23), "スポーツの日");
	else if (y >= 2022)
		add(&all, nth_monday(y, 10, 2), "スポーツの日");
	else if (y >= 2000)
		add(&all, nth_monday(y, 10, 2), "体育の日");
	else if (y >= 1966)
		add(&all, ymd(y, 10, 10), "体育の日");
	add(&all, ymd(y, 11, 3), "文化の日");
	add(&all, ymd(y, 11, 23), "勤労感謝の日");
	if (y >= 1989 && y <= 2018)
		add(&all, ymd(y, 12, 23), "天皇誕生日");
	/* One-off days made holidays by special laws. */
	if (y == 1959)
		add(&all, ymd(1959, 4, 10), "皇太子明仁親王の結婚の儀");
	if (y == 1989)
		add(&all, ymd(1989, 2, 24), "昭和天皇の大喪の礼");
	if (y == 1990)
		add(&all, ymd(1990, 11, 12), "即位礼正殿の儀");
	if (y == 1993)
		add(&all, ymd(1993, 6, 9), "皇太子徳仁親王の結婚の儀");
	if (y == 2019) {
		add(&all, ymd(2019, 5, 1), "天皇の即位の日");
		add(&all, ymd(2019, 10, 22), "即位礼正殿の儀");
	}
	for (size_t i = 0; i < all.n; i++)
		if (all.items[i].date >= act)
			add(l, all.items[i].date, all.items[i].name);
}

static int cmp_holiday(const void *a, const void *b)
{
	const struct holiday *x = a, *y = b;
	return x->date < y->date ? -1 : x->date > y->date;
}

int calendar_holidays(int year, struct holiday *out, size_t max)
{
	if (year < CALENDAR_FIRST_YEAR || year > CALENDAR_LAST_YEAR)
		return -1;
	struct list named = { .n = 0 }, result = { .n = 0 };
	named_holidays(year, &named);
	result = named;
	date_days substitute_from = ymd(1973, 4, 12), rule_2007 = ymd(2007, 1, 1);
	date_days sandwich_from = ymd(1985, 12, 27);
	/* 振替休日: a named holiday on a Sunday moves to the next day (since 2007: the
	 * next day that is not a holiday). */
	struct list substitutes = { .n = 0 };
	for (size_t i = 0; i < named.n; i++) {
		date_days d = named.items[i].date;
		if (date_weekday(d) != 0 || d < substitute_from)
			continue;
		date_days next = d + 1;
		if (d >= rule_2007) {
			while (find(&named, next) >= 0)
				next++;
		} else if (find(&named, next) >= 0) {
			continue;
		}
		if (find(&substitutes, next) < 0)
			add(&substitutes, next, "振替休日");
	}
	for (size_t i = 0; i < substitutes.n; i++)
		add(&result, substitutes.items[i].date, substitutes.items[i].name);
	/* 国民の休日: a day between two named holidays (before 2007 not a Sunday nor a 振替休日). */
	for (size_t i = 0; i < named.n; i++) {
		date_days d = named.items[i].date + 1;
		if (d < sandwich_from || find(&named, d) >= 0 || find(&named, d + 1) < 0)
			continue;
		if (d < rule_2007 && (date_weekday(d) == 0 || find(&substitutes, d) >= 0))
			continue;
		if (find(&result, d) < 0)
			add(&result, d, "国民の休日");
	}
	qsort(result.items, result.n, sizeof(result.items[0]), cmp_holiday);
	size_t n = result.n < max ? result.n : max;
	memcpy(out, result.items, n * sizeof(*out));
	return (int)n;
}

const char *calendar_holiday_name(date_days d)
{
	int y, m, dd;
	date_to_ymd(d, &y, &m, &dd);
	struct holiday hs[MAX_HOLIDAYS];
	int n = calendar_holidays(y, hs, MAX_HOLIDAYS);
	for (int i = 0; i < n; i++)
		if (hs[i].date == d)
			return hs[i].name;
	return NULL;
}

static int cmp_days(const void *a, const void *b)
{
	date_days x = *(const date_days *)a, y = *(const date_days *)b;
	return x < y ? -1 : x > y;
}

int calendar_init(struct calendar *cal, const struct clock *clock, int business_start_minutes,
		  char *const *closed_days, size_t n_closed_days)
{
	memset(cal, 0, sizeof(*cal));
	cal->clock = clock;
	cal->business_start_minutes = business_start_minutes;
	cal->closed_days = xcalloc(n_closed_days ? n_closed_days : 1, sizeof(date_days));
	for (size_t i = 0; i < n_closed_days; i++) {
		if (date_parse(closed_days[i], &cal->closed_days[i])) {
			calendar_release(cal);
			return -1;
		}
	}
	cal->n_closed_days = n_closed_days;
	qsort(cal->closed_days, n_closed_days, sizeof(date_days), cmp_days);
	return 0;
}

void calendar_release(struct calendar *cal)
{
	free(cal->closed_days);
	cal->closed_days = NULL;
	cal->n_closed_days = 0;
}

/*
 * Which days of the years the calendar knows are national holidays, worked
 * out once for the process: a timer's due date checks a handful of days, and
 * working out a year's holidays each time was a percent of the daemon's time.
 */
static uint8_t *holiday_bits;
static date_days holiday_first, holiday_last;
static pthread_once_t holidays_once = PTHREAD_ONCE_INIT;

static void mark_holidays(void)
{
	holiday_first = ymd(CALENDAR_FIRST_YEAR, 1, 1);
	holiday_last = ymd(CALENDAR_LAST_YEAR, 12, 31);
	holiday_bits = xcalloc((size_t)(holiday_last - holiday_first) / 8 + 1, 1);
	struct holiday hs[MAX_HOLIDAYS];
	for (int y = CALENDAR_FIRST_YEAR; y <= CALENDAR_LAST_YEAR; y++) {
		int n = calendar_holidays(y, hs, MAX_HOLIDAYS);
		for (int i = 0; i < n; i++) {
			size_t k = (size_t)(hs[i].date - holiday_first);
			holiday_bits[k / 8] |= (uint8_t)(1u << (k % 8));
		}
	}
}

static bool national_holiday(date_days d)
{
	pthread_once(&holidays_once, mark_holidays);
	if (d < holiday_first || d > holiday_last)
		return false;
	size_t k = (size_t)(d - holiday_first);
	return holiday_bits[k / 8] & (1u << (k % 8));
}

bool calendar_is_business_day(const struct calendar *cal, date_days d)
{
	int w = date_weekday(d);
	if (w == 0 || w == 6)
		return false;
	int y, m, dd;
	date_to_ymd(d, &y, &m, &dd);
	if ((m == 12 && dd >= 29) || (m == 1 && dd <= 3))
		return false; /* the municipal year-end closure */
	if (cal && bsearch(&d, cal->closed_days, cal->n_closed_days, sizeof(date_days), cmp_days))
		return false;
	return !national_holiday(d);
}

date_days calendar_add_business_days(const struct calendar *cal, date_days d, long n)
{
	while (n > 0) {
		d++;
		if (calendar_is_business_day(cal, d))
			n--;
	}
	return d;
}

long calendar_business_days_between(const struct calendar *cal, date_days from, date_days to)
{
	/* bounded: a due date years away says no more than "a long way off" */
	long n = 0, sign = to >= from ? 1 : -1;
	date_days lo = to >= from ? from : to, hi = to >= from ? to : from;
	if (hi - lo > 3660)
		hi = lo + 3660;
	for (date_days d = lo + 1; d <= hi; d++)
		if (calendar_is_business_day(cal, d))
			n++;
	return sign * n;
}

clock_us calendar_business_start(const struct calendar *cal, date_days d)
{
	return clock_local_midnight(cal->clock, d) + (clock_us)cal->business_start_minutes * 60 * 1000000;
}

clock_us calendar_due_at_date(const struct calendar *cal, date_days d)
{
	return calendar_business_start(cal, d);
}

clock_us calendar_due(const struct calendar *cal, clock_us entered, long amount, enum duration_unit unit)
{
	const clock_us minute = 60 * (clock_us)1000000;
	switch (unit) {
	case UNIT_MINUTES: return entered + amount * minute;
	case UNIT_HOURS: return entered + amount * 60 * minute;
	case UNIT_DAYS: return entered + amount * 24 * 60 * minute;
	case UNIT_WEEKS: return entered + amount * 7 * 24 * 60 * minute;
	case UNIT_BUSINESS_DAYS: {
		date_days day = clock_local_date(cal->clock, entered);
		return calendar_business_start(cal, calendar_add_business_days(cal, day, amount));
	}
	case UNIT_MONTHS: {
		/* The same local time of day, on the same day of month, clamped to its end. */
		date_days day = clock_local_date(cal->clock, entered);
		clock_us into_day = entered - clock_local_midnight(cal->clock, day);
		int y, m, d;
		date_to_ymd(day, &y, &m, &d);
		long months = (long)y * 12 + (m - 1) + amount;
		int ny = (int)(months / 12), nm = (int)(months % 12) + 1;
		int last = date_days_in_month(ny, nm);
		date_days target = date_from_ymd(ny, nm, d < last ? d : last);
		return clock_local_midnight(cal->clock, target) + into_day;
	}
	case UNIT_COUNT:
		break;
	}
	return entered;
}
