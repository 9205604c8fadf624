/*
 * refusal — why a request or an input was refused, without any protocol in it:
 * a stable code (invalid_field, consent_required, …), the field at fault, and
 * the reason in English and Japanese. Rules and core return refusals; only the
 * API turns a code into an HTTP status (api.c, one table), and the command line
 * prints the message.
 */
#ifndef TSUNAGU_REFUSAL_H
#define TSUNAGU_REFUSAL_H

struct refusal {
	const char *code;          /* a static string; NULL while nothing was refused */
	char *field;               /* the field at fault, or NULL */
	char *message;
	char *message_ja;
};

/* Sets the refusal (replacing an earlier one): code, field and the English message (printf-style). */
__attribute__((format(printf, 4, 5)))
void refusal_set(struct refusal *r, const char *code, const char *field, const char *fmt, ...);

/* Sets the Japanese message (printf-style) of a refusal built by refusal_set. */
__attribute__((format(printf, 2, 3)))
void refusal_ja(struct refusal *r, const char *fmt, ...);

void refusal_release(struct refusal *r);

#endif
