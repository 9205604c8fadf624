/*
 * directory — a resource's search text folds every text a person might search
 * by (names, description, address, schedule, eligibility, contact name), and
 * its sort key is its folded Japanese name.
 */
#include "directory.h"
#include "textfold.h"
#include "token.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void add_folded(struct buf *b, const json_t *text)
{
	const char *s = json_string_value(text);
	if (!s)
		return;
	char *f = textfold_fold(s, strlen(s));
	if (f) {
		buf_adds(b, f);
		buf_addc(b, '\x1f');
	}
	free(f);
}

int directory_save(struct store *s, const struct resource_input *in, const char *id, long expected_version,
		   const char *user, clock_us now, struct resource_record *saved)
{
	const json_t *d = in->data;
	struct buf folded;
	buf_init(&folded);
	const json_t *name = json_object_get(d, "name");
	add_folded(&folded, json_object_get(name, "ja"));
	add_folded(&folded, json_object_get(name, "en"));
	add_folded(&folded, json_object_get(d, "description"));
	add_folded(&folded, json_object_get(d, "address"));
	add_folded(&folded, json_object_get(d, "schedule"));
	add_folded(&folded, json_object_get(d, "eligibility"));
	add_folded(&folded, json_object_get(json_object_get(d, "contact"), "name"));
	const char *ja = json_string_value(json_object_get(name, "ja"));
	char *sort_key = textfold_fold(ja, strlen(ja));
	char *new_id = id ? xstrdup(id) : token_new_id("r_");
	struct resource_record r = {
		.id = new_id, .data = (json_t *)d, .category = (char *)in->category, .provider = (char *)in->provider,
		.status = (char *)in->status, .capacity = (char *)in->capacity,
		.version = expected_version + 1, .created_at = now, .updated_at = now, .updated_by = (char *)user,
	};
	int rc = store_resource_put(s, &r, in->areas, in->n_areas, folded.data ? folded.data : "", sort_key,
				    expected_version);
	if (rc == 0 && saved)
		rc = store_resource_get(s, new_id, saved) ? -1 : 0;
	free(new_id);
	free(sort_key);
	buf_release(&folded);
	return rc;
}

