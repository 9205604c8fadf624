#include "dblocator.h"
#include "util.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MASK "***"

/* The length of a URI scheme followed by "://" at the start of text, or 0. */
static size_t scheme_length(const char *text)
{
	size_t n = 0;
	if (!((text[0] >= 'a' && text[0] <= 'z') || (text[0] >= 'A' && text[0] <= 'Z')))
		return 0;
	while (text[n] && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-", text[n]))
		n++;
	return strncmp(text + n, "://", 3) ? 0 : n;
}

static bool starts_with(const char *text, const char *prefix)
{
	return !strncmp(text, prefix, strlen(prefix));
}

struct span {
	size_t at, len;
};

/* The values of password= in libpq's keyword form ("host=db password=x", a value maybe 'quoted'). */
static size_t find_keyword_secrets(const char *text, struct span *out, size_t max)
{
	size_t n = 0;
	for (const char *p = strstr(text, "password"); p && n < max; p = strstr(p + 1, "password")) {
		if (p != text && !strchr(" \t", p[-1]))
			continue;
		const char *q = p + strlen("password");
		q += strspn(q, " \t");
		if (*q != '=')
			continue;
		q++;
		q += strspn(q, " \t");
		size_t len = *q == '\'' ? (strchr(q + 1, '\'') ? (size_t)(strchr(q + 1, '\'') - q) + 1 : strlen(q))
					: strcspn(q, " \t");
		out[n++] = (struct span){ (size_t)(q - text), len };
	}
	return n;
}

/*
 * Where the secrets of a locator sit: in a URI, the password of its user part
 * (libpq ends that part at the first '@' or '/') and the values of password=
 * parameters; in libpq's keyword form, its password= values.
 */
static size_t find_secrets(const char *uri, struct span *out, size_t max)
{
	size_t n = 0, scheme = scheme_length(uri);
	if (!scheme)
		return strchr(uri, '=') ? find_keyword_secrets(uri, out, max) : 0;
	const char *user = uri + scheme + 3;
	size_t user_len = strcspn(user, "@/");
	if (user[user_len] == '@') {
		const char *colon = memchr(user, ':', user_len);
		if (colon && n < max)
			out[n++] = (struct span){ (size_t)(colon + 1 - uri), (size_t)(user + user_len - colon - 1) };
	}
	const char *query = strchr(user, '?');
	for (const char *p = query; p && *p && n < max; p = strchr(p, '&')) {
		p++;
		if (starts_with(p, "password="))
			out[n++] = (struct span){ (size_t)(p + 9 - uri), strcspn(p + 9, "&") };
	}
	return n;
}

/* A copy of text with every occurrence of each secret of the locator masked (text: it, or a message about it). */
static char *scrubbed(const char *text, const char *uri)
{
	struct span secrets[8];
	size_t n = find_secrets(uri, secrets, sizeof(secrets) / sizeof(secrets[0]));
	struct buf b;
	buf_init(&b);
	const char *p = text;
	while (*p) {
		size_t skip = 0;
		for (size_t i = 0; i < n && !skip; i++)
			if (secrets[i].len && !strncmp(p, uri + secrets[i].at, secrets[i].len))
				skip = secrets[i].len;
		if (skip) {
			buf_adds(&b, MASK);
			p += skip;
		} else {
			buf_addc(&b, *p++);
		}
	}
	return buf_detach(&b);
}

char *dblocator_redacted(const char *text)
{
	return scrubbed(text, text);
}

static const char *option(const PQconninfoOption *opts, const char *key)
{
	for (const PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, key))
			return o->val && *o->val ? o->val : NULL;
	return NULL;
}

/* Whether libpq would reach one of the hosts over TCP: a host that is not a socket folder, or a hostaddr. */
static bool over_tcp(const PQconninfoOption *opts)
{
	if (option(opts, "hostaddr"))
		return true;
	const char *hosts = option(opts, "host");
	for (const char *h = hosts; h && *h;) {
		size_t len = strcspn(h, ",");
		if (len && h[0] != '/' && h[0] != '@')
			return true;
		h += len + (h[len] == ',');
	}
	return false;
}

static int check_postgresql(const char *uri, const char *shown, char **err)
{
	char *libpq_err = NULL;
	PQconninfoOption *opts = PQconninfoParse(uri, &libpq_err);
	if (!opts) {
		char *why = libpq_err ? scrubbed(libpq_err, uri) : xstrdup("out of memory");
		size_t len = strlen(why);
		while (len && (why[len - 1] == '\n' || why[len - 1] == '.'))
			why[--len] = '\0';
		*err = xasprintf("%s is not a PostgreSQL connection URI (%s); expected "
				 "postgresql://[USER@]HOST[:PORT][,HOST…]/DBNAME[?sslmode=verify-full]", shown, why);
		free(why);
		PQfreemem(libpq_err);
		return -1;
	}
	int rc = 0;
	if (option(opts, "password")) {
		*err = xasprintf("%s holds a password: keep passwords out of the config and the command line "
				 "(libpq's password file, ~/.pgpass or PGPASSFILE, holds it)", shown);
		rc = -1;
	} else if (over_tcp(opts) && !(option(opts, "sslmode") && !strcmp(option(opts, "sslmode"), "verify-full"))) {
		*err = xasprintf("%s reaches its server over TCP without verifying it: add sslmode=verify-full "
				 "(or connect through a Unix socket, host=/run/postgresql)", shown);
		rc = -1;
	}
	PQconninfoFree(opts);
	return rc;
}

/* Whether libpq reads the text as its keyword form (host=… dbname=…): then it is no file's name. */
static bool looks_like_keywords(const char *text)
{
	char *libpq_err = NULL;
	PQconninfoOption *opts = PQconninfoParse(text, &libpq_err);
	PQfreemem(libpq_err);
	if (!opts)
		return false;
	PQconninfoFree(opts);
	return true;
}

int dblocator_parse(const char *text, struct dblocator *out, char **err)
{
	memset(out, 0, sizeof(*out));
	size_t scheme = scheme_length(text);
	const char *path = NULL;
	if (starts_with(text, "postgresql://") || starts_with(text, "postgres://")) {
		out->driver = DBLOCATOR_POSTGRESQL;
		out->shown = dblocator_redacted(text);
		if (check_postgresql(text, out->shown, err))
			goto fail;
		out->conninfo = xstrdup(text);
		return 0;
	}
	if (starts_with(text, "sqlite://")) {
		path = text + strlen("sqlite://");
	} else if (starts_with(text, "sqlite:")) {
		path = text + strlen("sqlite:");
	} else if (scheme) {
		char *shown = dblocator_redacted(text);
		*err = xasprintf("%s names no database tsunagu knows: expected sqlite:PATH (or a bare path) or "
				 "postgresql://…", shown);
		free(shown);
		return -1;
	} else if (strchr(text, '=') && looks_like_keywords(text)) {
		char *shown = dblocator_redacted(text);
		*err = xasprintf("%s is a PostgreSQL connection string in libpq's keyword form: tsunagu takes a database "
				 "as sqlite:PATH (or a bare path) or postgresql://…", shown);
		free(shown);
		return -1;
	} else {
		path = text;
	}
	if (!*path) {
		*err = xstrdup("no database file named: expected sqlite:PATH or a path, e.g. var/tsunagu.db");
		return -1;
	}
	out->driver = DBLOCATOR_SQLITE;
	out->path = xstrdup(path);
	out->shown = xstrdup(path);
	return 0;
fail:
	dblocator_release(out);
	return -1;
}

void dblocator_release(struct dblocator *l)
{
	free(l->path);
	free(l->conninfo);
	free(l->shown);
	memset(l, 0, sizeof(*l));
}
