/*
 * The storage baseline of `make bench`: the rows one referral writes (subject,
 * case, event and payload, outbox, provision, access log) committed straight
 * through the store with synchronous=FULL, with no HTTP, JSON or checks on top.
 * Prints referrals/s for one per commit and for batches (group commit); then,
 * over the cases written, what a read does in the store (the case, its
 * access-log row) and what a page of an inbox does (20 cases of the
 * organisation, each one's subject and access-log row), in batches too.
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

static int one_referral(struct store *s, json_t *subject, json_t *fields, clock_us at, char **id_out)
{
	struct case_record c = {
		.id = token_new_id("c_"), .pathway = "pharmacy", .pathway_version = 1, .state = "referred",
		.version = 1, .origin_org = "pharmacy-hamayuri", .origin_user = "u_bench",
		.receiver_org = "support-centre", .subject_id = token_new_id("s_"), .fields = fields,
		.opened_at = at, .updated_at = at, .area = "unosumai", .inbox = PARTY_RECEIVER,
	};
	char payload[] = "\x81\xa6" "fields" "\x80";
	struct store_event ev = { .id = token_new_id("e_"), .case_id = c.id, .at = at, .actor_user = "u_bench",
				  .actor_org = "pharmacy-hamayuri", .action = "open", .to_state = "referred",
				  .case_version = 1, .payload = payload, .payload_len = sizeof(payload) - 1 };
	int rc = store_subject_insert(s, c.subject_id, subject, at) || store_case_insert(s, &c) ||
		 store_event_append(s, &ev) ||
		 store_outbox_add(s, &(struct store_notification){ .case_id = c.id, .event_seq = ev.seq,
			.party = "receiver", .org = "support-centre", .template_name = "referral_received",
			.channel = "log", .state = "referred", .created_at = at }) ||
		 store_provision_add(s, at, c.id, c.subject_id, "pharmacy-hamayuri", "support-centre",
				     "subject.name,subject.birth_date", "consent", ev.seq) ||
		 store_access_add(s, at, "u_bench", "pharmacy-hamayuri", c.id, c.subject_id, "case.open") ||
		 store_summary_put(s, c.id, &(struct store_summary){ 0 });
	if (id_out)
		*id_out = c.id;
	else
		free(c.id);
	free(c.subject_id);
	free(ev.id);
	return rc;
}

#define PAGE 20

struct page {
	struct store *s;
	int n;
	clock_us at;
	int failed;
};

static int page_one(void *ctx, struct case_record *c)
{
	struct page *p = ctx;
	json_t *subject = store_subject_get(p->s, c->subject_id);
	p->failed |= !subject || store_access_add(p->s, p->at, "u_bench", "support-centre", c->id, c->subject_id,
						  "case.list");
	json_decref(subject);
	return ++p->n == PAGE;
}

/* Reads (PAGE == 0: one case and its access-log row each) or inbox pages, batch per commit: per second. */
static double run_reads(struct store *s, char **ids, int total, int batch, bool pages)
{
	double t0 = now_s();
	for (int i = 0; i < total; i += batch) {
		if (store_begin(s))
			exit(1);
		for (int k = 0; k < batch && i + k < total; k++) {
			clock_us at = (clock_us)(i + k) * 1000;
			if (pages) {
				struct page p = { s, 0, at, 0 };
				/* the query of GET /v1/cases?inbox=org for the centre's nurse */
				struct store_case_filter f = { .org = "support-centre", .open = -1, .overdue = -1,
							       .inbox = STORE_INBOX_ORG, .inbox_org = "support-centre",
							       .inbox_user = "u_bench" };
				if (store_cases_list(s, &f, page_one, &p) || p.failed || p.n != PAGE)
					exit(1);
				continue;
			}
			struct case_record c = { 0 };
			if (store_case_get(s, ids[i + k], &c) ||
			    store_access_add(s, at, "u_bench", "support-centre", c.id, c.subject_id, "case.read"))
				exit(1);
			case_record_release(&c);
		}
		if (store_commit(s))
			exit(1);
	}
	return total / (now_s() - t0);
}

static double run(const char *path, int total, int batch, char **ids, double *reads, double *pages)
{
	char *err = NULL;
	struct store *s;
	remove(path);
	if (store_open(path, STORE_CREATE, &s, NULL, &err)) {
		fprintf(stderr, "sqlite_rows: %s\n", err);
		exit(1);
	}
	json_t *subject = json_pack("{s:s, s:s, s:s}", "name", "釜石 花子", "birth_date", "1948-03-02", "area", "unosumai");
	json_t *fields = json_pack("{s:s}", "concern", "isolation");
	double t0 = now_s();
	for (int i = 0; i < total; i += batch) {
		if (store_begin(s))
			exit(1);
		for (int k = 0; k < batch; k++)
			if (one_referral(s, subject, fields, (clock_us)i * 1000 + k, ids ? &ids[i + k] : NULL))
				exit(1);
		if (store_commit(s))
			exit(1);
	}
	double rate = total / (now_s() - t0);
	if (ids) {
		*reads = run_reads(s, ids, total, batch, false);
		*pages = run_reads(s, ids, total / 10, batch, true);
	}
	json_decref(subject);
	json_decref(fields);
	store_close(s);
	return rate;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	int batch = argc > 2 ? atoi(argv[2]) : 32;
	char *path = xasprintf("%s/bench-sqlite.db", dir);
	enum { TOTAL = 20000 };
	char **ids = xcalloc(TOTAL, sizeof(*ids));
	double reads = 0, pages = 0;
	double single = run(path, 2000, 1, NULL, NULL, NULL);
	double grouped = run(path, TOTAL - TOTAL % batch, batch, ids, &reads, &pages);
	printf("sqlite_one_per_commit %.0f\n", single);
	printf("sqlite_group_commit %.0f\n", grouped);
	printf("sqlite_reads %.0f\n", reads);
	printf("sqlite_inbox_pages %.0f\n", pages);
	for (int i = 0; i < TOTAL; i++)
		free(ids[i]);
	free(ids);
	free(path);
	return 0;
}
