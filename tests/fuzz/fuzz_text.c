/*
 * Fuzz target: the text people type and the files they send. Folds the input
 * as a search text and as query terms (textfold), and reads it as a CSV file in
 * UTF-8 or CP932 (csvin), checking what every reader promises of its output.
 */
#include "csvin.h"
#include "textfold.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char *folded = textfold_fold(text, size);
	if (folded && !utf8_valid(folded, strlen(folded)))
		abort();
	free(folded);
	char *copy = xstrndup(text, size);
	char **terms = NULL;
	int n = textfold_terms(copy, &terms);
	for (int i = 0; i < n; i++) {
		if (!terms[i][0] || strpbrk(terms[i], " \t\n"))
			abort();
		free(terms[i]);
	}
	free(terms);
	free(copy);
	size_t len = 0;
	char *decoded = csvin_decode(text, size, &len);
	if (decoded) {
		size_t pos = 0;
		int line = 1, rows = 0;
		struct csv_row row;
		while (csvin_next(decoded, len, &pos, &line, &row) == 0 && rows++ < 100000) {
			if (row.n == 0 || row.line < 1 || row.line > line)
				abort();
			csvin_row_release(&row);
		}
		free(decoded);
	}
	return 0;
}
