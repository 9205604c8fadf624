/* Unit tests of civil-date arithmetic. */
#include "test.h"

#include "date.h"

TEST(date_round_trips_and_knows_weekdays)
{
	date_days d;
	char out[11];
	CHECK_INT(date_parse("1970-01-01", &d), 0);
	CHECK_INT(d, 0);
	CHECK_INT(date_weekday(d), 4);
	CHECK_INT(date_parse("2026-05-01", &d), 0);
	CHECK_INT(date_weekday(d), 5); /* Friday */
	date_format(d + 10, out);
	CHECK_STR(out, "2026-05-11");
	for (date_days x = date_from_ymd(1899, 12, 25); x < date_from_ymd(2101, 1, 5); x++) {
		int y, m, dd;
		date_to_ymd(x, &y, &m, &dd);
		CHECK_INT(date_from_ymd(y, m, dd), x);
	}
}

TEST(date_parse_is_strict)
{
	date_days d;
	CHECK_INT(date_parse("2024-02-29", &d), 0);
	CHECK_INT(date_parse("2023-02-29", &d), -1);
	CHECK_INT(date_parse("2026-13-01", &d), -1);
	CHECK_INT(date_parse("2026-1-01", &d), -1);
	CHECK_INT(date_parse("2026-01-01T00:00", &d), -1);
	CHECK_INT(date_parse("", &d), -1);
	CHECK_INT(date_days_in_month(2100, 2), 28);
	CHECK_INT(date_days_in_month(2000, 2), 29);
}

TEST(fiscal_years_are_labelled_by_the_era_of_their_last_day)
{
	char l[32], s[32];
	date_fiscal_label(2019, l, s);
	CHECK_STR(l, "令和元年度");
	CHECK_STR(s, "R1年度");
	date_fiscal_label(2018, l, s);
	CHECK_STR(l, "平成30年度");
	CHECK_STR(s, "H30年度");
	date_fiscal_label(2026, l, s);
	CHECK_STR(l, "令和8年度");
	CHECK_STR(s, "R8年度");
	date_fiscal_label(1989, l, s);
	CHECK_STR(l, "平成元年度");
	date_fiscal_label(1988, l, s);
	CHECK_STR(l, "昭和63年度");
	date_days d;
	date_parse("2026-03-31", &d);
	CHECK_INT(date_fiscal_year(d), 2025);
	date_parse("2026-04-01", &d);
	CHECK_INT(date_fiscal_year(d), 2026);
}
