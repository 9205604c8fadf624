/*
 * textfold — the one way tsunagu compares Japanese text typed by people: NFKC
 * (libutf8proc) so that full-width and half-width forms meet, case folding,
 * katakana read as hiragana, Latin letters without accents, and no spaces.
 * かふぇ, ｶﾌｪ and カフェ fold alike, as do "カマイシ ハナコ" and "かまいしはなこ". The resource search and the duplicate-person
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

/*
 * The key by which two records are taken to be the same person: a digest of the
 * folded kana and the birth date, so it can be compared without keeping either
 * in another column. Returns 0 and the hex digest, or -1 when either is missing.
 */
int textfold_person_key(const char *kana, const char *birth_date, char out[65]);

/* The number of characters (code points) of UTF-8 text. */
size_t textfold_chars(const char *s);

#endif
