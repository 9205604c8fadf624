/*
 * refusal — why a request or an input was refused, without any protocol in it:
 * a stable code (invalid_field, consent_required, …), the field at fault, and
 * the reason in English and Japanese. A check that finds several problems adds
 * each: the first stays the refusal, the others follow it in order, so a reply
 * can say every problem at once. Rules and core return refusals; only the API
 * turns a code into an HTTP status (api.c, one table), and the command line
 * prints the messages.
 */
#ifndef TSUNAGU_REFUSAL_H
#define TSUNAGU_REFUSAL_H

#include <stddef.h>

struct refusal_item {
	const char *code;          /* a static string */
	char *field;               /* the field at fault, or NULL */
	char *message;
	char *message_ja;
};

struct refusal {
	const char *code;          /* the first problem's; NULL while nothing was refused */
	char *field;
	char *message;
	char *message_ja;
	struct refusal_item *more; /* the problems found after the first, in order */
	size_t n_more;
};

/*
 * Adds a problem: code, field and the English message (printf-style). The first
 * becomes the refusal; later ones are kept after it.
 */
__attribute__((format(printf, 4, 5)))
void refusal_set(struct refusal *r, const char *code, const char *field, const char *fmt, ...);

/* Sets the Japanese message (printf-style) of the problem added last. */
__attribute__((format(printf, 2, 3)))
void refusal_ja(struct refusal *r, const char *fmt, ...);

/* How many problems the refusal holds (0 when nothing was refused). */
size_t refusal_count(const struct refusal *r);

/* The i-th problem (0 is the refusal itself), as an item. */
struct refusal_item refusal_at(const struct refusal *r, size_t i);

void refusal_release(struct refusal *r);

#endif
