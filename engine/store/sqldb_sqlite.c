/*
 * sqldb_sqlite — sqldb on SQLite: each call is the SQLite function of the same
 * job, and what only SQLite has (the file, its WAL, checkpoints, the page
 * cache) beside it.
 */
#include "sqldb_sqlite.h"
#include "util.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

struct sqlite_db {
	struct sqldb base;
	sqlite3 *db;
	void (*on_commit)(void *arg, int wal_pages);
	void *on_commit_arg;
};

struct sqlite_stmt {
	struct sqldb_stmt base;
	sqlite3_stmt *st;
};

static const struct sqldb_driver sqlite_driver;

static sqlite3 *handle(const struct sqldb *db)
{
	return ((const struct sqlite_db *)db)->db;
}

static sqlite3_stmt *handle_of(struct sqldb_stmt *st)
{
	return ((struct sqlite_stmt *)st)->st;
}

static struct sqldb_stmt *sqlite_prepare(struct sqldb *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(handle(db), sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		return NULL;
	struct sqlite_stmt *out = xcalloc(1, sizeof(*out));
	out->base.driver = &sqlite_driver;
	out->st = st;
	return &out->base;
}

static int sqlite_exec(struct sqldb *db, const char *sql, char **err)
{
	char *msg = NULL;
	if (sqlite3_exec(handle(db), sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	if (err)
		*err = xstrdup(msg ? msg : sqlite3_errmsg(handle(db)));
	sqlite3_free(msg);
	return -1;
}

static const char *sqlite_errmsg(const struct sqldb *db)
{
	return sqlite3_errmsg(handle(db));
}

static int64_t sqlite_changes(const struct sqldb *db)
{
	return sqlite3_changes64(handle(db));
}

static bool sqlite_in_transaction(const struct sqldb *db)
{
	return !sqlite3_get_autocommit(handle(db));
}

static void sqlite_close(struct sqldb *db)
{
	sqlite3_close(handle(db));
	free(db);
}

static void sqlite_finalize(struct sqldb_stmt *st)
{
	sqlite3_finalize(handle_of(st));
	free(st);
}

static void sqlite_reset(struct sqldb_stmt *st)
{
	sqlite3_reset(handle_of(st));
}

static void sqlite_unbind(struct sqldb_stmt *st)
{
	sqlite3_clear_bindings(handle_of(st));
}

static int sqlite_param(struct sqldb_stmt *st, const char *name)
{
	return sqlite3_bind_parameter_index(handle_of(st), name);
}

static void sqlite_bind_int64(struct sqldb_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(handle_of(st), i, v);
}

static void sqlite_bind_null(struct sqldb_stmt *st, int i)
{
	sqlite3_bind_null(handle_of(st), i);
}

static void sqlite_bind_text(struct sqldb_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(handle_of(st), i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(handle_of(st), i);
}

static void sqlite_bind_text_owned(struct sqldb_stmt *st, int i, char *v)
{
	if (v)
		sqlite3_bind_text(handle_of(st), i, v, -1, free);
	else
		sqlite3_bind_null(handle_of(st), i);
}

static void sqlite_bind_blob(struct sqldb_stmt *st, int i, const void *v, size_t len)
{
	sqlite3_bind_blob64(handle_of(st), i, v, len, SQLITE_TRANSIENT);
}

static enum sqldb_step sqlite_step(struct sqldb_stmt *st)
{
	switch (sqlite3_step(handle_of(st))) {
	case SQLITE_ROW:
		return SQLDB_ROW;
	case SQLITE_DONE:
		return SQLDB_DONE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return SQLDB_BUSY;
	default:
		return SQLDB_ERROR;
	}
}

static int64_t sqlite_column_int64(struct sqldb_stmt *st, int i)
{
	return sqlite3_column_int64(handle_of(st), i);
}

static const char *sqlite_column_text(struct sqldb_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(handle_of(st), i);
}

static const void *sqlite_column_blob(struct sqldb_stmt *st, int i, size_t *len)
{
	/* the blob first: asking for its length first could convert a text value (SQLite's order rule) */
	const void *v = sqlite3_column_blob(handle_of(st), i);
	*len = (size_t)sqlite3_column_bytes(handle_of(st), i);
	return v;
}

static enum sqldb_type sqlite_column_type(struct sqldb_stmt *st, int i)
{
	switch (sqlite3_column_type(handle_of(st), i)) {
	case SQLITE_INTEGER:
		return SQLDB_INTEGER;
	case SQLITE_FLOAT:
		return SQLDB_FLOAT;
	case SQLITE_TEXT:
		return SQLDB_TEXT;
	case SQLITE_BLOB:
		return SQLDB_BLOB;
	default:
		return SQLDB_NULL;
	}
}

static const char *sqlite_sql(struct sqldb_stmt *st)
{
	return sqlite3_sql(handle_of(st));
}

static const struct sqldb_driver sqlite_driver = {
	.name = "sqlite",
	.prepare = sqlite_prepare,
	.exec = sqlite_exec,
	.errmsg = sqlite_errmsg,
	.changes = sqlite_changes,
	.in_transaction = sqlite_in_transaction,
	.close = sqlite_close,
	.finalize = sqlite_finalize,
	.reset = sqlite_reset,
	.unbind = sqlite_unbind,
	.param = sqlite_param,
	.bind_int64 = sqlite_bind_int64,
	.bind_null = sqlite_bind_null,
	.bind_text = sqlite_bind_text,
	.bind_text_owned = sqlite_bind_text_owned,
	.bind_blob = sqlite_bind_blob,
	.step = sqlite_step,
	.column_int64 = sqlite_column_int64,
	.column_text = sqlite_column_text,
	.column_blob = sqlite_column_blob,
	.column_type = sqlite_column_type,
	.sql = sqlite_sql,
};

/*
 * Before SQLite's first use in the process: no global count of its memory.
 * Counting takes a mutex shared by every connection on each of SQLite's
 * allocations, 5 % of the loop's time per referral; the caches are measured
 * per connection instead (sqldb_sqlite_cache_used).
 */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void configure_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int sqldb_sqlite_open(const char *path, bool read_only, struct sqldb **out, char **err)
{
	pthread_once(&sqlite_once, configure_sqlite);
	struct sqlite_db *db = xcalloc(1, sizeof(*db));
	db->base.driver = &sqlite_driver;
	int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &db->db, flags, NULL) != SQLITE_OK) {
		*err = xstrdup(db->db ? sqlite3_errmsg(db->db) : "out of memory");
		sqlite_close(&db->base);
		return -1;
	}
	*out = &db->base;
	return 0;
}

void sqldb_sqlite_busy_timeout(struct sqldb *db, int ms)
{
	sqlite3_busy_timeout(handle(db), ms);
}

const char *sqldb_sqlite_filename(struct sqldb *db)
{
	const char *path = sqlite3_db_filename(handle(db), "main");
	return path ? path : "";
}

int64_t sqldb_sqlite_cache_used(struct sqldb *db)
{
	int now = 0, peak = 0;
	sqlite3_db_status(handle(db), SQLITE_DBSTATUS_CACHE_USED, &now, &peak, 0);
	return now;
}

void sqldb_sqlite_checkpoint(struct sqldb *db, bool truncate)
{
	sqlite3_wal_checkpoint_v2(handle(db), NULL, truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE,
				  NULL, NULL);
}

static int tell_commit(void *arg, sqlite3 *conn, const char *name, int pages)
{
	struct sqlite_db *db = arg;
	db->on_commit(db->on_commit_arg, pages);
	return SQLITE_OK;
}

void sqldb_sqlite_on_commit(struct sqldb *db, void (*fn)(void *arg, int wal_pages), void *arg)
{
	struct sqlite_db *sdb = (struct sqlite_db *)db;
	sdb->on_commit = fn;
	sdb->on_commit_arg = arg;
	sqlite3_wal_hook(sdb->db, tell_commit, sdb);
}
