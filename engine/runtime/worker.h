/*
 * worker — threads for work that would hold the loop longer than a turn
 * should (a report over years of cases, a large export, the audit chain's walk,
 * a WAL checkpoint). Each thread has its own read-only connection to the
 * database (WAL readers never block the writer) and its own `struct core`
 * around it; it touches nothing of the loop (STYLE rule 9). A job's `run` goes
 * on a thread; its `done` comes back on the loop, through the one queue the
 * loop drains, in the order jobs finish.
 */
#ifndef TSUNAGU_WORKER_H
#define TSUNAGU_WORKER_H

#include <event2/event.h>
#include <stdbool.h>

#include "core.h"
#include "turn.h"

struct worker;

/* What a job's run may use: a core over the thread's own read-only connection (cfg, clock and calendar shared, read only). */
struct worker_env {
	struct core core;
	const char *database;      /* the path, for a job that needs a connection of its own (a checkpoint) */
	struct store *checkpointer; /* opened by the first checkpoint job on this thread */
};

typedef void (*worker_run_fn)(void *ctx, struct worker_env *env);
/* Back on the loop; ran is false for a job the worker dropped unrun when it stopped (only free it then). */
typedef void (*worker_done_fn)(void *ctx, bool ran);

/*
 * Starts n threads over core's config, clock and calendar and the database at
 * path. Returns the worker, or NULL with *err (a thread or connection failed).
 */
struct worker *worker_new(struct event_base *base, struct turn *turn, const struct core *core, const char *path,
			  int n, char **err);

/* Queues a job: run on a thread, then done on the loop. */
void worker_submit(struct worker *w, worker_run_fn run, worker_done_fn done, void *ctx);

/* The same at the head of the queue (maintenance that must not wait behind reports). */
void worker_submit_first(struct worker *w, worker_run_fn run, worker_done_fn done, void *ctx);

/* Jobs queued or running. */
size_t worker_pending(const struct worker *w);

/* Waits for the running jobs and stops the threads; each job not yet done hears done (ran false if it never ran). */
void worker_free(struct worker *w);

#endif
