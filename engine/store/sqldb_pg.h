/*
 * sqldb_pg — the PostgreSQL driver of sqldb, over libpq. A statement's text
 * is the store's, in SQLite's way of naming parameters (?, ?N, :name): the
 * driver numbers them as PostgreSQL does ($N) and prepares the statement on
 * the server when it first runs, typed by what was bound (bigint, text,
 * bytea). Rows come back whole per execution, and are stepped through here.
 * The connection is blocking: it belongs on a thread of its own, never on the
 * loop (docs/architecture.md, "Toward a second store").
 *
 * Not yet one the configuration can choose: the store's SQL still has
 * SQLite's functions in places (json_extract, group_concat, FTS5, PRAGMA).
 */
#ifndef TSUNAGU_SQLDB_PG_H
#define TSUNAGU_SQLDB_PG_H

#include <stddef.h>

#include "sqldb.h"

/*
 * Connects with a libpq connection string (a dblocator's: no password in it).
 * Returns 0, or -1 with *err (caller frees), passwords masked.
 */
int sqldb_pg_open(const char *conninfo, struct sqldb **out, char **err);

/*
 * A statement's text with its parameters numbered as PostgreSQL names them:
 * ?N becomes $N, each ? the one after the highest so far, each :name one
 * number of its own (the same name, the same number). Quoted text, quoted
 * names and comments are left as they are. *n_params is the highest number;
 * names[i] (caller frees each and the array; NULL when none) is the name of
 * $i+1, or NULL. Caller frees the text.
 */
char *sqldb_pg_numbered(const char *sql, int *n_params, char ***names);

#endif
