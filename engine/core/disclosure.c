/*
 * disclosure — gathers a person's cases through the same party and visibility
 * rules as the API, so a disclosure never shows more than the organisation could
 * read case by case.
 */
#include "disclosure.h"
#include "links.h"
#include "mpjson.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct gather {
	struct core *core;
	const struct cm_caller *who;
	const char *user_id;
	clock_us now;
	json_t *cases;
	json_t *subject;
	bool failed;
};

static json_t *at(struct core *core, clock_us t)
{
	char out[48];
	if (!t)
		return json_null();
	clock_format(core->clock, t, out);
	return json_string(out);
}

struct each {
	struct gather *g;
	const struct pathway *pw;
	party_mask parties;
	const char *case_id;
	json_t *items;
};

static int event_one(void *ctx, const struct store_event *ev)
{
	struct each *e = ctx;
	json_t *o = json_pack("{s:o, s:s, s:o, s:s}", "at", at(e->g->core, ev->at), "action", ev->action, "from",
			      ev->from_state ? json_string(ev->from_state) : json_null(), "to", ev->to_state);
	json_object_set_new(o, "by", ev->actor_org ? json_string(ev->actor_org) : json_string("system"));
	json_t *payload = ev->payload ? mpjson_decode(ev->payload, ev->payload_len) : NULL;
	json_t *fields = payload ? json_object_get(payload, "fields") : NULL;
	if (json_is_object(fields))
		json_object_set_new(o, "fields", cm_visible_fields(e->pw, fields, e->parties, e->g->who->roles));
	json_decref(payload);
	json_array_append_new(e->items, o);
	return 0;
}

static int note_one(void *ctx, const char *id, const char *user, const char *org, const char *visibility,
		    const char *text, clock_us t)
{
	struct each *e = ctx;
	if (!strcmp(visibility, "organisation") && strcmp(org, e->g->who->org->id))
		return 0;
	json_array_append_new(e->items, json_pack("{s:o, s:s, s:s}", "at", at(e->g->core, t), "org", org, "text",
						  text ? text : ""));
	return 0;
}

static int provision_one(void *ctx, const struct store_provision *p)
{
	struct each *e = ctx;
	if (strcmp(p->case_id, e->case_id))
		return 0;
	json_array_append_new(e->items, json_pack("{s:o, s:s, s:s, s:s, s:s}", "at", at(e->g->core, p->at),
						  "from", p->from_org, "to", p->to_org, "items", p->items,
						  "consent_basis", p->consent_basis));
	return 0;
}

static int link_one(void *ctx, const struct link_record *l)
{
	struct each *e = ctx;
	struct resource_record res = { 0 };
	int rc = store_resource_get(e->g->core->store, l->resource_id, &res);
	if (rc < 0)
		return 1;
	bool receiver = e->parties & (MASK(PARTY_RECEIVER) | MASK(PARTY_ASSIGNEE));
	json_array_append_new(e->items, links_json(l, rc == 0 ? &res : NULL, receiver, e->g->core->clock));
	resource_record_release(&res);
	return 0;
}

static int case_one(void *ctx, const char *case_id)
{
	struct gather *g = ctx;
	struct core *core = g->core;
	struct case_record c = { 0 };
	if (store_case_get(core->store, case_id, &c)) {
		g->failed = true;
		return 1;
	}
	const struct pathway *pw = core_pathway(core, c.pathway, c.pathway_version);
	party_mask parties = pw ? cm_parties(pw, &c, g->who) : 0;
	if (!parties || !cm_sees_personal(pw, parties)) {
		case_record_release(&c);
		return 0;
	}
	json_t *subject = store_subject_get(core->store, c.subject_id);
	int s = pathway_state_index(pw, c.state);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "id", c.id, "pathway", c.pathway,
			      "pathway_title", pw->title.ja, "state", c.state, "state_title",
			      s >= 0 ? json_string(pw->states[s].title.ja) : json_null(), "opened_at", at(core, c.opened_at),
			      "closed_at", at(core, c.closed_at), "outcome", c.outcome ? json_string(c.outcome) : json_null());
	json_object_set_new(o, "origin", json_string(c.origin_org));
	json_object_set_new(o, "receiver", c.receiver_org ? json_string(c.receiver_org) : json_null());
	json_object_set_new(o, "subject", subject ? json_incref(subject) : json_null());
	json_object_set_new(o, "consent", c.consent ? json_incref(c.consent) : json_null());
	json_object_set_new(o, "fields", cm_visible_fields(pw, c.fields, parties, g->who->roles));
	struct each e = { g, pw, parties, c.id, json_array() };
	int rc = store_events_for_case(core->store, c.id, event_one, &e);
	json_object_set_new(o, "events", e.items);
	e.items = json_array();
	rc = rc || store_notes_for_case(core->store, c.id, note_one, &e);
	json_object_set_new(o, "notes", e.items);
	e.items = json_array();
	rc = rc || store_provisions_list(core->store, 0, 0, provision_one, &e);
	json_object_set_new(o, "provisions", e.items);
	e.items = json_array();
	rc = rc || store_links_for_case(core->store, c.id, link_one, &e);
	json_object_set_new(o, "links", e.items);
	rc = rc || store_access_add(core->store, g->now, g->user_id, g->who->org->id, c.id, c.subject_id, "subject.export");
	if (subject && !g->subject)
		g->subject = json_incref(subject);
	json_decref(subject);
	json_array_append_new(g->cases, o);
	case_record_release(&c);
	if (rc)
		g->failed = true;
	return rc;
}

json_t *disclosure_build(struct core *core, const struct cm_caller *who, const char *user_id, const char *id,
			 clock_us now)
{
	struct gather g = { core, who, user_id, now, json_array(), NULL, false };
	if (store_cases_of_person(core->store, id, case_one, &g) || g.failed) {
		json_decref(g.cases);
		json_decref(g.subject);
		return NULL;
	}
	return json_pack("{s:s, s:o, s:s, s:o, s:o}", "person", id, "generated_at", at(core, now), "organisation",
			 who->org->id, "subject", g.subject ? g.subject : json_null(), "cases", g.cases);
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "—";
}

char *disclosure_text(const json_t *d)
{
	struct buf b;
	buf_init(&b);
	const json_t *subject = json_object_get(d, "subject");
	buf_printf(&b, "保有個人データの開示\n作成日時: %s\n開示する機関: %s\n\n", str(d, "generated_at"), str(d, "organisation"));
	buf_printf(&b, "■ ご本人\n氏名: %s\nふりがな: %s\n生年月日: %s\n電話: %s\n地区: %s\n\n", str(subject, "name"),
		   str(subject, "kana"), str(subject, "birth_date"), str(subject, "phone"), str(subject, "area"));
	const json_t *cases = json_object_get(d, "cases");
	for (size_t i = 0; i < json_array_size(cases); i++) {
		const json_t *c = json_array_get(cases, i);
		buf_printf(&b, "■ ケース %zu: %s\n  パス: %s\n  状態: %s\n  開始: %s\n  終了: %s（%s）\n  紹介元: %s\n  受け手: %s\n",
			   i + 1, str(c, "id"), str(c, "pathway_title"), str(c, "state_title"), str(c, "opened_at"),
			   str(c, "closed_at"), str(c, "outcome"), str(c, "origin"), str(c, "receiver"));
		const json_t *consent = json_object_get(c, "consent");
		if (json_is_object(consent))
			buf_printf(&b, "  同意: %s（%s、%s）範囲: %s\n", str(consent, "obtained_at"), str(consent, "method"),
				   str(consent, "obtained_by"), str(consent, "scope"));
		const char *key;
		json_t *v;
		buf_adds(&b, "  記録された項目:\n");
		json_object_foreach(json_object_get(c, "fields"), key, v) {
			char *text = json_is_string(v) ? xstrdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
			buf_printf(&b, "    %s: %s\n", key, text);
			free(text);
		}
		const json_t *events = json_object_get(c, "events");
		buf_adds(&b, "  経過:\n");
		for (size_t k = 0; k < json_array_size(events); k++) {
			const json_t *e = json_array_get(events, k);
			buf_printf(&b, "    %s  %s（%s → %s、%s）\n", str(e, "at"), str(e, "action"), str(e, "from"), str(e, "to"),
				   str(e, "by"));
		}
		const json_t *notes = json_object_get(c, "notes");
		if (json_array_size(notes))
			buf_adds(&b, "  メモ:\n");
		for (size_t k = 0; k < json_array_size(notes); k++) {
			const json_t *n = json_array_get(notes, k);
			buf_printf(&b, "    %s  %s: %s\n", str(n, "at"), str(n, "org"), str(n, "text"));
		}
		const json_t *links = json_object_get(c, "links");
		if (json_array_size(links))
			buf_adds(&b, "  社会資源へのつなぎ:\n");
		for (size_t k = 0; k < json_array_size(links); k++) {
			const json_t *l = json_array_get(links, k);
			const json_t *name = json_object_get(json_object_get(l, "resource"), "name");
			buf_printf(&b, "    %s（%s）提案 %s", name ? str(name, "ja") : "—", str(l, "status"), str(l, "proposed_on"));
			if (json_string_value(json_object_get(l, "joined_on")))
				buf_printf(&b, "・参加 %s", str(l, "joined_on"));
			if (json_string_value(json_object_get(l, "declined_on")))
				buf_printf(&b, "・辞退 %s", str(l, "declined_on"));
			if (json_string_value(json_object_get(l, "ended_on")))
				buf_printf(&b, "・終了 %s", str(l, "ended_on"));
			if (json_string_value(json_object_get(l, "note")))
				buf_printf(&b, "  メモ: %s", str(l, "note"));
			buf_adds(&b, "\n");
		}
		const json_t *prov = json_object_get(c, "provisions");
		if (json_array_size(prov))
			buf_adds(&b, "  第三者提供の記録:\n");
		for (size_t k = 0; k < json_array_size(prov); k++) {
			const json_t *p = json_array_get(prov, k);
			buf_printf(&b, "    %s  %s → %s  項目: %s  根拠: %s\n", str(p, "at"), str(p, "from"), str(p, "to"),
				   str(p, "items"), str(p, "consent_basis"));
		}
		buf_adds(&b, "\n");
	}
	if (!json_array_size(cases))
		buf_adds(&b, "この機関が保有する記録はありません。\n");
	return buf_detach(&b);
}
