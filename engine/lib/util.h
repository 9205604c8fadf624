/*
 * util — allocation that never returns NULL (out of memory aborts: a daemon that
 * cannot allocate cannot keep its promises), formatted strings, and a growable
 * byte buffer used for building output.
 */
#ifndef TSUNAGU_UTIL_H
#define TSUNAGU_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The number of elements of an array (not a pointer). */
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
__attribute__((format(printf, 1, 0))) char *xvasprintf(const char *fmt, va_list ap);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);

/* Grows *items (of *alloc slots of size) so that index n fits. */
void grow_array(void *items, size_t *alloc, size_t n, size_t size);

struct buf {
	char *data;         /* always NUL-terminated when len > 0 or after buf_init */
	size_t len, alloc;
};

void buf_init(struct buf *b);
void buf_release(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
__attribute__((format(printf, 2, 3))) void buf_printf(struct buf *b, const char *fmt, ...);
char *buf_detach(struct buf *b);   /* caller frees */

/* Reads a whole file; returns NULL with errno set on failure. Caller frees. */
char *read_file(const char *path, size_t *len);

/* dir + "/" + rel with "." and "dir/.." folded away (rel if absolute). Caller frees. */
char *path_join(const char *dir, const char *rel);

/* True when s (of len bytes) is well-formed UTF-8 without NUL. */
bool utf8_valid(const char *s, size_t len);
/*
 * Writes dir/name through a temporary file that is flushed to disk and then
 * renamed over it (the folder fsynced too), so a reader never sees half a file
 * and a crash never loses the new one; mode 0644. 0, or -1 with *err.
 */
int write_file_atomic(const char *dir, const char *name, const char *data, size_t len, char **err);

/* The same with the file's mode, whatever the umask (0600: a file of personal data). */
int write_file_atomic_mode(const char *dir, const char *name, const char *data, size_t len, mode_t mode, char **err);

/* The value of a hexadecimal digit (either case), or -1. */
int hex_digit(int c);

/* Writes all of data to fd (retrying short writes). 0, or -1 with errno. */
int write_all_fd(int fd, const void *data, size_t len);

/* fsyncs a directory, so that a rename or a new file in it survives a crash. 0, or -1 with errno. */
int fsync_dir(const char *dir);

/* The characters (code points) of a UTF-8 string: its bytes that do not continue a sequence. */
size_t utf8_chars(const char *s);

/* Levenshtein distance, for "did you mean" suggestions. */
size_t edit_distance(const char *a, const char *b);

/* The closest of candidates (NULL-terminated) to word, or NULL if none is close. */
const char *closest_word(const char *word, const char *const *candidates);

#endif
