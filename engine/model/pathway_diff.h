/*
 * pathway_diff — what changed between two versions of a pathway, in the terms
 * a coordinator reads at a review meeting: states, actions, timers and fields
 * added, removed or changed (and how), by name. The review pack shows it when
 * its period spans a version change; `tsunagu pathway diff` prints it.
 */
#ifndef TSUNAGU_PATHWAY_DIFF_H
#define TSUNAGU_PATHWAY_DIFF_H

#include <jansson.h>

#include "pathway.h"

/*
 * {from, to, states, actions, timers, fields, rules}: each a list of
 * {name, change: added|removed|changed, title: {ja, en}, what: [...]} where
 * `what` says, for a change, which properties differ (to, by, requires,
 * after, notify, type, choices, title, …). Actions and timers are named
 * STATE.NAME; rules are eligibility, start (where an opening goes),
 * opened_by, consent, receivers and subject (the details asked), with no title.
 * Caller decrefs.
 */
json_t *pathway_diff(const struct pathway *from, const struct pathway *to);

#endif
