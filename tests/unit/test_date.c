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

TEST(fiscal_years_read_as_people_write_them)
{
	static const struct { const char *text; int fy; } ok[] = {
		{ "2017", 2017 }, { "FY2024", 2024 }, { "平成29年度", 2017 }, { "H29年度", 2017 }, { "H29", 2017 },
		{ "令和元年度", 2019 }, { "R元", 2019 }, { "R1", 2019 }, { "R6年度", 2024 }, { "平成24年度", 2012 },
		{ "2024年度", 2024 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int fy = 0;
		CHECK(date_fiscal_parse(ok[i].text, &fy) == 0);
		CHECK_INT(fy, ok[i].fy);
		/* what the label says reads back as the same year */
		char l[32], s[32];
		date_fiscal_label(fy, l, s);
		int again = 0;
		CHECK(date_fiscal_parse(l, &again) == 0 && again == fy);
		CHECK(date_fiscal_parse(s, &again) == 0 && again == fy);
	}
	static const char *const bad[] = { "", "H", "平成", "29", "X29", "H29年", "R100", "2017-04", "令和元年度x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fy = 0;
		CHECK(date_fiscal_parse(bad[i], &fy) == -1);
	}
}
