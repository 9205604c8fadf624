/*
 * dblocator — what `database:` and `--db` name: an SQLite file (`sqlite:PATH`,
 * or a bare path as before) or a PostgreSQL server (`postgresql://…` or
 * `postgres://…`, read by libpq's own parser, so what is checked here is what
 * libpq would connect with). It owns the rules a locator keeps: no password in
 * it (libpq's password file, a `password_file` key or systemd's LoadCredential
 * carry it), and over TCP the server verified (sslmode=verify-full); and the
 * redacted form every message shows.
 */
#ifndef TSUNAGU_DBLOCATOR_H
#define TSUNAGU_DBLOCATOR_H

enum dblocator_driver { DBLOCATOR_SQLITE, DBLOCATOR_POSTGRESQL };

struct dblocator {
	enum dblocator_driver driver;
	char *path;     /* SQLite: the file as written, "sqlite:" taken off */
	char *conninfo; /* PostgreSQL: the URI as written */
	char *shown;    /* for messages: the path, or the URI with any password masked */
};

/*
 * Reads a locator. 0 and *out (release it); -1 with *err (caller frees), a
 * message that names what was expected and never repeats a password.
 */
int dblocator_parse(const char *text, struct dblocator *out, char **err);
void dblocator_release(struct dblocator *l);

/* The text with the password of a PostgreSQL URI masked (a copy of any other text; caller frees). */
char *dblocator_redacted(const char *text);

#endif
