/*
 * test_alloc.c — Allocate and Refresh (RFC 8656 §7): transports, families,
 * EVEN-PORT reservations, lifetimes, retransmissions, quotas, expiry.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "harness.h"

TestSuite(alloc, .init = h_setup, .fini = h_teardown);

static uint32_t lifetime(void)
{
	uint32_t v;

	cr_assert_eq(
	    stun_attr_u32(stun_msg_attr(h_reply(), STUN_ATTR_LIFETIME), &v), 0);
	return v;
}

Test(alloc, retransmission_gets_the_same_answer_other_tid_437)
{
	struct req r, r2;
	struct cred c = { 0 };
	uint8_t first[2048];
	size_t flen;

	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	rq_finish(&r, NULL);
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	cr_assert_eq(h_code(), 401);
	h_take_nonce();
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, &c);
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	cr_assert_eq(h_code(), 0);
	memcpy(first, H.last, H.last_len);
	flen = H.last_len;
	H.now += 500;
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	cr_assert_eq(h_code(), 0);
	cr_assert_eq(H.last_len, flen);
	cr_assert_eq(H.nopen, 1, "no second relay for a retransmission");
	rq_start(&r2, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r2.e, 17);
	rq_finish(&r2, &c);
	h_feed(r2.buf, r2.len, "198.51.100.7", 40000);
	cr_assert_eq(h_code(), 437);
	cr_assert_geq(h_reply()->mi, 0,
		      "errors to authenticated requests "
		      "are signed");
}

Test(alloc, transport_checks)
{
	struct req r;

	h_allocate("198.51.100.7", 40000, NULL, NULL);
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 6);
	rq_finish(&r, &(struct cred){ 0 });
	h_feed(r.buf, r.len, "198.51.100.7", 40001);
	cr_assert_eq(h_code(), 442);
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	rq_finish(&r, &(struct cred){ 0 });
	h_feed(r.buf, r.len, "198.51.100.7", 40002);
	cr_assert_eq(h_code(), 400);
	cr_assert_eq(turn_server_stats(H.srv)->allocs_active, 1);
}

static void want_v6(struct req *r)
{
	stun_enc_family(&r->e, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, AF_INET6);
}

static void want_both(struct req *r)
{
	stun_enc_family(&r->e, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, AF_INET6);
}

static void want_raf_and_aaf(struct req *r)
{
	want_v6(r);
	want_both(r);
}

Test(alloc, families)
{
	struct sa relay;

	cr_assert_eq(h_allocate("198.51.100.7", 1, &relay, want_v6), 0);
	cr_assert_eq(sa_family(&relay), AF_INET6);
	cr_assert_eq(h_allocate("198.51.100.7", 2, NULL, want_raf_and_aaf),
		     400);
	H.cfg.no_ipv6 = true;
	h_restart();
	cr_assert_eq(h_allocate("198.51.100.7", 3, NULL, want_v6), 440);
	/* A client over IPv6 gets an IPv6 relay by default. */
	H.cfg.no_ipv6 = false;
	h_restart();
	cr_assert_eq(h_allocate("2001:db8::77", 4, &relay, NULL), 0);
	cr_assert_eq(sa_family(&relay), AF_INET6);
}

Test(alloc, dual_stack_and_address_error_code)
{
	const struct stun_msg *m;
	unsigned i, n = 0;
	int fam;
	uint16_t code;
	const char *rs;
	size_t rl;

	cr_assert_eq(h_allocate("198.51.100.7", 1, NULL, want_both), 0);
	m = h_reply();
	for (i = 0; i < m->nattrs; i++)
		n += m->attrs[i].type == STUN_ATTR_XOR_RELAYED_ADDRESS;
	cr_assert_eq(n, 2);
	cr_assert_eq(H.nopen, 2);
	/* IPv6 out of ports: IPv4 only, ADDRESS-ERROR-CODE 508 for IPv6. */
	H.fail_open = EADDRINUSE;
	H.fail_family = AF_INET6;
	cr_assert_eq(h_allocate("198.51.100.7", 2, NULL, want_both), 0);
	m = h_reply();
	cr_assert_not_null(stun_msg_attr(m, STUN_ATTR_ADDRESS_ERROR_CODE));
	stun_attr_addr_errcode(stun_msg_attr(m, STUN_ATTR_ADDRESS_ERROR_CODE),
			       &fam, &code, &rs, &rl);
	cr_assert_eq(fam, AF_INET6);
	cr_assert_eq(code, 508);
	/* IPv6 switched off: 440 for it. */
	H.fail_open = 0;
	H.cfg.no_ipv6 = true;
	cr_assert_eq(h_allocate("198.51.100.7", 3, NULL, want_both), 0);
	stun_attr_addr_errcode(
	    stun_msg_attr(h_reply(), STUN_ATTR_ADDRESS_ERROR_CODE), &fam, &code,
	    &rs, &rl);
	cr_assert_eq(code, 440);
}

static void even_r(struct req *r)
{
	stun_enc_even_port(&r->e, true);
	stun_enc_attr(&r->e, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
}

static uint8_t token[STUN_TOKEN_SIZE];

static void with_token(struct req *r)
{
	stun_enc_attr(&r->e, STUN_ATTR_RESERVATION_TOKEN, token, sizeof(token));
}

Test(alloc, even_port_reservation_is_claimed_or_released)
{
	struct sa relay, relay2;

	cr_assert_eq(h_allocate("198.51.100.7", 1, &relay, even_r), 0);
	cr_assert_eq(sa_port(&relay) % 2, 0);
	cr_assert(h_relay(AF_INET)->flags & TURN_RELAY_DONT_FRAGMENT);
	h_token(token);
	cr_assert_eq(H.nopen, 2);
	cr_assert_eq(turn_server_stats(H.srv)->reservations, 1);
	/* Claimed by a second Allocate: relayed port is even + 1. */
	cr_assert_eq(h_allocate("198.51.100.7", 2, &relay2, with_token), 0);
	cr_assert_eq(sa_port(&relay2), sa_port(&relay) + 1);
	cr_assert_eq(turn_server_stats(H.srv)->reservations, 0);
	/* A token used twice is a 508. */
	cr_assert_eq(h_allocate("198.51.100.7", 3, NULL, with_token), 508);

	/* A reservation nobody claims is closed after 30 s. */
	cr_assert_eq(h_allocate("198.51.100.7", 4, NULL, even_r), 0);
	cr_assert_eq(turn_server_stats(H.srv)->reservations, 1);
	cr_assert_eq(H.nclose, 0);
	H.now += 29 * 1000;
	turn_server_tick(H.srv, H.now);
	cr_assert_eq(H.nclose, 0);
	H.now += 2 * 1000;
	turn_server_tick(H.srv, H.now);
	cr_assert_eq(H.nclose, 1);
	cr_assert_eq(turn_server_stats(H.srv)->reservations, 0);
	cr_assert_eq(turn_server_stats(H.srv)->reservations_expired, 1);
}

Test(alloc, even_port_retries_when_next_port_is_taken)
{
	H.fail_exact = 1;
	cr_assert_eq(h_allocate("198.51.100.7", 1, NULL, even_r), 0);
	cr_assert_eq(H.nclose, 1, "the first even port was given back");
	H.fail_exact = 100;
	cr_assert_eq(h_allocate("198.51.100.7", 2, NULL, even_r), 508);
}

static void token_and_even(struct req *r)
{
	with_token(r);
	stun_enc_even_port(&r->e, false);
}

Test(alloc, token_with_even_port_is_400)
{
	cr_assert_eq(h_allocate("198.51.100.7", 1, NULL, token_and_even), 400);
}

static void life(struct req *r, void *arg)
{
	stun_enc_u32(&r->e, STUN_ATTR_LIFETIME, *(uint32_t *)arg);
}

static void alloc_life(struct req *r)
{
	uint32_t v = 100000;

	life(r, &v);
}

Test(alloc, lifetimes_follow_rfc8656_7_2)
{
	uint32_t v;

	/* Asked for far more than the maximum: the maximum (3600). */
	cr_assert_eq(h_allocate("198.51.100.7", 1, NULL, alloc_life), 0);
	cr_assert_eq(lifetime(), 3600);
	/* Below the default: the default (600). */
	v = 30;
	cr_assert_eq(
	    h_request(STUN_METHOD_REFRESH, "198.51.100.7", 1, life, &v), 0);
	cr_assert_eq(lifetime(), 600);
	v = 1200;
	cr_assert_eq(
	    h_request(STUN_METHOD_REFRESH, "198.51.100.7", 1, life, &v), 0);
	cr_assert_eq(lifetime(), 1200);
	cr_assert_eq(
	    h_request(STUN_METHOD_REFRESH, "198.51.100.7", 1, NULL, NULL), 0);
	cr_assert_eq(lifetime(), 600);
}

Test(alloc, refresh_zero_deletes_and_then_437)
{
	uint32_t zero = 0;

	cr_assert_eq(
	    h_request(STUN_METHOD_REFRESH, "198.51.100.7", 1, NULL, NULL), 437);
	cr_assert_eq(h_allocate("198.51.100.7", 1, NULL, NULL), 0);
	cr_assert_eq(
	    h_request(STUN_METHOD_REFRESH, "198.51.100.7", 1, life, &zero), 0);
	cr_assert_eq(lifetime(), 0);
	cr_assert_eq(H.nclose, 1);
	cr_assert_eq(turn_server_stats(H.srv)->allocs_active, 0);
	cr_assert_eq(turn_server_stats(H.srv)->allocs_deleted, 1);
	cr_assert_eq(
	    h_request(STUN_METHOD_REFRESH, "198.51.100.7", 1, NULL, NULL), 437);
	cr_assert_eq(h_request(STUN_METHOD_CREATE_PERMISSION, "198.51.100.7", 1,
			       NULL, NULL),
		     437);
}

static void want_v6_arg(struct req *r, void *arg)
{
	(void)arg;
	want_v6(r);
}

Test(alloc, refresh_family_mismatch_is_443)
{
	cr_assert_eq(h_allocate("198.51.100.7", 1, NULL, NULL), 0);
	cr_assert_eq(h_request(STUN_METHOD_REFRESH, "198.51.100.7", 1,
			       want_v6_arg, NULL),
		     443);
}

Test(alloc, quotas_486_and_508)
{
	H.cfg.max_allocs_per_user = 2;
	H.cfg.max_allocs = 3;
	h_restart();
	cr_assert_eq(h_allocate("198.51.100.7", 1, NULL, NULL), 0);
	cr_assert_eq(h_allocate("198.51.100.7", 2, NULL, NULL), 0);
	cr_assert_eq(h_allocate("198.51.100.7", 3, NULL, NULL), 486);
	cr_assert_eq(turn_server_stats(H.srv)->quota_user, 1);
	/* Another user still fits once, then the server is full. */
	{
		struct req r;

		rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
		stun_enc_transport(&r.e, 17);
		rq_finish(&r,
			  &(struct cred){ .user = "bob", .pass = "builder" });
		h_feed(r.buf, r.len, "198.51.100.7", 4);
		cr_assert_eq(h_code(), 0);
		rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
		stun_enc_transport(&r.e, 17);
		rq_finish(&r,
			  &(struct cred){ .user = "bob", .pass = "builder" });
		h_feed(r.buf, r.len, "198.51.100.7", 5);
		cr_assert_eq(h_code(), 508);
	}
	cr_assert_eq(turn_server_stats(H.srv)->quota_total, 1);
	/* Expired allocations stop counting at once, tick or no tick. */
	H.now += 601 * 1000;
	cr_assert_eq(h_allocate("198.51.100.7", 6, NULL, NULL), 0);
	cr_assert_eq(turn_server_stats(H.srv)->allocs_active, 1);
}

Test(alloc, no_port_is_508)
{
	H.fail_open = EADDRINUSE;
	cr_assert_eq(h_allocate("198.51.100.7", 1, NULL, NULL), 508);
	cr_assert_eq(turn_server_stats(H.srv)->quota_ports, 1);
	cr_assert_eq(turn_server_stats(H.srv)->allocs_active, 0);
}

Test(alloc, expiry_frees_everything)
{
	uint64_t next;

	cr_assert_eq(h_allocate("198.51.100.7", 1, NULL, NULL), 0);
	cr_assert_eq(h_permit("198.51.100.7", 1, "192.0.2.200"), 0);
	cr_assert_eq(h_bind("198.51.100.7", 1, 0x4000, "192.0.2.201", 7), 0);
	cr_assert_eq(turn_server_stats(H.srv)->perms_active, 2);
	cr_assert_eq(turn_server_stats(H.srv)->channels_active, 1);
	next = turn_server_tick(H.srv, H.now);
	cr_assert_eq(next, H.now + 300 * 1000, "the permissions are due first");
	/* Permissions go at 300 s, the channel at 600 s. */
	H.now += 300 * 1000;
	turn_server_tick(H.srv, H.now);
	cr_assert_eq(turn_server_stats(H.srv)->perms_active, 0);
	cr_assert_eq(turn_server_stats(H.srv)->channels_active, 1);
	cr_assert_eq(turn_server_stats(H.srv)->allocs_active, 1);
	H.now += 300 * 1000;
	next = turn_server_tick(H.srv, H.now);
	cr_assert_eq(turn_server_stats(H.srv)->channels_active, 0);
	cr_assert_eq(turn_server_stats(H.srv)->allocs_active, 0);
	cr_assert_eq(turn_server_stats(H.srv)->allocs_expired, 1);
	cr_assert_eq(H.nclose, 1);
	cr_assert_eq(next, UINT64_MAX);
}

Test(alloc, closing_a_stream_frees_its_allocations)
{
	struct req r;
	int conn;

	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, NULL);
	h_feed_tp(r.buf, r.len, "198.51.100.7", 1, TURN_TP_TCP, &conn);
	h_take_nonce();
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, &(struct cred){ 0 });
	h_feed_tp(r.buf, r.len, "198.51.100.7", 1, TURN_TP_TCP, &conn);
	cr_assert_eq(h_code(), 0);
	cr_assert_eq(H.last_conn, &conn);
	turn_server_conn_closed(H.srv, &conn);
	cr_assert_eq(turn_server_stats(H.srv)->allocs_active, 0);
	cr_assert_eq(turn_server_stats(H.srv)->allocs_closed, 1);
	cr_assert_eq(H.nclose, 1);
}

Test(alloc, turn_disabled_without_store)
{
	struct req r;

	H.cfg.store = NULL;
	h_restart();
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, NULL);
	h_feed(r.buf, r.len, "198.51.100.7", 1);
	cr_assert_eq(h_code(), 400);
}
