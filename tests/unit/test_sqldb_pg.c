/* Unit tests of the PostgreSQL driver's numbering of the store's parameters (?, ?N, :name to $N). */
#include "sqldb_pg.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static int numbered_as(const char *sql, const char *want, int want_n)
{
	int n = -1;
	char **names = NULL;
	char *got = sqldb_pg_numbered(sql, &n, &names);
	int ok = !strcmp(got, want) && n == want_n;
	if (!ok)
		fprintf(stderr, "  %s -> %s (%d), wanted %s (%d)\n", sql, got, n, want, want_n);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(got);
	return ok;
}

TEST(sqldb_pg_numbers_bare_and_numbered_parameters_as_sqlite_does)
{
	CHECK(numbered_as("INSERT INTO t VALUES (?,?,?)", "INSERT INTO t VALUES ($1,$2,$3)", 3));
	/* a bare ? is the one after the highest so far */
	CHECK(numbered_as("SELECT ?3, ?, ?1", "SELECT $3, $4, $1", 4));
	CHECK(numbered_as("WHERE a = ?1 AND b = ?1", "WHERE a = $1 AND b = $1", 1));
	CHECK(numbered_as("SELECT 1", "SELECT 1", 0));
}

TEST(sqldb_pg_gives_each_name_one_number_and_leaves_quotes_casts_and_comments_alone)
{
	int n = 0;
	char **names = NULL;
	char *got = sqldb_pg_numbered("SELECT :org, ?, :org, :user_id", &n, &names);
	CHECK(!strcmp(got, "SELECT $1, $2, $1, $3") && n == 3);
	CHECK(names && !strcmp(names[0], "org") && names[1] == NULL && !strcmp(names[2], "user_id"));
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(got);
	CHECK(numbered_as("SELECT '?', 'it''s ?', \"a?b\" FROM t WHERE x = ?", "SELECT '?', 'it''s ?', \"a?b\" FROM t WHERE x = $1", 1));
	CHECK(numbered_as("SELECT x::text, ? -- why?\n/* a :name? */ FROM t", "SELECT x::text, $1 -- why?\n/* a :name? */ FROM t", 1));
	CHECK(numbered_as("SELECT 'unclosed ?", "SELECT 'unclosed ?", 0));
}
