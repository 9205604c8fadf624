/*
 * Unit tests of the loop turn: units undo only themselves, one commit,
 * participants hear the outcome only once the disk has it, turn by turn in order.
 */
#include "test.h"

#include "store.h"
#include "turn.h"
#include "util.h"

#include <event2/event.h>
#include <stdlib.h>
#include <unistd.h>

struct heard {
	int calls;
	bool committed;
	uint64_t turns[8];
	bool ok[8];
};

static void on_done(void *ctx, uint64_t turn, bool committed)
{
	struct heard *h = ctx;
	if (h->calls < 8) {
		h->turns[h->calls] = turn;
		h->ok[h->calls] = committed;
	}
	h->calls++;
	h->committed = committed;
}

static struct store *open_temp(char *dir)
{
	CHECK(mkdtemp(dir) != NULL);
	char *path = xasprintf("%s/t.db", dir);
	struct store *s = NULL;
	char *err = NULL;
	CHECK_INT(store_open(path, STORE_CREATE, &s, NULL, &err), 0);
	free(path);
	return s;
}

static void remove_temp(const char *dir)
{
	const char *names[] = { "t.db", "t.db-wal", "t.db-shm" };
	for (size_t i = 0; i < 3; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

TEST(turn_units_undo_only_themselves_and_commit_once)
{
	char dir[] = "/tmp/tsunagu-turn-XXXXXX";
	struct store *s = open_temp(dir);
	struct event_base *base = event_base_new();
	char *err = NULL;
	struct turn *t = turn_new(base, s, &err);
	CHECK(t != NULL);
	struct heard h = { 0 };
	turn_join(t, on_done, &h);
	CHECK_INT(turn_number(t), 1);

	CHECK_INT(turn_unit_begin(t), 0);
	CHECK(store_in_transaction(s));
	CHECK_INT(store_user_add(s, "u_kept", "org", "kept", 1, 1), 0);
	CHECK_INT(turn_unit_end(t, true), 0);
	CHECK_INT(turn_unit_begin(t), 0);
	CHECK_INT(store_user_add(s, "u_undone", "org", "undone", 1, 1), 0);
	CHECK_INT(turn_unit_end(t, false), 0);
	CHECK(turn_pending(t));
	CHECK_INT(h.calls, 0);

	turn_end(t);
	CHECK(!store_in_transaction(s));
	/* committed, not yet on disk: nobody hears until the syncer has flushed it */
	CHECK_INT(h.calls, 0);
	CHECK(turn_unsettled(t));
	CHECK_INT(turn_number(t), 2);
	turn_settle(t);
	CHECK(!turn_unsettled(t));
	CHECK_INT(h.calls, 1);
	CHECK_INT(h.turns[0], 1);
	CHECK(h.committed);
	CHECK_INT(turn_stats(t)->commits, 1);
	CHECK_INT(store_count(s, "users"), 1);
	struct store_user u = { 0 };
	CHECK_INT(store_user_get(s, "u_kept", &u), 0);
	store_user_release(&u);
	CHECK_INT(store_user_get(s, "u_undone", &u), 1);

	/* A turn without work still tells the participants (replies refused before any unit go out). */
	turn_end(t);
	CHECK_INT(h.calls, 2);
	CHECK_INT(h.turns[1], 2);
	CHECK(h.committed);
	CHECK_INT(turn_stats(t)->commits, 1);
	turn_free(t);
	event_base_free(base);
	store_close(s);
	remove_temp(dir);
}

TEST(turn_a_unit_begun_outside_the_loop_wakes_it)
{
	char dir[] = "/tmp/tsunagu-turn-XXXXXX";
	struct store *s = open_temp(dir);
	struct event_base *base = event_base_new();
	char *err = NULL;
	struct turn *t = turn_new(base, s, &err);
	CHECK(t != NULL);
	CHECK_INT(turn_unit_begin(t), 0);
	CHECK_INT(turn_unit_end(t, true), 0);
	/* With nothing else to wait for, the loop would block for ever unless the turn woke it. */
	CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
	turn_end(t);
	CHECK(!turn_pending(t));
	turn_free(t);
	event_base_free(base);
	store_close(s);
	remove_temp(dir);
}

TEST(turn_later_turns_wait_for_the_disk_behind_earlier_ones)
{
	char dir[] = "/tmp/tsunagu-turn-XXXXXX";
	struct store *s = open_temp(dir);
	struct event_base *base = event_base_new();
	char *err = NULL;
	struct turn *t = turn_new(base, s, &err);
	CHECK(t != NULL);
	struct heard h = { 0 };
	turn_join(t, on_done, &h);

	CHECK_INT(turn_unit_begin(t), 0);
	CHECK_INT(store_user_add(s, "u_first", "org", "first", 1, 1), 0);
	CHECK_INT(turn_unit_end(t, true), 0);
	turn_end(t);
	CHECK_INT(turn_stats(t)->commits, 1);
	/* while the first turn's flush runs, the next loop turns' units join one transaction */
	turn_end(t);
	CHECK_INT(turn_unit_begin(t), 0);
	CHECK_INT(store_user_add(s, "u_second", "org", "second", 1, 1), 0);
	CHECK_INT(turn_unit_end(t, true), 0);
	turn_end(t);
	CHECK_INT(turn_unit_begin(t), 0);
	CHECK_INT(store_user_add(s, "u_third", "org", "third", 1, 1), 0);
	CHECK_INT(turn_unit_end(t, true), 0);
	CHECK_INT(h.calls, 0);
	/* as the daemon's loop does: each pass over the events ends a turn */
	for (int i = 0; i < 100 && h.calls < 2; i++) {
		CHECK_INT(event_base_loop(base, EVLOOP_ONCE), 0);
		turn_end(t);
	}
	turn_settle(t);
	/* told oldest first; the units after the first commit went into one (then turns without work) */
	CHECK(h.calls >= 2);
	CHECK_INT(h.turns[0], 1);
	CHECK_INT(h.turns[1], 2);
	CHECK(h.committed);
	CHECK_INT(turn_stats(t)->commits, 2);
	CHECK(!turn_unsettled(t));
	CHECK_INT(store_count(s, "users"), 3);
	turn_free(t);
	event_base_free(base);
	store_close(s);
	remove_temp(dir);
}

TEST(turn_a_transaction_the_database_undid_is_told_as_failed)
{
	char dir[] = "/tmp/tsunagu-turn-XXXXXX";
	struct store *s = open_temp(dir);
	struct event_base *base = event_base_new();
	char *err = NULL;
	struct turn *t = turn_new(base, s, &err);
	CHECK(t != NULL);
	struct heard h = { 0 };
	turn_join(t, on_done, &h);

	CHECK_INT(turn_unit_begin(t), 0);
	CHECK_INT(store_user_add(s, "u_kept", "org", "kept", 1, 1), 0);
	CHECK_INT(turn_unit_end(t, true), 0);
	CHECK_INT(turn_unit_begin(t), 0);
	/* as SQLite does after a full disk or no memory: the whole transaction, the kept unit's work too */
	store_rollback(s);
	CHECK_INT(turn_unit_end(t, true), -1);
	/* the next unit is a turn of its own */
	CHECK_INT(turn_number(t), 2);
	CHECK_INT(turn_unit_begin(t), 0);
	CHECK_INT(store_user_add(s, "u_after", "org", "after", 1, 1), 0);
	CHECK_INT(turn_unit_end(t, true), 0);
	turn_end(t);
	turn_settle(t);
	CHECK(h.calls >= 2);
	CHECK_INT(h.turns[0], 1);
	CHECK(!h.ok[0]);
	CHECK_INT(h.turns[1], 2);
	CHECK(h.ok[1]);
	CHECK_INT(turn_stats(t)->failed_commits, 1);
	CHECK_INT(store_count(s, "users"), 1);
	struct store_user u = { 0 };
	CHECK_INT(store_user_get(s, "u_after", &u), 0);
	store_user_release(&u);
	turn_free(t);
	event_base_free(base);
	store_close(s);
	remove_temp(dir);
}
