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

/*
 * Purges the cases closed before `before` (local midnight of a date), in the
 * caller's transaction; a dry run only counts. 0, or -1 on a storage error.
 */
int purge_closed(struct core *core, clock_us before, clock_us now, bool dry_run, struct purge_result *out);

#endif
