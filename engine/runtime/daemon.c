/*
 * daemon — start-up checks, the loop and an orderly stop. The loop runs one
 * turn at a time (EVLOOP_ONCE) and ends every turn with the group commit, so
 * replies never wait for more than the turn they arrived in. The writes before
 * the loop starts (pathway versions, the directory's seed, demo tokens) are
 * each one core_transaction.
 */
#include "daemon.h"
#include "accounts.h"
#include "backup.h"
#include "clock.h"
#include "conn.h"
#include "dispatch.h"
#include "flow.h"
#include "hsds.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "netaddr.h"
#include "report.h"
#include "sessions.h"
#include "store.h"
#include "timers.h"
#include "turn.h"
#include "util.h"
#include "version.h"
#include "worker.h"

#include <curl/curl.h>
#include <systemd/sd-daemon.h>
#include <errno.h>
#include <event2/event.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Threads for heavy replies; the machines this runs on have two cores or more. */
#define WORKER_THREADS 2
/* What the log may hold while its writer waits on the journal; beyond it lines are dropped and counted. */
#define LOG_QUEUE_BYTES (1 << 20)
/*
 * A checkpoint once the WAL holds this many pages (SQLite's own default), or
 * after CHECKPOINT_EVERY_S with writes: each checkpoint's fsync competes with
 * the commits' for the disk, so fewer and larger ones keep commits quick.
 */
#define CHECKPOINT_PAGES 1000
#define CHECKPOINT_EVERY_S 30
/* How long a stop waits for the replies in hand to be written. */
#define STOP_DRAIN_MS 2000
/* Descriptors beyond the connections: the database, the log, curl's sockets, refusals at accept. */
#define SPARE_DESCRIPTORS 256

/* The exit codes of `tsunagu serve` (the command line's: 0 ok, 1 runtime error, 2 usage or invalid input). */
enum { DAEMON_OK = 0, DAEMON_RUNTIME = 1, DAEMON_USAGE = 2 };

/* What the maintenance job does this time (read by the worker only while the job runs). */
struct maintenance {
	bool checkpoint, trim;
	bool running;
	bool checkpointed;         /* the worker's checkpoint ran (its connection opened) */
	bool finish;               /* a worker's checkpoint came back: the loop copies what was written meanwhile */
};

/* The scheduled walk of the event chain, on a worker (its read-only connection): it never holds the loop. */
struct chain_job {
	struct core *core;         /* the loop's, whose chain_check the result goes into */
	struct core_chain_check result;
	bool running;
	int seconds_left;          /* until the next walk */
};

/* How often the sessions that went idle or past their end are recorded as ended. */
#define SWEEP_EVERY_S 5

/* The first walk after a start: soon, so that a daemon restarted on a damaged database says so. */
#define FIRST_VERIFY_AFTER_S 5

struct daemon {
	struct event_base *base;
	struct turn *turn;
	struct httpd *httpd;
	struct worker *worker;
	struct store *store;
	bool stop;
	bool wrote_since_checkpoint;
	int seconds_since_checkpoint;
	uint64_t requests_at_trim;
	struct maintenance maintenance;
	struct chain_job chain;
	struct metrics_sources metrics;
	const struct daemon_options *opts;
	struct core *core;
	const struct config *started_cfg;  /* what the sockets, limits, channels and calendar were made from */
	struct config **reloaded;  /* every config a reload loaded, the last in force: freed at the stop */
	size_t n_reloaded, alloc_reloaded;
	char *started_listen;      /* the listen address the daemon started with, as configured */
	uint64_t watchdog_us;      /* systemd's WatchdogSec (0: none) */
	int64_t watchdog_at_us;    /* the last ping */
	int seconds_since_sweep;
};

static void write_metrics(void *ctx, struct buf *out)
{
	struct daemon *d = ctx;
	metrics_write_loop(&d->metrics, out);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	turn_touch(d->turn);
	log_msg(LOGM_STOPPING, "%s received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	sd_notify(0, "STOPPING=1\nSTATUS=stopping: answering the requests in hand");
	d->stop = true;
	event_base_loopbreak(d->base);
}

/* ---- reload (SIGHUP) ------------------------------------------------------------------------ */

/* Each line of what a load found wrong, as its own log line. */
static void log_diag(enum log_msg msg, const struct diag *dg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return;
	diag_print(dg, f);
	fclose(f);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		log_msg(msg, "reload: %s", line);
	free(text);
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same_channels(const struct config *a, const struct config *b)
{
	if (a->n_channels != b->n_channels)
		return false;
	for (size_t i = 0; i < a->n_channels; i++)
		if (strcmp(a->channels[i].name, b->channels[i].name) || strcmp(a->channels[i].adapter, b->channels[i].adapter) ||
		    !json_equal(a->channels[i].settings, b->channels[i].settings))
			return false;
	return true;
}

static bool same_calendar(const struct config_calendar *a, const struct config_calendar *b)
{
	if (a->business_start_minutes != b->business_start_minutes || strcmp(a->time_zone, b->time_zone) ||
	    a->n_closed_days != b->n_closed_days)
		return false;
	for (size_t i = 0; i < a->n_closed_days; i++)
		if (strcmp(a->closed_days[i], b->closed_days[i]))
			return false;
	return true;
}

/*
 * What was bound when the daemon started (sockets, the database, adapters,
 * the calendar the timers were computed on) stays as it is; a change to it in
 * the file is said, to take effect at the next restart.
 */
static void keep_what_was_bound(struct daemon *d, const struct config *now, struct config *next)
{
	char listen[300];
	snprintf(listen, sizeof(listen), "%s:%d", next->listen_host, next->listen_port);
	const char *changed[8];
	int n = 0;
	if (strcmp(listen, d->started_listen))
		changed[n++] = "listen";
	if (!same_text(now->metrics_host, next->metrics_host) || now->metrics_port != next->metrics_port)
		changed[n++] = "metrics_listen";
	if (strcmp(now->database, next->database))
		changed[n++] = "database";
	if (memcmp(&now->limits, &next->limits, sizeof(now->limits)))
		changed[n++] = "limits";
	if (!same_calendar(&now->calendar, &next->calendar))
		changed[n++] = "calendar";
	if (now->allow_test_clock != next->allow_test_clock)
		changed[n++] = "allow_test_clock";
	for (int i = 0; i < n; i++)
		log_msg(LOGM_RELOADED, "reload: %s changed in the file; it takes effect at the next restart", changed[i]);
	/* the running values, so that what reads them sees what is in force */
	free(next->listen_host);
	next->listen_host = xstrdup(now->listen_host);
	next->listen_port = now->listen_port;
	if (!next->public_url_set)
		config_follow_listen(next);
	free(next->database);
	next->database = xstrdup(now->database);
	next->limits = now->limits;
	next->allow_test_clock = now->allow_test_clock;
}

struct reload_publish {
	struct core *core;
	char *err;
};

/* Records the new config's pathway versions in a unit of this turn (the turn's writer). */
static int publish_reloaded(struct daemon *d, struct core *trial)
{
	if (turn_unit_begin(d->turn)) {
		log_msg(LOGM_RELOAD_REFUSED, "reload refused: the database is busy or unavailable; the running config stays");
		return -1;
	}
	char *err = NULL;
	int rc = core_publish_pathways(trial, clock_now(trial->clock), &err);
	turn_unit_end(d->turn, rc == 0);
	if (rc) {
		log_msg(LOGM_RELOAD_REFUSED, "reload refused: %s; the running config stays",
			err ? err : store_errmsg(trial->store));
		free(err);
	}
	return rc ? -1 : 0;
}

static void reload(struct daemon *d)
{
	struct core *core = d->core;
	const struct config *started = d->started_cfg;
	sd_notify(0, "RELOADING=1\nSTATUS=reloading the config");
	struct diag dg;
	diag_init(&dg);
	struct config *next = d->opts->reload_config(d->opts->reload_ctx, &dg);
	if (!next) {
		log_diag(LOGM_RELOAD_REFUSED, &dg);
		log_msg(LOGM_RELOAD_REFUSED, "reload refused: the config has errors; the running config stays in force");
		goto out;
	}
	log_diag(LOGM_PATHWAY_KEPT, &dg);
	/* the dispatcher opened its adapters at the start: routes to a channel it has not would lose notifications */
	if (!same_channels(started, next)) {
		log_msg(LOGM_RELOAD_REFUSED, "reload refused: notifications.channels changed; restart tsunagu to open "
			"them (systemctl restart tsunagu); the running config stays in force");
		config_free(next);
		goto out;
	}
	keep_what_was_bound(d, started, next);
	/* a pathway file that does not compile runs on its last published version, as at a start */
	struct core trial = *core;
	trial.cfg = next;
	trial.degraded = NULL;
	trial.older = (struct pathway_set){ 0 };
	trial.diagrams = NULL;
	core_adopt_broken_pathways(&trial, next);
	if (publish_reloaded(d, &trial)) {
		json_decref(trial.degraded);
		pathway_set_release(&trial.older);
		config_free(next);
		goto out;
	}
	json_decref(core->degraded);
	core->degraded = trial.degraded;
	pathway_set_release(&trial.older);
	/* the old config stays alive: replies on workers and pathways of running work may point into it */
	grow_array(&d->reloaded, &d->alloc_reloaded, d->n_reloaded + 1, sizeof(*d->reloaded));
	d->reloaded[d->n_reloaded++] = next;
	core->cfg = next;
	log_msg(LOGM_RELOADED, "reloaded %s: %zu pathways, %zu organisations, %zu templates%s", next->file,
		next->pathways.n, next->n_orgs, next->templates.n, core->degraded ? " (degraded: /readyz says why)" : "");
out:
	diag_release(&dg);
	sd_notify(0, "READY=1\nSTATUS=serving");
}

static void on_reload(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	turn_touch(d->turn);
	if (!d->opts->reload_config) {
		log_msg(LOGM_RELOAD_REFUSED, "SIGHUP: this daemon cannot reload its config");
		return;
	}
	reload(d);
}

/*
 * On a worker: a checkpoint through a connection of its own, so the loop
 * goes on writing meanwhile; and the memory of large requests given back to
 * the system (malloc_trim walks every arena: too slow for the loop).
 */
static void maintenance_run(void *ctx, struct worker_env *env)
{
	struct maintenance *m = ctx;
	if (m->trim)
		malloc_trim(0);
	m->checkpointed = false;
	if (!m->checkpoint)
		return;
	if (!env->checkpointer) {
		char *err = NULL;
		if (store_open(env->database, STORE_EXISTING, &env->checkpointer, NULL, &err)) {
			log_msg(LOGM_CHECKPOINT_FAILED, "checkpoint: %s", err);
			free(err);
			return;
		}
		store_manual_checkpoints(env->checkpointer);
		store_set_cache_kib(env->checkpointer, 1024);
	}
	store_checkpoint(env->checkpointer);
	m->checkpointed = true;
}

static void maintenance_done(void *ctx, bool ran)
{
	struct maintenance *m = ctx;
	m->running = false;
	/* not when the worker could not checkpoint: the loop would copy the whole WAL itself */
	m->finish = m->finish || (ran && m->checkpointed);
}

/*
 * Between two turns, after a worker's checkpoint: the loop copies the pages
 * written while it ran (a few turns' worth), so that the WAL is copied whole
 * and the next commit starts it over. Under steady writes a checkpoint beside
 * the loop never catches up, and the WAL would only grow: each commit then
 * extends the file (the kernel zeroes each new page) and the disk fills.
 */
static void finish_checkpoint(struct daemon *d)
{
	if (!d->maintenance.finish || turn_pending(d->turn))
		return;
	d->maintenance.finish = false;
	store_checkpoint(d->store);
}

static void chain_run(void *ctx, struct worker_env *env)
{
	struct chain_job *j = ctx;
	struct store_verify v;
	memset(&j->result, 0, sizeof(j->result));
	if (store_verify_chain(env->core.store, &v)) {
		log_msg(LOGM_CHAIN_UNREADABLE, "audit: the scheduled check of the event chain could not read the database");
		return;
	}
	j->result.at = clock_now(env->core.clock);
	j->result.ok = v.bad_seq == 0;
	j->result.events = v.events;
	j->result.broken_at = v.bad_seq;
	snprintf(j->result.reason, sizeof(j->result.reason), "%s", v.bad_seq ? v.reason : "");
}

static void chain_done(void *ctx, bool ran)
{
	struct chain_job *j = ctx;
	j->running = false;
	if (!ran || !j->result.at)
		return;
	clock_us last_ok = j->result.ok ? j->result.at : j->core->chain_check.last_ok_at;
	j->core->chain_check = j->result;
	j->core->chain_check.last_ok_at = last_ok;
	if (j->result.ok)
		log_msg(LOGM_CHAIN_WHOLE, "audit: the event chain is whole (%lld events checked)", (long long)j->result.events);
	else
		log_msg(LOGM_CHAIN_BROKEN, "audit: THE EVENT CHAIN IS BROKEN at event %lld: %s (tsunagu audit verify; docs/operations.md, Audit)",
			 (long long)j->result.broken_at, j->result.reason);
}

/* Counts down to the next scheduled walk of the chain and starts it on a worker. */
static void chain_tick(struct daemon *d)
{
	struct chain_job *j = &d->chain;
	int every = j->core->cfg->verify_every_minutes;
	if (!every || j->running || --j->seconds_left > 0)
		return;
	j->seconds_left = every * 60;
	j->running = true;
	worker_submit(d->worker, chain_run, chain_done, j);
}

/* Every few seconds, in a unit of the turn: the sessions that went idle or past their end are recorded as ended. */
static void sweep_sessions(struct daemon *d)
{
	if (++d->seconds_since_sweep < SWEEP_EVERY_S || turn_unit_begin(d->turn))
		return;
	d->seconds_since_sweep = 0;
	int ended = sessions_sweep(d->core->store, d->core->cfg, clock_now(d->core->clock));
	turn_unit_end(d->turn, ended >= 0);
}

/*
 * systemd's watchdog hears from the loop itself: a loop that stops turning
 * stops the pings, and systemd restarts the daemon (WatchdogSec in the unit).
 */
static void ping_watchdog(struct daemon *d)
{
	if (!d->watchdog_us)
		return;
	int64_t now = clock_monotonic_us();
	if (now - d->watchdog_at_us >= (int64_t)d->watchdog_us / 2) {
		sd_notify(0, "WATCHDOG=1");
		d->watchdog_at_us = now;
	}
}

/*
 * Once a second: checkpoints the WAL outside of any request's commit
 * (PERFORMANCE.md: checkpoints drive tail latency), and gives memory that
 * large requests used back to the system.
 */
static void on_maintenance(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	turn_touch(d->turn);
	struct maintenance *m = &d->maintenance;
	d->seconds_since_checkpoint++;
	chain_tick(d);
	ping_watchdog(d);
	sweep_sessions(d);
	if (m->running)
		return;
	uint64_t served = httpd_stats(d->httpd)->requests;
	m->checkpoint = d->wrote_since_checkpoint && (store_wal_pages(d->store) >= CHECKPOINT_PAGES ||
						      d->seconds_since_checkpoint >= CHECKPOINT_EVERY_S);
	m->trim = served != d->requests_at_trim;
	if (!m->checkpoint && !m->trim)
		return;
	if (m->checkpoint) {
		d->wrote_since_checkpoint = false;
		d->seconds_since_checkpoint = 0;
	}
	d->requests_at_trim = served;
	m->running = true;
	/* ahead of the reports and exports queued: a WAL that is not checkpointed only grows */
	worker_submit_first(d->worker, maintenance_run, maintenance_done, m);
}

/*
 * Raises the soft descriptor limit to the hard one: each connection is a
 * descriptor, and running out stops the daemon answering anyone. Says so
 * when even the hard limit is below what the configured connections need.
 */
static void raise_descriptor_limit(const struct config *cfg)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rlim_t want = (rlim_t)cfg->limits.max_connections + SPARE_DESCRIPTORS;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < want)
		log_msg(LOGM_DESCRIPTORS_LOW, "the descriptor limit is %llu, below the %llu that limits.max_connections (%d) needs; "
			 "raise LimitNOFILE in the unit (or ulimit -n), or lower max_connections",
			 (unsigned long long)rl.rlim_cur, (unsigned long long)want, cfg->limits.max_connections);
}

/* Records every loaded pathway version; a changed file must carry a new version number. */
struct publish {
	struct core *core;
	clock_us now;
	char *err;
};

static int publish_all(void *ctx)
{
	struct publish *p = ctx;
	return core_publish_pathways(p->core, p->now, &p->err);
}

static int register_pathways(struct core *core, clock_us now)
{
	struct publish p = { core, now, NULL };
	int rc = core_transaction(core, publish_all, &p);
	if (rc)
		fprintf(stderr, "tsunagu: %s\n", p.err ? p.err : store_errmsg(core->store));
	free(p.err);
	return rc;
}

/* A new database starts with the configured directory (the demo's fictional one, say). */
struct seed {
	struct core *core;
	struct diag *d;
	struct hsds_result res;
	int rc;
};

static int import_seed(void *ctx)
{
	struct seed *sd = ctx;
	const struct config *cfg = sd->core->cfg;
	clock_us now = clock_now(sd->core->clock);
	sd->rc = hsds_import_file(sd->core->store, cfg, cfg->resources_seed, clock_local_date(sd->core->clock, now), "seed",
				  now, &sd->res, sd->d);
	return sd->rc ? -1 : 0;
}

static int seed_directory(struct core *core)
{
	const struct config *cfg = core->cfg;
	if (!cfg->resources_seed)
		return 0;
	int64_t n = store_resources_count(core->store);
	if (n != 0) {
		if (n < 0)
			fprintf(stderr, "tsunagu: cannot read the resource directory: %s\n", store_errmsg(core->store));
		return n < 0 ? -1 : 0;
	}
	struct diag d;
	diag_init(&d);
	struct seed sd = { .core = core, .d = &d };
	int rc = core_transaction(core, import_seed, &sd);
	if (rc && !sd.rc)
		diag_add(&d, DIAG_ERROR, cfg->resources_seed, 0, 0, "cannot write the directory to the database: %s",
			 store_errmsg(core->store));
	diag_print(&d, stderr);
	diag_release(&d);
	if (rc)
		fprintf(stderr, "tsunagu: the resource directory's seed %s was not imported\n", cfg->resources_seed);
	else
		fprintf(stderr, "tsunagu: resource directory: %d resources from %s\n", sd.res.created, cfg->resources_seed);
	return rc;
}

/* A demo user's token: the user reissued, or created on a new database. */
struct demo_token {
	struct core *core;
	const struct config_demo_user *u;
	clock_us now;
	char *token, *id, *enrol_code, *err;
};

/* Whether the user of a login has set a passphrase (a demo user who enrolled keeps it over restarts). */
static bool enrolled(struct store *s, const char *login)
{
	struct store_credentials c = { 0 };
	bool yes = store_credentials_by_login(s, login, &c) == 0 && c.passphrase;
	store_credentials_release(&c);
	return yes;
}

static int demo_token(void *ctx)
{
	struct demo_token *t = ctx;
	struct store_user found = { 0 };
	struct store *s = t->core->store;
	int rc = store_user_find_by_name(s, t->u->org, t->u->name, &found);
	if (rc == 0 && t->u->login && !found.login) {
		rc = accounts_reissue(s, t->core->cfg, found.id, t->u->login, 0, t->now, &t->token, &t->enrol_code, &t->err);
	} else if (rc == 0) {
		rc = accounts_token_reissue(s, found.id, 0, t->now, &t->token, &t->err);
		if (!rc && found.login && !enrolled(s, found.login))
			rc = accounts_enrol(s, t->core->cfg, found.id, t->now, &t->enrol_code, &t->err);
	} else if (rc > 0) {
		rc = accounts_add(s, t->core->cfg, t->u->org, t->u->name, t->u->login, t->u->roles, 0, t->now, &t->id,
				  &t->token, &t->enrol_code, &t->err);
	}
	if (rc == 0) {
		char operator[CORE_OPERATOR_MAX];
		json_t *payload = json_pack("{s:s, s:b}", "user", found.id ? found.id : t->id, "demo", 1);
		rc = core_admin_event(t->core, t->now, NULL, core_operator(operator), found.id ? "user_reissued" : "user_added",
				      payload);
		json_decref(payload);
	}
	store_user_release(&found);
	return rc;
}

static int issue_demo_tokens(struct core *core)
{
	const struct config *cfg = core->cfg;
	if (!cfg->n_demo_users) {
		fprintf(stderr, "tsunagu: --demo-tokens: the config has no demo_users\n");
		return -1;
	}
	clock_us now = clock_now(core->clock);
	printf("\nDemo tokens (new on every start; the old ones stop working), and sign-in names with their enrolment\n"
	       "codes for the pages at %s/login (a code sets the passphrase once; docs/pages.md):\n", cfg->public_url);
	for (size_t i = 0; i < cfg->n_demo_users; i++) {
		const struct config_demo_user *u = &cfg->demo_users[i];
		struct demo_token t = { .core = core, .u = u, .now = now };
		if (core_transaction(core, demo_token, &t)) {
			fprintf(stderr, "tsunagu: demo user %s: %s\n", u->name, t.err ? t.err : store_errmsg(core->store));
			free(t.err);
			free(t.token);
			free(t.id);
			free(t.enrol_code);
			return -1;
		}
		struct buf roles;
		buf_init(&roles);
		for (int r = 0; r < ROLE_COUNT; r++)
			if (u->roles & MASK(r))
				buf_printf(&roles, "%s%s", roles.len ? "," : "", role_names[r]);
		printf("  %-14s %-18s %-24s %s\n", roles.data, u->org, u->name, t.token);
		if (u->login)
			printf("  %-14s sign in as %-10s %s\n", "", u->login,
			       t.enrol_code ? t.enrol_code : "(enrolled: the passphrase set before)");
		buf_release(&roles);
		free(t.token);
		free(t.id);
		free(t.enrol_code);
	}
	fflush(stdout);
	return 0;
}

/* The clock (real, or a test clock the config allows) and the business calendar. */
static int open_time(const struct config *cfg, const struct daemon_options *opts, struct clock *clk,
		     struct calendar *cal)
{
	if (clock_init(clk, cfg->calendar.time_zone)) {
		fprintf(stderr, "tsunagu: unknown time zone '%s' (use Asia/Tokyo, UTC or +HH:MM)\n",
			cfg->calendar.time_zone);
		return DAEMON_USAGE;
	}
	if (opts->test_clock) {
		if (!cfg->allow_test_clock) {
			fprintf(stderr, "tsunagu: --test-clock refused: the config does not set allow_test_clock: true "
				"(never set it in production)\n");
			return DAEMON_USAGE;
		}
		clk->fixed = clock_now(clk);
		if (strcmp(opts->test_clock, "now") && clock_parse(opts->test_clock, &clk->fixed)) {
			fprintf(stderr, "tsunagu: --test-clock needs an RFC 3339 time or 'now'\n");
			return DAEMON_USAGE;
		}
		clk->test = true;
		fprintf(stderr, "tsunagu: TEST CLOCK: time moves only through POST /v1/test/clock\n");
	}
	if (calendar_init(cal, clk, cfg->calendar.business_start_minutes, cfg->calendar.closed_days,
			  cfg->calendar.n_closed_days)) {
		fprintf(stderr, "tsunagu: the calendar's closed days are not dates\n");
		return DAEMON_USAGE;
	}
	return DAEMON_OK;
}

/*
 * One daemon per database (a second, or a restore, is refused while this one
 * runs), and a backup before a migration to a newer schema: an upgrade that
 * goes wrong can always go back.
 */
static int claim_database(const struct config *cfg, const struct clock *clk, int *claim)
{
	char *err = NULL, *made = NULL;
	int schema = 0;
	if ((*claim = backup_claim(cfg->database, &err)) < 0) {
		fprintf(stderr, "tsunagu: %s\n", err);
		free(err);
		return DAEMON_RUNTIME;
	}
	if (access(cfg->database, F_OK) || store_schema_of(cfg->database, &schema, &err) || schema == 0 ||
	    schema >= STORE_SCHEMA_VERSION) {
		/* none yet, unreadable (the open says why), current, or newer (the open refuses, naming the version) */
		free(err);
		return DAEMON_OK;
	}
	/* a copy and a walk of a large database take their while: systemd is told not to give up on the start */
	sd_notify(0, "EXTEND_TIMEOUT_USEC=3600000000\nSTATUS=backing up the database before migrating its schema");
	if (backup_before_migration(cfg, schema, clock_now(clk), &made, &err)) {
		log_msg(LOGM_BACKUP_FAILED, "the database has schema %d and this tsunagu migrates it to %d, but the backup "
			"before the migration failed: %s; nothing was changed", schema, STORE_SCHEMA_VERSION, err);
		free(err);
		return DAEMON_RUNTIME;
	}
	log_msg(LOGM_BACKUP_DONE, "the database has schema %d; before migrating it to %d it was backed up to %s", schema,
		STORE_SCHEMA_VERSION, made);
	free(made);
	return DAEMON_OK;
}

/*
 * What the start works out for cases from before a schema kept it, a batch a
 * transaction: the reports' summaries (schema 9), from each case's events, and
 * whose inbox holds each case (schema 12), from its state.
 */
#define START_BATCH 2000

struct start_batch {
	struct core *core;
	int (*fill)(struct core *core, int limit);   /* how many it did, or -1 */
	int n;
};

static int start_batch(void *ctx)
{
	struct start_batch *b = ctx;
	b->n = b->fill(b->core, START_BATCH);
	return b->n < 0 ? -1 : 0;
}

/* Runs fill until a batch does less than a whole one, and says so in the log: "LABEL: N cases HOW in S s". */
static int fill_in_batches(struct core *core, int (*fill)(struct core *core, int limit), const char *failed,
			   const char *label, const char *how)
{
	struct start_batch b = { core, fill, 0 };
	int64_t total = 0, started = clock_monotonic_ms();
	do {
		if (core_transaction(core, start_batch, &b)) {
			fprintf(stderr, "tsunagu: cannot %s: %s\n", failed, store_errmsg(core->store));
			return -1;
		}
		total += b.n;
	} while (b.n == START_BATCH);
	if (total)
		fprintf(stderr, "tsunagu: %s: %lld cases %s in %.1f s\n", label, (long long)total, how,
			(double)(clock_monotonic_ms() - started) / 1000.0);
	return 0;
}

static int summarize_cases(struct core *core)
{
	/* a summary per case (cases are never deleted): nothing to look for, without reading every case */
	int64_t cases = store_count(core->store, "cases"), summaries = store_count(core->store, "case_summaries");
	if (cases >= 0 && cases == summaries)
		return 0;
	return fill_in_batches(core, report_summarize_missing, "summarise the cases for reports", "reports",
			       "summarised from their events");
}

/* What is written before the loop starts: pathway versions, the directory's seed, demo tokens. */
static int prepare_store(struct core *core, const struct daemon_options *opts)
{
	if (register_pathways(core, clock_now(core->clock)) || seed_directory(core))
		return DAEMON_USAGE;
	if (summarize_cases(core) ||
	    fill_in_batches(core, flow_fill_inboxes, "work out the cases' inboxes", "inboxes", "from before worked out"))
		return DAEMON_RUNTIME;
	if (opts->demo_tokens && issue_demo_tokens(core))
		return DAEMON_RUNTIME;
	return DAEMON_OK;
}

/* Everything the loop runs: the turn, the HTTP server with the API's routes, the dispatcher and the timers. */
struct loop {
	struct turn *turn;
	struct worker *worker;
	struct httpd *httpd;
	struct httpd *metrics_httpd;  /* metrics_listen's, or NULL */
	struct dispatch *dispatch;
	struct timers *timers;
	struct event *sigint, *sigterm, *sighup, *maintenance;
};

static int start_loop(struct daemon *d, struct core *core, const struct daemon_options *opts, struct loop *lp)
{
	const struct config *cfg = core->cfg;
	char *err = NULL;
	struct httpd_routes routes = { 0 };
	d->base = event_base_new();
	if (!d->base) {
		fprintf(stderr, "tsunagu: cannot start the event loop\n");
		return DAEMON_RUNTIME;
	}
	if (!(d->turn = lp->turn = turn_new(d->base, core->store, &err))) {
		fprintf(stderr, "tsunagu: %s\n", err);
		free(err);
		return DAEMON_RUNTIME;
	}
	opts->bind_api(core, &routes);
	if (!(d->worker = lp->worker = worker_new(d->base, lp->turn, core, cfg->database, WORKER_THREADS, &err)) ||
	    httpd_start(d->base, lp->turn, core->clock, cfg, lp->worker, &routes, cfg->listen_host, cfg->listen_port,
			&lp->httpd, &err) ||
	    !(lp->dispatch = dispatch_new(d->base, core, lp->turn, &err))) {
		fprintf(stderr, "tsunagu: %s\n", err);
		free(err);
		return DAEMON_RUNTIME;
	}
	if (cfg->metrics_host && opts->bind_metrics) {
		struct httpd_routes metrics_routes = { 0 };
		opts->bind_metrics(core, &metrics_routes);
		if (httpd_start(d->base, lp->turn, core->clock, cfg, lp->worker, &metrics_routes, cfg->metrics_host,
				cfg->metrics_port, &lp->metrics_httpd, &err)) {
			fprintf(stderr, "tsunagu: metrics_listen: %s\n", err);
			free(err);
			return DAEMON_RUNTIME;
		}
	}
	d->httpd = lp->httpd;
	d->chain = (struct chain_job){ .core = core, .seconds_left = FIRST_VERIFY_AFTER_S };
	lp->timers = timers_new(d->base, core, lp->turn);
	d->metrics = (struct metrics_sources){ .core = core, .httpd = lp->httpd, .turn = lp->turn, .timers = lp->timers,
					       .dispatch = lp->dispatch, .store_kind = "sqlite" };
	core->write_metrics = write_metrics;
	core->metrics_ctx = d;
	timers_reschedule(lp->timers); /* overdue timers fire at once after a restart */
	lp->sigint = evsignal_new(d->base, SIGINT, on_signal, d);
	lp->sigterm = evsignal_new(d->base, SIGTERM, on_signal, d);
	lp->sighup = evsignal_new(d->base, SIGHUP, on_reload, d);
	lp->maintenance = event_new(d->base, -1, EV_PERSIST, on_maintenance, d);
	struct timeval second = { 1, 0 };
	event_add(lp->sigint, NULL);
	event_add(lp->sigterm, NULL);
	event_add(lp->sighup, NULL);
	event_add(lp->maintenance, &second);
	return DAEMON_OK;
}

static void print_stats(const struct loop *lp, struct store *store)
{
	const struct dispatch_stats *ds = dispatch_stats(lp->dispatch);
	fprintf(stderr, "tsunagu: delivered %llu notifications (%llu failed attempts, %llu dead, %llu outcomes unrecorded)\n",
		(unsigned long long)ds->delivered, (unsigned long long)ds->failed_attempts,
		(unsigned long long)ds->dead, (unsigned long long)ds->unrecorded);
	const struct timers_stats *ts = timers_stats(lp->timers);
	fprintf(stderr, "tsunagu: fired %llu timers in %llu batches (%llu stale)\n", (unsigned long long)ts->fired,
		(unsigned long long)ts->batches, (unsigned long long)ts->stale);
	const struct httpd_stats *st = httpd_stats(lp->httpd);
	fprintf(stderr, "tsunagu: served %llu requests in %llu group commits (%llu failed); %llu waited for the "
		"database (%llu gave up), %llu made on a worker\n",
		(unsigned long long)st->requests, (unsigned long long)st->commits,
		(unsigned long long)st->failed_commits, (unsigned long long)st->waited,
		(unsigned long long)st->gave_up, (unsigned long long)st->offloaded);
	const struct conn_stats *cs = httpd_conn_stats(lp->httpd);
	fprintf(stderr, "tsunagu: connections: %llu accepted, %llu refused (server full), %llu refused (one client's "
		"share), %llu idle ones closed for room, %llu shed for fewer-holding clients, %llu timed out, %llu bodies "
		"refused (budget), %llu failed accepts\n",
		(unsigned long long)cs->accepted, (unsigned long long)cs->refused_full,
		(unsigned long long)cs->refused_client, (unsigned long long)cs->evicted_idle, (unsigned long long)cs->shed,
		(unsigned long long)cs->timed_out, (unsigned long long)cs->refused_busy,
		(unsigned long long)cs->accept_failures);
	struct mallinfo2 mi = mallinfo2();
	fprintf(stderr, "tsunagu: memory: the loop's SQLite cache %lld KB, the heap %zu KB in use\n",
		(long long)(store_cache_used(store) >> 10), (mi.uordblks + mi.hblkhd) >> 10);
	const struct turn_stats *tn = turn_stats(lp->turn);
	fprintf(stderr, "tsunagu: longest loop turn %.1f ms; %llu turns over %d ms; %llu log lines dropped\n",
		(double)tn->longest_us / 1000.0, (unsigned long long)tn->slow_turns, TURN_SLOW_US / 1000,
		(unsigned long long)log_dropped());
}

static void stop_loop(struct daemon *d, struct loop *lp)
{
	if (lp->sigint)
		event_free(lp->sigint);
	if (lp->sigterm)
		event_free(lp->sigterm);
	if (lp->sighup)
		event_free(lp->sighup);
	if (lp->maintenance)
		event_free(lp->maintenance);
	timers_free(lp->timers);
	dispatch_free(lp->dispatch);
	/* before the server: a reply on its way back from a worker still has its connection */
	worker_free(lp->worker);
	httpd_free(lp->metrics_httpd);
	httpd_free(lp->httpd);
	turn_free(lp->turn);
	if (d->base)
		event_base_free(d->base);
}

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	/* only wakes the loop, so that the drain sees its deadline */
}

/*
 * An orderly stop: no new connections or requests, while the ones in hand are
 * answered (a turn each, committed as always) and their replies written, for
 * STOP_DRAIN_MS at most.
 */
static void drain(struct daemon *d)
{
	httpd_stop_accepting(d->httpd);
	struct event *tick = event_new(d->base, -1, EV_PERSIST, on_drain_tick, NULL);
	struct timeval tv = { 0, 50 * 1000 };
	event_add(tick, &tv);
	int64_t until = clock_monotonic_ms() + STOP_DRAIN_MS;
	while ((!httpd_quiet(d->httpd) || turn_unsettled(d->turn)) && clock_monotonic_ms() < until) {
		if (event_base_loop(d->base, EVLOOP_ONCE) < 0)
			break;
		turn_end(d->turn);
	}
	event_free(tick);
}

int daemon_run(struct config *cfg, const struct daemon_options *opts)
{
	struct clock clk;
	struct calendar cal = { 0 };
	struct daemon d = { 0 };
	struct core core = { .cfg = cfg, .clock = &clk, .cal = &cal };
	struct loop lp = { 0 };
	char *err = NULL;
	d.opts = opts;
	d.core = &core;
	d.started_cfg = cfg;
	d.started_listen = xasprintf("%s:%d", cfg->listen_host, cfg->listen_port);
	int claim = -1, rc = open_time(cfg, opts, &clk, &cal);
	if (rc || (rc = claim_database(cfg, &clk, &claim)))
		goto out;
	bool created;
	if (store_open(cfg->database, STORE_CREATE, &d.store, &created, &err)) {
		fprintf(stderr, "tsunagu: %s\n", err);
		free(err);
		rc = DAEMON_RUNTIME;
		goto out;
	}
	if (created)
		fprintf(stderr, "tsunagu: NOTE: there was no database at %s; a NEW, EMPTY database was created there. "
			"If you expected existing data, stop now and check the path (database: in %s, or --db).\n",
			cfg->database, cfg->file ? cfg->file : "the config");
	core.store = d.store;
	core_adopt_broken_pathways(&core, cfg);
	if ((rc = prepare_store(&core, opts)))
		goto out;
	/* each loaded version's diagram is drawn once, before the loop serves (Graphviz takes its while) */
	for (size_t i = 0; i < cfg->pathways.n; i++)
		if (!core_pathway_svg(&core, cfg->pathways.items[i]))
			fprintf(stderr, "tsunagu: the diagram of pathway %s could not be drawn\n", cfg->pathways.items[i]->id);
	/* the start's own writes (a new database's directory seed) go into the database: the WAL starts empty */
	store_checkpoint_truncate(d.store);
	store_manual_checkpoints(d.store);
	/* the loop never sleeps on a lock another process holds: it tries again a moment later (httpd) */
	store_set_busy_timeout(d.store, 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	/* large buffers (a body, an export) go back to the system when freed, not into a heap that only grows */
	mallopt(M_MMAP_THRESHOLD, 256 << 10);
	mallopt(M_TRIM_THRESHOLD, 1 << 20);
	raise_descriptor_limit(cfg);
	if ((rc = start_loop(&d, &core, opts, &lp)))
		goto out;
	fprintf(stderr, "tsunagu: %zu pathways, %zu organisations, database %s\n", cfg->pathways.n,
		cfg->n_orgs, cfg->database);
	if (cfg->listen_port == 0) {
		/* any free port: the links of notifications follow the one bound (when public_url is not set) */
		cfg->listen_port = httpd_port(d.httpd);
		config_follow_listen(cfg);
	}
	fprintf(stderr, "tsunagu: listening on http://%s:%d\n", cfg->listen_host, httpd_port(d.httpd));
	if (lp.metrics_httpd) {
		fprintf(stderr, "tsunagu: metrics on http://%s:%d/metrics\n", cfg->metrics_host,
			httpd_port(lp.metrics_httpd));
		if (!netaddr_text_is_loopback(cfg->metrics_host) && strcmp(cfg->metrics_host, "localhost"))
			fprintf(stderr, "tsunagu: WARNING: metrics_listen %s is not a loopback address: anyone who reaches it "
				"reads /metrics without a token (firewall it, or use 127.0.0.1)\n", cfg->metrics_host);
	}
	fflush(stderr);
	log_start(LOG_QUEUE_BYTES);
	log_msg(LOGM_STARTED, "tsunagu %s started: schema %d, %zu pathways, listening on %s:%d", TSUNAGU_VERSION,
		STORE_SCHEMA_VERSION, cfg->pathways.n, cfg->listen_host, httpd_port(d.httpd));
	if (sd_watchdog_enabled(0, &d.watchdog_us) <= 0)
		d.watchdog_us = 0;
	sd_notifyf(0, "READY=1\nSTATUS=serving on %s:%d\nMAINPID=%lu", cfg->listen_host, httpd_port(d.httpd),
		   (unsigned long)getpid());
	while (!d.stop) {
		if (event_base_loop(d.base, EVLOOP_ONCE) < 0)
			break;
		if (turn_pending(d.turn))
			d.wrote_since_checkpoint = true;
		turn_end(d.turn);
		finish_checkpoint(&d);
	}
	drain(&d);
	turn_settle(d.turn);
	log_msg(LOGM_STOPPED, "tsunagu stopped: every acknowledged action is on disk");
	log_stop();
	print_stats(&lp, d.store);
	rc = DAEMON_OK;
out:
	if (rc != DAEMON_OK)
		log_msg(LOGM_START_REFUSED, "tsunagu did not start (exit %d): the lines above say why", rc);
	log_stop();
	stop_loop(&d, &lp);
	core_release(&core);
	store_close(d.store);
	calendar_release(&cal);
	curl_global_cleanup();
	if (claim >= 0)
		close(claim); /* after every connection: it is a file of its own, never the database's */
	for (size_t i = 0; i < d.n_reloaded; i++)
		config_free(d.reloaded[i]);
	free(d.reloaded);
	free(d.started_listen);
	return rc;
}
