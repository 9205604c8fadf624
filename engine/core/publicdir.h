/*
 * publicdir — the public directory (【ア】 医療・介護資源リスト の公開): the
 * resources whose providers agreed to publication, written as a static,
 * self-contained site for the city's own website (the daemon that holds
 * personal data never serves the public): an index by area and category, a
 * printable page per area, and a mark where a confirmation is stale.
 */
#ifndef TSUNAGU_PUBLICDIR_H
#define TSUNAGU_PUBLICDIR_H

#include "clock.h"
#include "config.h"
#include "store.h"

/*
 * Writes index.html and area-ID.html into dir (created if
 * missing), each through a temporary file: only active resources with
 * `publish`, a phone or email only when `contact.phone_public` /
 * `contact.email_public`; area pages of areas no longer configured are removed. 0 and the number of
 * resources published in *count, or -1 with *err.
 */
int publicdir_export(const struct config *cfg, const struct clock *clk, struct store *s, const char *dir,
		     int *count, char **err);

#endif
