/*
 * tally — the reports of records by fiscal year, for pathways whose cases are
 * records (a consultation desk, an issue register), though any pathway will do:
 * the tally counts a pathway's cases by the value of an enum field and the
 * fiscal year of a date (a date field, or the opening), adding the counts
 * imported for the years before the system (aggregates, never invented
 * records); the timeline lists the records of one action by fiscal year (what
 * was done on each issue, year by year). Nothing here knows a pathway's name:
 * the caller names the pathway and its fields. Both read records about no
 * person only (`subject: none`): a pathway about people has the funnel,
 * durations and resources reports, which carry no one's details.
 */
#ifndef TSUNAGU_TALLY_H
#define TSUNAGU_TALLY_H

#include <jansson.h>

#include "core.h"
#include "refusal.h"

/* The reader: its roles must see every field a report names (0: an operator at the command line sees all). */
struct tally_reader {
	role_mask roles;
};

/* These reports read records about no person only: 0, or -1 with *why (a pathway about people). */
int tally_records_only(const struct pathway *pw, struct refusal *why);

struct tally_query {
	struct tally_reader reader;
	const char *field;         /* an enum field of the pathway: the rows */
	const char *date_field;    /* a date field giving each record's fiscal year (one without it is not
				    * counted), or NULL: the opening's */
	int from_year, to_year;    /* fiscal years, both included; 0: from the first / to the last with a count */
};

/*
 * {pathway, field, date, fiscal_years: [{year, label, short}], rows: [{value,
 * title, counts: [..], recorded: [..], imported: [..], total}], totals: [..],
 * total}: one row per value of the field in the loaded version's order (a value
 * only older versions had comes after), one column per fiscal year. NULL with
 * *why when the query names no such fields, or on a storage error.
 */
json_t *tally_report(struct core *core, const struct pathway *pw, const struct tally_query *q, struct refusal *why);

/*
 * Imports the counts of a CSV of `fiscal_year,FIELD,count` (a header row,
 * then one row per year and value; the year as 2017, H29, 平成29年度 or R6年度,
 * the value as its code or its Japanese or English title): every row checked
 * first, then all written, each replacing an earlier count of that year and
 * value. Returns {imported: N} or NULL with *why (the bad rows, with their
 * lines: the first TALLY_MAX_PROBLEMS of them). At most TALLY_MAX_ROWS rows.
 */
#define TALLY_MAX_ROWS 10000
#define TALLY_MAX_PROBLEMS 50
json_t *tally_import(struct core *core, const struct pathway *pw, const char *field, const char *data, size_t len,
		     clock_us now, struct refusal *why);

struct timeline_query {
	struct tally_reader reader;
	const char *action;        /* the action whose records are listed */
	const char *year_field;    /* the year of each: an int field holding the fiscal year, or a date field */
	const char *kind_field;    /* an enum field of the action: what kind of action (◆, ◇, ★) */
	const char *label_field;   /* a field of the case naming it in the table (its code), or NULL: the case id */
	const char *note_field;    /* a text field of the action, or NULL */
	int from_year, to_year;
};

/*
 * {pathway, action, fiscal_years: [{year, label, short, cases: [labels], entries:
 * [{case, label, kind, kind_title, note}]}]}: each fiscal year with an action
 * recorded, the cases acted on that year (by label, in order) and each action.
 * NULL with *why.
 */
json_t *timeline_report(struct core *core, const struct pathway *pw, const struct timeline_query *q,
			struct refusal *why);

/* A tally or a timeline as CSV text for a spreadsheet (no cell a formula; the caller adds the BOM). Caller frees. */
char *tally_csv(const json_t *tally);
char *timeline_csv(const json_t *timeline);

#endif
