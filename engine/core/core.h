/*
 * core — what every writer and reader above the store shares: the loaded
 * config, the store, the clock and the business calendar, and the registry of
 * pathway versions (the loaded ones, and older versions that running cases
 * still use, compiled from the store on demand). core/ is the only layer that
 * writes; its modules take a struct core and write inside the transaction the
 * caller's turn owns. A command run outside the daemon's loop writes through
 * core_transaction.
 */
#ifndef TSUNAGU_CORE_H
#define TSUNAGU_CORE_H

#include <jansson.h>

#include "calendar.h"
#include "casemachine.h"
#include "clock.h"
#include "config.h"
#include "pathway.h"
#include "store.h"
#include "util.h"

/* The last scheduled walk of the event chain (audit.verify_every_minutes): what it found and when. */
struct core_chain_check {
	clock_us at;               /* 0: none yet since the daemon started */
	bool ok;
	int64_t events;
	int64_t broken_at;         /* the first broken event's seq, or 0 */
	char reason[256];
	clock_us last_ok_at;       /* the last check that found the chain whole (0: none since the start) */
};

struct core {
	const struct config *cfg;
	struct store *store;
	struct clock *clock;
	const struct calendar *cal;
	struct pathway_set older;   /* versions that running cases still use, compiled on demand */
	json_t *degraded;           /* why the service runs degraded (strings), or NULL */
	struct strmap *diagrams;    /* SVG drawings by pathway digest, drawn on first use (core_pathway_svg) */
	struct core_chain_check chain_check; /* the loop's core: set by the daemon's scheduled verify */
	/* the loop's counts for /metrics (the daemon's runtime/metrics), written on the loop thread; NULL in commands */
	void (*write_metrics)(void *ctx, struct buf *out);
	void *metrics_ctx;
	/* the loop's dispatcher hears of a notification made pending again in the turn (NULL in commands) */
	void (*notification_retried)(void *ctx, const char *id);
	void *dispatch_ctx;
};

/* A time in the configured zone as a new JSON string (RFC 3339), or null for 0 (never). */
json_t *core_time_json(const struct core *core, clock_us t);

/* The pathway a case runs on: the loaded version, or an older one recorded in the store; NULL if neither. */
const struct pathway *core_pathway(struct core *core, const char *id, long version);

/* A version recorded in the store (0: the newest), compiled anew (caller frees), or NULL. */
struct pathway *core_stored_pathway(struct core *core, const char *id, long version);

/*
 * Runs each pathway whose file does not compile on its last published version
 * (added to cfg's set, marked from_store), and notes in core->degraded why the
 * service is degraded. Nothing that was running stops.
 */
void core_adopt_broken_pathways(struct core *core, struct config *cfg);

/*
 * The pathway version's diagram as SVG (Graphviz), drawn once and kept for the
 * life of the core; NULL when Graphviz failed. The loop's core only: Graphviz
 * is not thread-safe.
 */
const char *core_pathway_svg(struct core *core, const struct pathway *pw);

/* Frees the older versions compiled on demand and the diagrams (not the config, store, clock or calendar). */
void core_release(struct core *core);

/*
 * Runs fn in one transaction of its own, for a command outside the daemon's
 * loop: committed when fn returns 0, rolled back otherwise (also when the
 * commit fails). Returns fn's result, or -1 when the transaction could not
 * begin or commit.
 */
int core_transaction(struct core *core, int (*fn)(void *ctx), void *ctx);

/*
 * Records an administrative change in the hash-chained log, beside the cases'
 * events (users added, revoked or reissued, sessions ended, pathway versions
 * published, purges, erasures, restores, reloads): who did it — a signed-in
 * caller, or an operator at the command line or the daemon itself, named by
 * `operator` — and what (payload, no personal data). 0 or -1.
 */
int core_admin_event(struct core *core, clock_us now, const struct cm_caller *who, const char *operator,
		     const char *action, const json_t *payload);

/* The operator running this process ("operator:LOGIN"), for core_admin_event: written to out, which it returns. */
#define CORE_OPERATOR_MAX 96
const char *core_operator(char out[CORE_OPERATOR_MAX]);

/*
 * Records every loaded pathway version (digest and source). A changed file must
 * carry a new version number: returns 1 naming it in *err (caller frees); -1 on
 * a storage error or an unreadable file (*err); 0 when all are recorded.
 */
int core_publish_pathways(struct core *core, clock_us now, char **err);

/* Records one loaded pathway version, as core_publish_pathways does for each; a new one is an admin event. */
int core_publish_pathway(struct core *core, const struct pathway *pw, clock_us now, char **err);

/* Makes a dead notification pending and due at once: 0; 1 when there is no dead one of that id; -1 on error. */
int core_retry_notification(struct core *core, const char *id);

#endif
