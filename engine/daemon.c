/*
 * daemon — start-up checks, the loop and an orderly stop. The loop runs one
 * turn at a time (EVLOOP_ONCE) and ends every turn with the group commit, so
 * replies never wait for more than the turn they arrived in.
 */
#include "daemon.h"
#include "hsds.h"
#include "accounts.h"
#include "cli.h"
#include "httpd.h"
#include "timers.h"
#include "dispatch.h"
#include "store.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct daemon {
	struct event_base *base;
	struct httpd *httpd;
	struct store *store;
	bool stop;
	bool wrote_since_checkpoint;
};

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	fprintf(stderr, "tsunagu: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	d->stop = true;
	event_base_loopbreak(d->base);
}

/* Checkpoints the WAL outside of any request's commit (PERFORMANCE.md: checkpoints drive tail latency). */
static void on_checkpoint(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	if (d->wrote_since_checkpoint && !store_in_transaction(d->store)) {
		store_checkpoint(d->store);
		d->wrote_since_checkpoint = false;
	}
}

/* Records every loaded pathway version; a changed file must carry a new version number. */
static int register_pathways(struct store *s, const struct config *cfg, clock_us now)
{
	if (store_begin(s)) {
		fprintf(stderr, "tsunagu: cannot write to the database: %s\n", store_errmsg(s));
		return -1;
	}
	for (size_t i = 0; i < cfg->pathways.n; i++) {
		const struct pathway *pw = cfg->pathways.items[i];
		size_t len;
		char *source = read_file(pw->file, &len);
		if (!source) {
			fprintf(stderr, "tsunagu: cannot read %s: %s\n", pw->file, strerror(errno));
			store_rollback(s);
			return -1;
		}
		int rc = store_pathway_register(s, pw->id, pw->version, pw->digest, source, now);
		free(source);
		if (rc) {
			if (rc > 0)
				fprintf(stderr, "%s: error: pathway '%s' version %ld is already in use with other content; "
					"raise 'version' to publish a change (running cases keep the version they started with)\n",
					pw->file, pw->id, pw->version);
			store_rollback(s);
			return -1;
		}
	}
	return store_commit(s);
}

/* A new database starts with the configured directory (the demo's fictional one, say). */
static int seed_directory(struct store *s, const struct config *cfg, const struct clock *clk)
{
	if (!cfg->resources_seed)
		return 0;
	int64_t n = store_resources_count(s);
	if (n != 0) {
		if (n < 0)
			fprintf(stderr, "tsunagu: cannot read the resource directory: %s\n", store_errmsg(s));
		return n < 0 ? -1 : 0;
	}
	struct diag d;
	struct hsds_result res;
	diag_init(&d);
	clock_us now = clock_now(clk);
	int rc = hsds_import_file(s, cfg, cfg->resources_seed, clock_local_date(clk, now), "seed", now, &res, &d);
	diag_print(&d, stderr);
	diag_release(&d);
	if (rc)
		fprintf(stderr, "tsunagu: the resource directory's seed %s was not imported\n", cfg->resources_seed);
	else
		fprintf(stderr, "tsunagu: resource directory: %d resources from %s\n", res.created, cfg->resources_seed);
	return rc;
}

static int issue_demo_tokens(struct store *s, const struct config *cfg, const struct clock *clk)
{
	if (!cfg->n_demo_users) {
		fprintf(stderr, "tsunagu: --demo-tokens: the config has no demo_users\n");
		return -1;
	}
	clock_us now = clock_now(clk);
	printf("\nDemo tokens (new on every start; the old ones stop working):\n");
	for (size_t i = 0; i < cfg->n_demo_users; i++) {
		const struct config_demo_user *u = &cfg->demo_users[i];
		struct store_user found = { 0 };
		char *token = NULL, *err = NULL, *id = NULL;
		int rc = store_user_find_by_name(s, u->org, u->name, &found);
		if (rc == 0)
			rc = accounts_reissue(s, found.id, 0, now, &token, &err);
		else if (rc > 0)
			rc = accounts_add(s, cfg, u->org, u->name, u->roles, 0, now, &id, &token, &err);
		if (rc) {
			fprintf(stderr, "tsunagu: demo user %s: %s\n", u->name, err ? err : store_errmsg(s));
			free(err);
			store_user_release(&found);
			return -1;
		}
		struct buf roles;
		buf_init(&roles);
		for (int r = 0; r < ROLE_COUNT; r++)
			if (u->roles & MASK(r))
				buf_printf(&roles, "%s%s", roles.len ? "," : "", role_names[r]);
		printf("  %-14s %-18s %-24s %s\n", roles.data, u->org, u->name, token);
		buf_release(&roles);
		store_user_release(&found);
		free(token);
		free(id);
	}
	fflush(stdout);
	return 0;
}

int daemon_run(struct config *cfg, const struct daemon_options *opts)
{
	struct clock clk;
	struct calendar cal;
	struct daemon d = { 0 };
	struct app app = { .cfg = cfg, .clock = &clk, .cal = &cal };
	struct timers *timers = NULL;
	struct dispatch *dispatch = NULL;
	char *err = NULL;
	int rc = EXIT_RUNTIME;
	struct event *sigint = NULL, *sigterm = NULL, *checkpoint = NULL;

	if (clock_init(&clk, cfg->calendar.time_zone)) {
		fprintf(stderr, "tsunagu: unknown time zone '%s' (use Asia/Tokyo, UTC or +HH:MM)\n",
			cfg->calendar.time_zone);
		return EXIT_USAGE;
	}
	if (opts->test_clock) {
		if (!cfg->allow_test_clock) {
			fprintf(stderr, "tsunagu: --test-clock refused: the config does not set allow_test_clock: true "
				"(never set it in production)\n");
			return EXIT_USAGE;
		}
		clk.fixed = clock_now(&clk);
		if (strcmp(opts->test_clock, "now") && clock_parse(opts->test_clock, &clk.fixed)) {
			fprintf(stderr, "tsunagu: --test-clock needs an RFC 3339 time or 'now'\n");
			return EXIT_USAGE;
		}
		clk.test = true;
		fprintf(stderr, "tsunagu: TEST CLOCK: time moves only through POST /v1/test/clock\n");
	}
	if (calendar_init(&cal, &clk, cfg->calendar.business_start_minutes, cfg->calendar.closed_days,
			  cfg->calendar.n_closed_days)) {
		fprintf(stderr, "tsunagu: the calendar's closed days are not dates\n");
		return EXIT_USAGE;
	}
	if (store_open(cfg->database, &d.store, &err)) {
		fprintf(stderr, "tsunagu: %s\n", err);
		free(err);
		calendar_release(&cal);
		return EXIT_RUNTIME;
	}
	app.store = d.store;
	if (register_pathways(d.store, cfg, clock_now(&clk))) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (seed_directory(d.store, cfg, &clk)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (opts->demo_tokens && issue_demo_tokens(d.store, cfg, &clk))
		goto out;
	store_manual_checkpoints(d.store);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	d.base = event_base_new();
	if (!d.base || httpd_start(d.base, &app, cfg->listen_host, cfg->listen_port, &d.httpd, &err)) {
		fprintf(stderr, "tsunagu: %s\n", err ? err : "cannot start the event loop");
		free(err);
		goto out;
	}
	if (!(dispatch = dispatch_new(d.base, &app, &err))) {
		fprintf(stderr, "tsunagu: %s\n", err);
		free(err);
		goto out;
	}
	timers = timers_new(d.base, &app);
	timers_reschedule(timers); /* overdue timers fire at once after a restart */
	sigint = evsignal_new(d.base, SIGINT, on_signal, &d);
	sigterm = evsignal_new(d.base, SIGTERM, on_signal, &d);
	checkpoint = event_new(d.base, -1, EV_PERSIST, on_checkpoint, &d);
	struct timeval second = { 1, 0 };
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	event_add(checkpoint, &second);
	fprintf(stderr, "tsunagu: %zu pathways, %zu organisations, database %s\n", cfg->pathways.n,
		cfg->n_orgs, cfg->database);
	fprintf(stderr, "tsunagu: listening on http://%s:%d\n", cfg->listen_host, httpd_port(d.httpd));
	fflush(stderr);
	while (!d.stop) {
		if (event_base_loop(d.base, EVLOOP_ONCE) < 0)
			break;
		if (httpd_busy(d.httpd) || store_in_transaction(d.store))
			d.wrote_since_checkpoint = true;
		httpd_end_turn(d.httpd);
		/* Deliver what the commit made due; record what deliveries reported. */
		dispatch_pump(dispatch);
		if (store_in_transaction(d.store) && store_commit(d.store))
			fprintf(stderr, "tsunagu: recording deliveries failed: %s\n", store_errmsg(d.store));
		timers_reschedule(timers);
	}
	const struct dispatch_stats *ds = dispatch_stats(dispatch);
	fprintf(stderr, "tsunagu: delivered %llu notifications (%llu failed attempts, %llu dead)\n",
		(unsigned long long)ds->delivered, (unsigned long long)ds->failed_attempts,
		(unsigned long long)ds->dead);
	const struct timers_stats *ts = timers_stats(timers);
	fprintf(stderr, "tsunagu: fired %llu timers in %llu batches (%llu stale)\n", (unsigned long long)ts->fired,
		(unsigned long long)ts->batches, (unsigned long long)ts->stale);
	const struct httpd_stats *st = httpd_stats(d.httpd);
	fprintf(stderr, "tsunagu: served %llu requests in %llu group commits (%llu failed)\n",
		(unsigned long long)st->requests, (unsigned long long)st->commits,
		(unsigned long long)st->failed_commits);
	rc = EXIT_OK;
out:
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	if (checkpoint)
		event_free(checkpoint);
	timers_free(timers);
	dispatch_free(dispatch);
	httpd_free(d.httpd);
	if (d.base)
		event_base_free(d.base);
	pathway_set_release(&app.older);
	store_close(d.store);
	calendar_release(&cal);
	curl_global_cleanup();
	return rc;
}
