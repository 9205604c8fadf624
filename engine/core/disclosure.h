/*
 * disclosure — answering a person's request for disclosure (APPI 開示請求):
 * everything held about them that the asking organisation may see — their
 * cases, the history of each, the notes visible to that organisation, and the
 * provision records of their data — as JSON and as printable Japanese text.
 */
#ifndef TSUNAGU_DISCLOSURE_H
#define TSUNAGU_DISCLOSURE_H

#include <jansson.h>

#include "core.h"
#include "casemachine.h"

/*
 * The handed items of a provision record ("subject.name,fields.concern") as
 * people read them, in Japanese: the person's items by name, a pathway's
 * fields by their titles (by id when pw is NULL or has no such field). Caller frees.
 */
char *disclosure_items_title(const struct pathway *pw, const char *items);

/* The cases a disclosure covers. */
struct disclosure_scope {
	char **case_ids;
	size_t n;
};

/*
 * Finds the cases of person `id` (a person_id, subject id or case id) that
 * `who` stands on and may see personal data of, and writes the access-log row
 * of each read (in the caller's transaction). 0 (scope->n may be 0), or -1 on
 * a storage error. Written apart from the build, so that the rows commit on
 * the loop and the build, which only reads, can run on a worker.
 */
int disclosure_log_reads(struct core *core, const struct cm_caller *who, const char *user_id, const char *id,
			 clock_us now, struct disclosure_scope *scope);

void disclosure_scope_release(struct disclosure_scope *scope);

/*
 * The disclosure of the scope's cases to `who`, generated at `now` for person
 * `id`: JSON (caller decrefs) or NULL on a storage error. Reads only.
 */
json_t *disclosure_build(struct core *core, const struct cm_caller *who, const struct disclosure_scope *scope,
			 const char *id, clock_us now);

/* The same as printable text in Japanese. Caller frees. */
char *disclosure_text(const json_t *d);

#endif
