/*
 * records — releasing what a record owns; a released record is all zeroes, so
 * releasing it again is harmless.
 */
#include "records.h"

#include <stdlib.h>
#include <string.h>

void case_record_release(struct case_record *c)
{
	free(c->id);
	free(c->pathway);
	free(c->state);
	free(c->origin_org);
	free(c->origin_user);
	free(c->receiver_org);
	free(c->assignee);
	free(c->subject_id);
	json_decref(c->consent);
	json_decref(c->fields);
	free(c->outcome);
	free(c->area);
	free(c->person_id);
	free(c->person_key);
	json_decref(c->duplicates);
	free(c->providers);
	memset(c, 0, sizeof(*c));
}

void link_record_release(struct link_record *l)
{
	free(l->id);
	free(l->case_id);
	free(l->resource_id);
	free(l->provider_org);
	free(l->status);
	free(l->proposed_on);
	free(l->joined_on);
	free(l->declined_on);
	free(l->ended_on);
	free(l->note);
	free(l->shared);
	json_decref(l->consent);
	free(l->created_by);
	free(l->created_org);
	memset(l, 0, sizeof(*l));
}

void resource_record_release(struct resource_record *r)
{
	free(r->id);
	json_decref(r->data);
	free(r->category);
	free(r->provider);
	free(r->status);
	free(r->capacity);
	free(r->updated_by);
	memset(r, 0, sizeof(*r));
}

static bool open_status(int status)
{
	return status == LINK_PROPOSED || status == LINK_JOINED;
}

void links_tally(int links[LINK_STATUS_COUNT], int *open, int old, int status, bool was_joined)
{
	if (old == status)
		return;
	if (old >= 0) {
		if (old != LINK_JOINED)
			links[old]--;
		*open -= open_status(old);
	}
	if (status != LINK_JOINED || old < 0 || !was_joined)
		links[status]++;
	/* A new record of an ended link the person had joined (as the store reads it) counts its joining. */
	if (old < 0 && was_joined && status != LINK_JOINED)
		links[LINK_JOINED]++;
	*open += open_status(status);
}
