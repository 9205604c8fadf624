/*
 * token — randomness from OpenSSL's CSPRNG; hashing with SHA-256.
 */
#include "token.h"
#include "util.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fill_random(unsigned char *buf, size_t n)
{
	if (RAND_bytes(buf, (int)n) != 1) {
		fputs("tsunagu: no source of randomness\n", stderr);
		abort();
	}
}

char *token_generate(void)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[24];
	char out[4 + 32 + 1] = "tsu_";
	fill_random(raw, sizeof(raw));
	/* 24 bytes -> 32 base64url characters */
	for (size_t i = 0, o = 4; i < sizeof(raw); i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	out[36] = '\0';
	return xstrdup(out);
}

void token_sha256_hex(const void *data, size_t len, char out[TOKEN_HASH_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	static const char hex[] = "0123456789abcdef";
	EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void token_hash(const char *token, char out[TOKEN_HASH_HEX])
{
	token_sha256_hex(token, strlen(token), out);
}

char *token_new_id(const char *prefix)
{
	static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
	unsigned char raw[20];
	fill_random(raw, sizeof(raw));
	char body[21];
	for (size_t i = 0; i < 20; i++)
		body[i] = alphabet[raw[i] & 31];
	body[20] = '\0';
	return xasprintf("%s%s", prefix, body);
}
