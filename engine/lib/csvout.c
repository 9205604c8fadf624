/*
 * csvout — quoting only where needed: a cell with a comma, quote, CR or LF, or
 * leading/trailing space, is quoted, its quotes doubled.
 */
#include "csvout.h"

#include <stdlib.h>

#include <errno.h>

#include <iconv.h>
#include <string.h>
#include <utf8proc.h>

void csv_begin(struct buf *b)
{
	buf_adds(b, "\xEF\xBB\xBF");
}

/* = + - @ as a spreadsheet may read them: ASCII, full-width (＝), small (﹦), or any other form NFKC folds to them. */
static bool formula_sign(utf8proc_int32_t cp)
{
	utf8proc_int32_t folded[4];
	utf8proc_ssize_t n = utf8proc_decompose_char(cp, folded, 4,
						     (utf8proc_option_t)(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT), NULL);
	utf8proc_int32_t first = n >= 1 && n <= 4 ? folded[0] : cp;
	return first == '=' || first == '+' || first == '-' || first == '@';
}

bool csv_formula_start(const char *v)
{
	if (!v)
		return false;
	if (v[0] == '\t' || v[0] == '\r')
		return true;
	/*
	 * A spreadsheet trims what it sees as space before a formula, and shows
	 * nothing of a zero-width or byte-order mark: look past them all.
	 */
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)v;
	for (;;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
		if (n <= 0 || cp == 0)
			return false;
		utf8proc_category_t cat = utf8proc_category(cp);
		if (cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF ||
		    cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP) {
			p += n;
			continue;
		}
		return formula_sign(cp);
	}
}

void csv_cell(struct buf *b, const char *v, bool last)
{
	if (!v)
		v = "";
	/* A cell a spreadsheet would take for a formula is written as text: a single quote first (OWASP). */
	char *safe = csv_formula_start(v) ? xasprintf("'%s", v) : NULL;
	if (safe)
		v = safe;
	size_t n = strlen(v);
	bool quote = strpbrk(v, ",\"\r\n") || (n && (v[0] == ' ' || v[n - 1] == ' '));
	if (quote) {
		buf_addc(b, '"');
		for (const char *p = v; *p; p++) {
			if (*p == '"')
				buf_addc(b, '"');
			buf_addc(b, *p);
		}
		buf_addc(b, '"');
	} else {
		buf_adds(b, v);
	}
	buf_adds(b, last ? "\r\n" : ",");
	free(safe);
}

char *csv_to_cp932(const char *utf8, size_t len, size_t *out_len, int *unmappable)
{
	struct buf out;
	buf_init(&out);
	*unmappable = 0;
	iconv_t cd = iconv_open("CP932", "UTF-8");
	if (cd == (iconv_t)-1) {
		*out_len = 0;
		return buf_detach(&out);
	}
	char *in = (char *)utf8;
	size_t left = len;
	char chunk[4096];
	while (left > 0) {
		char *o = chunk;
		size_t room = sizeof(chunk);
		size_t rc = iconv(cd, &in, &left, &o, &room);
		int e = errno;
		buf_add(&out, chunk, sizeof(chunk) - room);
		if (rc != (size_t)-1 || e == E2BIG)
			continue;
		/* EILSEQ (or a cut sequence): one character CP932 lacks; write 〓 (0x81AC) and go on */
		size_t skip = 1;
		while (skip < left && ((unsigned char)in[skip] & 0xC0) == 0x80)
			skip++;
		in += skip;
		left -= skip;
		buf_add(&out, "\x81\xac", 2);
		(*unmappable)++;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	iconv_close(cd);
	*out_len = out.len;
	return buf_detach(&out);
}
