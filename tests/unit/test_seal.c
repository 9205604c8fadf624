/* Unit tests of seal: a sealed file opens with its key only, and only whole and unchanged. */
#include "seal.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static int memfile(const void *data, size_t len)
{
	FILE *f = tmpfile();
	int fd = dup(fileno(f));
	fclose(f);
	if (len && write(fd, data, len) != (ssize_t)len)
		return -1;
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static size_t slurp(int fd, unsigned char *out, size_t cap)
{
	lseek(fd, 0, SEEK_SET);
	ssize_t n = read(fd, out, cap);
	return n > 0 ? (size_t)n : 0;
}

/* Seals len bytes (two chunks and a bit when large), returns the sealed bytes' length in sealed. */
static size_t seal_bytes(const unsigned char *key, const unsigned char *data, size_t len, unsigned char *sealed,
			 size_t cap)
{
	char *err = NULL;
	int in = memfile(data, len), out = memfile(NULL, 0);
	CHECK(seal_file(in, out, key, &err) == 0);
	free(err);
	size_t n = slurp(out, sealed, cap);
	close(in);
	close(out);
	return n;
}

static int open_bytes(const unsigned char *key, const unsigned char *sealed, size_t len, unsigned char *plain,
		      size_t cap, size_t *plain_len)
{
	char *err = NULL;
	int in = memfile(sealed, len), out = memfile(NULL, 0);
	int rc = seal_open_file(in, out, key, &err);
	free(err);
	*plain_len = slurp(out, plain, cap);
	close(in);
	close(out);
	return rc;
}

TEST(seal_round_trips_and_refuses_a_wrong_key_a_change_a_cut_and_an_extension)
{
	static unsigned char data[(1 << 20) * 2 + 777], sealed[sizeof(data) + 4096], plain[sizeof(data)];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 31 + 7);
	unsigned char key[SEAL_KEY_BYTES], other[SEAL_KEY_BYTES];
	memset(key, 1, sizeof(key));
	memset(other, 2, sizeof(other));
	size_t n = seal_bytes(key, data, sizeof(data), sealed, sizeof(sealed)), m = 0;
	CHECK(n > sizeof(data) && !memcmp(sealed, "TSUSEAL1", 8));
	CHECK(open_bytes(key, sealed, n, plain, sizeof(plain), &m) == 0);
	CHECK(m == sizeof(data) && !memcmp(plain, data, m));
	CHECK(open_bytes(other, sealed, n, plain, sizeof(plain), &m) == -1);
	sealed[n / 2] ^= 1;
	CHECK(open_bytes(key, sealed, n, plain, sizeof(plain), &m) == -1);
	sealed[n / 2] ^= 1;
	/* cut at a chunk's boundary: the first chunk alone is not marked last */
	CHECK(open_bytes(key, sealed, 20 + 4 + (1 << 20) + 16, plain, sizeof(plain), &m) == -1);
	sealed[n] = 0;
	CHECK(open_bytes(key, sealed, n + 1, plain, sizeof(plain), &m) == -1);
	/* an empty file seals and opens too */
	n = seal_bytes(key, data, 0, sealed, sizeof(sealed));
	CHECK(open_bytes(key, sealed, n, plain, sizeof(plain), &m) == 0 && m == 0);
}

TEST(seal_refuses_a_read_error_and_chunks_in_another_order)
{
	unsigned char key[SEAL_KEY_BYTES];
	memset(key, 3, sizeof(key));
	char *err = NULL;
	/* a descriptor that cannot be read (a folder): never a whole sealed file of less */
	int dir = open("/", O_RDONLY), out = memfile(NULL, 0);
	CHECK(seal_file(dir, out, key, &err) == -1 && err);
	free(err);
	close(dir);
	close(out);
	/* two chunks swapped: each is bound to its place */
	static unsigned char data[(1 << 20) * 2 + 10], sealed[sizeof(data) + 4096], swapped[sizeof(sealed)],
		plain[sizeof(data)];
	memset(data, 7, sizeof(data));
	size_t n = seal_bytes(key, data, sizeof(data), sealed, sizeof(sealed)), m = 0;
	size_t chunk = 4 + (1 << 20) + 16, head = 20;
	memcpy(swapped, sealed, n);
	memcpy(swapped + head, sealed + head + chunk, chunk);
	memcpy(swapped + head + chunk, sealed + head, chunk);
	CHECK(open_bytes(key, swapped, n, plain, sizeof(plain), &m) == -1);
}
