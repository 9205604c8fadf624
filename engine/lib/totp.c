/*
 * totp — RFC 6238 over OpenSSL's HMAC-SHA1, with RFC 4226's dynamic truncation.
 */
#include "totp.h"
#include "token.h"
#include "util.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

static const char base32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

char *totp_secret_new(void)
{
	unsigned char raw[20];
	token_random(raw, sizeof(raw));
	char *out = xmalloc(TOTP_SECRET_CHARS + 1);
	/* 20 bytes are 160 bits, 32 characters of 5 bits */
	for (int i = 0; i < TOTP_SECRET_CHARS; i++) {
		int bit = i * 5, byte = bit / 8, shift = bit % 8;
		unsigned v = (unsigned)raw[byte] << 8 | (byte + 1 < 20 ? raw[byte + 1] : 0);
		out[i] = base32[(v >> (11 - shift)) & 31];
	}
	out[TOTP_SECRET_CHARS] = '\0';
	return out;
}

/* Decodes base32 (upper or lower case, no padding) into out: its length, or -1. */
static int decode(const char *s, unsigned char *out, size_t cap)
{
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0;
	for (; *s; s++) {
		char c = *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s;
		const char *at = c ? strchr(base32, c) : NULL;
		if (!at)
			return -1;
		acc = (acc << 5 | (unsigned)(at - base32)) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			if (n == cap)
				return -1;
			out[n++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return (int)n;
}

int totp_code(const char *secret_base32, int64_t step)
{
	unsigned char key[64];
	int key_len = decode(secret_base32, key, sizeof(key));
	if (key_len < 10)
		return -1;
	unsigned char msg[8];
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(step & 0xff);
		step >>= 8;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (!HMAC(EVP_sha1(), key, key_len, msg, sizeof(msg), md, &md_len) || md_len < 20)
		return -1;
	int off = md[md_len - 1] & 0x0f;
	uint32_t bin = (uint32_t)(md[off] & 0x7f) << 24 | (uint32_t)md[off + 1] << 16 | (uint32_t)md[off + 2] << 8 |
		       md[off + 3];
	return (int)(bin % 1000000);
}

int64_t totp_match(const char *secret_base32, const char *code, int64_t now_seconds)
{
	char digits[7];
	size_t n = 0;
	for (const char *p = code; *p; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (*p < '0' || *p > '9' || n == 6)
			return 0;
		digits[n++] = *p;
	}
	if (n != 6)
		return 0;
	digits[6] = '\0';
	int want = (int)strtol(digits, NULL, 10);
	int64_t step = now_seconds / TOTP_STEP_SECONDS;
	for (int64_t s = step - 1; s <= step + 1; s++)
		if (s > 0 && totp_code(secret_base32, s) == want)
			return s;
	return 0;
}

/* Percent-encodes everything but unreserved characters (RFC 3986). */
static void add_encoded(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~')
			buf_addc(b, (char)*p);
		else
			buf_printf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
}

char *totp_uri(const char *issuer, const char *account, const char *secret_base32)
{
	struct buf b;
	buf_init(&b);
	buf_adds(&b, "otpauth://totp/");
	add_encoded(&b, issuer);
	buf_adds(&b, ":");
	add_encoded(&b, account);
	buf_printf(&b, "?secret=%s&issuer=", secret_base32);
	add_encoded(&b, issuer);
	buf_adds(&b, "&algorithm=SHA1&digits=6&period=30");
	return buf_detach(&b);
}
