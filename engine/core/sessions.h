/*
 * sessions — the sessions of people signed in to the pages: a cookie secret
 * (only its digest is stored), an anti-CSRF token, and a stage ("totp" until
 * the second factor is passed, then "full"). A session ends when it is idle
 * for sign_in.idle_minutes, sign_in.absolute_hours after it began, at
 * sign-out, and when its user is revoked or reissued. Writes go into the
 * caller's unit.
 */
#ifndef TSUNAGU_SESSIONS_H
#define TSUNAGU_SESSIONS_H

#include <stdbool.h>

#include "clock.h"
#include "config.h"
#include "store.h"

/*
 * The cookie's name: with https, the __Host- prefix makes browsers refuse one
 * set by a sibling subdomain or for a narrower path (it must be Secure, for /,
 * without Domain); plain http (the demo, a test) cannot have it.
 */
#define SESSION_COOKIE "tsunagu_session"
#define SESSION_COOKIE_HOST "__Host-tsunagu_session"
const char *sessions_cookie_name(const struct config *cfg);

/* A session is marked used at most this often, so reads do not each write a row. */
#define SESSION_SEEN_EVERY_US (30 * (clock_us)1000000)

enum session_state { SESSION_LIVE, SESSION_IDLE, SESSION_EXPIRED };

/* Whether a session may still be used at now. */
enum session_state sessions_state(const struct config *cfg, const struct store_session *x, clock_us now);

/* When the session ends if unused from now on, and when it ends at the latest. */
clock_us sessions_idle_end(const struct config *cfg, const struct store_session *x);
clock_us sessions_absolute_end(const struct config *cfg, const struct store_session *x);

/* Whether the roles must pass a second factor (sign_in.totp_roles). */
bool sessions_need_totp(const struct config *cfg, role_mask roles);

/*
 * Ends in the store the sessions that went idle or past their end (they are
 * refused already; this records it, so the table holds live sessions only as
 * live). In the caller's transaction; how many, or -1.
 */
int sessions_sweep(struct store *s, const struct config *cfg, clock_us now);

/*
 * Begins a session of user at stage, from client: 0 with the cookie secret
 * (caller frees) and the session (release it), or -1.
 */
int sessions_begin(struct store *s, const char *user_id, const char *stage, const char *client, clock_us now,
		   char **cookie, struct store_session *out);

/* The Set-Cookie value of a session (caller frees); cookie NULL: the one that clears it. */
char *sessions_cookie_header(const struct config *cfg, const char *cookie);

/*
 * The session secret in a Cookie header (caller frees), or NULL: none, a
 * malformed one, or two of them (a cookie planted beside ours is no session).
 */
char *sessions_cookie_from(const struct config *cfg, const char *cookie_header);

#endif
