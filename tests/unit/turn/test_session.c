/*
 * test_session.c — what an operator sees of the live allocations
 * (turn_sessions_list) and ending one (turn_session_kill,
 * turn_sessions_kill_user): values copied out, the END event with
 * "killed", the relay closed, and the client's next Refresh 437.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

TestSuite(session, .init = h_setup, .fini = h_teardown);

static uint32_t secs = 600;

static void lifetime(struct req *r, void *arg)
{
	stun_enc_u32(&r->e, STUN_ATTR_LIFETIME, *(uint32_t *)arg);
}

static unsigned ends, killed;

static void on_event(void *arg, enum turn_alloc_ev ev,
		     const struct turn_alloc_info *info)
{
	(void)arg;
	if (ev == TURN_EV_ALLOC_END) {
		ends++;
		killed += info->why == TURN_END_KILLED;
	}
}

static void two_allocations(void)
{
	struct turn_events ev = { .alloc = on_event };

	ends = killed = 0;
	turn_server_set_events(H.srv, &ev);
	turn_server_set_session_base(H.srv, 3ull << 48);
	cr_assert_eq(h_allocate("198.51.100.7", 40000, NULL, NULL), 0);
	cr_assert_eq(h_allocate("198.51.100.8", 40000, NULL, NULL), 0);
	cr_assert_eq(h_permit("198.51.100.7", 40000, "203.0.113.5"), 0);
}

Test(session, list_copies_every_live_allocation)
{
	struct turn_session s[4];
	char t[SA_STRLEN];
	size_t n, i;

	two_allocations();
	H.now += 5000;
	n = turn_sessions_list(H.srv, NULL, 0, s, 4, H.now);
	cr_assert_eq(n, 2);
	for (i = 0; i < n && s[i].session != (3ull << 48) + 1; i++)
		;
	cr_assert_lt(i, n);
	cr_assert_str_eq(s[i].user, H_USER);
	cr_assert_eq(s[i].tp, TURN_TP_UDP);
	cr_assert_str_eq(sa_print(&s[i].client, t, sizeof(t)),
			 "198.51.100.7:40000");
	cr_assert_eq(s[i].nrelay, 1);
	cr_assert_eq(s[i].age_ms, 5000);
	cr_assert_eq(s[i].expires_in_ms, 595000);
	cr_assert_eq(s[i].nperm, 1);
	cr_assert_eq(s[i].nperm_l, 1);
	cr_assert_str_eq(sa_print_addr(&s[i].perm[0], t, sizeof(t)),
			 "203.0.113.5");
}

Test(session, list_filters_by_user_and_stops_at_max)
{
	struct turn_session s[1];

	two_allocations();
	cr_assert_eq(turn_sessions_list(H.srv, "bob", 3, s, 1, H.now), 0);
	cr_assert_eq(turn_sessions_list(H.srv, "alic", 4, s, 1, H.now), 0,
		     "a prefix is not the user");
	cr_assert_eq(
	    turn_sessions_list(H.srv, H_USER, strlen(H_USER), s, 1, H.now), 2,
	    "the count goes on past max");
}

Test(session, kill_ends_one_and_its_refresh_gets_437)
{
	unsigned relays;

	two_allocations();
	relays = h_open_relays();
	cr_assert_eq(turn_session_kill(H.srv, 12345, H.now), ENOENT);
	cr_assert_eq(turn_session_kill(H.srv, (3ull << 48) + 1, H.now), 0);
	cr_assert_eq(ends, 1);
	cr_assert_eq(killed, 1);
	cr_assert_eq(h_open_relays(), relays - 1, "its relay is closed");
	cr_assert_eq(turn_server_allocs(H.srv), 1);
	cr_assert_eq(h_request(STUN_METHOD_REFRESH, "198.51.100.7", 40000,
			       lifetime, &secs),
		     437);
	cr_assert_eq(h_request(STUN_METHOD_REFRESH, "198.51.100.8", 40000,
			       lifetime, &secs),
		     0, "the other one lives on");
	cr_assert_eq(turn_session_kill(H.srv, (3ull << 48) + 1, H.now), ENOENT);
}

Test(session, kill_user_ends_all_of_theirs)
{
	two_allocations();
	cr_assert_eq(turn_sessions_kill_user(H.srv, "bob", 3, H.now), 0);
	cr_assert_eq(
	    turn_sessions_kill_user(H.srv, H_USER, strlen(H_USER), H.now), 2);
	cr_assert_eq(killed, 2);
	cr_assert_eq(turn_server_allocs(H.srv), 0);
	cr_assert_eq(h_open_relays(), 0);
}
