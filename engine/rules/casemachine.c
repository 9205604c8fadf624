/*
 * casemachine — input checking and decisions for openings and actions. Every
 * refusal names the field and says, in Japanese and English, what was expected.
 */
#include "casemachine.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define SUBJECT_TEXT_MAX 200
#define PHONE_MAX 32

static const char *const sexes[] = { "female", "male", "other", "unknown", NULL };
static const char *const consent_methods[] = { "written", "verbal", NULL };

/* ---- who is who --------------------------------------------------------------- */

bool cm_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && !strncmp(p, item, n))
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

bool cm_may_open(const struct pathway *pw, const struct cm_caller *who)
{
	return who->org && (pw->open_roles & who->roles) && (!pw->open_kinds || (pw->open_kinds & MASK(who->org->kind)));
}

party_mask cm_parties(const struct pathway *pw, const struct case_record *c, const struct cm_caller *who)
{
	party_mask p = 0;
	/* a monitor's token reads the metrics, never a case */
	if (!who->org || who->roles == MASK(ROLE_MONITOR))
		return 0;
	/*
	 * A record about no person belongs to those who keep such records (the
	 * pathway's openers), not to everyone of their organisation: the
	 * coordinators' register is theirs alone, not the city admin's.
	 */
	if (pw && pw->no_subject && !cm_may_open(pw, who))
		return 0;
	if (c->origin_org && !strcmp(c->origin_org, who->org->id))
		p |= MASK(PARTY_ORIGIN);
	if (c->providers && cm_list_has(c->providers, who->org->id))
		p |= MASK(PARTY_PROVIDER);
	if (c->receiver_org && !strcmp(c->receiver_org, who->org->id))
		p |= MASK(PARTY_RECEIVER);
	if (who->user && c->assignee && !strcmp(c->assignee, who->user))
		p |= MASK(PARTY_ASSIGNEE);
	if (cm_is_coordinator(who))
		p |= MASK(PARTY_COORDINATOR);
	return p;
}

bool cm_is_coordinator(const struct cm_caller *who)
{
	return who->org && who->org->kind == ORG_CITY && (who->roles & MASK(ROLE_COORDINATOR));
}

bool cm_is_receiver(party_mask parties)
{
	return parties & (MASK(PARTY_RECEIVER) | MASK(PARTY_ASSIGNEE));
}

bool cm_provider_only(party_mask parties)
{
	return parties == MASK(PARTY_PROVIDER);
}

bool cm_closed(const struct pathway *pw, const struct case_record *c)
{
	int s = pathway_state_index(pw, c->state);
	return s < 0 || pw->states[s].final;
}

int cm_inbox_party(const struct pathway *pw, const struct case_record *c)
{
	int s = pathway_state_index(pw, c->state);
	if (s < 0 || pw->states[s].final)
		return -1;
	switch (pw->states[s].inbox) {
	case PARTY_ORIGIN:
	case PARTY_COORDINATOR:
		return (int)pw->states[s].inbox;
	case PARTY_RECEIVER:
	case PARTY_ASSIGNEE:
		return PARTY_RECEIVER;
	default:
		return -1;
	}
}

bool cm_in_inbox(const struct pathway *pw, const struct case_record *c, const struct cm_caller *who,
		 enum cm_inbox inbox)
{
	if (inbox == CM_INBOX_NONE)
		return true;
	bool mine_org;
	switch (cm_inbox_party(pw, c)) {
	case PARTY_ORIGIN:
		mine_org = !strcmp(c->origin_org, who->org->id);
		if (inbox == CM_INBOX_ORG)
			return mine_org;
		return mine_org && c->origin_user && who->user && !strcmp(c->origin_user, who->user);
	case PARTY_RECEIVER:
		mine_org = c->receiver_org && !strcmp(c->receiver_org, who->org->id);
		if (inbox == CM_INBOX_ORG)
			return mine_org;
		/* A case whose assignee has left is unassigned again, in everyone's inbox of the organisation. */
		return mine_org && (!c->assignee || c->assignee_gone || (who->user && !strcmp(c->assignee, who->user)));
	case PARTY_COORDINATOR:
		return cm_is_coordinator(who);
	default:
		return false;
	}
}

bool cm_sees_personal(const struct pathway *pw, party_mask parties)
{
	if (parties & (MASK(PARTY_ORIGIN) | MASK(PARTY_RECEIVER) | MASK(PARTY_ASSIGNEE)))
		return true;
	return (parties & MASK(PARTY_COORDINATOR)) && pw->coordinator_step;
}

json_t *cm_visible_fields(const struct pathway *pw, const json_t *fields, party_mask parties, role_mask roles)
{
	json_t *out = json_object();
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)fields, key, v) {
		int idx = pathway_field_index(pw, key);
		if (idx >= 0 && pathway_field_visible(pw, idx, parties, roles))
			json_object_set(out, key, v);
	}
	return out;
}

/* ---- expression values -------------------------------------------------------- */

static void json_to_value(const json_t *v, struct expr_value *out)
{
	date_days d;
	out->type = EXPR_T_NULL;
	if (json_is_boolean(v))
		*out = (struct expr_value){ .type = EXPR_T_BOOL, .u.b = json_is_true(v) };
	else if (json_is_integer(v))
		*out = (struct expr_value){ .type = EXPR_T_INT, .u.i = (long)json_integer_value(v) };
	else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (strlen(s) == 10 && !date_parse(s, &d))
			*out = (struct expr_value){ .type = EXPR_T_DATE, .u.d = d };
		else
			*out = (struct expr_value){ .type = EXPR_T_STRING, .u.s = s };
	}
}

static int lookup(void *ctx, int slot, const char *path, struct expr_value *out)
{
	const struct cm_values *vals = ctx;
	const json_t *v = NULL;
	if (slot >= PW_SLOT_LINKS && slot < PW_SLOT_FIELD) {
		int k = slot - PW_SLOT_LINKS;
		long n = 0;
		if (vals->links)
			n = k == PW_LINKS_ACTIVE ? vals->links_open : vals->links[k];
		*out = (struct expr_value){ .type = EXPR_T_INT, .u.i = n };
		return 0;
	}
	if (slot >= PW_SLOT_FIELD)
		v = vals->fields ? json_object_get(vals->fields, vals->pw->fields[slot - PW_SLOT_FIELD].name) : NULL;
	else if (slot >= PW_SLOT_CONSENT)
		v = vals->consent ? json_object_get(vals->consent, consent_field_names[slot - PW_SLOT_CONSENT]) : NULL;
	else
		v = vals->subject ? json_object_get(vals->subject, subject_field_names[slot - PW_SLOT_SUBJECT]) : NULL;
	json_to_value(v, out);
	/* A text field that happens to look like a date is still text. */
	if (out->type == EXPR_T_DATE && slot >= PW_SLOT_FIELD &&
	    vals->pw->fields[slot - PW_SLOT_FIELD].type != FIELD_DATE)
		*out = (struct expr_value){ .type = EXPR_T_STRING, .u.s = json_string_value(v) };
	if (out->type == EXPR_T_DATE && slot < PW_SLOT_FIELD && slot != PW_SLOT_SUBJECT + SUBJECT_BIRTH_DATE &&
	    slot != PW_SLOT_CONSENT + 1)
		*out = (struct expr_value){ .type = EXPR_T_STRING, .u.s = json_string_value(v) };
	(void)path;
	return 0;
}

static bool eval_guard(const struct expr *e, const struct cm_values *vals, date_days today)
{
	bool yes = false;
	if (!e)
		return true;
	if (expr_eval(e, lookup, (void *)vals, today, &yes))
		return false;
	return yes;
}

bool cm_action_available(const struct cm_values *vals, const struct pw_action *a, role_mask roles,
			 party_mask parties, date_days today)
{
	return pathway_action_permits(a, roles, parties) && eval_guard(a->guard, vals, today);
}

/* ---- value checks ---------------------------------------------------------------- */

/* U+202A–U+202E and U+2066–U+2069: characters that reorder how text is shown. */
static bool bidi_override(const unsigned char *p)
{
	return p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
				(p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9));
}

/* U+2028 and U+2029: line and paragraph separators, line breaks of their own. */
static bool unicode_line_break(const unsigned char *p)
{
	return p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9);
}

/*
 * Text without control characters, C0 or C1 (a line: no line breaks, Unicode's
 * included, or tabs either) or bidirectional overrides. The text is valid UTF-8.
 */
static bool plain_text(const char *s, bool line)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == 0x7f || (*p < 0x20 && (line || (*p != '\n' && *p != '\t'))))
			return false;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return false;
		if (*p == 0xe2 && p[1] && p[2] && (bidi_override(p) || (line && unicode_line_break(p))))
			return false;
	}
	return true;
}

/* Characters (code points) of valid UTF-8: what a person counts, and what the API's limits count. */
static size_t characters(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

/* Whether the text is nothing but spaces (ASCII, ideographic, no-break) and line breaks. */
static bool blank(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
			p++;
		else if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
			p += 3;
		else if (p[0] == 0xc2 && p[1] == 0xa0)
			p += 2;
		else
			return false;
	}
	return true;
}

static int check_text(const json_t *v, const char *path, size_t max, bool line, struct refusal *err)
{
	if (!json_is_string(v)) {
		refusal_set(err, "invalid_field", path, "%s must be text", path);
		refusal_ja(err, "%s は文字列で指定してください", path);
		return -1;
	}
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len == 0 || strlen(s) != len || blank(s)) {
		refusal_set(err, "invalid_field", path, "%s must not be empty", path);
		refusal_ja(err, "%s を入力してください", path);
		return -1;
	}
	if (characters(s) > max) {
		refusal_set(err, "invalid_field", path, "%s is longer than %zu characters", path, max);
		refusal_ja(err, "%s が長すぎます（%zu 文字まで）", path, max);
		return -1;
	}
	if (!plain_text(s, line)) {
		refusal_set(err, "invalid_field", path,
			    line ? "%s must be one line without control characters or bidirectional overrides"
				 : "%s contains control characters or bidirectional overrides", path);
		refusal_ja(err, line ? "%s は制御文字・改行・文字の向きを変える文字を含まない 1 行で指定してください"
				     : "%s に制御文字または文字の向きを変える文字が含まれています", path);
		return -1;
	}
	return 0;
}

int cm_check_text(const json_t *v, const char *path, size_t max, struct refusal *err)
{
	return check_text(v, path, max, false, err);
}

int cm_check_line(const json_t *v, const char *path, size_t max, struct refusal *err)
{
	return check_text(v, path, max, true, err);
}

int cm_field_date(const json_t *v, date_days *out)
{
	const char *s = json_string_value(v);
	/* A timestamp counts by the date written in it, so both forms obey the same rule. */
	clock_us t;
	char day[11];
	if (s && strlen(s) > 10 && !clock_parse(s, &t)) {
		snprintf(day, sizeof(day), "%.10s", s);
		s = day;
	}
	return s ? date_parse(s, out) : -1;
}

int cm_check_date(const json_t *v, const char *path, date_days today, enum pw_tense tense, struct refusal *err)
{
	date_days d;
	if (cm_field_date(v, &d)) {
		refusal_set(err, "invalid_field", path, "%s must be a date (YYYY-MM-DD)", path);
		refusal_ja(err, "%s は日付（YYYY-MM-DD）で指定してください", path);
		return -1;
	}
	if (tense == PW_PAST_DATE && d > today) {
		refusal_set(err, "invalid_field", path, "%s is in the future: it records a date that has happened", path);
		refusal_ja(err, "%s が未来の日付です（すでにあった日を指定してください）", path);
		return -1;
	}
	if (tense == PW_FUTURE_DATE && d < today) {
		refusal_set(err, "invalid_field", path, "%s is in the past: it is a date still to come", path);
		refusal_ja(err, "%s が過去の日付です（これからの日を指定してください）", path);
		return -1;
	}
	return 0;
}

static int check_birth_date(const json_t *v, const char *path, date_days today, struct refusal *err)
{
	if (cm_check_date(v, path, today, PW_PAST_DATE, err))
		return -1;
	date_days d;
	date_parse(json_string_value(v), &d);
	if (d < date_from_ymd(1900, 1, 1)) {
		refusal_set(err, "invalid_field", path, "%s is before 1900", path);
		refusal_ja(err, "%s が 1900 年より前です", path);
		return -1;
	}
	return 0;
}

int cm_check_enum(const json_t *v, const char *path, const char *const *values, size_t n, struct refusal *err)
{
	if (json_is_string(v))
		for (size_t i = 0; i < n; i++)
			if (!strcmp(values[i], json_string_value(v)))
				return 0;
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", values[i]);
	refusal_set(err, "invalid_field", path, "%s must be one of: %s", path, b.data);
	refusal_ja(err, "%s は次のいずれかで指定してください: %s", path, b.data);
	buf_release(&b);
	return -1;
}

static size_t table_len(const char *const *t)
{
	size_t n = 0;
	while (t[n])
		n++;
	return n;
}

int cm_check_keys(const json_t *o, const char *path, const char *what, const char *what_ja,
		  const char *const *keys, struct refusal *err)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)o, key, v) {
		if (vocab_lookup(keys, key) >= 0)
			continue;
		struct buf list;
		buf_init(&list);
		for (size_t i = 0; keys[i]; i++)
			buf_printf(&list, "%s%s", i ? ", " : "", keys[i]);
		char *field = path ? xasprintf("%s.%s", path, key) : xstrdup(key);
		refusal_set(err, "unknown_field", field, "%s is not part of %s (%s)", field, what, list.data);
		refusal_ja(err, "%s は%sの項目ではありません（%s）", field, what_ja, list.data);
		free(field);
		buf_release(&list);
		return -1;
	}
	return 0;
}

int cm_check_phone(const json_t *v, const char *path, struct refusal *err)
{
	if (cm_check_text(v, path, PHONE_MAX, err))
		return -1;
	if (strspn(json_string_value(v), "0123456789+-() ") != json_string_length(v)) {
		refusal_set(err, "invalid_field", path, "%s may hold digits, spaces, +, - and parentheses only", path);
		refusal_ja(err, "%s は数字・空白・+・-・かっこで指定してください", path);
		return -1;
	}
	return 0;
}

static const struct config_org *check_org(const struct config *cfg, const json_t *v, const char *path,
					  struct refusal *err)
{
	const struct config_org *o = json_is_string(v) ? config_find_org(cfg, json_string_value(v)) : NULL;
	if (!o) {
		refusal_set(err, "invalid_field", path, "%s must be the id of a participating organisation", path);
		refusal_ja(err, "%s には参加機関の ID を指定してください", path);
	}
	return o;
}

/*
 * A list field: an array of at most PW_MAX_LIST distinct items, each checked by one
 * (an organisation of the config, or the form of a case id: that the case
 * exists and the caller stands on it is core/flow's check).
 */
static int check_list(const struct config *cfg, const json_t *v, const char *path, bool orgs, struct refusal *err)
{
	size_t i, k;
	json_t *item, *other;
	bool bad = !json_is_array(v) || json_array_size(v) > PW_MAX_LIST;
	json_array_foreach(v, i, item) {
		if (bad)
			break;
		const char *s = json_string_value(item);
		bad = orgs ? !config_find_org(cfg, s) : !s || strncmp(s, "c_", 2) || strlen(s) > 64;
		json_array_foreach(v, k, other)
			if (k < i && json_equal(item, other))
				bad = true;
	}
	if (bad) {
		refusal_set(err, "invalid_field", path, orgs ? "%s must be a list of distinct organisation ids (at most %d)"
							      : "%s must be a list of distinct case ids (at most %d)", path, PW_MAX_LIST);
		refusal_ja(err, orgs ? "%s には参加機関の ID を重複なく並べてください（%d 件まで）"
				     : "%s にはケースの ID を重複なく並べてください（%d 件まで）", path, PW_MAX_LIST);
		return -1;
	}
	return 0;
}

/* Checks one pathway field value. */
static int check_field(const struct config *cfg, const struct pw_field *f, const char *path,
		       const json_t *v, date_days today, struct refusal *err)
{
	switch (f->type) {
	case FIELD_TEXT:
		return cm_check_text(v, path, f->max_length, err);
	case FIELD_DATE:
		return cm_check_date(v, path, today, f->tense, err);
	case FIELD_ENUM:
		return cm_check_enum(v, path, (const char *const *)f->values, f->n_values, err);
	case FIELD_BOOL:
		if (json_is_boolean(v))
			return 0;
		refusal_set(err, "invalid_field", path, "%s must be true or false", path);
		refusal_ja(err, "%s は true か false で指定してください", path);
		return -1;
	case FIELD_INT:
		if (json_is_integer(v) && json_integer_value(v) >= f->min && json_integer_value(v) <= f->max)
			return 0;
		refusal_set(err, "invalid_field", path, "%s must be a whole number from %ld to %ld", path,
			f->min, f->max);
		refusal_ja(err, "%s は %ld から %ld までの整数で指定してください", path, f->min, f->max);
		return -1;
	case FIELD_ORG:
		return check_org(cfg, v, path, err) ? 0 : -1;
	case FIELD_RESOURCE:
		return cm_check_text(v, path, 64, err);
	case FIELD_ORGS:
		return check_list(cfg, v, path, true, err);
	case FIELD_CASES:
		return check_list(cfg, v, path, false, err);
	case FIELD_TYPE_COUNT:
		break;
	}
	return -1;
}

int cm_check_about_person(const struct pathway *pw, const char *what, const char *what_ja, struct refusal *err)
{
	if (!pw->no_subject)
		return 0;
	refusal_set(err, "action_not_available", NULL, "a %s record is about no person: it has no %s", pw->id, what);
	refusal_ja(err, "%s の記録は個人についての記録ではないため、%sはありません", pw->id, what_ja);
	return -1;
}

const struct config_org *cm_migrate_receiver(const struct config *cfg, const struct pathway *to,
					     const struct case_record *c, int state)
{
	const struct pw_state *st = &to->states[state];
	if (c->receiver_org || (st->inbox != PARTY_RECEIVER && st->inbox != PARTY_ASSIGNEE) || !to->receiver_by_area ||
	    !c->area)
		return NULL;
	return config_route(cfg, to->id, c->area);
}

int cm_migrate(const struct config *cfg, const struct pathway *to, const struct case_record *c, const char *target,
	       struct refusal *err)
{
	int state = pathway_state_index(to, target);
	const struct pw_state *st = state >= 0 ? &to->states[state] : NULL;
	/* a state that waits on a receiver, for a case with none: the one its area is routed to (with consent) */
	bool needs_receiver = st && !c->receiver_org && (st->inbox == PARTY_RECEIVER || st->inbox == PARTY_ASSIGNEE);
	const struct config_org *gained = needs_receiver ? cm_migrate_receiver(cfg, to, c, state) : NULL;
	if (state < 0) {
		refusal_set(err, "state_missing", "state", "version %ld has no state '%s' and the map names none for it",
			    to->version, target);
		refusal_ja(err, "第 %ld 版に状態「%s」はなく、対応表にも行き先がありません", to->version, target);
	} else if (st->final) {
		refusal_set(err, "final_state", "state", "state '%s' ends cases in version %ld: a migration moves running "
			    "cases and closes none", target, to->version);
		refusal_ja(err, "第 %ld 版の状態「%s」はケースを終える状態です。移行は進行中のケースを移すだけで、終了はさせません",
			   to->version, target);
	} else if (needs_receiver && !gained) {
		refusal_set(err, "no_receiver", "receiver", "state '%s' of version %ld waits on a receiving organisation, the "
			    "case has none, and no organisation is routed its area", target, to->version);
		refusal_ja(err, "第 %ld 版の状態「%s」は受け手の機関が対応する状態ですが、ケースに受け手がなく、地区の受け手も"
			   "設定されていません", to->version, target);
	}
	const char *key;
	json_t *v;
	json_object_foreach(c->fields, key, v) {
		int k = pathway_field_index(to, key);
		if (k < 0 || json_is_null(v))
			continue;
		/* a date kept from before is judged as a date: whether it had to be past was decided when it was given */
		struct pw_field f = to->fields[k];
		f.tense = PW_ANY_DATE;
		char *path = xasprintf("fields.%s", key);
		struct refusal one = { 0 };
		/* the value is not repeated: whoever reads the plan may not see the field */
		if (check_field(cfg, &f, path, v, 0, &one)) {
			refusal_set(err, "field_value", path, "the value of %s is not one version %ld accepts (%s)", path,
				    to->version, one.message);
			refusal_ja(err, "%s の値は第 %ld 版では受け付けられません（%s）", path, to->version,
				   one.message_ja ? one.message_ja : one.message);
		}
		refusal_release(&one);
		free(path);
	}
	if (gained)
		cm_check_consent_covers(to, c->consent, gained, false, err);
	return refusal_count(err) ? -1 : state;
}

/*
 * Checks the fields object against the allowed uses; returns a new object of the
 * given values, or NULL. Missing required fields and unknown names are refused.
 */
static json_t *check_fields(const struct config *cfg, const struct pathway *pw, const json_t *given,
			    const struct pw_field_use *uses, size_t n_uses, date_days today,
			    struct refusal *err)
{
	if (given && !json_is_object(given)) {
		refusal_set(err, "invalid_field", "fields", "fields must be an object");
		refusal_ja(err, "fields はオブジェクトで指定してください");
		return NULL;
	}
	json_t *out = json_object();
	const char *key;
	json_t *v;
	int bad = 0;
	if (given) {
		json_object_foreach((json_t *)given, key, v) {
			char *path = xasprintf("fields.%s", key);
			size_t i = 0;
			while (i < n_uses && strcmp(pw->fields[uses[i].field].name, key))
				i++;
			if (i == n_uses) {
				refusal_set(err, "unknown_field", path, "%s is not a field of this step", path);
				refusal_ja(err, "%s はこの操作の項目ではありません", path);
				bad++;
			} else if (json_is_null(v) && !uses[i].required) {
				/* left out */
			} else if (check_field(cfg, &pw->fields[uses[i].field], path, v, today, err)) {
				bad++;
			} else {
				json_object_set(out, key, v);
			}
			free(path);
		}
	}
	for (size_t i = 0; i < n_uses; i++) {
		const char *name = pw->fields[uses[i].field].name;
		const json_t *g = given ? json_object_get(given, name) : NULL;
		if (uses[i].required && (!g || json_is_null(g))) {
			char *path = xasprintf("fields.%s", name);
			refusal_set(err, "missing_field", path, "%s is required", path);
			refusal_ja(err, "%s は必須です", path);
			free(path);
			bad++;
		}
	}
	if (bad) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* Checks a subject; with `partial`, only what is given. Returns a normalised copy, or NULL with every problem. */
static json_t *check_subject(const struct config *cfg, const struct pathway *pw, const json_t *subject,
			     bool partial, date_days today, struct refusal *err)
{
	if (!json_is_object(subject)) {
		refusal_set(err, partial ? "invalid_field" : "missing_field", "subject",
			"subject must be an object with the person's details");
		refusal_ja(err, "subject（本人の情報）をオブジェクトで指定してください");
		return NULL;
	}
	json_t *out = json_object();
	const char *key;
	json_t *v;
	int bad = 0;
	json_object_foreach((json_t *)subject, key, v) {
		char *path = xasprintf("subject.%s", key);
		int f = vocab_lookup(subject_field_names, key);
		int wrong = 0;
		if (f < 0) {
			refusal_set(err, "unknown_field", path, "%s is not a subject field (name, kana, birth_date, sex, phone, area)", path);
			refusal_ja(err, "%s は本人の項目ではありません（name, kana, birth_date, sex, phone, area）", path);
			wrong = 1;
		} else if (json_is_null(v) && !(pw->subject_required & MASK(f)) && f != SUBJECT_NAME &&
			   f != SUBJECT_AREA) {
			/* an optional item cleared */
		} else {
			switch (f) {
			case SUBJECT_NAME:
			case SUBJECT_KANA:
				wrong = cm_check_line(v, path, SUBJECT_TEXT_MAX, err);
				break;
			case SUBJECT_BIRTH_DATE:
				wrong = check_birth_date(v, path, today, err);
				break;
			case SUBJECT_SEX:
				wrong = cm_check_enum(v, path, sexes, table_len(sexes), err);
				break;
			case SUBJECT_PHONE:
				wrong = cm_check_phone(v, path, err);
				break;
			case SUBJECT_AREA:
				if (!json_is_string(v) || !config_find_area(cfg, json_string_value(v))) {
					/* the ids a file or a client writes, with the names people know them by */
					struct buf b, ja;
					buf_init(&b);
					buf_init(&ja);
					for (size_t i = 0; i < cfg->n_areas; i++) {
						buf_printf(&b, "%s%s", i ? ", " : "", cfg->areas[i].id);
						buf_printf(&ja, "%s%s（%s）", i ? "、" : "", cfg->areas[i].id,
							   cfg->areas[i].name.ja ? cfg->areas[i].name.ja : cfg->areas[i].id);
					}
					refusal_set(err, "invalid_field", path, "%s must be one of the areas: %s", path, b.data);
					refusal_ja(err, "%s は次の地区のいずれかで指定してください: %s", path, ja.data);
					buf_release(&b);
					buf_release(&ja);
					wrong = 1;
				}
				break;
			}
		}
		free(path);
		if (wrong)
			bad++;
		else if (f >= 0)
			json_object_set(out, key, v);
	}
	if (!partial)
		for (int f = 0; f < SUBJECT_FIELD_COUNT; f++) {
			bool required = (pw->subject_required & MASK(f)) || f == SUBJECT_NAME || f == SUBJECT_AREA;
			const json_t *v2 = json_object_get(subject, subject_field_names[f]);
			if (required && (!v2 || json_is_null(v2))) {
				char *path = xasprintf("subject.%s", subject_field_names[f]);
				refusal_set(err, "missing_field", path, "%s is required", path);
				refusal_ja(err, "%s は必須です", path);
				free(path);
				bad++;
			}
		}
	if (bad) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* consent.scope: free text, or { recipients: [organisation kinds], text } */
static int check_scope(const json_t *scope, struct refusal *err)
{
	if (json_is_string(scope))
		return cm_check_text(scope, "consent.scope", 1000, err);
	if (!json_is_object(scope)) {
		refusal_set(err, "invalid_field", "consent.scope",
			    "consent.scope must be text, or { recipients: [organisation kinds], text }");
		refusal_ja(err, "consent.scope は文字列か { recipients: [機関の種類], text } で指定してください");
		return -1;
	}
	static const char *const keys[] = { "recipients", "text", NULL };
	if (cm_check_keys(scope, "consent.scope", "a consent's scope", "同意の範囲", keys, err))
		return -1;
	int bad = 0;
	const json_t *rec = json_object_get(scope, "recipients"), *text = json_object_get(scope, "text");
	if (!rec) {
		refusal_set(err, "missing_field", "consent.scope.recipients",
			    "consent.scope.recipients is required: the kinds of organisation the person agreed to");
		refusal_ja(err, "consent.scope.recipients（情報提供に同意した機関の種類）は必須です");
		bad++;
	} else if (!json_is_array(rec) || json_array_size(rec) == 0 || json_array_size(rec) > ORG_KIND_COUNT) {
		refusal_set(err, "invalid_field", "consent.scope.recipients",
			    "consent.scope.recipients must be a list of organisation kinds");
		refusal_ja(err, "consent.scope.recipients は機関の種類の一覧で指定してください");
		bad++;
	} else {
		size_t i;
		json_t *k;
		json_array_foreach(rec, i, k)
			if (cm_check_enum(k, "consent.scope.recipients", org_kind_names, ORG_KIND_COUNT, err))
				bad++;
	}
	if (text && !json_is_null(text) && cm_check_text(text, "consent.scope.text", 1000, err))
		bad++;
	return bad ? -1 : 0;
}

json_t *cm_check_consent(const json_t *consent, date_days today, struct refusal *err)
{
	if (!json_is_object(consent)) {
		refusal_set(err, "invalid_field", "consent", "consent must be an object {obtained_by, obtained_at, method, scope}");
		refusal_ja(err, "consent（同意）は {obtained_by, obtained_at, method, scope} で指定してください");
		return NULL;
	}
	int bad = 0;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)consent, key, v) {
		if (vocab_lookup(consent_field_names, key) < 0) {
			char *path = xasprintf("consent.%s", key);
			refusal_set(err, "unknown_field", path, "%s is not a consent field (obtained_by, obtained_at, method, scope)", path);
			refusal_ja(err, "%s は同意の項目ではありません", path);
			free(path);
			bad++;
		}
	}
	static const char *const order[] = { "obtained_by", "obtained_at", "method", "scope" };
	for (int i = 0; i < 4; i++) {
		char *path = xasprintf("consent.%s", order[i]);
		const json_t *f = json_object_get(consent, order[i]);
		if (!f) {
			refusal_set(err, "missing_field", path, "%s is required", path);
			refusal_ja(err, "%s は必須です", path);
			bad++;
		} else if (i == 0) {
			bad += cm_check_line(f, path, SUBJECT_TEXT_MAX, err) != 0;
		} else if (i == 1) {
			bad += cm_check_date(f, path, today, PW_PAST_DATE, err) != 0;
		} else if (i == 2) {
			bad += cm_check_enum(f, path, consent_methods, 2, err) != 0;
		} else {
			bad += check_scope(f, err) != 0;
		}
		free(path);
	}
	return bad ? NULL : json_deep_copy(consent);
}

bool cm_consent_covers(const struct pathway *pw, const json_t *consent, enum org_kind kind, bool given_with_link)
{
	const json_t *scope = json_object_get(consent, "scope");
	const json_t *rec = json_object_get(scope, "recipients");
	if (!json_is_array(rec))
		/* A scope in words alone covers what the pathway declares (a consent given with a link: that handoff). */
		return given_with_link || (pathway_consent_covers(pw) & MASK(kind));
	size_t i;
	json_t *k;
	json_array_foreach(rec, i, k)
		if (json_is_string(k) && vocab_lookup(org_kind_names, json_string_value(k)) == (int)kind)
			return true;
	return false;
}

char *cm_consent_basis(const struct pathway *pw, const json_t *consent, bool given_with_link)
{
	if (!consent)
		return NULL;
	const json_t *scope = json_object_get(consent, "scope");
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s (%s) obtained by %s at %s; covers: ", given_with_link ? "consent to this handoff" : "consent",
		   json_string_value(json_object_get(consent, "method")),
		   json_string_value(json_object_get(consent, "obtained_by")),
		   json_string_value(json_object_get(consent, "obtained_at")));
	const json_t *rec = json_object_get(scope, "recipients");
	if (json_is_array(rec)) {
		size_t i;
		json_t *k;
		json_array_foreach(rec, i, k)
			buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(k));
	} else if (given_with_link) {
		buf_adds(&b, "this handoff");
	} else {
		kind_mask covers = pathway_consent_covers(pw);
		bool first = true;
		for (int k = 0; k < ORG_KIND_COUNT; k++)
			if (covers & MASK(k)) {
				buf_printf(&b, "%s%s", first ? "" : ", ", org_kind_names[k]);
				first = false;
			}
		buf_printf(&b, " (as pathway %s v%ld declares)", pw->id, pw->version);
	}
	const char *text = json_is_string(scope) ? json_string_value(scope)
						 : json_string_value(json_object_get(scope, "text"));
	if (text)
		buf_printf(&b, "; scope: %s", text);
	return buf_detach(&b);
}

int cm_check_consent_covers(const struct pathway *pw, const json_t *consent, const struct config_org *org,
			    bool given_with_link, struct refusal *err)
{
	if (!consent || cm_consent_covers(pw, consent, org->kind, given_with_link))
		return 0;
	refusal_set(err, "consent_scope", "consent.scope",
		    "the person's consent does not cover handing their details to %s (a %s); record a consent that covers it",
		    org->id, org_kind_names[org->kind]);
	refusal_ja(err, "本人の同意は %s（%s）への情報提供を含んでいません。その提供を含む同意を記録してください", org->name.ja,
		   org_kind_names[org->kind]);
	return -1;
}

/* ---- opening ---------------------------------------------------------------------- */

void cm_open_release(struct cm_open *o)
{
	json_decref(o->subject);
	json_decref(o->consent);
	json_decref(o->fields);
	memset(o, 0, sizeof(*o));
}

static const struct config_org *check_receiver(const struct config *cfg, const struct pathway *pw,
					       const json_t *v, const char *path, const char *area,
					       struct refusal *err)
{
	const struct config_org *o = check_org(cfg, v, path, err);
	if (!o)
		return NULL;
	if (!(pw->receiver_kinds & MASK(o->kind))) {
		refusal_set(err, "invalid_field", path, "%s: organisation %s (%s) cannot receive this pathway's cases",
			path, o->id, org_kind_names[o->kind]);
		refusal_ja(err, "%s: 機関 %s はこのパスの受け手になれません", path, o->id);
		return NULL;
	}
	if (area && o->n_areas) {
		size_t i = 0;
		while (i < o->n_areas && strcmp(o->areas[i], area))
			i++;
		if (i == o->n_areas) {
			refusal_set(err, "invalid_field", path, "%s: organisation %s does not serve area %s",
				path, o->id, area);
			refusal_ja(err, "%s: 機関 %s は地区 %s を担当していません", path, o->id, area);
			return NULL;
		}
	}
	return o;
}

int cm_open(const struct config *cfg, const struct pathway *pw, const struct cm_caller *who,
	    const json_t *body, date_days today, struct cm_open *out, struct refusal *err)
{
	static const char *const keys[] = { "pathway", "subject", "consent", "receiver", "fields", NULL };
	memset(out, 0, sizeof(*out));
	if (!cm_may_open(pw, who)) {
		refusal_set(err, "forbidden", "pathway", "your role or organisation may not open a %s case", pw->id);
		refusal_ja(err, "この役割・機関では %s のケースを開始できません", pw->id);
		return -1;
	}
	/* Every problem of the opening is reported at once: each part is checked even after another failed. */
	int bad = 0;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)body, key, v) {
		if (vocab_lookup(keys, key) < 0) {
			refusal_set(err, "unknown_field", key, "%s is not part of a new case (pathway, subject, consent, receiver, fields)", key);
			refusal_ja(err, "%s はケース開始の項目ではありません", key);
			bad++;
		}
	}
	const json_t *consent = json_object_get(body, "consent");
	if (pw->no_subject) {
		/* a record about no person: its texts are the only place a person's details could go, and the forms warn */
		for (int i = 0; i < 2; i++) {
			const char *part = i ? "consent" : "subject";
			const json_t *given = json_object_get(body, part);
			if (given && !json_is_null(given)) {
				refusal_set(err, "invalid_field", part, "a %s record is about no person: it takes no %s", pw->id,
					    part);
				refusal_ja(err, "%s の記録は個人についての記録ではないため、%s は指定できません", pw->id, part);
				bad++;
			}
		}
	} else if (!(out->subject = check_subject(cfg, pw, json_object_get(body, "subject"), false, today, err))) {
		bad++;
	}
	if (!pw->no_subject && consent && !json_is_null(consent)) {
		if (!(out->consent = cm_check_consent(consent, today, err)))
			bad++;
	} else if (pw->consent_required) {
		refusal_set(err, "missing_field", "consent", "consent is required: who obtained it, when, how and for what");
		refusal_ja(err, "本人の同意（consent）が必要です: 取得者・日時・方法・範囲");
		bad++;
	}
	if (!(out->fields = check_fields(cfg, pw, json_object_get(body, "fields"), pw->open_fields,
					 pw->n_open_fields, today, err)))
		bad++;
	const char *area = out->subject ? json_string_value(json_object_get(out->subject, "area")) : NULL;
	const json_t *receiver = json_object_get(body, "receiver");
	if (receiver && !json_is_null(receiver)) {
		if (!(out->receiver = check_receiver(cfg, pw, receiver, "receiver",
						     pw->receiver_by_area ? area : NULL, err)))
			bad++;
	} else if (pw->receiver_by_area && area) {
		out->receiver = config_route(cfg, pw->id, area);
		if (!out->receiver) {
			refusal_set(err, "invalid_field", "subject.area", "no organisation receives %s cases from area %s", pw->id, area);
			refusal_ja(err, "地区 %s の %s の受け手が設定されていません", area, pw->id);
			bad++;
		}
	}
	/* The person's details pass to the receiver: the consent must cover it. */
	if (out->receiver && out->consent && cm_check_consent_covers(pw, out->consent, out->receiver, false, err))
		bad++;
	if (bad)
		goto fail;
	struct cm_values vals = { pw, out->subject, out->consent, out->fields, NULL, 0 };
	out->state = -1;
	for (size_t i = 0; i < pw->n_start && out->state < 0; i++)
		if (eval_guard(pw->start[i].when, &vals, today))
			out->state = pw->start[i].target;
	return 0;
fail:
	cm_open_release(out);
	return -1;
}

bool cm_eligible(const struct pathway *pw, const struct cm_open *o, date_days today)
{
	struct cm_values vals = { pw, o->subject, o->consent, o->fields, NULL, 0 };
	return eval_guard(pw->eligibility, &vals, today);
}

/* ---- actions ---------------------------------------------------------------------- */

void cm_step_release(struct cm_step *s)
{
	json_decref(s->fields);
	json_decref(s->given);
	memset(s, 0, sizeof(*s));
}

int cm_act(const struct config *cfg, const struct pathway *pw, const struct case_record *c,
	   const json_t *subject, const struct cm_caller *who, party_mask parties, const char *name,
	   const json_t *input, date_days today, struct cm_step *out, struct refusal *err)
{
	memset(out, 0, sizeof(*out));
	int id = pathway_action_id(pw, name);
	int state = pathway_state_index(pw, c->state);
	const struct pw_action *a = id >= 0 ? pathway_transition(pw, state, id) : NULL;
	/*
	 * A resource provider does not see the pathway or the state: whatever stops
	 * its action, it hears one refusal that names neither.
	 */
	if (cm_provider_only(parties) && !(a && pathway_action_permits(a, who->roles, parties))) {
		refusal_set(err, "forbidden", "action", "a resource provider takes no action on this case");
		refusal_ja(err, "社会資源の提供機関はこのケースを操作できません");
		return -1;
	}
	if (id < 0) {
		refusal_set(err, "unknown_action", "action", "pathway %s has no action '%s'", pw->id, name);
		refusal_ja(err, "パス %s に操作 '%s' はありません", pw->id, name);
		return -1;
	}
	if (!a) {
		refusal_set(err, "action_not_available", "action", "'%s' is not possible while the case is %s",
			name, c->state);
		refusal_ja(err, "ケースが「%s」の間は '%s' はできません",
			   state >= 0 ? pw->states[state].title.ja : c->state, name);
		return -1;
	}
	if (!pathway_action_permits(a, who->roles, parties)) {
		refusal_set(err, "forbidden", "action", "your role or side of the case may not take '%s'", name);
		refusal_ja(err, "この役割・立場では '%s' を行えません", name);
		return -1;
	}
	struct cm_values vals = { pw, subject, c->consent, c->fields, c->links, c->links_open };
	if (!eval_guard(a->guard, &vals, today)) {
		refusal_set(err, "action_not_available", "action", "'%s' is not possible now: %s", name,
			expr_source(a->guard));
		refusal_ja(err, "今は '%s' を行えません（条件: %s）", name, expr_source(a->guard));
		return -1;
	}
	if (input && !json_is_object(input)) {
		refusal_set(err, "invalid_field", "", "the body must be an object {\"fields\": {...}}");
		refusal_ja(err, "本文は {\"fields\": {...}} の形で送ってください");
		return -1;
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)input, key, v) {
		if (strcmp(key, "fields")) {
			refusal_set(err, "unknown_field", key, "%s is not part of an action body (fields)", key);
			refusal_ja(err, "%s は操作の項目ではありません", key);
			return -1;
		}
	}
	json_t *given = check_fields(cfg, pw, input ? json_object_get(input, "fields") : NULL, a->fields,
				     a->n_fields, today, err);
	if (!given)
		return -1;
	for (size_t i = 0; i < a->n_sets; i++) {
		const struct pw_setting *set = &a->sets[i];
		json_t *val = NULL;
		char day[11];
		switch (set->value.type) {
		case EXPR_T_BOOL: val = json_boolean(set->value.u.b); break;
		case EXPR_T_INT: val = json_integer(set->value.u.i); break;
		case EXPR_T_DATE: date_format(set->value.u.d, day); val = json_string(day); break;
		default: val = json_string(set->value.u.s); break;
		}
		json_object_set_new(given, pw->fields[set->field].name, val);
	}
	if (a->changes_receiver) {
		const json_t *r = json_object_get(given, "receiver");
		out->new_receiver = check_receiver(cfg, pw, r, "fields.receiver",
						   pw->receiver_by_area ? c->area : NULL, err);
		/* The person's details pass to the new receiver: the case's consent must cover it. */
		if (!out->new_receiver || cm_check_consent_covers(pw, c->consent, out->new_receiver, false, err)) {
			out->new_receiver = NULL;
			json_decref(given);
			return -1;
		}
	}
	if (a->reroutes) {
		/* back to the receiver the routing names for the case's area (a triage's owner) */
		out->new_receiver = c->area ? config_route(cfg, pw->id, c->area) : NULL;
		if (!out->new_receiver) {
			refusal_set(err, "action_not_available", NULL, "no organisation receives %s cases from area %s", pw->id,
				    c->area ? c->area : "(none)");
			refusal_ja(err, "地区 %s の %s の受け手が設定されていません", c->area ? c->area : "（なし）", pw->id);
			json_decref(given);
			return -1;
		}
		if (cm_check_consent_covers(pw, c->consent, out->new_receiver, false, err)) {
			out->new_receiver = NULL;
			json_decref(given);
			return -1;
		}
	}
	out->action = a;
	out->target = a->target;
	out->given = given;
	out->fields = json_deep_copy(c->fields);
	json_object_update(out->fields, given);
	const struct pw_state *to = &pw->states[a->target];
	if (to->final) {
		if (to->outcome)
			out->outcome = to->outcome;
		else
			out->outcome = json_string_value(json_object_get(out->fields, pw->fields[to->outcome_field].name));
		if (!out->outcome) {
			const char *fname = pw->fields[to->outcome_field].name;
			char *path = xasprintf("fields.%s", fname);
			refusal_set(err, "missing_field", path, "%s is required to close the case", path);
			refusal_ja(err, "ケースを終結するには %s が必要です", path);
			free(path);
			cm_step_release(out);
			return -1;
		}
	}
	return 0;
}

json_t *cm_correct_subject(const struct config *cfg, const struct pathway *pw, const json_t *current,
			   const json_t *patch, date_days today, struct refusal *err)
{
	json_t *checked = check_subject(cfg, pw, patch, true, today, err);
	if (!checked)
		return NULL;
	if (json_object_size(checked) == 0) {
		json_decref(checked);
		refusal_set(err, "missing_field", "subject", "send at least one subject field to correct");
		refusal_ja(err, "訂正する本人の項目を 1 つ以上指定してください");
		return NULL;
	}
	json_t *merged = json_deep_copy(current);
	const char *key;
	json_t *v;
	json_object_foreach(checked, key, v) {
		if (json_is_null(v))
			json_object_del(merged, key);
		else
			json_object_set(merged, key, v);
	}
	json_decref(checked);
	/* The result must still satisfy the pathway. */
	json_t *whole = check_subject(cfg, pw, merged, false, today, err);
	json_decref(merged);
	return whole;
}

/* ---- assignment, notes and corrections ------------------------------------------------ */

int cm_check_assign(const struct pathway *pw, const struct case_record *c, party_mask parties, struct refusal *err)
{
	if (!(parties & MASK(PARTY_RECEIVER))) {
		refusal_set(err, "forbidden", NULL, "only the receiving organisation assigns its cases");
		refusal_ja(err, "担当者を決められるのは受け手の機関だけです");
		return -1;
	}
	if (cm_closed(pw, c)) {
		refusal_set(err, "action_not_available", NULL, "the case has ended");
		refusal_ja(err, "ケースは終了しています");
		return -1;
	}
	return 0;
}

int cm_check_assign_body(const json_t *body, const char **user, struct refusal *err)
{
	static const char *const keys[] = { "user", NULL };
	if (cm_check_keys(body, NULL, "an assignment", "担当", keys, err))
		return -1;
	const json_t *u = json_object_get(body, "user");
	if (!u) {
		refusal_set(err, "missing_field", "user", "user is required (a user id, or null to unassign)");
		refusal_ja(err, "user（担当者の ID、解除は null）は必須です");
		return -1;
	}
	if (!json_is_null(u) && !json_is_string(u)) {
		refusal_set(err, "invalid_field", "user", "user must be an active user of the receiving organisation");
		refusal_ja(err, "user には受け手の機関の有効な利用者を指定してください");
		return -1;
	}
	*user = json_string_value(u);
	return 0;
}

/* A purged case accepts nothing; a closed one nothing but what the caller says. */
static int refuse_closed(const struct pathway *pw, const struct case_record *c, const char *what, const char *what_ja,
			 struct refusal *err)
{
	if (c->purged_at) {
		refusal_set(err, "case_purged", NULL, "the person's data of this case was erased; it accepts nothing more");
		refusal_ja(err, "このケースの個人情報は消去済みです。これ以上の記録はできません");
		return -1;
	}
	if (cm_closed(pw, c)) {
		refusal_set(err, "case_closed", NULL, "the case has ended: %s", what);
		refusal_ja(err, "ケースは終了しています: %s", what_ja);
		return -1;
	}
	return 0;
}

bool cm_note_visible(const char *visibility, const char *author_org, const struct cm_caller *who)
{
	if (visibility && !strcmp(visibility, "parties"))
		return true;
	return author_org && who->org && !strcmp(author_org, who->org->id);
}

int cm_check_note(const struct pathway *pw, const struct case_record *c, party_mask parties, bool personal,
		  struct refusal *err)
{
	(void)parties;
	if (!personal) {
		refusal_set(err, "forbidden", NULL, "notes are for the organisations working on the case");
		refusal_ja(err, "メモはケースを担当する機関のみ書けます");
		return -1;
	}
	return refuse_closed(pw, c, "no more notes", "メモは追加できません", err);
}

int cm_check_note_body(const json_t *body, const char **text_out, const char **visibility_out, struct refusal *err)
{
	static const char *const keys[] = { "text", "visibility", NULL };
	if (cm_check_keys(body, NULL, "a note", "メモ", keys, err))
		return -1;
	const json_t *text = json_object_get(body, "text");
	const json_t *vis = json_object_get(body, "visibility");
	const char *visibility = vis ? json_string_value(vis) : "organisation";
	if (!text) {
		refusal_set(err, "missing_field", "text", "text is required");
		refusal_ja(err, "text（本文）は必須です");
		return -1;
	}
	if (check_text(text, "text", CM_NOTE_MAX, false, err))
		return -1;
	if (!visibility || (strcmp(visibility, "organisation") && strcmp(visibility, "parties"))) {
		refusal_set(err, "invalid_field", "visibility", "visibility must be organisation or parties");
		refusal_ja(err, "visibility は organisation か parties で指定してください");
		return -1;
	}
	*text_out = json_string_value(text);
	*visibility_out = visibility;
	return 0;
}

int cm_check_correct(const struct pathway *pw, const struct case_record *c, party_mask parties, role_mask roles,
		     bool reason_given, struct refusal *err)
{
	if (!(parties & (MASK(PARTY_ORIGIN) | MASK(PARTY_RECEIVER)))) {
		refusal_set(err, "forbidden", NULL, "only the referring and receiving organisations correct the person's details");
		refusal_ja(err, "本人の情報を訂正できるのは紹介元と受け手の機関だけです");
		return -1;
	}
	if (c->purged_at || !cm_closed(pw, c))
		return refuse_closed(pw, c, "", "", err);
	/* The person's right to correction (APPI art. 34) outlives the case: the receiver's admin, with a reason. */
	if (!(parties & MASK(PARTY_RECEIVER)) || !(roles & MASK(ROLE_ADMIN)))
		return refuse_closed(pw, c, "only the receiving organisation's admin corrects its record, with a reason",
				     "訂正は受け手の機関の管理者が理由を添えて行います", err);
	if (!reason_given) {
		refusal_set(err, "missing_field", "reason",
			    "reason is required to correct the record of a closed case (e.g. the person's request)");
		refusal_ja(err, "終了したケースの訂正には reason（理由。例: 本人からの訂正の求め）が必要です");
		return -1;
	}
	return 0;
}
