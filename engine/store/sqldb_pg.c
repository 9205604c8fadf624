/*
 * sqldb_pg — sqldb on PostgreSQL (libpq): statements numbered as PostgreSQL
 * names parameters, prepared on the server typed by their first binding, and
 * their rows stepped through from the result of each execution.
 */
#include "sqldb_pg.h"
#include "dblocator.h"
#include "util.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The types of pg_type a binding or a column can have here (server/catalog/pg_type_d.h). */
enum {
	PG_BOOL = 16, PG_BYTEA = 17, PG_INT8 = 20, PG_INT2 = 21, PG_INT4 = 23, PG_TEXT = 25,
	PG_FLOAT4 = 700, PG_FLOAT8 = 701, PG_NUMERIC = 1700,
};

struct pg_db {
	struct sqldb base;
	PGconn *conn;
	char *err;                 /* the last error, NULL when libpq's own message says it */
	int64_t changes;
	unsigned prepared;         /* server-side statements made so far: their names */
	char **stale;              /* statements to give back once the transaction is out of its error */
	size_t n_stale, alloc_stale;
};

struct pg_stmt {
	struct sqldb_stmt base;
	struct pg_db *db;
	char *sql;                 /* as the store wrote it, for logs */
	char *numbered;            /* with $N */
	int n;
	char **names;              /* the :name of each $N, or NULL */
	char **values;
	int *lengths, *formats;
	Oid *types;                /* of the bindings now */
	Oid *prepared_types;       /* of the server's statement; NULL until it is prepared */
	char name[32];
	PGresult *res;
	int row, rows;
	unsigned char **blobs;     /* the bytea columns of this row read so far, unescaped (one per column) */
	int n_blobs;
};

static const struct sqldb_driver pg_driver;

static struct pg_db *db_of(const struct sqldb *db)
{
	return (struct pg_db *)db;
}

static struct pg_stmt *stmt_of(struct sqldb_stmt *st)
{
	return (struct pg_stmt *)st;
}

/* libpq's message without its closing newline, passwords masked (caller frees). */
static char *told(const char *message)
{
	char *out = dblocator_redacted(message && *message ? message : "the PostgreSQL server gave no reason");
	size_t len = strlen(out);
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	return out;
}

static void set_error(struct pg_db *db, const char *message)
{
	free(db->err);
	db->err = told(message);
}

/* ---- numbering the parameters ---- */

static int name_index(char **names, int n, const char *name, size_t len)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strlen(names[i]) == len && !strncmp(names[i], name, len))
			return i + 1;
	return 0;
}

/* names[0 .. upto-1] exist, those past *slots NULL (a number may come before any name). */
static void name_slots(char ***names, size_t *alloc, int *slots, int upto)
{
	if (upto <= *slots)
		return;
	grow_array(names, alloc, (size_t)upto, sizeof(**names));
	while (*slots < upto)
		(*names)[(*slots)++] = NULL;
}

char *sqldb_pg_numbered(const char *sql, int *n_params, char ***names_out)
{
	struct buf out;
	buf_init(&out);
	char **names = NULL;
	size_t alloc = 0;
	int highest = 0, slots = 0;
	const char *p = sql;
	while (*p) {
		if (*p == '\'' || *p == '"') {
			/* quoted text or a quoted name, its doubled quotes included */
			char quote = *p;
			const char *end = p + 1;
			while (*end && !(*end == quote && end[1] != quote))
				end += *end == quote ? 2 : 1;
			size_t len = (size_t)(*end ? end + 1 - p : end - p);
			buf_add(&out, p, len);
			p += len;
		} else if (p[0] == '-' && p[1] == '-') {
			size_t len = strcspn(p, "\n");
			buf_add(&out, p, len);
			p += len;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			size_t len = end ? (size_t)(end + 2 - p) : strlen(p);
			buf_add(&out, p, len);
			p += len;
		} else if (*p == '?') {
			/* ?N is number N; a bare ? the one after the highest so far, as SQLite numbers them */
			char *after = (char *)p + 1;
			long k = highest + 1;
			if (isdigit((unsigned char)p[1]))
				k = strtol(p + 1, &after, 10);
			if (k > highest)
				highest = (int)k;
			buf_printf(&out, "$%ld", k);
			p = after;
		} else if (*p == ':' && (isalpha((unsigned char)p[1]) || p[1] == '_') && (p == sql || p[-1] != ':')) {
			const char *name = p + 1;
			size_t len = 0;
			while (isalnum((unsigned char)name[len]) || name[len] == '_')
				len++;
			int k = name_index(names, slots, name, len);
			if (!k) {
				k = ++highest;
				name_slots(&names, &alloc, &slots, k);
				names[k - 1] = xstrndup(name, len);
			}
			buf_printf(&out, "$%d", k);
			p = name + len;
		} else {
			buf_addc(&out, *p++);
		}
	}
	name_slots(&names, &alloc, &slots, highest);
	*n_params = highest;
	*names_out = names;
	return buf_detach(&out);
}

/* ---- statements ---- */

static struct sqldb_stmt *pg_prepare(struct sqldb *sdb, const char *sql)
{
	struct pg_db *db = db_of(sdb);
	struct pg_stmt *st = xcalloc(1, sizeof(*st));
	st->base.driver = &pg_driver;
	st->db = db;
	st->sql = xstrdup(sql);
	st->numbered = sqldb_pg_numbered(sql, &st->n, &st->names);
	size_t n = st->n ? (size_t)st->n : 1;
	st->values = xcalloc(n, sizeof(*st->values));
	st->lengths = xcalloc(n, sizeof(*st->lengths));
	st->formats = xcalloc(n, sizeof(*st->formats));
	st->types = xcalloc(n, sizeof(*st->types));
	st->row = -1;
	return &st->base;
}

/* Every value back to NULL; the types stay what the statement was used with (a NULL has none of its own). */
static void unbind_all(struct pg_stmt *st)
{
	for (int i = 0; i < st->n; i++) {
		free(st->values[i]);
		st->values[i] = NULL;
		st->lengths[i] = st->formats[i] = 0;
	}
}

static void forget_blobs(struct pg_stmt *st)
{
	for (int i = 0; i < st->n_blobs; i++) {
		PQfreemem(st->blobs[i]);
		st->blobs[i] = NULL;
	}
}

static void pg_reset(struct sqldb_stmt *s)
{
	struct pg_stmt *st = stmt_of(s);
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
	st->rows = 0;
	forget_blobs(st);
}

/* Gives back the statements an aborted transaction kept (DEALLOCATE fails inside one). */
static void deallocate_stale(struct pg_db *db)
{
	if (PQstatus(db->conn) != CONNECTION_OK || PQtransactionStatus(db->conn) == PQTRANS_INERROR)
		return;
	for (size_t i = 0; i < db->n_stale; i++) {
		char *sql = xasprintf("DEALLOCATE %s", db->stale[i]);
		PQclear(PQexec(db->conn, sql));
		free(sql);
		free(db->stale[i]);
	}
	db->n_stale = 0;
}

/* The server's statement lives as long as the connection: given back when it is made again or finalized. */
static void deallocate(struct pg_stmt *st)
{
	struct pg_db *db = st->db;
	if (st->prepared_types) {
		grow_array(&db->stale, &db->alloc_stale, db->n_stale, sizeof(*db->stale));
		db->stale[db->n_stale++] = xstrdup(st->name);
		deallocate_stale(db);
	}
	free(st->prepared_types);
	st->prepared_types = NULL;
}

static void pg_finalize(struct sqldb_stmt *s)
{
	struct pg_stmt *st = stmt_of(s);
	pg_reset(s);
	deallocate(st);
	unbind_all(st);
	for (int i = 0; i < st->n; i++)
		free(st->names[i]);
	free(st->names);
	free(st->values);
	free(st->lengths);
	free(st->formats);
	free(st->types);
	free(st->blobs);
	free(st->numbered);
	free(st->sql);
	free(st);
}

static void pg_unbind(struct sqldb_stmt *s)
{
	unbind_all(stmt_of(s));
}

static int pg_param(struct sqldb_stmt *s, const char *name)
{
	struct pg_stmt *st = stmt_of(s);
	if (*name == ':')
		name++;
	return name_index(st->names, st->n, name, strlen(name));
}

/* Takes value (NULL: NULL) for parameter i, a PostgreSQL type and a format; false when there is no such parameter. */
static bool bind(struct pg_stmt *st, int i, char *value, int length, int format, Oid type)
{
	if (i < 1 || i > st->n) {
		free(value);
		return false;
	}
	free(st->values[i - 1]);
	st->values[i - 1] = value;
	st->lengths[i - 1] = length;
	st->formats[i - 1] = format;
	if (type)
		st->types[i - 1] = type;
	return true;
}

static void pg_bind_int64(struct sqldb_stmt *s, int i, int64_t v)
{
	bind(stmt_of(s), i, xasprintf("%lld", (long long)v), 0, 0, PG_INT8);
}

static void pg_bind_null(struct sqldb_stmt *s, int i)
{
	/* a NULL keeps the type the parameter had; never bound otherwise, PostgreSQL works it out (make_ready) */
	bind(stmt_of(s), i, NULL, 0, 0, 0);
}

static void pg_bind_text_owned(struct sqldb_stmt *s, int i, char *v)
{
	bind(stmt_of(s), i, v, 0, 0, v ? PG_TEXT : 0);
}

static void pg_bind_text(struct sqldb_stmt *s, int i, const char *v)
{
	pg_bind_text_owned(s, i, v ? xstrdup(v) : NULL);
}

static void pg_bind_blob(struct sqldb_stmt *s, int i, const void *v, size_t len)
{
	char *copy = xmalloc(len ? len : 1);
	if (len)
		memcpy(copy, v, len);
	bind(stmt_of(s), i, copy, (int)len, 1, PG_BYTEA);
}

/* What an error of the server means to the caller: another writer's lock or a serialization failure, or a failure. */
static enum sqldb_step failed(struct pg_db *db, const PGresult *res)
{
	set_error(db, res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	/* serialization_failure, deadlock_detected, lock_not_available: the turn may try again */
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03")))
		return SQLDB_BUSY;
	return SQLDB_ERROR;
}

/* The server's statement of this text, typed as the parameters are bound now (again when they are bound otherwise). */
static enum sqldb_step make_ready(struct pg_stmt *st)
{
	size_t size = (st->n ? (size_t)st->n : 1) * sizeof(Oid);
	if (st->prepared_types && !memcmp(st->prepared_types, st->types, size))
		return SQLDB_DONE;
	deallocate(st);
	snprintf(st->name, sizeof(st->name), "tsunagu_%u", ++st->db->prepared);
	/* a prepare that fails aborts the transaction it is in: tried under a savepoint of its own there */
	PGconn *conn = st->db->conn;
	bool in_tx = PQtransactionStatus(conn) == PQTRANS_INTRANS;
	if (in_tx)
		PQclear(PQexec(conn, "SAVEPOINT sqldb_prepare"));
	PGresult *res = PQprepare(conn, st->name, st->numbered, st->n, st->types);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state && (!strcmp(state, "42P18") || !strcmp(state, "42P08"))) {
		/* indeterminate or ambiguous: a parameter only ever NULL where nothing says its type (?2 IS NULL), as text */
		PQclear(res);
		if (in_tx)
			PQclear(PQexec(conn, "ROLLBACK TO SAVEPOINT sqldb_prepare"));
		for (int i = 0; i < st->n; i++)
			if (!st->types[i])
				st->types[i] = PG_TEXT;
		res = PQprepare(conn, st->name, st->numbered, st->n, st->types);
	}
	enum sqldb_step rc = PQresultStatus(res) == PGRES_COMMAND_OK ? SQLDB_DONE : failed(st->db, res);
	PQclear(res);
	if (in_tx)
		PQclear(PQexec(conn, rc == SQLDB_DONE ? "RELEASE SAVEPOINT sqldb_prepare"
						     : "ROLLBACK TO SAVEPOINT sqldb_prepare; RELEASE SAVEPOINT sqldb_prepare"));
	if (rc == SQLDB_DONE) {
		st->prepared_types = xmalloc(size);
		memcpy(st->prepared_types, st->types, size);
	}
	return rc;
}

static enum sqldb_step pg_step(struct sqldb_stmt *s)
{
	struct pg_stmt *st = stmt_of(s);
	if (!st->res) {
		enum sqldb_step rc = make_ready(st);
		if (rc != SQLDB_DONE)
			return rc;
		st->res = PQexecPrepared(st->db->conn, st->name, st->n, (const char *const *)st->values, st->lengths,
					 st->formats, 0);
		ExecStatusType status = PQresultStatus(st->res);
		if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
			rc = failed(st->db, st->res);
			PQclear(st->res);
			st->res = NULL;
			return rc;
		}
		st->rows = status == PGRES_TUPLES_OK ? PQntuples(st->res) : 0;
		if (status == PGRES_COMMAND_OK)
			st->db->changes = strtoll(PQcmdTuples(st->res), NULL, 10);
		st->row = -1;
	}
	forget_blobs(st);
	return ++st->row < st->rows ? SQLDB_ROW : SQLDB_DONE;
}

static bool has_value(struct pg_stmt *st, int i)
{
	return st->res && st->row >= 0 && st->row < st->rows && i >= 0 && i < PQnfields(st->res) &&
	       !PQgetisnull(st->res, st->row, i);
}

static int64_t pg_column_int64(struct sqldb_stmt *s, int i)
{
	struct pg_stmt *st = stmt_of(s);
	if (!has_value(st, i))
		return 0;
	const char *v = PQgetvalue(st->res, st->row, i);
	if (PQftype(st->res, i) == PG_BOOL)
		return *v == 't';
	return strtoll(v, NULL, 10);
}

static const char *pg_column_text(struct sqldb_stmt *s, int i)
{
	struct pg_stmt *st = stmt_of(s);
	return has_value(st, i) ? PQgetvalue(st->res, st->row, i) : NULL;
}

static const void *pg_column_blob(struct sqldb_stmt *s, int i, size_t *len)
{
	struct pg_stmt *st = stmt_of(s);
	*len = 0;
	if (!has_value(st, i))
		return NULL;
	if (PQftype(st->res, i) != PG_BYTEA) {
		*len = (size_t)PQgetlength(st->res, st->row, i);
		return PQgetvalue(st->res, st->row, i);
	}
	if (i >= st->n_blobs) {
		st->blobs = xrealloc(st->blobs, (size_t)(i + 1) * sizeof(*st->blobs));
		while (st->n_blobs <= i)
			st->blobs[st->n_blobs++] = NULL;
	}
	PQfreemem(st->blobs[i]);
	st->blobs[i] = PQunescapeBytea((const unsigned char *)PQgetvalue(st->res, st->row, i), len);
	return st->blobs[i];
}

static enum sqldb_type pg_column_type(struct sqldb_stmt *s, int i)
{
	struct pg_stmt *st = stmt_of(s);
	if (!has_value(st, i))
		return SQLDB_NULL;
	switch (PQftype(st->res, i)) {
	case PG_BOOL:
	case PG_INT2:
	case PG_INT4:
	case PG_INT8:
		return SQLDB_INTEGER;
	case PG_FLOAT4:
	case PG_FLOAT8:
	case PG_NUMERIC:
		return SQLDB_FLOAT;
	case PG_BYTEA:
		return SQLDB_BLOB;
	default:
		return SQLDB_TEXT;
	}
}

static const char *pg_sql(struct sqldb_stmt *s)
{
	return stmt_of(s)->sql;
}

/* ---- the connection ---- */

static int pg_exec(struct sqldb *sdb, const char *sql, char **err)
{
	struct pg_db *db = db_of(sdb);
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType status = PQresultStatus(res);
	int rc = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ? 0 : -1;
	if (rc) {
		failed(db, res);
		if (err)
			*err = xstrdup(db->err);
	} else if (status == PGRES_COMMAND_OK) {
		db->changes = strtoll(PQcmdTuples(res), NULL, 10);
	}
	PQclear(res);
	if (db->n_stale)
		deallocate_stale(db);   /* after a ROLLBACK, say */
	return rc;
}

static const char *pg_errmsg(const struct sqldb *sdb)
{
	return db_of(sdb)->err ? db_of(sdb)->err : "no error";
}

static int64_t pg_changes(const struct sqldb *sdb)
{
	return db_of(sdb)->changes;
}

static bool pg_in_transaction(const struct sqldb *sdb)
{
	PGTransactionStatusType t = PQtransactionStatus(db_of(sdb)->conn);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

static void pg_close(struct sqldb *sdb)
{
	struct pg_db *db = db_of(sdb);
	PQfinish(db->conn);
	for (size_t i = 0; i < db->n_stale; i++)
		free(db->stale[i]);
	free(db->stale);
	free(db->err);
	free(db);
}

static const struct sqldb_driver pg_driver = {
	.name = "postgresql",
	.prepare = pg_prepare,
	.exec = pg_exec,
	.errmsg = pg_errmsg,
	.changes = pg_changes,
	.in_transaction = pg_in_transaction,
	.close = pg_close,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.unbind = pg_unbind,
	.param = pg_param,
	.bind_int64 = pg_bind_int64,
	.bind_null = pg_bind_null,
	.bind_text = pg_bind_text,
	.bind_text_owned = pg_bind_text_owned,
	.bind_blob = pg_bind_blob,
	.step = pg_step,
	.column_int64 = pg_column_int64,
	.column_text = pg_column_text,
	.column_blob = pg_column_blob,
	.column_type = pg_column_type,
	.sql = pg_sql,
};

int sqldb_pg_open(const char *conninfo, struct sqldb **out, char **err)
{
	PGconn *conn = PQconnectdb(conninfo);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		*err = told(conn ? PQerrorMessage(conn) : "out of memory");
		PQfinish(conn);
		return -1;
	}
	struct pg_db *db = xcalloc(1, sizeof(*db));
	db->base.driver = &pg_driver;
	db->conn = conn;
	*out = &db->base;
	return 0;
}
