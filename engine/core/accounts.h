/*
 * accounts — users and their tokens, as the command line and the demo set-up
 * manage them: a user belongs to one organisation and has roles; a token is
 * printed once and only its hash is stored. Each function writes in the
 * caller's transaction (core_transaction for a command).
 */
#ifndef TSUNAGU_ACCOUNTS_H
#define TSUNAGU_ACCOUNTS_H

#include "clock.h"
#include "config.h"
#include "store.h"

/* Parses "nurse,coordinator" into a mask; -1 with a message on an unknown or unusable role. */
int accounts_parse_roles(const char *list, role_mask *out, char **err);

/*
 * Creates a user of org with roles and a first token, in the caller's
 * transaction. Returns 0 with the new id and token (caller frees both), or -1
 * with a message (nothing written when the input is refused).
 */
int accounts_add(struct store *s, const struct config *cfg, const char *org, const char *name,
		 role_mask roles, clock_us expires_at, clock_us now, char **user_id, char **token, char **err);

/* Revokes the user's tokens and issues a new one, in the caller's transaction. 0, or -1 with a message. */
int accounts_reissue(struct store *s, const char *user_id, clock_us expires_at, clock_us now,
		     char **token, char **err);

/* Revokes a user and all its tokens: 0; 1 when there is no active user of that id; -1 on error (*err). */
int accounts_revoke(struct store *s, const char *user_id, clock_us now, char **err);

#endif
