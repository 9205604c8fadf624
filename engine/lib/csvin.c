/*
 * csvin — CP932 is decoded with iconv; the reader keeps one cell buffer and
 * counts the lines that quoted values span, so row numbers stay true.
 */
#include "csvin.h"
#include "util.h"

#include <iconv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

char *csvin_decode(const char *data, size_t len, size_t *out_len)
{
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
		data += 3;
		len -= 3;
	}
	if (utf8_valid(data, len)) {
		*out_len = len;
		return xstrndup(data, len);
	}
	iconv_t cd = iconv_open("UTF-8", "CP932");
	if (cd == (iconv_t)-1)
		return NULL;
	size_t cap = len * 3 + 16, left_in = len, left_out = cap;
	char *out = xmalloc(cap + 1), *in = (char *)data, *o = out;
	size_t rc = iconv(cd, &in, &left_in, &o, &left_out);
	iconv_close(cd);
	if (rc == (size_t)-1 || !utf8_valid(out, cap - left_out)) {
		free(out);
		return NULL;
	}
	*out_len = cap - left_out;
	out[*out_len] = '\0';
	return out;
}

void csvin_row_release(struct csv_row *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->cells[i]);
	free(r->cells);
}

int csvin_next(const char *text, size_t len, size_t *pos, int *line, struct csv_row *row)
{
	memset(row, 0, sizeof(*row));
	if (*pos >= len)
		return 1;
	size_t alloc = 0;
	row->line = *line;
	struct buf cell;
	buf_init(&cell);
	bool quoted = false, was_quoted = false;
	for (;;) {
		char c = *pos < len ? text[*pos] : '\0';
		bool end = *pos >= len;
		if (quoted) {
			if (end) {
				/* A malformed record gives back nothing, so no caller holds half a row. */
				buf_release(&cell);
				csvin_row_release(row);
				memset(row, 0, sizeof(*row));
				return -1;
			}
			(*pos)++;
			if (c == '"') {
				if (*pos < len && text[*pos] == '"') {
					buf_addc(&cell, '"');
					(*pos)++;
				} else {
					quoted = false;
				}
			} else {
				if (c == '\n')
					(*line)++;
				buf_addc(&cell, c);
			}
			continue;
		}
		if (end || c == ',' || c == '\n' || c == '\r') {
			grow_array(&row->cells, &alloc, row->n, sizeof(char *));
			row->cells[row->n++] = buf_detach(&cell);
			buf_init(&cell);
			was_quoted = false;
			if (end) {
				buf_release(&cell);
				return 0;
			}
			(*pos)++;
			if (c == ',')
				continue;
			if (c == '\r' && *pos < len && text[*pos] == '\n')
				(*pos)++;
			(*line)++;
			buf_release(&cell);
			return 0;
		}
		(*pos)++;
		if (c == '"' && cell.len == 0 && !was_quoted) {
			quoted = was_quoted = true;
			continue;
		}
		buf_addc(&cell, c);
	}
}

