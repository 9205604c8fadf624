/*
 * core — the pathway registry and the transaction of commands. Older versions
 * are compiled once and kept for the life of the core: a daemon meets few.
 */
#include "core.h"
#include "log.h"
#include "graph.h"
#include "strmap.h"
#include "mpjson.h"
#include "token.h"
#include "util.h"

#include <errno.h>
#include <pwd.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *core_time_json(const struct core *core, clock_us t)
{
	char out[48];
	if (!t)
		return json_null();
	clock_format(core->clock, t, out);
	return json_string(out);
}

struct pathway *core_stored_pathway(struct core *core, const char *id, long version)
{
	char *source = version ? store_pathway_source(core->store, id, version)
			       : store_pathway_latest(core->store, id, &version);
	if (!source)
		return NULL;
	struct diag d;
	diag_init(&d);
	char *name = xasprintf("%s v%ld (stored)", id, version);
	struct pathway *pw = pathway_compile(name, source, strlen(source), &d);
	free(name);
	free(source);
	diag_release(&d);
	return pw;
}

const struct pathway *core_pathway(struct core *core, const char *id, long version)
{
	const struct pathway *pw = pathway_set_find(&core->cfg->pathways, id);
	if (pw && pw->version == version)
		return pw;
	for (size_t i = 0; i < core->older.n; i++)
		if (!strcmp(core->older.items[i]->id, id) && core->older.items[i]->version == version)
			return core->older.items[i];
	struct pathway *old = core_stored_pathway(core, id, version);
	if (old)
		pathway_set_add(&core->older, old);
	return old;
}

void core_adopt_broken_pathways(struct core *core, struct config *cfg)
{
	for (size_t i = 0; i < cfg->broken_pathways.n; i++) {
		const struct pathway_broken *b = &cfg->broken_pathways.items[i];
		if (!core->degraded)
			core->degraded = json_array();
		struct pathway *pw = pathway_set_find(&cfg->pathways, b->id) ? NULL : core_stored_pathway(core, b->id, 0);
		char *why;
		if (pw) {
			pw->from_store = true;
			why = xasprintf("%s does not compile (%s); pathway %s runs on version %ld, as the database "
					"published it", b->file, b->problem ? b->problem : "", b->id, pw->version);
			pathway_set_add(&cfg->pathways, pw);
		} else {
			why = xasprintf("%s does not compile (%s); pathway %s has no published version to run: no case of "
					"it can be opened", b->file, b->problem ? b->problem : "", b->id);
		}
		json_array_append_new(core->degraded, json_string(why));
		log_msg(LOGM_PATHWAY_KEPT, "DEGRADED: %s", why);
		free(why);
	}
}

const char *core_pathway_svg(struct core *core, const struct pathway *pw)
{
	if (!core->diagrams)
		core->diagrams = strmap_new();
	void **slot = strmap_slot(core->diagrams, pw->digest);
	if (!*slot) {
		struct buf svg;
		buf_init(&svg);
		/* a drawing that failed is kept as empty: Graphviz is not asked again on every request */
		if (graph_render_svg(pw, &svg))
			svg.len = 0;
		buf_addc(&svg, '\0');
		svg.len--;
		*slot = buf_detach(&svg);
	}
	return **(char **)slot ? *slot : NULL;
}

void core_release(struct core *core)
{
	strmap_free(core->diagrams, free);
	core->diagrams = NULL;
	json_decref(core->degraded);
	core->degraded = NULL;
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
	if (rc == 2) {
		json_t *payload = json_pack("{s:s, s:I, s:s, s:s}", "pathway", pw->id, "version", (json_int_t)pw->version,
					    "digest", pw->digest, "file", pw->file);
		char operator[CORE_OPERATOR_MAX];
		rc = core_admin_event(core, now, NULL, core_operator(operator), "pathway_published", payload) ? -1 : 0;
		json_decref(payload);
		if (!rc)
			log_msg(LOGM_PATHWAY_PUBLISHED, "pathway %s version %ld published from %s (%.12s)", pw->id,
				pw->version, pw->file, pw->digest);
		if (rc)
			*err = xasprintf("cannot record the publication of %s v%ld: %s", pw->id, pw->version,
					 store_errmsg(core->store));
		return rc;
	}
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
		if (core->cfg->pathways.items[i]->from_store)
			continue;
		int rc = core_publish_pathway(core, core->cfg->pathways.items[i], now, err);
		if (rc)
			return rc;
	}
	return 0;
}

int core_retry_notification(struct core *core, const char *id)
{
	int rc = store_outbox_retry(core->store, id);
	if (rc == 0 && core->notification_retried)
		core->notification_retried(core->dispatch_ctx, id);
	return rc;
}

int core_admin_event(struct core *core, clock_us now, const struct cm_caller *who, const char *operator,
		     const char *action, const json_t *payload)
{
	json_t *p = payload ? json_deep_copy(payload) : json_object();
	if (operator)
		json_object_set_new(p, "by", json_string(operator));
	size_t len = 0;
	char *bytes = mpjson_encode(p, &len);
	char *id = token_new_id("e_");
	struct store_event ev = {
		.id = id, .case_id = "", .at = now,
		.actor_user = who ? (char *)who->user : NULL,
		.actor_org = who && who->org ? who->org->id : NULL,
		.action = (char *)action, .from_state = NULL, .to_state = "", .case_version = 0,
		.payload = bytes, .payload_len = len,
	};
	int rc = store_event_append(core->store, &ev);
	free(bytes);
	free(id);
	json_decref(p);
	return rc;
}

const char *core_operator(char out[CORE_OPERATOR_MAX])
{
	const struct passwd *pw = getpwuid(geteuid());
	snprintf(out, CORE_OPERATOR_MAX, "operator:%s", pw && pw->pw_name ? pw->pw_name : "unknown");
	return out;
}
