/*
 * test_quota.c — allocation quotas shared by several servers (one per
 * worker in ternd): turn_quota itself, then two turn_servers counting in
 * one quota, so relay.user_quota (486) and relay.max_allocations (508)
 * hold for the whole process (RFC 8656 §7.2 step 6).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "harness.h"
#include "turn/quota.h"

/* ---- turn_quota --------------------------------------------------------- */

Test(quota, take_and_put)
{
	struct turn_quota *q = NULL;
	struct turn_quota_user *a1, *a2, *b1, *x;

	cr_assert_eq(turn_quota_alloc(&q), 0);
	cr_assert_eq(turn_quota_take(q, "alice", 5, 3, 2, &a1), 0);
	cr_assert_eq(turn_quota_take(q, "alice", 5, 3, 2, &a2), 0);
	cr_assert_eq(a1, a2, "one entry per user");
	cr_assert(turn_quota_user_is(a1, "alice", 5));
	cr_assert(!turn_quota_user_is(a1, "alic", 4));
	cr_assert(!turn_quota_user_is(NULL, "alice", 5));
	cr_assert_eq(turn_quota_take(q, "alice", 5, 3, 2, &x), EDQUOT);
	cr_assert_eq(turn_quota_take(q, "bob", 3, 3, 2, &b1), 0);
	/* the server's limit comes first: 508 before 486 */
	cr_assert_eq(turn_quota_take(q, "carol", 5, 3, 2, &x), ENOSPC);
	cr_assert_eq(turn_quota_take(q, "alice", 5, 3, 2, &x), ENOSPC);
	cr_assert_eq(turn_quota_total(q), 3);
	cr_assert_eq(turn_quota_user_count(q, "alice", 5), 2);
	/* limits are per call: a reload may raise them */
	cr_assert_eq(turn_quota_take(q, "alice", 5, 0, 0, &x), 0);
	turn_quota_put(q, x);
	turn_quota_put(q, a1);
	cr_assert_eq(turn_quota_take(q, "alice", 5, 3, 2, &a1), 0);
	turn_quota_put(q, a1);
	turn_quota_put(q, a2);
	turn_quota_put(q, b1);
	turn_quota_put(q, NULL);
	cr_assert_eq(turn_quota_total(q), 0);
	cr_assert_eq(turn_quota_user_count(q, "alice", 5), 0);
	turn_quota_free(q);
	turn_quota_free(NULL);
}

Test(quota, bad_arguments)
{
	struct turn_quota *q = NULL;
	struct turn_quota_user *u;

	cr_assert_eq(turn_quota_alloc(NULL), EINVAL);
	cr_assert_eq(turn_quota_alloc(&q), 0);
	cr_assert_eq(turn_quota_take(NULL, "a", 1, 0, 0, &u), EINVAL);
	cr_assert_eq(turn_quota_take(q, NULL, 1, 0, 0, &u), EINVAL);
	cr_assert_eq(turn_quota_take(q, "a", 1, 0, 0, NULL), EINVAL);
	cr_assert_eq(turn_quota_total(NULL), 0);
	turn_quota_free(q);
}

#define NTHREADS 4
#define PER	 1000

struct racer {
	struct turn_quota *q;
	struct turn_quota_user *held[PER];
	unsigned got;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	unsigned i;

	for (i = 0; i < PER; i++)
		if (!turn_quota_take(r->q, "u", 1, 2000, 0, &r->held[r->got]))
			r->got++;
	return NULL;
}

/* Workers racing for the last units never admit more than the limit. */
Test(quota, exact_under_contention)
{
	static struct racer r[NTHREADS];
	pthread_t t[NTHREADS];
	struct turn_quota *q = NULL;
	unsigned i, j, sum = 0;

	cr_assert_eq(turn_quota_alloc(&q), 0);
	for (i = 0; i < NTHREADS; i++) {
		r[i].q = q;
		r[i].got = 0;
		cr_assert_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		sum += r[i].got;
	}
	cr_assert_eq(sum, 2000);
	cr_assert_eq(turn_quota_total(q), 2000);
	cr_assert_eq(turn_quota_user_count(q, "u", 1), 2000);
	for (i = 0; i < NTHREADS; i++)
		for (j = 0; j < r[i].got; j++)
			turn_quota_put(q, r[i].held[j]);
	cr_assert_eq(turn_quota_total(q), 0);
	turn_quota_free(q);
}

/* ---- two servers, one quota --------------------------------------------- */

static struct turn_quota *Q;
static struct turn_server *S1, *S2; /* "worker 0" and "worker 1" */

static void shared_setup(void)
{
	h_setup();
	cr_assert_eq(turn_quota_alloc(&Q), 0);
	H.cfg.quota = Q;
	H.cfg.max_allocs_per_user = 2;
	H.cfg.max_allocs = 3;
	h_restart();
	S1 = H.srv;
	S2 = h_server_new();
}

static void shared_teardown(void)
{
	turn_server_free(S2);
	H.srv = S1;
	h_teardown();
	/* every server returned its units */
	cr_assert_eq(turn_quota_total(Q), 0);
	turn_quota_free(Q);
}

TestSuite(shared, .init = shared_setup, .fini = shared_teardown);

static uint16_t alloc_on(struct turn_server *s, const char *user, uint16_t port,
			 void (*extra)(struct req *))
{
	struct req r;

	H.srv = s;
	if (!strcmp(user, H_USER))
		return h_allocate("198.51.100.7", port, NULL, extra);
	/* h_allocate signs as H_USER; bob reuses its nonce */
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	if (extra)
		extra(&r);
	rq_finish(&r, &(struct cred){ .user = "bob", .pass = "builder" });
	h_feed(r.buf, r.len, "198.51.100.7", port);
	return h_code();
}

Test(shared, user_quota_and_total_hold_across_servers)
{
	cr_assert_eq(alloc_on(S1, H_USER, 1, NULL), 0);
	cr_assert_eq(alloc_on(S2, H_USER, 2, NULL), 0);
	/* alice has 2, one on each worker: a third is 486 on either */
	cr_assert_eq(alloc_on(S2, H_USER, 3, NULL), 486);
	cr_assert_eq(alloc_on(S1, H_USER, 4, NULL), 486);
	cr_assert_eq(turn_server_stats(S1)->quota_user, 1);
	cr_assert_eq(turn_server_stats(S2)->quota_user, 1);
	/* bob fits once; then the server (3) is full on both workers */
	cr_assert_eq(alloc_on(S1, "bob", 5, NULL), 0);
	cr_assert_eq(alloc_on(S2, "bob", 6, NULL), 508);
	cr_assert_eq(alloc_on(S1, "bob", 7, NULL), 508);
	cr_assert_eq(turn_server_stats(S2)->quota_total, 1);
	cr_assert_eq(turn_quota_total(Q), 3);
	cr_assert_eq(turn_quota_user_count(Q, H_USER, strlen(H_USER)), 2);
	cr_assert_eq(turn_quota_user_count(Q, "bob", 3), 1);
	cr_assert_eq(turn_server_stats(S1)->allocs_active, 2);
	cr_assert_eq(turn_server_stats(S2)->allocs_active, 1);
}

static void lifetime_0(struct req *r, void *arg)
{
	(void)arg;
	stun_enc_u32(&r->e, STUN_ATTR_LIFETIME, 0);
}

Test(shared, expiry_and_delete_return_units)
{
	cr_assert_eq(alloc_on(S1, H_USER, 1, NULL), 0);
	cr_assert_eq(alloc_on(S2, H_USER, 2, NULL), 0);
	cr_assert_eq(alloc_on(S2, "bob", 3, NULL), 0);
	cr_assert_eq(turn_quota_total(Q), 3);
	/* Refresh with LIFETIME 0 on S2 frees alice's unit there */
	H.srv = S2;
	cr_assert_eq(
	    h_request(STUN_METHOD_REFRESH, "198.51.100.7", 2, lifetime_0, NULL),
	    0);
	cr_assert_eq(turn_quota_total(Q), 2);
	cr_assert_eq(alloc_on(S1, H_USER, 4, NULL), 0);
	cr_assert_eq(turn_quota_total(Q), 3);
	/* Past the 600 s lifetime: S1's tick returns its two units; S2's
	 * expiry runs before it handles the next request. */
	H.now += 601 * 1000;
	turn_server_tick(S1, H.now);
	cr_assert_eq(turn_quota_total(Q), 1);
	cr_assert_eq(turn_quota_user_count(Q, H_USER, strlen(H_USER)), 0);
	cr_assert_eq(alloc_on(S2, H_USER, 5, NULL), 0);
	cr_assert_eq(alloc_on(S2, H_USER, 6, NULL), 0);
	cr_assert_eq(turn_quota_total(Q), 2, "bob's expired unit is back");
	cr_assert_eq(turn_server_stats(S1)->allocs_expired, 2);
	cr_assert_eq(turn_server_stats(S2)->allocs_expired, 1);
}

static void want_both(struct req *r)
{
	stun_enc_family(&r->e, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, AF_INET6);
}

static void even_r(struct req *r)
{
	stun_enc_even_port(&r->e, true);
}

/* A dual-stack allocation is one allocation; a reserved port (EVEN-PORT
 * R) is one more unit of its user until claimed or expired. Freeing a
 * server returns its units. */
Test(shared, dual_stack_once_reservation_one)
{
	cr_assert_eq(alloc_on(S1, H_USER, 1, want_both), 0);
	cr_assert_eq(h_relay(AF_INET6) != NULL, true);
	cr_assert_eq(turn_quota_total(Q), 1);
	cr_assert_eq(alloc_on(S2, "bob", 2, even_r), 0);
	cr_assert_eq(turn_server_stats(S2)->reservations, 1);
	cr_assert_eq(turn_quota_total(Q), 3);
	cr_assert_eq(turn_quota_user_count(Q, "bob", 3), 2);
	turn_server_free(S2);
	S2 = NULL;
	cr_assert_eq(turn_quota_total(Q), 1);
	cr_assert_eq(turn_quota_user_count(Q, "bob", 3), 0);
}

static uint8_t token[STUN_TOKEN_SIZE];

static void with_token(struct req *r)
{
	stun_enc_attr(&r->e, STUN_ATTR_RESERVATION_TOKEN, token, sizeof(token));
}

/* Releasing the allocation does not give back the reserved port's unit:
 * a user cannot hold more ports than the quota by cycling EVEN-PORT R. */
Test(shared, reservation_holds_a_unit_until_it_ends)
{
	H.cfg.max_allocs = 0;
	cr_assert_eq(alloc_on(S1, H_USER, 1, even_r), 0);
	cr_assert_eq(turn_quota_user_count(Q, H_USER, strlen(H_USER)), 2);
	/* the quota (2) is full: a third is 486, so is another EVEN-PORT R */
	cr_assert_eq(alloc_on(S2, H_USER, 2, NULL), 486);
	H.srv = S1;
	cr_assert_eq(
	    h_request(STUN_METHOD_REFRESH, "198.51.100.7", 1, lifetime_0, NULL),
	    0);
	cr_assert_eq(turn_quota_user_count(Q, H_USER, strlen(H_USER)), 1,
		     "the reservation keeps its unit");
	/* one unit left: EVEN-PORT R needs two, and gives back what it took
	 * (the allocation's unit, the even port) */
	cr_assert_eq(alloc_on(S2, H_USER, 3, even_r), 486);
	cr_assert_eq(turn_quota_user_count(Q, H_USER, strlen(H_USER)), 1);
	cr_assert_eq(turn_server_stats(S2)->reservations, 0);
	cr_assert_eq(turn_server_stats(S2)->allocs_active, 0);
	cr_assert_eq(H.nopen, H.nclose + 1, "only the reserved port is open");
	/* the reservation ends after 30 s, and its unit with it */
	H.now += 31 * 1000;
	turn_server_tick(S1, H.now);
	cr_assert_eq(turn_quota_user_count(Q, H_USER, strlen(H_USER)), 0);
	cr_assert_eq(turn_quota_total(Q), 0);
}

/* Claiming hands the reservation's unit to the allocation when the same
 * user claims (the port stays counted once); another user's claim gives
 * it back and takes one of the claimer's. */
Test(shared, claim_hands_the_unit_on)
{
	H.cfg.max_allocs = 0;
	cr_assert_eq(alloc_on(S1, H_USER, 1, even_r), 0);
	h_token(token);
	cr_assert_eq(alloc_on(S1, H_USER, 2, with_token), 0);
	cr_assert_eq(turn_quota_user_count(Q, H_USER, strlen(H_USER)), 2);
	cr_assert_eq(turn_server_stats(S1)->reservations, 0);
	cr_assert_eq(turn_server_stats(S1)->allocs_active, 2);

	cr_assert_eq(alloc_on(S2, "bob", 3, even_r), 0);
	h_token(token);
	cr_assert_eq(turn_quota_user_count(Q, "bob", 3), 2);
	/* alice is full: her claim of bob's port is 486, the reservation
	 * is used up and bob's unit comes back */
	cr_assert_eq(alloc_on(S2, H_USER, 4, with_token), 486);
	cr_assert_eq(turn_quota_user_count(Q, "bob", 3), 1);
	cr_assert_eq(turn_server_stats(S2)->reservations, 0);
	cr_assert_eq(alloc_on(S2, "bob", 5, with_token), 508,
		     "a reservation is claimed once");

	/* once everything has expired: alice, with room, claims bob's
	 * reservation with a unit of her own, and bob's comes back */
	H.now += 601 * 1000;
	turn_server_tick(S1, H.now);
	turn_server_tick(S2, H.now);
	cr_assert_eq(turn_quota_total(Q), 0);
	cr_assert_eq(alloc_on(S2, "bob", 6, even_r), 0);
	h_token(token);
	cr_assert_eq(alloc_on(S1, H_USER, 7, NULL), 0);
	cr_assert_eq(alloc_on(S2, H_USER, 8, with_token), 0);
	cr_assert_eq(turn_quota_user_count(Q, H_USER, strlen(H_USER)), 2);
	cr_assert_eq(turn_quota_user_count(Q, "bob", 3), 1);
}
