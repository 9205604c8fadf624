/*
 * textfold — NFKC with case folding by utf8proc_map, then one pass over the code
 * points that turns katakana into hiragana, takes the accents off Latin letters
 * and drops or splits at spaces. Kana
 * are folded after NFKC because half-width katakana (ｶ, U+FF76) become katakana
 * only there, with their voiced marks composed (ｶﾞ → ガ).
 */
#include "textfold.h"
#include "token.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* NFKC, case-folded, default-ignorable characters removed; NUL-terminated (caller frees) or NULL. */
static utf8proc_uint8_t *normalise(const char *s, size_t len)
{
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &out,
					  UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
						  UTF8PROC_IGNORE);
	if (n < 0)
		return NULL;
	return out;
}

static bool is_space(utf8proc_int32_t cp)
{
	return cp == '\t' || cp == '\n' || cp == '\v' || cp == '\f' || cp == '\r' || cp == 0x85 ||
	       cp == 0x2028 || cp == 0x2029 || utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

/* Katakana as hiragana: ァ..ヶ → ぁ..ゖ, ヽヾ → ゝゞ; anything else as it is. */
static utf8proc_int32_t hiragana(utf8proc_int32_t cp)
{
	if ((cp >= 0x30A1 && cp <= 0x30F6) || cp == 0x30FD || cp == 0x30FE)
		return cp - 0x60;
	return cp;
}

static void add_char(struct buf *b, utf8proc_int32_t cp)
{
	utf8proc_uint8_t enc[4];
	utf8proc_ssize_t n = utf8proc_encode_char(cp, enc);
	buf_add(b, enc, (size_t)n);
}

/*
 * Latin letters lose their accents (café meets cafe). Only these: stripping
 * marks everywhere would also strip the voiced marks of kana (が → か).
 */
static void add_folded_char(struct buf *b, utf8proc_int32_t cp)
{
	if (cp >= 0x00C0 && cp <= 0x024F) {
		utf8proc_int32_t base[4];
		int boundclass = 0;
		utf8proc_ssize_t n = utf8proc_decompose_char(cp, base, 4, UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK |
									  UTF8PROC_CASEFOLD, &boundclass);
		if (n > 0 && n <= 4) {
			for (utf8proc_ssize_t i = 0; i < n; i++)
				add_char(b, base[i]);
			return;
		}
	}
	add_char(b, hiragana(cp));
}

/*
 * Folds s; with `terms`, splits at spaces into the terms array instead of
 * dropping them. Returns the folded text (or NULL with terms), -1 via *bad on
 * invalid UTF-8.
 */
static char *fold(const char *s, size_t len, char ***terms, size_t *n_terms, bool *bad)
{
	*bad = false;
	if (!utf8_valid(s, len)) {
		*bad = true;
		return NULL;
	}
	utf8proc_uint8_t *norm = normalise(s, len);
	if (!norm) {
		*bad = true;
		return NULL;
	}
	struct buf b;
	buf_init(&b);
	size_t alloc = 0;
	const utf8proc_uint8_t *p = norm;
	for (;;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t step = utf8proc_iterate(p, -1, &cp);
		bool end = step <= 0 || cp == 0;
		if (terms && (end || is_space(cp)) && b.len) {
			grow_array(terms, &alloc, *n_terms, sizeof(char *));
			(*terms)[(*n_terms)++] = buf_detach(&b);
			buf_init(&b);
		}
		if (end)
			break;
		p += step;
		if (!is_space(cp))
			add_folded_char(&b, cp);
	}
	free(norm);
	if (terms) {
		buf_release(&b);
		return NULL;
	}
	if (!b.len) {
		buf_release(&b);
		return xstrdup("");
	}
	return buf_detach(&b);
}

char *textfold_fold(const char *s, size_t len)
{
	bool bad;
	return fold(s, len, NULL, NULL, &bad);
}

int textfold_terms(const char *query, char ***terms)
{
	bool bad;
	size_t n = 0;
	*terms = NULL;
	fold(query, strlen(query), terms, &n, &bad);
	if (bad) {
		for (size_t i = 0; i < n; i++)
			free((*terms)[i]);
		free(*terms);
		*terms = NULL;
		return -1;
	}
	return (int)n;
}

int textfold_person_key(const char *kana, const char *birth_date, char out[65])
{
	if (!kana || !birth_date)
		return -1;
	char *folded = textfold_fold(kana, strlen(kana));
	if (!folded || !*folded) {
		free(folded);
		return -1;
	}
	char *text = xasprintf("tsunagu-person-v1;%s;%s", folded, birth_date);
	token_sha256_hex(text, strlen(text), out);
	free(text);
	free(folded);
	return 0;
}

size_t textfold_chars(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xC0) != 0x80;
	return n;
}
