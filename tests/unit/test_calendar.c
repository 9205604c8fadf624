/* Unit tests of the business calendar and of timer due times (SPEC §5 Durations). */
#include "test.h"

#include "calendar.h"

static struct calendar cal;
static struct clock jst;

static void setup(char *const *closed, size_t n)
{
	clock_init(&jst, "Asia/Tokyo");
	calendar_release(&cal);
	calendar_init(&cal, &jst, 8 * 60 + 30, closed, n);
}

static clock_us at(const char *s)
{
	clock_us t = 0;
	CHECK_INT(clock_parse(s, &t), 0);
	return t;
}

static void check_due(const char *entered, long amount, enum duration_unit unit, const char *want)
{
	char got[48];
	clock_format(&jst, calendar_due(&cal, at(entered), amount, unit), got);
	CHECK_STR(got, want);
}

TEST(calendar_business_days_follow_the_spec_example)
{
	setup(NULL, 0);
	check_due("2026-05-01T15:00:00+09:00", 3, UNIT_BUSINESS_DAYS, "2026-05-11T08:30:00+09:00");
	/* the entry day never counts, whatever the hour */
	check_due("2026-05-07T00:01:00+09:00", 1, UNIT_BUSINESS_DAYS, "2026-05-08T08:30:00+09:00");
	check_due("2026-05-07T23:59:00+09:00", 1, UNIT_BUSINESS_DAYS, "2026-05-08T08:30:00+09:00");
	/* entered on a holiday */
	check_due("2026-05-05T10:00:00+09:00", 1, UNIT_BUSINESS_DAYS, "2026-05-07T08:30:00+09:00");
	/* the year-end closure */
	check_due("2026-12-28T10:00:00+09:00", 1, UNIT_BUSINESS_DAYS, "2027-01-04T08:30:00+09:00");
}

TEST(calendar_months_keep_the_day_and_clamp_to_the_month_end)
{
	setup(NULL, 0);
	check_due("2026-01-31T10:00:00+09:00", 1, UNIT_MONTHS, "2026-02-28T10:00:00+09:00");
	check_due("2028-01-31T10:00:00+09:00", 1, UNIT_MONTHS, "2028-02-29T10:00:00+09:00");
	check_due("2026-11-30T23:30:00+09:00", 3, UNIT_MONTHS, "2027-02-28T23:30:00+09:00");
	check_due("2026-08-15T09:00:00+09:00", 12, UNIT_MONTHS, "2027-08-15T09:00:00+09:00");
}

TEST(calendar_elapsed_units_are_plain_time)
{
	setup(NULL, 0);
	check_due("2026-05-01T15:00:00+09:00", 90, UNIT_MINUTES, "2026-05-01T16:30:00+09:00");
	check_due("2026-05-01T15:00:00+09:00", 10, UNIT_HOURS, "2026-05-02T01:00:00+09:00");
	check_due("2026-05-01T15:00:00+09:00", 3, UNIT_DAYS, "2026-05-04T15:00:00+09:00");
	check_due("2026-05-01T15:00:00+09:00", 2, UNIT_WEEKS, "2026-05-15T15:00:00+09:00");
	char got[48];
	date_days d;
	date_parse("2026-09-01", &d);
	clock_format(&jst, calendar_due_at_date(&cal, d), got);
	CHECK_STR(got, "2026-09-01T08:30:00+09:00");
}

TEST(calendar_closed_days_and_weekends_are_not_business_days)
{
	char *closed[] = { "2026-05-11" };
	setup(closed, 1);
	check_due("2026-05-01T15:00:00+09:00", 3, UNIT_BUSINESS_DAYS, "2026-05-12T08:30:00+09:00");
	date_days d;
	date_parse("2026-11-23", &d); /* 勤労感謝の日 */
	CHECK(!calendar_is_business_day(&cal, d));
	CHECK_STR(calendar_holiday_name(d), "勤労感謝の日");
	CHECK(calendar_is_business_day(&cal, d + 1));
	CHECK(!calendar_is_business_day(&cal, d - 2)); /* Saturday */
	date_parse("2027-01-03", &d);
	CHECK(!calendar_is_business_day(&cal, d));
	CHECK(calendar_holiday_name(d) == NULL);       /* closed, but not a national holiday */
	calendar_release(&cal);
}

TEST(calendar_knows_the_rule_changes)
{
	struct holiday hs[40];
	/* 1973: the first 振替休日 (4/29 Sunday -> 4/30) */
	int n = calendar_holidays(1973, hs, 40);
	int found = 0;
	for (int i = 0; i < n; i++) {
		char day[11];
		date_format(hs[i].date, day);
		if (!strcmp(day, "1973-04-30"))
			found = !strcmp(hs[i].name, "振替休日");
	}
	CHECK(found);
	/* 2020: the Olympic moves */
	date_days d;
	date_parse("2020-07-24", &d);
	CHECK_STR(calendar_holiday_name(d), "スポーツの日");
	date_parse("2020-10-12", &d);
	CHECK(calendar_holiday_name(d) == NULL);
	/* no 天皇誕生日 in 2019 */
	date_parse("2019-12-23", &d);
	CHECK(calendar_holiday_name(d) == NULL);
	CHECK_INT(calendar_holidays(1947, hs, 40), -1);
	CHECK_INT(calendar_holidays(2100, hs, 40), -1);
}
