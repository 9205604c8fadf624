/*
 * purge — retention. For every case closed before a date it erases the
 * person's details, the event payloads, the notes' text and the free-text
 * fields, and keeps what reports count (states, dates, outcomes, choices) and
 * the hash chain (which covers payload digests). A case whose provision
 * records are younger than three years keeps its data until they are not
 * (APPI art. 29: records are kept three years).
 */
#ifndef TSUNAGU_PURGE_H
#define TSUNAGU_PURGE_H

#include <stdbool.h>

#include "core.h"

struct purge_result {
	int purged;                /* or, in a dry run, would be */
	int kept;                  /* kept for their provision records */
};

/* Where a purge in batches has got to. */
struct purge_cursor {
	clock_us closed_at;
	char *id;                  /* the last case looked at, or NULL before the first batch */
	bool done;                 /* no case is left after it */
};

/*
 * Purges up to `limit` more of the cases closed before `before` (local
 * midnight of a date; limit 0: all), from where *cursor is (advanced), in the
 * caller's transaction, adding to *out; a batch that purged anything is an
 * admin event of its own. A dry run only counts. 0, or -1 on a storage error.
 * Batches in transactions of their own keep a running daemon waiting
 * milliseconds, and a purge cut off part way is completed by running it again.
 */
int purge_closed(struct core *core, clock_us before, clock_us now, bool dry_run, int limit, struct purge_cursor *cursor,
		 struct purge_result *out);

void purge_cursor_release(struct purge_cursor *cursor);

/* What an erasure did, or why it did not. */
struct erase_result {
	int erased;                /* cases whose personal data was erased */
	json_t *open;              /* ids of the person's cases still open (nothing erased then), or NULL */
};

void erase_result_release(struct erase_result *r);

/*
 * Erases one person's personal data on request (APPI art. 35) across their
 * cases, as purge does, whatever their age: the cases `who` stands on as
 * referrer or receiver (NULL: every case, for the operator at the command
 * line). Counts, outcomes, the chain and the provision records stay; the
 * records keep the person's name, which the law requires for three years.
 * Open cases are not erased: the erasure is refused (1, with their ids in
 * out->open) until they are closed. `person` is a person_id, subject id or
 * case id. Each case gets an `erase` event, and the erasure an admin event
 * naming who did it and why. 0 done (out->erased may be 0: nothing held), 1
 * refused, -1 on a storage error.
 */
int purge_person(struct core *core, const struct cm_caller *who, const char *operator, const char *person,
		 const char *reason, clock_us now, struct erase_result *out);

#endif
