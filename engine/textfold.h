/*
 * textfold — the one way tsunagu compares Japanese text typed by people: NFKC
 * (libutf8proc) so that full-width and half-width forms meet, case folding,
 * katakana read as hiragana, and no spaces. かふぇ, ｶﾌｪ and カフェ fold alike, as do
 * "カマイシ ハナコ" and "かまいしはなこ". The resource search and the duplicate-person
 * check both compare folded text.
 */
#ifndef TSUNAGU_TEXTFOLD_H
#define TSUNAGU_TEXTFOLD_H

#include <stddef.h>

/* The folded form of UTF-8 text (caller frees), or NULL when it is not valid UTF-8. */
char *textfold_fold(const char *s, size_t len);

/*
 * Splits a search query at its spaces into folded terms (caller frees each and
 * the array). Empty terms are dropped. Returns the number of terms, or -1 when
 * the query is not valid UTF-8.
 */
int textfold_terms(const char *query, char ***terms);

/* The number of characters (code points) of UTF-8 text. */
size_t textfold_chars(const char *s);

#endif
