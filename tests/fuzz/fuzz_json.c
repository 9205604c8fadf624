/*
 * Fuzz target: the JSON body reader every handler uses (jsonin): it accepts
 * only strict UTF-8 JSON without duplicate keys or NUL escapes, within its
 * depth; what it accepts must dump and read back to the same value.
 */
#include "jsonin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	json_t *v = jsonin_parse((const char *)data, size, &err);
	if (!v) {
		if (!err || !err[0])
			abort();
		free(err);
		return 0;
	}
	char *text = jsonin_dump(v);
	char *again_err = NULL;
	json_t *again = jsonin_parse(text, strlen(text), &again_err);
	if (!again || !json_equal(v, again))
		abort();
	json_decref(again);
	free(again_err);
	free(text);
	json_decref(v);
	return 0;
}
