/*
 * backup — the copy is made by the store (VACUUM INTO on its own read-only
 * connection) into an empty file this module made 0600, so the snapshot is
 * never readable by others, then fsynced, checked on a connection of its own
 * (STORE_INSPECT: any schema), sealed when asked, renamed into place with the
 * folder fsynced; the manifest follows the same way.
 */
#include "backup.h"
#include "log.h"
#include "seal.h"
#include "version.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

char *backup_manifest_path(const char *backup)
{
	return xasprintf("%s.manifest.json", backup);
}

static char *folder_of(const char *path)
{
	char *copy = xstrdup(path);
	char *dir = xstrdup(dirname(copy));
	free(copy);
	return dir;
}

static char *base_of(const char *path)
{
	char *copy = xstrdup(path);
	char *base = xstrdup(basename(copy));
	free(copy);
	return base;
}

/* An empty file of ours, 0600 whatever the umask (VACUUM INTO writes into it). */
static int make_private(const char *path, char **err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600)) {
		*err = xasprintf("cannot create %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int sha256_file(const char *path, char out[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	unsigned char buf[1 << 16], md[32];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	unsigned int len = 0;
	EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	close(fd);
	if (n < 0)
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Checks a plain copy as a database: its integrity, its schema and its whole chain; fills m. */
static int check_copy(const char *path, struct backup_manifest *m, char **err)
{
	struct store *s = NULL;
	char *problem = NULL;
	int ret = -1;
	if (store_schema_of(path, &m->schema, err) || store_open(path, STORE_INSPECT, &s, NULL, err))
		return -1;
	int rc = store_integrity(s, &problem);
	if (rc) {
		*err = rc > 0 ? xasprintf("the copy fails integrity_check: %s", problem)
			      : xasprintf("cannot check the copy: %s", store_errmsg(s));
		goto out;
	}
	struct store_verify v;
	if (store_verify_chain(s, &v)) {
		*err = xasprintf("cannot walk the copy's event chain: %s", store_errmsg(s));
		goto out;
	}
	if (v.bad_seq) {
		*err = xasprintf("the copy's event chain is broken at event %lld (%s): the database itself is; run tsunagu "
				 "audit verify", (long long)v.bad_seq, v.reason);
		goto out;
	}
	m->events = v.events;
	memcpy(m->head_hash, v.head_hash, sizeof(m->head_hash));
	ret = 0;
out:
	free(problem);
	store_close(s);
	return ret;
}

/* Seals plain into sealed (made 0600). */
static int seal_copy(const char *plain, const char *sealed, const char *key_file, char **err)
{
	unsigned char key[SEAL_KEY_BYTES];
	if (seal_key_read(key_file, key, err))
		return -1;
	int ret = -1, in = open(plain, O_RDONLY | O_CLOEXEC), out = -1;
	if (in < 0 || make_private(sealed, err) || (out = open(sealed, O_WRONLY | O_CLOEXEC)) < 0) {
		if (!*err)
			*err = xasprintf("cannot seal the backup: %s", strerror(errno));
	} else if (seal_file(in, out, key, err) == 0) {
		if (fsync(out) == 0)
			ret = 0;
		else
			*err = xasprintf("cannot fsync %s: %s", sealed, strerror(errno));
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

static int write_manifest(const char *backup, const struct backup_manifest *m, const char *database, char **err)
{
	char at[40];
	time_t secs = (time_t)(m->created_at / 1000000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	char *file = base_of(backup), *dir = folder_of(backup), *name = backup_manifest_path(file);
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s, s:i, s:I, s:s, s:s, s:b, s:s}", "format", "tsunagu-backup/1",
			      "file", file, "created_at", at, "created_at_us", (json_int_t)m->created_at, "tsunagu",
			      TSUNAGU_VERSION, "schema", m->schema, "events", (json_int_t)m->events, "head_hash",
			      m->head_hash, "sha256", m->sha256, "encrypted", m->encrypted, "source", database);
	char *dumped = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	char *text = xasprintf("%s\n", dumped);
	free(dumped);
	json_decref(j);
	int rc = write_file_atomic_mode(dir, name, text, strlen(text), 0600, err);
	free(text);
	free(file);
	free(dir);
	free(name);
	return rc;
}

int backup_take(const char *database, const char *out, const char *key_file, clock_us now, struct backup_manifest *m,
		char **err)
{
	memset(m, 0, sizeof(*m));
	m->created_at = now;
	m->encrypted = key_file != NULL;
	char *plain = xasprintf("%s.tmp-%ld", out, (long)getpid()), *sealed = xasprintf("%s.sealed-%ld", out, (long)getpid());
	char *dir = folder_of(out);
	int ret = -1;
	if (access(out, F_OK) == 0) {
		*err = xasprintf("%s exists: a backup never replaces a file", out);
		goto out;
	}
	if (make_private(plain, err) || store_copy_to(database, plain, err))
		goto out;
	if (fsync_path(plain)) {
		*err = xasprintf("cannot fsync %s: %s", plain, strerror(errno));
		goto out;
	}
	if (check_copy(plain, m, err))
		goto out;
	const char *final = plain;
	if (key_file) {
		if (seal_copy(plain, sealed, key_file, err))
			goto out;
		unlink(plain);
		final = sealed;
	}
	if (sha256_file(final, m->sha256) || rename(final, out) || fsync_dir(dir)) {
		*err = xasprintf("cannot put the backup at %s: %s", out, strerror(errno));
		goto out;
	}
	if (write_manifest(out, m, database, err)) {
		unlink(out);
		goto out;
	}
	ret = 0;
out:
	unlink(plain);
	unlink(sealed);
	free(plain);
	free(sealed);
	free(dir);
	return ret;
}

int backup_manifest_read(const char *path, struct backup_manifest *m, char **err)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	memset(m, 0, sizeof(*m));
	if (!j) {
		/* jansson quotes the text near its error: of a key given in the manifest's place, its first digits */
		bool unreadable = json_error_code(&je) == json_error_cannot_open_file;
		*err = unreadable ? xasprintf("cannot read the manifest %s: %s", path, je.text)
				  : xasprintf("%s is not a tsunagu backup manifest (not JSON, at line %d, column %d)", path,
					      je.line, je.column);
		return -1;
	}
	const char *format = json_string_value(json_object_get(j, "format"));
	const char *head = json_string_value(json_object_get(j, "head_hash"));
	const char *sha = json_string_value(json_object_get(j, "sha256"));
	int ret = -1;
	if (!format || strcmp(format, "tsunagu-backup/1") || !head || strlen(head) != 64 || !sha || strlen(sha) != 64 ||
	    !json_is_integer(json_object_get(j, "events"))) {
		*err = xasprintf("%s is not a tsunagu backup manifest (format tsunagu-backup/1)", path);
	} else {
		m->created_at = (clock_us)json_integer_value(json_object_get(j, "created_at_us"));
		m->schema = (int)json_integer_value(json_object_get(j, "schema"));
		m->events = (int64_t)json_integer_value(json_object_get(j, "events"));
		m->encrypted = json_is_true(json_object_get(j, "encrypted"));
		snprintf(m->head_hash, sizeof(m->head_hash), "%s", head);
		snprintf(m->sha256, sizeof(m->sha256), "%s", sha);
		ret = 0;
	}
	json_decref(j);
	return ret;
}

int backup_check_manifest(struct store *s, const struct backup_manifest *m, char **why)
{
	if (m->events == 0)
		return 0;
	char hash[65];
	int rc = store_event_hash(s, m->events, hash);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		int64_t now = store_count(s, "events");
		*why = xasprintf("the backup held %lld events; the database holds %lld, without event %lld: events the "
				 "backup covered were cut off", (long long)m->events, (long long)now, (long long)m->events);
		return 1;
	}
	if (strcmp(hash, m->head_hash)) {
		*why = xasprintf("event %lld is not the one the backup recorded (its hash differs): events the backup "
				 "covered were replaced", (long long)m->events);
		return 1;
	}
	return 0;
}

/* The database's real path: -wal, -shm and -lock lie beside the file a symlink points to. */
static char *real_database(const char *database)
{
	char *real = realpath(database, NULL);
	return real ? real : xstrdup(database);
}

int backup_claim(const char *database, char **err)
{
	char *real = real_database(database);
	char *path = xasprintf("%s-lock", real);
	free(real);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*err = xasprintf("cannot open %s: %s", path, strerror(errno));
	} else if (flock(fd, LOCK_EX | LOCK_NB)) {
		*err = errno == EWOULDBLOCK
			       ? xasprintf("a tsunagu daemon (or a restore) holds %s; stop it first (systemctl stop tsunagu)",
					   database)
			       : xasprintf("cannot lock %s: %s", path, strerror(errno));
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

void restore_result_release(struct restore_result *r)
{
	forget_replay_release(&r->replay);
	free(r->replaced);
	r->replaced = NULL;
}

/* The backup as a plain database at tmp (made 0600): opened when sealed, copied when not. */
static int unpack(const char *backup, const char *tmp, const char *key_file, char **err)
{
	bool sealed = seal_is_sealed(backup);
	unsigned char key[SEAL_KEY_BYTES];
	if (sealed && !key_file) {
		*err = xasprintf("%s is encrypted: give --key-file (the key it was made with)", backup);
		return -1;
	}
	if (sealed && seal_key_read(key_file, key, err))
		return -1;
	int ret = -1, in = open(backup, O_RDONLY | O_CLOEXEC), out = -1;
	if (in < 0) {
		*err = xasprintf("cannot read %s: %s", backup, strerror(errno));
		goto out;
	}
	if (make_private(tmp, err))
		goto out;
	if ((out = open(tmp, O_WRONLY | O_CLOEXEC)) < 0) {
		*err = xasprintf("cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (sealed) {
		if (seal_open_file(in, out, key, err))
			goto out;
	} else {
		char buf[1 << 16];
		ssize_t n;
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write_all_fd(out, buf, (size_t)n))
				break;
		if (n != 0) {
			*err = xasprintf("cannot copy %s: %s", backup, strerror(errno));
			goto out;
		}
	}
	if (fsync(out)) {
		*err = xasprintf("cannot fsync %s: %s", tmp, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

struct after_restore {
	struct core *core;
	struct restore_result *out;
	clock_us now;
	char *err;
};

static int end_sessions_and_forget_again(void *ctx)
{
	struct after_restore *a = ctx;
	int ended = store_sessions_end_all(a->core->store, "restored", a->now);
	if (ended < 0)
		return -1;
	a->out->sessions_ended = ended;
	if (forget_replay(a->core, a->now, &a->out->replay, &a->err))
		return -1;
	char operator[CORE_OPERATOR_MAX];
	json_t *payload = json_pack("{s:I, s:s, s:i}", "events", (json_int_t)a->out->events, "head_hash",
				    a->out->manifest.head_hash, "sessions_ended", ended);
	int rc = core_admin_event(a->core, a->now, NULL, core_operator(operator), "restored", payload);
	json_decref(payload);
	return rc;
}

/* Gives path the owner of the file (or folder) it takes the place of: a restore run as root stays the daemon's. */
static void own_as(const char *path, const char *like)
{
	struct stat st;
	if (stat(like, &st) == 0 && chown(path, st.st_uid, st.st_gid) && errno != EPERM)
		log_msg(LOGM_STORE_ERROR, "cannot give %s the owner of %s: %s", path, like, strerror(errno));
}

/* Ends the sessions and does the forget log again on the copy, before it takes the database's place. */
static int prepare_copy(struct config *cfg, const struct clock *clock, const struct calendar *cal, const char *tmp,
			struct restore_result *out, char **err)
{
	struct store *s = NULL;
	char *why = NULL;
	if (store_open(tmp, STORE_EXISTING, &s, NULL, &why)) {
		*err = xasprintf("the backup does not open as a database of this tsunagu: %s", why);
		free(why);
		return -1;
	}
	struct core core = { .cfg = cfg, .store = s, .clock = (struct clock *)clock, .cal = cal };
	struct after_restore a = { .core = &core, .out = out, .now = clock_now(clock) };
	int ret = 0;
	if (core_transaction(&core, end_sessions_and_forget_again, &a)) {
		*err = xasprintf("ending the sessions and doing the forget log again failed: %s",
				 a.err ? a.err : store_errmsg(s));
		ret = -1;
	}
	free(a.err);
	/* everything in the file itself: the copy moves without a WAL of its own */
	store_checkpoint_truncate(s);
	core_release(&core);
	store_close(s);
	return ret;
}

int backup_restore(struct config *cfg, const struct clock *clock, const struct calendar *cal, const char *backup,
		   const char *key_file, struct restore_result *out, char **err)
{
	memset(out, 0, sizeof(*out));
	char *database = real_database(cfg->database);
	char *tmp = xasprintf("%s.restore-%ld", database, (long)getpid()), *manifest = backup_manifest_path(backup);
	char *dir = folder_of(database), *wal = xasprintf("%s-wal", database), *shm = xasprintf("%s-shm", database);
	char *tmp_wal = xasprintf("%s-wal", tmp), *tmp_shm = xasprintf("%s-shm", tmp);
	char *aside = NULL, *aside_wal = NULL;
	int ret = -1, claim = backup_claim(database, err);
	if (claim < 0)
		goto out;
	if (access(manifest, F_OK) == 0) {
		char sha[65];
		if (backup_manifest_read(manifest, &out->manifest, err))
			goto out;
		out->had_manifest = true;
		if (sha256_file(backup, sha) || strcmp(sha, out->manifest.sha256)) {
			*err = xasprintf("%s does not match its manifest (its SHA-256 differs): it was changed or cut off",
					 backup);
			goto out;
		}
	}
	struct backup_manifest found = { 0 };
	if (unpack(backup, tmp, key_file, err) || check_copy(tmp, &found, err))
		goto out;
	if (found.schema > STORE_SCHEMA_VERSION) {
		*err = xasprintf("%s was made by a newer tsunagu (schema %d; this one reads %d): restore it with that "
				 "release; nothing was changed", backup, found.schema, STORE_SCHEMA_VERSION);
		goto out;
	}
	if (out->had_manifest && (found.events != out->manifest.events || strcmp(found.head_hash, out->manifest.head_hash))) {
		*err = xasprintf("%s holds %lld events, not the %lld of its manifest", backup, (long long)found.events,
				 (long long)out->manifest.events);
		goto out;
	}
	if (!out->had_manifest)
		out->manifest = found;
	out->events = found.events;
	/* all that can fail is done on the copy: the live database is not touched until it is ready */
	if (prepare_copy(cfg, clock, cal, tmp, out, err))
		goto out;
	unlink(tmp_wal);
	unlink(tmp_shm);
	own_as(tmp, access(database, F_OK) == 0 ? database : dir);
	if (fsync_path(tmp)) {
		*err = xasprintf("cannot fsync %s: %s", tmp, strerror(errno));
		goto out;
	}
	/*
	 * The database it replaces is kept aside with its WAL (the newest commits
	 * may be only there), so nothing of it is lost whatever happens now; its
	 * -shm is an index SQLite rebuilds.
	 */
	char at[32];
	time_t secs = time(NULL);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(at, sizeof(at), "%Y%m%dT%H%M%SZ", &tm);
	aside = xasprintf("%s.before-restore-%s", database, at);
	/* a second restore within the same second keeps the first's copy: the next free name */
	for (int k = 2; access(aside, F_OK) == 0 && k < 1000; k++) {
		free(aside);
		aside = xasprintf("%s.before-restore-%s-%d", database, at, k);
	}
	aside_wal = xasprintf("%s-wal", aside);
	bool had = access(database, F_OK) == 0;
	if ((had && rename(database, aside)) || (access(wal, F_OK) == 0 && rename(wal, aside_wal)) ||
	    (unlink(shm) && errno != ENOENT)) {
		*err = xasprintf("cannot move the database aside to %s: %s", aside, strerror(errno));
		goto undo;
	}
	if (rename(tmp, database) || fsync_dir(dir)) {
		*err = xasprintf("cannot put the backup in place at %s: %s", database, strerror(errno));
		goto undo;
	}
	out->replaced = had ? aside : NULL;
	if (had)
		aside = NULL;
	ret = 0;
	goto out;
undo:
	if (access(aside_wal, F_OK) == 0)
		rename(aside_wal, wal);
	if (had && access(aside, F_OK) == 0)
		rename(aside, database);
out:
	if (claim >= 0)
		close(claim);
	unlink(tmp);
	unlink(tmp_wal);
	unlink(tmp_shm);
	free(database);
	free(tmp);
	free(tmp_wal);
	free(tmp_shm);
	free(manifest);
	free(dir);
	free(wal);
	free(shm);
	free(aside);
	free(aside_wal);
	return ret;
}

struct dated {
	char *name;
	time_t mtime;
};

/* Oldest first; of one second, by name. */
static int compare_dated(const void *a, const void *b)
{
	const struct dated *x = a, *y = b;
	return x->mtime != y->mtime ? (x->mtime < y->mtime ? -1 : 1) : strcmp(x->name, y->name);
}

/*
 * Removes the oldest pre-migration backups of dir beyond keep (their manifests
 * with them), and the temporaries of a backup cut short (a start systemd
 * killed): each is a whole copy of the database.
 */
static void prune(const char *dir, int keep)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dated *found = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *name = e->d_name;
		size_t len = strlen(name);
		if (strncmp(name, "pre-migration-", 14))
			continue;
		char *path = xasprintf("%s/%s", dir, name);
		struct stat st;
		if (strstr(name, ".db.tmp-") || strstr(name, ".db.sealed-")) {
			unlink(path);
		} else if (len > 3 && !strcmp(name + len - 3, ".db") && stat(path, &st) == 0) {
			grow_array(&found, &alloc, n + 1, sizeof(*found));
			found[n++] = (struct dated){ xstrdup(name), st.st_mtime };
		}
		free(path);
	}
	closedir(d);
	qsort(found, n, sizeof(*found), compare_dated);
	for (size_t i = 0; i + (size_t)keep < n; i++) {
		char *path = xasprintf("%s/%s", dir, found[i].name), *m = backup_manifest_path(path);
		unlink(path);
		unlink(m);
		free(path);
		free(m);
	}
	for (size_t i = 0; i < n; i++)
		free(found[i].name);
	free(found);
}

int backup_before_migration(const struct config *cfg, int from_schema, clock_us now, char **made, char **err)
{
	char *db_dir = folder_of(cfg->database);
	char *dir = cfg->backup.dir ? xstrdup(cfg->backup.dir) : xasprintf("%s/backups", db_dir);
	char *out = NULL;
	int ret = -1;
	struct stat st;
	struct statvfs vfs;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		*err = xasprintf("cannot make the backup folder %s: %s", dir, strerror(errno));
		goto out;
	}
	int64_t need = 0;
	if (stat(cfg->database, &st) == 0)
		need += st.st_size;
	char *wal = xasprintf("%s-wal", cfg->database);
	if (stat(wal, &st) == 0)
		need += st.st_size;
	free(wal);
	need += (int64_t)cfg->backup.min_free_mb << 20;
	if (statvfs(dir, &vfs) == 0 && (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize < need) {
		*err = xasprintf("the backup folder %s has %lld MB free; the backup before the migration needs %lld MB "
				 "(backup.min_free_mb included): make room, or set backup.dir", dir,
				 (long long)((int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize >> 20), (long long)(need >> 20));
		goto out;
	}
	char at[32];
	time_t secs = (time_t)(now / 1000000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(at, sizeof(at), "%Y%m%dT%H%M%SZ", &tm);
	out = xasprintf("%s/pre-migration-%s-schema%d.db", dir, at, from_schema);
	/* two migrations in one second (a restore and a start): the second's name gets a number */
	for (int n = 2; access(out, F_OK) == 0 && n < 100; n++) {
		free(out);
		out = xasprintf("%s/pre-migration-%s-schema%d-%d.db", dir, at, from_schema, n);
	}
	struct backup_manifest m;
	if (backup_take(cfg->database, out, cfg->backup.key_file, now, &m, err))
		goto out;
	prune(dir, cfg->backup.keep);
	*made = out;
	out = NULL;
	ret = 0;
out:
	free(out);
	free(dir);
	free(db_dir);
	return ret;
}
