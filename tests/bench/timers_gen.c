/*
 * Fills a database for the timer benchmark: N open pharmacy cases in state
 * `referred`, each with one pending timer far in the future, and D more cases
 * whose timer falls due at one instant. With --raw it instead fires those D
 * timers straight through the store (the baseline: the same rows, no daemon).
 */
#include "store.h"
#include "token.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(struct store *s, const char *what)
{
	fprintf(stderr, "timers_gen: %s: %s\n", what, s ? store_errmsg(s) : "");
	exit(1);
}

static char last_case[32];
/* the version of pathways/pharmacy.yaml the daemon loads (TSUNAGU_PATHWAY_VERSION): cases of a version it
 * neither loads nor has published would find no timer to fire */
static long pathway_version = 1;
/* the reports' summary of each case, as the daemon writes with its first event (--history leaves it to the
 * daemon's first start, which summarises the cases from the events written after) */
static bool write_summaries = true;

static void add_case(struct store *s, json_t *subject, json_t *fields, clock_us opened, clock_us due)
{
	struct case_record c = {
		.id = token_new_id("c_"), .pathway = "pharmacy", .pathway_version = pathway_version, .state = "referred",
		.version = 1, .origin_org = "pharmacy-hamayuri", .origin_user = "u_bench",
		.receiver_org = "support-centre", .subject_id = token_new_id("s_"), .fields = fields,
		.opened_at = opened, .updated_at = opened, .area = "unosumai", .inbox = PARTY_RECEIVER,
	};
	char payload[] = "\x81\xa6" "fields" "\x80";
	struct store_event ev = { .id = token_new_id("e_"), .case_id = c.id, .at = opened, .actor_user = "u_bench",
				  .actor_org = "pharmacy-hamayuri", .action = "open", .to_state = "referred",
				  .case_version = 1, .payload = payload, .payload_len = sizeof(payload) - 1 };
	if (store_subject_insert(s, c.subject_id, subject, opened) || store_case_insert(s, &c) ||
	    store_event_append(s, &ev) || store_timer_add(s, c.id, "referred", "accept_reminder", due, opened) ||
	    (write_summaries && store_summary_put(s, c.id, &(struct store_summary){ 0 })))
		die(s, "insert");
	snprintf(last_case, sizeof(last_case), "%s", c.id);
	free(c.id);
	free(c.subject_id);
	free(ev.id);
}

struct raw_ctx {
	struct store *s;
	clock_us now;
	int fired;
};

/* The baseline: what firing a reminder writes (timer done, event, outbox row). */
static int raw_fire(void *ctx, const struct store_timer *t)
{
	struct raw_ctx *r = ctx;
	char payload[] = "\x82\xa5" "timer" "\xaf" "accept_reminder" "\xa8" "template" "\xaf" "accept_reminder";
	char *id = token_new_id("e_");
	struct store_event ev = { .id = id, .case_id = t->case_id, .at = r->now, .action = "timer",
				  .from_state = "referred", .to_state = "referred", .case_version = 1,
				  .payload = payload, .payload_len = sizeof(payload) - 1 };
	if (store_timer_done(r->s, t->id, r->now, true) || store_event_append(r->s, &ev) ||
	    store_outbox_add(r->s, &(struct store_notification){ .case_id = t->case_id, .event_seq = ev.seq,
			.party = "receiver", .org = "support-centre", .template_name = "accept_reminder",
			.channel = "log", .state = "referred", .created_at = r->now }) ||
	    store_summary_note(r->s, t->case_id, MILESTONE_NONE, r->now, 1, 0) < 0)
		die(r->s, "fire");
	free(id);
	r->fired++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: timers_gen DB N_FAR N_DUE DUE_US [--raw|--outbox|--history]\n");
		return 2;
	}
	char *err = NULL;
	struct store *s;
	long n_far = atol(argv[2]), n_due = atol(argv[3]);
	if (getenv("TSUNAGU_PATHWAY_VERSION"))
		pathway_version = atol(getenv("TSUNAGU_PATHWAY_VERSION"));
	clock_us due = atoll(argv[4]);
	if (store_open(argv[1], STORE_CREATE, &s, NULL, &err)) {
		fprintf(stderr, "timers_gen: %s\n", err);
		return 1;
	}
	if (argc > 5 && !strcmp(argv[5], "--outbox")) {
		json_t *subject = json_pack("{s:s, s:s, s:s}", "name", "釜石 花子", "birth_date", "1948-03-02", "area", "unosumai");
		json_t *fields = json_pack("{s:s}", "concern", "isolation");
		for (long i = 0; i < n_due; i += 5000) {
			if (store_begin(s))
				die(s, "begin");
			for (long k = i; k < n_due && k < i + 5000; k++) {
				add_case(s, subject, fields, due, due + (clock_us)365 * 86400 * 1000000);
				struct store_notification n = { .case_id = last_case, .event_seq = k + 1, .party = "receiver",
					.org = "support-centre", .template_name = "referral_received", .channel = "hook",
					.state = "referred", .created_at = due };
				if (store_outbox_add(s, &n))
					die(s, "outbox");
			}
			if (store_commit(s))
				die(s, "commit");
		}
		json_decref(subject);
		json_decref(fields);
		store_close(s);
		return 0;
	}
	if (argc > 5 && !strcmp(argv[5], "--history")) {
		/* n_due cases across a year, each walked from referral to closing: ten events a case */
		write_summaries = false;
		static const char *const steps[][2] = {
			{ "accept", "accepted" }, { "timer", "accepted" }, { "record_contact", "contacted" },
			{ "note", "contacted" }, { "link", "linked" }, { "timer", "linked" }, { "send_feedback", "feedback_sent" },
			{ "note", "feedback_sent" }, { "close", "closed" },
		};
		json_t *subject = json_pack("{s:s, s:s, s:s}", "name", "釜石 花子", "birth_date", "1948-03-02", "area", "unosumai");
		json_t *fields = json_pack("{s:s, s:s}", "concern", "isolation", "outcome", "linked");
		char payload[] = "\x81\xa6" "fields" "\x80";
		for (long i = 0; i < n_due; i += 2000) {
			if (store_begin(s))
				die(s, "begin");
			for (long k = i; k < n_due && k < i + 2000; k++) {
				clock_us opened = due + (clock_us)(k % 365) * 86400 * 1000000;
				add_case(s, subject, fields, opened, opened + (clock_us)400 * 86400 * 1000000);
				for (size_t e = 0; e < sizeof(steps) / sizeof(steps[0]); e++) {
					char *id = token_new_id("e_");
					struct store_event ev = { .id = id, .case_id = last_case,
						.at = opened + (clock_us)(e + 1) * 2 * 86400 * 1000000, .actor_user = "u_bench",
						.actor_org = "support-centre", .action = (char *)steps[e][0],
						.from_state = "referred", .to_state = (char *)steps[e][1], .case_version = 1,
						.payload = payload, .payload_len = sizeof(payload) - 1 };
					if (store_event_append(s, &ev))
						die(s, "event");
					free(id);
				}
				/* two links to resources of the demo directory, in every status */
				for (int l = 0; l < 2; l++) {
					static const char *const res[] = { "demo-cafe-unosumai", "demo-taiso-heita", "demo-team-orange",
									   "demo-health-consult", "demo-life-support-coordinator",
									   "demo-meals" };
					static const char *const status[] = { "joined", "declined", "ended", "proposed" };
					int st = (int)((k + l) % 4);
					char on[11];
					date_format(date_from_ymd(2026, 4, 1) + (date_days)(k % 365) + 6, on);
					char *lid = token_new_id("l_");
					struct link_record link = {
						.id = lid, .case_id = last_case, .resource_id = (char *)res[(k * 2 + l) % 6],
						.provider_org = "cafe-tsunagaru", .status = (char *)status[st], .proposed_on = on,
						.joined_on = st == 0 || st == 2 ? on : NULL, .declined_on = st == 1 ? on : NULL,
						.ended_on = st == 2 ? on : NULL, .created_by = "u_bench", .created_org = "support-centre",
						.created_at = opened + (clock_us)6 * 86400 * 1000000,
						.updated_at = opened + (clock_us)6 * 86400 * 1000000,
					};
					if (store_link_insert(s, &link))
						die(s, "link");
					free(lid);
				}
			}
			if (store_commit(s))
				die(s, "commit");
		}
		json_decref(subject);
		json_decref(fields);
		store_close(s);
		return 0;
	}
	if (argc > 5 && !strcmp(argv[5], "--raw")) {
		struct raw_ctx r = { s, due, 0 };
		double t0 = now_s();
		while (r.fired < n_due) {
			int before = r.fired;
			if (store_begin(s) || store_timers_due(s, due, 200, raw_fire, &r) || store_commit(s))
				die(s, "raw batch");
			if (r.fired == before)
				break;
		}
		printf("raw_fire_seconds %.3f\nraw_fired %d\n", now_s() - t0, r.fired);
		store_close(s);
		return 0;
	}
	json_t *subject = json_pack("{s:s, s:s, s:s}", "name", "釜石 花子", "birth_date", "1948-03-02", "area", "unosumai");
	json_t *fields = json_pack("{s:s}", "concern", "isolation");
	clock_us opened = due - (clock_us)86400 * 1000000;
	clock_us far = due + (clock_us)365 * 86400 * 1000000;
	long total = n_far + n_due;
	for (long i = 0; i < total; i += 5000) {
		if (store_begin(s))
			die(s, "begin");
		for (long k = i; k < total && k < i + 5000; k++)
			add_case(s, subject, fields, opened, k < n_due ? due : far + k);
		if (store_commit(s))
			die(s, "commit");
	}
	json_decref(subject);
	json_decref(fields);
	store_close(s);
	return 0;
}
