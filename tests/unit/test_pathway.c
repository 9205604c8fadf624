/*
 * Unit tests of the pathway compiler and of the three shipped pathways: every
 * state and every action is walked, the roles and sides that may act are
 * checked, and the health-checkup routing rule is evaluated.
 */
#include "test.h"

#include "date.h"
#include "diag.h"
#include "pathway.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static struct pathway *load_shipped(const char *name)
{
	char *path = xasprintf("%s/pathways/%s.yaml", test_root, name);
	struct diag d;
	diag_init(&d);
	struct pathway *pw = pathway_load(path, &d);
	if (!pw || d.n)
		diag_print(&d, stdout);
	CHECK(pw != NULL);
	CHECK_INT(d.n, 0);
	diag_release(&d);
	free(path);
	return pw;
}

static char *compile_errors(const char *yaml, struct pathway **out)
{
	struct diag d;
	diag_init(&d);
	struct pathway *pw = pathway_compile("t.yaml", yaml, strlen(yaml), &d);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	diag_print(&d, f);
	fclose(f);
	if (out)
		*out = pw;
	else
		pathway_free(pw);
	diag_release(&d);
	return text;
}

struct step {
	const char *action;
	enum role role;
	enum party party;
	const char *expect;   /* the state after the step */
};

/* Walks steps from state `from`, checking each is allowed and lands where expected. */
static void walk(const struct pathway *pw, const char *from, const struct step *steps, size_t n)
{
	int state = pathway_state_index(pw, from);
	CHECK(state >= 0);
	for (size_t i = 0; i < n; i++) {
		int id = pathway_action_id(pw, steps[i].action);
		if (id < 0)
			test_fail(__FILE__, __LINE__, "%s: no action %s", pw->id, steps[i].action);
		const struct pw_action *a = pathway_transition(pw, state, id);
		if (!a)
			test_fail(__FILE__, __LINE__, "%s: %s not possible in %s", pw->id, steps[i].action,
				  pw->states[state].name);
		if (!pathway_action_permits(a, MASK(steps[i].role), MASK(steps[i].party)))
			test_fail(__FILE__, __LINE__, "%s: %s may not %s in %s", pw->id,
				  role_names[steps[i].role], steps[i].action, pw->states[state].name);
		state = a->target;
		CHECK_STR(pw->states[state].name, steps[i].expect);
	}
}

/* Every action of every state is reachable by the table lookup, and some role may take it. */
static void check_every_action(const struct pathway *pw)
{
	size_t actions = 0, finals = 0;
	for (size_t s = 0; s < pw->n_states; s++) {
		const struct pw_state *st = &pw->states[s];
		finals += st->final;
		CHECK(st->title.ja && st->title.en);
		for (size_t a = 0; a < st->n_actions; a++) {
			const struct pw_action *act = &st->actions[a];
			CHECK(pathway_transition(pw, (int)s, act->id) == act);
			CHECK(act->target >= 0 && (size_t)act->target < pw->n_states);
			CHECK(act->by != 0);
			actions++;
		}
		if (st->final) {
			CHECK(st->outcome || st->outcome_field >= 0);
			CHECK_INT(st->n_actions, 0);
		}
	}
	CHECK(actions > 0);
	CHECK(finals > 0);
	/* An action name that exists, asked of a state that lacks it, answers NULL. */
	int close = pathway_action_id(pw, "withdraw_consent");
	CHECK(close >= 0);
	for (size_t s = 0; s < pw->n_states; s++)
		if (pw->states[s].final)
			CHECK(pathway_transition(pw, (int)s, close) == NULL);
		else
			CHECK(pathway_transition(pw, (int)s, close) != NULL);
}

TEST(pharmacy_walks_every_state_and_action)
{
	struct pathway *pw = load_shipped("pharmacy");
	check_every_action(pw);
	CHECK(pw->open_roles == MASK(ROLE_PHARMACIST));
	CHECK(pw->open_kinds == MASK(ORG_PHARMACY));
	CHECK(pw->consent_required);
	CHECK(pw->receiver_by_area);
	const struct step happy[] = {
		{ "accept", ROLE_NURSE, PARTY_RECEIVER, "accepted" },
		{ "record_contact", ROLE_NURSE, PARTY_RECEIVER, "contacted" },
		{ "link", ROLE_NURSE, PARTY_RECEIVER, "linked" },
		{ "send_feedback", ROLE_NURSE, PARTY_RECEIVER, "feedback_sent" },
		{ "reschedule_follow_up", ROLE_NURSE, PARTY_RECEIVER, "feedback_sent" },
		{ "close", ROLE_NURSE, PARTY_RECEIVER, "closed" },
	};
	walk(pw, "referred", happy, sizeof(happy) / sizeof(happy[0]));
	const struct step escalation[] = {
		{ "redirect", ROLE_NURSE, PARTY_RECEIVER, "referred" },
		{ "escalate", ROLE_SYSTEM, PARTY_NONE, "escalated" },
		{ "redirect", ROLE_COORDINATOR, PARTY_COORDINATOR, "referred" },
		{ "escalate", ROLE_COORDINATOR, PARTY_COORDINATOR, "escalated" },
		{ "accept", ROLE_NURSE, PARTY_RECEIVER, "accepted" },
		{ "close", ROLE_NURSE, PARTY_RECEIVER, "closed" },
	};
	walk(pw, "referred", escalation, sizeof(escalation) / sizeof(escalation[0]));
	const struct step withdraw[] = { { "withdraw", ROLE_PHARMACIST, PARTY_ORIGIN, "withdrawn" } };
	walk(pw, "referred", withdraw, 1);
	walk(pw, "escalated", withdraw, 1);
	const char *open_states[] = { "referred", "escalated", "accepted", "contacted", "linked", "feedback_sent" };
	for (size_t i = 0; i < 6; i++) {
		const struct step consent[] = { { "withdraw_consent", ROLE_PHARMACIST, PARTY_ORIGIN, "consent_withdrawn" } };
		walk(pw, open_states[i], consent, 1);
		const struct step consent2[] = { { "withdraw_consent", ROLE_NURSE, PARTY_RECEIVER, "consent_withdrawn" } };
		walk(pw, open_states[i], consent2, 1);
	}
	const struct step early_close[] = { { "close", ROLE_NURSE, PARTY_RECEIVER, "closed" } };
	walk(pw, "accepted", early_close, 1);
	walk(pw, "contacted", early_close, 1);
	pathway_free(pw);
}

TEST(pharmacy_refuses_the_wrong_role_or_side)
{
	struct pathway *pw = load_shipped("pharmacy");
	int referred = pathway_state_index(pw, "referred");
	const struct pw_action *accept = pathway_transition(pw, referred, pathway_action_id(pw, "accept"));
	CHECK(accept);
	CHECK(!pathway_action_permits(accept, MASK(ROLE_PHARMACIST), MASK(PARTY_ORIGIN)));
	CHECK(!pathway_action_permits(accept, MASK(ROLE_NURSE), MASK(PARTY_ORIGIN)));
	CHECK(!pathway_action_permits(accept, MASK(ROLE_NURSE), 0));
	CHECK(pathway_action_permits(accept, MASK(ROLE_NURSE), MASK(PARTY_RECEIVER)));
	const struct pw_action *withdraw = pathway_transition(pw, referred, pathway_action_id(pw, "withdraw"));
	CHECK(!pathway_action_permits(withdraw, MASK(ROLE_PHARMACIST), MASK(PARTY_RECEIVER)));
	const struct pw_action *escalate = pathway_transition(pw, referred, pathway_action_id(pw, "escalate"));
	CHECK(!pathway_action_permits(escalate, MASK(ROLE_NURSE), MASK(PARTY_RECEIVER)));
	const struct pw_action *redirect = pathway_transition(pw, referred, pathway_action_id(pw, "redirect"));
	CHECK(redirect->changes_receiver);
	CHECK(!accept->changes_receiver);
	/* the nurse's assessment is for the receiving organisation only */
	int note = pathway_field_index(pw, "assessment_note");
	CHECK(pathway_field_visible(pw, note, MASK(PARTY_RECEIVER), MASK(ROLE_NURSE)));
	CHECK(!pathway_field_visible(pw, note, MASK(PARTY_ORIGIN), MASK(ROLE_PHARMACIST)));
	CHECK(!pathway_field_visible(pw, note, MASK(PARTY_COORDINATOR), MASK(ROLE_COORDINATOR)));
	int feedback = pathway_field_index(pw, "feedback_message");
	CHECK(pathway_field_visible(pw, feedback, MASK(PARTY_ORIGIN), MASK(ROLE_PHARMACIST)));
	CHECK(!pathway_field_visible(pw, feedback, 0, MASK(ROLE_PHARMACIST)));
	/* timers: a reminder after 2 business days, escalation after 5 */
	const struct pw_state *st = &pw->states[referred];
	CHECK_INT(st->n_timers, 2);
	CHECK_INT(st->timers[0].unit, UNIT_BUSINESS_DAYS);
	CHECK_INT(st->timers[0].amount, 2);
	CHECK_INT(st->timers[1].amount, 5);
	CHECK_STR(st->actions[st->timers[1].action].name, "escalate");
	int fb = pathway_state_index(pw, "feedback_sent");
	CHECK_INT(pw->states[fb].timers[0].at_field, pathway_field_index(pw, "follow_up_on"));
	pathway_free(pw);
}

TEST(multi_agency_walks_every_state_and_action)
{
	struct pathway *pw = load_shipped("multi-agency");
	check_every_action(pw);
	CHECK(pw->receiver_by_area);
	const struct step happy[] = {
		{ "assign_receiver", ROLE_NURSE, PARTY_RECEIVER, "referred" },
		{ "return_to_triage", ROLE_NURSE, PARTY_RECEIVER, "triage" },
		{ "assign_receiver", ROLE_COORDINATOR, PARTY_COORDINATOR, "referred" },
		{ "escalate", ROLE_SYSTEM, PARTY_NONE, "triage" },
		{ "assign_receiver", ROLE_COORDINATOR, PARTY_COORDINATOR, "referred" },
		{ "accept", ROLE_AGENCY_STAFF, PARTY_RECEIVER, "accepted" },
		{ "record_contact", ROLE_NURSE, PARTY_RECEIVER, "contacted" },
		{ "link", ROLE_NURSE, PARTY_RECEIVER, "linked" },
		{ "send_feedback", ROLE_NURSE, PARTY_RECEIVER, "feedback_sent" },
		{ "reschedule_follow_up", ROLE_NURSE, PARTY_RECEIVER, "feedback_sent" },
		{ "close", ROLE_NURSE, PARTY_RECEIVER, "closed" },
	};
	walk(pw, "triage", happy, sizeof(happy) / sizeof(happy[0]));
	/* the general consultation may take the case on itself */
	const struct step take_on[] = { { "take_on", ROLE_NURSE, PARTY_RECEIVER, "accepted" } };
	walk(pw, "triage", take_on, 1);
	const struct step withdraw[] = { { "withdraw", ROLE_AGENCY_STAFF, PARTY_ORIGIN, "withdrawn" } };
	walk(pw, "triage", withdraw, 1);
	walk(pw, "referred", withdraw, 1);
	const struct step closes[] = { { "close", ROLE_NURSE, PARTY_RECEIVER, "closed" } };
	walk(pw, "accepted", closes, 1);
	walk(pw, "contacted", closes, 1);
	const char *open_states[] = { "referred", "accepted", "contacted", "linked", "feedback_sent" };
	for (size_t i = 0; i < 5; i++) {
		const struct step consent[] = { { "withdraw_consent", ROLE_AGENCY_STAFF, PARTY_ORIGIN, "consent_withdrawn" } };
		walk(pw, open_states[i], consent, 1);
	}
	const struct step triage_consent[] = { { "withdraw_consent", ROLE_NURSE, PARTY_RECEIVER, "consent_withdrawn" } };
	walk(pw, "triage", triage_consent, 1);
	int triage = pathway_state_index(pw, "triage");
	/* the triage is the general consultation's (the receiver the area is routed to); a coordinator may route too */
	CHECK_INT(pw->states[triage].inbox, PARTY_RECEIVER);
	CHECK(!pw->coordinator_step);
	const struct pw_action *assign = pathway_transition(pw, triage, pathway_action_id(pw, "assign_receiver"));
	CHECK(assign->changes_receiver);
	CHECK(pathway_action_permits(assign, MASK(ROLE_NURSE), MASK(PARTY_RECEIVER)));
	CHECK(pathway_action_permits(assign, MASK(ROLE_COORDINATOR), MASK(PARTY_COORDINATOR)));
	CHECK(!pathway_action_permits(assign, MASK(ROLE_PHARMACIST), MASK(PARTY_ORIGIN)));
	int referred = pathway_state_index(pw, "referred");
	CHECK(pathway_transition(pw, referred, pathway_action_id(pw, "return_to_triage"))->reroutes);
	pathway_free(pw);
}

struct answers {
	const struct pathway *pw;
	const char *q[16];
	int needs_support;
	const char *birth, *checkup;
};

static int answer_lookup(void *ctx, int slot, const char *path, struct expr_value *out)
{
	const struct answers *a = ctx;
	date_days d;
	out->type = EXPR_T_NULL;
	if (slot == PW_SLOT_SUBJECT + SUBJECT_BIRTH_DATE && a->birth && !date_parse(a->birth, &d)) {
		*out = (struct expr_value){ .type = EXPR_T_DATE, .u.d = d };
		return 0;
	}
	if (slot < PW_SLOT_FIELD)
		return 0;
	const char *name = a->pw->fields[slot - PW_SLOT_FIELD].name;
	if (!strcmp(name, "checkup_date") && a->checkup && !date_parse(a->checkup, &d))
		*out = (struct expr_value){ .type = EXPR_T_DATE, .u.d = d };
	else if (!strcmp(name, "needs_support") && a->needs_support >= 0)
		*out = (struct expr_value){ .type = EXPR_T_BOOL, .u.b = a->needs_support };
	else if (name[0] == 'q') {
		int q = atoi(name + 1);
		if (q >= 1 && q <= 15 && a->q[q])
			*out = (struct expr_value){ .type = EXPR_T_STRING, .u.s = a->q[q] };
	}
	return 0;
}

static const char *route(const struct pathway *pw, struct answers *a)
{
	a->pw = pw;
	for (size_t i = 0; i < pw->n_start; i++) {
		bool yes = true;
		if (pw->start[i].when)
			CHECK_INT(expr_eval(pw->start[i].when, answer_lookup, a, 0, &yes), 0);
		if (yes)
			return pw->states[pw->start[i].target].name;
	}
	return NULL;
}

static int eligible(const struct pathway *pw, struct answers *a)
{
	bool yes = false;
	a->pw = pw;
	CHECK_INT(expr_eval(pw->eligibility, answer_lookup, a, 0, &yes), 0);
	return yes;
}

TEST(health_checkup_routes_by_the_rule_in_the_file)
{
	struct pathway *pw = load_shipped("health-checkup");
	check_every_action(pw);
	struct answers a = { .needs_support = -1, .birth = "1949-06-01", .checkup = "2026-06-10" };
	for (int q = 1; q <= 15; q++)
		a.q[q] = "はい";
	a.q[1] = "よい";
	a.q[2] = "満足";
	a.q[12] = "吸っていない";
	CHECK_STR(route(pw, &a), "information");
	CHECK_INT(eligible(pw, &a), 1);
	a.q[2] = "やや不満";
	CHECK_STR(route(pw, &a), "to_contact");
	a.q[2] = "満足";
	a.q[13] = "いいえ";
	CHECK_STR(route(pw, &a), "to_contact");
	a.q[13] = "はい";
	a.q[15] = "いいえ";
	CHECK_STR(route(pw, &a), "to_contact");
	a.q[15] = "はい";
	a.q[1] = "よくない"; /* physical risk alone does not route to a nurse */
	CHECK_STR(route(pw, &a), "information");
	a.needs_support = 1;
	CHECK_STR(route(pw, &a), "to_contact");
	/* eligibility: 75 on the checkup day, or judged to need support */
	a.needs_support = 0;
	a.birth = "1951-06-11";
	CHECK_INT(eligible(pw, &a), 0);
	a.birth = "1951-06-10";
	CHECK_INT(eligible(pw, &a), 1);
	a.birth = "1990-01-01";
	a.needs_support = 1;
	CHECK_INT(eligible(pw, &a), 1);

	const struct step nurse[] = {
		{ "record_contact", ROLE_NURSE, PARTY_RECEIVER, "assessed" },
		{ "link", ROLE_NURSE, PARTY_RECEIVER, "linked" },
		{ "follow_up_due", ROLE_SYSTEM, PARTY_NONE, "follow_up" },
		{ "close", ROLE_NURSE, PARTY_RECEIVER, "closed" },
	};
	walk(pw, "to_contact", nurse, sizeof(nurse) / sizeof(nurse[0]));
	const struct step letter[] = { { "letter_sent", ROLE_CHECKUP_STAFF, PARTY_ORIGIN, "information_sent" } };
	walk(pw, "information", letter, 1);
	const struct step refer[] = { { "refer_to_nurse", ROLE_CHECKUP_STAFF, PARTY_ORIGIN, "to_contact" } };
	walk(pw, "information", refer, 1);
	const struct step closes[] = { { "close", ROLE_NURSE, PARTY_RECEIVER, "closed" } };
	walk(pw, "to_contact", closes, 1);
	walk(pw, "assessed", closes, 1);
	const char *open_states[] = { "to_contact", "assessed", "linked", "follow_up" };
	for (size_t i = 0; i < 4; i++) {
		const struct step consent[] = { { "withdraw_consent", ROLE_NURSE, PARTY_RECEIVER, "consent_withdrawn" } };
		walk(pw, open_states[i], consent, 1);
	}
	int linked = pathway_state_index(pw, "linked");
	CHECK_INT(pw->states[linked].timers[0].unit, UNIT_MONTHS);
	CHECK_INT(pw->states[linked].timers[0].amount, 3);
	/* q-answers are kept from the coordinator */
	CHECK(!pathway_field_visible(pw, pathway_field_index(pw, "q2"), MASK(PARTY_COORDINATOR), MASK(ROLE_COORDINATOR)));
	CHECK(pathway_field_visible(pw, pathway_field_index(pw, "q2"), MASK(PARTY_ORIGIN), MASK(ROLE_CHECKUP_STAFF)));
	/* the form's option order is kept, for numbered answers */
	const struct pw_field *q1 = &pw->fields[pathway_field_index(pw, "q1")];
	CHECK_INT(q1->n_values, 5);
	CHECK_STR(q1->values[3], "あまりよくない");
	pathway_free(pw);
}

TEST(pathway_reports_every_error_with_its_position)
{
	const char *yaml =
		"pathway: demo\n"                                   /* 1 */
		"version: one\n"                                    /* 2 */
		"title: { ja: デモ }\n"                             /* 3 */
		"opened_by: { roles: [pharmacst] }\n"               /* 4 */
		"receiver: support_centre\n"                        /* 5 */
		"fields:\n"                                         /* 6 */
		"  when_due: { type: dat }\n"                       /* 7 */
		"eligibility: \"age(subject.birth_date, checkup) >= 75\"\n" /* 8 */
		"start: begin\n"                                    /* 9 */
		"states:\n"                                         /* 10 */
		"  begin:\n"                                        /* 11 */
		"    title: { ja: 開始, en: Begin }\n"              /* 12 */
		"    inbox: receiver\n"                             /* 13 */
		"    timers:\n"                                     /* 14 */
		"      - { after: 3 fortnights, action: go }\n"     /* 15 */
		"    actions:\n"                                    /* 16 */
		"      go: { to: finnish, by: [nurse] }\n"          /* 17 */
		"  stuck:\n"                                        /* 18 */
		"    title: { ja: 停滞, en: Stuck }\n"              /* 19 */
		"    inbox: receiver\n"                             /* 20 */
		"  finish:\n"                                       /* 21 */
		"    title: { ja: 終了, en: Finish }\n"             /* 22 */
		"    final: true\n"                                 /* 23 */
		"    outcome: done\n"                               /* 24 */
		"    colour: blue\n";                               /* 25 */
	struct pathway *pw = NULL;
	char *out = compile_errors(yaml, &pw);
	CHECK(pw == NULL);
	CHECK_CONTAINS(out, "t.yaml:2:10: error: version must be a whole number");
	CHECK_CONTAINS(out, "t.yaml:3:8: error: the pathway's title is missing its English text (en)");
	CHECK_CONTAINS(out, "t.yaml:4:22: error: unknown role 'pharmacst'; did you mean 'pharmacist'?");
	CHECK_CONTAINS(out, "t.yaml:7:21: error: unknown field type 'dat'; did you mean 'date'?");
	CHECK_CONTAINS(out, "t.yaml:8:39: error: in the eligibility rule: unknown field 'checkup'\n");
	CHECK_CONTAINS(out, "t.yaml:15:18: error: unknown unit 'fortnights' in duration '3 fortnights'");
	CHECK_CONTAINS(out, "t.yaml:17:17: error: unknown state 'finnish' in 'to'; did you mean 'finish'?");
	/* the unknown target hides reachability: one mistake, one message */
	CHECK(!strstr(out, "unreachable"));
	CHECK(!strstr(out, "age expects"));
	CHECK_CONTAINS(out, "t.yaml:18:3: error: state 'stuck' is not final and has no actions");
	CHECK_CONTAINS(out, "t.yaml:24:14: error: outcome 'done' is not declared");
	CHECK_CONTAINS(out, "t.yaml:25:5: error: unknown key 'colour' in a state");
	CHECK_CONTAINS(out, "t.yaml:15:40: error: timer action 'go' must allow the role 'system'");
	free(out);
	out = compile_errors(
		"pathway: demo\nversion: 1\ntitle: { ja: デ, en: D }\nopened_by: { roles: [nurse] }\n"
		"receiver: support_centre\noutcomes: { ok: { ja: 済, en: OK } }\nstart: a\nstates:\n"
		"  a: { title: { ja: A, en: A }, inbox: receiver, actions: { go: { to: z, by: [nurse] } } }\n"
		"  island: { title: { ja: 島, en: Island }, inbox: receiver, actions: { go: { to: z, by: [nurse] } } }\n"
		"  z: { title: { ja: Z, en: Z }, final: true, outcome: ok }\n", NULL);
	CHECK_CONTAINS(out, "t.yaml:10:3: error: state 'island' is unreachable");
	free(out);
	out = compile_errors(
		"pathway: demo\nversion: 1\ntitle: { ja: デ, en: D }\nopened_by: { roles: [nurse] }\n"
		"receiver: support_centre\nfields: { a: int }\noutcomes: { ok: { ja: 済, en: OK } }\n"
		"start: [ { when: \"a > 1 and\", to: z }, { to: z } ]\n"
		"states:\n  z: { title: { ja: Z }, final: true, outcome: ok }\n", NULL);
	CHECK_CONTAINS(out, "t.yaml:8:28: error: in the start route's 'when' rule: expected a field, a value or '(', found the end of the expression");
	CHECK_CONTAINS(out, "t.yaml:10:15: error: the state's title is missing its English text (en)");
	free(out);
}

TEST(pathway_reports_yaml_syntax_and_duplicates)
{
	char *out = compile_errors("pathway: x\nstates:\n  a: [1, 2\n", NULL);
	CHECK_CONTAINS(out, "t.yaml:4:1: error: YAML syntax:");
	free(out);
	out = compile_errors("pathway: x\npathway: y\n", NULL);
	CHECK_CONTAINS(out, "t.yaml:2:1: error: duplicate key 'pathway' (first at line 1, column 1)");
	free(out);
	out = compile_errors("pathway: x\n[a, b]: c\n{d: 1}: e\n", NULL);
	CHECK_CONTAINS(out, "t.yaml:2:1: error: a key must be a plain name, not a list");
	CHECK_CONTAINS(out, "t.yaml:3:1: error: a key must be a plain name, not a mapping");
	free(out);
	out = compile_errors("a: &x 1\nb: *x\n", NULL);
	CHECK_CONTAINS(out, "aliases");
	free(out);
	out = compile_errors("", NULL);
	CHECK_CONTAINS(out, "the file is empty");
	free(out);
	out = compile_errors("- a\n- b\n", NULL);
	CHECK_CONTAINS(out, "a pathway file must be a mapping");
	free(out);
	out = compile_errors("pathway: x\n---\npathway: y\n", NULL);
	CHECK_CONTAINS(out, "a second YAML document");
	free(out);
	out = compile_errors("pathway: \"\xff\xfe\"\n", NULL);
	CHECK_CONTAINS(out, "not UTF-8");
	free(out);
}

TEST(pathway_checks_start_routes_and_outcome_fields)
{
	const char *yaml =
		"pathway: demo\nversion: 1\ntitle: { ja: デモ, en: Demo }\n"
		"opened_by: { roles: [nurse] }\nreceiver: support_centre\n"
		"fields:\n  flag: bool\n  result: { type: enum, values: [good, unknown_code] }\n"
		"outcomes:\n  good: { ja: 良, en: Good }\n"
		"start:\n  - { to: a }\n  - { when: flag, to: b }\n"
		"states:\n"
		"  a: { title: { ja: A, en: A }, inbox: receiver, actions: { done: { to: b, by: [nurse] } } }\n"
		"  b: { title: { ja: B, en: B }, final: true, outcome_from: result }\n";
	char *out = compile_errors(yaml, NULL);
	CHECK_CONTAINS(out, "only the last start route may go without 'when'");
	CHECK_CONTAINS(out, "the last start route must have no 'when'");
	CHECK_CONTAINS(out, "value 'unknown_code' of result is not declared under 'outcomes:'");
	free(out);
}

TEST(pathway_accepts_a_minimal_file_and_builds_the_table)
{
	const char *yaml =
		"pathway: tiny\nversion: 2\ntitle: { ja: 小, en: Tiny }\n"
		"opened_by: { roles: [nurse] }\nreceiver: support_centre\n"
		"outcomes: { done: { ja: 完了, en: Done } }\n"
		"start: a\n"
		"states:\n"
		"  a:\n    title: { ja: A, en: A }\n    inbox: receiver\n"
		"    actions:\n      go: { to: b, by: [nurse], requires: { note: text, when_on: date } }\n"
		"      stay: { to: a, by: [nurse], sets: { note: fixed } }\n"
		"  b: { title: { ja: B, en: B }, final: true, outcome: done }\n";
	struct pathway *pw = NULL;
	char *out = compile_errors(yaml, &pw);
	CHECK_STR(out, "");
	CHECK(pw != NULL);
	CHECK_INT(pw->version, 2);
	CHECK_INT(pw->n_fields, 2);
	int go = pathway_action_id(pw, "go");
	CHECK(pathway_transition(pw, 0, go) != NULL);
	CHECK(pathway_transition(pw, 1, go) == NULL);
	CHECK(pathway_transition(pw, 0, 99) == NULL);
	CHECK(pathway_transition(pw, -1, go) == NULL);
	CHECK_INT(pathway_transition(pw, 0, go)->n_fields, 2);
	CHECK_STR(pathway_transition(pw, 0, pathway_action_id(pw, "stay"))->sets[0].value.u.s, "fixed");
	CHECK_INT(strlen(pw->digest), 64);
	pathway_free(pw);
	free(out);
}

TEST(pathway_on_link_names_a_system_action_without_required_fields)
{
	const char *yaml =
		"pathway: links\nversion: 1\ntitle: { ja: つなぎ, en: Links }\n"
		"opened_by: { roles: [nurse] }\nreceiver: support_centre\n"
		"outcomes: { done: { ja: 完了, en: Done } }\n"
		"fields: { note: text }\n"
		"start: a\n"
		"states:\n"
		"  a:\n    title: { ja: A, en: A }\n    inbox: receiver\n"
		"    on_link: { joined: joined, declined: by_nurse, ended: needs_note, gone: joined }\n"
		"    actions:\n"
		"      joined: { to: b, by: [system], when: \"links.joined >= 1 and links.active < 3\" }\n"
		"      by_nurse: { to: b, by: [nurse] }\n"
		"      needs_note: { to: b, by: [system], requires: [note] }\n"
		"      odd: { to: b, by: [nurse], when: \"links.everything > 0\" }\n"
		"  b: { title: { ja: B, en: B }, final: true, outcome: done, on_link: { joined: x } }\n";
	struct pathway *pw = NULL;
	char *out = compile_errors(yaml, &pw);
	CHECK_CONTAINS(out, "t.yaml:13:42:");
	CHECK_CONTAINS(out, "on_link action 'by_nurse' must allow the role 'system' in its 'by'");
	CHECK_CONTAINS(out, "on_link action 'needs_note' requires 'note', which the system cannot give");
	CHECK_CONTAINS(out, "unknown link status 'gone'");
	CHECK_CONTAINS(out, "links.everything");
	CHECK_CONTAINS(out, "a final state has no on_link");
	CHECK(pw == NULL);
	free(out);
}

TEST(pathway_on_link_compiles_to_the_state_table)
{
	const char *yaml =
		"pathway: links\nversion: 1\ntitle: { ja: つなぎ, en: Links }\n"
		"opened_by: { roles: [nurse] }\nreceiver: support_centre\n"
		"outcomes: { done: { ja: 完了, en: Done } }\n"
		"start: a\n"
		"states:\n"
		"  a:\n    title: { ja: A, en: A }\n    inbox: receiver\n"
		"    on_link: { joined: joined }\n"
		"    actions:\n"
		"      other: { to: b, by: [nurse] }\n"
		"      joined: { to: b, by: [system, nurse], when: \"links.joined >= 1\" }\n"
		"  b: { title: { ja: B, en: B }, final: true, outcome: done }\n";
	struct pathway *pw = NULL;
	char *out = compile_errors(yaml, &pw);
	CHECK_STR(out, "");
	CHECK(pw != NULL);
	CHECK_INT(pw->states[0].on_link[LINK_JOINED], 1);
	CHECK_INT(pw->states[0].on_link[LINK_PROPOSED], -1);
	CHECK_INT(pw->states[1].on_link[LINK_JOINED], -1);
	pathway_free(pw);
	free(out);
}

/* Replaces the first `from` in text by `to` (a new string). */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	CHECK(at != NULL);
	return xasprintf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

TEST(pathway_no_pathway_gives_the_monitor_role_a_case)
{
	char *path = xasprintf("%s/pathways/pharmacy.yaml", test_root);
	size_t len;
	char *text = read_file(path, &len);
	CHECK(text != NULL);
	char *by = replaced(text, "by: [pharmacist]", "by: [monitor]");
	char *out = compile_errors(by, NULL);
	CHECK_CONTAINS(out, "role 'monitor' is not allowed here");
	free(out);
	char *opens = replaced(text, "opened_by: { roles: [pharmacist]", "opened_by: { roles: [monitor]");
	out = compile_errors(opens, NULL);
	CHECK_CONTAINS(out, "role 'monitor' is not allowed here");
	free(out);
	/* the system still takes a timer's action */
	struct pathway *pw = NULL;
	out = compile_errors(text, &pw);
	CHECK(pw != NULL);
	free(out);
	pathway_free(pw);
	free(by);
	free(opens);
	free(text);
	free(path);
}
