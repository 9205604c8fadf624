/*
 * sqldb_sqlite — the SQLite driver of sqldb, and what only SQLite has: the
 * database file and its write-ahead log, checkpoints, the busy timeout and the
 * page cache. Connections are opened without SQLite's mutexes: each is used by
 * one thread at a time (the loop's, or a worker's own).
 */
#ifndef TSUNAGU_SQLDB_SQLITE_H
#define TSUNAGU_SQLDB_SQLITE_H

#include <stdbool.h>
#include <stdint.h>

#include "sqldb.h"

/*
 * Opens the SQLite database at path, which must exist; read_only opens it so
 * that nothing can write through this connection. Returns 0, or -1 with
 * SQLite's reason in *err (caller frees).
 */
int sqldb_sqlite_open(const char *path, bool read_only, struct sqldb **out, char **err);

/* How long a statement waits for another process's write lock before it is SQLDB_BUSY. */
void sqldb_sqlite_busy_timeout(struct sqldb *db, int ms);

/* The database file's path ("" for a database in memory). */
const char *sqldb_sqlite_filename(struct sqldb *db);

/* Bytes of this connection's page cache now. */
int64_t sqldb_sqlite_cache_used(struct sqldb *db);

/* A passive checkpoint, or (truncate) one of everything that empties the WAL file. */
void sqldb_sqlite_checkpoint(struct sqldb *db, bool truncate);

/*
 * After each commit of this connection, fn learns the pages in the WAL. It
 * replaces SQLite's automatic checkpoint (itself such a hook).
 */
void sqldb_sqlite_on_commit(struct sqldb *db, void (*fn)(void *arg, int wal_pages), void *arg);

#endif
