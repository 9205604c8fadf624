/* Unit tests of textfold: the folding that Japanese search and duplicate checks rely on. */
#include "test.h"
#include "textfold.h"

#include <stdlib.h>

static void check_fold(const char *in, const char *want)
{
	char *got = textfold_fold(in, strlen(in));
	CHECK_STR(got, want);
	free(got);
}

TEST(textfold_meets_full_width_half_width_and_kana_forms)
{
	check_fold("カフェ", "かふぇ");
	check_fold("ｶﾌｪ", "かふぇ");
	check_fold("かふぇ", "かふぇ");
	check_fold("ｶﾞｯｺｳ", "がっこう");
	check_fold("１００歳体操", "100歳体操");
	check_fold("ＣＡＦＥ Ｃａｆé", "cafecafe");
	check_fold("Tsunagaru Café", "tsunagarucafe");
	check_fold("ガギグゲゴ", "がぎぐげご");
	check_fold("ﾊﾟﾝ", "ぱん");
	check_fold("ヴ", "ゔ");
	check_fold("ヽヾ", "ゝゞ");
	check_fold("ー", "ー");
}

TEST(textfold_drops_every_kind_of_space)
{
	check_fold("カマイシ　ハナコ", "かまいしはなこ");
	check_fold(" ｶﾏｲｼ ﾊﾅｺ\t", "かまいしはなこ");
	check_fold("つながる カフェ", "つながるかふぇ");
	check_fold("", "");
	check_fold("   ", "");
}

TEST(textfold_refuses_text_that_is_not_utf8)
{
	CHECK(textfold_fold("\xff\xfe", 2) == NULL);
	char **terms = NULL;
	CHECK_INT(textfold_terms("\x82\xa0", &terms), -1);
	CHECK(terms == NULL);
}

TEST(textfold_terms_split_at_spaces_and_fold_each)
{
	char **terms = NULL;
	int n = textfold_terms("  カフェ　鵜住居  ﾀｲｿｳ ", &terms);
	CHECK_INT(n, 3);
	CHECK_STR(terms[0], "かふぇ");
	CHECK_STR(terms[1], "鵜住居");
	CHECK_STR(terms[2], "たいそう");
	for (int i = 0; i < n; i++)
		free(terms[i]);
	free(terms);
	CHECK_INT(textfold_terms("　 ", &terms), 0);
	free(terms);
}

TEST(textfold_counts_characters_not_bytes)
{
	CHECK_INT(textfold_chars("体操"), 2);
	CHECK_INT(textfold_chars("かふぇ"), 3);
	CHECK_INT(textfold_chars("ab"), 2);
	CHECK_INT(textfold_chars(""), 0);
}
