/*
 * flow — the writes of a case. Entering a state creates its timers (due on the
 * business calendar) and outbox rows; leaving one cancels the timers not yet
 * fired, so a case never sees the timer of a state it left. A link change is a
 * case event too, and may move the case (on_link) through the same system
 * action a timer takes. Refusals come from rules/; a write that finds the
 * case's version moved on meanwhile is refused as precondition_failed.
 */
#include "flow.h"
#include "report.h"
#include "jsonin.h"
#include "mpjson.h"
#include "resource.h"
#include "textfold.h"
#include "token.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct flow flow_system(struct core *core, clock_us now)
{
	return (struct flow){ .core = core, .now = now, .who = { .user = NULL, .org = NULL, .roles = MASK(ROLE_SYSTEM) } };
}

static date_days today(const struct flow *f)
{
	return clock_local_date(f->core->clock, f->now);
}

static const char *actor_org(const struct flow *f)
{
	return f->who.org ? f->who.org->id : NULL;
}

static void refuse_stale(struct refusal *why)
{
	refusal_set(why, "precondition_failed", "If-Match", "the case has changed; reload it and try again");
	refusal_ja(why, "ケースが更新されています。読み直してからもう一度お試しください");
}

/* ---- loading ------------------------------------------------------------------------------- */

void flow_case_release(struct flow_case *l)
{
	case_record_release(&l->c);
	json_decref(l->subject);
	memset(l, 0, sizeof(*l));
}

int flow_case_load(const struct flow *f, const char *id, struct flow_case *l)
{
	memset(l, 0, sizeof(*l));
	int rc = store_case_get(f->core->store, id, &l->c);
	if (rc < 0)
		return -1;
	if (rc == 0)
		l->pw = core_pathway(f->core, l->c.pathway, l->c.pathway_version);
	if (rc == 0 && l->pw)
		l->parties = cm_parties(l->pw, &l->c, &f->who);
	if (rc != 0 || !l->pw || !l->parties) {
		flow_case_release(l);
		return 1;
	}
	l->personal = cm_sees_personal(l->pw, l->parties);
	if (l->personal)
		l->subject = store_subject_get(f->core->store, l->c.subject_id);
	return 0;
}

void flow_case_resides(const struct flow *f, struct flow_case *l)
{
	l->parties = cm_parties(l->pw, &l->c, &f->who);
	l->personal = l->parties && cm_sees_personal(l->pw, l->parties);
	if (!l->personal) {
		json_decref(l->subject);
		l->subject = NULL;
	}
}

/* The subject as the write needs it: the loaded one, or read now (the system, a provider). New reference. */
static json_t *subject_of(const struct flow *f, const struct flow_case *l)
{
	return l->subject ? json_incref(l->subject) : store_subject_get(f->core->store, l->c.subject_id);
}

/* ---- the pieces of a write ------------------------------------------------------------------ */

static int append_event(const struct flow *f, const struct case_record *c, const char *action, const char *from,
			const char *to, const json_t *payload, int64_t *seq)
{
	size_t len = 0;
	char *bytes = mpjson_encode(payload, &len);
	char *id = token_new_id("e_");
	struct store_event ev = {
		.id = id,
		.case_id = c->id,
		.at = f->now,
		.actor_user = (char *)f->who.user,
		.actor_org = (char *)actor_org(f),
		.action = (char *)action,
		.from_state = (char *)from,
		.to_state = (char *)to,
		.case_version = c->version,
		.payload = bytes,
		.payload_len = len,
	};
	/* the case's summary for reports goes with the event, in its unit */
	int rc = store_event_append(f->core->store, &ev) ||
			 report_note_event(f->core, c, action, to, !f->who.user && !actor_org(f), f->now)
		 ? -1
		 : 0;
	*seq = ev.seq;
	free(bytes);
	free(id);
	return rc;
}

/* An event that leaves the case in its state (an assignment, a note, a correction). */
static int append_note_event(const struct flow *f, const struct case_record *c, const char *action,
			     const json_t *payload)
{
	int64_t seq;
	return append_event(f, c, action, c->state, c->state, payload, &seq);
}

/*
 * One outbox row per channel the organisation's notifications go through. With
 * no channel configured, a dead row says so, for coordinators to see.
 */
static int outbox_for(const struct flow *f, const struct case_record *c, const char *party, const char *org_id,
		      const char *user, const char *template_name, int64_t seq)
{
	const struct config *cfg = f->core->cfg;
	const struct config_org *org = config_find_org(cfg, org_id);
	const struct config_notify_route *route = config_notify_route(cfg, org);
	struct store_notification n = {
		.case_id = c->id, .event_seq = seq, .party = (char *)party, .org = (char *)org_id,
		.user = (char *)user, .template_name = (char *)template_name, .state = c->state,
		.created_at = f->now,
	};
	if (!route || route->n_channels == 0) {
		char *e = xasprintf("no notification channel is configured for organisation %s", org_id);
		n.status = "dead";
		n.last_error = e;
		int rc = store_outbox_add(f->core->store, &n);
		free(e);
		return rc;
	}
	for (size_t i = 0; i < route->n_channels; i++) {
		n.channel = route->channels[i];
		if (store_outbox_add(f->core->store, &n))
			return -1;
	}
	return 0;
}

/* Outbox rows for one notification, resolved to organisations (and the assignee). */
static int notify(const struct flow *f, const struct case_record *c, const struct pw_notify *n, int64_t seq)
{
	const char *party = party_names[n->to];
	const struct config *cfg = f->core->cfg;
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
		for (size_t k = 0; k < cfg->n_orgs; k++)
			if (cfg->orgs[k].kind == ORG_CITY &&
			    outbox_for(f, c, party, cfg->orgs[k].id, NULL, n->template_name, seq))
				return -1;
		return 0;
	default:
		return 0;
	}
}

/* The due time of a state's timer counted from when the case entered the state; 0 when it has no date to count to. */
static clock_us timer_due(const struct flow *f, const struct pathway *pw, const struct case_record *c,
			  const struct pw_timer *t)
{
	if (t->at_field < 0)
		return calendar_due(f->core->cal, c->entered_at, t->amount, t->unit);
	date_days d;
	if (cm_field_date(json_object_get(c->fields, pw->fields[t->at_field].name), &d))
		return 0;
	return calendar_due_at_date(f->core->cal, d);
}

/*
 * When the state's first timer falls due (the SLA the inbox badges count to),
 * or 0 when it has none; a final state is due at no time.
 */
static clock_us state_due(const struct flow *f, const struct pathway *pw, const struct case_record *c, int state)
{
	const struct pw_state *st = &pw->states[state];
	clock_us first = 0;
	for (size_t i = 0; i < st->n_timers && !st->final; i++) {
		clock_us due = timer_due(f, pw, c, &st->timers[i]);
		if (due && (!first || due < first))
			first = due;
	}
	return first;
}

/* Entering a state: its notifications and its timers. */
static int enter(const struct flow *f, const struct pathway *pw, const struct case_record *c, int state,
		 int64_t seq)
{
	const struct pw_state *st = &pw->states[state];
	for (size_t i = 0; i < st->n_notify; i++)
		if (notify(f, c, &st->notify[i], seq))
			return -1;
	for (size_t i = 0; i < st->n_timers; i++) {
		clock_us due = timer_due(f, pw, c, &st->timers[i]);
		if (due && store_timer_add(f->core->store, c->id, st->name, st->timers[i].name, due, f->now))
			return -1;
	}
	return 0;
}

/*
 * The provision record of personal data passing from one organisation to
 * another (APPI art. 29): from the one that held the case (the origin at the
 * opening, the receiver that hands it on after), to the one that gets it.
 */
static int provision(const struct flow *f, const struct pathway *pw, const struct case_record *c, const json_t *subject,
		     const char *from_org, const char *to_org, int64_t seq)
{
	if (!to_org || !strcmp(to_org, from_org))
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
	char *basis = cm_consent_basis(pw, c->consent, false);
	if (!basis)
		basis = xstrdup("no consent recorded: provision within the municipality's own services");
	int rc = store_provision_add(f->core->store, f->now, c->id, c->subject_id, from_org, to_org,
				     items.data, basis, seq);
	free(basis);
	buf_release(&items);
	return rc;
}

/* The organisation that holds the person's details now, a copy: the receiver, or the origin before there is one. */
static char *holder_of(const struct case_record *c)
{
	return xstrdup(c->receiver_org ? c->receiver_org : c->origin_org);
}

/* Sets the case's person columns from its fields and subject (the duplicate check reads them). */
static void person_keys(struct case_record *c, const json_t *subject)
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

/* ---- opening --------------------------------------------------------------------------------- */

static int add_duplicate(void *ctx, const char *case_id, const char *reason)
{
	json_array_append_new(ctx, json_pack("{s:s, s:s}", "case_id", case_id, "reason", reason));
	return 0;
}

/* Writes new case c (its state set to the start state) with its subject. */
static int write_open(const struct flow *f, const struct pathway *pw, struct case_record *c, const json_t *subject)
{
	struct store *store = f->core->store;
	int64_t seq = 0;
	int state = pathway_state_index(pw, c->state);
	/* Possible duplicate persons are flagged, never merged: a person may be on two pathways at once. */
	person_keys(c, subject);
	json_decref(c->duplicates);
	c->duplicates = json_array();
	if (store_cases_same_person(store, c->id, c->person_id, c->person_key, add_duplicate, c->duplicates))
		return -1;
	size_t n_dup = json_array_size(c->duplicates);
	if (!n_dup) {
		json_decref(c->duplicates);
		c->duplicates = NULL;
	}
	c->due_at = state_due(f, pw, c, state);
	c->inbox = cm_inbox_party(pw, c);
	json_t *payload = json_pack("{s:O, s:o}", "fields", c->fields, "receiver",
				    c->receiver_org ? json_string(c->receiver_org) : json_null());
	if (n_dup)
		json_object_set_new(payload, "possible_duplicates", json_integer((json_int_t)n_dup));
	int rc = store_subject_insert(store, c->subject_id, subject, f->now) ||
		 store_case_insert(store, c) ||
		 append_event(f, c, "open", NULL, c->state, payload, &seq) ||
		 enter(f, pw, c, state, seq) ||
		 provision(f, pw, c, subject, c->origin_org, c->receiver_org, seq) ||
		 (n_dup && c->receiver_org &&
		  outbox_for(f, c, "receiver", c->receiver_org, NULL, "possible_duplicate", seq));
	json_decref(payload);
	return rc ? FLOW_FAILED : FLOW_DONE;
}

int flow_open_case(const struct flow *f, const struct pathway *pw, const struct cm_open *open,
		   struct case_record *out)
{
	struct case_record *c = out;
	memset(c, 0, sizeof(*c));
	const struct pw_state *st = &pw->states[open->state];
	c->id = token_new_id("c_");
	c->pathway = xstrdup(pw->id);
	c->pathway_version = pw->version;
	c->state = xstrdup(st->name);
	c->version = 1;
	c->origin_org = xstrdup(actor_org(f));
	c->origin_user = f->who.user ? xstrdup(f->who.user) : NULL;
	c->receiver_org = open->receiver ? xstrdup(open->receiver->id) : NULL;
	c->subject_id = token_new_id("s_");
	c->consent = open->consent ? json_incref(open->consent) : NULL;
	c->fields = json_incref(open->fields);
	c->opened_at = c->updated_at = c->entered_at = f->now;
	const char *area = json_string_value(json_object_get(open->subject, "area"));
	c->area = area ? xstrdup(area) : NULL;
	if (st->final) {
		c->closed_at = f->now;
		c->outcome = xstrdup(st->outcome ? st->outcome : "");
	}
	return write_open(f, pw, c, open->subject);
}

/*
 * The cases a cases field names must exist, be of the pathways it names and
 * be cases the actor stands on; any other id is refused as if it did not
 * exist (another organisation's case looks like no case). FLOW_DONE,
 * FLOW_REFUSED with every problem, or FLOW_FAILED.
 */
static int check_case_refs(const struct flow *f, const struct pathway *pw, const json_t *fields, struct refusal *why)
{
	int bad = 0;
	for (size_t i = 0; i < pw->n_fields; i++) {
		const struct pw_field *fd = &pw->fields[i];
		const json_t *list = fd->type == FIELD_CASES ? json_object_get(fields, fd->name) : NULL;
		size_t k;
		json_t *id;
		json_array_foreach(list, k, id) {
			struct case_record c = { 0 };
			int rc = store_case_get(f->core->store, json_string_value(id), &c);
			if (rc < 0)
				return FLOW_FAILED;
			const struct pathway *of = rc == 0 ? core_pathway(f->core, c.pathway, c.pathway_version) : NULL;
			bool named = false;
			for (size_t p = 0; of && p < fd->n_pathways; p++)
				named |= !strcmp(fd->pathways[p], c.pathway);
			if (!named || !cm_parties(of, &c, &f->who)) {
				char *path = xasprintf("fields.%s", fd->name);
				refusal_set(why, "invalid_field", path, "%s: no case %s of %s", path, json_string_value(id),
					    fd->pathways[0]);
				refusal_ja(why, "%s: %s というケースはありません", path, json_string_value(id));
				free(path);
				bad++;
			}
			case_record_release(&c);
		}
	}
	return bad ? FLOW_REFUSED : FLOW_DONE;
}

int flow_open(const struct flow *f, const struct pathway *pw, const json_t *body, struct flow_case *out,
	      struct refusal *why)
{
	struct cm_open open = { 0 };
	memset(out, 0, sizeof(*out));
	if (cm_open(f->core->cfg, pw, &f->who, body, today(f), &open, why))
		return FLOW_REFUSED;
	int refs = check_case_refs(f, pw, open.fields, why);
	if (refs) {
		cm_open_release(&open);
		return refs;
	}
	int rc = flow_open_case(f, pw, &open, &out->c);
	out->pw = pw;
	out->parties = cm_parties(pw, &out->c, &f->who);
	out->personal = cm_sees_personal(pw, out->parties);
	if (out->personal)
		out->subject = json_incref(open.subject);
	cm_open_release(&open);
	return rc;
}

/* ---- links that end with the case --------------------------------------------------------- */

struct links_of_case {
	struct link_record *items;
	size_t n, alloc;
};

static int collect_link(void *ctx, const struct link_record *l)
{
	struct links_of_case *ls = ctx;
	grow_array(&ls->items, &ls->alloc, ls->n, sizeof(*ls->items));
	struct link_record *copy = &ls->items[ls->n++];
	*copy = (struct link_record){
		.id = xstrdup(l->id), .case_id = xstrdup(l->case_id), .resource_id = xstrdup(l->resource_id),
		.provider_org = xstrdup(l->provider_org), .status = xstrdup(l->status),
		.proposed_on = xstrdup(l->proposed_on),
		.joined_on = l->joined_on ? xstrdup(l->joined_on) : NULL,
		.declined_on = l->declined_on ? xstrdup(l->declined_on) : NULL,
		.ended_on = l->ended_on ? xstrdup(l->ended_on) : NULL,
		.note = l->note ? xstrdup(l->note) : NULL, .shared = l->shared ? xstrdup(l->shared) : NULL,
		.consent = l->consent ? json_incref(l->consent) : NULL,
		.created_by = l->created_by ? xstrdup(l->created_by) : NULL,
		.created_org = l->created_org ? xstrdup(l->created_org) : NULL,
		.created_at = l->created_at, .updated_at = l->updated_at,
	};
	return 0;
}

static void links_of_case_release(struct links_of_case *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		link_record_release(&ls->items[i]);
	free(ls->items);
	memset(ls, 0, sizeof(*ls));
}

/*
 * A case that closes ends its open links, each with an event of its own (the
 * case's version moves with each); a provider that held the person's details is
 * told the referral ended, not why, and from then sees nothing of the person.
 * The history stays: a link the person joined is still counted as joined.
 */
static int end_open_links(const struct flow *f, struct case_record *c, const char *because)
{
	struct store *store = f->core->store;
	struct links_of_case ls = { 0 };
	char on[11];
	date_format(today(f), on);
	int rc = store_links_for_case(store, c->id, collect_link, &ls);
	for (size_t i = 0; rc == 0 && i < ls.n; i++) {
		struct link_record *l = &ls.items[i];
		if (!links_open(l))
			continue;
		int old = vocab_lookup(link_status_names, l->status);
		free(l->status);
		l->status = xstrdup(link_status_names[LINK_ENDED]);
		free(l->ended_on);
		l->ended_on = xstrdup(on);
		l->updated_at = f->now;
		links_tally(c->links, &c->links_open, old, LINK_ENDED, l->joined_on != NULL);
		long old_version = c->version++;
		json_t *payload = json_pack("{s:s, s:s, s:s, s:s, s:s}", "link", l->id, "resource", l->resource_id,
					    "status", l->status, "on", on, "because", because);
		int64_t seq = 0;
		rc = store_link_update(store, l) || store_case_update(store, c, old_version) ||
		     append_event(f, c, "link_ended", c->state, c->state, payload, &seq) ||
		     (l->shared && outbox_for(f, c, "provider", l->provider_org, NULL, "resource_referral_ended", seq));
		json_decref(payload);
	}
	links_of_case_release(&ls);
	return rc ? -1 : 0;
}

/* ---- actions ---------------------------------------------------------------------------------- */

/*
 * Applies a decided step to case c (updated in place: state, version, fields,
 * receiver, assignee, outcome). `parties` are the actor's sides before the step
 * (for who becomes the assignee). 1 when the case's version moved on meanwhile.
 */
static int apply_step(const struct flow *f, const struct pathway *pw, struct case_record *c, const json_t *subject,
		      const struct cm_step *step, party_mask parties)
{
	const struct pw_state *to = &pw->states[step->target];
	struct store *store = f->core->store;
	char *from = c->state;
	long old_version = c->version;
	c->state = xstrdup(to->name);
	c->version++;
	c->updated_at = c->entered_at = f->now;
	json_decref(c->fields);
	c->fields = json_incref(step->fields);
	bool handed_on = step->new_receiver &&
			 (!c->receiver_org || strcmp(c->receiver_org, step->new_receiver->id));
	/* what passes on passes from whoever held the person's details until now */
	char *held_by = holder_of(c);
	if (handed_on) {
		free(c->receiver_org);
		c->receiver_org = xstrdup(step->new_receiver->id);
		free(c->assignee);
		c->assignee = NULL;
	}
	/* Whoever of the receiving organisation takes the case on becomes its assignee. */
	if (!c->assignee && f->who.user && to->inbox == PARTY_ASSIGNEE &&
	    (parties & MASK(PARTY_RECEIVER)) && !step->new_receiver)
		c->assignee = xstrdup(f->who.user);
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
	c->due_at = state_due(f, pw, c, step->target);
	c->inbox = cm_inbox_party(pw, c);
	int rc = store_case_update(store, c, old_version);
	if (rc == 0 && (append_event(f, c, step->action->name, from, c->state, payload, &seq) ||
			store_timers_cancel(store, c->id, f->now) ||
			enter(f, pw, c, step->target, seq) ||
			(handed_on && provision(f, pw, c, subject, held_by, c->receiver_org, seq)) ||
			(to->final && c->links_open && end_open_links(f, c, "case_closed"))))
		rc = -1;
	json_decref(payload);
	free(held_by);
	free(from);
	return rc;
}

/* Decides action `name` with rules/ and applies it. */
static int act(const struct flow *f, const struct pathway *pw, struct case_record *c, const json_t *subject,
	       party_mask parties, const char *name, const json_t *input, struct refusal *why)
{
	struct cm_step step = { 0 };
	int rc = FLOW_REFUSED;
	if (cm_act(f->core->cfg, pw, c, subject, &f->who, parties, name, input, today(f), &step, why) == 0 &&
	    (rc = check_case_refs(f, pw, step.given, why)) == FLOW_DONE) {
		rc = apply_step(f, pw, c, subject, &step, parties);
		if (rc > 0) {
			refuse_stale(why);
			rc = FLOW_REFUSED;
		}
	}
	cm_step_release(&step);
	return rc;
}

int flow_act(const struct flow *f, struct flow_case *l, const char *name, const json_t *input, struct refusal *why)
{
	json_t *subject = subject_of(f, l);
	int rc = act(f, l->pw, &l->c, subject, l->parties, name, input, why);
	json_decref(subject);
	return rc;
}

int flow_system_action(const struct flow *f, const struct pathway *pw, struct case_record *c, const json_t *subject,
		       int action, const char *timer_id, struct refusal *why)
{
	int s = pathway_state_index(pw, c->state);
	if (s < 0 || action < 0 || (size_t)action >= pw->states[s].n_actions) {
		refusal_set(why, "action_not_available", NULL, "the case's state has no such action");
		refusal_ja(why, "ケースの状態にその操作はありません");
		return FLOW_REFUSED;
	}
	/* Decided as the system; written as the flow's actor, whose change (or timer) caused it. */
	struct cm_caller system = { .user = NULL, .org = NULL, .roles = MASK(ROLE_SYSTEM) };
	struct cm_step step = { 0 };
	int rc = FLOW_REFUSED;
	if (cm_act(f->core->cfg, pw, c, subject, &system, 0, pw->states[s].actions[action].name, NULL, today(f), &step,
		   why) == 0) {
		/* Mark the timer first: entering the next state cancels this state's other timers. */
		rc = timer_id && store_timer_done(f->core->store, timer_id, f->now, true) ? FLOW_FAILED
			: apply_step(f, pw, c, subject, &step, 0);
		if (rc > 0) {
			refuse_stale(why);
			rc = FLOW_REFUSED;
		}
	}
	cm_step_release(&step);
	return rc;
}

/* ---- timers ------------------------------------------------------------------------------------ */

static const struct pw_timer *find_timer(const struct pathway *pw, const char *state, const char *name,
					 const struct pw_state **st_out)
{
	int s = pathway_state_index(pw, state);
	if (s < 0)
		return NULL;
	const struct pw_state *st = &pw->states[s];
	*st_out = st;
	for (size_t i = 0; i < st->n_timers; i++)
		if (!strcmp(st->timers[i].name, name))
			return &st->timers[i];
	return NULL;
}

/* A notification timer: an event `timer` naming it, and the outbox row(s) of its notification. */
static int timer_notify(const struct flow *f, const struct case_record *c, const struct pw_timer *t)
{
	int64_t seq = 0;
	json_t *payload = json_pack("{s:s, s:s}", "timer", t->name, "template", t->notify.template_name);
	int rc = append_event(f, c, "timer", c->state, c->state, payload, &seq) || notify(f, c, &t->notify, seq);
	json_decref(payload);
	return rc ? -1 : 0;
}

int flow_fire_timer(const struct flow *f, const struct store_timer *tm, enum flow_timer_outcome *outcome,
		    const char **pathway)
{
	struct store *store = f->core->store;
	struct case_record c = { 0 };
	struct refusal why = { 0 };
	json_t *subject = NULL;
	int ret = FLOW_FAILED;
	*outcome = FLOW_TIMER_STALE;
	int rc = store_case_get(store, tm->case_id, &c);
	if (rc < 0)
		goto out;
	const struct pathway *pw = rc == 0 ? core_pathway(f->core, c.pathway, c.pathway_version) : NULL;
	const struct pw_state *st = NULL;
	const struct pw_timer *pt = pw ? find_timer(pw, tm->state, tm->name, &st) : NULL;
	*pathway = pw ? pw->id : NULL;
	if (!pt || strcmp(c.state, tm->state)) {
		/* The case left the state (its timers were cancelled) or the pathway lost the timer. */
		ret = store_timer_done(store, tm->id, f->now, false) < 0 ? FLOW_FAILED : FLOW_DONE;
		goto out;
	}
	if (pt->action >= 0) {
		subject = store_subject_get(store, c.subject_id);
		rc = flow_system_action(f, pw, &c, subject, pt->action, tm->id, &why);
		if (rc == FLOW_REFUSED) {
			/* A guard or a missing field stops it; the timer is spent, and says why. */
			log_msg(LOGM_TIMER_REFUSED, "timer %s of case %s could not take '%s': %s", tm->name, c.id,
				st->actions[pt->action].name, why.message);
			ret = store_timer_done(store, tm->id, f->now, false) < 0 ? FLOW_FAILED : FLOW_DONE;
			goto out;
		}
		if (rc)
			goto out;
	} else if (store_timer_done(store, tm->id, f->now, true) || timer_notify(f, &c, pt)) {
		goto out;
	}
	*outcome = FLOW_TIMER_FIRED;
	ret = FLOW_DONE;
out:
	json_decref(subject);
	refusal_release(&why);
	case_record_release(&c);
	return ret;
}

/* ---- a move to another version of the pathway ------------------------------------------------- */

static int note_pending(void *ctx, const struct store_timer *t)
{
	json_object_set_new(ctx, t->name, json_true());
	return 0;
}

static const struct pw_timer *state_timer(const struct pathway *pw, int state, const char *name)
{
	for (size_t i = 0; state >= 0 && i < pw->states[state].n_timers; i++)
		if (!strcmp(pw->states[state].timers[i].name, name))
			return &pw->states[state].timers[i];
	return NULL;
}

int flow_move_plan(const struct flow *f, const struct pathway *from, const struct pathway *to,
		   const struct case_record *c, int state, struct flow_move *out)
{
	memset(out, 0, sizeof(*out));
	out->to = to;
	out->state = state;
	/*
	 * A timer of this stay that is no longer pending fired (or was spent): it
	 * is not set again. One the old version never set (a date field that was
	 * empty) was not spent.
	 */
	json_t *pending = json_object();
	if (store_timers_for_case(f->core->store, c->id, note_pending, pending)) {
		json_decref(pending);
		return FLOW_FAILED;
	}
	int old = pathway_state_index(from, c->state);
	const struct pw_state *st = &to->states[state];
	out->timers = xcalloc(st->n_timers ? st->n_timers : 1, sizeof(*out->timers));
	for (size_t i = 0; i < st->n_timers; i++) {
		struct flow_move_timer *m = &out->timers[out->n_timers++];
		m->name = st->timers[i].name;
		const struct pw_timer *before = state_timer(from, old, m->name);
		if (before && !json_object_get(pending, m->name) && timer_due(f, from, c, before))
			m->spent = true;
		else
			m->due_at = timer_due(f, to, c, &st->timers[i]);
	}
	out->due_at = state_due(f, to, c, state);
	out->receiver = cm_migrate_receiver(f->core->cfg, to, c, state);
	json_decref(pending);
	return FLOW_DONE;
}

void flow_move_release(struct flow_move *m)
{
	free(m->timers);
	memset(m, 0, sizeof(*m));
}

struct inbox_fill {
	struct core *core;
	bool failed;
};

static int fill_inbox(void *ctx, const char *id)
{
	struct inbox_fill *z = ctx;
	struct case_record c = { 0 };
	if (store_case_get(z->core->store, id, &c)) {
		z->failed = true;
		return 1;
	}
	/* a version no longer known holds nobody's inbox, as the lists had it */
	const struct pathway *pw = core_pathway(z->core, c.pathway, c.pathway_version);
	z->failed = store_case_inbox_put(z->core->store, id, pw ? cm_inbox_party(pw, &c) : -1) != 0;
	case_record_release(&c);
	return z->failed;
}

int flow_fill_inboxes(struct core *core, int limit)
{
	struct inbox_fill z = { core, false };
	int n = store_cases_inbox_unknown(core->store, limit, fill_inbox, &z);
	return n < 0 || z.failed ? -1 : n;
}

int flow_move(const struct flow *f, struct case_record *c, const struct flow_move *m, struct refusal *why)
{
	struct store *store = f->core->store;
	const struct pw_state *st = &m->to->states[m->state];
	long old_version = c->version, from_version = c->pathway_version;
	char *from = c->state;
	c->state = xstrdup(st->name);
	c->pathway_version = m->to->version;
	c->version++;
	c->updated_at = f->now;
	c->due_at = m->due_at;
	json_t *payload = json_pack("{s:I, s:I}", "from_version", (json_int_t)from_version, "to_version",
				    (json_int_t)m->to->version);
	char *held_by = holder_of(c);
	if (m->receiver) {
		free(c->receiver_org);
		c->receiver_org = xstrdup(m->receiver->id);
		json_object_set_new(payload, "receiver", json_string(m->receiver->id));
	}
	int64_t seq = 0;
	c->inbox = cm_inbox_party(m->to, c);
	int rc = store_case_update(store, c, old_version);
	if (rc == 0 && (append_event(f, c, "migrate", from, c->state, payload, &seq) ||
			store_timers_cancel(store, c->id, f->now)))
		rc = -1;
	if (rc == 0 && m->receiver) {
		json_t *subject = store_subject_get(store, c->subject_id);
		if (provision(f, m->to, c, subject, held_by, c->receiver_org, seq))
			rc = -1;
		json_decref(subject);
	}
	for (size_t i = 0; rc == 0 && i < m->n_timers; i++)
		if (m->timers[i].due_at &&
		    store_timer_add(store, c->id, st->name, m->timers[i].name, m->timers[i].due_at, f->now))
			rc = -1;
	json_decref(payload);
	free(held_by);
	free(from);
	if (rc > 0)
		refuse_stale(why);
	return rc < 0 ? FLOW_FAILED : rc > 0 ? FLOW_REFUSED : FLOW_DONE;
}

/* ---- assignment, correction and notes --------------------------------------------------------- */

/* Saves a changed case over the version it had; refused when another write won the race. */
static int save_case(const struct flow *f, struct case_record *c, long old_version, struct refusal *why)
{
	int rc = store_case_update(f->core->store, c, old_version);
	if (rc > 0)
		refuse_stale(why);
	return rc < 0 ? FLOW_FAILED : rc > 0 ? FLOW_REFUSED : FLOW_DONE;
}

int flow_assign(const struct flow *f, struct flow_case *l, const json_t *body, struct refusal *why)
{
	const char *user_id = NULL;
	struct store_user target = { 0 };
	if (cm_check_assign(l->pw, &l->c, l->parties, why) || cm_check_assign_body(body, &user_id, why))
		return FLOW_REFUSED;
	int rc = FLOW_REFUSED;
	if (user_id) {
		int found = store_user_get(f->core->store, user_id, &target);
		if (found < 0)
			return FLOW_FAILED;
		bool expired = target.token_expires && target.token_expires <= f->now;
		if (found || target.revoked_at || expired || strcmp(target.org, l->c.receiver_org)) {
			refusal_set(why, "invalid_field", "user", "user must be an active user of the receiving organisation");
			refusal_ja(why, "user には受け手の機関の有効な利用者を指定してください");
			goto out;
		}
	}
	long old_version = l->c.version;
	free(l->c.assignee);
	l->c.assignee = target.id ? xstrdup(target.id) : NULL;
	l->c.version++;
	l->c.updated_at = f->now;
	json_t *payload = json_pack("{s:o}", "assignee", target.id ? json_string(target.id) : json_null());
	rc = save_case(f, &l->c, old_version, why);
	if (rc == FLOW_DONE && append_note_event(f, &l->c, "assign", payload))
		rc = FLOW_FAILED;
	json_decref(payload);
out:
	store_user_release(&target);
	return rc;
}

int flow_correct_subject(const struct flow *f, struct flow_case *l, const json_t *body, struct refusal *why)
{
	/* The body is the partial subject, and with a closed case the reason for correcting it. */
	json_t *patch = json_deep_copy(body);
	json_t *reason = json_incref(json_object_get(patch, "reason"));
	json_object_del(patch, "reason");
	json_t *merged = NULL;
	int rc = FLOW_REFUSED;
	if (cm_check_about_person(l->pw, "person's details to correct", "訂正する本人の情報", why) ||
	    (reason && cm_check_text(reason, "reason", 1000, why)))
		goto out;
	if (cm_check_correct(l->pw, &l->c, l->parties, f->who.roles, reason != NULL, why))
		goto out;
	json_t *current = l->subject ? json_incref(l->subject) : json_object();
	merged = cm_correct_subject(f->core->cfg, l->pw, current, patch, today(f), why);
	json_decref(current);
	if (!merged)
		goto out;
	/* The event carries which items changed and a digest, never the values. */
	char *text = jsonin_dump(merged);
	char digest[TOKEN_HASH_HEX];
	token_sha256_hex(text, strlen(text), digest);
	free(text);
	json_t *changed = json_array();
	const char *key;
	json_t *v;
	json_object_foreach(patch, key, v)
		json_array_append_new(changed, json_string(key));
	long old_version = l->c.version;
	l->c.version++;
	l->c.updated_at = f->now;
	free(l->c.area);
	l->c.area = xstrdup(json_string_value(json_object_get(merged, "area")));
	person_keys(&l->c, merged);
	json_t *payload = json_pack("{s:o, s:s}", "changed", changed, "subject_digest", digest);
	if (reason)
		json_object_set(payload, "reason", reason);
	rc = save_case(f, &l->c, old_version, why);
	if (rc == FLOW_DONE && (store_subject_update(f->core->store, l->c.subject_id, merged, f->now) ||
				append_note_event(f, &l->c, "correct_subject", payload)))
		rc = FLOW_FAILED;
	json_decref(payload);
	if (rc == FLOW_DONE) {
		json_decref(l->subject);
		l->subject = json_incref(merged);
	}
out:
	json_decref(merged);
	json_decref(reason);
	json_decref(patch);
	return rc;
}

int flow_correct_fields(const struct flow *f, struct flow_case *l, const json_t *fields, struct refusal *why)
{
	if (cm_check_correct(l->pw, &l->c, l->parties, f->who.roles, false, why))
		return FLOW_REFUSED;
	long old_version = l->c.version;
	json_t *merged = json_deep_copy(l->c.fields);
	json_object_update(merged, (json_t *)fields);
	json_decref(l->c.fields);
	l->c.fields = merged;
	l->c.version++;
	l->c.updated_at = f->now;
	json_t *changed = json_array();
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)fields, key, v)
		json_array_append_new(changed, json_string(key));
	json_t *payload = json_pack("{s:o, s:O}", "changed", changed, "fields", fields);
	int rc = save_case(f, &l->c, old_version, why);
	if (rc == FLOW_DONE && append_note_event(f, &l->c, "correct_fields", payload))
		rc = FLOW_FAILED;
	json_decref(payload);
	return rc;
}

int flow_note(const struct flow *f, struct flow_case *l, const json_t *body, json_t **note, struct refusal *why)
{
	const char *text, *visibility;
	*note = NULL;
	if (cm_check_note(l->pw, &l->c, l->parties, l->personal, why) ||
	    cm_check_note_body(body, &text, &visibility, why))
		return FLOW_REFUSED;
	char *id = token_new_id("m_");
	json_t *payload = json_pack("{s:s, s:s}", "note", id, "visibility", visibility);
	int rc = store_note_add(f->core->store, id, l->c.id, f->who.user, actor_org(f), visibility, text, f->now) ||
		 append_note_event(f, &l->c, "note", payload) ||
		 flow_log_read(f, &l->c, "case.note");
	json_decref(payload);
	if (!rc) {
		char at[48];
		clock_format(f->core->clock, f->now, at);
		*note = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "user", f->who.user, "org", actor_org(f),
				  "visibility", visibility, "text", text, "at", at);
	}
	free(id);
	return rc ? FLOW_FAILED : FLOW_DONE;
}

/* ---- reassignment when a colleague leaves ------------------------------------------------------ */

static int collect_case_id(void *ctx, const char *case_id)
{
	json_array_append_new(ctx, json_string(case_id));
	return 0;
}

int flow_reassign(const struct flow *f, const char *from_user, const char *to_user, int limit, json_t *moved,
		  bool *more, struct refusal *why)
{
	struct store *store = f->core->store;
	struct store_user from = { 0 }, to = { 0 };
	json_t *ids = json_array(), *batch = json_array();
	int rc = FLOW_FAILED;
	*more = false;
	int found = store_user_get(store, from_user, &from);
	if (found < 0)
		goto out;
	/* An admin moves the cases of its own organisation only; the operator any. */
	if (found || (f->who.org && strcmp(from.org, f->who.org->id))) {
		refusal_set(why, "not_found", NULL, "no such user");
		refusal_ja(why, "該当する利用者はいません");
		rc = FLOW_REFUSED;
		goto out;
	}
	if (to_user) {
		found = store_user_get(store, to_user, &to);
		if (found < 0)
			goto out;
		if (found || to.revoked_at || (to.token_expires && to.token_expires <= f->now) || strcmp(to.org, from.org) ||
		    !strcmp(to.id, from.id)) {
			refusal_set(why, "invalid_field", "to", "to must be another active user of the same organisation");
			refusal_ja(why, "to には同じ機関の別の有効な利用者を指定してください");
			rc = FLOW_REFUSED;
			goto out;
		}
	}
	/* one more than a batch says whether some are left, without reading them all for each batch */
	if (store_cases_assigned(store, from.id, limit + 1, collect_case_id, ids))
		goto out;
	*more = json_array_size(ids) > (size_t)limit;
	for (size_t i = 0; i < json_array_size(ids) && i < (size_t)limit; i++) {
		struct case_record c = { 0 };
		if (store_case_get(store, json_string_value(json_array_get(ids, i)), &c)) {
			case_record_release(&c);
			goto out;
		}
		long old_version = c.version++;
		free(c.assignee);
		c.assignee = to.id ? xstrdup(to.id) : NULL;
		c.updated_at = f->now;
		json_t *payload = json_pack("{s:o, s:s}", "assignee", to.id ? json_string(to.id) : json_null(), "from",
					    from.id);
		int failed = store_case_update(store, &c, old_version) != 0 ||
			     append_note_event(f, &c, "assign", payload);
		json_decref(payload);
		if (!failed)
			json_array_append_new(batch, json_string(c.id));
		case_record_release(&c);
		if (failed)
			goto out;
	}
	/* who moved which cases, with them: an admin of the organisation, or the operator at the command line */
	char operator[CORE_OPERATOR_MAX];
	json_t *payload = json_pack("{s:s, s:s?, s:O}", "from", from.id, "to", to.id, "cases", batch);
	int failed = core_admin_event(f->core, f->now, f->who.org ? &f->who : NULL, f->who.org ? NULL : core_operator(operator),
				      "cases_reassigned", payload);
	json_decref(payload);
	if (failed)
		goto out;
	json_array_extend(moved, batch);
	rc = FLOW_DONE;
out:
	store_user_release(&from);
	store_user_release(&to);
	json_decref(ids);
	json_decref(batch);
	return rc;
}

/* ---- links --------------------------------------------------------------------------------------- */

/* The on_link action of the state for a status: the system takes it if its guard allows. */
static int on_link(const struct flow *f, const struct pathway *pw, struct case_record *c, const json_t *subject,
		   int status)
{
	int s = pathway_state_index(pw, c->state);
	int a = s >= 0 ? pw->states[s].on_link[status] : -1;
	if (a < 0)
		return 0;
	struct refusal why = { 0 };
	int rc = flow_system_action(f, pw, c, subject, a, NULL, &why);
	refusal_release(&why);
	return rc == FLOW_FAILED ? -1 : 0;
}

/*
 * Writes a checked link change: the link row, the case's new version, the
 * event, and when the person's details pass to the provider, the provision
 * record and the provider's notification; when the provider changed the link,
 * the receiver's notification; then the state's on_link action, if any.
 */
static int write_link(const struct flow *f, struct flow_case *l, struct link_record *link, bool created,
		      const struct links_change *ch, struct refusal *why)
{
	struct store *store = f->core->store;
	struct case_record *c = &l->c;
	char *basis = NULL, *items = NULL;
	const char *org = actor_org(f);
	const struct config_org *provider = config_find_org(f->core->cfg, link->provider_org);
	if (links_check_handoff(l->pw, link, provider, ch, org, c->consent, &basis, why))
		return FLOW_REFUSED;
	json_t *subject = NULL;
	if (ch->share) {
		subject = subject_of(f, l);
		items = links_shared_items(subject);
	}
	int old_status = created ? -1 : vocab_lookup(link_status_names, link->status);
	links_apply(link, ch, items, f->now);
	int status = vocab_lookup(link_status_names, link->status);
	long old_version = c->version;
	c->version++;
	c->updated_at = f->now;
	links_tally(c->links, &c->links_open, old_status, status, false);
	int rc = save_case(f, c, old_version, why);
	if (rc)
		goto out;
	rc = FLOW_FAILED;
	if (created ? store_link_insert(store, link) : store_link_update(store, link))
		goto out;
	json_t *payload = json_pack("{s:s, s:s, s:s}", "link", link->id, "resource", link->resource_id, "status",
				    link->status);
	if (old_status != status)
		json_object_set_new(payload, "on", json_string(status == LINK_PROPOSED ? link->proposed_on
							      : status == LINK_JOINED ? link->joined_on
							      : status == LINK_DECLINED ? link->declined_on
										  : link->ended_on));
	if (items)
		json_object_set_new(payload, "shared_with", json_pack("{s:s, s:s}", "org", link->provider_org, "items",
								      items));
	int64_t seq = 0;
	int failed = append_event(f, c, links_event_name(ch, created), c->state, c->state, payload, &seq);
	json_decref(payload);
	if (!failed && basis)
		failed = store_provision_add(store, f->now, c->id, c->subject_id, org, link->provider_org, items, basis,
					     seq) ||
			 outbox_for(f, c, "provider", link->provider_org, NULL, "resource_referral", seq);
	/* The receiving organisation hears when the provider records the person's attendance. */
	if (!failed && c->receiver_org && !strcmp(org, link->provider_org) && strcmp(link->provider_org, c->receiver_org))
		failed = outbox_for(f, c, "receiver", c->receiver_org, NULL, "resource_link_changed", seq);
	if (!failed && old_status != status) {
		if (!subject)
			subject = subject_of(f, l);
		failed = on_link(f, l->pw, c, subject, status);
	}
	if (!failed)
		failed = flow_log_read(f, c, "case.link");
	rc = failed ? FLOW_FAILED : FLOW_DONE;
out:
	json_decref(subject);
	free(basis);
	free(items);
	return rc;
}

/* The resource of a link, for the reply: 0, or -1 on a storage error (*res left empty when it is gone). */
static int resource_of(const struct flow *f, const char *id, struct resource_record *res)
{
	if (res->id)
		return 0;
	return store_resource_get(f->core->store, id, res) < 0 ? -1 : 0;
}

int flow_link_create(const struct flow *f, struct flow_case *l, const json_t *body, struct link_record *link,
		     struct resource_record *res, struct refusal *why)
{
	struct links_change ch = { 0 };
	struct links_of_case existing = { 0 };
	const char *resource_id;
	memset(link, 0, sizeof(*link));
	memset(res, 0, sizeof(*res));
	if (cm_check_about_person(l->pw, "person to link to a resource", "社会資源につなぐ本人", why) ||
	    links_check_may_link(l->parties, why) || links_check_case_open(cm_closed(l->pw, &l->c), why) ||
	    links_check_new(body, today(f), &ch, &resource_id, why))
		return FLOW_REFUSED;
	int rc = FLOW_FAILED;
	int found = resource_valid_id(resource_id) ? store_resource_get(f->core->store, resource_id, res) : 1;
	if (found < 0)
		goto out;
	if (found > 0 || strcmp(res->status, "active")) {
		refusal_set(why, "invalid_field", "resource", "resource must be the id of an active resource of the directory");
		refusal_ja(why, "resource には名簿にある利用中の社会資源の ID を指定してください");
		rc = FLOW_REFUSED;
		goto out;
	}
	if (store_links_for_case(f->core->store, l->c.id, collect_link, &existing))
		goto out;
	if (links_check_not_linked(existing.items, existing.n, res->id, why)) {
		rc = FLOW_REFUSED;
		goto out;
	}
	*link = (struct link_record){
		.id = token_new_id("l_"), .case_id = xstrdup(l->c.id), .resource_id = xstrdup(res->id),
		.provider_org = xstrdup(res->provider), .status = xstrdup("proposed"), .proposed_on = xstrdup(ch.on),
		.created_by = f->who.user ? xstrdup(f->who.user) : NULL, .created_org = xstrdup(actor_org(f)),
		.created_at = f->now,
	};
	rc = write_link(f, l, link, true, &ch, why);
out:
	links_of_case_release(&existing);
	links_change_release(&ch);
	return rc;
}

int flow_link_change(const struct flow *f, struct flow_case *l, const char *link_id, const json_t *body,
		     struct link_record *link, struct resource_record *res, struct refusal *why)
{
	struct links_change ch = { 0 };
	memset(res, 0, sizeof(*res));
	int found = store_link_get(f->core->store, link_id, link);
	if (found < 0)
		return FLOW_FAILED;
	if (found > 0) {
		refusal_set(why, "not_found", NULL, "no such link");
		refusal_ja(why, "該当するつなぎはありません");
		return FLOW_REFUSED;
	}
	if (links_check_may_change(link, l->c.id, l->parties, l->personal, actor_org(f), why) ||
	    links_check_case_open(cm_closed(l->pw, &l->c), why) ||
	    links_check_change(link, cm_is_receiver(l->parties), body, today(f), &ch, why))
		return FLOW_REFUSED;
	int rc = write_link(f, l, link, false, &ch, why);
	links_change_release(&ch);
	if (rc == FLOW_DONE && resource_of(f, link->resource_id, res))
		rc = FLOW_FAILED;
	return rc;
}

/* ---- the access log and idempotency ---------------------------------------------------------------- */

int flow_log_read(const struct flow *f, const struct case_record *c, const char *what)
{
	return store_access_add(f->core->store, f->now, f->who.user, actor_org(f), c ? c->id : NULL,
				c ? c->subject_id : NULL, what);
}

int flow_remember_reply(const struct flow *f, const char *key, const char *request_hash, int status,
			const char *body)
{
	return store_idem_put(f->core->store, f->who.user, key, request_hash, status, body, f->now);
}
