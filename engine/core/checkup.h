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
 * An import of data (len bytes) as a flow's actor into pathway pw, read in
 * steps so that a large file never holds the daemon's loop: each step is a
 * unit of its caller's transaction, and a step that failed undoes only its own
 * rows (the rows of earlier steps stay; sending the file again reports them
 * unchanged). A row imported before whose values changed is reported with its
 * changed columns; with apply_changes it is applied (a correction of an open
 * case, or a new case where the rule now routes the person elsewhere).
 */
struct checkup_import;

/* Reads the file's encoding and header: the import, or NULL with *err (every problem of the header at once). */
struct checkup_import *checkup_import_begin(const struct pathway *pw, const char *data, size_t len, bool apply_changes,
					    date_days today, struct refusal *err);

/* Imports up to max_rows more rows (0: all): 1 while rows remain, 0 when the file is read, -1 on a storage error. */
int checkup_import_step(struct checkup_import *imp, const struct flow *f, int max_rows);

/* The report, once: its lists move out of imp (caller decrefs). */
json_t *checkup_import_report(struct checkup_import *imp);

void checkup_import_free(struct checkup_import *imp);

#endif
