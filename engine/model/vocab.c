/*
 * vocab — name tables for the fixed enumerations. The order of each table is
 * the order of its enum.
 */
#include "vocab.h"

#include <string.h>

const char *const role_names[ROLE_COUNT + 1] = {
	"pharmacist", "nurse", "checkup_staff", "agency_staff", "coordinator", "admin", "system", "monitor", NULL
};

const char *const org_kind_names[ORG_KIND_COUNT + 1] = {
	"pharmacy", "support_centre", "life_support_centre", "city", "health_checkup", "clinic",
	"hospital", "care_manager", "welfare_council", "fire", "resource_provider", "other", NULL
};

static const char *const org_kind_titles_ja[ORG_KIND_COUNT] = {
	"薬局", "地域包括支援センター", "生活応援センター", "市", "健診担当", "診療所",
	"病院", "居宅介護支援事業所", "社会福祉協議会", "消防", "社会資源の運営者", "その他"
};

const char *org_kind_title(const char *kind)
{
	int k = kind ? vocab_lookup(org_kind_names, kind) : -1;

	return k < 0 ? (kind ? kind : "") : org_kind_titles_ja[k];
}

const char *const party_names[PARTY_COUNT + 1] = {
	"origin", "receiver", "assignee", "coordinator", "provider", "none", NULL
};

const char *const milestone_names[MILESTONE_COUNT + 1] = {
	"none", "opened", "accepted", "contacted", "linked", "feedback", "closed", NULL
};

const char *const field_type_names[FIELD_TYPE_COUNT + 1] = {
	"text", "date", "enum", "bool", "int", "org", "resource", "orgs", "cases", NULL
};

const char *const unit_names[UNIT_COUNT + 1] = {
	"minutes", "hours", "days", "business_days", "weeks", "months", NULL
};

const char *const link_status_names[LINK_STATUS_COUNT + 1] = {
	"proposed", "joined", "declined", "ended", NULL
};

const char *const capacity_names[CAPACITY_COUNT + 1] = {
	"accepting", "waitlist", "full", "closed", NULL
};

int vocab_lookup(const char *const *table, const char *name)
{
	for (int i = 0; table[i]; i++)
		if (!strcmp(table[i], name))
			return i;
	return -1;
}
