/*
 * resource — the community resource directory (社会資源): what a resource entry
 * holds and how it is checked, who may change it, how it is shown, and the
 * folded text it is searched by. The API, the HSDS import and the seed of the
 * demo directory all write through resource_save, so an entry means the same
 * whichever way it came in.
 */
#ifndef TSUNAGU_RESOURCE_H
#define TSUNAGU_RESOURCE_H

#include <jansson.h>
#include <stdbool.h>

#include "casemachine.h"
#include "config.h"
#include "store.h"

#define RESOURCE_ID_MAX 64

/* A checked resource: its normalised data and the columns the store indexes. */
struct resource_input {
	json_t *data;              /* name, description, category, provider, areas, address, schedule,
				      eligibility, contact, capacity, status */
	const char *category, *provider, *status, *capacity;   /* point into data */
	char **areas;              /* area ids (into data); none: every area */
	size_t n_areas;
};

void resource_input_release(struct resource_input *in);

/*
 * Checks a resource body (POST or PUT, or one entry of an import). Unknown keys
 * and unknown categories, organisations or areas are refused with the field
 * named. Returns 0 and *out, or -1 and *err.
 */
int resource_check(const struct config *cfg, const json_t *body, date_days today, struct resource_input *out,
		   struct cm_error *err);

/* True for an id a resource may carry: 1 to 64 of A–Z a–z 0–9 - _ . : (not "categories"). */
bool resource_valid_id(const char *id);

/* May this caller create or change a resource of this provider (coordinators: any)? */
bool resource_may_write(const struct cm_caller *who, const char *provider);

/*
 * Writes a checked resource: new (expected_version 0, id given or generated)
 * or replacing that version. Returns 0 (with *saved filled when non-NULL), 1
 * when the id exists (new) or the version is gone (replace), -1 on a storage error.
 */
int resource_save(struct store *s, const struct resource_input *in, const char *id, long expected_version,
		  const char *user, clock_us now, struct store_resource *saved);

/* The resource as the API shows it. New reference; times formatted by clk. */
json_t *resource_json(const struct config *cfg, const struct clock *clk, const struct store_resource *r);

/* A resource's short form inside a link: id, name, category and provider. */
json_t *resource_brief(const struct store_resource *r);

#endif
