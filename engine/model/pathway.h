/*
 * pathway — a compiled, immutable pathway: the state machine that a pathway file
 * (a .yaml file under pathways/) declares. The compiler reads the YAML tree, checks everything
 * it can (reporting every problem with its position), and builds a form made for
 * the engine's questions: "in this state, may this caller take this action, and
 * where does it lead?" is one table lookup, and "may this party see this field?"
 * one mask test.
 */
#ifndef TSUNAGU_PATHWAY_H
#define TSUNAGU_PATHWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "expr.h"
#include "vocab.h"
#include "ydoc.h"

struct pw_text {
	char *ja;
	char *en;
};

/* A date field that says what it records: a date that happened, or one planned. */
enum pw_tense { PW_ANY_DATE, PW_PAST_DATE, PW_FUTURE_DATE };

#define PW_MAX_LIST 64             /* items of an orgs or cases field's value */

struct pw_field {
	char *name;
	enum field_type type;
	struct pw_text title;
	char **values;             /* enum: allowed values, in form order (option 1 first) */
	struct pw_text *value_titles; /* enum: a {ja, en} label per value (NULL texts when the file gives codes only) */
	size_t n_values;
	enum pw_tense tense;       /* date: whether it must have happened or be still to come */
	char **pathways;           /* cases: the pathways whose cases it may name */
	size_t n_pathways;
	long min, max;             /* int bounds */
	size_t max_length;         /* text: bytes */
	party_mask visible_parties; /* who may see the value; every side but a provider when 0 */
	role_mask visible_roles;    /* and with which roles; all roles when 0 */
	int line, column;
};

struct pw_field_use {
	int field;                 /* index into pathway fields */
	bool required;
};

struct pw_setting {
	int field;
	struct expr_value value;   /* a constant of the field's type */
	char *text;                /* storage for a text value */
};

struct pw_action {
	char *name;
	int id;                    /* interned across the pathway's states */
	struct pw_text title;
	int target;                /* state index */
	role_mask by;
	party_mask parties;        /* which sides may act; every side but a provider when 0 */
	struct pw_field_use *fields;
	size_t n_fields;
	struct pw_setting *sets;
	size_t n_sets;
	struct expr *guard;        /* NULL: always available */
	bool changes_receiver;     /* takes an org field named `receiver` */
	bool reroutes;             /* `route: area`: hands the case back to the receiver the routing names for its area */
	int line, column;
};

struct pw_notify {
	enum party to;
	char *template_name;
	int line, column;
};

struct pw_timer {
	char *name;
	enum duration_unit unit;   /* with amount, when at_field < 0 */
	long amount;
	int at_field;              /* a date field, or -1 */
	int action;                /* index into the state's actions, or -1 */
	struct pw_notify notify;   /* template_name NULL when none */
	int line, column;
};

struct pw_route {
	struct expr *when;         /* NULL: the default */
	int target;
};

struct pw_state {
	char *name;
	struct pw_text title;
	enum party inbox;          /* PARTY_NONE for final states */
	enum milestone milestone;
	bool final;
	char *outcome;             /* a fixed outcome code, or NULL */
	int outcome_field;         /* an enum field that holds the outcome, or -1 */
	struct pw_notify *notify;
	size_t n_notify;
	struct pw_timer *timers;
	size_t n_timers;
	struct pw_action *actions;
	size_t n_actions;
	int on_link[LINK_STATUS_COUNT]; /* the action the system takes when a link reaches the status, or -1 */
	int line, column;
};

/*
 * A report the pathway declares for its pages (`reports:`): a tally of an enum
 * field by fiscal year, or the timeline of one action's records by fiscal year.
 * The names are checked against the pathway's fields and actions when it
 * compiles; core/tally makes the report.
 */
enum pw_report_kind { PW_REPORT_TALLY, PW_REPORT_TIMELINE };

struct pw_report {
	enum pw_report_kind kind;
	struct pw_text title;
	char *field, *date;                          /* tally */
	char *action, *year, *kind_field, *label, *note; /* timeline */
};

struct pw_outcome {
	char *code;
	struct pw_text title;
};

enum subject_field {
	SUBJECT_NAME, SUBJECT_KANA, SUBJECT_BIRTH_DATE, SUBJECT_SEX, SUBJECT_PHONE, SUBJECT_AREA,
	SUBJECT_FIELD_COUNT
};
extern const char *const subject_field_names[SUBJECT_FIELD_COUNT + 1];

struct pathway {
	char *id;
	long version;
	struct pw_text title;
	struct pw_text description;
	char *file;
	char digest[65];           /* SHA-256 of the file, hex: a changed file is a new version */
	bool from_store;           /* compiled from the database's copy, its file being broken: not published again */
	/*
	 * `subject: none`: a case of this pathway is a record about no person (a
	 * consultation, an issue, a meeting): no subject, no consent, no provision
	 * records, no links to resources; it stays with the organisation that opened it.
	 */
	bool no_subject;

	role_mask open_roles;
	kind_mask open_kinds;
	kind_mask receiver_kinds;
	bool receiver_by_area;     /* route the handoff by subject.area */
	bool coordinator_step;     /* some state sits in the coordinators' inbox (e.g. triage) */

	uint32_t subject_required; /* bits of enum subject_field */
	bool consent_required;
	/*
	 * What the person's consent covers (`consent: { covers, purpose }`): the
	 * kinds of organisation their details may pass to. Undeclared, it covers
	 * the receiver kinds and resource providers (pathway_consent_covers).
	 */
	kind_mask consent_covers;
	struct pw_text consent_purpose;    /* why the details pass on; NULL texts when undeclared */
	struct pw_field_use *open_fields; /* case fields given when opening */
	size_t n_open_fields;

	struct pw_field *fields;
	size_t n_fields;
	struct pw_outcome *outcomes;
	size_t n_outcomes;
	struct pw_report *reports;
	size_t n_reports;
	struct expr *eligibility;  /* NULL: no automatic opening rule */
	struct pw_route *start;    /* evaluated in order on opening; the last has no guard */
	size_t n_start;
	struct pw_state *states;
	size_t n_states;

	char **action_names;       /* interned action names, by id */
	size_t n_action_names;
	int16_t *transitions;      /* [state * n_action_names + action id] -> state's action index or -1 */
};

/* The label of a value of an enum field: its {ja, en} title, or NULL when the file gives the code only. */
const struct pw_text *pathway_value_title(const struct pw_field *f, const char *value);

/* The organisation kinds the pathway's consent covers, declared or by default. */
kind_mask pathway_consent_covers(const struct pathway *pw);

/*
 * Reads a {ja, en} text (both required, non-empty) at n into *out, for the
 * pathway files and the config alike. 0, or -1 with the problem reported.
 */
int pathway_read_text(struct ydoc_reader *r, const struct ydoc_node *n, const char *what, struct pw_text *out);

/*
 * Compiles a pathway file's text. Returns the pathway (caller frees) or NULL when
 * the file has any error; every error and warning is added to d.
 */
struct pathway *pathway_compile(const char *file, const char *data, size_t len, struct diag *d);

/* Reads and compiles a file. */
struct pathway *pathway_load(const char *path, struct diag *d);

void pathway_free(struct pathway *pw);

int pathway_state_index(const struct pathway *pw, const char *name);
int pathway_action_id(const struct pathway *pw, const char *name);
int pathway_field_index(const struct pathway *pw, const char *name);

/* The action `action_id` of state `state`, or NULL when the state has no such action. */
const struct pw_action *pathway_transition(const struct pathway *pw, int state, int action_id);

/* May a user with these roles, standing on these sides of a case, take the action? */
bool pathway_action_permits(const struct pw_action *a, role_mask roles, party_mask parties);

/* May a user with these roles, standing on these sides of a case, see the field? */
bool pathway_field_visible(const struct pathway *pw, int field, party_mask parties, role_mask roles);

/* The expression resolver for this pathway's field paths (subject.*, consent.*, fields). */
int pathway_resolve_path(void *pathway, const char *path, struct expr_field_info *out);

/*
 * The slot numbers that pathway_resolve_path hands to expression lookups:
 * subject fields first, then consent fields, then the case fields by index.
 */
enum { PW_SLOT_SUBJECT = 0, PW_SLOT_CONSENT = 100, PW_SLOT_LINKS = 150, PW_SLOT_FIELD = 200 };
extern const char *const consent_field_names[];

/*
 * The counts an expression may read of a case's links to resources:
 * links.proposed, links.joined, links.declined, links.ended (by status now) and
 * links.active (proposed or joined).
 */
enum { PW_LINKS_ACTIVE = LINK_STATUS_COUNT };
extern const char *const link_count_names[];

/* A set of pathways: every *.yaml of a directory, one id each. */
struct pathway_set {
	struct pathway **items;
	size_t n;
};

/* A pathway file that did not compile: the service runs without it (or on its last published version). */
struct pathway_broken {
	char *file;
	char *id;                  /* its `pathway:` id if it could be read, else the file's name without .yaml */
	char *problem;             /* the first problem, as file:line:column: message */
	size_t n_problems;
};

struct pathway_broken_set {
	struct pathway_broken *items;
	size_t n;
};

void pathway_broken_set_release(struct pathway_broken_set *set);

/* Loads every *.yaml in dir (sorted by name). Returns 0, or -1 with problems in d. */
int pathway_set_load(struct pathway_set *set, const char *dir, struct diag *d);

/*
 * Loads the folder as pathway_set_load does, but a file that does not compile
 * is no error of the folder: its problems go to d as warnings and it is listed
 * in *broken, so that the service can run degraded (SPEC: one bad file does not
 * take the service down). Returns 0, or -1 on a problem of the folder itself.
 */
int pathway_set_load_tolerant(struct pathway_set *set, struct pathway_broken_set *broken, const char *dir,
			      struct diag *d);

/* Adds a compiled pathway to a set (which owns it from then). */
void pathway_set_add(struct pathway_set *set, struct pathway *pw);
void pathway_set_release(struct pathway_set *set);
const struct pathway *pathway_set_find(const struct pathway_set *set, const char *id);

/*
 * Duplicate ids across files are an error: reports them in d and returns -1.
 * Exposed for `tsunagu check` over several files.
 */
int pathway_check_unique(struct pathway *const *items, size_t n, struct diag *d);

#endif
