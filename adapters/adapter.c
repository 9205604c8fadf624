/*
 * adapter — the table of adapters; adding one touches its own file and this table.
 */
#include "adapter.h"
#include "util.h"

#include <curl/curl.h>

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

const char adapter_names[] = "webhook, email, jsonl or forward";

const char *const *adapter_settings_of(const char *name)
{
	const struct adapter *a = adapter_find(name);
	return a ? a->settings : NULL;
}

int adapter_check_settings(const char *name, const json_t *settings, const char **key, char **err)
{
	const struct adapter *a = adapter_find(name);
	if (!a) {
		*key = NULL;
		*err = xasprintf("unknown adapter '%s'", name);
		return -1;
	}
	return a->check(settings, key, err);
}

char *adapter_settings_host(const char *name, const json_t *settings)
{
	const struct adapter *a = adapter_find(name);
	return a ? a->host(settings) : NULL;
}

bool adapter_host_allowed(const struct adapter_env *env, const char *host)
{
	for (size_t i = 0; i < env->n_allowed_hosts; i++)
		if (!strcasecmp(env->allowed_hosts[i], host))
			return true;
	return false;
}

char *adapter_url_host(const char *url, const char *const *schemes)
{
	CURLU *u = curl_url();
	char *host = NULL, *scheme = NULL, *out = NULL;
	if (url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		for (size_t i = 0; schemes[i] && !out; i++)
			if (!strcmp(scheme, schemes[i]))
				out = xstrdup(host);
	curl_free(host);
	curl_free(scheme);
	curl_url_cleanup(u);
	return out;
}

int adapter_check_seconds(const json_t *settings, const char *name, const char **key, char **err)
{
	const json_t *v = json_object_get(settings, name);
	if (!v || (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 300))
		return 0;
	*key = name;
	*err = xasprintf("'%s' must be a whole number of seconds from 1 to 300", name);
	return -1;
}
