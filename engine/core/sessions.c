/*
 * sessions — beginning, timing and naming sessions; the store keeps them so
 * that every daemon on a database shares them and an operator's `user
 * sessions --end` acts at the next request.
 */
#include "sessions.h"
#include "token.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE_US (60 * (clock_us)1000000)

clock_us sessions_idle_end(const struct config *cfg, const struct store_session *x)
{
	return x->seen_at + (clock_us)cfg->sign_in.idle_minutes * MINUTE_US;
}

clock_us sessions_absolute_end(const struct config *cfg, const struct store_session *x)
{
	return x->created_at + (clock_us)cfg->sign_in.absolute_hours * 60 * MINUTE_US;
}

enum session_state sessions_state(const struct config *cfg, const struct store_session *x, clock_us now)
{
	if (now >= sessions_absolute_end(cfg, x))
		return SESSION_EXPIRED;
	if (now >= sessions_idle_end(cfg, x))
		return SESSION_IDLE;
	return SESSION_LIVE;
}

int sessions_sweep(struct store *s, const struct config *cfg, clock_us now)
{
	return store_sessions_end_stale(s, now - (clock_us)cfg->sign_in.idle_minutes * MINUTE_US,
					now - (clock_us)cfg->sign_in.absolute_hours * 60 * MINUTE_US, now);
}

bool sessions_need_totp(const struct config *cfg, role_mask roles)
{
	return (roles & cfg->sign_in.totp_roles) != 0;
}

int sessions_begin(struct store *s, const char *user_id, const char *stage, const char *client, clock_us now,
		   char **cookie, struct store_session *out)
{
	char *secret = token_generate();
	char hash[TOKEN_HASH_HEX];
	token_hash(secret, hash);
	struct store_session x = { .id = token_new_id("s_"), .csrf = token_generate(), .stage = xstrdup(stage),
				   .client = xstrdup(client), .created_at = now, .seen_at = now };
	if (store_session_add(s, hash, &x, user_id)) {
		free(secret);
		store_session_release(&x);
		return -1;
	}
	*cookie = secret;
	*out = x;
	return 0;
}

const char *sessions_cookie_name(const struct config *cfg)
{
	return strncmp(cfg->public_url, "https://", 8) ? SESSION_COOKIE : SESSION_COOKIE_HOST;
}

char *sessions_cookie_header(const struct config *cfg, const char *cookie)
{
	/* Secure where the pages are served over https (behind the TLS proxy) */
	const char *secure = strncmp(cfg->public_url, "https://", 8) ? "" : "; Secure";
	const char *name = sessions_cookie_name(cfg);
	if (!cookie)
		return xasprintf("%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s", name, secure);
	return xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict%s", name, cookie, secure);
}

/* Whether v[0..len) can be a secret of token_generate's alphabet. */
static bool secret_shaped(const char *v, size_t len)
{
	if (!len || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') ||
		      v[i] == '_' || v[i] == '-'))
			return false;
	return true;
}

char *sessions_cookie_from(const struct config *cfg, const char *header)
{
	const char *name = sessions_cookie_name(cfg);
	const size_t name_len = strlen(name);
	char *found = NULL;
	for (const char *p = header; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		size_t n = strcspn(p, ";");
		if (n > name_len && !strncmp(p, name, name_len) && p[name_len] == '=') {
			const char *v = p + name_len + 1;
			size_t len = n - name_len - 1;
			while (len && v[len - 1] == ' ')
				len--;
			if (found || !secret_shaped(v, len)) {
				free(found);
				return NULL;
			}
			found = xstrndup(v, len);
		}
		p += n;
	}
	return found;
}
