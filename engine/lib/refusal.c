/*
 * refusal — a refusal owns its texts; releasing leaves it empty, so it can be
 * set again or released twice.
 */
#include "refusal.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void refusal_set(struct refusal *r, const char *code, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *message = xvasprintf(fmt, ap);
	va_end(ap);
	if (!r->code) {
		r->code = code;
		r->field = field ? xstrdup(field) : NULL;
		r->message = message;
		return;
	}
	r->more = xrealloc(r->more, (r->n_more + 1) * sizeof(*r->more));
	r->more[r->n_more++] = (struct refusal_item){ code, field ? xstrdup(field) : NULL, message, NULL };
}

void refusal_ja(struct refusal *r, const char *fmt, ...)
{
	va_list ap;
	char **slot = r->n_more ? &r->more[r->n_more - 1].message_ja : &r->message_ja;
	free(*slot);
	va_start(ap, fmt);
	*slot = xvasprintf(fmt, ap);
	va_end(ap);
}

size_t refusal_count(const struct refusal *r)
{
	return r->code ? 1 + r->n_more : 0;
}

struct refusal_item refusal_at(const struct refusal *r, size_t i)
{
	if (i == 0)
		return (struct refusal_item){ r->code, r->field, r->message, r->message_ja };
	return r->more[i - 1];
}

void refusal_release(struct refusal *r)
{
	free(r->field);
	free(r->message);
	free(r->message_ja);
	for (size_t i = 0; i < r->n_more; i++) {
		free(r->more[i].field);
		free(r->more[i].message);
		free(r->more[i].message_ja);
	}
	free(r->more);
	memset(r, 0, sizeof(*r));
}
