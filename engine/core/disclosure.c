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
	clock_us now;
	json_t *cases;
	json_t *subject;
	bool failed;
};

struct each {
	struct gather *g;
	const struct pathway *pw;
	party_mask parties;
	const char *case_id;
	json_t *items;
};

/* The Japanese title of a state of the pathway, or its name. */
static const char *state_title(const struct pathway *pw, const char *state)
{
	int s = state ? pathway_state_index(pw, state) : -1;
	return s >= 0 ? pw->states[s].title.ja : state;
}

/* What an event did, in Japanese: the action's title, or the words for tsunagu's own events. */
static const char *action_title(const struct pathway *pw, const char *action, const char *from)
{
	static const struct {
		const char *action, *ja;
	} own[] = {
		{ "open", "紹介（開始）" }, { "note", "メモ" }, { "assign", "担当者の変更" },
		{ "correct_subject", "本人情報の訂正" }, { "correct_fields", "記録の訂正" }, { "timer", "期限の通知" },
		{ "link_proposed", "社会資源へのつなぎ（提案）" }, { "link_joined", "社会資源への参加" },
		{ "link_declined", "社会資源の辞退" }, { "link_ended", "社会資源へのつなぎの終了" },
		{ "link_shared", "運営機関への情報提供" }, { "link_note", "つなぎのメモ" }, { "erase", "個人情報の消去" },
	};
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (!strcmp(own[i].action, action))
			return own[i].ja;
	int s = from ? pathway_state_index(pw, from) : -1;
	const struct pw_action *a = s >= 0 ? pathway_transition(pw, s, pathway_action_id(pw, action)) : NULL;
	return a && a->title.ja ? a->title.ja : action;
}

/* A field's value as people read it: an option's label, yes/no, or the value itself. New reference. */
static json_t *field_display(const struct pathway *pw, const char *key, const json_t *v)
{
	int i = pathway_field_index(pw, key);
	const struct pw_field *f = i >= 0 ? &pw->fields[i] : NULL;
	const struct pw_text *label = f ? pathway_value_title(f, json_string_value(v)) : NULL;
	char *text = label ? xstrdup(label->ja)
		     : json_is_boolean(v) ? xstrdup(json_is_true(v) ? "はい" : "いいえ")
		     : json_is_string(v) ? xstrdup(json_string_value(v))
		     : f && f->type == FIELD_ORG ? NULL : json_dumps(v, JSON_ENCODE_ANY);
	json_t *o = json_pack("{s:s, s:s}", "title", f && f->title.ja ? f->title.ja : key, "value", text ? text : "");
	free(text);
	return o;
}

static json_t *fields_display(const struct pathway *pw, const json_t *fields)
{
	json_t *out = json_array();
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)fields, key, v)
		json_array_append_new(out, field_display(pw, key, v));
	return out;
}

static int event_one(void *ctx, const struct store_event *ev)
{
	struct each *e = ctx;
	struct core *core = e->g->core;
	json_t *payload = ev->payload ? mpjson_decode(ev->payload, ev->payload_len) : NULL;
	if (!strcmp(ev->action, "note") &&
	    !cm_note_visible(json_string_value(json_object_get(payload, "visibility")), ev->actor_org, e->g->who)) {
		json_decref(payload);
		return 0;
	}
	json_t *o = json_pack("{s:o, s:s, s:o, s:s}", "at", core_time_json(core, ev->at), "action", ev->action, "from",
			      ev->from_state ? json_string(ev->from_state) : json_null(), "to", ev->to_state);
	json_object_set_new(o, "by", ev->actor_org ? json_string(ev->actor_org) : json_string("system"));
	json_object_set_new(o, "by_name", json_string(ev->actor_org ? config_org_name(core->cfg, ev->actor_org) : "システム"));
	json_object_set_new(o, "action_title", json_string(action_title(e->pw, ev->action, ev->from_state)));
	json_object_set_new(o, "to_title", json_string(state_title(e->pw, ev->to_state)));
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
	if (!cm_note_visible(visibility, org, e->g->who))
		return 0;
	json_array_append_new(e->items, json_pack("{s:o, s:s, s:s, s:s}", "at", core_time_json(e->g->core, t), "org", org,
						  "org_name", config_org_name(e->g->core->cfg, org), "text", text ? text : ""));
	return 0;
}

char *disclosure_items_title(const struct pathway *pw, const char *items)
{
	static const char *const subject_titles[SUBJECT_FIELD_COUNT] = {
		"氏名", "ふりがな", "生年月日", "性別", "電話", "地区"
	};
	struct buf b;
	buf_init(&b);
	char *copy = xstrdup(items ? items : ""), *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		const char *title = item;
		if (!strncmp(item, "subject.", 8)) {
			int f = vocab_lookup(subject_field_names, item + 8);
			title = f >= 0 ? subject_titles[f] : item;
		} else if (!strncmp(item, "fields.", 7)) {
			int f = pw ? pathway_field_index(pw, item + 7) : -1;
			title = f >= 0 && pw->fields[f].title.ja ? pw->fields[f].title.ja : item;
		}
		buf_printf(&b, "%s%s", b.len ? "、" : "", title);
	}
	free(copy);
	return buf_detach(&b);
}

static int provision_one(void *ctx, const struct store_provision *p)
{
	struct each *e = ctx;
	char *titles = disclosure_items_title(e->pw, p->items);
	json_array_append_new(e->items, json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "at", core_time_json(e->g->core, p->at),
						  "from", p->from_org, "to", p->to_org, "from_name",
						  config_org_name(e->g->core->cfg, p->from_org), "to_name", config_org_name(e->g->core->cfg, p->to_org),
						  "items", p->items, "items_title", titles, "consent_basis", p->consent_basis));
	free(titles);
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

/* A case the disclosure covers: who stands on it and may see its personal data. */
static bool covered(struct core *core, const struct cm_caller *who, const struct case_record *c,
		    const struct pathway **pw, party_mask *parties)
{
	*pw = core_pathway(core, c->pathway, c->pathway_version);
	*parties = *pw ? cm_parties(*pw, c, who) : 0;
	return *parties && cm_sees_personal(*pw, *parties);
}

struct scoping {
	struct core *core;
	const struct cm_caller *who;
	const char *user_id;
	clock_us now;
	struct disclosure_scope *scope;
	size_t alloc;
	bool failed;
};

static int scope_one(void *ctx, const char *case_id)
{
	struct scoping *sc = ctx;
	struct case_record c = { 0 };
	const struct pathway *pw;
	party_mask parties;
	if (store_case_get(sc->core->store, case_id, &c)) {
		sc->failed = true;
		return 1;
	}
	int rc = 0;
	if (covered(sc->core, sc->who, &c, &pw, &parties)) {
		rc = store_access_add(sc->core->store, sc->now, sc->user_id, sc->who->org->id, c.id, c.subject_id,
				      "subject.export");
		struct disclosure_scope *s = sc->scope;
		grow_array(&s->case_ids, &sc->alloc, s->n, sizeof(*s->case_ids));
		s->case_ids[s->n++] = xstrdup(c.id);
	}
	case_record_release(&c);
	if (rc)
		sc->failed = true;
	return rc;
}

int disclosure_log_reads(struct core *core, const struct cm_caller *who, const char *user_id, const char *id,
			 clock_us now, struct disclosure_scope *scope)
{
	*scope = (struct disclosure_scope){ 0 };
	struct scoping sc = { core, who, user_id, now, scope, 0, false };
	if (store_cases_of_person(core->store, id, scope_one, &sc) || sc.failed) {
		disclosure_scope_release(scope);
		return -1;
	}
	return 0;
}

void disclosure_scope_release(struct disclosure_scope *scope)
{
	for (size_t i = 0; i < scope->n; i++)
		free(scope->case_ids[i]);
	free(scope->case_ids);
	*scope = (struct disclosure_scope){ 0 };
}

static int case_one(struct gather *g, const char *case_id)
{
	struct core *core = g->core;
	struct case_record c = { 0 };
	const struct pathway *pw;
	party_mask parties;
	if (store_case_get(core->store, case_id, &c)) {
		g->failed = true;
		return 1;
	}
	/* a case that moved out of reach since its read was logged is left out */
	if (!covered(core, g->who, &c, &pw, &parties)) {
		case_record_release(&c);
		return 0;
	}
	json_t *subject = store_subject_get(core->store, c.subject_id);
	int s = pathway_state_index(pw, c.state);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "id", c.id, "pathway", c.pathway,
			      "pathway_title", pw->title.ja, "state", c.state, "state_title",
			      s >= 0 ? json_string(pw->states[s].title.ja) : json_null(), "opened_at", core_time_json(core, c.opened_at),
			      "closed_at", core_time_json(core, c.closed_at), "outcome", c.outcome ? json_string(c.outcome) : json_null());
	json_object_set_new(o, "origin", json_string(c.origin_org));
	json_object_set_new(o, "origin_name", json_string(config_org_name(core->cfg, c.origin_org)));
	json_object_set_new(o, "receiver", c.receiver_org ? json_string(c.receiver_org) : json_null());
	json_object_set_new(o, "receiver_name", c.receiver_org ? json_string(config_org_name(core->cfg, c.receiver_org)) : json_null());
	int oc = -1;
	for (size_t k = 0; c.outcome && k < pw->n_outcomes; k++)
		if (!strcmp(pw->outcomes[k].code, c.outcome))
			oc = (int)k;
	json_object_set_new(o, "outcome_title", oc >= 0 ? json_string(pw->outcomes[oc].title.ja) : json_null());
	const struct config_area *area = c.area ? config_find_area(core->cfg, c.area) : NULL;
	json_object_set_new(o, "area_name", area ? json_string(area->name.ja) : json_null());
	json_object_set_new(o, "subject", subject ? json_incref(subject) : json_null());
	json_object_set_new(o, "consent", c.consent ? json_incref(c.consent) : json_null());
	json_t *visible = cm_visible_fields(pw, c.fields, parties, g->who->roles);
	json_object_set_new(o, "fields_display", fields_display(pw, visible));
	json_object_set_new(o, "fields", visible);
	struct each e = { g, pw, parties, c.id, json_array() };
	int rc = store_events_for_case(core->store, c.id, 0, event_one, &e);
	json_object_set_new(o, "events", e.items);
	e.items = json_array();
	rc = rc || store_notes_for_case(core->store, c.id, 0, NULL, note_one, &e);
	json_object_set_new(o, "notes", e.items);
	e.items = json_array();
	rc = rc || store_provisions_of_case(core->store, c.id, provision_one, &e);
	json_object_set_new(o, "provisions", e.items);
	e.items = json_array();
	rc = rc || store_links_for_case(core->store, c.id, link_one, &e);
	json_object_set_new(o, "links", e.items);
	if (subject && !g->subject)
		g->subject = json_incref(subject);
	json_decref(subject);
	json_array_append_new(g->cases, o);
	case_record_release(&c);
	if (rc)
		g->failed = true;
	return rc;
}

json_t *disclosure_build(struct core *core, const struct cm_caller *who, const struct disclosure_scope *scope,
			 const char *id, clock_us now)
{
	struct gather g = { core, who, now, json_array(), NULL, false };
	for (size_t i = 0; i < scope->n && !g.failed; i++)
		case_one(&g, scope->case_ids[i]);
	if (g.failed) {
		json_decref(g.cases);
		json_decref(g.subject);
		return NULL;
	}
	return json_pack("{s:s, s:o, s:s, s:s, s:o, s:o}", "person", id, "generated_at", core_time_json(core, now), "organisation",
			 who->org->id, "organisation_name", who->org->name.ja, "subject", g.subject ? g.subject : json_null(),
			 "cases", g.cases);
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "—";
}

/* The Japanese words of codes a printout shows. */
static const char *words(const char *code)
{
	static const char *const pairs[][2] = {
		{ "female", "女性" }, { "male", "男性" }, { "other", "その他" }, { "unknown", "不明" },
		{ "written", "書面" }, { "verbal", "口頭" }, { "proposed", "提案中" }, { "joined", "参加" },
		{ "declined", "辞退" }, { "ended", "終了" },
	};
	for (size_t i = 0; code && i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (!strcmp(pairs[i][0], code))
			return pairs[i][1];
	return code ? code : "—";
}

/* A consent's scope in words: its text, and the kinds of organisation it covers when given. */
static void scope_text(struct buf *b, const json_t *scope)
{
	if (json_is_string(scope)) {
		buf_adds(b, json_string_value(scope));
		return;
	}
	const json_t *text = json_object_get(scope, "text");
	buf_adds(b, json_is_string(text) ? json_string_value(text) : "");
	const json_t *rec = json_object_get(scope, "recipients");
	if (json_array_size(rec)) {
		buf_adds(b, "（提供先: ");
		for (size_t i = 0; i < json_array_size(rec); i++)
			buf_printf(b, "%s%s", i ? "、" : "", org_kind_title(json_string_value(json_array_get(rec, i))));
		buf_adds(b, "）");
	}
}

char *disclosure_text(const json_t *d)
{
	struct buf b;
	buf_init(&b);
	const json_t *subject = json_object_get(d, "subject");
	const json_t *cases = json_object_get(d, "cases");
	const json_t *first = json_array_get(cases, 0);
	buf_printf(&b, "保有個人データの開示\n作成日時: %s\n開示する機関: %s\n\n", str(d, "generated_at"),
		   str(d, "organisation_name"));
	buf_printf(&b, "■ ご本人\n氏名: %s\nふりがな: %s\n生年月日: %s\n性別: %s\n電話: %s\n地区: %s\n\n",
		   str(subject, "name"), str(subject, "kana"), str(subject, "birth_date"),
		   words(json_string_value(json_object_get(subject, "sex"))), str(subject, "phone"),
		   first ? str(first, "area_name") : str(subject, "area"));
	for (size_t i = 0; i < json_array_size(cases); i++) {
		const json_t *c = json_array_get(cases, i);
		buf_printf(&b, "■ ケース %zu（番号 %s）\n  パス: %s\n  状態: %s\n  開始: %s\n  終了: %s（%s）\n  紹介元: %s\n  受け手: %s\n",
			   i + 1, str(c, "id"), str(c, "pathway_title"), str(c, "state_title"), str(c, "opened_at"),
			   str(c, "closed_at"), str(c, "outcome_title"), str(c, "origin_name"), str(c, "receiver_name"));
		const json_t *consent = json_object_get(c, "consent");
		if (json_is_object(consent)) {
			buf_printf(&b, "  同意: %s（%s、取得者 %s）範囲: ", str(consent, "obtained_at"),
				   words(json_string_value(json_object_get(consent, "method"))), str(consent, "obtained_by"));
			scope_text(&b, json_object_get(consent, "scope"));
			buf_adds(&b, "\n");
		}
		buf_adds(&b, "  記録された項目:\n");
		const json_t *shown = json_object_get(c, "fields_display");
		for (size_t k = 0; k < json_array_size(shown); k++) {
			const json_t *f = json_array_get(shown, k);
			buf_printf(&b, "    %s: %s\n", str(f, "title"), str(f, "value"));
		}
		const json_t *events = json_object_get(c, "events");
		buf_adds(&b, "  経過:\n");
		for (size_t k = 0; k < json_array_size(events); k++) {
			const json_t *e = json_array_get(events, k);
			buf_printf(&b, "    %s  %s（→ %s、%s）\n", str(e, "at"), str(e, "action_title"), str(e, "to_title"),
				   str(e, "by_name"));
		}
		const json_t *notes = json_object_get(c, "notes");
		if (json_array_size(notes))
			buf_adds(&b, "  メモ:\n");
		for (size_t k = 0; k < json_array_size(notes); k++) {
			const json_t *n = json_array_get(notes, k);
			buf_printf(&b, "    %s  %s: %s\n", str(n, "at"), str(n, "org_name"), str(n, "text"));
		}
		const json_t *links = json_object_get(c, "links");
		if (json_array_size(links))
			buf_adds(&b, "  社会資源へのつなぎ:\n");
		for (size_t k = 0; k < json_array_size(links); k++) {
			const json_t *l = json_array_get(links, k);
			const json_t *name = json_object_get(json_object_get(l, "resource"), "name");
			buf_printf(&b, "    %s（%s）提案 %s", name ? str(name, "ja") : "—",
				   words(json_string_value(json_object_get(l, "status"))), str(l, "proposed_on"));
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
			buf_printf(&b, "    %s  %s → %s  項目: %s  根拠: %s\n", str(p, "at"), str(p, "from_name"), str(p, "to_name"),
				   str(p, "items_title"), str(p, "consent_basis"));
		}
		buf_adds(&b, "\n");
	}
	if (!json_array_size(cases))
		buf_adds(&b, "この機関が保有する記録はありません。\n");
	return buf_detach(&b);
}
