/*
 * flow — the writes of an opening or an action. Entering a state creates its
 * timers (due on the business calendar) and outbox rows; leaving one cancels the
 * timers not yet fired, so a case never sees the timer of a state it left. A
 * link change is a case event too, and may move the case (on_link).
 */
#include "flow.h"
#include "mpjson.h"
#include "textfold.h"
#include "token.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int flow_event(const struct flow *f, const struct store_case *c, const char *action, const char *from,
	       const char *to, const json_t *payload, int64_t *seq)
{
	size_t len = 0;
	char *bytes = mpjson_encode(payload, &len);
	char *id = token_new_id("e_");
	struct store_event ev = {
		.id = id,
		.case_id = c->id,
		.at = f->now,
		.actor_user = (char *)f->actor_user,
		.actor_org = (char *)f->actor_org,
		.action = (char *)action,
		.from_state = (char *)from,
		.to_state = (char *)to,
		.case_version = c->version,
		.payload = bytes,
		.payload_len = len,
	};
	int rc = store_event_append(f->store, &ev);
	*seq = ev.seq;
	free(bytes);
	free(id);
	return rc;
}

/*
 * One outbox row per channel the organisation's notifications go through. With
 * no channel configured, a dead row says so, for coordinators to see.
 */
static int outbox_for(const struct flow *f, const struct store_case *c, const char *party, const char *org_id,
		      const char *user, const char *template_name, int64_t seq)
{
	const struct config_org *org = config_find_org(f->cfg, org_id);
	const struct config_notify_route *route = config_notify_route(f->cfg, org);
	struct store_notification n = {
		.case_id = c->id, .event_seq = seq, .party = (char *)party, .org = (char *)org_id,
		.user = (char *)user, .template_name = (char *)template_name, .state = c->state,
		.created_at = f->now,
	};
	if (!route || route->n_channels == 0) {
		char *e = xasprintf("no notification channel is configured for organisation %s", org_id);
		n.status = "dead";
		n.last_error = e;
		int rc = store_outbox_add(f->store, &n);
		free(e);
		return rc;
	}
	for (size_t i = 0; i < route->n_channels; i++) {
		n.channel = route->channels[i];
		if (store_outbox_add(f->store, &n))
			return -1;
	}
	return 0;
}

/* Outbox rows for one notification, resolved to organisations (and the assignee). */
static int notify(const struct flow *f, const struct store_case *c, const struct pw_notify *n, int64_t seq)
{
	const char *party = party_names[n->to];
	switch (n->to) {
	case PARTY_ORIGIN:
		return outbox_for(f, c, party, c->origin_org, NULL, n->template_name, seq);
	case PARTY_RECEIVER:
		if (!c->receiver_org)
			return 0;
		return outbox_for(f, c, party, c->receiver_org, NULL, n->template_name, seq);
	case PARTY_ASSIGNEE:
		/* With nobody assigned yet, the receiving organisation hears it. */
		if (!c->receiver_org)
			return 0;
		return outbox_for(f, c, party, c->receiver_org, c->assignee, n->template_name, seq);
	case PARTY_COORDINATOR:
		for (size_t k = 0; k < f->cfg->n_orgs; k++)
			if (f->cfg->orgs[k].kind == ORG_CITY &&
			    outbox_for(f, c, party, f->cfg->orgs[k].id, NULL, n->template_name, seq))
				return -1;
		return 0;
	default:
		return 0;
	}
}

/* The due time of a state's timer entered now; 0 when it has no date to count to. */
static clock_us timer_due(const struct flow *f, const struct pathway *pw, const struct store_case *c,
			  const struct pw_timer *t)
{
	if (t->at_field < 0)
		return calendar_due(f->cal, f->now, t->amount, t->unit);
	const char *v = json_string_value(json_object_get(c->fields, pw->fields[t->at_field].name));
	date_days d;
	if (!v || date_parse(v, &d))
		return 0;
	return calendar_due_at_date(f->cal, d);
}

/* Entering a state: its notifications and its timers. */
static int enter(const struct flow *f, const struct pathway *pw, const struct store_case *c, int state,
		 int64_t seq)
{
	const struct pw_state *st = &pw->states[state];
	for (size_t i = 0; i < st->n_notify; i++)
		if (notify(f, c, &st->notify[i], seq))
			return -1;
	for (size_t i = 0; i < st->n_timers; i++) {
		clock_us due = timer_due(f, pw, c, &st->timers[i]);
		if (due && store_timer_add(f->store, c->id, st->name, st->timers[i].name, due, f->now))
			return -1;
	}
	return 0;
}

/* The provision record of personal data passing to another organisation (APPI art. 29). */
static int provision(const struct flow *f, const struct store_case *c, const json_t *subject,
		     const char *to_org, int64_t seq)
{
	if (!to_org || !strcmp(to_org, c->origin_org))
		return 0;
	struct buf items;
	buf_init(&items);
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)subject, key, v)
		if (!json_is_null(v))
			buf_printf(&items, "%ssubject.%s", items.len ? "," : "", key);
	json_object_foreach(c->fields, key, v)
		buf_printf(&items, "%sfields.%s", items.len ? "," : "", key);
	char *basis;
	if (c->consent)
		basis = xasprintf("consent (%s) obtained by %s at %s; scope: %s",
				  json_string_value(json_object_get(c->consent, "method")),
				  json_string_value(json_object_get(c->consent, "obtained_by")),
				  json_string_value(json_object_get(c->consent, "obtained_at")),
				  json_string_value(json_object_get(c->consent, "scope")));
	else
		basis = xstrdup("no consent recorded: provision within the municipality's own services");
	int rc = store_provision_add(f->store, f->now, c->id, c->subject_id, c->origin_org, to_org,
				     items.data, basis, seq);
	free(basis);
	buf_release(&items);
	return rc;
}

static int add_duplicate(void *ctx, const char *case_id, const char *reason)
{
	json_array_append_new(ctx, json_pack("{s:s, s:s}", "case_id", case_id, "reason", reason));
	return 0;
}

void flow_person_keys(struct store_case *c, const json_t *subject)
{
	char key[65];
	free(c->person_id);
	free(c->person_key);
	const char *pid = json_string_value(json_object_get(c->fields, "person_id"));
	c->person_id = pid ? xstrdup(pid) : NULL;
	c->person_key = textfold_person_key(json_string_value(json_object_get(subject, "kana")),
					    json_string_value(json_object_get(subject, "birth_date")), key)
				? NULL
				: xstrdup(key);
}

int flow_open(const struct flow *f, const struct pathway *pw, struct store_case *c, const json_t *subject)
{
	int64_t seq = 0;
	int state = pathway_state_index(pw, c->state);
	/* Possible duplicate persons are flagged, never merged: a person may be on two pathways at once. */
	flow_person_keys(c, subject);
	json_decref(c->duplicates);
	c->duplicates = json_array();
	if (store_cases_same_person(f->store, c->id, c->person_id, c->person_key, add_duplicate, c->duplicates))
		return -1;
	size_t n_dup = json_array_size(c->duplicates);
	if (!n_dup) {
		json_decref(c->duplicates);
		c->duplicates = NULL;
	}
	json_t *payload = json_pack("{s:O, s:o}", "fields", c->fields, "receiver",
				    c->receiver_org ? json_string(c->receiver_org) : json_null());
	if (n_dup)
		json_object_set_new(payload, "possible_duplicates", json_integer((json_int_t)n_dup));
	int rc = store_subject_insert(f->store, c->subject_id, subject, f->now) ||
		 store_case_insert(f->store, c) ||
		 flow_event(f, c, "open", NULL, c->state, payload, &seq) ||
		 enter(f, pw, c, state, seq) ||
		 provision(f, c, subject, c->receiver_org, seq) ||
		 (n_dup && c->receiver_org &&
		  outbox_for(f, c, "receiver", c->receiver_org, NULL, "possible_duplicate", seq));
	json_decref(payload);
	return rc ? -1 : 0;
}

int flow_open_case(const struct flow *f, const struct pathway *pw, const struct cm_open *open,
		   struct store_case *out)
{
	struct store_case *c = out;
	memset(c, 0, sizeof(*c));
	const struct pw_state *st = &pw->states[open->state];
	c->id = token_new_id("c_");
	c->pathway = xstrdup(pw->id);
	c->pathway_version = pw->version;
	c->state = xstrdup(st->name);
	c->version = 1;
	c->origin_org = xstrdup(f->actor_org);
	c->origin_user = f->actor_user ? xstrdup(f->actor_user) : NULL;
	c->receiver_org = open->receiver ? xstrdup(open->receiver->id) : NULL;
	c->subject_id = token_new_id("s_");
	c->consent = open->consent ? json_incref(open->consent) : NULL;
	c->fields = json_incref(open->fields);
	c->opened_at = c->updated_at = f->now;
	c->area = xstrdup(json_string_value(json_object_get(open->subject, "area")));
	if (st->final) {
		c->closed_at = f->now;
		c->outcome = xstrdup(st->outcome ? st->outcome : "");
	}
	return flow_open(f, pw, c, open->subject);
}

int flow_step(const struct flow *f, const struct pathway *pw, struct store_case *c, const json_t *subject,
	      const struct cm_step *step, party_mask parties)
{
	const struct pw_state *to = &pw->states[step->target];
	char *from = c->state;
	long old_version = c->version;
	c->state = xstrdup(to->name);
	c->version++;
	c->updated_at = f->now;
	json_decref(c->fields);
	c->fields = json_incref(step->fields);
	bool handed_on = step->new_receiver &&
			 (!c->receiver_org || strcmp(c->receiver_org, step->new_receiver->id));
	if (handed_on) {
		free(c->receiver_org);
		c->receiver_org = xstrdup(step->new_receiver->id);
		free(c->assignee);
		c->assignee = NULL;
	}
	/* Whoever of the receiving organisation takes the case on becomes its assignee. */
	if (!c->assignee && f->actor_user && to->inbox == PARTY_ASSIGNEE &&
	    (parties & MASK(PARTY_RECEIVER)) && !step->new_receiver)
		c->assignee = xstrdup(f->actor_user);
	if (to->final) {
		c->closed_at = f->now;
		free(c->outcome);
		c->outcome = xstrdup(step->outcome);
	}
	json_t *payload = json_pack("{s:O}", "fields", step->given);
	if (step->new_receiver)
		json_object_set_new(payload, "receiver", json_string(step->new_receiver->id));
	if (to->final)
		json_object_set_new(payload, "outcome", json_string(c->outcome));
	int64_t seq = 0;
	int rc = store_case_update(f->store, c, old_version);
	if (rc == 0 && (flow_event(f, c, step->action->name, from, c->state, payload, &seq) ||
			store_timers_cancel(f->store, c->id, f->now) ||
			enter(f, pw, c, step->target, seq) ||
			(handed_on && provision(f, c, subject, c->receiver_org, seq))))
		rc = -1;
	json_decref(payload);
	free(from);
	return rc;
}

int flow_timer_notify(const struct flow *f, const struct store_case *c, const struct pw_timer *t)
{
	int64_t seq = 0;
	json_t *payload = json_pack("{s:s, s:s}", "timer", t->name, "template", t->notify.template_name);
	int rc = flow_event(f, c, "timer", c->state, c->state, payload, &seq) || notify(f, c, &t->notify, seq);
	json_decref(payload);
	return rc ? -1 : 0;
}

/* The on_link action of the state for a status: the system takes it if its guard allows. */
static int on_link(const struct flow *f, const struct pathway *pw, struct store_case *c, const json_t *subject,
		   int status)
{
	int s = pathway_state_index(pw, c->state);
	int a = s >= 0 ? pw->states[s].on_link[status] : -1;
	if (a < 0)
		return 0;
	struct cm_caller system = { .user = NULL, .org = NULL, .roles = MASK(ROLE_SYSTEM) };
	struct cm_step step = { 0 };
	struct cm_error err = { 0 };
	date_days today = clock_local_date(f->cal->clock, f->now);
	int rc = 0;
	if (cm_act(f->cfg, pw, c, subject, &system, 0, pw->states[s].actions[a].name, NULL, today, &step, &err) == 0)
		rc = flow_step(f, pw, c, subject, &step, 0);
	cm_step_release(&step);
	cm_error_release(&err);
	return rc;
}

int flow_link(const struct flow *f, const struct pathway *pw, struct store_case *c, const json_t *subject,
	      const struct flow_link *ch)
{
	struct store_link *l = ch->link;
	int status = vocab_lookup(link_status_names, l->status);
	long old_version = c->version;
	c->version++;
	c->updated_at = f->now;
	if (ch->old_status != status) {
		if (ch->old_status >= 0)
			c->links[ch->old_status]--;
		c->links[status]++;
	}
	int rc = store_case_update(f->store, c, old_version);
	if (rc)
		return rc;
	if (ch->created ? store_link_insert(f->store, l) : store_link_update(f->store, l))
		return -1;
	json_t *payload = json_pack("{s:s, s:s, s:s}", "link", l->id, "resource", l->resource_id, "status", l->status);
	if (ch->old_status != status)
		json_object_set_new(payload, "on", json_string(status == LINK_PROPOSED ? l->proposed_on
							      : status == LINK_JOINED ? l->joined_on
							      : status == LINK_DECLINED ? l->declined_on : l->ended_on));
	if (ch->handed_items)
		json_object_set_new(payload, "shared_with", json_pack("{s:s, s:s}", "org", l->provider_org, "items",
								      ch->handed_items));
	int64_t seq = 0;
	rc = flow_event(f, c, ch->event, c->state, c->state, payload, &seq);
	json_decref(payload);
	bool handed = ch->handed_items && f->actor_org && strcmp(l->provider_org, f->actor_org);
	if (!rc && handed)
		rc = store_provision_add(f->store, f->now, c->id, c->subject_id, f->actor_org, l->provider_org,
					 ch->handed_items, ch->consent_basis, seq) ||
		     outbox_for(f, c, "provider", l->provider_org, NULL, "resource_referral", seq);
	/* The receiving organisation hears when the provider records the person's attendance. */
	if (!rc && f->actor_org && c->receiver_org && !strcmp(f->actor_org, l->provider_org) &&
	    strcmp(l->provider_org, c->receiver_org))
		rc = outbox_for(f, c, "receiver", c->receiver_org, NULL, "resource_link_changed", seq);
	if (!rc && ch->old_status != status)
		rc = on_link(f, pw, c, subject, status);
	return rc ? -1 : 0;
}
