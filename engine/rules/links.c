/*
 * links — body checks name the field and say what was expected, in Japanese and
 * English; a status date may not lie in the future nor before the date of the
 * status it follows.
 */
#include "links.h"
#include "resource.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define LINK_NOTE_MAX 2000

void links_change_release(struct links_change *ch)
{
	json_decref(ch->note);
	json_decref(ch->consent);
	memset(ch, 0, sizeof(*ch));
}

/* The note, on-date, sharing and consent common to both bodies. */
static int check_common(const json_t *body, date_days today, const char *not_before, struct links_change *out,
			struct refusal *err)
{
	const json_t *v;
	date_days day = today;
	if ((v = json_object_get(body, "on")) && !json_is_null(v)) {
		if (cm_check_date(v, "on", today, PW_PAST_DATE, err))
			return -1;
		date_parse(json_string_value(v), &day);
	}
	date_format(day, out->on);
	if (not_before && strcmp(out->on, not_before) < 0) {
		refusal_set(err, "invalid_field", "on", "on must not be before %s, the date of the link's last status",
			not_before);
		refusal_ja(err, "on はつなぎの前回の日付（%s）より前にはできません", not_before);
		return -1;
	}
	if ((v = json_object_get(body, "note"))) {
		if (!json_is_null(v) && cm_check_text(v, "note", LINK_NOTE_MAX, err))
			return -1;
		out->note_given = true;
		out->note = json_incref((json_t *)v);
	}
	if ((v = json_object_get(body, "share_with_provider"))) {
		if (!json_is_boolean(v)) {
			refusal_set(err, "invalid_field", "share_with_provider", "share_with_provider must be true or false");
			refusal_ja(err, "share_with_provider は true か false で指定してください");
			return -1;
		}
		out->share = json_is_true(v);
	}
	if ((v = json_object_get(body, "consent")) && !json_is_null(v)) {
		if (!(out->consent = cm_check_consent(v, today, err)))
			return -1;
	}
	return 0;
}

int links_check_new(const json_t *body, date_days today, struct links_change *out, const char **resource,
		    struct refusal *err)
{
	static const char *const keys[] = { "resource", "note", "on", "share_with_provider", "consent", NULL };
	memset(out, 0, sizeof(*out));
	out->status = LINK_PROPOSED;
	if (cm_check_keys(body, NULL, "a link", "つなぎ", keys, err))
		return -1;
	const json_t *r = json_object_get(body, "resource");
	if (!r) {
		refusal_set(err, "missing_field", "resource", "resource (the id of a resource of the directory) is required");
		refusal_ja(err, "resource（社会資源の ID）は必須です");
		return -1;
	}
	if (!json_is_string(r) || !json_string_length(r) || json_string_length(r) > 64) {
		refusal_set(err, "invalid_field", "resource", "resource must be the id of a resource of the directory");
		refusal_ja(err, "resource には社会資源の ID を指定してください");
		return -1;
	}
	*resource = json_string_value(r);
	if (check_common(body, today, NULL, out, err)) {
		links_change_release(out);
		return -1;
	}
	return 0;
}

/* The date a link reached its current status. */
static const char *status_date(const struct link_record *l)
{
	return l->ended_on ? l->ended_on : l->declined_on ? l->declined_on : l->joined_on ? l->joined_on : l->proposed_on;
}

int links_check_change(const struct link_record *l, bool receiver, const json_t *body, date_days today,
		       struct links_change *out, struct refusal *err)
{
	static const char *const keys[] = { "status", "on", "note", "share_with_provider", "consent", NULL };
	static const char *const provider_keys[] = { "status", "on", NULL };
	memset(out, 0, sizeof(*out));
	out->status = -1;
	if (cm_check_keys(body, NULL, receiver ? "a link change" : "a provider's link change",
			  receiver ? "つなぎの変更" : "運営機関によるつなぎの変更", receiver ? keys : provider_keys, err))
		return -1;
	int from = vocab_lookup(link_status_names, l->status);
	const json_t *st = json_object_get(body, "status");
	if (st) {
		int to = json_is_string(st) ? vocab_lookup(link_status_names, json_string_value(st)) : -1;
		if (to < 0 || to == LINK_PROPOSED) {
			refusal_set(err, "invalid_field", "status", "status must be joined, declined or ended");
			refusal_ja(err, "status は joined（参加）、declined（辞退）、ended（終了）のいずれかで指定してください");
			return -1;
		}
		bool possible = (from == LINK_PROPOSED && to != LINK_PROPOSED) || (from == LINK_JOINED && to == LINK_ENDED);
		if (!possible) {
			refusal_set(err, "link_status_not_possible", "status", "a %s link cannot become %s", l->status,
				link_status_names[to]);
			refusal_ja(err, "状態が %s のつなぎは %s にできません", l->status, link_status_names[to]);
			return -1;
		}
		out->status = to;
	}
	if (check_common(body, today, st ? status_date(l) : NULL, out, err))
		goto fail;
	if (!st && !out->note_given && !out->share) {
		/* false is the default and no change: details handed to a provider cannot be taken back */
		if (json_is_false(json_object_get(body, "share_with_provider"))) {
			refusal_set(err, "invalid_field", "share_with_provider",
				    "share_with_provider: false changes nothing (what was handed to the provider cannot be "
				    "taken back); send status, note or share_with_provider: true");
			refusal_ja(err, "share_with_provider: false では何も変わりません（運営機関に渡した情報は取り消せません）。"
				   "status, note か share_with_provider: true を指定してください");
		} else {
			refusal_set(err, "missing_field", "status", "send what changes: status, note or share_with_provider");
			refusal_ja(err, "変更する項目（status, note, share_with_provider）を指定してください");
		}
		goto fail;
	}
	if (out->share && l->shared) {
		refusal_set(err, "already_shared", "share_with_provider", "the provider already has the person's details");
		refusal_ja(err, "運営機関にはすでに本人の情報を提供しています");
		goto fail;
	}
	int after = out->status >= 0 ? out->status : from;
	if (out->share && after != LINK_PROPOSED && after != LINK_JOINED) {
		refusal_set(err, "link_status_not_possible", "share_with_provider", "the link has ended; nothing is shared now");
		refusal_ja(err, "つなぎは終了しています。情報提供はできません");
		goto fail;
	}
	return 0;
fail:
	links_change_release(out);
	return -1;
}

char *links_shared_items(const json_t *subject)
{
	static const char *const items[] = { "name", "kana", "phone" };
	struct buf b;
	buf_init(&b);
	for (int i = 0; i < 3; i++)
		if (json_string_value(json_object_get(subject, items[i])))
			buf_printf(&b, "%ssubject.%s", b.len ? "," : "", items[i]);
	return buf_detach(&b);
}

bool links_open(const struct link_record *l)
{
	return !strcmp(l->status, "proposed") || !strcmp(l->status, "joined");
}

void links_person(const struct link_record *l, const json_t *subject, json_t *person)
{
	for (const char *p = l->shared; p && *p;) {
		size_t n = strcspn(p, ",");
		size_t skip = strncmp(p, "subject.", 8) ? 0 : 8;
		char *item = xstrndup(p + skip, n - skip);
		const json_t *v = json_object_get(subject, item);
		if (v)
			json_object_set(person, item, (json_t *)v);
		free(item);
		p += n + (p[n] == ',');
	}
}

void links_apply(struct link_record *l, const struct links_change *ch, const char *shared_items, clock_us now)
{
	char **dates[LINK_STATUS_COUNT] = { &l->proposed_on, &l->joined_on, &l->declined_on, &l->ended_on };
	if (ch->status >= 0) {
		free(l->status);
		l->status = xstrdup(link_status_names[ch->status]);
		free(*dates[ch->status]);
		*dates[ch->status] = xstrdup(ch->on);
	}
	if (ch->note_given) {
		free(l->note);
		l->note = json_is_string(ch->note) ? xstrdup(json_string_value(ch->note)) : NULL;
	}
	if (shared_items) {
		free(l->shared);
		l->shared = xstrdup(shared_items);
		if (ch->consent) {
			json_decref(l->consent);
			l->consent = json_incref(ch->consent);
		}
	}
	l->updated_at = now;
}

const char *links_event_name(const struct links_change *ch, bool created)
{
	static const char *const names[LINK_STATUS_COUNT] = { "link_proposed", "link_joined", "link_declined",
							      "link_ended" };
	if (created)
		return names[LINK_PROPOSED];
	if (ch->status >= 0)
		return names[ch->status];
	return ch->share ? "link_shared" : "link_note";
}

json_t *links_json(const struct link_record *l, const struct resource_record *res, bool with_note,
		   const struct clock *clk)
{
	char at[48], up[48];
	clock_format(clk, l->created_at, at);
	clock_format(clk, l->updated_at, up);
	json_t *shared = json_array();
	for (const char *p = l->shared; p && *p;) {
		size_t n = strcspn(p, ",");
		json_array_append_new(shared, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s}", "id", l->id, "case_id",
			      l->case_id, "resource",
			      res ? resource_brief(res)
				  : json_pack("{s:s, s:n, s:n, s:s}", "id", l->resource_id, "name", "category", "provider",
					      l->provider_org),
			      "status", l->status, "proposed_on", l->proposed_on, "joined_on",
			      l->joined_on ? json_string(l->joined_on) : json_null(), "declined_on",
			      l->declined_on ? json_string(l->declined_on) : json_null(), "ended_on",
			      l->ended_on ? json_string(l->ended_on) : json_null(), "shared_with_provider", shared,
			      "created_at", at, "updated_at", up);
	json_object_set_new(o, "created_by", json_pack("{s:o, s:o}", "user",
						       l->created_by ? json_string(l->created_by) : json_null(), "org",
						       l->created_org ? json_string(l->created_org) : json_null()));
	if (with_note)
		json_object_set_new(o, "note", l->note ? json_string(l->note) : json_null());
	return o;
}

int links_check_handoff(const struct pathway *pw, const struct link_record *l, const struct config_org *provider,
			const struct links_change *ch, const char *caller_org, const json_t *case_consent, char **basis,
			struct refusal *err)
{
	*basis = NULL;
	if (!ch->share || !strcmp(l->provider_org, caller_org))
		return 0;
	const json_t *consent = ch->consent ? ch->consent : case_consent;
	if (!consent) {
		refusal_set(err, "consent_required", "consent",
			    "the person's details pass to the provider only with their consent: the case has none; "
			    "send consent {obtained_by, obtained_at, method, scope} for this handoff");
		refusal_ja(err, "運営機関へ本人の情報を渡すには本人の同意が必要です。ケースに同意の記録がないため、"
			   "この提供についての consent {obtained_by, obtained_at, method, scope} を指定してください");
		return -1;
	}
	if (provider && !cm_consent_covers(pw, consent, provider->kind, ch->consent != NULL)) {
		refusal_set(err, "consent_scope", "consent",
			    "the %s consent does not cover handing the person's details to %s (a %s); "
			    "send a consent that covers it with the link",
			    ch->consent ? "given" : "case's", provider->id, org_kind_names[provider->kind]);
		refusal_ja(err, "%s同意は %s（%s）への情報提供を含んでいません。提供を含む同意を consent で指定してください",
			   ch->consent ? "指定された" : "ケースの", provider->name.ja, org_kind_names[provider->kind]);
		return -1;
	}
	*basis = cm_consent_basis(pw, consent, ch->consent != NULL);
	return 0;
}

int links_check_not_linked(const struct link_record *links, size_t n, const char *resource_id, struct refusal *err)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(links[i].resource_id, resource_id) && links_open(&links[i])) {
			refusal_set(err, "already_linked", "resource", "the person already has an open link to this resource");
			refusal_ja(err, "この社会資源へのつなぎはすでにあります");
			return -1;
		}
	return 0;
}

int links_check_may_change(const struct link_record *l, const char *case_id, party_mask parties, bool personal,
			   const char *caller_org, struct refusal *err)
{
	bool receiver = cm_is_receiver(parties);
	bool own_case = !strcmp(l->case_id, case_id);
	bool provider = (parties & MASK(PARTY_PROVIDER)) && !strcmp(l->provider_org, caller_org) && l->shared;
	if (own_case && (receiver || provider))
		return 0;
	if (own_case && personal) {
		refusal_set(err, "forbidden", NULL, "the receiving organisation and the resource's provider change a link");
		refusal_ja(err, "つなぎを変更できるのは受け手の機関と運営機関だけです");
	} else {
		refusal_set(err, "not_found", NULL, "no such link");
		refusal_ja(err, "該当するつなぎはありません");
	}
	return -1;
}

int links_check_may_link(party_mask parties, struct refusal *err)
{
	if (cm_is_receiver(parties))
		return 0;
	refusal_set(err, "forbidden", NULL, "the receiving organisation links the person to resources");
	refusal_ja(err, "社会資源へのつなぎは受け手の機関が行います");
	return -1;
}

int links_check_case_open(bool closed, struct refusal *err)
{
	if (!closed)
		return 0;
	refusal_set(err, "action_not_available", NULL, "the case has ended; its links cannot change");
	refusal_ja(err, "ケースは終了しています。つなぎは変更できません");
	return -1;
}
