/*
 * store — the schema, its migrations, and one prepared statement per query,
 * written once against sqldb's statement interface in SQLite's dialect (the
 * SQLite driver, sqldb_sqlite, runs them as they are). The event chain: each event's hash covers its own columns, the digest of
 * its payload and the previous event's hash, so an edited, deleted or reordered
 * row breaks the chain at that row.
 */
#include "store.h"
#include "log.h"
#include "sqldb.h"
#include "sqldb_sqlite.h"
#include "textfold.h"
#include "token.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
	ST_USER_ADD, ST_USER_REVOKE, ST_TOKENS_REVOKE, ST_TOKEN_ADD, ST_AUTH, ST_USER_GET,
	ST_USER_BY_NAME, ST_USERS_LIST, ST_ORG_USERS, ST_USER_SET_LOGIN, ST_CREDENTIALS, ST_ENROLMENT_SET,
	ST_PASSPHRASE_SET, ST_TOTP_SET, ST_TOTP_USED, ST_SESSION_ADD, ST_SESSION_AUTH, ST_SESSION_SEEN,
	ST_SESSION_END, ST_SESSIONS_END_USER, ST_SESSIONS_LIST, ST_SESSION_END_ID, ST_ACCEPT_TIMES, ST_PW_VERSIONS,
	ST_PW_GET, ST_PW_ADD, ST_PW_SOURCE,
	ST_CASE_INSERT, ST_CASE_UPDATE, ST_CASE_GET,
	ST_SUBJECT_INSERT, ST_SUBJECT_UPDATE, ST_SUBJECT_GET,
	ST_EVENT_HEAD, ST_EVENT_INSERT, ST_PAYLOAD_INSERT, ST_EVENTS_FOR_CASE, ST_EVENTS_ALL,
	ST_NOTE_ADD, ST_NOTES_FOR_CASE,
	ST_OUTBOX_ADD, ST_PROVISION_ADD, ST_ACCESS_ADD,
	ST_IDEM_GET, ST_IDEM_PUT,
	ST_OUTBOX_READY, ST_OUTBOX_RESULT, ST_OUTBOX_NEXT, ST_OUTBOX_GET, ST_OUTBOX_RETRY,
	ST_IMPORT_GET, ST_IMPORT_PUT, ST_ACCESS_LIST, ST_PROVISIONS_LIST,
	ST_PURGE_CANDIDATES, ST_PROVISION_SINCE, ST_PURGE_SUBJECT, ST_PURGE_PAYLOADS, ST_PURGE_NOTES,
	ST_PURGE_IDEM, ST_PURGE_FIELDS, ST_PROVISIONS_KEEP_NAME, ST_CASES_ASSIGNED, ST_PW_LATEST, ST_PROVISIONS_OF_CASE, ST_PURGE_IMPORTS, ST_PERSON_CASES,
	ST_TIMER_ADD, ST_TIMERS_CANCEL, ST_TIMERS_FOR_CASE, ST_TIMERS_DUE, ST_TIMER_DONE, ST_TIMER_NEXT,
	ST_SAME_PERSON, ST_RESOURCE_INSERT, ST_RESOURCE_UPDATE, ST_RESOURCE_GET, ST_RESOURCE_AREAS_DELETE,
	ST_RESOURCE_AREA_ADD, ST_SEARCH_DELETE, ST_SEARCH_ADD, ST_RESOURCES_COUNT, ST_LINK_INSERT, ST_LINK_UPDATE,
	ST_LINK_GET, ST_LINKS_FOR_CASE, ST_LINK_ROWS, ST_LINK_ROWS_BY_CASE, ST_LINKS_IN_PERIOD, ST_PURGE_LINKS, ST_TIMERS_PENDING, ST_OUTBOX_TALLY,
	ST_EVENT_HASH, ST_SESSIONS_END_ALL, ST_TOKENS_REVOKE_BEFORE, ST_SESSIONS_END_STALE, ST_CASE_PATHWAY,
	ST_SUMMARY_NOTE, ST_SUMMARY_PUT, ST_REPORT_CASES, ST_CASE_REPORT_EVENTS, ST_UNSUMMARIZED, ST_SUMMARIES,
	ST_CASES_ON_VERSION, ST_PW_IDS, ST_TALLY_PUT, ST_TALLIES, ST_INBOX_UNKNOWN, ST_INBOX_PUT,
	ST_COUNT
};

/*
 * The columns of a case, in read_case's order, with what its links say: each
 * link's status (and "+joined" when it ended or was declined after the person
 * joined), and which providers hold the person's details now.
 */
#define CASE_COLUMNS \
	"cases.id, cases.pathway, cases.pathway_version, cases.state, cases.version, cases.origin_org, " \
	"cases.origin_user, cases.receiver_org, cases.assignee, cases.subject_id, cases.consent, cases.fields, " \
	"cases.opened_at, cases.updated_at, cases.closed_at, cases.outcome, cases.area, cases.person_id, " \
	"cases.person_key, cases.duplicates, " \
	"(SELECT group_concat(l.status || CASE WHEN l.joined_on IS NOT NULL AND l.status <> 'joined' " \
	"THEN '+joined' ELSE '' END) FROM links l WHERE l.case_id = cases.id), " \
	"(SELECT group_concat(DISTINCT l.provider_org) FROM links l WHERE l.case_id = cases.id " \
	"AND l.shared IS NOT NULL AND l.status IN ('proposed', 'joined')), " \
	"(SELECT s.purged_at FROM subjects s WHERE s.id = cases.subject_id), " \
	"(SELECT u.revoked_at IS NOT NULL FROM users u WHERE u.id = cases.assignee), cases.due_at, cases.entered_at, " \
	"(SELECT ((m.accepted_at IS NOT NULL) << 2) | ((m.contacted_at IS NOT NULL) << 3) | " \
	"((m.linked_at IS NOT NULL) << 4) | ((m.feedback_at IS NOT NULL) << 5) | ((m.closed_at IS NOT NULL) << 6) " \
	"FROM case_summaries m WHERE m.case_id = cases.id), cases.inbox"
_Static_assert(MILESTONE_ACCEPTED == 2 && MILESTONE_CONTACTED == 3 && MILESTONE_LINKED == 4 &&
	       MILESTONE_FEEDBACK == 5 && MILESTONE_CLOSED == 6, "CASE_COLUMNS' bits of the milestones reached");

#define LINK_COLUMNS \
	"id, case_id, resource_id, provider_org, status, proposed_on, joined_on, declined_on, ended_on, note, " \
	"shared, consent, created_by, created_org, created_at, updated_at"

#define RESOURCE_COLUMNS "id, data, category, provider, status, capacity, version, created_at, updated_at, updated_by"


static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT action",
	[ST_RELEASE] = "RELEASE action",
	[ST_ROLLBACK_TO] = "ROLLBACK TO action",
	[ST_USER_ADD] = "INSERT INTO users(id, org, name, roles, created_at) VALUES (?,?,?,?,?)",
	[ST_USER_REVOKE] = "UPDATE users SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
	[ST_TOKENS_REVOKE] = "UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
	[ST_TOKEN_ADD] = "INSERT INTO tokens(hash, user_id, created_at, expires_at) VALUES (?,?,?,?)",
	[ST_AUTH] = "SELECT u.id, u.org, u.name, u.roles, u.created_at, t.expires_at, u.login FROM tokens t "
		    "JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND t.revoked_at IS NULL "
		    "AND u.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)",
	[ST_USER_GET] = "SELECT id, org, name, roles, created_at, revoked_at, "
			"(SELECT max(expires_at) FROM tokens WHERE user_id = users.id AND revoked_at IS NULL), login "
			"FROM users WHERE id = ?",
	[ST_USER_BY_NAME] = "SELECT id, org, name, roles, created_at, revoked_at, NULL, login "
			    "FROM users WHERE org = ? AND name = ? AND revoked_at IS NULL",
	[ST_USERS_LIST] = "SELECT id, org, name, roles, created_at, revoked_at, "
			  "(SELECT max(expires_at) FROM tokens WHERE user_id = users.id AND revoked_at IS NULL), login "
			  "FROM users ORDER BY org, name, id",
	[ST_ORG_USERS] = "SELECT id, org, name, roles, created_at, revoked_at, NULL, login "
			 "FROM users WHERE org = ? AND revoked_at IS NULL ORDER BY name, id",
	[ST_USER_SET_LOGIN] = "UPDATE users SET login = ? WHERE id = ? AND revoked_at IS NULL",
	[ST_CREDENTIALS] = "SELECT id, org, roles, passphrase, enrol_hash, enrol_expires, totp_secret, "
			   "totp_last_step FROM users WHERE login = ? AND revoked_at IS NULL",
	[ST_ENROLMENT_SET] = "UPDATE users SET enrol_hash = ?, enrol_expires = ?, passphrase = NULL, "
			     "totp_secret = NULL, totp_last_step = NULL WHERE id = ? AND revoked_at IS NULL",
	[ST_PASSPHRASE_SET] = "UPDATE users SET passphrase = ?, enrol_hash = NULL, enrol_expires = NULL "
			      "WHERE id = ? AND revoked_at IS NULL AND enrol_hash = ? AND enrol_expires > ?",
	[ST_TOTP_SET] = "UPDATE users SET totp_secret = ?, totp_last_step = NULL WHERE id = ? AND revoked_at IS NULL",
	[ST_TOTP_USED] = "UPDATE users SET totp_last_step = ? WHERE id = ? AND "
			 "(totp_last_step IS NULL OR totp_last_step < ?)",
	[ST_SESSION_ADD] = "INSERT INTO sessions(hash, id, user_id, csrf, stage, client, created_at, seen_at) "
			   "VALUES (?,?,?,?,?,?,?,?)",
	[ST_SESSION_AUTH] = "SELECT u.id, u.org, u.name, u.roles, u.created_at, NULL, u.login, s.id, s.csrf, "
			    "s.stage, s.created_at, s.seen_at, s.client FROM sessions s JOIN users u ON u.id = s.user_id "
			    "WHERE s.hash = ? AND s.ended_at IS NULL AND u.revoked_at IS NULL",
	[ST_SESSION_SEEN] = "UPDATE sessions SET seen_at = ? WHERE hash = ? AND ended_at IS NULL",
	[ST_SESSION_END] = "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE hash = ? AND ended_at IS NULL",
	[ST_SESSIONS_END_USER] = "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE user_id = ? "
				 "AND ended_at IS NULL",
	[ST_SESSIONS_LIST] = "SELECT id, stage, client, created_at, seen_at FROM sessions WHERE user_id = ? "
			     "AND ended_at IS NULL ORDER BY created_at, id",
	/* every recorded version of a pathway with its running (open) cases */
	[ST_PW_VERSIONS] = "SELECT v.version, v.loaded_at, (SELECT count(*) FROM cases c WHERE c.pathway = v.pathway "
			   "AND c.pathway_version = v.version AND c.closed_at IS NULL) FROM pathway_versions v "
			   "WHERE v.pathway = ? ORDER BY v.version",
	/* the newest cases a receiver took on: when each was opened and when it first reached a named state */
	[ST_ACCEPT_TIMES] = "SELECT c.opened_at, (SELECT min(e.at) FROM events e WHERE e.case_id = c.id "
			    "AND instr(',' || ?3 || ',', ',' || e.to_state || ',') > 0) AS reached "
			    "FROM cases c WHERE c.receiver_org = ?1 AND c.pathway = ?2 AND c.opened_at >= ?4 "
			    "AND reached IS NOT NULL ORDER BY c.opened_at DESC LIMIT ?5",
	[ST_SESSION_END_ID] = "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE user_id = ? AND id = ? "
			      "AND ended_at IS NULL",
	[ST_PW_GET] = "SELECT digest FROM pathway_versions WHERE pathway = ? AND version = ?",
	[ST_PW_ADD] = "INSERT INTO pathway_versions(pathway, version, digest, source, loaded_at) VALUES (?,?,?,?,?)",
	[ST_PW_SOURCE] = "SELECT source FROM pathway_versions WHERE pathway = ? AND version = ?",
	[ST_CASE_INSERT] = "INSERT INTO cases(id, pathway, pathway_version, state, version, origin_org, "
			   "origin_user, receiver_org, assignee, subject_id, consent, fields, opened_at, "
			   "updated_at, closed_at, outcome, area, person_id, person_key, duplicates, due_at, entered_at, "
			   "inbox) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_CASE_UPDATE] = "UPDATE cases SET state = ?, version = ?, receiver_org = ?, assignee = ?, "
			   "consent = ?, fields = ?, updated_at = ?, closed_at = ?, outcome = ?, area = ?, "
			   "person_id = ?, person_key = ?, due_at = ?, entered_at = ?, pathway_version = ?, inbox = ? "
			   "WHERE id = ? AND version = ?",
	[ST_CASE_GET] = "SELECT " CASE_COLUMNS " FROM cases WHERE id = ?",
	[ST_SUBJECT_INSERT] = "INSERT INTO subjects(id, data, updated_at) VALUES (?,?,?)",
	[ST_SUBJECT_UPDATE] = "UPDATE subjects SET data = ?, updated_at = ? WHERE id = ?",
	[ST_SUBJECT_GET] = "SELECT data FROM subjects WHERE id = ? AND data IS NOT NULL",
	[ST_EVENT_HEAD] = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
	[ST_EVENT_INSERT] = "INSERT INTO events(seq, id, case_id, at, actor_user, actor_org, action, "
			    "from_state, to_state, case_version, payload_digest, prev_hash, hash) "
			    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_PAYLOAD_INSERT] = "INSERT INTO event_payloads(seq, payload) VALUES (?,?)",
	[ST_EVENTS_FOR_CASE] = "SELECT e.seq, e.id, e.case_id, e.at, e.actor_user, e.actor_org, e.action, "
			       "e.from_state, e.to_state, e.case_version, e.payload_digest, e.prev_hash, "
			       "e.hash, p.payload FROM events e LEFT JOIN event_payloads p ON p.seq = e.seq "
			       "WHERE e.case_id = ? AND e.seq > ? ORDER BY e.seq",
	[ST_EVENTS_ALL] = "SELECT e.seq, e.id, e.case_id, e.at, e.actor_user, e.actor_org, e.action, "
			  "e.from_state, e.to_state, e.case_version, e.payload_digest, e.prev_hash, "
			  "e.hash, p.payload FROM events e LEFT JOIN event_payloads p ON p.seq = e.seq "
			  "ORDER BY e.rowid",
	[ST_NOTE_ADD] = "INSERT INTO notes(id, case_id, user_id, org, visibility, text, at) VALUES (?,?,?,?,?,?,?)",
	[ST_NOTES_FOR_CASE] = "SELECT id, user_id, org, visibility, text, at FROM notes WHERE case_id = ?1 "
			      "AND (?2 IS NULL OR at > ?2 OR (at = ?2 AND id > ?3)) ORDER BY at, id",
	[ST_OUTBOX_ADD] = "INSERT INTO outbox(id, case_id, event_seq, party, org, user_id, template, "
			  "status, attempts, created_at, next_attempt_at, channel, state, last_error) "
			  "VALUES (?,?,?,?,?,?,?,?,0,?,?,?,?,?)",
	[ST_OUTBOX_READY] = "SELECT o.id, o.case_id, o.party, o.org, o.user_id, o.template, o.channel, o.state, "
			    "o.attempts, o.created_at, o.next_attempt_at, o.status, o.last_error, o.delivered_at "
			    "FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ? AND o.event_seq <= ? "
			    "AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.status = 'pending' AND e.case_id = o.case_id "
			    "AND e.channel = o.channel AND (e.created_at < o.created_at OR (e.created_at = o.created_at "
			    "AND e.rowid < o.rowid))) ORDER BY o.next_attempt_at, o.rowid LIMIT ?",
	[ST_OUTBOX_RESULT] = "UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, "
			     "delivered_at = ? WHERE id = ? AND status = 'pending'",
	[ST_OUTBOX_NEXT] = "SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'",
	[ST_OUTBOX_GET] = "SELECT id, case_id, party, org, user_id, template, channel, state, attempts, created_at, "
			  "next_attempt_at, status, last_error, delivered_at FROM outbox WHERE id = ?",
	[ST_OUTBOX_RETRY] = "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = created_at, "
			    "last_error = NULL WHERE id = ? AND status = 'dead'",
	[ST_PROVISION_ADD] = "INSERT INTO provisions(id, at, case_id, subject_id, from_org, to_org, items, "
			     "consent_basis, event_seq) VALUES (?,?,?,?,?,?,?,?,?)",
	[ST_ACCESS_ADD] = "INSERT INTO access_log(at, user_id, org, case_id, subject_id, what) VALUES (?,?,?,?,?,?)",
	[ST_IDEM_GET] = "SELECT request_hash, status, body FROM idempotency WHERE user_id = ? AND key = ?",
	[ST_IDEM_PUT] = "INSERT INTO idempotency(user_id, key, request_hash, status, body, created_at) "
			"VALUES (?,?,?,?,?,?)",
	[ST_IMPORT_GET] = "SELECT row_digest, case_id, cells FROM imports WHERE pathway = ? AND person_id = ? AND checkup_date = ?",
	[ST_IMPORT_PUT] = "INSERT INTO imports(pathway, person_id, checkup_date, row_digest, case_id, eligible, imported_at, "
			  "cells) VALUES (?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(pathway, person_id, checkup_date) DO UPDATE "
			  "SET row_digest = ?4, case_id = ?5, eligible = ?6, imported_at = ?7, cells = ?8",
	[ST_ACCESS_LIST] = "SELECT a.at, a.user_id, a.org, a.case_id, a.subject_id, a.what, u.name, a.id "
			   "FROM access_log a LEFT JOIN users u ON u.id = a.user_id "
			   "WHERE a.at >= ?1 AND (?2 = 0 OR a.at < ?2) "
			   "AND (?4 IS NULL OR a.at > ?3 OR (a.at = ?3 AND a.id > CAST(?4 AS INTEGER))) "
			   "AND (?6 IS NULL OR a.org = ?6) "
			   "AND (?7 IS NULL OR a.subject_id = ?7 OR a.case_id = ?7 OR a.subject_id IN "
			   "(SELECT subject_id FROM cases WHERE person_id = ?7 OR id = ?7)) "
			   "ORDER BY a.at, a.id LIMIT ?5",
	[ST_PROVISIONS_LIST] = "SELECT p.id, p.at, p.case_id, p.subject_id, p.from_org, p.to_org, p.items, p.consent_basis, "
			       "p.event_seq, coalesce(p.subject_name, json_extract(s.data, '$.name')) FROM provisions p "
			       "LEFT JOIN subjects s ON s.id = p.subject_id "
			       "WHERE p.at >= ?1 AND (?2 = 0 OR p.at < ?2) "
			       "AND (?4 IS NULL OR p.at > ?3 OR (p.at = ?3 AND p.id > ?4)) "
			       "AND (?6 IS NULL OR p.from_org = ?6 OR p.to_org = ?6) "
			       "AND (?7 IS NULL OR p.subject_id = ?7 OR p.case_id = ?7 OR p.subject_id IN "
			       "(SELECT subject_id FROM cases WHERE person_id = ?7 OR id = ?7)) "
			       "ORDER BY p.at, p.id LIMIT ?5",
	[ST_PROVISIONS_OF_CASE] = "SELECT p.id, p.at, p.case_id, p.subject_id, p.from_org, p.to_org, p.items, "
				  "p.consent_basis, p.event_seq, p.subject_name FROM provisions p WHERE p.case_id = ? "
				  "ORDER BY p.at, p.id",
	[ST_PW_LATEST] = "SELECT version, source FROM pathway_versions WHERE pathway = ? ORDER BY version DESC LIMIT 1",
	[ST_CASES_ASSIGNED] = "SELECT id FROM cases WHERE assignee = ? AND closed_at IS NULL ORDER BY opened_at, id LIMIT ?",
	[ST_PROVISIONS_KEEP_NAME] = "UPDATE provisions SET subject_name = ? WHERE case_id = ? AND subject_name IS NULL",
	/* Not purged yet, or purged with something personal that reached the case afterwards. */
	[ST_PURGE_CANDIDATES] = "SELECT " CASE_COLUMNS " FROM cases JOIN subjects s ON s.id = cases.subject_id "
				"WHERE cases.closed_at IS NOT NULL AND cases.closed_at < ?1 "
				"AND (?3 IS NULL OR cases.closed_at > ?2 OR (cases.closed_at = ?2 AND cases.id > ?3)) "
				"AND (s.purged_at IS NULL "
				"OR s.data IS NOT NULL "
				"OR EXISTS (SELECT 1 FROM notes n WHERE n.case_id = cases.id AND n.text IS NOT NULL) "
				"OR EXISTS (SELECT 1 FROM links l WHERE l.case_id = cases.id "
				"AND (l.note IS NOT NULL OR l.consent IS NOT NULL)) "
				"OR EXISTS (SELECT 1 FROM events e JOIN event_payloads p ON p.seq = e.seq "
				"WHERE e.case_id = cases.id AND p.payload IS NOT NULL)) "
				"ORDER BY cases.closed_at, cases.id LIMIT ?4",
	[ST_PROVISION_SINCE] = "SELECT 1 FROM provisions WHERE case_id = ? AND at >= ? LIMIT 1",
	[ST_PURGE_SUBJECT] = "UPDATE subjects SET data = NULL, purged_at = coalesce(purged_at, ?) WHERE id = ?",
	[ST_PURGE_PAYLOADS] = "UPDATE event_payloads SET payload = NULL WHERE seq IN (SELECT seq FROM events WHERE case_id = ?)",
	[ST_PURGE_NOTES] = "UPDATE notes SET text = NULL WHERE case_id = ?",
	[ST_PURGE_IDEM] = "DELETE FROM idempotency WHERE instr(body, ?) > 0",
	[ST_PURGE_FIELDS] = "UPDATE cases SET fields = ?, person_id = NULL, person_key = NULL WHERE id = ?",
	[ST_PURGE_IMPORTS] = "UPDATE imports SET cells = NULL WHERE case_id = ?",
	[ST_PURGE_LINKS] = "UPDATE links SET note = NULL, consent = NULL WHERE case_id = ?",
	/* three index lookups (the person_id column mirrors fields.person_id), not a scan of every case's JSON */
	[ST_PERSON_CASES] = "SELECT id FROM cases WHERE id = ?1 OR subject_id = ?1 OR person_id = ?1 "
			    "ORDER BY opened_at, id",
	[ST_TIMER_ADD] = "INSERT INTO timers(id, case_id, state, name, due_at, created_at) VALUES (?,?,?,?,?,?)",
	[ST_TIMERS_CANCEL] = "UPDATE timers SET cancelled_at = ? WHERE case_id = ? AND fired_at IS NULL "
			     "AND cancelled_at IS NULL",
	[ST_TIMERS_FOR_CASE] = "SELECT id, case_id, state, name, due_at FROM timers WHERE case_id = ? "
			       "AND fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at, id",
	[ST_TIMERS_DUE] = "SELECT id, case_id, state, name, due_at FROM timers WHERE due_at <= ? "
			  "AND fired_at IS NULL AND cancelled_at IS NULL ORDER BY due_at, id LIMIT ?",
	[ST_TIMER_DONE] = "UPDATE timers SET fired_at = ?, cancelled_at = ? WHERE id = ? AND fired_at IS NULL "
			  "AND cancelled_at IS NULL",
	[ST_TIMER_NEXT] = "SELECT min(due_at) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL",
	/* two index walks of at most 20 rows each, however many people share a kana and a birth date */
	[ST_SAME_PERSON] = "SELECT id, reason FROM ("
			   "SELECT * FROM (SELECT id, opened_at, 'same_person_id' AS reason FROM cases "
			   "INDEXED BY cases_open_person_id WHERE ?2 IS NOT NULL AND person_id = ?2 "
			   "AND closed_at IS NULL AND id != ?1 ORDER BY opened_at, id LIMIT 20) "
			   "UNION ALL "
			   "SELECT * FROM (SELECT id, opened_at, 'same_kana_and_birth_date' FROM cases "
			   "INDEXED BY cases_open_person_key WHERE ?3 IS NOT NULL AND person_key = ?3 "
			   "AND closed_at IS NULL AND id != ?1 AND (?2 IS NULL OR person_id IS NOT ?2) "
			   "ORDER BY opened_at, id LIMIT 20)"
			   ") ORDER BY opened_at, id LIMIT 20",
	[ST_RESOURCE_INSERT] = "INSERT INTO resources(id, data, category, provider, status, capacity, sort_key, version, "
			       "created_at, updated_at, updated_by) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?9,?10) "
			       "ON CONFLICT(id) DO NOTHING",
	[ST_RESOURCE_UPDATE] = "UPDATE resources SET data = ?2, category = ?3, provider = ?4, status = ?5, capacity = ?6, "
			       "sort_key = ?7, version = ?8, updated_at = ?9, updated_by = ?10 WHERE id = ?1 AND version = ?11",
	[ST_RESOURCE_GET] = "SELECT " RESOURCE_COLUMNS " FROM resources WHERE id = ?",
	[ST_RESOURCE_AREAS_DELETE] = "DELETE FROM resource_areas WHERE resource_id = ?",
	[ST_RESOURCE_AREA_ADD] = "INSERT OR IGNORE INTO resource_areas(resource_id, area) VALUES (?,?)",
	[ST_SEARCH_DELETE] = "DELETE FROM resource_search WHERE resource_id = ?",
	[ST_SEARCH_ADD] = "INSERT INTO resource_search(resource_id, folded) VALUES (?,?)",
	[ST_RESOURCES_COUNT] = "SELECT count(*) FROM resources",
	/* what /metrics shows: both walk only rows not yet done (the partial index, outbox_due) */
	[ST_EVENT_HASH] = "SELECT hash FROM events WHERE seq = ?",
	[ST_CASE_PATHWAY] = "SELECT pathway, pathway_version FROM cases WHERE id = ?",
	/* ?2: the milestone reached (its column is set the first time only), ?3 when */
	/* ?2: the milestone reached (its column is set the first time only), ?3 when */
	[ST_SUMMARY_NOTE] = "UPDATE case_summaries SET "
			    "accepted_at = coalesce(accepted_at, CASE ?2 WHEN 2 THEN ?3 END), "
			    "contacted_at = coalesce(contacted_at, CASE ?2 WHEN 3 THEN ?3 END), "
			    "linked_at = coalesce(linked_at, CASE ?2 WHEN 4 THEN ?3 END), "
			    "feedback_at = coalesce(feedback_at, CASE ?2 WHEN 5 THEN ?3 END), "
			    "closed_at = coalesce(closed_at, CASE ?2 WHEN 6 THEN ?3 END), "
			    "reminders = reminders + ?4, escalations = escalations + ?5 WHERE case_id = ?1",
	[ST_SUMMARY_PUT] = "INSERT OR REPLACE INTO case_summaries(case_id, accepted_at, contacted_at, linked_at, "
			   "feedback_at, closed_at, reminders, escalations) VALUES (?,?,?,?,?,?,?,?)",
	[ST_REPORT_CASES] = "SELECT c.id, c.pathway, c.pathway_version, c.origin_org, c.receiver_org, c.area, c.outcome, "
			    "c.opened_at, c.closed_at, s.case_id IS NOT NULL, s.accepted_at, s.contacted_at, s.linked_at, "
			    "s.feedback_at, s.closed_at, s.reminders, s.escalations FROM cases c "
			    "LEFT JOIN case_summaries s ON s.case_id = c.id WHERE c.opened_at >= ? AND (? = 0 OR c.opened_at < ?)",
	/* the payload of a migration only: the versions it moved between (the one lookup is for those rows) */
	[ST_CASE_REPORT_EVENTS] = "SELECT e.action, e.to_state, e.actor_user IS NULL AND e.actor_org IS NULL, e.at, "
				  "CASE WHEN e.action = 'migrate' THEN (SELECT p.payload FROM event_payloads p "
				  "WHERE p.seq = e.seq) END FROM events e WHERE e.case_id = ? ORDER BY e.seq",
	[ST_CASES_ON_VERSION] = "SELECT id FROM cases WHERE pathway = ? AND pathway_version = ? AND closed_at IS NULL "
				"AND id > ? ORDER BY id LIMIT ?",
	[ST_PW_IDS] = "SELECT DISTINCT pathway FROM pathway_versions ORDER BY pathway",
	[ST_TALLY_PUT] = "INSERT INTO tallies(pathway, field, value, fiscal_year, count, imported_at) VALUES (?,?,?,?,?,?) "
			 "ON CONFLICT(pathway, field, value, fiscal_year) DO UPDATE SET count = excluded.count, "
			 "imported_at = excluded.imported_at",
	[ST_TALLIES] = "SELECT value, fiscal_year, count FROM tallies WHERE pathway = ? AND field = ? "
		       "ORDER BY fiscal_year, value",
	[ST_INBOX_UNKNOWN] = "SELECT id FROM cases WHERE inbox = '?' LIMIT ?",
	[ST_INBOX_PUT] = "UPDATE cases SET inbox = ? WHERE id = ?",
	[ST_UNSUMMARIZED] = "SELECT id FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_summaries s "
			    "WHERE s.case_id = c.id) LIMIT ?",
	[ST_SUMMARIES] = "SELECT c.id, c.pathway, c.pathway_version, s.accepted_at, s.contacted_at, s.linked_at, "
			 "s.feedback_at, s.closed_at, s.reminders, s.escalations FROM case_summaries s "
			 "JOIN cases c ON c.id = s.case_id",
	[ST_SESSIONS_END_ALL] = "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL",
	/* the live sessions only (the partial index sessions_user holds them): ended ones are never read again */
	[ST_SESSIONS_END_STALE] = "UPDATE sessions INDEXED BY sessions_user SET ended_at = ?1, "
				  "end_reason = CASE WHEN created_at <= ?3 THEN 'expired' ELSE 'idle' END "
				  "WHERE ended_at IS NULL AND (seen_at <= ?2 OR created_at <= ?3)",
	[ST_TOKENS_REVOKE_BEFORE] = "UPDATE tokens SET revoked_at = ?3 WHERE user_id = ?1 AND created_at < ?2 "
				    "AND revoked_at IS NULL",
	[ST_TIMERS_PENDING] = "SELECT count(*) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL",
	[ST_OUTBOX_TALLY] = "SELECT channel, sum(status = 'pending'), sum(status = 'dead'), "
			    "min(CASE WHEN status = 'pending' THEN created_at END) FROM outbox "
			    "WHERE status IN ('pending', 'dead') GROUP BY channel ORDER BY channel",
	[ST_LINK_INSERT] = "INSERT INTO links(" LINK_COLUMNS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_LINK_UPDATE] = "UPDATE links SET status = ?2, joined_on = ?3, declined_on = ?4, ended_on = ?5, note = ?6, "
			   "shared = ?7, consent = ?8, updated_at = ?9 WHERE id = ?1",
	[ST_LINK_GET] = "SELECT " LINK_COLUMNS " FROM links WHERE id = ?",
	[ST_LINKS_FOR_CASE] = "SELECT " LINK_COLUMNS " FROM links WHERE case_id = ? ORDER BY created_at, id",
	/* a short period: its links by their date, each joined to its case, the links of a case together */
	[ST_LINK_ROWS] = "SELECT l.resource_id, l.status, l.joined_on, l.declined_on, l.ended_on, c.id, c.pathway, "
			 "c.pathway_version, c.origin_org, c.receiver_org, c.area, l.created_at FROM links l "
			 "JOIN cases c ON c.id = l.case_id WHERE l.created_at >= ? AND (? = 0 OR l.created_at < ?) "
			 "ORDER BY +l.case_id",  /* '+': sorted after the date's range, not read in case order whole */
	/* a long one: the cases in order, each with its links of the period (no lookup of a case per link) */
	[ST_LINK_ROWS_BY_CASE] = "SELECT l.resource_id, l.status, l.joined_on, l.declined_on, l.ended_on, c.id, "
				 "c.pathway, c.pathway_version, c.origin_org, c.receiver_org, c.area, l.created_at "
				 "FROM cases c CROSS JOIN links l ON l.case_id = c.id WHERE l.created_at >= ? "
				 "AND (? = 0 OR l.created_at < ?)",
	[ST_LINKS_IN_PERIOD] = "SELECT count(*) FROM links WHERE created_at >= ? AND (? = 0 OR created_at < ?)",
};

/*
 * The filter queries (case lists, resource search, outbox and provider
 * listings) have one SQL text per shape: which filters the caller gave. Each
 * shape is prepared once and kept, the most recently used first; past
 * SHAPES_MAX the least recently used is finalised (a caller never holds more
 * than a few at once).
 */
#define SHAPES_MAX 128

struct shape {
	char *sql;
	struct sqldb_stmt *st;
};

struct store {
	struct sqldb *db;
	struct sqldb_stmt *stmts[ST_COUNT];
	struct shape shapes[SHAPES_MAX];
	size_t n_shapes;
	int wal_pages;             /* in the WAL after this connection's last commit (manual checkpoints) */
	uint64_t wal_restarts;     /* commits that started the WAL over from its beginning */
};

/* The schema of each version; migrations run in order inside one transaction. */
static const char *const migrations[] = {
	/* version 1 */
	"CREATE TABLE users(id TEXT PRIMARY KEY, org TEXT NOT NULL, name TEXT NOT NULL, "
	"  roles INTEGER NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);"
	"CREATE TABLE tokens(hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), "
	"  created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER);"
	"CREATE INDEX tokens_user ON tokens(user_id);"
	"CREATE TABLE pathway_versions(pathway TEXT NOT NULL, version INTEGER NOT NULL, "
	"  digest TEXT NOT NULL, source TEXT NOT NULL, loaded_at INTEGER NOT NULL, "
	"  PRIMARY KEY(pathway, version));"
	"CREATE TABLE subjects(id TEXT PRIMARY KEY, data TEXT, updated_at INTEGER NOT NULL, purged_at INTEGER);"
	"CREATE TABLE cases(id TEXT PRIMARY KEY, pathway TEXT NOT NULL, pathway_version INTEGER NOT NULL, "
	"  state TEXT NOT NULL, version INTEGER NOT NULL, origin_org TEXT NOT NULL, origin_user TEXT, "
	"  receiver_org TEXT, assignee TEXT, subject_id TEXT NOT NULL REFERENCES subjects(id), "
	"  consent TEXT, fields TEXT NOT NULL, opened_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, "
	"  closed_at INTEGER, outcome TEXT, area TEXT);"
	"CREATE INDEX cases_updated ON cases(updated_at, id);"
	"CREATE INDEX cases_receiver ON cases(receiver_org, updated_at);"
	"CREATE INDEX cases_origin ON cases(origin_org, updated_at);"
	"CREATE INDEX cases_subject ON cases(subject_id);"
	"CREATE TABLE events(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, case_id TEXT NOT NULL, "
	"  at INTEGER NOT NULL, actor_user TEXT, actor_org TEXT, action TEXT NOT NULL, from_state TEXT, "
	"  to_state TEXT NOT NULL, case_version INTEGER NOT NULL, payload_digest TEXT NOT NULL, "
	"  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE INDEX events_case ON events(case_id, seq);"
	"CREATE TABLE event_payloads(seq INTEGER PRIMARY KEY, payload BLOB);"
	"CREATE TABLE notes(id TEXT PRIMARY KEY, case_id TEXT NOT NULL, user_id TEXT NOT NULL, "
	"  org TEXT NOT NULL, visibility TEXT NOT NULL, text TEXT, at INTEGER NOT NULL);"
	"CREATE INDEX notes_case ON notes(case_id, at);"
	"CREATE TABLE outbox(id TEXT PRIMARY KEY, case_id TEXT NOT NULL, event_seq INTEGER NOT NULL, "
	"  party TEXT NOT NULL, org TEXT, user_id TEXT, template TEXT NOT NULL, status TEXT NOT NULL, "
	"  attempts INTEGER NOT NULL, created_at INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL, "
	"  last_error TEXT, delivered_at INTEGER);"
	"CREATE INDEX outbox_due ON outbox(status, next_attempt_at);"
	"CREATE TABLE provisions(id TEXT PRIMARY KEY, at INTEGER NOT NULL, case_id TEXT NOT NULL, "
	"  subject_id TEXT NOT NULL, from_org TEXT NOT NULL, to_org TEXT NOT NULL, items TEXT NOT NULL, "
	"  consent_basis TEXT NOT NULL, event_seq INTEGER NOT NULL);"
	"CREATE INDEX provisions_at ON provisions(at);"
	"CREATE TABLE access_log(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, user_id TEXT NOT NULL, "
	"  org TEXT NOT NULL, case_id TEXT, subject_id TEXT, what TEXT NOT NULL);"
	"CREATE INDEX access_at ON access_log(at);"
	"CREATE TABLE idempotency(user_id TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, "
	"  status INTEGER NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL, "
	"  PRIMARY KEY(user_id, key));",
	/* version 2: timers */
	"CREATE TABLE timers(id TEXT PRIMARY KEY, case_id TEXT NOT NULL, state TEXT NOT NULL, "
	"  name TEXT NOT NULL, due_at INTEGER NOT NULL, created_at INTEGER NOT NULL, fired_at INTEGER, "
	"  cancelled_at INTEGER);"
	"CREATE INDEX timers_pending ON timers(due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;"
	"CREATE INDEX timers_case ON timers(case_id) WHERE fired_at IS NULL AND cancelled_at IS NULL;",
	/* version 3: one outbox row per channel, with the state it was written in */
	"ALTER TABLE outbox ADD COLUMN channel TEXT;"
	"ALTER TABLE outbox ADD COLUMN state TEXT;"
	"CREATE INDEX outbox_order ON outbox(case_id, channel, created_at) WHERE status = 'pending';",
	/* version 4: one case per (pathway, person, checkup date) from checkup imports */
	"CREATE TABLE imports(pathway TEXT NOT NULL, person_id TEXT NOT NULL, checkup_date TEXT NOT NULL, "
	"  row_digest TEXT NOT NULL, case_id TEXT, eligible INTEGER NOT NULL, imported_at INTEGER NOT NULL, "
	"  PRIMARY KEY(pathway, person_id, checkup_date));",
	/* version 5: the resource directory, links of cases to resources, possible duplicate persons */
	"CREATE TABLE resources(id TEXT PRIMARY KEY, data TEXT NOT NULL, category TEXT NOT NULL, "
	"  provider TEXT NOT NULL, status TEXT NOT NULL, capacity TEXT NOT NULL, sort_key TEXT NOT NULL, "
	"  version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, updated_by TEXT);"
	"CREATE INDEX resources_sort ON resources(sort_key, id);"
	"CREATE INDEX resources_category ON resources(category, sort_key);"
	"CREATE TABLE resource_areas(resource_id TEXT NOT NULL, area TEXT NOT NULL, "
	"  PRIMARY KEY(resource_id, area));"
	"CREATE INDEX resource_areas_area ON resource_areas(area, resource_id);"
	"CREATE VIRTUAL TABLE resource_search USING fts5(resource_id UNINDEXED, folded, tokenize = 'trigram');"
	"CREATE TABLE links(id TEXT PRIMARY KEY, case_id TEXT NOT NULL, resource_id TEXT NOT NULL, "
	"  provider_org TEXT NOT NULL, status TEXT NOT NULL, proposed_on TEXT NOT NULL, joined_on TEXT, "
	"  declined_on TEXT, ended_on TEXT, note TEXT, shared TEXT, consent TEXT, created_by TEXT, "
	"  created_org TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE INDEX links_case ON links(case_id, created_at);"
	"CREATE INDEX links_provider ON links(provider_org, id);"
	"CREATE INDEX links_created ON links(created_at);"
	"ALTER TABLE cases ADD COLUMN person_id TEXT;"
	"ALTER TABLE cases ADD COLUMN person_key TEXT;"
	"ALTER TABLE cases ADD COLUMN duplicates TEXT;"
	"CREATE INDEX cases_person_id ON cases(person_id);"
	"CREATE INDEX cases_person_key ON cases(person_key);",
	/*
	 * version 6: the person's name kept in the provision records an erasure
	 * leaves (the law keeps them three years), the cells of each imported
	 * checkup row (to say which changed), and administrative events (case_id '')
	 */
	"ALTER TABLE provisions ADD COLUMN subject_name TEXT;"
	"ALTER TABLE imports ADD COLUMN cells TEXT;"
	"CREATE INDEX provisions_case ON provisions(case_id);"
	"CREATE INDEX cases_assignee ON cases(assignee) WHERE closed_at IS NULL;",
	/*
	 * version 7: indexes that keep the heavy reads linear — possible
	 * duplicates among open cases in the order they opened, the audit
	 * listings paged in (at, id) order, and purges in batches of closed cases
	 */
	"CREATE INDEX cases_open_person_id ON cases(person_id, opened_at, id) WHERE closed_at IS NULL;"
	"CREATE INDEX cases_open_person_key ON cases(person_key, opened_at, id) WHERE closed_at IS NULL;"
	"CREATE INDEX provisions_at_id ON provisions(at, id);"
	"CREATE INDEX cases_closed ON cases(closed_at, id) WHERE closed_at IS NOT NULL;"
	"DROP INDEX provisions_at;",
	/*
	 * version 8: the pages — each open case's due time (its state's first
	 * timer) for the inbox's badges and sort; people's login names,
	 * passphrase hashes, one-time enrolment codes and TOTP secrets; sessions
	 */
	"ALTER TABLE cases ADD COLUMN due_at INTEGER;"
	"UPDATE cases SET due_at = (SELECT min(t.due_at) FROM timers t WHERE t.case_id = cases.id "
	"  AND t.state = cases.state AND t.cancelled_at IS NULL) WHERE closed_at IS NULL;"
	"CREATE INDEX cases_open_due ON cases(due_at, id) WHERE closed_at IS NULL;"
	/* the routing preview's "usually accepts within": a receiver's newest referrals of a pathway */
	"CREATE INDEX cases_receiver_opened ON cases(receiver_org, pathway, opened_at);"
	"ALTER TABLE users ADD COLUMN login TEXT;"
	"ALTER TABLE users ADD COLUMN passphrase TEXT;"
	"ALTER TABLE users ADD COLUMN enrol_hash TEXT;"
	"ALTER TABLE users ADD COLUMN enrol_expires INTEGER;"
	"ALTER TABLE users ADD COLUMN totp_secret TEXT;"
	"ALTER TABLE users ADD COLUMN totp_last_step INTEGER;"
	"CREATE UNIQUE INDEX users_login ON users(login) WHERE login IS NOT NULL;"
	"CREATE TABLE sessions(hash TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL, "
	"  csrf TEXT NOT NULL, stage TEXT NOT NULL, client TEXT, created_at INTEGER NOT NULL, "
	"  seen_at INTEGER NOT NULL, ended_at INTEGER, end_reason TEXT);"
	"CREATE INDEX sessions_user ON sessions(user_id) WHERE ended_at IS NULL;",
	/* version 9: an organisation's cases in (updated_at, id) order straight from an index, for its lists */
	"DROP INDEX cases_receiver;"
	"CREATE INDEX cases_receiver ON cases(receiver_org, updated_at, id);"
	"DROP INDEX cases_origin;"
	"CREATE INDEX cases_origin ON cases(origin_org, updated_at, id);"
	/*
	 * what reports read of a case: when it first reached each milestone, its
	 * reminders and escalations, kept with each of its events (a report reads a
	 * row per case, not its events); cases from before are summarised from
	 * their events by the daemon's start (report_summarize)
	 */
	"CREATE TABLE case_summaries(case_id TEXT PRIMARY KEY, accepted_at INTEGER, contacted_at INTEGER, "
	"  linked_at INTEGER, feedback_at INTEGER, closed_at INTEGER, reminders INTEGER NOT NULL, "
	"  escalations INTEGER NOT NULL) WITHOUT ROWID;",
	/*
	 * version 10: when each case entered its state (a migration to another
	 * version counts the time already spent in it), worked out for the cases
	 * before from their last event that moved them — every event but the
	 * ones that leave a case in its state; and a pathway version's running
	 * cases in id order, for migrations in batches and the versions' counts;
	 * and counts of records from the years before the system (a fiscal
	 * year's count of a pathway's records with one value of one field), which
	 * the tally report adds to the records it counts
	 */
	"ALTER TABLE cases ADD COLUMN entered_at INTEGER;"
	"UPDATE cases SET entered_at = coalesce((SELECT max(e.at) FROM events e WHERE e.case_id = cases.id "
	"  AND e.action NOT IN ('assign', 'note', 'correct_subject', 'correct_fields', 'timer', 'erase', "
	"  'link_proposed', 'link_joined', 'link_declined', 'link_ended', 'link_shared', 'link_note')), opened_at);"
	"CREATE INDEX cases_open_version ON cases(pathway, pathway_version, id) WHERE closed_at IS NULL;"
	"CREATE TABLE tallies(pathway TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, "
	"  fiscal_year INTEGER NOT NULL, count INTEGER NOT NULL, imported_at INTEGER NOT NULL, "
	"  PRIMARY KEY(pathway, field, value, fiscal_year)) WITHOUT ROWID;",
	/*
	 * version 11: an escalation is a pathway action the system took, no longer
	 * any event without an actor (an operator's reassignment counted as one):
	 * the summaries are made again from the events by the daemon's start
	 */
	"DELETE FROM case_summaries;",
	/*
	 * version 12: whose inbox holds each case (origin, receiver, coordinator;
	 * NULL: nobody's), so an inbox is read from an index of its own and not
	 * from every case an organisation ever had; '?' until the daemon's start
	 * works it out for the cases from before (flow_fill_inboxes)
	 */
	"ALTER TABLE cases ADD COLUMN inbox TEXT DEFAULT '?';"
	"CREATE INDEX cases_inbox_origin ON cases(origin_org, updated_at, id) WHERE inbox = 'origin';"
	"CREATE INDEX cases_inbox_receiver ON cases(receiver_org, updated_at, id) WHERE inbox = 'receiver';"
	"CREATE INDEX cases_inbox_coordinator ON cases(updated_at, id) WHERE inbox = 'coordinator';"
	"CREATE INDEX cases_inbox_unknown ON cases(id) WHERE inbox = '?';"
	/* and the order by due time (store_cases_list's DUE_KEY, written alike so SQLite reads it from here) */
	"CREATE INDEX cases_due_key ON cases((CASE WHEN closed_at IS NULL AND due_at IS NOT NULL THEN due_at "
	"  ELSE 9223372036854775807 END), id);",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION, "a migration for every schema version");

int64_t store_cache_used(struct store *s)
{
	return sqldb_sqlite_cache_used(s->db);
}

const char *store_errmsg(const struct store *s)
{
	return sqldb_errmsg(s->db);
}

static struct sqldb_stmt *stmt(struct store *s, enum stmt_id id)
{
	struct sqldb_stmt *st = s->stmts[id];
	if (!st) {
		if (!(s->stmts[id] = sqldb_prepare(s->db, stmt_sql[id]))) {
			log_msg(LOGM_STORE_ERROR, "store: cannot prepare \"%s\": %s", stmt_sql[id], sqldb_errmsg(s->db));
			return NULL;
		}
		st = s->stmts[id];
	}
	sqldb_reset(st);
	sqldb_unbind(st);
	return st;
}

/* Steps a statement that returns no rows. */
/* The statement of a filter query's shape, reset and unbound; NULL (logged) when it cannot be prepared. */
static struct sqldb_stmt *shaped(struct store *s, const char *sql)
{
	size_t i = 0;
	while (i < s->n_shapes && strcmp(s->shapes[i].sql, sql))
		i++;
	struct shape found;
	if (i < s->n_shapes) {
		found = s->shapes[i];
	} else {
		found.sql = xstrdup(sql);
		if (!(found.st = sqldb_prepare(s->db, sql))) {
			log_msg(LOGM_STORE_ERROR, "store: cannot prepare \"%s\": %s", sql, sqldb_errmsg(s->db));
			free(found.sql);
			return NULL;
		}
		if (s->n_shapes == SHAPES_MAX) {
			i = SHAPES_MAX - 1;
			sqldb_finalize(s->shapes[i].st);
			free(s->shapes[i].sql);
		} else {
			i = s->n_shapes++;
		}
	}
	memmove(&s->shapes[1], &s->shapes[0], i * sizeof(s->shapes[0]));
	s->shapes[0] = found;
	sqldb_reset(found.st);
	sqldb_unbind(found.st);
	return found.st;
}

/* The end of stepping a query: 0 when it ran to its end (or was stopped), -1 logged otherwise. */
static int stepped(struct store *s, int rc)
{
	if (rc == SQLDB_DONE)
		return 0;
	log_msg(LOGM_STORE_ERROR, "store: %s", sqldb_errmsg(s->db));
	return -1;
}

static int run(struct store *s, struct sqldb_stmt *st)
{
	if (!st)
		return -1;
	int rc = sqldb_step(st);
	sqldb_reset(st);
	if (rc != SQLDB_DONE) {
		log_msg(LOGM_STORE_ERROR, "store: %s: %s", sqldb_sql(st), sqldb_errmsg(s->db));
		return -1;
	}
	return 0;
}

static void bind_time(struct sqldb_stmt *st, int i, clock_us v)
{
	if (v)
		sqldb_bind_int64(st, i, v);
	else
		sqldb_bind_null(st, i);
}

static void bind_json(struct sqldb_stmt *st, int i, const json_t *v)
{
	if (!v) {
		sqldb_bind_null(st, i);
		return;
	}
	char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	sqldb_bind_text_owned(st, i, text);
}

static char *col_text(struct sqldb_stmt *st, int i)
{
	const char *t = sqldb_column_text(st, i);
	return t ? xstrdup(t) : NULL;
}

static json_t *col_json(struct sqldb_stmt *st, int i)
{
	const char *t = sqldb_column_text(st, i);
	if (!t)
		return NULL;
	return json_loads(t, 0, NULL);
}

static int exec(struct store *s, const char *sql, char **err)
{
	return sqldb_exec(s->db, sql, err);
}

/* Cases from before schema version 5 get the person columns that the duplicate check reads. */
static int backfill_persons(struct store *s, char **err)
{
	struct sqldb_stmt *sel = NULL, *upd = NULL;
	int ret = -1, rc;
	if (!(sel = sqldb_prepare(s->db, "SELECT c.id, json_extract(c.fields, '$.person_id'), "
				      "json_extract(s.data, '$.kana'), json_extract(s.data, '$.birth_date') "
				      "FROM cases c JOIN subjects s ON s.id = c.subject_id WHERE s.data IS NOT NULL")) ||
	    !(upd = sqldb_prepare(s->db, "UPDATE cases SET person_id = ?, person_key = ? WHERE id = ?")))
		goto out;
	while ((rc = sqldb_step(sel)) == SQLDB_ROW) {
		char key[65];
		bool has_key = !textfold_person_key(sqldb_column_text(sel, 2),
						    sqldb_column_text(sel, 3), key);
		sqldb_reset(upd);
		sqldb_bind_text(upd, 1, sqldb_column_text(sel, 1));
		sqldb_bind_text(upd, 2, has_key ? key : NULL);
		sqldb_bind_text(upd, 3, sqldb_column_text(sel, 0));
		if (sqldb_step(upd) != SQLDB_DONE)
			goto out;
	}
	ret = stepped(s, rc);
out:
	if (ret)
		*err = xasprintf("filling in the person columns: %s", sqldb_errmsg(s->db));
	sqldb_finalize(sel);
	sqldb_finalize(upd);
	return ret;
}

/* The schema version the database says it has, or -1 with *err. */
static int schema_version(struct store *s, char **err)
{
	struct sqldb_stmt *st;
	int version = 0;
	if (!(st = sqldb_prepare(s->db, "PRAGMA user_version"))) {
		*err = xstrdup(sqldb_errmsg(s->db));
		return -1;
	}
	if (sqldb_step(st) == SQLDB_ROW)
		version = sqldb_column_int(st, 0);
	sqldb_finalize(st);
	return version;
}

/* A reader runs on the schema this tsunagu knows, or not at all. */
static int check_version(struct store *s, char **err)
{
	int version = schema_version(s, err);
	if (version < 0)
		return -1;
	if (version != N_MIGRATIONS) {
		*err = xasprintf("the database has schema version %d, this tsunagu reads %d", version, N_MIGRATIONS);
		return -1;
	}
	return 0;
}

static int migrate(struct store *s, char **err)
{
	int version = schema_version(s, err);
	if (version < 0)
		return -1;
	if (version > N_MIGRATIONS) {
		*err = xasprintf("the database has schema version %d, newer than this tsunagu (%d); "
				 "run the newer tsunagu", version, N_MIGRATIONS);
		return -1;
	}
	if (version == N_MIGRATIONS)
		return 0;
	if (exec(s, "BEGIN IMMEDIATE", err))
		return -1;
	for (int v = version; v < N_MIGRATIONS; v++) {
		char *e = NULL;
		if (exec(s, migrations[v], &e)) {
			*err = xasprintf("migrating the schema to version %d: %s", v + 1, e);
			free(e);
			exec(s, "ROLLBACK", NULL);
			return -1;
		}
	}
	if (version < 5 && backfill_persons(s, err)) {
		exec(s, "ROLLBACK", NULL);
		return -1;
	}
	char *set = xasprintf("PRAGMA user_version = %d", N_MIGRATIONS);
	int rc = exec(s, set, err);
	free(set);
	if (rc || exec(s, "COMMIT", err)) {
		exec(s, "ROLLBACK", NULL);
		return -1;
	}
	return 0;
}

int store_open(const char *path, enum store_open_mode mode, struct store **out, bool *created, char **err)
{
	if (created)
		*created = false;
	/*
	 * A missing database is a wrong path for every command but serve. A new
	 * one is created readable by its owner only, and SQLite gives its -wal
	 * and -shm files the same mode: they hold personal data. A file that
	 * exists is only looked at (access): closing a descriptor of our own to it
	 * would drop the POSIX locks of every connection this process has to it.
	 */
	if (access(path, F_OK) != 0) {
		if (errno != ENOENT) {
			*err = xasprintf("cannot open database '%s': %s", path, strerror(errno));
			return -1;
		}
		if (mode != STORE_CREATE) {
			*err = xasprintf("no database at %s", path);
			return 1;
		}
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			*err = xasprintf("cannot open database '%s': %s", path, strerror(errno));
			return -1;
		}
		fchmod(fd, 0600);
		close(fd);
		if (created)
			*created = true;
	} else if (access(path, mode == STORE_READER || mode == STORE_INSPECT ? R_OK : R_OK | W_OK) != 0) {
		*err = xasprintf("cannot open database '%s': %s", path, strerror(errno));
		return -1;
	}
	struct store *s = xcalloc(1, sizeof(*s));
	char *e = NULL;
	if (sqldb_sqlite_open(path, mode == STORE_INSPECT, &s->db, &e)) {
		*err = xasprintf("cannot open database '%s': %s", path, e);
		free(e);
		store_close(s);
		return -1;
	}
	sqldb_sqlite_busy_timeout(s->db, 5000);
	/* A reader only reads what the daemon's connection migrated; query_only makes sure of it. */
	if (mode == STORE_INSPECT
		    ? exec(s, "PRAGMA query_only = ON; PRAGMA temp_store = MEMORY;", &e)
		    : mode == STORE_READER
		    ? exec(s, "PRAGMA query_only = ON; PRAGMA cache_size = -4096; PRAGMA temp_store = MEMORY;", &e) ||
			      check_version(s, &e)
		    : exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
			      "PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY;", &e) ||
			      migrate(s, &e)) {
		*err = xasprintf("database '%s': %s", path, e);
		free(e);
		store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqldb_finalize(s->stmts[i]);
	for (size_t i = 0; i < s->n_shapes; i++) {
		sqldb_finalize(s->shapes[i].st);
		free(s->shapes[i].sql);
	}
	sqldb_close(s->db);
	free(s);
}

static void count_wal_pages(void *arg, int pages)
{
	struct store *s = arg;
	if (pages < s->wal_pages)
		s->wal_restarts++;
	s->wal_pages = pages;
}

void store_manual_checkpoints(struct store *s)
{
	/* the hook replaces SQLite's automatic checkpoint: what is left is counting */
	sqldb_sqlite_on_commit(s->db, count_wal_pages, s);
}

void store_set_cache_kib(struct store *s, int kib)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", kib);
	exec(s, sql, NULL);
}

int store_wal_pages(const struct store *s)
{
	return s->wal_pages;
}

/* The database's write-ahead log, opened for flushing: a descriptor, or -1 with errno. */
static int open_wal(const char *db_path)
{
	char *wal = xasprintf("%s-wal", db_path ? db_path : "");
	int fd = open(wal, O_RDONLY | O_CLOEXEC);
	int e = errno;
	free(wal);
	errno = e;
	return fd;
}

int store_sync_apart(struct store *s, int *wal_fd, char **err)
{
	const char *path = sqldb_sqlite_filename(s->db);
	/* the WAL exists while a connection in WAL mode is open: this one, opened and migrated */
	int fd = open_wal(path);
	if (fd < 0) {
		*err = xasprintf("cannot open the write-ahead log of '%s': %s", path, strerror(errno));
		return -1;
	}
	if (exec(s, "PRAGMA synchronous = NORMAL", err)) {
		close(fd);
		return -1;
	}
	*wal_fd = fd;
	return 0;
}

uint64_t store_wal_restarts(const struct store *s)
{
	return s->wal_restarts;
}

void store_checkpoint(struct store *s)
{
	sqldb_sqlite_checkpoint(s->db, false);
}

void store_checkpoint_truncate(struct store *s)
{
	sqldb_sqlite_checkpoint(s->db, true);
}

int store_begin(struct store *s)
{
	struct sqldb_stmt *st = stmt(s, ST_BEGIN);
	if (!st)
		return -1;
	int rc = sqldb_step(st);
	sqldb_reset(st);
	if (rc == SQLDB_BUSY)
		return STORE_BUSY; /* another process writes: the caller waits and tries again, nothing to log */
	return stepped(s, rc);
}

void store_set_busy_timeout(struct store *s, int ms)
{
	sqldb_sqlite_busy_timeout(s->db, ms);
}

int store_commit(struct store *s)
{
	if (run(s, stmt(s, ST_COMMIT)) == 0)
		return 0;
	if (sqldb_in_transaction(s->db))
		store_rollback(s);
	return -1;
}

void store_rollback(struct store *s)
{
	if (sqldb_in_transaction(s->db))
		run(s, stmt(s, ST_ROLLBACK));
}

bool store_in_transaction(const struct store *s)
{
	return sqldb_in_transaction(s->db);
}

int store_savepoint(struct store *s)
{
	return run(s, stmt(s, ST_SAVEPOINT));
}

int store_savepoint_release(struct store *s)
{
	return run(s, stmt(s, ST_RELEASE));
}

void store_savepoint_rollback(struct store *s)
{
	if (run(s, stmt(s, ST_ROLLBACK_TO)) == 0)
		run(s, stmt(s, ST_RELEASE));
}

/* ---- users ---- */

void store_user_release(struct store_user *u)
{
	free(u->id);
	free(u->org);
	free(u->name);
	free(u->login);
	memset(u, 0, sizeof(*u));
}

int store_user_add(struct store *s, const char *id, const char *org, const char *name,
		   role_mask roles, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_USER_ADD);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, id);
	sqldb_bind_text(st, 2, org);
	sqldb_bind_text(st, 3, name);
	sqldb_bind_int64(st, 4, roles);
	sqldb_bind_int64(st, 5, now);
	return run(s, st);
}

int store_tokens_revoke(struct store *s, const char *user_id, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_TOKENS_REVOKE);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_text(st, 2, user_id);
	return run(s, st);
}

int store_user_revoke(struct store *s, const char *id, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_USER_REVOKE);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_text(st, 2, id);
	if (run(s, st))
		return -1;
	if (sqldb_changes(s->db) == 0)
		return -1;
	return store_tokens_revoke(s, id, now);
}

int store_token_add(struct store *s, const char *hash, const char *user_id, clock_us now,
		    clock_us expires_at)
{
	struct sqldb_stmt *st = stmt(s, ST_TOKEN_ADD);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, hash);
	sqldb_bind_text(st, 2, user_id);
	sqldb_bind_int64(st, 3, now);
	bind_time(st, 4, expires_at);
	return run(s, st);
}

static void read_user(struct sqldb_stmt *st, struct store_user *out, bool with_revoked)
{
	out->id = col_text(st, 0);
	out->org = col_text(st, 1);
	out->name = col_text(st, 2);
	out->roles = (role_mask)sqldb_column_int64(st, 3);
	out->created_at = sqldb_column_int64(st, 4);
	if (with_revoked) {
		out->revoked_at = sqldb_column_int64(st, 5);
		out->token_expires = sqldb_column_int64(st, 6);
		out->login = col_text(st, 7);
	} else {
		out->revoked_at = 0;
		out->token_expires = sqldb_column_int64(st, 5);
		out->login = col_text(st, 6);
	}
}

/* Steps a one-row query: 0 with the row read by fn, 1 when none, -1 on error. */
static int one_row(struct store *s, struct sqldb_stmt *st)
{
	if (!st)
		return -1;
	int rc = sqldb_step(st);
	if (rc == SQLDB_ROW)
		return 0;
	sqldb_reset(st);
	if (rc == SQLDB_DONE)
		return 1;
	log_msg(LOGM_STORE_ERROR, "store: %s", sqldb_errmsg(s->db));
	return -1;
}

int store_authenticate(struct store *s, const char *hash, clock_us now, struct store_user *out)
{
	struct sqldb_stmt *st = stmt(s, ST_AUTH);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, hash);
	sqldb_bind_int64(st, 2, now);
	int rc = one_row(s, st);
	if (rc == 0) {
		read_user(st, out, false);
		sqldb_reset(st);
	}
	return rc;
}

int store_user_get(struct store *s, const char *id, struct store_user *out)
{
	struct sqldb_stmt *st = stmt(s, ST_USER_GET);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, id);
	int rc = one_row(s, st);
	if (rc == 0) {
		read_user(st, out, true);
		sqldb_reset(st);
	}
	return rc;
}

int store_user_find_by_name(struct store *s, const char *org, const char *name, struct store_user *out)
{
	struct sqldb_stmt *st = stmt(s, ST_USER_BY_NAME);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, org);
	sqldb_bind_text(st, 2, name);
	int rc = one_row(s, st);
	if (rc == 0) {
		read_user(st, out, true);
		sqldb_reset(st);
	}
	return rc;
}

int store_users_list(struct store *s, void (*fn)(void *ctx, const struct store_user *u), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_USERS_LIST);
	if (!st)
		return -1;
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		struct store_user u = { 0 };
		read_user(st, &u, true);
		fn(ctx, &u);
		store_user_release(&u);
	}
	sqldb_reset(st);
	return stepped(s, rc);
}

int store_org_users(struct store *s, const char *org, void (*fn)(void *ctx, const struct store_user *u), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_ORG_USERS);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, org);
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		struct store_user u = { 0 };
		read_user(st, &u, true);
		fn(ctx, &u);
		store_user_release(&u);
	}
	sqldb_reset(st);
	return stepped(s, rc);
}

/* Runs a one-row UPDATE: 0 when it changed a row, 1 when none matched, -1 on error. */
static int update_one(struct store *s, struct sqldb_stmt *st)
{
	if (run(s, st))
		return -1;
	return sqldb_changes(s->db) ? 0 : 1;
}

int store_user_set_login(struct store *s, const char *id, const char *login)
{
	struct sqldb_stmt *st = stmt(s, ST_USER_SET_LOGIN);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, login);
	sqldb_bind_text(st, 2, id);
	return update_one(s, st);
}

void store_credentials_release(struct store_credentials *c)
{
	free(c->user_id);
	free(c->org);
	free(c->passphrase);
	free(c->enrol_hash);
	free(c->totp_secret);
	memset(c, 0, sizeof(*c));
}

int store_credentials_by_login(struct store *s, const char *login, struct store_credentials *out)
{
	struct sqldb_stmt *st = stmt(s, ST_CREDENTIALS);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, login);
	int rc = one_row(s, st);
	if (rc == 0) {
		out->user_id = col_text(st, 0);
		out->org = col_text(st, 1);
		out->roles = (role_mask)sqldb_column_int64(st, 2);
		out->passphrase = col_text(st, 3);
		out->enrol_hash = col_text(st, 4);
		out->enrol_expires = sqldb_column_int64(st, 5);
		out->totp_secret = col_text(st, 6);
		out->totp_last_step = sqldb_column_int64(st, 7);
		sqldb_reset(st);
	}
	return rc;
}

int store_enrolment_set(struct store *s, const char *id, const char *code_hash, clock_us expires)
{
	struct sqldb_stmt *st = stmt(s, ST_ENROLMENT_SET);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, code_hash);
	bind_time(st, 2, expires);
	sqldb_bind_text(st, 3, id);
	return update_one(s, st);
}

int store_passphrase_set(struct store *s, const char *id, const char *encoded, const char *spent_code_hash,
			 clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_PASSPHRASE_SET);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, encoded);
	sqldb_bind_text(st, 2, id);
	sqldb_bind_text(st, 3, spent_code_hash);
	sqldb_bind_int64(st, 4, now);
	return update_one(s, st);
}

int store_totp_set(struct store *s, const char *id, const char *secret)
{
	struct sqldb_stmt *st = stmt(s, ST_TOTP_SET);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, secret);
	sqldb_bind_text(st, 2, id);
	return update_one(s, st);
}

int store_totp_used(struct store *s, const char *id, int64_t step)
{
	struct sqldb_stmt *st = stmt(s, ST_TOTP_USED);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, step);
	sqldb_bind_text(st, 2, id);
	sqldb_bind_int64(st, 3, step);
	return update_one(s, st);
}

int store_reach_times(struct store *s, const char *receiver, const char *pathway, const char *states, clock_us since,
		      int limit, void (*fn)(void *ctx, clock_us opened, clock_us reached), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_ACCEPT_TIMES);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, receiver);
	sqldb_bind_text(st, 2, pathway);
	sqldb_bind_text(st, 3, states);
	sqldb_bind_int64(st, 4, since);
	sqldb_bind_int64(st, 5, limit);
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW)
		fn(ctx, sqldb_column_int64(st, 0), sqldb_column_int64(st, 1));
	sqldb_reset(st);
	return stepped(s, rc);
}

int store_pathway_versions(struct store *s, const char *pathway,
			   void (*fn)(void *ctx, long version, clock_us loaded_at, int64_t running), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_PW_VERSIONS);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, pathway);
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW)
		fn(ctx, (long)sqldb_column_int64(st, 0), sqldb_column_int64(st, 1), sqldb_column_int64(st, 2));
	sqldb_reset(st);
	return stepped(s, rc);
}

/* ---- sessions ---- */

void store_session_release(struct store_session *x)
{
	free(x->id);
	free(x->csrf);
	free(x->stage);
	free(x->client);
	memset(x, 0, sizeof(*x));
}

int store_session_add(struct store *s, const char *hash, const struct store_session *x, const char *user_id)
{
	struct sqldb_stmt *st = stmt(s, ST_SESSION_ADD);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, hash);
	sqldb_bind_text(st, 2, x->id);
	sqldb_bind_text(st, 3, user_id);
	sqldb_bind_text(st, 4, x->csrf);
	sqldb_bind_text(st, 5, x->stage);
	sqldb_bind_text(st, 6, x->client);
	sqldb_bind_int64(st, 7, x->created_at);
	sqldb_bind_int64(st, 8, x->seen_at);
	return run(s, st);
}

int store_session_authenticate(struct store *s, const char *hash, struct store_user *user, struct store_session *out)
{
	struct sqldb_stmt *st = stmt(s, ST_SESSION_AUTH);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, hash);
	int rc = one_row(s, st);
	if (rc == 0) {
		read_user(st, user, false);
		out->id = col_text(st, 7);
		out->csrf = col_text(st, 8);
		out->stage = col_text(st, 9);
		out->created_at = sqldb_column_int64(st, 10);
		out->seen_at = sqldb_column_int64(st, 11);
		out->client = col_text(st, 12);
		sqldb_reset(st);
	}
	return rc;
}

int store_session_seen(struct store *s, const char *hash, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_SESSION_SEEN);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_text(st, 2, hash);
	return update_one(s, st);
}

int store_session_end(struct store *s, const char *hash, clock_us now, const char *reason)
{
	struct sqldb_stmt *st = stmt(s, ST_SESSION_END);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_text(st, 2, reason);
	sqldb_bind_text(st, 3, hash);
	return update_one(s, st);
}

int store_sessions_end_user(struct store *s, const char *user_id, clock_us now, const char *reason)
{
	struct sqldb_stmt *st = stmt(s, ST_SESSIONS_END_USER);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_text(st, 2, reason);
	sqldb_bind_text(st, 3, user_id);
	if (run(s, st))
		return -1;
	return sqldb_changes(s->db);
}

int store_session_end_id(struct store *s, const char *user_id, const char *id, clock_us now, const char *reason)
{
	struct sqldb_stmt *st = stmt(s, ST_SESSION_END_ID);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_text(st, 2, reason);
	sqldb_bind_text(st, 3, user_id);
	sqldb_bind_text(st, 4, id);
	return update_one(s, st);
}

int store_sessions_list(struct store *s, const char *user_id,
			int (*fn)(void *ctx, const struct store_session *x), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_SESSIONS_LIST);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, user_id);
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		struct store_session x = { 0 };
		x.id = col_text(st, 0);
		x.stage = col_text(st, 1);
		x.client = col_text(st, 2);
		x.created_at = sqldb_column_int64(st, 3);
		x.seen_at = sqldb_column_int64(st, 4);
		int stop = fn(ctx, &x);
		store_session_release(&x);
		if (stop) {
			rc = SQLDB_DONE;
			break;
		}
	}
	sqldb_reset(st);
	return stepped(s, rc);
}

/* ---- pathway versions ---- */

int store_pathway_register(struct store *s, const char *id, long version, const char *digest,
			   const char *source, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_PW_GET);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, id);
	sqldb_bind_int64(st, 2, version);
	int rc = one_row(s, st);
	if (rc == 0) {
		bool same = !strcmp(sqldb_column_text(st, 0), digest);
		sqldb_reset(st);
		return same ? 0 : 1;
	}
	if (rc < 0)
		return -1;
	st = stmt(s, ST_PW_ADD);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, id);
	sqldb_bind_int64(st, 2, version);
	sqldb_bind_text(st, 3, digest);
	sqldb_bind_text(st, 4, source);
	sqldb_bind_int64(st, 5, now);
	return run(s, st) ? -1 : 2;
}

int store_pathway_digest(struct store *s, const char *id, long version, char digest[65])
{
	struct sqldb_stmt *st = stmt(s, ST_PW_GET);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, id);
	sqldb_bind_int64(st, 2, version);
	int rc = one_row(s, st);
	if (rc == 0) {
		snprintf(digest, 65, "%s", sqldb_column_text(st, 0));
		sqldb_reset(st);
	}
	return rc;
}

char *store_pathway_latest(struct store *s, const char *id, long *version)
{
	struct sqldb_stmt *st = stmt(s, ST_PW_LATEST);
	if (!st)
		return NULL;
	sqldb_bind_text(st, 1, id);
	if (one_row(s, st))
		return NULL;
	*version = (long)sqldb_column_int64(st, 0);
	char *source = col_text(st, 1);
	sqldb_reset(st);
	return source;
}

char *store_pathway_source(struct store *s, const char *id, long version)
{
	struct sqldb_stmt *st = stmt(s, ST_PW_SOURCE);
	if (!st)
		return NULL;
	sqldb_bind_text(st, 1, id);
	sqldb_bind_int64(st, 2, version);
	if (one_row(s, st))
		return NULL;
	char *text = col_text(st, 0);
	sqldb_reset(st);
	return text;
}

/* ---- cases ---- */


/* cases.inbox: a party's name, NULL for nobody's, '?' not worked out yet */
static const char *inbox_text(int inbox)
{
	return inbox == CASE_INBOX_UNKNOWN ? "?" : inbox >= 0 && inbox < PARTY_COUNT ? party_names[inbox] : NULL;
}

static int inbox_of_text(const char *t)
{
	return !t ? -1 : !strcmp(t, "?") ? CASE_INBOX_UNKNOWN : vocab_lookup(party_names, t);
}

int store_case_insert(struct store *s, const struct case_record *c)
{
	struct sqldb_stmt *st = stmt(s, ST_CASE_INSERT);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, c->id);
	sqldb_bind_text(st, 2, c->pathway);
	sqldb_bind_int64(st, 3, c->pathway_version);
	sqldb_bind_text(st, 4, c->state);
	sqldb_bind_int64(st, 5, c->version);
	sqldb_bind_text(st, 6, c->origin_org);
	sqldb_bind_text(st, 7, c->origin_user);
	sqldb_bind_text(st, 8, c->receiver_org);
	sqldb_bind_text(st, 9, c->assignee);
	sqldb_bind_text(st, 10, c->subject_id);
	bind_json(st, 11, c->consent);
	bind_json(st, 12, c->fields);
	sqldb_bind_int64(st, 13, c->opened_at);
	sqldb_bind_int64(st, 14, c->updated_at);
	bind_time(st, 15, c->closed_at);
	sqldb_bind_text(st, 16, c->outcome);
	sqldb_bind_text(st, 17, c->area);
	sqldb_bind_text(st, 18, c->person_id);
	sqldb_bind_text(st, 19, c->person_key);
	bind_json(st, 20, c->duplicates);
	bind_time(st, 21, c->due_at);
	bind_time(st, 22, c->entered_at);
	sqldb_bind_text(st, 23, inbox_text(c->inbox));
	return run(s, st);
}

int store_case_update(struct store *s, const struct case_record *c, long expected_version)
{
	struct sqldb_stmt *st = stmt(s, ST_CASE_UPDATE);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, c->state);
	sqldb_bind_int64(st, 2, c->version);
	sqldb_bind_text(st, 3, c->receiver_org);
	sqldb_bind_text(st, 4, c->assignee);
	bind_json(st, 5, c->consent);
	bind_json(st, 6, c->fields);
	sqldb_bind_int64(st, 7, c->updated_at);
	bind_time(st, 8, c->closed_at);
	sqldb_bind_text(st, 9, c->outcome);
	sqldb_bind_text(st, 10, c->area);
	sqldb_bind_text(st, 11, c->person_id);
	sqldb_bind_text(st, 12, c->person_key);
	bind_time(st, 13, c->due_at);
	bind_time(st, 14, c->entered_at);
	sqldb_bind_int64(st, 15, c->pathway_version);
	sqldb_bind_text(st, 16, inbox_text(c->inbox));
	sqldb_bind_text(st, 17, c->id);
	sqldb_bind_int64(st, 18, expected_version);
	if (run(s, st))
		return -1;
	return sqldb_changes(s->db) == 1 ? 0 : 1;
}

static void read_case(struct sqldb_stmt *st, struct case_record *c)
{
	c->id = col_text(st, 0);
	c->pathway = col_text(st, 1);
	c->pathway_version = (long)sqldb_column_int64(st, 2);
	c->state = col_text(st, 3);
	c->version = (long)sqldb_column_int64(st, 4);
	c->origin_org = col_text(st, 5);
	c->origin_user = col_text(st, 6);
	c->receiver_org = col_text(st, 7);
	c->assignee = col_text(st, 8);
	c->subject_id = col_text(st, 9);
	c->consent = col_json(st, 10);
	c->fields = col_json(st, 11);
	if (!c->fields)
		c->fields = json_object();
	c->opened_at = sqldb_column_int64(st, 12);
	c->updated_at = sqldb_column_int64(st, 13);
	c->closed_at = sqldb_column_int64(st, 14);
	c->outcome = col_text(st, 15);
	c->area = col_text(st, 16);
	c->person_id = col_text(st, 17);
	c->person_key = col_text(st, 18);
	c->duplicates = col_json(st, 19);
	memset(c->links, 0, sizeof(c->links));
	c->links_open = 0;
	const char *statuses = sqldb_column_text(st, 20);
	for (const char *p = statuses; p && *p;) {
		size_t n = strcspn(p, ",");
		char one[32];
		snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) ? n : sizeof(one) - 1), p);
		char *plus = strchr(one, '+');
		if (plus)
			*plus = '\0';
		int k = vocab_lookup(link_status_names, one);
		if (k >= 0)
			links_tally(c->links, &c->links_open, -1, k, plus != NULL);
		p += n + (p[n] == ',');
	}
	c->providers = col_text(st, 21);
	c->purged_at = sqldb_column_int64(st, 22);
	c->assignee_gone = sqldb_column_int(st, 23) != 0;
	c->due_at = sqldb_column_int64(st, 24);
	c->entered_at = sqldb_column_int64(st, 25);
	c->milestones_reached = sqldb_column_type(st, 26) == SQLDB_NULL ? -1 : (int)sqldb_column_int64(st, 26);
	c->inbox = inbox_of_text(sqldb_column_text(st, 27));
}

int store_case_get(struct store *s, const char *id, struct case_record *out)
{
	struct sqldb_stmt *st = stmt(s, ST_CASE_GET);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, id);
	int rc = one_row(s, st);
	if (rc == 0) {
		read_case(st, out);
		sqldb_reset(st);
	}
	return rc;
}

int store_cases_list(struct store *s, const struct store_case_filter *f,
		     int (*fn)(void *ctx, struct case_record *c), void *ctx)
{
	/* Built from fixed fragments; every value is bound. */
	struct buf sql, cond;
	buf_init(&sql);
	buf_init(&cond);
	if (f->pathway)
		buf_adds(&cond, " AND pathway = :pathway");
	if (f->state)
		buf_adds(&cond, " AND state = :state");
	if (f->receiver_org)
		buf_adds(&cond, " AND receiver_org = :receiver");
	if (f->assignee)
		buf_adds(&cond, " AND assignee = :assignee");
	if (f->updated_since)
		buf_adds(&cond, " AND updated_at >= :since");
	if (f->area)
		buf_adds(&cond, " AND area = :area");
	if (f->origin_org)
		buf_adds(&cond, " AND origin_org = :origin");
	if (f->date_path)
		/* a timestamp counts by the date written in it, as cm_field_date reads it */
		buf_adds(&cond, " AND substr(json_extract(fields, :date_path), 1, 10) BETWEEN :date_from AND :date_to");
	if (f->opened_from)
		buf_adds(&cond, " AND opened_at >= :opened_from");
	if (f->opened_to)
		buf_adds(&cond, " AND opened_at < :opened_to");
	if (f->open == 1)
		buf_adds(&cond, " AND closed_at IS NULL");
	else if (f->open == 0)
		buf_adds(&cond, " AND closed_at IS NOT NULL");
	if (f->overdue == 1)
		buf_adds(&cond, " AND closed_at IS NULL AND due_at <= :overdue_at");
	else if (f->overdue == 0)
		buf_adds(&cond, " AND NOT (closed_at IS NULL AND due_at IS NOT NULL AND due_at <= :overdue_at)");
	/* by due: open cases with a due time first, the rest as if due at the end of time */
#define DUE_KEY "(CASE WHEN closed_at IS NULL AND due_at IS NOT NULL THEN due_at ELSE 9223372036854775807 END)"
	if (f->after_id && f->by_due)
		buf_adds(&cond, " AND (" DUE_KEY " > :after_t OR (" DUE_KEY " = :after_t AND id > :after_id))");
	else if (f->after_id)
		buf_adds(&cond, " AND (updated_at > :after_t OR (updated_at = :after_t AND id > :after_id))");
#define PROVIDER_OF "id IN (SELECT case_id FROM links WHERE provider_org = :org AND shared IS NOT NULL " \
		    "AND status IN ('proposed', 'joined'))"
	const char *conds = cond.data ? cond.data : "";
	if (f->inbox != STORE_INBOX_NONE) {
		/*
		 * An inbox as the union of its parts, each read from its partial index
		 * (disjoint: a case has one inbox), merged in order: a page costs what
		 * the inbox holds, not what the organisation ever had.
		 */
		bool me = f->inbox == STORE_INBOX_ME;
		const char *cols = f->by_due ? "SELECT " CASE_COLUMNS ", " DUE_KEY " AS due_key FROM cases WHERE "
					     : "SELECT " CASE_COLUMNS " FROM cases WHERE ";
		buf_printf(&sql, "%sinbox = 'origin' AND origin_org = :iorg%s%s UNION ALL ", cols,
			   me ? " AND origin_user = :iuser" : "", conds);
		buf_printf(&sql, "%sinbox = 'receiver' AND receiver_org = :iorg%s%s UNION ALL ", cols,
			   me ? " AND (assignee IS NULL OR assignee = :iuser OR "
				"(SELECT u.revoked_at FROM users u WHERE u.id = cases.assignee) IS NOT NULL)" : "", conds);
		if (f->inbox_coordinator)
			buf_printf(&sql, "%sinbox = 'coordinator'%s UNION ALL ", cols, conds);
		/*
		 * a case from before schema 12 until the daemon's start works its inbox
		 * out: from its own index (none after the start), never from the
		 * organisation's every case, which the planner would otherwise pick
		 */
		const char *unknown = f->by_due ? "SELECT " CASE_COLUMNS ", " DUE_KEY " AS due_key FROM cases "
						  "INDEXED BY cases_inbox_unknown WHERE "
						: "SELECT " CASE_COLUMNS " FROM cases INDEXED BY cases_inbox_unknown WHERE ";
		buf_printf(&sql, "%sinbox = '?' AND (origin_org = :iorg OR receiver_org = :iorg%s)%s", unknown,
			   f->inbox_coordinator ? " OR 1" : "", conds);
		buf_adds(&sql, f->by_due ? " ORDER BY due_key, id" : " ORDER BY updated_at, id");
	} else if (f->org && !f->by_due) {
		/*
		 * An organisation's cases as the union of its three sides, each read
		 * in order from its index and merged: the first page costs what it
		 * shows, however many cases the organisation has (one OR of the three
		 * sorted every matching case for each page).
		 */
		buf_printf(&sql, "SELECT " CASE_COLUMNS " FROM cases WHERE receiver_org = :org%s UNION "
			   "SELECT " CASE_COLUMNS " FROM cases WHERE origin_org = :org%s UNION "
			   "SELECT " CASE_COLUMNS " FROM cases WHERE " PROVIDER_OF "%s ORDER BY updated_at, id", conds, conds, conds);
	} else {
		buf_printf(&sql, "SELECT " CASE_COLUMNS " FROM cases WHERE 1%s%s", f->org ?
			   " AND (origin_org = :org OR receiver_org = :org OR " PROVIDER_OF ")" : "", conds);
		buf_adds(&sql, f->by_due ? " ORDER BY " DUE_KEY ", id" : " ORDER BY updated_at, id");
	}
#undef PROVIDER_OF
#undef DUE_KEY
	int ret = -1;
	struct sqldb_stmt *st = shaped(s, sql.data);
	if (!st)
		goto out;
#define BIND(name, v) sqldb_bind_text(st, sqldb_param(st, name), v)
	if (f->pathway)
		BIND(":pathway", f->pathway);
	if (f->state)
		BIND(":state", f->state);
	if (f->org)
		BIND(":org", f->org);
	if (f->inbox != STORE_INBOX_NONE) {
		BIND(":iorg", f->inbox_org);
		if (f->inbox == STORE_INBOX_ME)
			BIND(":iuser", f->inbox_user);
	}
	if (f->receiver_org)
		BIND(":receiver", f->receiver_org);
	if (f->assignee)
		BIND(":assignee", f->assignee);
	if (f->updated_since)
		sqldb_bind_int64(st, sqldb_param(st, ":since"), f->updated_since);
	if (f->area)
		BIND(":area", f->area);
	if (f->origin_org)
		BIND(":origin", f->origin_org);
	if (f->date_path) {
		BIND(":date_path", f->date_path);
		BIND(":date_from", f->date_from);
		BIND(":date_to", f->date_to);
	}
	if (f->opened_from)
		sqldb_bind_int64(st, sqldb_param(st, ":opened_from"), f->opened_from);
	if (f->opened_to)
		sqldb_bind_int64(st, sqldb_param(st, ":opened_to"), f->opened_to);
	if (f->overdue >= 0)
		sqldb_bind_int64(st, sqldb_param(st, ":overdue_at"), f->overdue_at);
	if (f->after_id) {
		sqldb_bind_int64(st, sqldb_param(st, ":after_t"), f->after_updated);
		BIND(":after_id", f->after_id);
	}
#undef BIND
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		struct case_record c = { 0 };
		read_case(st, &c);
		int stop = fn(ctx, &c);
		case_record_release(&c);
		if (stop) {
			rc = SQLDB_DONE;
			break;
		}
	}
	ret = stepped(s, rc);
	sqldb_reset(st);
out:
	buf_release(&sql);
	buf_release(&cond);
	return ret;
}

/* ---- subjects ---- */

int store_subject_insert(struct store *s, const char *id, const json_t *subject, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_SUBJECT_INSERT);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, id);
	bind_json(st, 2, subject);
	sqldb_bind_int64(st, 3, now);
	return run(s, st);
}

int store_subject_update(struct store *s, const char *id, const json_t *subject, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_SUBJECT_UPDATE);
	if (!st)
		return -1;
	bind_json(st, 1, subject);
	sqldb_bind_int64(st, 2, now);
	sqldb_bind_text(st, 3, id);
	return run(s, st);
}

json_t *store_subject_get(struct store *s, const char *id)
{
	struct sqldb_stmt *st = stmt(s, ST_SUBJECT_GET);
	if (!st)
		return NULL;
	sqldb_bind_text(st, 1, id);
	if (one_row(s, st))
		return NULL;
	json_t *v = col_json(st, 0);
	sqldb_reset(st);
	return v;
}

/* ---- events ---- */

/* Length-prefixed so that no two different rows encode alike. */
static void chain_add(struct buf *b, const char *field)
{
	if (!field) {
		buf_adds(b, "-;");
		return;
	}
	buf_printf(b, "%zu:%s;", strlen(field), field);
}

static void event_hash(const struct store_event *ev, char out[65])
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "tsunagu-event-v1;%lld;", (long long)ev->seq);
	chain_add(&b, ev->id);
	chain_add(&b, ev->case_id);
	buf_printf(&b, "%lld;", (long long)ev->at);
	chain_add(&b, ev->actor_user);
	chain_add(&b, ev->actor_org);
	chain_add(&b, ev->action);
	chain_add(&b, ev->from_state);
	chain_add(&b, ev->to_state);
	buf_printf(&b, "%ld;", ev->case_version);
	chain_add(&b, ev->payload_digest);
	chain_add(&b, ev->prev_hash);
	token_sha256_hex(b.data, b.len, out);
	buf_release(&b);
}

static const char genesis[65] = "0000000000000000000000000000000000000000000000000000000000000000";

/* The chain's last link: its seq and hash (0 and the genesis hash when there is none). 0, or -1. */
static int chain_head(struct store *s, int64_t *seq, char hash[65])
{
	struct sqldb_stmt *st = stmt(s, ST_EVENT_HEAD);
	int rc = one_row(s, st);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		*seq = sqldb_column_int64(st, 0);
		snprintf(hash, 65, "%s", sqldb_column_text(st, 1));
		sqldb_reset(st);
	} else {
		*seq = 0;
		memcpy(hash, genesis, sizeof(genesis));
	}
	return 0;
}

int store_event_head(struct store *s, int64_t *seq)
{
	char hash[65];
	return chain_head(s, seq, hash);
}

int store_event_append(struct store *s, struct store_event *ev)
{
	int64_t head;
	if (chain_head(s, &head, ev->prev_hash))
		return -1;
	ev->seq = head + 1;
	token_sha256_hex(ev->payload ? ev->payload : "", ev->payload ? ev->payload_len : 0,
			 ev->payload_digest);
	event_hash(ev, ev->hash);
	struct sqldb_stmt *st = stmt(s, ST_EVENT_INSERT);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, ev->seq);
	sqldb_bind_text(st, 2, ev->id);
	sqldb_bind_text(st, 3, ev->case_id);
	sqldb_bind_int64(st, 4, ev->at);
	sqldb_bind_text(st, 5, ev->actor_user);
	sqldb_bind_text(st, 6, ev->actor_org);
	sqldb_bind_text(st, 7, ev->action);
	sqldb_bind_text(st, 8, ev->from_state);
	sqldb_bind_text(st, 9, ev->to_state);
	sqldb_bind_int64(st, 10, ev->case_version);
	sqldb_bind_text(st, 11, ev->payload_digest);
	sqldb_bind_text(st, 12, ev->prev_hash);
	sqldb_bind_text(st, 13, ev->hash);
	if (run(s, st))
		return -1;
	st = stmt(s, ST_PAYLOAD_INSERT);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, ev->seq);
	if (ev->payload)
		sqldb_bind_blob(st, 2, ev->payload, ev->payload_len);
	else
		sqldb_bind_null(st, 2);
	return run(s, st);
}

static void read_event(struct sqldb_stmt *st, struct store_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->seq = sqldb_column_int64(st, 0);
	ev->id = (char *)sqldb_column_text(st, 1);
	ev->case_id = (char *)sqldb_column_text(st, 2);
	ev->at = sqldb_column_int64(st, 3);
	ev->actor_user = (char *)sqldb_column_text(st, 4);
	ev->actor_org = (char *)sqldb_column_text(st, 5);
	ev->action = (char *)sqldb_column_text(st, 6);
	ev->from_state = (char *)sqldb_column_text(st, 7);
	ev->to_state = (char *)sqldb_column_text(st, 8);
	ev->case_version = (long)sqldb_column_int64(st, 9);
	const char *t;
	if ((t = sqldb_column_text(st, 10)))
		snprintf(ev->payload_digest, sizeof(ev->payload_digest), "%s", t);
	if ((t = sqldb_column_text(st, 11)))
		snprintf(ev->prev_hash, sizeof(ev->prev_hash), "%s", t);
	if ((t = sqldb_column_text(st, 12)))
		snprintf(ev->hash, sizeof(ev->hash), "%s", t);
	ev->payload = sqldb_column_blob(st, 13, &ev->payload_len);
	if (sqldb_column_type(st, 13) == SQLDB_NULL)
		ev->payload = NULL;
}

int store_events_for_case(struct store *s, const char *case_id, int64_t after_seq,
			  int (*fn)(void *ctx, const struct store_event *ev), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_EVENTS_FOR_CASE);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, case_id);
	sqldb_bind_int64(st, 2, after_seq);
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		struct store_event ev;
		read_event(st, &ev);
		if (fn(ctx, &ev)) {
			rc = SQLDB_DONE;
			break;
		}
	}
	sqldb_reset(st);
	return stepped(s, rc);
}

/*
 * The types an event row was written with (ST_EVENTS_ALL's columns): a value
 * rewritten as another type reads back the same, so the type is checked too.
 */
static bool stored_types_hold(struct sqldb_stmt *st)
{
	static const char types[] = "itticctctitttb"; /* i integer, t text, c text or NULL, b blob or NULL */
	for (int i = 0; types[i]; i++) {
		int t = sqldb_column_type(st, i);
		bool fits = types[i] == 'i' ? t == SQLDB_INTEGER
			    : types[i] == 't' ? t == SQLDB_TEXT
			    : types[i] == 'c' ? t == SQLDB_TEXT || t == SQLDB_NULL
					      : t == SQLDB_BLOB || t == SQLDB_NULL;
		if (!fits)
			return false;
	}
	return true;
}

int store_verify_chain(struct store *s, struct store_verify *v)
{
	memset(v, 0, sizeof(*v));
	struct sqldb_stmt *st = stmt(s, ST_EVENTS_ALL);
	if (!st)
		return -1;
	char prev[65];
	memcpy(prev, genesis, sizeof(genesis));
	int64_t expect_seq = 1;
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		/* Types first: reading a value as text converts it in place. */
		bool types_hold = stored_types_hold(st);
		struct store_event ev;
		read_event(st, &ev);
		v->events++;
		char h[65];
		if (ev.seq != expect_seq) {
			snprintf(v->reason, sizeof(v->reason),
				 "expected event %lld next but found event %lld: events were deleted or reordered",
				 (long long)expect_seq, (long long)ev.seq);
		} else if (strcmp(ev.prev_hash, prev)) {
			snprintf(v->reason, sizeof(v->reason),
				 "its link to the previous event does not match: an event before it was changed or removed");
		} else if (!types_hold) {
			snprintf(v->reason, sizeof(v->reason), "the type of one of its stored values was changed");
		} else if (ev.payload &&
			   (token_sha256_hex(ev.payload, ev.payload_len, h), strcmp(h, ev.payload_digest))) {
			snprintf(v->reason, sizeof(v->reason), "its payload was changed");
		} else if (event_hash(&ev, h), strcmp(h, ev.hash)) {
			snprintf(v->reason, sizeof(v->reason), "its recorded content was changed");
		}
		if (v->reason[0]) {
			v->bad_seq = ev.seq ? ev.seq : expect_seq;
			break;
		}
		memcpy(prev, ev.hash, sizeof(prev));
		expect_seq++;
	}
	memcpy(v->head_hash, prev, sizeof(v->head_hash));
	sqldb_reset(st);
	return rc == SQLDB_DONE || rc == SQLDB_ROW ? 0 : -1;
}

/* ---- notes, outbox, provisions, access log ---- */

int store_note_add(struct store *s, const char *id, const char *case_id, const char *user,
		   const char *org, const char *visibility, const char *text, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_NOTE_ADD);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, id);
	sqldb_bind_text(st, 2, case_id);
	sqldb_bind_text(st, 3, user);
	sqldb_bind_text(st, 4, org);
	sqldb_bind_text(st, 5, visibility);
	sqldb_bind_text(st, 6, text);
	sqldb_bind_int64(st, 7, now);
	return run(s, st);
}

int store_notes_for_case(struct store *s, const char *case_id, clock_us after_at, const char *after_id,
			 int (*fn)(void *ctx, const char *id, const char *user, const char *org,
				   const char *visibility, const char *text, clock_us at), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_NOTES_FOR_CASE);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, case_id);
	if (after_id) {
		sqldb_bind_int64(st, 2, after_at);
		sqldb_bind_text(st, 3, after_id);
	}
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		if (fn(ctx, sqldb_column_text(st, 0), sqldb_column_text(st, 1),
		       sqldb_column_text(st, 2), sqldb_column_text(st, 3),
		       sqldb_column_text(st, 4), sqldb_column_int64(st, 5))) {
			rc = SQLDB_DONE;
			break;
		}
	}
	sqldb_reset(st);
	return stepped(s, rc);
}

int store_outbox_add(struct store *s, const struct store_notification *n)
{
	struct sqldb_stmt *st = stmt(s, ST_OUTBOX_ADD);
	if (!st)
		return -1;
	char *id = token_new_id("n_");
	sqldb_bind_text(st, 1, id);
	free(id);
	sqldb_bind_text(st, 2, n->case_id);
	sqldb_bind_int64(st, 3, n->event_seq);
	sqldb_bind_text(st, 4, n->party);
	sqldb_bind_text(st, 5, n->org);
	sqldb_bind_text(st, 6, n->user);
	sqldb_bind_text(st, 7, n->template_name);
	sqldb_bind_text(st, 8, n->status ? n->status : "pending");
	sqldb_bind_int64(st, 9, n->created_at);
	sqldb_bind_int64(st, 10, n->created_at);
	sqldb_bind_text(st, 11, n->channel);
	sqldb_bind_text(st, 12, n->state);
	sqldb_bind_text(st, 13, n->last_error);
	return run(s, st);
}

static void read_notification(struct sqldb_stmt *st, struct store_notification *n)
{
	memset(n, 0, sizeof(*n));
	n->id = col_text(st, 0);
	n->case_id = col_text(st, 1);
	n->party = col_text(st, 2);
	n->org = col_text(st, 3);
	n->user = col_text(st, 4);
	n->template_name = col_text(st, 5);
	n->channel = col_text(st, 6);
	n->state = col_text(st, 7);
	n->attempts = sqldb_column_int(st, 8);
	n->created_at = sqldb_column_int64(st, 9);
	n->next_attempt_at = sqldb_column_int64(st, 10);
	n->status = col_text(st, 11);
	n->last_error = col_text(st, 12);
	n->delivered_at = sqldb_column_int64(st, 13);
}

void store_notification_release(struct store_notification *n)
{
	free(n->id);
	free(n->case_id);
	free(n->party);
	free(n->org);
	free(n->user);
	free(n->template_name);
	free(n->channel);
	free(n->state);
	free(n->status);
	free(n->last_error);
	memset(n, 0, sizeof(*n));
}

int store_outbox_ready(struct store *s, clock_us now, int64_t upto_seq, int limit,
		       int (*fn)(void *ctx, struct store_notification *n), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_OUTBOX_READY);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_int64(st, 2, upto_seq);
	sqldb_bind_int64(st, 3, limit);
	struct store_notification *rows = NULL;
	size_t n = 0, alloc = 0;
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		grow_array(&rows, &alloc, n, sizeof(*rows));
		read_notification(st, &rows[n++]);
	}
	sqldb_reset(st);
	bool stop = false;
	for (size_t i = 0; i < n; i++) {
		if (!stop && rc == SQLDB_DONE && fn(ctx, &rows[i]))
			stop = true;
		store_notification_release(&rows[i]);
	}
	free(rows);
	return stepped(s, rc);
}

int store_outbox_result(struct store *s, const char *id, const char *status, int attempts,
			clock_us next_attempt_at, const char *error, clock_us delivered_at)
{
	struct sqldb_stmt *st = stmt(s, ST_OUTBOX_RESULT);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, status);
	sqldb_bind_int64(st, 2, attempts);
	sqldb_bind_int64(st, 3, next_attempt_at);
	sqldb_bind_text(st, 4, error);
	bind_time(st, 5, delivered_at);
	sqldb_bind_text(st, 6, id);
	return run(s, st);
}

int store_outbox_next(struct store *s, clock_us *when)
{
	struct sqldb_stmt *st = stmt(s, ST_OUTBOX_NEXT);
	if (!st)
		return -1;
	int rc = one_row(s, st);
	if (rc)
		return rc;
	int none = sqldb_column_type(st, 0) == SQLDB_NULL;
	*when = sqldb_column_int64(st, 0);
	sqldb_reset(st);
	return none ? 1 : 0;
}

int store_outbox_get(struct store *s, const char *id, struct store_notification *out)
{
	struct sqldb_stmt *st = stmt(s, ST_OUTBOX_GET);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, id);
	int rc = one_row(s, st);
	if (rc == 0) {
		read_notification(st, out);
		sqldb_reset(st);
	}
	return rc;
}

int store_outbox_retry(struct store *s, const char *id)
{
	struct sqldb_stmt *st = stmt(s, ST_OUTBOX_RETRY);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, id);
	if (run(s, st))
		return -1;
	return sqldb_changes(s->db) == 1 ? 0 : 1;
}

int store_outbox_list(struct store *s, const char *status, const char *after_id, int limit,
		      int (*fn)(void *ctx, struct store_notification *n), void *ctx)
{
	struct buf sql;
	buf_init(&sql);
	buf_adds(&sql, "SELECT id, case_id, party, org, user_id, template, channel, state, attempts, created_at, "
		       "next_attempt_at, status, last_error, delivered_at FROM outbox WHERE 1");
	if (status)
		buf_adds(&sql, " AND status = :status");
	if (after_id)
		buf_adds(&sql, " AND id > :after");
	buf_adds(&sql, " ORDER BY id LIMIT :limit");
	int ret = -1, rc;
	struct sqldb_stmt *st = shaped(s, sql.data);
	if (!st)
		goto out;
	if (status)
		sqldb_bind_text(st, sqldb_param(st, ":status"), status);
	if (after_id)
		sqldb_bind_text(st, sqldb_param(st, ":after"), after_id);
	sqldb_bind_int64(st, sqldb_param(st, ":limit"), limit);
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		struct store_notification n;
		read_notification(st, &n);
		int stop = fn(ctx, &n);
		store_notification_release(&n);
		if (stop) {
			rc = SQLDB_DONE;
			break;
		}
	}
	ret = stepped(s, rc);
	sqldb_reset(st);
out:
	buf_release(&sql);
	return ret;
}

int store_provision_add(struct store *s, clock_us at, const char *case_id, const char *subject_id,
			const char *from_org, const char *to_org, const char *items,
			const char *consent_basis, int64_t event_seq)
{
	struct sqldb_stmt *st = stmt(s, ST_PROVISION_ADD);
	if (!st)
		return -1;
	char *id = token_new_id("p_");
	sqldb_bind_text(st, 1, id);
	free(id);
	sqldb_bind_int64(st, 2, at);
	sqldb_bind_text(st, 3, case_id);
	sqldb_bind_text(st, 4, subject_id);
	sqldb_bind_text(st, 5, from_org);
	sqldb_bind_text(st, 6, to_org);
	sqldb_bind_text(st, 7, items);
	sqldb_bind_text(st, 8, consent_basis);
	sqldb_bind_int64(st, 9, event_seq);
	return run(s, st);
}

int store_access_add(struct store *s, clock_us at, const char *user, const char *org,
		     const char *case_id, const char *subject_id, const char *what)
{
	struct sqldb_stmt *st = stmt(s, ST_ACCESS_ADD);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, at);
	sqldb_bind_text(st, 2, user);
	sqldb_bind_text(st, 3, org);
	sqldb_bind_text(st, 4, case_id);
	sqldb_bind_text(st, 5, subject_id);
	sqldb_bind_text(st, 6, what);
	return run(s, st);
}

/* ---- idempotency ---- */

int store_idem_get(struct store *s, const char *user, const char *key, char **request_hash,
		   int *status, char **body)
{
	struct sqldb_stmt *st = stmt(s, ST_IDEM_GET);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, user);
	sqldb_bind_text(st, 2, key);
	int rc = one_row(s, st);
	if (rc == 0) {
		*request_hash = col_text(st, 0);
		*status = sqldb_column_int(st, 1);
		*body = col_text(st, 2);
		sqldb_reset(st);
	}
	return rc;
}

int store_idem_put(struct store *s, const char *user, const char *key, const char *request_hash,
		   int status, const char *body, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_IDEM_PUT);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, user);
	sqldb_bind_text(st, 2, key);
	sqldb_bind_text(st, 3, request_hash);
	sqldb_bind_int64(st, 4, status);
	sqldb_bind_text(st, 5, body);
	sqldb_bind_int64(st, 6, now);
	return run(s, st);
}

int64_t store_count(struct store *s, const char *table)
{
	static const char *const allowed[] = {
		"cases", "events", "event_payloads", "subjects", "users", "tokens", "notes", "outbox",
		"provisions", "access_log", "idempotency", "pathway_versions", "timers", "imports", "resources",
		"links", "case_summaries", NULL
	};
	size_t i = 0;
	while (allowed[i] && strcmp(allowed[i], table))
		i++;
	if (!allowed[i])
		return -1;
	char *sql = xasprintf("SELECT count(*) FROM %s", allowed[i]);
	struct sqldb_stmt *st = sqldb_prepare(s->db, sql);
	int64_t n = -1;
	if (st && sqldb_step(st) == SQLDB_ROW)
		n = sqldb_column_int64(st, 0);
	sqldb_finalize(st);
	free(sql);
	return n;
}

/* ---- timers ---- */

int store_timer_add(struct store *s, const char *case_id, const char *state, const char *name,
		    clock_us due_at, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_TIMER_ADD);
	if (!st)
		return -1;
	char *id = token_new_id("t_");
	sqldb_bind_text(st, 1, id);
	free(id);
	sqldb_bind_text(st, 2, case_id);
	sqldb_bind_text(st, 3, state);
	sqldb_bind_text(st, 4, name);
	sqldb_bind_int64(st, 5, due_at);
	sqldb_bind_int64(st, 6, now);
	return run(s, st);
}

int store_timers_cancel(struct store *s, const char *case_id, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_TIMERS_CANCEL);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_text(st, 2, case_id);
	return run(s, st);
}

static int each_timer(struct store *s, struct sqldb_stmt *st, int (*fn)(void *ctx, const struct store_timer *t),
		      void *ctx)
{
	int rc;
	/* Rows are copied first: fn may write (and so reset shared statements). */
	struct store_timer *rows = NULL;
	size_t n = 0, alloc = 0;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		grow_array(&rows, &alloc, n, sizeof(*rows));
		rows[n++] = (struct store_timer){ col_text(st, 0), col_text(st, 1), col_text(st, 2),
						  col_text(st, 3), sqldb_column_int64(st, 4) };
	}
	sqldb_reset(st);
	int ret = stepped(s, rc);
	for (size_t i = 0; i < n; i++) {
		if (ret == 0 && fn(ctx, &rows[i]))
			ret = 1;
		free(rows[i].id);
		free(rows[i].case_id);
		free(rows[i].state);
		free(rows[i].name);
	}
	free(rows);
	return ret < 0 ? -1 : 0;
}

int store_timers_for_case(struct store *s, const char *case_id,
			  int (*fn)(void *ctx, const struct store_timer *t), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_TIMERS_FOR_CASE);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, case_id);
	return each_timer(s, st, fn, ctx);
}

int store_timers_due(struct store *s, clock_us now, int limit,
		     int (*fn)(void *ctx, const struct store_timer *t), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_TIMERS_DUE);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_int64(st, 2, limit);
	return each_timer(s, st, fn, ctx);
}

int store_timer_done(struct store *s, const char *id, clock_us now, bool fired)
{
	struct sqldb_stmt *st = stmt(s, ST_TIMER_DONE);
	if (!st)
		return -1;
	bind_time(st, 1, fired ? now : 0);
	bind_time(st, 2, fired ? 0 : now);
	sqldb_bind_text(st, 3, id);
	if (run(s, st))
		return -1;
	return sqldb_changes(s->db) == 1 ? 0 : 1;
}

int store_timer_next(struct store *s, clock_us *due)
{
	struct sqldb_stmt *st = stmt(s, ST_TIMER_NEXT);
	if (!st)
		return -1;
	int rc = one_row(s, st);
	if (rc)
		return rc;
	int none = sqldb_column_type(st, 0) == SQLDB_NULL;
	*due = sqldb_column_int64(st, 0);
	sqldb_reset(st);
	return none ? 1 : 0;
}

/* ---- checkup imports ---- */

int store_import_get(struct store *s, const char *pathway, const char *person_id, const char *checkup_date,
		     char **digest, char **case_id, json_t **cells)
{
	struct sqldb_stmt *st = stmt(s, ST_IMPORT_GET);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, pathway);
	sqldb_bind_text(st, 2, person_id);
	sqldb_bind_text(st, 3, checkup_date);
	int rc = one_row(s, st);
	if (rc == 0) {
		*digest = col_text(st, 0);
		*case_id = col_text(st, 1);
		*cells = col_json(st, 2);
		sqldb_reset(st);
	}
	return rc;
}

int store_import_put(struct store *s, const char *pathway, const char *person_id, const char *checkup_date,
		     const char *digest, const char *case_id, bool eligible, const json_t *cells, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_IMPORT_PUT);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, pathway);
	sqldb_bind_text(st, 2, person_id);
	sqldb_bind_text(st, 3, checkup_date);
	sqldb_bind_text(st, 4, digest);
	sqldb_bind_text(st, 5, case_id);
	sqldb_bind_int64(st, 6, eligible);
	sqldb_bind_int64(st, 7, now);
	bind_json(st, 8, cells);
	return run(s, st);
}

/* ---- audit listings ---- */

static struct sqldb_stmt *period(struct store *s, enum stmt_id id, clock_us from, clock_us to)
{
	struct sqldb_stmt *st = stmt(s, id);
	if (st) {
		sqldb_bind_int64(st, 1, from);
		sqldb_bind_int64(st, 2, to);
		sqldb_bind_int64(st, 3, to);
	}
	return st;
}

static struct sqldb_stmt *paged(struct store *s, enum stmt_id id, const struct store_page *page)
{
	struct sqldb_stmt *st = stmt(s, id);
	if (st) {
		sqldb_bind_int64(st, 1, page->from);
		sqldb_bind_int64(st, 2, page->to);
		sqldb_bind_int64(st, 3, page->after_at);
		sqldb_bind_text(st, 4, page->after_id);
		sqldb_bind_int64(st, 5, page->limit > 0 ? page->limit : -1);
		sqldb_bind_text(st, 6, page->org);
		sqldb_bind_text(st, 7, page->person);
	}
	return st;
}

#define T(i) (sqldb_column_text(st, i))

int store_access_list(struct store *s, const struct store_page *page,
		      int (*fn)(void *ctx, const struct store_access *a), void *ctx)
{
	struct sqldb_stmt *st = paged(s, ST_ACCESS_LIST, page);
	if (!st)
		return -1;
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		struct store_access a = { sqldb_column_int64(st, 0), T(1), T(2), T(3), T(4), T(5), T(6), T(7) };
		if (fn(ctx, &a)) {
			rc = SQLDB_DONE;
			break;
		}
	}
	sqldb_reset(st);
	return stepped(s, rc);
}

/* Streams the provision rows of a prepared statement to fn. */
static int provision_rows(struct store *s, struct sqldb_stmt *st,
			  int (*fn)(void *ctx, const struct store_provision *p), void *ctx)
{
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		struct store_provision p = { T(0), sqldb_column_int64(st, 1), T(2), T(3), T(4), T(5), T(6), T(7),
					     sqldb_column_int64(st, 8), T(9) };
		if (fn(ctx, &p)) {
			rc = SQLDB_DONE;
			break;
		}
	}
	sqldb_reset(st);
	return stepped(s, rc);
}

int store_provisions_list(struct store *s, const struct store_page *page,
			  int (*fn)(void *ctx, const struct store_provision *p), void *ctx)
{
	struct sqldb_stmt *st = paged(s, ST_PROVISIONS_LIST, page);
	return st ? provision_rows(s, st, fn, ctx) : -1;
}

int store_provisions_of_case(struct store *s, const char *case_id,
			     int (*fn)(void *ctx, const struct store_provision *p), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_PROVISIONS_OF_CASE);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, case_id);
	return provision_rows(s, st, fn, ctx);
}

#undef T

/* ---- retention ---- */

int store_purge_candidates(struct store *s, clock_us before, clock_us after_closed, const char *after_id, int limit,
			   int (*fn)(void *ctx, const struct case_record *c), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_PURGE_CANDIDATES);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, before);
	sqldb_bind_int64(st, 2, after_closed);
	sqldb_bind_text(st, 3, after_id);
	sqldb_bind_int64(st, 4, limit > 0 ? limit : -1);
	struct case_record *rows = NULL;
	size_t n = 0, alloc = 0;
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		grow_array(&rows, &alloc, n, sizeof(*rows));
		memset(&rows[n], 0, sizeof(rows[n]));
		read_case(st, &rows[n++]);
	}
	sqldb_reset(st);
	int ret = stepped(s, rc);
	for (size_t i = 0; i < n; i++) {
		if (ret == 0 && fn(ctx, &rows[i]))
			ret = -1;
		case_record_release(&rows[i]);
	}
	free(rows);
	return ret;
}

int store_has_provision_since(struct store *s, const char *case_id, clock_us since)
{
	struct sqldb_stmt *st = stmt(s, ST_PROVISION_SINCE);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, case_id);
	sqldb_bind_int64(st, 2, since);
	int rc = one_row(s, st);
	if (rc == 0)
		sqldb_reset(st);
	return rc < 0 ? -1 : rc == 0;
}

/*
 * The ids a statement gives (its first column), read whole before fn hears
 * each: fn may then use the store, even the statement's own. 0; 1 when fn
 * answered nonzero (the rest are not called); -1 on a storage error. *n: how
 * many ids.
 */
static int each_id(struct store *s, struct sqldb_stmt *st, int (*fn)(void *ctx, const char *id), void *ctx, size_t *n)
{
	char **ids = NULL;
	size_t alloc = 0;
	int rc;
	*n = 0;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		grow_array(&ids, &alloc, *n, sizeof(*ids));
		ids[(*n)++] = col_text(st, 0);
	}
	sqldb_reset(st);
	int ret = stepped(s, rc);
	for (size_t i = 0; i < *n; i++) {
		if (ret == 0 && fn(ctx, ids[i]))
			ret = 1;
		free(ids[i]);
	}
	free(ids);
	return ret;
}

int store_cases_assigned(struct store *s, const char *user, int limit, int (*fn)(void *ctx, const char *case_id),
			 void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_CASES_ASSIGNED);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, user);
	sqldb_bind_int64(st, 2, limit > 0 ? limit : -1);
	size_t n = 0;
	return each_id(s, st, fn, ctx, &n) < 0 ? -1 : 0;
}

int store_cases_on_version(struct store *s, const char *pathway, long version, const char *after_id, int limit,
			   int (*fn)(void *ctx, const char *case_id), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_CASES_ON_VERSION);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, pathway);
	sqldb_bind_int64(st, 2, version);
	sqldb_bind_text(st, 3, after_id ? after_id : "");
	sqldb_bind_int64(st, 4, limit);
	size_t n = 0;
	int rc = each_id(s, st, fn, ctx, &n);
	return rc < 0 ? -1 : rc > 0 ? -2 : (int)n;
}

int store_tally_put(struct store *s, const char *pathway, const char *field, const char *value, int fiscal_year,
		    int64_t count, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_TALLY_PUT);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, pathway);
	sqldb_bind_text(st, 2, field);
	sqldb_bind_text(st, 3, value);
	sqldb_bind_int64(st, 4, fiscal_year);
	sqldb_bind_int64(st, 5, count);
	sqldb_bind_int64(st, 6, now);
	return run(s, st);
}

int store_tallies(struct store *s, const char *pathway, const char *field,
		  void (*fn)(void *ctx, const char *value, int fiscal_year, int64_t count), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_TALLIES);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, pathway);
	sqldb_bind_text(st, 2, field);
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW)
		fn(ctx, sqldb_column_text(st, 0), sqldb_column_int(st, 1), sqldb_column_int64(st, 2));
	sqldb_reset(st);
	return stepped(s, rc);
}

int store_pathway_ids(struct store *s, int (*fn)(void *ctx, const char *pathway), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_PW_IDS);
	if (!st)
		return -1;
	size_t n = 0;
	return each_id(s, st, fn, ctx, &n) < 0 ? -1 : 0;
}

int store_provisions_keep_name(struct store *s, const char *case_id, const char *name)
{
	struct sqldb_stmt *st = stmt(s, ST_PROVISIONS_KEEP_NAME);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, name);
	sqldb_bind_text(st, 2, case_id);
	return run(s, st);
}

int store_purge_case(struct store *s, const struct case_record *c, const json_t *fields, clock_us now)
{
	struct sqldb_stmt *st;
	if (!(st = stmt(s, ST_PURGE_SUBJECT)))
		return -1;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_text(st, 2, c->subject_id);
	if (run(s, st) || !(st = stmt(s, ST_PURGE_PAYLOADS)))
		return -1;
	sqldb_bind_text(st, 1, c->id);
	if (run(s, st) || !(st = stmt(s, ST_PURGE_NOTES)))
		return -1;
	sqldb_bind_text(st, 1, c->id);
	if (run(s, st) || !(st = stmt(s, ST_PURGE_IDEM)))
		return -1;
	sqldb_bind_text(st, 1, c->id);
	if (run(s, st) || !(st = stmt(s, ST_PURGE_LINKS)))
		return -1;
	sqldb_bind_text(st, 1, c->id);
	if (run(s, st) || !(st = stmt(s, ST_PURGE_IMPORTS)))
		return -1;
	sqldb_bind_text(st, 1, c->id);
	if (run(s, st) || !(st = stmt(s, ST_PURGE_FIELDS)))
		return -1;
	bind_json(st, 1, fields);
	sqldb_bind_text(st, 2, c->id);
	return run(s, st);
}

/* ---- reports ---- */

/* ---- the summaries reports read ---- */

/* The summary's milestone columns, in the order of the statements' columns: accepted .. closed. */
static void read_summary(struct sqldb_stmt *st, int col, struct store_summary *out)
{
	memset(out, 0, sizeof(*out));
	for (int m = MILESTONE_ACCEPTED; m <= MILESTONE_CLOSED; m++, col++)
		out->reached[m] = sqldb_column_int64(st, col);
	out->reminders = sqldb_column_int(st, col);
	out->escalations = sqldb_column_int(st, col + 1);
}

int store_summary_note(struct store *s, const char *case_id, int milestone, clock_us at, int reminders,
		       int escalations)
{
	struct sqldb_stmt *st = stmt(s, ST_SUMMARY_NOTE);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, case_id);
	sqldb_bind_int64(st, 2, milestone);
	sqldb_bind_int64(st, 3, at);
	sqldb_bind_int64(st, 4, reminders);
	sqldb_bind_int64(st, 5, escalations);
	if (run(s, st))
		return -1;
	return sqldb_changes(s->db) ? 0 : 1;
}

int store_summary_put(struct store *s, const char *case_id, const struct store_summary *sum)
{
	struct sqldb_stmt *st = stmt(s, ST_SUMMARY_PUT);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, case_id);
	for (int m = MILESTONE_ACCEPTED, i = 2; m <= MILESTONE_CLOSED; m++, i++) {
		if (sum->reached[m])
			sqldb_bind_int64(st, i, sum->reached[m]);
		else
			sqldb_bind_null(st, i);
	}
	sqldb_bind_int64(st, 7, sum->reminders);
	sqldb_bind_int64(st, 8, sum->escalations);
	return run(s, st);
}

int store_report_cases(struct store *s, clock_us from, clock_us to,
		       int (*fn)(void *ctx, const struct store_report_case *r), void *ctx)
{
	struct sqldb_stmt *st = period(s, ST_REPORT_CASES, from, to);
	if (!st)
		return -1;
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		struct store_report_case r = {
			.case_id = sqldb_column_text(st, 0),
			.pathway = sqldb_column_text(st, 1),
			.pathway_version = (long)sqldb_column_int64(st, 2),
			.origin = sqldb_column_text(st, 3),
			.receiver = sqldb_column_text(st, 4),
			.area = sqldb_column_text(st, 5),
			.outcome = sqldb_column_text(st, 6),
			.opened_at = sqldb_column_int64(st, 7),
			.closed_at = sqldb_column_int64(st, 8),
			.summarized = sqldb_column_int(st, 9) != 0,
		};
		read_summary(st, 10, &r.summary);
		if (fn(ctx, &r)) {
			rc = SQLDB_DONE;
			break;
		}
	}
	sqldb_reset(st);
	return stepped(s, rc);
}

int store_case_report_events(struct store *s, const char *case_id,
			     void (*fn)(void *ctx, const char *action, const char *to_state, bool by_system, clock_us at,
					const void *payload, size_t payload_len),
			     void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_CASE_REPORT_EVENTS);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, case_id);
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		size_t len;
		const void *payload = sqldb_column_blob(st, 4, &len);
		fn(ctx, sqldb_column_text(st, 0), sqldb_column_text(st, 1), sqldb_column_int(st, 2) != 0,
		   sqldb_column_int64(st, 3), payload, len);
	}
	sqldb_reset(st);
	return rc == SQLDB_DONE ? 0 : -1;
}

int store_cases_unsummarized(struct store *s, int limit, int (*fn)(void *ctx, const char *case_id), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_UNSUMMARIZED);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, limit);
	size_t n = 0;
	return each_id(s, st, fn, ctx, &n) ? -1 : (int)n;
}

int store_cases_inbox_unknown(struct store *s, int limit, int (*fn)(void *ctx, const char *case_id), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_INBOX_UNKNOWN);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, limit);
	size_t n = 0;
	return each_id(s, st, fn, ctx, &n) ? -1 : (int)n;
}

int store_case_inbox_put(struct store *s, const char *id, int inbox)
{
	struct sqldb_stmt *st = stmt(s, ST_INBOX_PUT);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, inbox_text(inbox));
	sqldb_bind_text(st, 2, id);
	return run(s, st);
}

int store_summaries(struct store *s, int (*fn)(void *ctx, const char *case_id, const char *pathway, long version,
					      const struct store_summary *sum), void *ctx)
{
	struct sqldb_stmt *st = sqldb_prepare(s->db, stmt_sql[ST_SUMMARIES]);
	if (!st)
		return -1;
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		struct store_summary sum;
		read_summary(st, 3, &sum);
		if (fn(ctx, sqldb_column_text(st, 0), sqldb_column_text(st, 1),
		       (long)sqldb_column_int64(st, 2), &sum)) {
			rc = SQLDB_DONE;
			break;
		}
	}
	sqldb_finalize(st);
	return rc == SQLDB_DONE ? 0 : -1;
}

/* ---- disclosure ---- */

int store_cases_of_person(struct store *s, const char *id,
			  int (*fn)(void *ctx, const char *case_id), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_PERSON_CASES);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, id);
	size_t n = 0;
	return each_id(s, st, fn, ctx, &n) ? -1 : 0;
}

/* ---- possible duplicate persons ---- */

int store_cases_same_person(struct store *s, const char *case_id, const char *person_id, const char *person_key,
			    int (*fn)(void *ctx, const char *case_id, const char *reason), void *ctx)
{
	if (!person_id && !person_key)
		return 0;
	struct sqldb_stmt *st = stmt(s, ST_SAME_PERSON);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, case_id);
	sqldb_bind_text(st, 2, person_id);
	sqldb_bind_text(st, 3, person_key);
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		if (fn(ctx, sqldb_column_text(st, 0), sqldb_column_text(st, 1))) {
			rc = SQLDB_DONE;
			break;
		}
	}
	sqldb_reset(st);
	return stepped(s, rc);
}

/* ---- the resource directory ---- */


static void read_resource(struct sqldb_stmt *st, struct resource_record *r)
{
	r->id = col_text(st, 0);
	r->data = col_json(st, 1);
	if (!r->data)
		r->data = json_object();
	r->category = col_text(st, 2);
	r->provider = col_text(st, 3);
	r->status = col_text(st, 4);
	r->capacity = col_text(st, 5);
	r->version = (long)sqldb_column_int64(st, 6);
	r->created_at = sqldb_column_int64(st, 7);
	r->updated_at = sqldb_column_int64(st, 8);
	r->updated_by = col_text(st, 9);
}

int store_resource_put(struct store *s, const struct resource_record *r, char *const *areas, size_t n_areas,
		       const char *folded, const char *sort_key, long expected_version)
{
	struct sqldb_stmt *st = stmt(s, expected_version ? ST_RESOURCE_UPDATE : ST_RESOURCE_INSERT);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, r->id);
	bind_json(st, 2, r->data);
	sqldb_bind_text(st, 3, r->category);
	sqldb_bind_text(st, 4, r->provider);
	sqldb_bind_text(st, 5, r->status);
	sqldb_bind_text(st, 6, r->capacity);
	sqldb_bind_text(st, 7, sort_key);
	sqldb_bind_int64(st, 8, r->version);
	sqldb_bind_int64(st, 9, expected_version ? r->updated_at : r->created_at);
	sqldb_bind_text(st, 10, r->updated_by);
	if (expected_version)
		sqldb_bind_int64(st, 11, expected_version);
	if (run(s, st))
		return -1;
	if (sqldb_changes(s->db) != 1)
		return 1;
	/* The area index and the search text follow the row. */
	if (!(st = stmt(s, ST_RESOURCE_AREAS_DELETE)))
		return -1;
	sqldb_bind_text(st, 1, r->id);
	if (run(s, st))
		return -1;
	for (size_t i = 0; i < (n_areas ? n_areas : 1); i++) {
		if (!(st = stmt(s, ST_RESOURCE_AREA_ADD)))
			return -1;
		sqldb_bind_text(st, 1, r->id);
		sqldb_bind_text(st, 2, n_areas ? areas[i] : "*");
		if (run(s, st))
			return -1;
	}
	if (!(st = stmt(s, ST_SEARCH_DELETE)))
		return -1;
	sqldb_bind_text(st, 1, r->id);
	if (run(s, st) || !(st = stmt(s, ST_SEARCH_ADD)))
		return -1;
	sqldb_bind_text(st, 1, r->id);
	sqldb_bind_text(st, 2, folded);
	return run(s, st);
}

int store_resource_get(struct store *s, const char *id, struct resource_record *out)
{
	struct sqldb_stmt *st = stmt(s, ST_RESOURCE_GET);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, id);
	int rc = one_row(s, st);
	if (rc == 0) {
		read_resource(st, out);
		sqldb_reset(st);
	}
	return rc;
}

/* A search term as an FTS5 phrase: the trigram tokenizer matches it as a substring. */
static void fts_phrase(struct buf *b, const char *term)
{
	buf_addc(b, '"');
	for (const char *p = term; *p; p++) {
		if (*p == '"')
			buf_addc(b, '"');
		buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

int store_resources_list(struct store *s, const struct store_resource_filter *f,
			 int (*fn)(void *ctx, const struct resource_record *r, const char *sort_key), void *ctx)
{
	/*
	 * Terms of three characters or more use the trigram index; shorter ones,
	 * which a trigram index cannot hold, are found by scanning the folded text.
	 */
	struct buf sql, match;
	buf_init(&sql);
	buf_init(&match);
	buf_adds(&sql, "SELECT " RESOURCE_COLUMNS ", sort_key FROM resources r WHERE 1");
	if (f->category)
		buf_adds(&sql, " AND category = :category");
	if (f->provider)
		buf_adds(&sql, " AND provider = :provider");
	if (f->status)
		buf_adds(&sql, " AND status = :status");
	if (f->capacity)
		buf_adds(&sql, " AND capacity = :capacity");
	if (f->area)
		buf_adds(&sql, " AND EXISTS (SELECT 1 FROM resource_areas a WHERE a.resource_id = r.id "
			       "AND a.area IN (:area, '*'))");
	size_t n_short = 0;
	for (size_t i = 0; i < f->n_terms; i++) {
		if (textfold_chars(f->terms[i]) >= 3) {
			if (match.len)
				buf_adds(&match, " AND ");
			fts_phrase(&match, f->terms[i]);
		} else {
			n_short++;
		}
	}
	if (match.len)
		buf_adds(&sql, " AND id IN (SELECT resource_id FROM resource_search WHERE resource_search MATCH :match)");
	if (n_short) {
		buf_adds(&sql, " AND id IN (SELECT resource_id FROM resource_search WHERE 1");
		for (size_t i = 0; i < n_short; i++)
			buf_printf(&sql, " AND instr(folded, :short%zu) > 0", i);
		buf_adds(&sql, ")");
	}
	if (f->after_id)
		buf_adds(&sql, " AND (sort_key > :after_key OR (sort_key = :after_key AND id > :after_id))");
	buf_adds(&sql, " ORDER BY sort_key, id");
	if (f->limit)
		buf_adds(&sql, " LIMIT :limit");
	int ret = -1, rc;
	struct sqldb_stmt *st = shaped(s, sql.data);
	if (!st)
		goto out;
#define BIND(name, v) sqldb_bind_text(st, sqldb_param(st, name), v)
	if (f->category)
		BIND(":category", f->category);
	if (f->provider)
		BIND(":provider", f->provider);
	if (f->status)
		BIND(":status", f->status);
	if (f->capacity)
		BIND(":capacity", f->capacity);
	if (f->area)
		BIND(":area", f->area);
	if (match.len)
		BIND(":match", match.data);
	for (size_t i = 0, k = 0; i < f->n_terms; i++) {
		if (textfold_chars(f->terms[i]) >= 3)
			continue;
		char name[32];
		snprintf(name, sizeof(name), ":short%zu", k++);
		BIND(name, f->terms[i]);
	}
	if (f->after_id) {
		BIND(":after_key", f->after_key);
		BIND(":after_id", f->after_id);
	}
#undef BIND
	if (f->limit)
		sqldb_bind_int64(st, sqldb_param(st, ":limit"), f->limit);
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		struct resource_record r = { 0 };
		read_resource(st, &r);
		int stop = fn(ctx, &r, sqldb_column_text(st, 10));
		resource_record_release(&r);
		if (stop) {
			rc = SQLDB_DONE;
			break;
		}
	}
	ret = stepped(s, rc);
	sqldb_reset(st);
out:
	buf_release(&sql);
	buf_release(&match);
	return ret;
}

int64_t store_resources_count(struct store *s)
{
	struct sqldb_stmt *st = stmt(s, ST_RESOURCES_COUNT);
	if (!st || one_row(s, st))
		return -1;
	int64_t n = sqldb_column_int64(st, 0);
	sqldb_reset(st);
	return n;
}

/* ---- backups ---- */

int store_copy_to(const char *path, const char *dest, char **err)
{
	struct sqldb *db = NULL;
	int ret = -1;
	char *why = NULL;
	if (sqldb_sqlite_open(path, true, &db, &why)) {
		*err = xasprintf("cannot open database '%s': %s", path, why);
		goto out;
	}
	/* the daemon's commits are short: a copy waits for one, not for ever */
	sqldb_sqlite_busy_timeout(db, 10000);
	struct sqldb_stmt *st = sqldb_prepare(db, "VACUUM INTO ?");
	if (!st) {
		*err = xasprintf("cannot copy '%s': %s", path, sqldb_errmsg(db));
		goto out;
	}
	sqldb_bind_text(st, 1, dest);
	int rc = sqldb_step(st);
	sqldb_finalize(st);
	if (rc != SQLDB_DONE) {
		*err = xasprintf("cannot copy '%s' to '%s': %s", path, dest, sqldb_errmsg(db));
		goto out;
	}
	/*
	 * A running daemon's commit is visible before its flush (store_sync_apart):
	 * flushing the WAL now makes everything the copy holds durable in the
	 * database too, so a restored copy never brings back what a power loss
	 * took from it.
	 */
	int fd = open_wal(path);
	if (fd >= 0) {
		int synced = fdatasync(fd);
		int e = errno;
		close(fd);
		if (synced) {
			*err = xasprintf("cannot flush the write-ahead log of '%s': %s", path, strerror(e));
			goto out;
		}
	}
	ret = 0;
out:
	free(why);
	sqldb_close(db);
	return ret;
}

int store_schema_of(const char *path, int *version, char **err)
{
	struct sqldb *db = NULL;
	struct sqldb_stmt *st = NULL;
	int ret = -1;
	char *e = NULL;
	if (sqldb_sqlite_open(path, true, &db, &e) || !(st = sqldb_prepare(db, "PRAGMA user_version")) ||
	    sqldb_step(st) != SQLDB_ROW) {
		*err = xasprintf("cannot read the schema of '%s': %s", path, e ? e : sqldb_errmsg(db));
		goto out;
	}
	*version = sqldb_column_int(st, 0);
	ret = 0;
out:
	free(e);
	sqldb_finalize(st);
	sqldb_close(db);
	return ret;
}

int store_integrity(struct store *s, char **problem)
{
	struct sqldb_stmt *st = sqldb_prepare(s->db, "PRAGMA integrity_check(1)");
	if (!st)
		return -1;
	int ret = -1;
	if (sqldb_step(st) == SQLDB_ROW) {
		const char *answer = sqldb_column_text(st, 0);
		ret = answer && !strcmp(answer, "ok") ? 0 : 1;
		if (ret)
			*problem = xstrdup(answer ? answer : "integrity_check gave no answer");
	}
	sqldb_finalize(st);
	return ret;
}

int store_case_pathway(struct store *s, const char *case_id, char *pathway, size_t size, long *version)
{
	struct sqldb_stmt *st = stmt(s, ST_CASE_PATHWAY);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, case_id);
	int rc = one_row(s, st);
	if (rc)
		return rc;
	snprintf(pathway, size, "%s", sqldb_column_text(st, 0));
	*version = (long)sqldb_column_int64(st, 1);
	sqldb_reset(st);
	return 0;
}

int store_event_hash(struct store *s, int64_t seq, char hash[65])
{
	struct sqldb_stmt *st = stmt(s, ST_EVENT_HASH);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, seq);
	int rc = one_row(s, st);
	if (rc)
		return rc;
	snprintf(hash, 65, "%s", sqldb_column_text(st, 0));
	sqldb_reset(st);
	return 0;
}

int store_sessions_end_all(struct store *s, const char *reason, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_SESSIONS_END_ALL);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_text(st, 2, reason);
	if (run(s, st))
		return -1;
	return sqldb_changes(s->db);
}

int store_sessions_end_stale(struct store *s, clock_us seen_before, clock_us began_before, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_SESSIONS_END_STALE);
	if (!st)
		return -1;
	sqldb_bind_int64(st, 1, now);
	sqldb_bind_int64(st, 2, seen_before);
	sqldb_bind_int64(st, 3, began_before);
	if (run(s, st))
		return -1;
	return sqldb_changes(s->db);
}

int store_tokens_revoke_before(struct store *s, const char *user_id, clock_us before, clock_us now)
{
	struct sqldb_stmt *st = stmt(s, ST_TOKENS_REVOKE_BEFORE);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, user_id);
	sqldb_bind_int64(st, 2, before);
	sqldb_bind_int64(st, 3, now);
	return run(s, st);
}

/* ---- what /metrics shows ---- */

int64_t store_timers_pending(struct store *s)
{
	struct sqldb_stmt *st = stmt(s, ST_TIMERS_PENDING);
	if (!st || one_row(s, st))
		return -1;
	int64_t n = sqldb_column_int64(st, 0);
	sqldb_reset(st);
	return n;
}

int store_outbox_tally(struct store *s, store_outbox_tally_fn *each, void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_OUTBOX_TALLY);
	if (!st)
		return -1;
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		const char *channel = sqldb_column_text(st, 0);
		clock_us oldest = sqldb_column_type(st, 3) == SQLDB_NULL ? 0 : sqldb_column_int64(st, 3);
		each(ctx, channel ? channel : "", sqldb_column_int64(st, 1), sqldb_column_int64(st, 2), oldest);
	}
	sqldb_reset(st);
	return rc == SQLDB_DONE ? 0 : -1;
}

int store_file_sizes(struct store *s, int64_t *database_bytes, int64_t *wal_bytes)
{
	const char *path = sqldb_sqlite_filename(s->db);
	struct stat st;
	if (!*path || stat(path, &st))
		return -1;
	*database_bytes = st.st_size;
	char *wal = xasprintf("%s-wal", path);
	*wal_bytes = stat(wal, &st) ? 0 : st.st_size;
	free(wal);
	return 0;
}

/* ---- links ---- */


static void read_link(struct sqldb_stmt *st, struct link_record *l)
{
	l->id = col_text(st, 0);
	l->case_id = col_text(st, 1);
	l->resource_id = col_text(st, 2);
	l->provider_org = col_text(st, 3);
	l->status = col_text(st, 4);
	l->proposed_on = col_text(st, 5);
	l->joined_on = col_text(st, 6);
	l->declined_on = col_text(st, 7);
	l->ended_on = col_text(st, 8);
	l->note = col_text(st, 9);
	l->shared = col_text(st, 10);
	l->consent = col_json(st, 11);
	l->created_by = col_text(st, 12);
	l->created_org = col_text(st, 13);
	l->created_at = sqldb_column_int64(st, 14);
	l->updated_at = sqldb_column_int64(st, 15);
}

int store_link_insert(struct store *s, const struct link_record *l)
{
	struct sqldb_stmt *st = stmt(s, ST_LINK_INSERT);
	if (!st)
		return -1;
	const char *texts[] = { l->id, l->case_id, l->resource_id, l->provider_org, l->status, l->proposed_on,
				l->joined_on, l->declined_on, l->ended_on, l->note, l->shared };
	for (int i = 0; i < 11; i++)
		sqldb_bind_text(st, i + 1, texts[i]);
	bind_json(st, 12, l->consent);
	sqldb_bind_text(st, 13, l->created_by);
	sqldb_bind_text(st, 14, l->created_org);
	sqldb_bind_int64(st, 15, l->created_at);
	sqldb_bind_int64(st, 16, l->updated_at);
	return run(s, st);
}

int store_link_update(struct store *s, const struct link_record *l)
{
	struct sqldb_stmt *st = stmt(s, ST_LINK_UPDATE);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, l->id);
	sqldb_bind_text(st, 2, l->status);
	sqldb_bind_text(st, 3, l->joined_on);
	sqldb_bind_text(st, 4, l->declined_on);
	sqldb_bind_text(st, 5, l->ended_on);
	sqldb_bind_text(st, 6, l->note);
	sqldb_bind_text(st, 7, l->shared);
	bind_json(st, 8, l->consent);
	sqldb_bind_int64(st, 9, l->updated_at);
	return run(s, st);
}

int store_link_get(struct store *s, const char *id, struct link_record *out)
{
	struct sqldb_stmt *st = stmt(s, ST_LINK_GET);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, id);
	int rc = one_row(s, st);
	if (rc == 0) {
		read_link(st, out);
		sqldb_reset(st);
	}
	return rc;
}

/* Steps a link query, copying the rows first so that fn may use the store. */
static int each_link(struct store *s, struct sqldb_stmt *st, int (*fn)(void *ctx, const struct link_record *l), void *ctx)
{
	struct link_record *rows = NULL;
	size_t n = 0, alloc = 0;
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		grow_array(&rows, &alloc, n, sizeof(*rows));
		memset(&rows[n], 0, sizeof(rows[n]));
		read_link(st, &rows[n++]);
	}
	int ret = stepped(s, rc);
	for (size_t i = 0; i < n; i++) {
		if (ret == 0 && fn(ctx, &rows[i]))
			ret = 1;
		link_record_release(&rows[i]);
	}
	free(rows);
	return ret < 0 ? -1 : 0;
}

int store_links_for_case(struct store *s, const char *case_id,
			 int (*fn)(void *ctx, const struct link_record *l), void *ctx)
{
	struct sqldb_stmt *st = stmt(s, ST_LINKS_FOR_CASE);
	if (!st)
		return -1;
	sqldb_bind_text(st, 1, case_id);
	int rc = each_link(s, st, fn, ctx);
	sqldb_reset(st);
	return rc;
}

int store_links_for_provider(struct store *s, const char *org, const char *status, const char *resource,
			     const char *before_id, int limit, int (*fn)(void *ctx, const struct link_record *l), void *ctx)
{
	struct buf sql;
	buf_init(&sql);
	buf_adds(&sql, "SELECT " LINK_COLUMNS " FROM links WHERE provider_org = :org AND shared IS NOT NULL");
	if (status)
		buf_adds(&sql, " AND status = :status");
	if (resource)
		buf_adds(&sql, " AND resource_id = :resource");
	if (before_id)
		buf_adds(&sql, " AND id < :before");
	buf_adds(&sql, " ORDER BY id DESC LIMIT :limit");
	int ret = -1;
	struct sqldb_stmt *st = shaped(s, sql.data);
	if (st) {
		sqldb_bind_text(st, sqldb_param(st, ":org"), org);
		if (status)
			sqldb_bind_text(st, sqldb_param(st, ":status"), status);
		if (resource)
			sqldb_bind_text(st, sqldb_param(st, ":resource"), resource);
		if (before_id)
			sqldb_bind_text(st, sqldb_param(st, ":before"), before_id);
		sqldb_bind_int64(st, sqldb_param(st, ":limit"), limit);
		ret = each_link(s, st, fn, ctx);
		sqldb_reset(st);
	}
	buf_release(&sql);
	return ret;
}

/*
 * A period's links are read by their date when they are a small share of all
 * (a month of several years), else with a pass over the cases: joining each
 * link to its case costs two index descents, which over most of the links
 * costs six times the pass (measured: 0.43 s against 0.07 s for 200,000).
 */
#define LINKS_BY_CASE_SHARE 4

int store_link_rows(struct store *s, clock_us from, clock_us to,
		    int (*fn)(void *ctx, const struct store_link_row *r), void *ctx)
{
	struct sqldb_stmt *count = period(s, ST_LINKS_IN_PERIOD, from, to);
	if (!count || one_row(s, count) < 0)
		return -1;
	int64_t in_period = sqldb_column_int64(count, 0);
	sqldb_reset(count);
	int64_t cases = store_count(s, "cases");
	if (cases < 0)
		return -1;
	struct sqldb_stmt *st = period(s, in_period * LINKS_BY_CASE_SHARE >= cases ? ST_LINK_ROWS_BY_CASE : ST_LINK_ROWS,
				  from, to);
	if (!st)
		return -1;
	int rc;
	while ((rc = sqldb_step(st)) == SQLDB_ROW) {
		struct store_link_row r = {
			.resource_id = sqldb_column_text(st, 0),
			.status = sqldb_column_text(st, 1),
			.joined_on = sqldb_column_text(st, 2),
			.declined_on = sqldb_column_text(st, 3),
			.ended_on = sqldb_column_text(st, 4),
			.case_id = sqldb_column_text(st, 5),
			.pathway = sqldb_column_text(st, 6),
			.pathway_version = (long)sqldb_column_int64(st, 7),
			.origin = sqldb_column_text(st, 8),
			.receiver = sqldb_column_text(st, 9),
			.area = sqldb_column_text(st, 10),
			.created_at = sqldb_column_int64(st, 11),
		};
		if (fn(ctx, &r)) {
			rc = SQLDB_DONE;
			break;
		}
	}
	sqldb_reset(st);
	return stepped(s, rc);
}
