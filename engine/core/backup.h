/*
 * backup — a consistent copy of the database while the daemon runs, checked
 * before it is trusted (integrity_check and the event chain, on the copy),
 * optionally sealed with a key file, with a manifest beside it that
 * `audit verify --manifest` holds the live database to; and the restore of
 * one. Every file made here is mode 0600 whatever the umask: a backup holds
 * 要配慮個人情報.
 */
#ifndef TSUNAGU_BACKUP_H
#define TSUNAGU_BACKUP_H

#include <stdbool.h>

#include "core.h"
#include "forget.h"

struct backup_manifest {
	clock_us created_at;
	int schema;
	int64_t events;            /* events the copy holds; its chain verified whole */
	char head_hash[65];        /* the hash of its last event (the chain's genesis hash when none) */
	char sha256[65];           /* of the backup file as written (sealed or not) */
	bool encrypted;
};

/* Where the manifest of a backup file goes: FILE.manifest.json (caller frees). */
char *backup_manifest_path(const char *backup);

/*
 * Copies the database at `database` to `out` (a temporary name, fsynced,
 * checked, sealed when key_file is given, renamed, the folder fsynced) and
 * writes its manifest. 0 with *m, or -1 with *err (nothing is left at out).
 */
int backup_take(const char *database, const char *out, const char *key_file, clock_us now, struct backup_manifest *m,
		char **err);

/* Reads a manifest. 0, or -1 with *err. */
int backup_manifest_read(const char *path, struct backup_manifest *m, char **err);

/*
 * Holds the live database to a manifest: the events it covered are all there,
 * unchanged (the live chain has the manifest's event count at least, and the
 * same hash at its last event). 0 when they are, 1 with *why when events were
 * cut off or changed, -1 on a storage error.
 */
int backup_check_manifest(struct store *s, const struct backup_manifest *m, char **why);

/*
 * Claims the database for one process (a lock on DATABASE-lock, held as long
 * as the descriptor is open): the daemon for its life, a restore while it
 * runs. The descriptor, or -1 with *err (another holds it, or the lock file
 * cannot be made).
 */
int backup_claim(const char *database, char **err);

struct restore_result {
	struct backup_manifest manifest;
	bool had_manifest;
	int64_t events;
	int sessions_ended;
	struct forget_replay replay;   /* what the forget log did again */
	char *replaced;            /* where the database it replaced was kept (with its -wal), or NULL */
};

/*
 * Replaces the database at cfg->database with the backup (opened with
 * key_file when sealed), after checking it against its manifest, its
 * integrity, its chain and its schema (not newer than this tsunagu's); on the
 * copy, in one transaction, every session is ended and the forget log done
 * again; only then is the database moved aside (with its -wal: kept as
 * out->replaced) and the copy put in its place, owned as the database was.
 * Refused while a daemon holds the database. 0, or -1 with *err (the database
 * is then as it was).
 */
int backup_restore(struct config *cfg, const struct clock *clock, const struct calendar *cal, const char *backup,
		   const char *key_file, struct restore_result *out, char **err);

void restore_result_release(struct restore_result *r);

/*
 * Before the daemon migrates a database of an older schema: a backup into
 * cfg->backup.dir (default backups/ beside the database), refused when the
 * folder lacks room for it and backup.min_free_mb more; the oldest of the
 * folder's pre-migration backups beyond backup.keep are removed. 0 (the path
 * in *made, caller frees), or -1 with *err: the migration must not go on.
 */
int backup_before_migration(const struct config *cfg, int from_schema, clock_us now, char **made, char **err);

#endif
