/*
 * csvout — quoting only where needed: a cell with a comma, quote, CR or LF, or
 * leading/trailing space, is quoted, its quotes doubled.
 */
#include "csvout.h"

#include <string.h>

void csv_begin(struct buf *b)
{
	buf_adds(b, "\xEF\xBB\xBF");
}

void csv_cell(struct buf *b, const char *v, bool last)
{
	if (!v)
		v = "";
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
}
