/*
 * metrics — the families of /metrics, named in base units with the tsunagu_
 * prefix, counters ending in _total. Counters only grow while the daemon runs
 * (Prometheus's rate() takes a restart's reset in its stride).
 */
#include "metrics.h"
#include "conn.h"
#include "log.h"
#include "version.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static void counter(struct buf *out, const char *name, const char *help, uint64_t value)
{
	prom_family(out, name, "counter", help);
	prom_sample(out, name, NULL, (double)value);
}

static void gauge(struct buf *out, const char *name, const char *help, double value)
{
	prom_family(out, name, "gauge", help);
	prom_sample(out, name, NULL, value);
}

static void histogram(struct buf *out, const char *name, const char *help, const struct prom_histogram *h)
{
	prom_family(out, name, "histogram", help);
	prom_histogram_write(out, name, NULL, h);
}

static void write_build(const struct metrics_sources *src, struct buf *out)
{
	char labels[160], schema[16];
	snprintf(schema, sizeof(schema), "%d", STORE_SCHEMA_VERSION);
	prom_labels(labels, sizeof(labels), "version", TSUNAGU_VERSION, "schema", schema, "store", src->store_kind,
		    NULL);
	prom_family(out, "tsunagu_build_info", "gauge", "The release, database schema and store of this daemon (always 1).");
	prom_sample(out, "tsunagu_build_info", labels, 1);
	gauge(out, "tsunagu_pathways_loaded", "Pathways the daemon runs.", (double)src->core->cfg->pathways.n);
	gauge(out, "tsunagu_degraded", "1 when the daemon runs degraded (a pathway file kept at its last good version; /readyz says why).",
	      src->core->degraded ? 1 : 0);
}

static void write_http(const struct httpd *h, struct buf *out)
{
	const struct httpd_stats *st = httpd_stats(h);
	prom_family(out, "tsunagu_http_requests_total", "counter", "Requests answered, by route, method and status.");
	prom_table_write(out, "tsunagu_http_requests_total", &st->replies, 0);
	prom_family(out, "tsunagu_http_request_duration_seconds", "histogram",
		    "Seconds from a request's arrival to its reply (after its commit), by route and method.");
	prom_table_write(out, "tsunagu_http_request_duration_seconds", &st->durations, 1);
	counter(out, "tsunagu_http_database_waits_total", "Requests that waited for a database another process held.",
		st->waited);
	counter(out, "tsunagu_http_offloaded_total", "Replies made on a worker thread (reports, exports).", st->offloaded);
	const struct conn_stats *cs = httpd_conn_stats(h);
	gauge(out, "tsunagu_connections_open", "Client connections open now.", (double)cs->open);
	counter(out, "tsunagu_connections_accepted_total", "Client connections accepted.", cs->accepted);
	prom_family(out, "tsunagu_connections_refused_total", "counter",
		    "Connections or bodies refused, by reason (server full, one client's share, body budget, accept failed).");
	prom_sample(out, "tsunagu_connections_refused_total", "reason=\"full\"", (double)cs->refused_full);
	prom_sample(out, "tsunagu_connections_refused_total", "reason=\"client_share\"", (double)cs->refused_client);
	prom_sample(out, "tsunagu_connections_refused_total", "reason=\"body_budget\"", (double)cs->refused_busy);
	prom_sample(out, "tsunagu_connections_refused_total", "reason=\"accept_failed\"", (double)cs->accept_failures);
	counter(out, "tsunagu_connections_timed_out_total", "Connections closed because a head, body or reply was too slow.",
		cs->timed_out);
	counter(out, "tsunagu_connections_evicted_total", "Idle connections closed to make room.", cs->evicted_idle);
	counter(out, "tsunagu_connections_shed_total",
		"Connections still reading a request, closed so that a client holding fewer gets a place.", cs->shed);
}

static void write_turn(const struct turn *t, struct buf *out)
{
	const struct turn_stats *st = turn_stats(t);
	counter(out, "tsunagu_commits_total", "Group commits: loop turns that committed work.", st->commits);
	counter(out, "tsunagu_commits_failed_total", "Group commits that failed (their work was undone and refused).",
		st->failed_commits);
	histogram(out, "tsunagu_commit_actions", "Units of work (requests, timers, outcomes) each group commit covered.",
		  &st->units_per_commit);
	histogram(out, "tsunagu_commit_duration_seconds", "Seconds from each commit to its flush to disk.",
		  &st->commit_seconds);
	histogram(out, "tsunagu_loop_turn_duration_seconds", "Seconds each loop turn held the loop, its commit included.",
		  &st->turn_seconds);
}

static void write_timers(const struct timers *t, struct buf *out)
{
	const struct timers_stats *st = timers_stats(t);
	prom_family(out, "tsunagu_timers_fired_total", "counter", "Timers that fired (their action or notification), by pathway.");
	prom_table_write(out, "tsunagu_timers_fired_total", &st->fired_by_pathway, 0);
	counter(out, "tsunagu_timers_stale_total", "Timers found spent: the case had left the state, or a guard refused.",
		st->stale);
	histogram(out, "tsunagu_timer_lateness_seconds", "Seconds between a timer's due time and its firing.",
		  &st->lateness);
}

static void write_dispatch(const struct dispatch *d, struct buf *out)
{
	const struct dispatch_stats *st = dispatch_stats(d);
	prom_family(out, "tsunagu_delivery_attempts_total", "counter",
		    "Notification delivery attempts, by channel and result (delivered, failed and to be retried, dead).");
	prom_table_write(out, "tsunagu_delivery_attempts_total", &st->attempts, 0);
	prom_family(out, "tsunagu_delivery_duration_seconds", "histogram", "Seconds each delivery attempt took, by channel.");
	prom_table_write(out, "tsunagu_delivery_duration_seconds", &st->durations, 1);
	counter(out, "tsunagu_delivery_outcomes_unrecorded_total",
		"Delivery outcomes the database could not take (the notification is sent again).", st->unrecorded);
}

static void write_chain(const struct core_chain_check *c, struct buf *out)
{
	gauge(out, "tsunagu_audit_verify_last_success_timestamp_seconds",
	      "When the event chain was last verified whole (Unix time; 0: not since the start).",
	      (double)(c->last_ok_at / 1000000));
	gauge(out, "tsunagu_audit_verify_last_run_timestamp_seconds",
	      "When the event chain was last verified, whole or not (Unix time; 0: not since the start).",
	      (double)(c->at / 1000000));
	gauge(out, "tsunagu_audit_chain_ok", "1 when the last check found the event chain whole, 0 when it found a break.",
	      c->at && !c->ok ? 0 : 1);
	gauge(out, "tsunagu_audit_chain_events", "Events the last check of the chain walked.", (double)c->events);
}

void metrics_write_loop(const struct metrics_sources *src, struct buf *out)
{
	write_build(src, out);
	if (src->httpd)
		write_http(src->httpd, out);
	if (src->turn)
		write_turn(src->turn, out);
	if (src->timers)
		write_timers(src->timers, out);
	if (src->dispatch)
		write_dispatch(src->dispatch, out);
	write_chain(&src->core->chain_check, out);
	counter(out, "tsunagu_database_wal_restarts_total",
		"Commits that started the write-ahead log over from its beginning (it was copied whole).",
		store_wal_restarts(src->core->store));
	counter(out, "tsunagu_log_lines_dropped_total", "Log lines dropped because the log's queue was full.",
		log_dropped());
}

/* ---- the store and the process (a worker) ----------------------------------------------------- */

/* The outbox's rows by channel: every configured channel, and any a row still names after it was removed. */
struct outbox_channel {
	char *name;
	int64_t pending, dead;
	clock_us oldest;
};

struct outbox_tally {
	struct outbox_channel *items;
	size_t n, alloc;
};

static struct outbox_channel *channel_in(struct outbox_tally *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->items[i].name, name))
			return &t->items[i];
	grow_array(&t->items, &t->alloc, t->n + 1, sizeof(*t->items));
	t->items[t->n] = (struct outbox_channel){ .name = xstrdup(name) };
	return &t->items[t->n++];
}

static void add_channel(void *ctx, const char *channel, int64_t pending, int64_t dead, clock_us oldest)
{
	struct outbox_channel *c = channel_in(ctx, channel);
	c->pending = pending;
	c->dead = dead;
	c->oldest = oldest;
}

static void write_outbox(struct store *store, const struct config *cfg, clock_us now, struct buf *out)
{
	struct outbox_tally t = { 0 };
	for (size_t i = 0; i < cfg->n_channels; i++)
		channel_in(&t, cfg->channels[i].name);
	if (store_outbox_tally(store, add_channel, &t) == 0) {
		char labels[128];
		prom_family(out, "tsunagu_outbox_pending", "gauge", "Notifications waiting to be delivered, by channel.");
		for (size_t i = 0; i < t.n; i++) {
			prom_labels(labels, sizeof(labels), "channel", t.items[i].name, NULL);
			prom_sample(out, "tsunagu_outbox_pending", labels, (double)t.items[i].pending);
		}
		prom_family(out, "tsunagu_outbox_dead", "gauge",
			    "Notifications given up on (dead), by channel, until an operator retries them.");
		for (size_t i = 0; i < t.n; i++) {
			prom_labels(labels, sizeof(labels), "channel", t.items[i].name, NULL);
			prom_sample(out, "tsunagu_outbox_dead", labels, (double)t.items[i].dead);
		}
		prom_family(out, "tsunagu_outbox_oldest_pending_age_seconds", "gauge",
			    "Age of the oldest notification waiting, by channel (0: none waits).");
		for (size_t i = 0; i < t.n; i++) {
			clock_us oldest = t.items[i].oldest;
			prom_labels(labels, sizeof(labels), "channel", t.items[i].name, NULL);
			prom_sample(out, "tsunagu_outbox_oldest_pending_age_seconds", labels,
				    oldest && now > oldest ? (double)(now - oldest) / 1e6 : 0);
		}
	}
	for (size_t i = 0; i < t.n; i++)
		free(t.items[i].name);
	free(t.items);
}

/* The process's CPU seconds, memory and descriptors, from /proc (Linux). */
static void write_process(struct buf *out)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
			     (double)ru.ru_stime.tv_usec / 1e6;
		prom_family(out, "tsunagu_process_cpu_seconds_total", "counter", "CPU seconds the process used (user and system).");
		prom_sample(out, "tsunagu_process_cpu_seconds_total", NULL, cpu);
	}
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long size_pages = 0, resident_pages = 0;
	if (f) {
		if (fscanf(f, "%llu %llu", &size_pages, &resident_pages) == 2) {
			long page = sysconf(_SC_PAGESIZE);
			gauge(out, "tsunagu_process_resident_memory_bytes", "Resident memory of the process.",
			      (double)resident_pages * (double)page);
			gauge(out, "tsunagu_process_virtual_memory_bytes", "Virtual memory of the process.",
			      (double)size_pages * (double)page);
		}
		fclose(f);
	}
	DIR *dir = opendir("/proc/self/fd");
	if (dir) {
		int n = 0;
		struct dirent *e;
		while ((e = readdir(dir)))
			n += e->d_name[0] != '.';
		closedir(dir);
		gauge(out, "tsunagu_process_open_fds", "Descriptors the process holds open.", n - 1 /* the listing's own */);
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		gauge(out, "tsunagu_process_max_fds", "The process's descriptor limit.", (double)rl.rlim_cur);
}

void metrics_write_store(struct store *store, const struct config *cfg, clock_us now, struct buf *out)
{
	int64_t pending = store_timers_pending(store);
	if (pending >= 0)
		gauge(out, "tsunagu_timers_pending", "Timers waiting to fire.", (double)pending);
	write_outbox(store, cfg, now, out);
	int64_t db = 0, wal = 0;
	if (store_file_sizes(store, &db, &wal) == 0) {
		gauge(out, "tsunagu_database_size_bytes", "Size of the database file.", (double)db);
		gauge(out, "tsunagu_database_wal_size_bytes", "Size of the database's write-ahead log.", (double)wal);
	}
	write_process(out);
}
