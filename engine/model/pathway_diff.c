/*
 * pathway_diff — compares two compiled versions by name. A property differs
 * when what a user would notice differs: an action's target state, its roles
 * and sides, its fields and whether each is required, its guard's text; a
 * timer's duration or date, its action or notification; a field's type,
 * choices, bounds and visibility; a state's title, inbox, milestone and
 * finality; the pathway's rules (eligibility, where an opening starts, who
 * may open, consent, receivers, the person's details asked). Titles are
 * compared in both languages.
 */
#include "pathway_diff.h"
#include "expr.h"
#include "util.h"

#include <string.h>

static json_t *text_json(const struct pw_text *t)
{
	return json_pack("{s:s?, s:s?}", "ja", t->ja, "en", t->en);
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same_text(const struct pw_text *a, const struct pw_text *b)
{
	return same_str(a->ja, b->ja) && same_str(a->en, b->en);
}

static void entry(json_t *list, const char *name, const char *change, const struct pw_text *title, json_t *what)
{
	json_t *o = json_pack("{s:s, s:s, s:o}", "name", name, "change", change, "title",
			      title ? text_json(title) : json_null());
	if (what)
		json_object_set_new(o, "what", what);
	json_array_append_new(list, o);
}

static const struct pw_state *find_state(const struct pathway *pw, const char *name)
{
	for (size_t i = 0; i < pw->n_states; i++)
		if (!strcmp(pw->states[i].name, name))
			return &pw->states[i];
	return NULL;
}

static const struct pw_field *find_field(const struct pathway *pw, const char *name)
{
	for (size_t i = 0; i < pw->n_fields; i++)
		if (!strcmp(pw->fields[i].name, name))
			return &pw->fields[i];
	return NULL;
}

/* ---- fields ---- */

static json_t *field_changes(const struct pw_field *a, const struct pw_field *b)
{
	json_t *what = json_array();
	if (a->type != b->type)
		json_array_append_new(what, json_string("type"));
	if (!same_text(&a->title, &b->title))
		json_array_append_new(what, json_string("title"));
	bool choices = a->n_values != b->n_values;
	for (size_t i = 0; i < a->n_values && !choices; i++)
		choices = strcmp(a->values[i], b->values[i]) ||
			  (a->value_titles && b->value_titles && !same_text(&a->value_titles[i], &b->value_titles[i]));
	if (choices)
		json_array_append_new(what, json_string("choices"));
	if (a->min != b->min || a->max != b->max || a->max_length != b->max_length || a->tense != b->tense)
		json_array_append_new(what, json_string("limits"));
	if (a->visible_parties != b->visible_parties || a->visible_roles != b->visible_roles)
		json_array_append_new(what, json_string("visibility"));
	return what;
}

static void diff_fields(const struct pathway *from, const struct pathway *to, json_t *out)
{
	for (size_t i = 0; i < from->n_fields; i++) {
		const struct pw_field *a = &from->fields[i], *b = find_field(to, a->name);
		if (!b) {
			entry(out, a->name, "removed", &a->title, NULL);
			continue;
		}
		json_t *what = field_changes(a, b);
		if (json_array_size(what))
			entry(out, a->name, "changed", &b->title, what);
		else
			json_decref(what);
	}
	for (size_t i = 0; i < to->n_fields; i++)
		if (!find_field(from, to->fields[i].name))
			entry(out, to->fields[i].name, "added", &to->fields[i].title, NULL);
}

/* ---- actions ---- */

static bool same_uses(const struct pathway *pa, const struct pw_action *a, const struct pathway *pb,
		      const struct pw_action *b)
{
	if (a->n_fields != b->n_fields)
		return false;
	for (size_t i = 0; i < a->n_fields; i++)
		if (strcmp(pa->fields[a->fields[i].field].name, pb->fields[b->fields[i].field].name) ||
		    a->fields[i].required != b->fields[i].required)
			return false;
	return true;
}

static json_t *action_changes(const struct pathway *pa, const struct pw_action *a, const struct pathway *pb,
			      const struct pw_action *b)
{
	json_t *what = json_array();
	if (strcmp(pa->states[a->target].name, pb->states[b->target].name))
		json_array_append_new(what, json_string("to"));
	if (a->by != b->by || a->parties != b->parties)
		json_array_append_new(what, json_string("by"));
	if (!same_uses(pa, a, pb, b))
		json_array_append_new(what, json_string("requires"));
	if (!same_str(a->guard ? expr_source(a->guard) : NULL, b->guard ? expr_source(b->guard) : NULL))
		json_array_append_new(what, json_string("when"));
	if (!same_text(&a->title, &b->title))
		json_array_append_new(what, json_string("title"));
	return what;
}

static const struct pw_action *find_action(const struct pw_state *st, const char *name)
{
	for (size_t i = 0; st && i < st->n_actions; i++)
		if (!strcmp(st->actions[i].name, name))
			return &st->actions[i];
	return NULL;
}

/* ---- timers ---- */

static const struct pw_timer *find_timer(const struct pw_state *st, const char *name)
{
	for (size_t i = 0; st && i < st->n_timers; i++)
		if (!strcmp(st->timers[i].name, name))
			return &st->timers[i];
	return NULL;
}

static json_t *timer_changes(const struct pathway *pa, const struct pw_state *sa, const struct pw_timer *a,
			     const struct pathway *pb, const struct pw_state *sb, const struct pw_timer *b)
{
	json_t *what = json_array();
	bool at_a = a->at_field >= 0, at_b = b->at_field >= 0;
	if (at_a != at_b || (at_a && strcmp(pa->fields[a->at_field].name, pb->fields[b->at_field].name)) ||
	    (!at_a && (a->amount != b->amount || a->unit != b->unit)))
		json_array_append_new(what, json_string("after"));
	const char *act_a = a->action >= 0 ? sa->actions[a->action].name : NULL;
	const char *act_b = b->action >= 0 ? sb->actions[b->action].name : NULL;
	if (!same_str(act_a, act_b))
		json_array_append_new(what, json_string("action"));
	if (a->notify.to != b->notify.to || !same_str(a->notify.template_name, b->notify.template_name))
		json_array_append_new(what, json_string("notify"));
	return what;
}

/* ---- states, with their actions and timers ---- */

static void diff_states(const struct pathway *from, const struct pathway *to, json_t *states, json_t *actions,
			json_t *timers)
{
	for (size_t i = 0; i < from->n_states; i++) {
		const struct pw_state *a = &from->states[i], *b = find_state(to, a->name);
		if (!b) {
			entry(states, a->name, "removed", &a->title, NULL);
		} else {
			json_t *what = json_array();
			if (!same_text(&a->title, &b->title))
				json_array_append_new(what, json_string("title"));
			if (a->inbox != b->inbox)
				json_array_append_new(what, json_string("inbox"));
			if (a->milestone != b->milestone)
				json_array_append_new(what, json_string("milestone"));
			if (a->final != b->final || !same_str(a->outcome, b->outcome))
				json_array_append_new(what, json_string("final"));
			if (json_array_size(what))
				entry(states, a->name, "changed", &b->title, what);
			else
				json_decref(what);
		}
		for (size_t k = 0; k < a->n_actions; k++) {
			const struct pw_action *x = &a->actions[k], *y = find_action(b, x->name);
			char *name = xasprintf("%s.%s", a->name, x->name);
			json_t *what = y ? action_changes(from, x, to, y) : NULL;
			if (!y)
				entry(actions, name, "removed", &x->title, NULL);
			else if (json_array_size(what))
				entry(actions, name, "changed", &y->title, json_incref(what));
			json_decref(what);
			free(name);
		}
		for (size_t k = 0; k < a->n_timers; k++) {
			const struct pw_timer *x = &a->timers[k], *y = find_timer(b, x->name);
			char *name = xasprintf("%s.%s", a->name, x->name);
			json_t *what = y ? timer_changes(from, a, x, to, b, y) : NULL;
			if (!y)
				entry(timers, name, "removed", NULL, NULL);
			else if (json_array_size(what))
				entry(timers, name, "changed", NULL, json_incref(what));
			json_decref(what);
			free(name);
		}
	}
	for (size_t i = 0; i < to->n_states; i++) {
		const struct pw_state *b = &to->states[i], *a = find_state(from, b->name);
		if (!a)
			entry(states, b->name, "added", &b->title, NULL);
		for (size_t k = 0; k < b->n_actions; k++)
			if (!find_action(a, b->actions[k].name)) {
				char *name = xasprintf("%s.%s", b->name, b->actions[k].name);
				entry(actions, name, "added", &b->actions[k].title, NULL);
				free(name);
			}
		for (size_t k = 0; k < b->n_timers; k++)
			if (!find_timer(a, b->timers[k].name)) {
				char *name = xasprintf("%s.%s", b->name, b->timers[k].name);
				entry(timers, name, "added", NULL, NULL);
				free(name);
			}
	}
}

/* ---- the pathway's own rules: its eligibility, where openings start, who may open, consent, receivers ---- */

static const char *source_of(const struct expr *e)
{
	return e ? expr_source(e) : NULL;
}

static void rule(json_t *rules, const char *name, bool had, bool has, bool differs)
{
	if (had != has)
		entry(rules, name, has ? "added" : "removed", NULL, NULL);
	else if (had && differs)
		entry(rules, name, "changed", NULL, NULL);
}

static bool same_start(const struct pathway *from, const struct pathway *to)
{
	if (from->n_start != to->n_start)
		return false;
	for (size_t i = 0; i < from->n_start; i++)
		if (!same_str(source_of(from->start[i].when), source_of(to->start[i].when)) ||
		    strcmp(from->states[from->start[i].target].name, to->states[to->start[i].target].name))
			return false;
	return true;
}

static void diff_rules(const struct pathway *from, const struct pathway *to, json_t *rules)
{
	rule(rules, "eligibility", from->eligibility, to->eligibility,
	     !same_str(source_of(from->eligibility), source_of(to->eligibility)));
	rule(rules, "start", true, true, !same_start(from, to));
	rule(rules, "opened_by", true, true, from->open_roles != to->open_roles || from->open_kinds != to->open_kinds);
	rule(rules, "consent", from->consent_required, to->consent_required,
	     pathway_consent_covers(from) != pathway_consent_covers(to) ||
		     !same_text(&from->consent_purpose, &to->consent_purpose));
	rule(rules, "receivers", true, true,
	     from->receiver_kinds != to->receiver_kinds || from->receiver_by_area != to->receiver_by_area);
	rule(rules, "subject", true, true,
	     from->subject_required != to->subject_required || from->no_subject != to->no_subject);
}

json_t *pathway_diff(const struct pathway *from, const struct pathway *to)
{
	json_t *states = json_array(), *actions = json_array(), *timers = json_array(), *fields = json_array(),
	       *rules = json_array();
	diff_states(from, to, states, actions, timers);
	diff_fields(from, to, fields);
	diff_rules(from, to, rules);
	return json_pack("{s:{s:s, s:i}, s:{s:s, s:i}, s:o, s:o, s:o, s:o, s:o}", "from", "pathway", from->id,
			 "version", (int)from->version, "to", "pathway", to->id, "version", (int)to->version, "states",
			 states, "actions", actions, "timers", timers, "fields", fields, "rules", rules);
}
