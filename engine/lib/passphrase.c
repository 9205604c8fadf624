/*
 * passphrase — Argon2id with OWASP's minimum (19 MiB, two passes, one lane)
 * and a 16-byte salt from the CSPRNG.
 */
#include "passphrase.h"
#include "token.h"
#include "util.h"

#include <argon2.h>
#include <stdlib.h>
#include <string.h>

#define T_COST 2
#define M_COST_KIB 19456
#define LANES 1
#define SALT_BYTES 16
#define HASH_BYTES 32

char *passphrase_hash(const char *passphrase)
{
	unsigned char salt[SALT_BYTES];
	token_random(salt, sizeof(salt));
	size_t len = argon2_encodedlen(T_COST, M_COST_KIB, LANES, SALT_BYTES, HASH_BYTES, Argon2_id);
	char *encoded = xmalloc(len);
	if (argon2id_hash_encoded(T_COST, M_COST_KIB, LANES, passphrase, strlen(passphrase), salt, sizeof(salt),
				  HASH_BYTES, encoded, len) != ARGON2_OK) {
		free(encoded);
		return NULL;
	}
	return encoded;
}

bool passphrase_verify(const char *encoded, const char *passphrase)
{
	if (!encoded || strncmp(encoded, "$argon2id$", 10))
		return false;
	return argon2id_verify(encoded, passphrase, strlen(passphrase)) == ARGON2_OK;
}
