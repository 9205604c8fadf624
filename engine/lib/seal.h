/*
 * seal — authenticated encryption of a file with a key file (AES-256-GCM,
 * libcrypto), for backups that hold personal data. The file is sealed in
 * chunks, each with its own nonce and tag and its place in the file bound in:
 * a changed, reordered, truncated or extended file does not open.
 */
#ifndef TSUNAGU_SEAL_H
#define TSUNAGU_SEAL_H

#include <stdbool.h>

#define SEAL_KEY_BYTES 32

/*
 * Reads a key file: 32 bytes, or 64 hex digits (and a newline). The file must
 * be readable by its owner only. 0, or -1 with *err (caller frees).
 */
int seal_key_read(const char *path, unsigned char key[SEAL_KEY_BYTES], char **err);

/* Writes a new random key file (64 hex digits, mode 0600); refuses to replace one. 0, or -1 with *err. */
int seal_key_new(const char *path, char **err);

/* Seals what in_fd holds into out_fd. 0, or -1 with *err. */
int seal_file(int in_fd, int out_fd, const unsigned char key[SEAL_KEY_BYTES], char **err);

/* Opens a sealed file into out_fd; -1 with *err when the key is wrong or the file was changed. */
int seal_open_file(int in_fd, int out_fd, const unsigned char key[SEAL_KEY_BYTES], char **err);

/* Whether the file at path begins as a sealed file does. */
bool seal_is_sealed(const char *path);

#endif
