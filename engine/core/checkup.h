/*
 * checkup — the health-checkup intake (SPEC §6a): a CSV of questionnaire results,
 * UTF-8 (with or without BOM) or CP932, one person per row. Each row is checked
 * like an opening through the API, answers given as option numbers (1, ①) or
 * option texts are read against the pathway's own option lists, the pathway's
 * eligibility rule decides which rows open a case, and one case is opened per
 * (person, checkup date, pathway): a corrected re-export opens nothing twice and
 * reports the rows that changed. A refused row stores nothing.
 */
#ifndef TSUNAGU_CHECKUP_H
#define TSUNAGU_CHECKUP_H

#include <jansson.h>

#include <stdbool.h>

#include "casemachine.h"
#include "flow.h"

#define CHECKUP_MAX_ROWS 100000

/*
 * Imports data (len bytes) as the flow's actor into pathway pw. A row
 * imported before whose values changed is reported with its changed columns;
 * with apply_changes it is applied (a correction of an open case, or a new
 * case where the rule now routes the person elsewhere). Returns the report
 * (caller decrefs), or NULL with *err: every problem of the whole file
 * (encoding, header), or storage_unavailable.
 */
json_t *checkup_import(const struct flow *f, const struct pathway *pw,
		       const char *data, size_t len, bool apply_changes, date_days today, struct refusal *err);

#endif
