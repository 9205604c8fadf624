/*
 * migrate — moves a pathway's running cases from one recorded version to
 * another (SPEC §3: running cases stay on their version unless a city moves
 * them). A case moves when its state exists in the new version, or the map
 * says where its state goes, and rules/ (cm_migrate) finds nothing in the way;
 * otherwise it stays, listed with every reason. The cases are read in id order
 * a batch at a time, each batch a unit of the caller's transaction (a loop
 * turn, or a command's core_transaction), so a migration stopped halfway —
 * kill -9 included — is completed by running it again: the cases moved are on
 * the new version and no longer listed. A dry run works out the same, case by
 * case, and writes nothing.
 */
#ifndef TSUNAGU_MIGRATE_H
#define TSUNAGU_MIGRATE_H

#include <jansson.h>
#include <stdbool.h>

#include "flow.h"

/* Cases per batch: a few milliseconds of work in a loop turn. */
#define MIGRATE_BATCH 50

struct migrate_job;

/*
 * May the map send state `old` of version `from` to state `new` of version
 * `to`? 0, or -1 with *why (field `field`, e.g. "map.states.OLD").
 */
int migrate_map_check(const struct pathway *from, const struct pathway *to, const char *old, const char *new,
		      const char *field, struct refusal *why);

/*
 * A migration of pathway `id` from version `from` to version `to` (both
 * recorded in the store), with map {"states": {OLD: NEW}} or NULL. NULL with
 * *why when the versions or the map will not do (every problem of the map).
 */
struct migrate_job *migrate_begin(struct core *core, const char *id, long from, long to, const json_t *map,
				  bool dry_run, struct refusal *why);

/*
 * Works out (and unless a dry run, writes) up to limit more cases as the
 * flow's actor; after the last, the migration's admin event (not for a dry
 * run). 1 while cases remain, 0 when done, -1 on a storage error (this batch's
 * writes are the caller's to roll back; running the migration again goes on).
 */
int migrate_step(struct migrate_job *j, const struct flow *f, int limit);

/*
 * What was done (or, for a dry run, would be), case by case:
 * {pathway, from, to, dry_run, moved, stayed, items: [{case, moves: true,
 * from_state, to_state, due_at, timers: [{name, due_at, at_once, spent}]} |
 * {case, moves: false, state, reasons: [{code, field, message, message_ja}]}]},
 * times in the core's zone (at_once: due already, it fires at once). The list
 * moves out of j (caller decrefs).
 */
json_t *migrate_report(struct migrate_job *j);

/* How many cases moved (or would) and stayed so far. */
void migrate_counts(const struct migrate_job *j, long *moved, long *stayed);

void migrate_free(struct migrate_job *j);

#endif
