/*
 * jsonin — a pre-scan bounds nesting (jansson's own limit is 2048 levels), then
 * jansson decodes with duplicate keys refused and the exact length given.
 */
#include "jsonin.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>

static int max_depth(const char *s, size_t len)
{
	int depth = 0, worst = 0;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == '{' || c == '[') {
			if (++depth > worst)
				worst = depth;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return worst;
}

json_t *jsonin_parse(const char *body, size_t len, char **err)
{
	if (len == 0) {
		*err = xstrdup("the request body is empty; send a JSON object");
		return NULL;
	}
	if (!utf8_valid(body, len)) {
		*err = xstrdup("the request body is not valid UTF-8");
		return NULL;
	}
	if (max_depth(body, len) > JSONIN_MAX_DEPTH) {
		*err = xasprintf("the JSON body is nested deeper than %d levels", JSONIN_MAX_DEPTH);
		return NULL;
	}
	json_error_t je;
	json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!v) {
		/* jansson's own words would name its flag: say what is wrong with the text instead */
		const char *why = json_error_code(&je) == json_error_null_character
					  ? "a string holds \\u0000 (NUL), which no text may hold" : je.text;
		*err = xasprintf("malformed JSON at line %d, column %d: %s", je.line, je.column, why);
		return NULL;
	}
	return v;
}

char *jsonin_dump(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	if (!s) {
		fputs("tsunagu: out of memory\n", stderr);
		abort();
	}
	return s;
}
