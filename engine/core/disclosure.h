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
 * The disclosure of person `id` (a person_id, subject id or case id) for `who`,
 * covering the cases who stands on and may see personal data of; each case read
 * is written to the access log. Returns JSON (caller decrefs; "cases" may be
 * empty) or NULL on a storage error.
 */
json_t *disclosure_build(struct core *core, const struct cm_caller *who, const char *user_id, const char *id,
			 clock_us now);

/* The same as printable text in Japanese. Caller frees. */
char *disclosure_text(const json_t *d);

#endif
