/* Unit tests of csvout: no cell a spreadsheet would run as a formula, however the sign is dressed. */
#include "csvout.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool neutralised(const char *v)
{
	struct buf b;
	buf_init(&b);
	csv_cell(&b, v, true);
	const char *cell = b.data[0] == '"' ? b.data + 1 : b.data;
	bool ok = cell[0] == '\'';
	if (!ok)
		fprintf(stderr, "  not neutralised: %s", b.data);
	buf_release(&b);
	return ok;
}

TEST(csv_formula_signs_are_neutralised_in_every_dress)
{
	static const char *const formulas[] = {
		"=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1",
		" =1+1", "  @x", "\xe3\x80\x80=1+1" /* U+3000 */, "\xc2\xa0=1" /* NBSP */,
		"\xe2\x80\x8b=1+1" /* ZWSP */, "\xef\xbb\xbf=1" /* BOM */, "\xef\xbc\x9d" "1+1" /* ＝ */,
		"\xef\xbc\x8b" "1" /* ＋ */, "\xef\xbc\x8d" "1" /* － */, "\xef\xbc\xa0x" /* ＠ */,
		"\xef\xb9\xa6" "1" /* ﹦ */, "\n=1", "\xe2\x80\xa8=1" /* U+2028 */,
	};
	for (size_t i = 0; i < sizeof(formulas) / sizeof(formulas[0]); i++)
		CHECK(neutralised(formulas[i]));
}

TEST(csv_plain_cells_stay_as_they_are)
{
	static const char *const plain[] = { "釜石 花子", "1+1", "a=b", " x", "", "カフェ＝交流" };
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		CHECK(!csv_formula_start(plain[i]));
	CHECK(!csv_formula_start(NULL));
	/* an invalid byte ends the look: it is not a sign */
	CHECK(!csv_formula_start("\xff=1"));
}
