/*
 * adapter — the table of adapters; adding one touches its own file and this table.
 */
#include "adapter.h"

#include <string.h>
#include <strings.h>

static const struct adapter *const adapters[] = { &adapter_webhook, &adapter_email, &adapter_jsonl, &adapter_forward };

const struct adapter *adapter_find(const char *name)
{
	for (size_t i = 0; i < sizeof(adapters) / sizeof(adapters[0]); i++)
		if (!strcmp(adapters[i]->name, name))
			return adapters[i];
	return NULL;
}

bool adapter_host_allowed(const struct adapter_env *env, const char *host)
{
	for (size_t i = 0; i < env->n_allowed_hosts; i++)
		if (!strcasecmp(env->allowed_hosts[i], host))
			return true;
	return false;
}
