/*
 * core — the pathway registry and the transaction of commands. Older versions
 * are compiled once and kept for the life of the core: a daemon meets few.
 */
#include "core.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct pathway *core_pathway(struct core *core, const char *id, long version)
{
	const struct pathway *pw = pathway_set_find(&core->cfg->pathways, id);
	if (pw && pw->version == version)
		return pw;
	for (size_t i = 0; i < core->older.n; i++)
		if (!strcmp(core->older.items[i]->id, id) && core->older.items[i]->version == version)
			return core->older.items[i];
	char *source = store_pathway_source(core->store, id, version);
	if (!source)
		return NULL;
	struct diag d;
	diag_init(&d);
	char *name = xasprintf("%s v%ld (stored)", id, version);
	struct pathway *old = pathway_compile(name, source, strlen(source), &d);
	free(name);
	free(source);
	diag_release(&d);
	if (!old)
		return NULL;
	core->older.items = xrealloc(core->older.items, (core->older.n + 1) * sizeof(*core->older.items));
	core->older.items[core->older.n++] = old;
	return old;
}

void core_release(struct core *core)
{
	pathway_set_release(&core->older);
}

int core_transaction(struct core *core, int (*fn)(void *ctx), void *ctx)
{
	if (store_begin(core->store))
		return -1;
	int rc = fn(ctx);
	if (rc) {
		store_rollback(core->store);
		return rc;
	}
	return store_commit(core->store) ? -1 : 0;
}

int core_publish_pathway(struct core *core, const struct pathway *pw, clock_us now, char **err)
{
	size_t len;
	char *source = read_file(pw->file, &len);
	if (!source) {
		*err = xasprintf("cannot read %s: %s", pw->file, strerror(errno));
		return -1;
	}
	int rc = store_pathway_register(core->store, pw->id, pw->version, pw->digest, source, now);
	free(source);
	if (rc > 0)
		*err = xasprintf("%s: error: pathway '%s' version %ld is already in use with other content; "
				 "raise 'version' to publish a change (running cases keep the version they started with)",
				 pw->file, pw->id, pw->version);
	else if (rc < 0)
		*err = xasprintf("cannot record pathway %s v%ld: %s", pw->id, pw->version, store_errmsg(core->store));
	return rc;
}

int core_publish_pathways(struct core *core, clock_us now, char **err)
{
	for (size_t i = 0; i < core->cfg->pathways.n; i++) {
		int rc = core_publish_pathway(core, core->cfg->pathways.items[i], now, err);
		if (rc)
			return rc;
	}
	return 0;
}

int core_retry_notification(struct core *core, const char *id)
{
	return store_outbox_retry(core->store, id);
}
