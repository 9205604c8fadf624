/*
 * seal — the format: "TSUSEAL1", a random 12-byte nonce, then chunks of at
 * most 1 MiB, each a 4-byte big-endian length (its top bit marks the last
 * chunk), the ciphertext and a 16-byte tag. A chunk's nonce is the file's with
 * the chunk's number added into its last 8 bytes; the header, the number and
 * the last-chunk mark are its additional data.
 */
#include "seal.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "TSUSEAL1"
#define MAGIC_LEN 8
#define NONCE_LEN 12
#define TAG_LEN 16
#define HEADER_LEN (MAGIC_LEN + NONCE_LEN)
#define CHUNK (1u << 20)
#define LAST_CHUNK 0x80000000u

int seal_key_read(const char *path, unsigned char key[SEAL_KEY_BYTES], char **err)
{
	struct stat st;
	if (stat(path, &st)) {
		*err = xasprintf("cannot read the key file %s: %s", path, strerror(errno));
		return -1;
	}
	/* its owner and group (root:tsunagu 0640) may read it, nobody else */
	if (st.st_mode & 007) {
		*err = xasprintf("the key file %s is readable by others (mode %03o): chmod 600 (or 640) it", path,
				 (unsigned)(st.st_mode & 0777));
		return -1;
	}
	size_t len;
	char *data = read_file(path, &len);
	if (!data) {
		*err = xasprintf("cannot read the key file %s: %s", path, strerror(errno));
		return -1;
	}
	int ret = -1;
	/* 32 raw bytes are taken as they are (one may well end in a newline's byte); hex may end in newlines */
	while (len > SEAL_KEY_BYTES && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len == SEAL_KEY_BYTES) {
		memcpy(key, data, SEAL_KEY_BYTES);
		ret = 0;
	} else if (len == 2 * SEAL_KEY_BYTES) {
		ret = 0;
		for (size_t i = 0; i < SEAL_KEY_BYTES && !ret; i++) {
			int hi = hex_digit((unsigned char)data[2 * i]), lo = hex_digit((unsigned char)data[2 * i + 1]);
			if (hi < 0 || lo < 0)
				ret = -1;
			else
				key[i] = (unsigned char)(hi << 4 | lo);
		}
	}
	if (ret)
		*err = xasprintf("the key file %s holds neither 32 bytes nor 64 hex digits (tsunagu backup --new-key "
				 "FILE makes one)", path);
	OPENSSL_cleanse(data, len);
	free(data);
	return ret;
}

int seal_key_new(const char *path, char **err)
{
	unsigned char key[SEAL_KEY_BYTES];
	char hex[2 * SEAL_KEY_BYTES + 2];
	if (RAND_bytes(key, sizeof(key)) != 1) {
		*err = xstrdup("cannot draw a random key");
		return -1;
	}
	for (size_t i = 0; i < SEAL_KEY_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	hex[2 * SEAL_KEY_BYTES] = '\n';
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int ret = -1;
	if (fd < 0 || fchmod(fd, 0600) || write_all_fd(fd, hex, 2 * SEAL_KEY_BYTES + 1) || fsync(fd))
		*err = xasprintf("cannot write the key file %s: %s", path, strerror(errno));
	else
		ret = 0;
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	return ret;
}

/* Reads up to want bytes (fewer only at the end of the file); -1 on a read error (errno). */
static ssize_t read_full(int fd, unsigned char *buf, size_t want)
{
	size_t got = 0;
	while (got < want) {
		ssize_t n = read(fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void chunk_nonce(const unsigned char *base, uint64_t index, unsigned char *out)
{
	memcpy(out, base, NONCE_LEN);
	for (int i = 0; i < 8; i++)
		out[NONCE_LEN - 1 - i] ^= (unsigned char)(index >> (8 * i));
}

/* One chunk, sealed (encrypt) or opened: 0, or -1 (for opening: the tag did not match). */
static int crypt_chunk(bool encrypt, const unsigned char *key, const unsigned char *header, uint64_t index, bool last,
		       const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag)
{
	unsigned char nonce[NONCE_LEN], aad[HEADER_LEN + 9];
	chunk_nonce(header + MAGIC_LEN, index, nonce);
	memcpy(aad, header, HEADER_LEN);
	for (int i = 0; i < 8; i++)
		aad[HEADER_LEN + i] = (unsigned char)(index >> (56 - 8 * i));
	aad[HEADER_LEN + 8] = last;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok = ctx != NULL;
	ok = ok && (encrypt ? EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce)
			    : EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce));
	ok = ok && EVP_CipherUpdate(ctx, NULL, &n, aad, sizeof(aad));
	ok = ok && (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len));
	if (ok && !encrypt)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag);
	ok = ok && EVP_CipherFinal_ex(ctx, out + (len ? n : 0), &n);
	if (ok && encrypt)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int seal_file(int in_fd, int out_fd, const unsigned char key[SEAL_KEY_BYTES], char **err)
{
	unsigned char header[HEADER_LEN];
	memcpy(header, MAGIC, MAGIC_LEN);
	if (RAND_bytes(header + MAGIC_LEN, NONCE_LEN) != 1) {
		*err = xstrdup("cannot draw a random nonce");
		return -1;
	}
	unsigned char *in = xmalloc(CHUNK), *out = xmalloc(CHUNK + 4 + TAG_LEN);
	int ret = -1;
	if (write_all_fd(out_fd, header, sizeof(header)))
		goto io_error;
	/* a chunk is known to be the last when the one after it is empty: read one ahead */
	ssize_t got = read_full(in_fd, in, CHUNK);
	if (got < 0)
		goto read_error;
	size_t len = (size_t)got;
	for (uint64_t index = 0;; index++) {
		unsigned char *next = xmalloc(CHUNK);
		got = len == CHUNK ? read_full(in_fd, next, CHUNK) : 0;
		if (got < 0) {
			free(next);
			goto read_error;
		}
		size_t next_len = (size_t)got;
		bool last = next_len == 0;
		uint32_t mark = (uint32_t)len | (last ? LAST_CHUNK : 0);
		out[0] = (unsigned char)(mark >> 24), out[1] = (unsigned char)(mark >> 16);
		out[2] = (unsigned char)(mark >> 8), out[3] = (unsigned char)mark;
		if (crypt_chunk(true, key, header, index, last, in, len, out + 4, out + 4 + len)) {
			free(next);
			*err = xstrdup("cannot encrypt (libcrypto)");
			goto out;
		}
		if (write_all_fd(out_fd, out, 4 + len + TAG_LEN)) {
			free(next);
			goto io_error;
		}
		free(in);
		in = next;
		len = next_len;
		if (last)
			break;
	}
	ret = 0;
	goto out;
io_error:
	*err = xasprintf("cannot write the sealed file: %s", strerror(errno));
	goto out;
read_error:
	/* a short read is never taken for the end: the sealed file would be whole and hold less */
	*err = xasprintf("cannot read what is to be sealed: %s", strerror(errno));
out:
	OPENSSL_cleanse(in, CHUNK);
	free(in);
	free(out);
	return ret;
}

int seal_open_file(int in_fd, int out_fd, const unsigned char key[SEAL_KEY_BYTES], char **err)
{
	unsigned char header[HEADER_LEN], mark_bytes[4], tag[TAG_LEN];
	if (read_full(in_fd, header, sizeof(header)) != (ssize_t)sizeof(header) || memcmp(header, MAGIC, MAGIC_LEN)) {
		*err = xstrdup("not a sealed tsunagu backup");
		return -1;
	}
	unsigned char *in = xmalloc(CHUNK), *out = xmalloc(CHUNK);
	int ret = -1;
	for (uint64_t index = 0;; index++) {
		if (read_full(in_fd, mark_bytes, 4) != 4) {
			*err = xstrdup("the sealed backup ends before its last part: it was cut off");
			goto out;
		}
		uint32_t mark = (uint32_t)mark_bytes[0] << 24 | (uint32_t)mark_bytes[1] << 16 |
				(uint32_t)mark_bytes[2] << 8 | mark_bytes[3];
		bool last = mark & LAST_CHUNK;
		size_t len = mark & ~LAST_CHUNK;
		if (len > CHUNK || read_full(in_fd, in, len) != (ssize_t)len || read_full(in_fd, tag, TAG_LEN) != TAG_LEN) {
			*err = xstrdup("the sealed backup is damaged or cut off");
			goto out;
		}
		if (crypt_chunk(false, key, header, index, last, in, len, out, tag)) {
			*err = xstrdup("the sealed backup does not open with this key (a wrong key, or the file was changed)");
			goto out;
		}
		if (write_all_fd(out_fd, out, len)) {
			*err = xasprintf("cannot write the opened backup: %s", strerror(errno));
			goto out;
		}
		if (last)
			break;
	}
	if (read_full(in_fd, mark_bytes, 1) != 0) {
		*err = xstrdup("the sealed backup has data after its last part: it was changed");
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(out, CHUNK);
	free(in);
	free(out);
	return ret;
}

bool seal_is_sealed(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	unsigned char magic[MAGIC_LEN];
	bool yes = read_full(fd, magic, MAGIC_LEN) == MAGIC_LEN && !memcmp(magic, MAGIC, MAGIC_LEN);
	close(fd);
	return yes;
}
