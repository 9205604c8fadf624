/*
 * csvin — reading CSV as municipal systems and spreadsheets write it: RFC 4180
 * quoting with doubled quotes, CRLF or LF line ends, and the line each record
 * starts on, so that an error can point at file:line. Text is decoded first:
 * UTF-8 with or without a byte-order mark, or CP932 (Windows' Shift_JIS).
 */
#ifndef TSUNAGU_CSVIN_H
#define TSUNAGU_CSVIN_H

#include <stddef.h>

struct csv_row {
	char **cells;
	size_t n;
	int line;                  /* the line the row starts on (1-based) */
};

void csvin_row_release(struct csv_row *r);

/*
 * The UTF-8 text of a file's bytes (caller frees, *out_len set) without a BOM,
 * or NULL when the bytes are neither UTF-8 nor CP932.
 */
char *csvin_decode(const char *data, size_t len, size_t *out_len);

/*
 * Reads the record at *pos of text (len bytes), advancing *pos and *line.
 * Returns 0 with *row (caller releases), 1 at the end of the text, or -1 when a
 * quoted value is not closed before the end.
 */
int csvin_next(const char *text, size_t len, size_t *pos, int *line, struct csv_row *row);

#endif
