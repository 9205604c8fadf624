/*
 * token — randomness from OpenSSL's CSPRNG for secrets, the kernel's for ids;
 * hashing with SHA-256.
 */
#include "token.h"
#include "util.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/random.h>
#include <time.h>

void token_random(void *buf, size_t n)
{
	if (RAND_bytes(buf, (int)n) != 1) {
		fputs("tsunagu: no source of randomness\n", stderr);
		abort();
	}
}

/*
 * The random part of ids: from a buffer of the kernel's getrandom() per thread,
 * refilled 4 KiB at a time. Ids are not secrets (access never depends on an id
 * being unguessable), and OpenSSL's RAND_bytes checks the process id on each
 * call (a getpid per id, seven per referral); secrets keep using RAND_bytes.
 */
#define ID_POOL 4096
static _Thread_local unsigned char id_pool[ID_POOL];
static _Thread_local size_t id_pool_left;

static void id_random(unsigned char *out, size_t n)
{
	if (id_pool_left < n) {
		size_t got = 0;
		while (got < ID_POOL) {
			ssize_t r = getrandom(id_pool + got, ID_POOL - got, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				token_random(id_pool, ID_POOL);
				break;
			}
			got += (size_t)r;
		}
		id_pool_left = ID_POOL;
	}
	memcpy(out, id_pool + ID_POOL - id_pool_left, n);
	/* used bytes are not kept: a later dump of the memory does not show past ids' randomness */
	memset(id_pool + ID_POOL - id_pool_left, 0, n);
	id_pool_left -= n;
}

char *token_generate(void)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[24];
	char out[4 + 32 + 1] = "tsu_";
	token_random(raw, sizeof(raw));
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
	/* Time first (milliseconds, 45 bits), then 55 random bits: new rows land at
	 * the end of every index instead of on random pages, which keeps each group
	 * commit small. Access to an object never depends on its id being secret. */
	static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	unsigned char raw[11];
	id_random(raw, sizeof(raw));
	char body[21];
	for (int i = 8; i >= 0; i--) {
		body[i] = alphabet[ms & 31];
		ms >>= 5;
	}
	for (size_t i = 0; i < 11; i++)
		body[9 + i] = alphabet[raw[i] & 31];
	body[20] = '\0';
	return xasprintf("%s%s", prefix, body);
}

char *token_enrolment_code(void)
{
	/* 80 bits in four groups of Crockford's base32, which has no I, L, O or U to misread */
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	unsigned char raw[16];
	token_random(raw, sizeof(raw));
	char out[20];
	size_t o = 0;
	for (size_t i = 0; i < 16; i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = alphabet[raw[i] & 31];
	}
	out[o] = '\0';
	return xstrdup(out);
}

void token_code_hash(const char *code, char out[TOKEN_HASH_HEX])
{
	/* typed by people: case, spaces and dashes do not count, and O, I, L read as 0, 1, 1 */
	char folded[64];
	size_t n = 0;
	for (const char *p = code; *p && n < sizeof(folded) - 1; p++) {
		if (*p == '-' || *p == ' ')
			continue;
		char ch = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		folded[n++] = ch == 'O' ? '0' : ch == 'I' || ch == 'L' ? '1' : ch;
	}
	folded[n] = '\0';
	token_sha256_hex(folded, n, out);
}
