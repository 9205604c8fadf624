/*
 * dispatch — the outbox dispatcher. A notification stays `pending` in the
 * database until its delivery is recorded, so a crash between commit and
 * delivery only means it is sent again after the restart; receivers drop the
 * duplicate by its id.
 */
#include "dispatch.h"
#include "adapter.h"
#include "curlev.h"
#include "log.h"
#include "util.h"
#include "vocab.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

struct channel_rt {
	const struct config_channel *cfg;
	const struct adapter *adapter;
	void *ch;
};

struct inflight {
	struct dispatch *d;
	char *id;
	char *case_id;
	char *channel;
	int attempts;
	clock_us created_at;
	int64_t started_us;        /* when this attempt began (monotonic) */
	bool orphaned;             /* the dispatcher is shutting down: record nothing */
	/* the outcome, once known, until it is recorded */
	const char *status;
	int outcome_attempts;
	clock_us next, delivered;
	char *error;
	/* what the message points into */
	char *subject[2], *body[2];
	json_t *data;
	char *strings[8];
	struct placeholder_vars vars;
};

struct dispatch {
	struct core *core;
	struct turn *turn;
	struct event_base *base;
	struct adapter_env env;
	struct curlev *curl;
	struct channel_rt *channels;
	size_t n_channels;
	struct inflight **inflight;
	size_t n_inflight, alloc_inflight;
	struct event *wake;
	struct inflight **unrecorded; /* outcomes waiting for a database another process holds */
	size_t n_unrecorded, alloc_unrecorded;
	struct event *record_again;
	struct held_back *held;    /* retried in a turn not yet on disk: not sent before it is */
	size_t n_held, alloc_held;
	struct dispatch_stats stats;
	bool closing;
};

/* A notification made pending again by an update of its row: its event was on disk long before. */
struct held_back {
	char *id;
	uint64_t turn;
};

#define RECORD_AGAIN_MS 10

static struct channel_rt *channel_of(struct dispatch *d, const char *name)
{
	for (size_t i = 0; i < d->n_channels; i++)
		if (!strcmp(d->channels[i].cfg->name, name))
			return &d->channels[i];
	return NULL;
}

static void inflight_free(struct inflight *f)
{
	free(f->id);
	free(f->case_id);
	free(f->channel);
	for (int i = 0; i < 2; i++) {
		free(f->subject[i]);
		free(f->body[i]);
	}
	for (size_t i = 0; i < sizeof(f->strings) / sizeof(f->strings[0]); i++)
		free(f->strings[i]);
	json_decref(f->data);
	free(f->error);
	free(f);
}

static void forget(struct dispatch *d, struct inflight *f)
{
	for (size_t i = 0; i < d->n_inflight; i++)
		if (d->inflight[i] == f) {
			d->inflight[i] = d->inflight[--d->n_inflight];
			return;
		}
}

/* Seconds until the next attempt: base·2^(n-1), capped, times a jitter in [0.5, 1.5). */
static clock_us backoff(const struct config_retry *r, int attempts)
{
	double delay = r->base_seconds;
	for (int i = 1; i < attempts && delay < r->max_seconds; i++)
		delay *= 2;
	if (delay > r->max_seconds)
		delay = r->max_seconds;
	double jitter = 0.5 + arc4random_uniform(1000000) / 1e6;
	return (clock_us)(delay * jitter * 1e6);
}

/*
 * Records f's outcome as a unit of the loop turn: 0 (recorded, or given up on
 * an error: it is then sent again later), or STORE_BUSY when another process
 * holds the database, f kept for a moment later. While f is in `inflight`
 * the notification is not sent again.
 */
static int record(struct dispatch *d, struct inflight *f)
{
	struct core *core = d->core;
	int rc = turn_unit_begin(d->turn);
	if (rc == STORE_BUSY)
		return STORE_BUSY;
	if (rc == 0) {
		rc = store_outbox_result(core->store, f->id, f->status, f->outcome_attempts, f->next, f->error,
					 f->delivered);
		rc = turn_unit_end(d->turn, rc == 0) || rc;
	}
	if (rc) {
		d->stats.unrecorded++;
		log_msg(LOGM_DELIVERY_UNRECORDED, "dispatch: the outcome of notification %s (%s) could not be recorded: %s; "
			 "it stays pending and is sent again", f->id, f->status, store_errmsg(core->store));
	}
	forget(d, f);
	inflight_free(f);
	return 0;
}

static void defer(struct dispatch *d, struct inflight *f)
{
	grow_array(&d->unrecorded, &d->alloc_unrecorded, d->n_unrecorded, sizeof(*d->unrecorded));
	d->unrecorded[d->n_unrecorded++] = f;
	if (d->n_unrecorded == 1) {
		struct timeval tv = { 0, RECORD_AGAIN_MS * 1000 };
		evtimer_add(d->record_again, &tv);
	}
}

/* The outcomes that found the database held by another process, tried again in order. */
static void on_record_again(evutil_socket_t fd, short what, void *arg)
{
	struct dispatch *d = arg;
	turn_touch(d->turn);
	size_t done = 0;
	while (done < d->n_unrecorded && record(d, d->unrecorded[done]) == 0)
		done++;
	memmove(d->unrecorded, d->unrecorded + done, (d->n_unrecorded - done) * sizeof(*d->unrecorded));
	d->n_unrecorded -= done;
	if (d->n_unrecorded) {
		struct timeval tv = { 0, RECORD_AGAIN_MS * 1000 };
		evtimer_add(d->record_again, &tv);
	}
}

static const double duration_bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };

static void count_attempt(struct dispatch_stats *st, const struct inflight *f, const char *result)
{
	char labels[160];
	prom_labels(labels, sizeof(labels), "channel", f->channel, "result", result, NULL);
	prom_table_get(&st->attempts, labels)->value++;
	prom_labels(labels, sizeof(labels), "channel", f->channel, NULL);
	prom_observe(&prom_table_get(&st->durations, labels)->histogram,
		     (double)(clock_monotonic_us() - f->started_us) / 1e6);
}

static void on_done(void *ctx, bool ok, bool permanent, const char *error)
{
	struct inflight *f = ctx;
	struct dispatch *d = f->d;
	if (f->orphaned) {
		inflight_free(f);
		return;
	}
	struct core *core = d->core;
	clock_us now = clock_now(core->clock);
	const struct config_retry *r = &core->cfg->retry;
	int attempts = f->attempts + 1;
	const char *status = "pending";
	clock_us next = now, delivered = 0;
	if (ok) {
		status = "delivered";
		delivered = now;
		d->stats.delivered++;
	} else {
		d->stats.failed_attempts++;
		bool too_old = now - f->created_at > (clock_us)r->max_age_hours * 3600 * 1000000;
		if (permanent || attempts >= r->max_attempts || too_old) {
			status = "dead";
			d->stats.dead++;
		} else {
			next = now + backoff(r, attempts);
		}
	}
	count_attempt(&d->stats, f, ok ? "delivered" : strcmp(status, "dead") ? "failed" : "dead");
	f->status = status;
	f->outcome_attempts = attempts;
	f->next = next;
	f->delivered = delivered;
	f->error = ok ? NULL : xstrdup(error ? error : "");
	if (record(d, f) == STORE_BUSY)
		defer(d, f);
}

static bool held_back(const struct dispatch *d, const char *id)
{
	for (size_t i = 0; i < d->n_held; i++)
		if (!strcmp(d->held[i].id, id))
			return true;
	return false;
}

/* A retry is an update of an old row, past the watermark of events on disk: it waits for its own turn. */
static void on_retried(void *ctx, const char *id)
{
	struct dispatch *d = ctx;
	grow_array(&d->held, &d->alloc_held, d->n_held, sizeof(*d->held));
	d->held[d->n_held++] = (struct held_back){ xstrdup(id), turn_number(d->turn) };
}

static bool busy(const struct dispatch *d, const struct store_notification *n)
{
	for (size_t i = 0; i < d->n_inflight; i++) {
		const struct inflight *f = d->inflight[i];
		if (!strcmp(f->id, n->id) || (!strcmp(f->case_id, n->case_id) && !strcmp(f->channel, n->channel)))
			return true;
	}
	return false;
}

/* Builds the message of n: placeholders, rendered subject and body, structured data. */
static void compose(struct dispatch *d, const struct store_notification *n, struct inflight *f,
		    const struct template *t)
{
	struct core *core = d->core;
	const struct config *cfg = core->cfg;
	char pathway[128] = "";
	long version = 0;
	const struct pathway *pw = NULL;
	/* A resource provider hears who and which case, never the pathway or the state (which tells why a referral ended). */
	bool provider = n->party && !strcmp(n->party, party_names[PARTY_PROVIDER]);
	/* the pathway alone: the whole case (its links, its subject's purge) is not the message's */
	if (!provider && store_case_pathway(core->store, n->case_id, pathway, sizeof(pathway), &version) == 0)
		pw = core_pathway(core, pathway, version);
	const char *state = provider || !n->state ? "" : n->state;
	int s = pw ? pathway_state_index(pw, state) : -1;
	const struct config_org *org = n->org ? config_find_org(cfg, n->org) : NULL;
	char created[48];
	clock_format(core->clock, n->created_at, created);
	f->strings[0] = xasprintf("%s/cases/%s", cfg->public_url, n->case_id);
	f->strings[1] = xstrdup(created);
	f->strings[2] = xstrdup(pathway);
	struct placeholder_vars *v = &f->vars;
	placeholder_set(v, "id", f->id);
	placeholder_set(v, "case_id", f->case_id);
	placeholder_set(v, "case_url", f->strings[0]);
	placeholder_set(v, "pathway", f->strings[2]);
	placeholder_set(v, "pathway_title", pw ? pw->title.ja : "");
	placeholder_set(v, "pathway_title_en", pw ? pw->title.en : "");
	placeholder_set(v, "state", state);
	placeholder_set(v, "state_title", s >= 0 ? pw->states[s].title.ja : "");
	placeholder_set(v, "state_title_en", s >= 0 ? pw->states[s].title.en : "");
	placeholder_set(v, "org", n->org ? n->org : "");
	placeholder_set(v, "org_name", org ? org->name.ja : "");
	placeholder_set(v, "org_name_en", org ? org->name.en : "");
	placeholder_set(v, "party", n->party);
	placeholder_set(v, "template", n->template_name);
	placeholder_set(v, "created_at", f->strings[1]);
	for (int lang = 0; lang < 2; lang++) {
		f->subject[lang] = placeholder_render(t ? t->subject[lang] : n->template_name, v, PLACEHOLDER_PLAIN);
		f->body[lang] = placeholder_render(t ? t->body[lang] : f->strings[0], v, PLACEHOLDER_PLAIN);
	}
	f->data = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:o, s:s}", "id", f->id, "case_id",
			    f->case_id, "case_url", f->strings[0], "pathway",
			    provider ? json_null() : json_string(f->strings[2]), "pathway_version",
			    provider ? json_null() : json_integer(version), "state",
			    provider ? json_null() : json_string(state), "template", n->template_name, "party", n->party,
			    "org", n->org ? json_string(n->org) : json_null(), "user",
			    n->user ? json_string(n->user) : json_null(), "created_at", created);
}

struct pump_ctx {
	struct dispatch *d;
	int started;
};

static int start_one(void *ctx, struct store_notification *n)
{
	struct pump_ctx *pc = ctx;
	struct dispatch *d = pc->d;
	if (d->n_inflight >= DISPATCH_IN_FLIGHT)
		return 1;
	if (!n->channel || busy(d, n) || held_back(d, n->id))
		return 0;
	struct channel_rt *ch = channel_of(d, n->channel);
	struct inflight *f = xcalloc(1, sizeof(*f));
	f->d = d;
	f->id = xstrdup(n->id);
	f->case_id = xstrdup(n->case_id);
	f->channel = xstrdup(n->channel);
	f->attempts = n->attempts;
	f->created_at = n->created_at;
	f->started_us = clock_monotonic_us();
	grow_array(&d->inflight, &d->alloc_inflight, d->n_inflight, sizeof(*d->inflight));
	d->inflight[d->n_inflight++] = f;
	pc->started++;
	if (!ch) {
		/* The channel was removed from the config since the row was written. */
		on_done(f, false, true, "the channel is no longer configured");
		return 0;
	}
	compose(d, n, f, templates_find(&d->core->cfg->templates, n->template_name));
	struct adapter_message m = {
		.id = f->id, .subject_ja = f->subject[0], .subject_en = f->subject[1], .body_ja = f->body[0],
		.body_en = f->body[1], .data = f->data, .vars = &f->vars, .created_at = n->created_at / 1000000,
	};
	ch->adapter->send(ch->ch, &m, on_done, f);
	return 0;
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct dispatch *d = arg;
	/* Waking the loop is enough: the dispatcher pumps after every turn. */
	turn_touch(d->turn);
}

/* Once a turn is on disk, what it made due goes out (and what it retried is no longer held back). */
static void on_turn_end(void *arg, uint64_t turn, bool committed)
{
	struct dispatch *d = arg;
	size_t kept = 0;
	for (size_t i = 0; i < d->n_held; i++) {
		if (d->held[i].turn <= turn)
			free(d->held[i].id);
		else
			d->held[kept++] = d->held[i];
	}
	d->n_held = kept;
	dispatch_pump(arg);
}

void dispatch_pump(struct dispatch *d)
{
	struct core *core = d->core;
	if (d->closing || d->n_channels == 0)
		return;
	struct pump_ctx pc = { d, 0 };
	clock_us now = clock_now(core->clock);
	if (d->n_inflight < DISPATCH_IN_FLIGHT)
		store_outbox_ready(core->store, now, turn_durable_seq(d->turn), DISPATCH_IN_FLIGHT + (int)d->n_inflight,
				   start_one, &pc);
	evtimer_del(d->wake);
	clock_us next;
	if (core->clock->test || store_outbox_next(core->store, &next))
		return;
	clock_us wait = next - now;
	if (wait < 1000)
		wait = 1000;
	if (wait > (clock_us)3600 * 1000000)
		wait = (clock_us)3600 * 1000000;
	struct timeval tv = { (time_t)(wait / 1000000), (suseconds_t)(wait % 1000000) };
	evtimer_add(d->wake, &tv);
}

static void touch_turn(void *turn)
{
	turn_touch(turn);
}

struct dispatch *dispatch_new(struct event_base *base, struct core *core, struct turn *turn, char **err)
{
	struct dispatch *d = xcalloc(1, sizeof(*d));
	const struct config *cfg = core->cfg;
	d->core = core;
	d->turn = turn;
	d->base = base;
	d->curl = curlev_new(base, touch_turn, turn);
	d->env = (struct adapter_env){ .base = base, .curl = d->curl, .allowed_hosts = cfg->allowed_hosts,
				       .n_allowed_hosts = cfg->n_allowed_hosts, .touch = touch_turn, .touch_ctx = turn };
	d->wake = evtimer_new(base, on_wake, d);
	d->record_again = evtimer_new(base, on_record_again, d);
	prom_table_init(&d->stats.attempts, NULL, 0);
	prom_table_init(&d->stats.durations, duration_bounds, COUNT_OF(duration_bounds));
	d->channels = xcalloc(cfg->n_channels ? cfg->n_channels : 1, sizeof(*d->channels));
	for (size_t i = 0; i < cfg->n_channels; i++) {
		const struct config_channel *c = &cfg->channels[i];
		const struct adapter *a = adapter_find(c->adapter);
		void *ch = a ? a->open(c->settings, &d->env) : NULL;
		if (!ch) {
			*err = xasprintf("cannot open notification channel '%s'", c->name);
			dispatch_free(d);
			return NULL;
		}
		d->channels[d->n_channels++] = (struct channel_rt){ c, a, ch };
	}
	core->notification_retried = on_retried;
	core->dispatch_ctx = d;
	turn_join(turn, on_turn_end, d);
	return d;
}

void dispatch_free(struct dispatch *d)
{
	if (!d)
		return;
	d->closing = true;
	d->core->notification_retried = NULL;
	for (size_t i = 0; i < d->n_held; i++)
		free(d->held[i].id);
	free(d->held);
	/* Deliveries still in flight stay pending in the database and are sent again after a restart. */
	for (size_t i = 0; i < d->n_inflight; i++)
		d->inflight[i]->orphaned = true;
	d->n_inflight = 0;
	/* an outcome not yet recorded stays pending too */
	for (size_t i = 0; i < d->n_unrecorded; i++)
		inflight_free(d->unrecorded[i]);
	free(d->unrecorded);
	curlev_free(d->curl);
	for (size_t i = 0; i < d->n_channels; i++)
		d->channels[i].adapter->close(d->channels[i].ch);
	free(d->channels);
	free(d->inflight);
	event_free(d->wake);
	event_free(d->record_again);
	prom_table_release(&d->stats.attempts);
	prom_table_release(&d->stats.durations);
	free(d);
}

const struct dispatch_stats *dispatch_stats(const struct dispatch *d)
{
	return &d->stats;
}
