/* Unit tests of pathway_diff: what changed between two versions, by name, as a coordinator reads it. */
#include "test.h"

#include "diag.h"
#include "pathway.h"
#include "pathway_diff.h"
#include "util.h"

#include <stdlib.h>

static char *read_shipped(const char *name)
{
	char *path = xasprintf("%s/pathways/%s.yaml", test_root, name);
	size_t len = 0;
	char *text = read_file(path, &len);
	CHECK(text != NULL);
	free(path);
	return text;
}

/* The text with the first `from` replaced by `to` (caller frees). */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	CHECK(at != NULL);
	return xasprintf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static struct pathway *compile(const char *text)
{
	struct diag d;
	diag_init(&d);
	struct pathway *pw = pathway_compile("pharmacy.yaml", text, strlen(text), &d);
	if (d.n)
		diag_print(&d, stdout);
	CHECK(pw != NULL && d.n == 0);
	diag_release(&d);
	return pw;
}

/* The entry of a list named `name`, or NULL. */
static json_t *named(json_t *list, const char *name)
{
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "name")), name))
			return e;
	return NULL;
}

static bool says(json_t *e, const char *what)
{
	size_t i;
	json_t *w;
	json_array_foreach(json_object_get(e, "what"), i, w)
		if (!strcmp(json_string_value(w), what))
			return true;
	return false;
}

TEST(pathway_diff_names_what_changed_between_versions)
{
	char *v2 = read_shipped("pharmacy");
	char *a = replaced(v2, "accept_reminder, after: 2 business_days", "accept_reminder, after: 3 business_days");
	char *b = replaced(a, "受付遅延（コーディネーターへ報告済み）", "受付遅延");
	char *c = replaced(b, "        requires: [linked_summary]\n", "        requires: [linked_summary, follow_up_note]\n");
	struct pathway *old = compile(v2), *now = compile(c);
	json_t *d = pathway_diff(old, now);
	json_t *timer = named(json_object_get(d, "timers"), "referred.accept_reminder");
	CHECK(timer && !strcmp(json_string_value(json_object_get(timer, "change")), "changed") && says(timer, "after"));
	json_t *state = named(json_object_get(d, "states"), "escalated");
	CHECK(state && says(state, "title") && !says(state, "inbox"));
	json_t *link = named(json_object_get(d, "actions"), "contacted.link");
	CHECK(link && says(link, "requires") && !says(link, "to"));
	CHECK_INT(json_array_size(json_object_get(d, "fields")), 0);
	CHECK(named(json_object_get(d, "actions"), "referred.accept") == NULL);  /* unchanged: not listed */
	json_decref(d);
	/* a version compared with itself: nothing */
	d = pathway_diff(old, old);
	CHECK_INT(json_array_size(json_object_get(d, "states")) + json_array_size(json_object_get(d, "actions")) +
			  json_array_size(json_object_get(d, "timers")) + json_array_size(json_object_get(d, "fields")),
		  0);
	json_decref(d);
	/* removed and added */
	char *e = replaced(v2, "  follow_up_note:\n", "  follow_up_memo:\n");
	char *e2 = xasprintf("%s", e);
	free(e);
	pathway_free(now);
	struct diag dd;
	diag_init(&dd);
	now = pathway_compile("pharmacy.yaml", e2, strlen(e2), &dd);
	if (now) {
		d = pathway_diff(old, now);
		json_t *gone = named(json_object_get(d, "fields"), "follow_up_note");
		json_t *came = named(json_object_get(d, "fields"), "follow_up_memo");
		CHECK(gone && !strcmp(json_string_value(json_object_get(gone, "change")), "removed"));
		CHECK(came && !strcmp(json_string_value(json_object_get(came, "change")), "added"));
		json_decref(d);
	}
	diag_release(&dd);
	free(e2);
	pathway_free(old);
	pathway_free(now);
	free(v2);
	free(a);
	free(b);
	free(c);
}

TEST(pathway_diff_names_the_rules_that_changed)
{
	char *v1 = read_shipped("health-checkup");
	char *a = replaced(v1, "age(subject.birth_date, checkup_date) >= 75 or needs_support",
			   "age(subject.birth_date, checkup_date) >= 70 or needs_support");
	char *b = replaced(a, "roles: [checkup_staff]", "roles: [checkup_staff, nurse]");
	struct pathway *old = compile(v1), *now = compile(b);
	json_t *d = pathway_diff(old, now);
	json_t *rules = json_object_get(d, "rules");
	json_t *e = named(rules, "eligibility");
	CHECK(e && !strcmp(json_string_value(json_object_get(e, "change")), "changed"));
	CHECK(named(rules, "opened_by") != NULL);
	CHECK(named(rules, "consent") == NULL && named(rules, "start") == NULL);  /* unchanged: not listed */
	json_decref(d);
	d = pathway_diff(old, old);
	CHECK_INT(json_array_size(json_object_get(d, "rules")), 0);
	json_decref(d);
	pathway_free(old);
	pathway_free(now);
	free(v1);
	free(a);
	free(b);
}
