/*
 * accounts — users, their tokens and enrolment codes, as the command line and
 * the demo set-up manage them: a user belongs to one organisation and has
 * roles; a token or code is printed once and only its hash is stored. Each function writes in the
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
 * transaction; with a login (NULL: none, API use only) also a one-time
 * enrolment code with which the person sets a passphrase on the pages.
 * Returns 0 with the new id, token and code (caller frees them), or -1 with a
 * message (nothing written when the input is refused).
 */
int accounts_add(struct store *s, const struct config *cfg, const char *org, const char *name, const char *login,
		 role_mask roles, clock_us expires_at, clock_us now, char **user_id, char **token, char **enrol_code,
		 char **err);

/*
 * Revokes the user's tokens and issues a new one, and ends the user's
 * sessions, in the caller's transaction. A user with a login (or given one
 * now) gets a new enrolment code: the passphrase and TOTP secret are reset
 * and the codes given before are void. 0, or -1 with a message.
 */
int accounts_reissue(struct store *s, const struct config *cfg, const char *user_id, const char *login,
		     clock_us expires_at, clock_us now, char **token, char **enrol_code, char **err);

/*
 * Gives an active user a login name (or a new one) and a one-time enrolment
 * code, leaving their tokens as they are; the passphrase and second factor
 * start again and their sessions end. 0, or -1 with a message.
 */
int accounts_give_login(struct store *s, const struct config *cfg, const char *user_id, const char *login, clock_us now,
			char **enrol_code, char **err);

/* Revokes the user's tokens and issues a new one, nothing else (the demo's restart). 0, or -1 with a message. */
int accounts_token_reissue(struct store *s, const char *user_id, clock_us expires_at, clock_us now, char **token,
			   char **err);

/* A new one-time enrolment code for a user with a login: the passphrase and TOTP start again. 0, or -1 (*err). */
int accounts_enrol(struct store *s, const struct config *cfg, const char *user_id, clock_us now, char **code, char **err);

/* Revokes a user, all its tokens and its sessions: 0; 1 when there is no active user of that id; -1 on error (*err). */
int accounts_revoke(struct store *s, const char *user_id, clock_us now, char **err);

#endif
