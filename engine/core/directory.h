/*
 * directory — the writes of the community resource directory. The API, the
 * HSDS import and the seed of the demo directory all write through
 * directory_save, so an entry means the same whichever way it came in; a
 * resource carries no personal data.
 */
#ifndef TSUNAGU_DIRECTORY_H
#define TSUNAGU_DIRECTORY_H

#include "resource.h"
#include "store.h"

/*
 * Writes a checked resource: new (expected_version 0, id given or generated)
 * or replacing that version, with the folded text the search reads. Returns 0
 * (with *saved filled when non-NULL), 1 when the id exists (new) or the version
 * is gone (replace), -1 on a storage error.
 */
int directory_save(struct store *s, const struct resource_input *in, const char *id, long expected_version,
		   const char *user, clock_us now, struct resource_record *saved);

#endif
