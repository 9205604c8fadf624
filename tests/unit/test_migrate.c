/* Unit tests of cm_migrate: whether a running case may move to another version of its pathway, and why not. */
#include "test.h"

#include "casemachine.h"
#include "diag.h"
#include "pathway.h"
#include "util.h"

#include <stdlib.h>

static struct pathway *shipped_pharmacy(const char *from, const char *to)
{
	char *path = xasprintf("%s/pathways/pharmacy.yaml", test_root);
	size_t len = 0;
	char *text = read_file(path, &len);
	CHECK(text != NULL);
	char *changed = text;
	if (from) {
		const char *at = strstr(text, from);
		CHECK(at != NULL);
		changed = xasprintf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	}
	struct diag d;
	diag_init(&d);
	struct pathway *pw = pathway_compile("pharmacy.yaml", changed, strlen(changed), &d);
	CHECK(pw != NULL);
	diag_release(&d);
	if (changed != text)
		free(changed);
	free(text);
	free(path);
	return pw;
}

static bool has_reason(const struct refusal *why, const char *code, const char *field)
{
	for (size_t i = 0; i < refusal_count(why); i++) {
		struct refusal_item it = refusal_at(why, i);
		if (!strcmp(it.code, code) && (!field || (it.field && !strcmp(it.field, field))))
			return true;
	}
	return false;
}

TEST(cm_migrate_moves_a_case_whose_state_and_fields_the_new_version_has)
{
	struct pathway *to = shipped_pharmacy(NULL, NULL);
	struct case_record c = { .state = "contacted", .receiver_org = "support-centre",
				 .fields = json_pack("{s:s, s:s}", "contact_method", "visit", "contact_on", "2020-01-01") };
	struct refusal why = { 0 };
	int s = cm_migrate(NULL, to, &c, "contacted", &why);
	CHECK(s == pathway_state_index(to, "contacted") && refusal_count(&why) == 0);
	/* a field the new version lacks keeps its value: no reason to stay */
	json_object_set_new(c.fields, "gone_field", json_string("x"));
	CHECK(cm_migrate(NULL, to, &c, "contacted", &why) >= 0);
	json_decref(c.fields);
	pathway_free(to);
}

TEST(cm_migrate_names_every_reason_a_case_stays)
{
	/* version 3 drops the choice "visit" of contact_method */
	struct pathway *to = shipped_pharmacy("      visit:  { ja: 訪問, en: Home visit }\n", "");
	struct case_record c = { .state = "contacted", .receiver_org = "support-centre",
				 .fields = json_pack("{s:s}", "contact_method", "visit") };
	struct refusal why = { 0 };
	CHECK(cm_migrate(NULL, to, &c, "nowhere", &why) == -1);
	CHECK(has_reason(&why, "state_missing", "state") && has_reason(&why, "field_value", "fields.contact_method"));
	CHECK(refusal_count(&why) == 2 && refusal_at(&why, 1).message_ja != NULL);
	refusal_release(&why);
	/* a final state closes, and a migration closes no case */
	CHECK(cm_migrate(NULL, to, &c, "closed", &why) == -1 && has_reason(&why, "final_state", "state"));
	refusal_release(&why);
	json_decref(c.fields);
	pathway_free(to);
}

TEST(cm_migrate_refuses_a_state_that_waits_on_a_receiver_the_case_lacks)
{
	/* a case nobody received yet (a triage the coordinators held), moved into a receiver's state, with no routing */
	struct pathway *to = shipped_pharmacy(NULL, NULL);
	struct case_record c = { .state = "contacted", .fields = json_object() };
	struct refusal why = { 0 };
	CHECK(cm_migrate(NULL, to, &c, "contacted", &why) == -1 && has_reason(&why, "no_receiver", "receiver"));
	refusal_release(&why);
	json_decref(c.fields);
	pathway_free(to);
}
