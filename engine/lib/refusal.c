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
	refusal_release(r);
	r->code = code;
	r->field = field ? xstrdup(field) : NULL;
	va_start(ap, fmt);
	r->message = xvasprintf(fmt, ap);
	va_end(ap);
}

void refusal_ja(struct refusal *r, const char *fmt, ...)
{
	va_list ap;
	free(r->message_ja);
	va_start(ap, fmt);
	r->message_ja = xvasprintf(fmt, ap);
	va_end(ap);
}

void refusal_release(struct refusal *r)
{
	free(r->field);
	free(r->message);
	free(r->message_ja);
	memset(r, 0, sizeof(*r));
}
