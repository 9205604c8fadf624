/*
 * vocab — the fixed words of tsunagu shared by pathway files, the config and the
 * API: roles, organisation kinds, case parties, milestones, field types and
 * duration units. Each has a name table so that files and JSON speak the same
 * names and errors can suggest the nearest one. Also the statuses of a
 * case's links to community resources, and of a resource's capacity.
 */
#ifndef TSUNAGU_VOCAB_H
#define TSUNAGU_VOCAB_H

#include <stdint.h>

/*
 * system is the daemon's own (timers), never a user's; monitor reads /metrics
 * and nothing else, last so that a pathway's roles stop before it.
 */
enum role {
	ROLE_PHARMACIST, ROLE_NURSE, ROLE_CHECKUP_STAFF, ROLE_AGENCY_STAFF,
	ROLE_COORDINATOR, ROLE_ADMIN, ROLE_SYSTEM, ROLE_MONITOR, ROLE_COUNT
};

enum org_kind {
	ORG_PHARMACY, ORG_SUPPORT_CENTRE, ORG_LIFE_SUPPORT_CENTRE, ORG_CITY, ORG_HEALTH_CHECKUP,
	ORG_CLINIC, ORG_HOSPITAL, ORG_CARE_MANAGER, ORG_WELFARE_COUNCIL, ORG_FIRE,
	ORG_RESOURCE_PROVIDER, ORG_OTHER, ORG_KIND_COUNT
};

/* The sides of a case a user can stand on. */
enum party {
	PARTY_ORIGIN, PARTY_RECEIVER, PARTY_ASSIGNEE, PARTY_COORDINATOR, PARTY_PROVIDER,
	PARTY_NONE, PARTY_COUNT
};

enum milestone {
	MILESTONE_NONE, MILESTONE_OPENED, MILESTONE_ACCEPTED, MILESTONE_CONTACTED,
	MILESTONE_LINKED, MILESTONE_FEEDBACK, MILESTONE_CLOSED, MILESTONE_COUNT
};

enum field_type {
	FIELD_TEXT, FIELD_DATE, FIELD_ENUM, FIELD_BOOL, FIELD_INT, FIELD_ORG, FIELD_RESOURCE,
	FIELD_ORGS,                /* a list of organisations (those present at a meeting) */
	FIELD_CASES,               /* a list of other cases, of the pathways the field names (what a meeting dealt with) */
	FIELD_TYPE_COUNT
};

enum duration_unit {
	UNIT_MINUTES, UNIT_HOURS, UNIT_DAYS, UNIT_BUSINESS_DAYS, UNIT_WEEKS, UNIT_MONTHS,
	UNIT_COUNT
};

/* A case's link to a community resource: proposed, then joined or declined; joined, then ended. */
enum link_status { LINK_PROPOSED, LINK_JOINED, LINK_DECLINED, LINK_ENDED, LINK_STATUS_COUNT };

/* Whether a resource takes people now, as last confirmed. */
enum capacity_status { CAPACITY_ACCEPTING, CAPACITY_WAITLIST, CAPACITY_FULL, CAPACITY_CLOSED, CAPACITY_COUNT };

typedef uint32_t role_mask;
typedef uint32_t kind_mask;
typedef uint32_t party_mask;

#define MASK(bit) (1u << (bit))

/* NULL-terminated name tables, indexed by the enum. */
extern const char *const role_names[ROLE_COUNT + 1];
extern const char *const org_kind_names[ORG_KIND_COUNT + 1];
extern const char *const party_names[PARTY_COUNT + 1];
extern const char *const milestone_names[MILESTONE_COUNT + 1];
extern const char *const field_type_names[FIELD_TYPE_COUNT + 1];
extern const char *const unit_names[UNIT_COUNT + 1];
extern const char *const link_status_names[LINK_STATUS_COUNT + 1];
extern const char *const capacity_names[CAPACITY_COUNT + 1];

/* The Japanese name of an organisation kind (for printouts people read); the name itself when unknown. */
const char *org_kind_title(const char *kind);

/* Index of name in a NULL-terminated table, or -1. */
int vocab_lookup(const char *const *table, const char *name);

#endif
