/*
 * sqldb — what the store asks of a database: a connection, statements
 * prepared once and kept, their parameters (by position or by :name), their
 * rows, and whether a transaction is open. A driver is one table of functions
 * (struct sqldb_driver, as git's ref_storage_be) in one file: sqldb_sqlite.c.
 * The store's domain code (store.c) is written once against this header; its
 * SQL is SQLite's dialect, which a driver for another database rewrites or
 * replaces in its own prepare.
 *
 * A connection and a statement of a driver begin with struct sqldb and struct
 * sqldb_stmt, so the inline calls below reach the driver without a lookup.
 * Text and blobs a row gives are valid until the statement next steps, is
 * reset or is finalized.
 */
#ifndef TSUNAGU_SQLDB_H
#define TSUNAGU_SQLDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What stepping a statement gave. SQLDB_BUSY: another process holds the write lock. */
enum sqldb_step { SQLDB_ERROR = -1, SQLDB_DONE = 0, SQLDB_ROW = 1, SQLDB_BUSY = 2 };

/* The type of the value a column holds in this row. */
enum sqldb_type { SQLDB_NULL, SQLDB_INTEGER, SQLDB_FLOAT, SQLDB_TEXT, SQLDB_BLOB };

struct sqldb_driver;

struct sqldb {
	const struct sqldb_driver *driver;
};

struct sqldb_stmt {
	const struct sqldb_driver *driver;
};

struct sqldb_driver {
	const char *name;

	/* A statement kept until it is finalized; NULL when it cannot be prepared (errmsg says why). */
	struct sqldb_stmt *(*prepare)(struct sqldb *db, const char *sql);
	/* Runs statements that return no rows; -1 with *err (caller frees) when err is not NULL. */
	int (*exec)(struct sqldb *db, const char *sql, char **err);
	const char *(*errmsg)(const struct sqldb *db);
	/* Rows the last INSERT, UPDATE or DELETE changed. */
	int64_t (*changes)(const struct sqldb *db);
	bool (*in_transaction)(const struct sqldb *db);
	/* Closes the connection; its statements must be finalized first. */
	void (*close)(struct sqldb *db);

	void (*finalize)(struct sqldb_stmt *st);
	/* Back to before its first step; the parameters stay bound. */
	void (*reset)(struct sqldb_stmt *st);
	/* Every parameter back to NULL. */
	void (*unbind)(struct sqldb_stmt *st);
	/* The position of a :name parameter, 0 when the statement has none of that name. */
	int (*param)(struct sqldb_stmt *st, const char *name);
	void (*bind_int64)(struct sqldb_stmt *st, int i, int64_t v);
	void (*bind_null)(struct sqldb_stmt *st, int i);
	/* The text is copied; a NULL text binds NULL. */
	void (*bind_text)(struct sqldb_stmt *st, int i, const char *v);
	/* The statement takes the text and frees it with free(). */
	void (*bind_text_owned)(struct sqldb_stmt *st, int i, char *v);
	void (*bind_blob)(struct sqldb_stmt *st, int i, const void *v, size_t len);
	enum sqldb_step (*step)(struct sqldb_stmt *st);
	int64_t (*column_int64)(struct sqldb_stmt *st, int i);
	/* NULL for a NULL value. */
	const char *(*column_text)(struct sqldb_stmt *st, int i);
	const void *(*column_blob)(struct sqldb_stmt *st, int i, size_t *len);
	enum sqldb_type (*column_type)(struct sqldb_stmt *st, int i);
	/* The statement's text, for logs. */
	const char *(*sql)(struct sqldb_stmt *st);
};

static inline struct sqldb_stmt *sqldb_prepare(struct sqldb *db, const char *sql)
{
	return db->driver->prepare(db, sql);
}

static inline int sqldb_exec(struct sqldb *db, const char *sql, char **err)
{
	return db->driver->exec(db, sql, err);
}

static inline const char *sqldb_errmsg(const struct sqldb *db)
{
	return db->driver->errmsg(db);
}

static inline int64_t sqldb_changes(const struct sqldb *db)
{
	return db->driver->changes(db);
}

static inline bool sqldb_in_transaction(const struct sqldb *db)
{
	return db->driver->in_transaction(db);
}

/* sqldb_close(NULL) does nothing. */
static inline void sqldb_close(struct sqldb *db)
{
	if (db)
		db->driver->close(db);
}

/* sqldb_finalize(NULL) does nothing. */
static inline void sqldb_finalize(struct sqldb_stmt *st)
{
	if (st)
		st->driver->finalize(st);
}

static inline void sqldb_reset(struct sqldb_stmt *st)
{
	st->driver->reset(st);
}

static inline void sqldb_unbind(struct sqldb_stmt *st)
{
	st->driver->unbind(st);
}

static inline int sqldb_param(struct sqldb_stmt *st, const char *name)
{
	return st->driver->param(st, name);
}

static inline void sqldb_bind_int64(struct sqldb_stmt *st, int i, int64_t v)
{
	st->driver->bind_int64(st, i, v);
}

static inline void sqldb_bind_null(struct sqldb_stmt *st, int i)
{
	st->driver->bind_null(st, i);
}

static inline void sqldb_bind_text(struct sqldb_stmt *st, int i, const char *v)
{
	st->driver->bind_text(st, i, v);
}

static inline void sqldb_bind_text_owned(struct sqldb_stmt *st, int i, char *v)
{
	st->driver->bind_text_owned(st, i, v);
}

static inline void sqldb_bind_blob(struct sqldb_stmt *st, int i, const void *v, size_t len)
{
	st->driver->bind_blob(st, i, v, len);
}

static inline enum sqldb_step sqldb_step(struct sqldb_stmt *st)
{
	return st->driver->step(st);
}

static inline int64_t sqldb_column_int64(struct sqldb_stmt *st, int i)
{
	return st->driver->column_int64(st, i);
}

static inline int sqldb_column_int(struct sqldb_stmt *st, int i)
{
	return (int)st->driver->column_int64(st, i);
}

static inline const char *sqldb_column_text(struct sqldb_stmt *st, int i)
{
	return st->driver->column_text(st, i);
}

static inline const void *sqldb_column_blob(struct sqldb_stmt *st, int i, size_t *len)
{
	return st->driver->column_blob(st, i, len);
}

static inline enum sqldb_type sqldb_column_type(struct sqldb_stmt *st, int i)
{
	return st->driver->column_type(st, i);
}

static inline const char *sqldb_sql(struct sqldb_stmt *st)
{
	return st->driver->sql(st);
}

#endif
