/*
 * csvout — CSV for spreadsheets: RFC 4180 quoting, CRLF line ends, a UTF-8
 * byte-order mark so that Excel opens Japanese text correctly, and no cell a
 * spreadsheet would run as a formula: one beginning with a tab, a carriage
 * return, or =, +, -, @ (after any spaces, controls or invisible marks, and in
 * any form that folds to them: ＝, ﹦) is written with a single quote before it
 * (OWASP's rule, widened to what spreadsheets trim and fold).
 */
#ifndef TSUNAGU_CSVOUT_H
#define TSUNAGU_CSVOUT_H

#include <stdbool.h>

#include "util.h"

/* Starts a document with the UTF-8 BOM. */
void csv_begin(struct buf *b);
/* Would a spreadsheet take a cell beginning like v for a formula? */
bool csv_formula_start(const char *v);

/* Appends one cell (NULL as empty), neutralised if it would be a formula; `last` ends the row. */
void csv_cell(struct buf *b, const char *value, bool last);

/*
 * Converts UTF-8 text to CP932 (Windows' Shift_JIS); a character CP932 cannot
 * hold becomes 〓 and is counted in *unmappable. Caller frees; *out_len set.
 */
char *csv_to_cp932(const char *utf8, size_t len, size_t *out_len, int *unmappable);

#endif
