/*
 * resource — the community resource directory (社会資源): what a resource entry
 * holds and how it is checked, who may change it, how it is shown, and the
 * folded text it is searched by (its writes are core/directory's).
 */
#ifndef TSUNAGU_RESOURCE_H
#define TSUNAGU_RESOURCE_H

#include <jansson.h>
#include <stdbool.h>

#include "casemachine.h"
#include "config.h"
#include "records.h"

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
		   struct refusal *err);

/* True for an id a resource may carry: 1 to 64 of A–Z a–z 0–9 - _ . : (not "categories"). */
bool resource_valid_id(const char *id);

/* May this caller create or change a resource of this provider (coordinators: any)? */
bool resource_may_write(const struct cm_caller *who, const char *provider);

/* The resource as the API shows it. New reference; times formatted by clk. */
json_t *resource_json(const struct config *cfg, const struct clock *clk, const struct resource_record *r);

/* A resource's short form inside a link: id, name, category and provider. */
json_t *resource_brief(const struct resource_record *r);

#endif
