/* Unit tests of dblocator: what `database:` and `--db` may name, and that no message repeats a password. */
#include "dblocator.h"
#include "test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The error a locator gets; NULL when it is accepted. */
static char *refusal(const char *text)
{
	struct dblocator loc;
	char *err = NULL;
	if (dblocator_parse(text, &loc, &err) == 0) {
		dblocator_release(&loc);
		return NULL;
	}
	return err;
}

static bool refused_with(const char *text, const char *needle, const char *secret)
{
	char *err = refusal(text);
	bool ok = err && strstr(err, needle) && (!secret || !strstr(err, secret));
	if (!ok)
		fprintf(stderr, "  %s -> %s\n", text, err ? err : "(accepted)");
	free(err);
	return ok;
}

TEST(dblocator_names_sqlite_files_with_or_without_the_prefix)
{
	struct dblocator loc;
	char *err = NULL;
	CHECK(dblocator_parse("sqlite:var/tsunagu.db", &loc, &err) == 0);
	CHECK(loc.driver == DBLOCATOR_SQLITE && !strcmp(loc.path, "var/tsunagu.db") && !loc.conninfo);
	dblocator_release(&loc);
	CHECK(dblocator_parse("var/tsunagu.db", &loc, &err) == 0);
	CHECK(loc.driver == DBLOCATOR_SQLITE && !strcmp(loc.path, "var/tsunagu.db"));
	dblocator_release(&loc);
	CHECK(dblocator_parse("sqlite:///srv/tsunagu/main.db", &loc, &err) == 0);
	CHECK(!strcmp(loc.path, "/srv/tsunagu/main.db"));
	dblocator_release(&loc);
	/* a colon inside a file name is no scheme */
	CHECK(dblocator_parse("var/2026:12.db", &loc, &err) == 0);
	CHECK(!strcmp(loc.path, "var/2026:12.db"));
	dblocator_release(&loc);
	CHECK(refused_with("sqlite:", "no database file", NULL));
	CHECK(refused_with("", "no database file", NULL));
	CHECK(refused_with("mysql://app:hunter2@db/x", "names no database", "hunter2"));
	/* libpq's keyword form is no file name, and its password is masked too */
	CHECK(refused_with("host=db1 user=u password=hunter2 dbname=x", "keyword form", "hunter2"));
	CHECK(refused_with("dbname=x password = 'hunter 2'", "keyword form", "hunter"));
	/* a file whose name holds '=' is still a file */
	CHECK(dblocator_parse("var/a=b.db", &loc, &err) == 0 && !strcmp(loc.path, "var/a=b.db"));
	dblocator_release(&loc);
}

TEST(dblocator_reads_postgresql_uris_as_libpq_does)
{
	struct dblocator loc;
	char *err = NULL;
	CHECK(dblocator_parse("postgresql://tsunagu@db1:5432,db2:5432/tsunagu?sslmode=verify-full"
			      "&target_session_attrs=read-write", &loc, &err) == 0);
	CHECK(loc.driver == DBLOCATOR_POSTGRESQL && !loc.path);
	CHECK(!strcmp(loc.conninfo, "postgresql://tsunagu@db1:5432,db2:5432/tsunagu?sslmode=verify-full"
				    "&target_session_attrs=read-write"));
	dblocator_release(&loc);
	/* a Unix socket needs no TLS */
	CHECK(dblocator_parse("postgres:///tsunagu?host=/run/postgresql", &loc, &err) == 0);
	dblocator_release(&loc);
	CHECK(dblocator_parse("postgresql://%2Frun%2Fpostgresql/tsunagu", &loc, &err) == 0);
	dblocator_release(&loc);
	CHECK(dblocator_parse("postgresql:///tsunagu", &loc, &err) == 0);
	dblocator_release(&loc);
	CHECK(refused_with("postgresql://db/x?no_such_option=1", "not a PostgreSQL connection URI", NULL));
}

TEST(dblocator_keeps_passwords_out_and_tcp_verified)
{
	CHECK(refused_with("postgresql://app:hunter2@db/x?sslmode=verify-full", "holds a password", "hunter2"));
	CHECK(refused_with("postgresql://db/x?sslmode=verify-full&password=hunter2", "holds a password", "hunter2"));
	CHECK(refused_with("postgresql://app:hunter2@db/x", "holds a password", "hunter2"));
	/* libpq quotes a bad token whole: the message masks it */
	CHECK(refused_with("postgresql://app:%zzhunter2@db/x", "not a PostgreSQL connection URI", "hunter2"));
	CHECK(refused_with("postgresql://db/x", "sslmode=verify-full", NULL));
	CHECK(refused_with("postgresql://db/x?sslmode=require", "sslmode=verify-full", NULL));
	CHECK(refused_with("postgresql:///x?hostaddr=10.0.0.5&sslmode=prefer", "sslmode=verify-full", NULL));
	/* one TCP host among sockets is TCP */
	CHECK(refused_with("postgresql:///x?host=/run/postgresql,db2", "over TCP", NULL));
}

TEST(dblocator_masks_passwords_in_any_text)
{
	char *s = dblocator_redacted("postgresql://app:hunter2@db/x?password=more&sslmode=verify-full");
	CHECK(!strcmp(s, "postgresql://app:***@db/x?password=***&sslmode=verify-full"));
	free(s);
	s = dblocator_redacted("var/tsunagu.db");
	CHECK(!strcmp(s, "var/tsunagu.db"));
	free(s);
	s = dblocator_redacted("postgresql://app@db/x");
	CHECK(!strcmp(s, "postgresql://app@db/x"));
	free(s);
}
