/*
 * hsds — the resource directory in Open Referral HSDS 3.0 form, so that it can
 * be exchanged with other directory tools. JSON is a page of compiled services,
 * as the HSDS API answers GET /services; CSV is the tabular data package, one
 * file per table with a datapackage.json. A resource is one service with its
 * organization, phones, contacts, schedules, service areas, a location with its
 * address, and attributes from two taxonomies of tsunagu's: the resource
 * category and the capacity status (HSDS 3.0 has no field for either).
 */
#ifndef TSUNAGU_HSDS_H
#define TSUNAGU_HSDS_H

#include <jansson.h>

#include "config.h"
#include "diag.h"
#include "resource.h"
#include "store.h"

/* The checked resources of an HSDS file, with their service ids. */
struct hsds_entry {
	char *id;
	struct resource_input in;
};

struct hsds_import {
	struct hsds_entry *items;
	size_t n;
};

void hsds_import_release(struct hsds_import *im);

/*
 * Reads a directory from path: a JSON file (a page of services or an array of
 * them) or a folder of CSV tables (service.csv, organization.csv, …). Every
 * service is mapped and checked as a resource; each problem is added to d at
 * file:line:column. Returns 0, or -1 when there was any error (nothing in *out).
 */
int hsds_read(const struct config *cfg, const char *path, date_days today, struct hsds_import *out,
	      struct diag *d);

struct hsds_result {
	int created, updated, unchanged;
};

/* Writes the entries in the caller's transaction: new ids are created, changed ones replaced. */
/* Carries an entry's publication flags (publish, contact.phone_public, email_public) into its new data. */
void hsds_keep_publication(const json_t *old, json_t *data);

int hsds_apply(struct store *s, const struct hsds_import *im, const char *user, clock_us now,
	       struct hsds_result *res);

/*
 * Reads the file and writes it in the caller's transaction. Returns 0; -1 when
 * the file has problems (in d; nothing written); -2 when the database could not
 * take it (the caller rolls back).
 */
int hsds_import_file(struct store *s, const struct config *cfg, const char *path, date_days today,
		     const char *user, clock_us now, struct hsds_result *res, struct diag *d);

/* The whole directory as an HSDS page of services (caller decrefs), or NULL on a storage error. */
json_t *hsds_export_json(const struct config *cfg, const struct clock *clk, struct store *s);

/* The whole directory as CSV tables and datapackage.json in dir (created if needed). 0, or -1 with *err. */
int hsds_export_csv(const struct config *cfg, const struct clock *clk, struct store *s, const char *dir,
		    char **err);

#endif
