/*
 * totp — time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps,
 * six digits), as every authenticator app makes them, and the otpauth:// URI
 * that sets one up. Secrets travel in base32 (RFC 4648, no padding).
 */
#ifndef TSUNAGU_TOTP_H
#define TSUNAGU_TOTP_H

#include <stdint.h>

#define TOTP_STEP_SECONDS 30
/* 160 random bits, as RFC 4226 recommends: 32 base32 characters */
#define TOTP_SECRET_CHARS 32

/* A new random secret in base32 (caller frees). */
char *totp_secret_new(void);

/* The six-digit code of a secret at a time step (unix seconds / 30); -1 for a malformed secret. */
int totp_code(const char *secret_base32, int64_t step);

/*
 * Checks a code typed at unix time `now` against the steps one before to one
 * after (clocks drift): the matching step (> 0), or 0 when none matches.
 * The caller refuses a step it has accepted already.
 */
int64_t totp_match(const char *secret_base32, const char *code, int64_t now_seconds);

/* otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=… (caller frees); both are percent-encoded. */
char *totp_uri(const char *issuer, const char *account, const char *secret_base32);

#endif
