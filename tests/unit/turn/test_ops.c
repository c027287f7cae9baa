/*
 * test_ops.c — what operations read from the server: allocation events
 * with session ids, the gauges by transport and family, the lifetime and
 * bytes histograms, draining (300 / 508), and the 401 rate limit.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(ops, .init = h_setup, .fini = h_teardown);

#define MAX_EV 16

static struct {
	unsigned n;
	enum turn_alloc_ev ev[MAX_EV];
	struct turn_alloc_info info[MAX_EV];
	char user[MAX_EV][32];
} E;

static void on_event(void *arg, enum turn_alloc_ev ev,
		     const struct turn_alloc_info *info)
{
	(void)arg;
	cr_assert_lt(E.n, MAX_EV);
	E.ev[E.n] = ev;
	E.info[E.n] = *info;
	cr_assert_lt(info->ulen, sizeof(E.user[0]));
	memcpy(E.user[E.n], info->user, info->ulen);
	E.user[E.n][info->ulen] = '\0';
	E.info[E.n].client = NULL; /* valid during the call only */
	E.n++;
}

static void listen_events(void)
{
	struct turn_events ev = { .alloc = on_event };

	memset(&E, 0, sizeof(E));
	turn_server_set_events(H.srv, &ev);
	turn_server_set_session_base(H.srv, 7ull << 48);
}

static void lifetime0(struct req *r, void *arg)
{
	(void)arg;
	stun_enc_u32(&r->e, STUN_ATTR_LIFETIME, 0);
}

static void lifetime(struct req *r, void *arg)
{
	stun_enc_u32(&r->e, STUN_ATTR_LIFETIME, *(uint32_t *)arg);
}

Test(ops, events_tell_new_refresh_and_end_with_traffic)
{
	static const uint8_t data[1000] = { 1 };
	const struct turn_stats *st = turn_server_stats(H.srv);
	uint32_t secs = 1200;

	listen_events();
	cr_assert_eq(h_allocate("198.51.100.7", 40000, NULL, NULL), 0);
	cr_assert_eq(E.n, 1);
	cr_assert_eq(E.ev[0], TURN_EV_ALLOC_NEW);
	cr_assert_eq(E.info[0].session, (7ull << 48) + 1);
	cr_assert_str_eq(E.user[0], H_USER);
	cr_assert_str_eq(E.info[0].realm, H_REALM);
	cr_assert_eq(E.info[0].tp, TURN_TP_UDP);
	cr_assert_eq(E.info[0].nrelay, 1);
	cr_assert_eq(E.info[0].lifetime_s, 600);
	cr_assert_eq(st->allocs_by_tp[TURN_TP_UDP][0], 1);
	cr_assert_eq(st->allocs_by_tp[TURN_TP_UDP][1], 0);

	cr_assert_eq(h_request(STUN_METHOD_REFRESH, "198.51.100.7", 40000,
			       lifetime, &secs),
		     0);
	cr_assert_eq(E.n, 2);
	cr_assert_eq(E.ev[1], TURN_EV_ALLOC_REFRESH);
	cr_assert_eq(E.info[1].session, E.info[0].session);
	cr_assert_eq(E.info[1].lifetime_s, 1200);

	/* 3 x 1000 bytes from the peer to the client */
	cr_assert_eq(h_permit("198.51.100.7", 40000, "203.0.113.5"), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(h_peer_send(h_relay(AF_INET), "203.0.113.5", 9000,
					 data, sizeof(data)),
			     TURN_CONSUMED);
	H.now += 60500; /* 60.5 s: above the 60 s bound */
	cr_assert_eq(h_request(STUN_METHOD_REFRESH, "198.51.100.7", 40000,
			       lifetime0, NULL),
		     0);
	cr_assert_eq(E.n, 3);
	cr_assert_eq(E.ev[2], TURN_EV_ALLOC_END);
	cr_assert_eq(E.info[2].why, TURN_END_DELETED);
	cr_assert_eq(E.info[2].session, E.info[0].session);
	cr_assert_eq(E.info[2].age_ms, 60500);
	cr_assert_eq(E.info[2].to_client_pkts, 3);
	cr_assert_eq(E.info[2].to_client_bytes, 3000);
	cr_assert_eq(E.info[2].to_peer_pkts, 0);

	/* 60.5 s falls in (60, 300]; 3000 bytes in (1000, 10000] */
	cr_assert_eq(turn_hist_life_le_s[1], 60);
	cr_assert_eq(st->alloc_life_hist[2], 1);
	cr_assert_eq(st->alloc_life_sum_ms, 60500);
	cr_assert_eq(st->alloc_bytes_hist[1], 1);
	cr_assert_eq(st->alloc_bytes_sum, 3000);
	cr_assert_eq(st->allocs_by_tp[TURN_TP_UDP][0], 0);
}

Test(ops, expiry_and_closed_connections_end_with_their_reason)
{
	const struct turn_stats *st = turn_server_stats(H.srv);
	int conn;

	listen_events();
	cr_assert_eq(h_allocate("198.51.100.7", 40000, NULL, NULL), 0);
	cr_assert_eq(h_allocate("198.51.100.8", 40000, NULL, NULL), 0);
	cr_assert_eq(E.info[1].session, E.info[0].session + 1,
		     "session ids are distinct");
	H.now += 601000;
	turn_server_tick(H.srv, H.now);
	cr_assert_eq(E.n, 4);
	cr_assert_eq(E.ev[2], TURN_EV_ALLOC_END);
	cr_assert_eq(E.info[2].why, TURN_END_EXPIRED);
	cr_assert_eq(E.info[3].why, TURN_END_EXPIRED);
	cr_assert_eq(st->alloc_life_hist[4], 2, "601 s is in (600, 1800]");
	cr_assert_eq(st->alloc_bytes_hist[0], 2, "no bytes: first bucket");

	/* a TCP allocation ends with its connection */
	{
		struct req r;
		struct cred c = { 0 };

		rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
		rq_finish(&r, NULL);
		h_feed_tp(r.buf, r.len, "198.51.100.9", 40001, TURN_TP_TCP,
			  &conn);
		cr_assert_eq(h_code(), 401);
		h_take_nonce();
		rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
		stun_enc_transport(&r.e, 17);
		rq_finish(&r, &c);
		h_feed_tp(r.buf, r.len, "198.51.100.9", 40001, TURN_TP_TCP,
			  &conn);
		cr_assert_eq(h_code(), 0);
	}
	cr_assert_eq(st->allocs_by_tp[TURN_TP_TCP][0], 1);
	turn_server_conn_closed(H.srv, &conn);
	cr_assert_eq(E.ev[E.n - 1], TURN_EV_ALLOC_END);
	cr_assert_eq(E.info[E.n - 1].why, TURN_END_CLOSED);
	cr_assert_eq(E.info[E.n - 1].tp, TURN_TP_TCP);
	cr_assert_eq(st->allocs_by_tp[TURN_TP_TCP][0], 0);
}

Test(ops, draining_refuses_new_allocations_only)
{
	const struct turn_stats *st = turn_server_stats(H.srv);
	const struct stun_attr *a;
	struct sa alt, got;
	uint32_t secs = 600;

	cr_assert_eq(h_allocate("198.51.100.7", 40000, NULL, NULL), 0);
	turn_server_set_draining(H.srv, true, NULL);
	cr_assert_eq(h_allocate("198.51.100.8", 40000, NULL, NULL), 508);
	cr_assert_geq(h_reply()->mi, 0, "the refusal is signed");
	cr_assert_eq(h_open_relays(), 1, "no relay for a refused allocation");
	/* the existing allocation goes on */
	cr_assert_eq(h_request(STUN_METHOD_REFRESH, "198.51.100.7", 40000,
			       lifetime, &secs),
		     0);
	cr_assert_eq(h_permit("198.51.100.7", 40000, "203.0.113.5"), 0);

	sa_set_str(&alt, "192.0.2.99", 3479);
	turn_server_set_draining(H.srv, true, &alt);
	cr_assert_eq(h_allocate("198.51.100.9", 40000, NULL, NULL), 300);
	a = stun_msg_attr(h_reply(), STUN_ATTR_ALTERNATE_SERVER);
	cr_assert_not_null(a, "300 names the alternate server");
	cr_assert_eq(stun_attr_addr(a, &got), 0);
	cr_assert(sa_equal(&got, &alt));
	cr_assert_eq(st->drain_refused, 2);
	cr_assert_eq(st->err_code[TURN_E300], 1);

	turn_server_set_draining(H.srv, false, NULL);
	cr_assert_eq(h_allocate("198.51.100.9", 40001, NULL, NULL), 0);
	cr_assert_eq(turn_server_allocs(H.srv), 2);
}

/* An unauthenticated Allocate from ip:port: the verdict. */
static enum turn_verdict bare_allocate(const char *ip, uint16_t port)
{
	struct req r;

	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	rq_finish(&r, NULL);
	return h_feed(r.buf, r.len, ip, port);
}

Test(ops, challenges_are_rate_limited_per_address)
{
	const struct turn_stats *st;
	unsigned answered = 0, sent;
	int i;

	H.cfg.challenge_rate = 5;
	H.cfg.challenge_burst = 10;
	h_restart();
	st = turn_server_stats(H.srv);
	for (i = 0; i < 30; i++)
		answered +=
		    bare_allocate("198.51.100.7", 40000 + i) == TURN_ANSWERED;
	cr_assert_eq(answered, 10, "the burst, then nothing");
	cr_assert_eq(H.nsent, 10, "dropped requests get no answer");
	cr_assert_eq(st->auth_fail[TURN_AUTHF_RATE_LIMITED], 20);
	cr_assert_eq(st->auth_fail[TURN_AUTHF_CHALLENGE], 10);

	/* other addresses have buckets of their own (the table is keyed
	 * with a random seed: one of two sharing the first's bucket has a
	 * chance of 1 in 4096, both of them 1 in 16 million) */
	sent = H.nsent;
	answered = (bare_allocate("203.0.113.77", 40000) == TURN_ANSWERED) +
		   (bare_allocate("203.0.113.78", 40000) == TURN_ANSWERED);
	cr_assert_geq(answered, 1);
	cr_assert_eq(H.nsent, sent + answered);

	/* one second refills five */
	H.now += 1000;
	answered = 0;
	for (i = 0; i < 10; i++)
		answered +=
		    bare_allocate("198.51.100.7", 41000 + i) == TURN_ANSWERED;
	cr_assert_eq(answered, 5);

	/* an authenticated client is not limited once it has its nonce */
	H.cfg.challenge_rate = 0;
	cr_assert_eq(h_allocate("198.51.100.7", 42000, NULL, NULL), 0);
}

/* Issue 16 finding 9c: with a remote store (Redis) a lookup spends a token
 * of the client address's 401 bucket before it is sent, so a flood of
 * unknown usernames under a valid nonce cannot make the server send the
 * store one query each. */
static struct auth_store inner;
static unsigned nlookups;

static void counting_lookup(void *ctx, const struct auth_query *q,
			    auth_done_fn done, void *arg)
{
	(void)ctx;
	nlookups++;
	inner.lookup(inner.ctx, q, done, arg);
}

static unsigned unknown_user_flood(const char *ip, unsigned n)
{
	static const struct cred nobody = { .user = "nobody" };
	unsigned before = nlookups, i;
	struct req r;

	for (i = 0; i < n; i++) {
		rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
		rq_finish(&r, &nobody);
		h_feed(r.buf, r.len, ip, (uint16_t)(43000 + i));
	}
	return nlookups - before;
}

Test(ops, remote_lookups_spend_the_challenge_bucket)
{
	const struct turn_stats *st;

	H.cfg.challenge_rate = 5;
	H.cfg.challenge_burst = 10;
	h_restart();
	st = turn_server_stats(H.srv);
	cr_assert_eq(bare_allocate("198.51.100.7", 40000), TURN_ANSWERED);
	h_take_nonce(); /* the nonce is for the address, any port */
	inner = H.store;
	H.store.lookup = counting_lookup;
	H.store.remote = true;
	/* 9 tokens left: a lookup and its 401 spend one each */
	cr_assert_eq(unknown_user_flood("198.51.100.7", 100), 5);
	cr_assert_geq(st->auth_fail[TURN_AUTHF_RATE_LIMITED], 95);
	/* one second refills five tokens */
	H.now += 1000;
	cr_assert_eq(unknown_user_flood("198.51.100.7", 100), 3);
	/* the config-file store answers within the call: not limited */
	H.store.remote = false;
	cr_assert_eq(unknown_user_flood("198.51.100.7", 20), 20);
	H.store = inner;
}

/* Issue 16, finding 6: one IPv6 /64 is one bucket, whatever addresses in
 * it the guesses come from; IPv4-mapped addresses count as IPv4. */
Test(ops, challenges_are_rate_limited_per_ipv6_64)
{
	char ip[64];
	unsigned answered = 0;
	int i;

	H.cfg.challenge_rate = 5;
	H.cfg.challenge_burst = 10;
	h_restart();
	for (i = 0; i < 30; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:1:2:%x:%x::%x",
			 (i * 7919) & 0xffff, i, i + 1);
		answered += bare_allocate(ip, 40000) == TURN_ANSWERED;
	}
	cr_assert_eq(answered, 10, "one /64, one burst");

	/* the next /64 has a bucket of its own (1 in 4096 it shares) */
	answered = 0;
	for (i = 0; i < 3; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:1:3::%x", i + 1);
		answered += bare_allocate(ip, 40000) == TURN_ANSWERED;
	}
	cr_assert_eq(answered, 3);

	/* an IPv4-mapped address is its IPv4 address: not one /64 ::ffff:0:0
	 * for the whole IPv4 Internet */
	answered = 0;
	for (i = 0; i < 3; i++) {
		snprintf(ip, sizeof(ip), "::ffff:198.51.100.%d", 10 + i);
		answered += bare_allocate(ip, 40000) == TURN_ANSWERED;
	}
	cr_assert_geq(answered, 2);
	for (i = 0; i < 15; i++)
		bare_allocate("::ffff:198.51.100.20", 40001 + i);
	cr_assert_eq(bare_allocate("198.51.100.20", 41000), TURN_DROP_POLICY,
		     "mapped and plain share the IPv4 bucket");
}
