/*
 * pg_driver_check — the PostgreSQL driver of sqldb against a real server:
 * tests/integration/test_storage_pg.py makes a throwaway cluster and runs this
 * with its connection string. Each check prints a line; the exit status is the
 * number that failed.
 */
#include "sqldb.h"
#include "sqldb_pg.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static struct sqldb *last_db;   /* whose last error a failed check shows */

#define CHECK(cond)                                                                                  \
	do {                                                                                         \
		if (!(cond)) {                                                                       \
			printf("FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond,                  \
			       last_db ? sqldb_errmsg(last_db) : "");                                \
			failures++;                                                                  \
		}                                                                                    \
	} while (0)

static struct sqldb *connect_or_die(const char *conninfo)
{
	struct sqldb *db = NULL;
	char *err = NULL;
	if (sqldb_pg_open(conninfo, &db, &err)) {
		printf("FAIL cannot connect: %s\n", err);
		free(err);
		exit(1);
	}
	return db;
}

static void rows_typed_and_bound(struct sqldb *db)
{
	char *err = NULL;
	CHECK(sqldb_exec(db, "CREATE TABLE t(id TEXT PRIMARY KEY, n BIGINT, b BYTEA, note TEXT, seen BOOLEAN)", &err) == 0);
	free(err);
	struct sqldb_stmt *ins = sqldb_prepare(db, "INSERT INTO t(id, n, b, note, seen) VALUES (?, ?, ?, ?, ?4 IS NOT NULL)");
	CHECK(ins != NULL);
	static const unsigned char bytes[] = { 'a', 0, 0xff, 'z' };
	sqldb_bind_text(ins, 1, "c_1");
	sqldb_bind_int64(ins, 2, 9007199254740993LL);
	sqldb_bind_blob(ins, 3, bytes, sizeof(bytes));
	sqldb_bind_text(ins, 4, "釜石 花子");
	CHECK(sqldb_step(ins) == SQLDB_DONE && sqldb_changes(db) == 1);
	/* again with a NULL where text was: the statement is made again for the other types */
	sqldb_reset(ins);
	sqldb_unbind(ins);
	sqldb_bind_text(ins, 1, "c_2");
	sqldb_bind_null(ins, 2);
	sqldb_bind_null(ins, 3);
	sqldb_bind_null(ins, 4);
	CHECK(sqldb_step(ins) == SQLDB_DONE && sqldb_changes(db) == 1);
	/* a key twice: a failure with the server's reason, not a busy database */
	sqldb_reset(ins);
	sqldb_bind_text(ins, 1, "c_1");
	CHECK(sqldb_step(ins) == SQLDB_ERROR && strstr(sqldb_errmsg(db), "duplicate key"));
	sqldb_finalize(ins);

	struct sqldb_stmt *sel = sqldb_prepare(db, "SELECT id, n, b, note, seen FROM t WHERE id = :id OR (:id = 'all') "
						   "ORDER BY id");
	CHECK(sel && sqldb_param(sel, ":id") == 1 && sqldb_param(sel, ":none") == 0);
	sqldb_bind_text(sel, sqldb_param(sel, ":id"), "all");
	CHECK(sqldb_step(sel) == SQLDB_ROW);
	size_t len = 0;
	const unsigned char *b = sqldb_column_blob(sel, 2, &len);
	CHECK(!strcmp(sqldb_column_text(sel, 0), "c_1") && sqldb_column_int64(sel, 1) == 9007199254740993LL);
	CHECK(len == sizeof(bytes) && b && !memcmp(b, bytes, len));
	CHECK(!strcmp(sqldb_column_text(sel, 3), "釜石 花子") && sqldb_column_int(sel, 4) == 1);
	CHECK(sqldb_column_type(sel, 0) == SQLDB_TEXT && sqldb_column_type(sel, 1) == SQLDB_INTEGER &&
	      sqldb_column_type(sel, 2) == SQLDB_BLOB && sqldb_column_type(sel, 4) == SQLDB_INTEGER);
	CHECK(sqldb_step(sel) == SQLDB_ROW);
	CHECK(sqldb_column_type(sel, 1) == SQLDB_NULL && sqldb_column_text(sel, 3) == NULL &&
	      sqldb_column_int64(sel, 1) == 0 && sqldb_column_int(sel, 4) == 0);
	CHECK(sqldb_step(sel) == SQLDB_DONE);
	sqldb_finalize(sel);
	/* a parameter only ever NULL, where nothing says what it is */
	struct sqldb_stmt *null = sqldb_prepare(db, "SELECT ?1 IS NULL, coalesce(?1, 'none')");
	sqldb_bind_null(null, 1);
	CHECK(sqldb_step(null) == SQLDB_ROW && sqldb_column_int(null, 0) == 1 && !strcmp(sqldb_column_text(null, 1), "none"));
	sqldb_finalize(null);
}

static void transactions_and_locks(struct sqldb *db, const char *conninfo)
{
	CHECK(!sqldb_in_transaction(db));
	CHECK(sqldb_exec(db, "BEGIN", NULL) == 0 && sqldb_in_transaction(db));
	CHECK(sqldb_exec(db, "UPDATE t SET note = 'x'", NULL) == 0 && sqldb_changes(db) == 2);
	CHECK(sqldb_exec(db, "SAVEPOINT action", NULL) == 0 && sqldb_exec(db, "DELETE FROM t", NULL) == 0);
	CHECK(sqldb_exec(db, "ROLLBACK TO action", NULL) == 0 && sqldb_exec(db, "RELEASE action", NULL) == 0);
	/* a statement whose parameter has no type of its own, first run inside the transaction: it goes on */
	struct sqldb_stmt *untyped = sqldb_prepare(db, "SELECT count(*) FROM t WHERE ?1 IS NULL AND coalesce(?1, 'x') = 'x'");
	sqldb_bind_null(untyped, 1);
	CHECK(sqldb_step(untyped) == SQLDB_ROW && sqldb_column_int64(untyped, 0) == 2);
	sqldb_finalize(untyped);
	CHECK(sqldb_in_transaction(db) && sqldb_exec(db, "UPDATE t SET note = 'y' WHERE id = 'c_2'", NULL) == 0);
	/* two bytea columns of one row, both readable until the next step */
	struct sqldb_stmt *two = sqldb_prepare(db, "SELECT b, b || '\\x00'::bytea FROM t WHERE id = 'c_1'");
	size_t len1 = 0, len2 = 0;
	CHECK(sqldb_step(two) == SQLDB_ROW);
	const unsigned char *b1 = sqldb_column_blob(two, 0, &len1), *b2 = sqldb_column_blob(two, 1, &len2);
	CHECK(len1 == 4 && len2 == 5 && b1 && b2 && !memcmp(b1, b2, 4) && b1[1] == 0 && b2[4] == 0);
	sqldb_finalize(two);
	/* another connection waits for no lock this one holds: it is told busy, to try again later */
	struct sqldb *other = connect_or_die(conninfo);
	struct sqldb_stmt *lock = sqldb_prepare(other, "SELECT id FROM t WHERE id = ? FOR UPDATE NOWAIT");
	sqldb_bind_text(lock, 1, "c_1");
	CHECK(sqldb_step(lock) == SQLDB_BUSY);
	sqldb_finalize(lock);
	sqldb_close(other);
	CHECK(sqldb_exec(db, "ROLLBACK", NULL) == 0 && !sqldb_in_transaction(db));
	struct sqldb_stmt *count = sqldb_prepare(db, "SELECT count(*) FROM t WHERE note IS NULL OR note <> 'x'");
	CHECK(sqldb_step(count) == SQLDB_ROW && sqldb_column_int64(count, 0) == 2);
	sqldb_finalize(count);
}

static void no_password_in_a_message(void)
{
	struct sqldb *db = NULL;
	char *err = NULL;
	CHECK(sqldb_pg_open("postgresql://someone:hunter2secret@/nowhere?host=/nonexistent-socket-dir", &db, &err) == -1);
	CHECK(err && !strstr(err, "hunter2secret"));
	printf("     refused as: %s\n", err ? err : "(nothing)");
	free(err);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: pg_driver_check CONNINFO\n");
		return 2;
	}
	struct sqldb *db = connect_or_die(argv[1]);
	last_db = db;
	rows_typed_and_bound(db);
	printf("ok   rows, types and bindings\n");
	transactions_and_locks(db, argv[1]);
	printf("ok   transactions, savepoints, another's lock\n");
	sqldb_close(db);
	no_password_in_a_message();
	printf("ok   connection errors\n");
	printf("%d failed\n", failures);
	return failures;
}
