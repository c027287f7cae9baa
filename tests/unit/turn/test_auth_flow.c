/*
 * test_auth_flow.c — RFC 8489 §9.2 long-term credentials on TURN requests:
 * 401 challenge, MD5 and SHA-256, REST credentials, stale nonces (438),
 * wrong user (441), the asynchronous store.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "auth/auth.h"
#include "harness.h"

TestSuite(auth_flow, .init = h_setup, .fini = h_teardown);

static size_t plain_allocate(struct req *r)
{
	rq_start(r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r->e, 17);
	return rq_finish(r, NULL);
}

/* The same, signed as H_USER with H.nonce. */
static void signed_allocate(struct req *r)
{
	rq_start(r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r->e, 17);
	rq_finish(r, &(struct cred){ 0 });
}

Test(auth_flow, challenge_carries_realm_and_nonce_and_no_state)
{
	const struct stun_msg *m;
	const struct stun_attr *a;
	const char *s;
	size_t n;
	struct req r;

	plain_allocate(&r);
	cr_assert_eq(h_feed(r.buf, r.len, "198.51.100.7", 40000),
		     TURN_ANSWERED);
	cr_assert_eq(h_code(), 401);
	m = h_reply();
	cr_assert_eq(m->mi, -1, "a 401 is never signed");
	a = stun_msg_attr(m, STUN_ATTR_REALM);
	cr_assert_not_null(a);
	stun_attr_text(a, &s, &n);
	cr_assert_eq(n, strlen(H_REALM));
	a = stun_msg_attr(m, STUN_ATTR_NONCE);
	cr_assert_not_null(a);
	stun_attr_text(a, &s, &n);
	cr_assert_eq(n, AUTH_NONCE_LEN);
	cr_assert(!memcmp(s, "obMatJos2AAAA", 13), "no SHA-256 offered");
	cr_assert_null(stun_msg_attr(m, STUN_ATTR_PASSWORD_ALGORITHMS));
	cr_assert_null(stun_msg_attr(m, STUN_ATTR_SOFTWARE),
		       "no SOFTWARE to an unauthenticated request");
	cr_assert_eq(turn_server_stats(H.srv)->allocs_active, 0);
	cr_assert_eq(H.nopen, 0);
}

Test(auth_flow, md5_allocate_succeeds_and_is_signed)
{
	struct sa relay;
	const struct stun_msg *m;
	struct auth_key k;

	cr_assert_eq(h_allocate("198.51.100.7", 40000, &relay, NULL), 0);
	m = h_reply();
	cr_assert_geq(m->mi, 0);
	auth_key_derive(&k, AUTH_ALG_MD5, H_USER, 5, H_REALM, strlen(H_REALM),
			(const uint8_t *)H_PASS, strlen(H_PASS));
	cr_assert_eq(stun_msg_check_mi(m, k.k, k.len), 0);
	cr_assert_not_null(stun_msg_attr(m, STUN_ATTR_XOR_MAPPED_ADDRESS));
	cr_assert_not_null(stun_msg_attr(m, STUN_ATTR_LIFETIME));
	cr_assert_eq(sa_family(&relay), AF_INET);
	cr_assert_eq(turn_server_stats(H.srv)->allocs_active, 1);
	cr_assert_eq(turn_server_stats(H.srv)->auth_ok, 1);
}

Test(auth_flow, sha256_with_password_algorithms)
{
	struct req r;
	struct cred c = { .alg = AUTH_ALG_SHA256,
			  .mi256 = true,
			  .pwalgs = true };
	const struct stun_msg *m;
	struct auth_key k;
	uint16_t algs[4];
	size_t n;

	H.cfg.sha256 = true;
	h_restart();
	plain_allocate(&r);
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	cr_assert_eq(h_code(), 401);
	m = h_reply();
	cr_assert_not_null(stun_msg_attr(m, STUN_ATTR_PASSWORD_ALGORITHMS));
	stun_attr_pwalgs(stun_msg_attr(m, STUN_ATTR_PASSWORD_ALGORITHMS), algs,
			 4, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(algs[0], STUN_PWALG_SHA256);
	h_take_nonce();
	cr_assert(!memcmp(H.nonce, "obMatJos2gAAA", 13),
		  "nonce cookie with the Password algorithms bit");
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, &c);
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	cr_assert_eq(h_code(), 0);
	m = h_reply();
	cr_assert_geq(m->mi256, 0, "answered with MI-SHA256");
	auth_key_derive(&k, AUTH_ALG_SHA256, H_USER, 5, H_REALM,
			strlen(H_REALM), (const uint8_t *)H_PASS,
			strlen(H_PASS));
	cr_assert_eq(stun_msg_check_mi256(m, k.k, k.len), 0);
}

Test(auth_flow, password_algorithms_mismatch_is_400)
{
	struct req r;
	struct cred c = { .alg = AUTH_ALG_SHA256, .pwalgs = true };

	/* The server did not offer SHA-256, the nonce lacks the bit: the
	 * attributes are ignored and MD5 is used, so the SHA-256 MI fails. */
	plain_allocate(&r);
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	h_take_nonce();
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, &c);
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	cr_assert_eq(h_code(), 401);
	/* With SHA-256 on, a list that is not ours is a 400. */
	H.cfg.sha256 = true;
	h_restart();
	plain_allocate(&r);
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	h_take_nonce();
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	stun_enc_pwalg(&r.e, STUN_PWALG_SHA256); /* without the list */
	rq_finish(&r, &(struct cred){ .alg = AUTH_ALG_SHA256 });
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	cr_assert_eq(h_code(), 400);
}

Test(auth_flow, wrong_password_is_401_without_allocation)
{
	struct req r;

	plain_allocate(&r);
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	h_take_nonce();
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, &(struct cred){ .pass = "guess" });
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	cr_assert_eq(h_code(), 401);
	cr_assert_eq(turn_server_stats(H.srv)->auth_fail[TURN_AUTHF_BAD_MI], 1);
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, &(struct cred){ .user = "mallory" });
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	cr_assert_eq(h_code(), 401);
	cr_assert_eq(
	    turn_server_stats(H.srv)->auth_fail[TURN_AUTHF_UNKNOWN_USER], 1);
	cr_assert_eq(H.nopen, 0);
}

Test(auth_flow, forged_nonce_is_401_and_other_address_too)
{
	struct req r;

	plain_allocate(&r);
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	h_take_nonce();
	/* The nonce is bound to the IP: useless from another one. */
	signed_allocate(&r);
	h_feed(r.buf, r.len, "198.51.100.8", 40000);
	cr_assert_eq(h_code(), 401);
	/* ... but fine from another port of the same IP (new TCP socket). */
	h_feed(r.buf, r.len, "198.51.100.7", 40002);
	cr_assert_eq(h_code(), 0);
	H.nonce[20] ^= 1;
	signed_allocate(&r);
	h_feed(r.buf, r.len, "198.51.100.7", 40004);
	cr_assert_eq(h_code(), 401);
	cr_assert_eq(turn_server_stats(H.srv)->auth_fail[TURN_AUTHF_BAD_NONCE],
		     2);
}

Test(auth_flow, stale_nonce_is_438_except_within_allocate_grace)
{
	struct req r;

	cr_assert_eq(h_allocate("198.51.100.7", 40000, NULL, NULL), 0);
	H.now += 601 * 1000; /* nonce lifetime 600 s */
	cr_assert_eq(
	    h_request(STUN_METHOD_REFRESH, "198.51.100.7", 40000, NULL, NULL),
	    438);
	cr_assert_null(stun_msg_attr(h_reply(), STUN_ATTR_MESSAGE_INTEGRITY));
	cr_assert_not_null(stun_msg_attr(h_reply(), STUN_ATTR_REALM));
	/* Allocate (Chromium: 438 is fatal there) is still accepted. */
	signed_allocate(&r);
	h_feed(r.buf, r.len, "198.51.100.7", 40001);
	cr_assert_eq(h_code(), 0);
	/* Past the grace (3600 s), Allocate gets 438 as well. */
	H.now += 3600 * 1000;
	signed_allocate(&r);
	h_feed(r.buf, r.len, "198.51.100.7", 40003);
	cr_assert_eq(h_code(), 438);
	/* The fresh nonce works. */
	h_take_nonce();
	h_feed(r.buf, r.len, "198.51.100.7", 40003);
	signed_allocate(&r);
	h_feed(r.buf, r.len, "198.51.100.7", 40003);
	cr_assert_eq(h_code(), 0);
}

Test(auth_flow, missing_username_with_mi_is_400)
{
	struct req r;
	struct auth_key k;

	plain_allocate(&r);
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	h_take_nonce();
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	stun_enc_text(&r.e, STUN_ATTR_NONCE, H.nonce, H.nonce_len);
	auth_key_derive(&k, AUTH_ALG_MD5, "a", 1, "b", 1, NULL, 0);
	stun_enc_mi(&r.e, k.k, k.len);
	rq_finish(&r, NULL);
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	cr_assert_eq(h_code(), 400);
}

Test(auth_flow, other_user_on_the_5tuple_is_441)
{
	struct req r;

	cr_assert_eq(h_allocate("198.51.100.7", 40000, NULL, NULL), 0);
	rq_start(&r, STUN_METHOD_REFRESH, STUN_CLASS_REQUEST);
	rq_finish(&r, &(struct cred){ .user = "bob", .pass = "builder" });
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	cr_assert_eq(h_code(), 441);
	cr_assert_eq(turn_server_stats(H.srv)->auth_fail[TURN_AUTHF_WRONG_USER],
		     1);
}

Test(auth_flow, comprehension_optional_0xff05_is_ignored)
{
	struct req r;
	static const uint8_t id[8] = "logid123";

	plain_allocate(&r);
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	h_take_nonce();
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	stun_enc_attr(&r.e, 0xFF05, id, sizeof(id));
	rq_finish(&r, &(struct cred){ 0 });
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	cr_assert_eq(h_code(), 0);
}

/* ---- REST credentials ---- */

static void rest_setup(void)
{
	static const uint8_t s1[] = "first-secret";
	static const uint8_t s2[] = "second-secret";

	h_setup();
	H.cfg.rest = true;
	cr_assert_eq(auth_mem_add_secret(H.mem, H_REALM, s1, sizeof(s1) - 1),
		     0);
	cr_assert_eq(auth_mem_add_secret(H.mem, H_REALM, s2, sizeof(s2) - 1),
		     0);
	h_restart();
}

static uint16_t rest_allocate(const char *name, const char *secret,
			      uint16_t port)
{
	char pass[AUTH_REST_PASS_LEN + 1];
	struct req r;

	cr_assert_eq(auth_rest_password((const uint8_t *)secret, strlen(secret),
					name, strlen(name), pass),
		     0);
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, NULL);
	h_feed(r.buf, r.len, "198.51.100.7", port);
	h_take_nonce();
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, &(struct cred){ .user = name, .pass = pass });
	h_feed(r.buf, r.len, "198.51.100.7", port);
	return h_code();
}

TestSuite(rest, .init = rest_setup, .fini = h_teardown);

Test(rest, valid_with_either_secret)
{
	/* unix time in the harness: 1700000000 + a second */
	cr_assert_eq(rest_allocate("1700003600:alice", "first-secret", 1), 0);
	cr_assert_eq(rest_allocate("1700003600:alice", "second-secret", 2), 0);
	cr_assert_eq(rest_allocate("1700003600", "second-secret", 3), 0);
}

Test(rest, expired_and_wrong_secret_are_401)
{
	cr_assert_eq(rest_allocate("1699999999:alice", "first-secret", 1), 401);
	cr_assert_eq(
	    turn_server_stats(H.srv)->auth_fail[TURN_AUTHF_REST_EXPIRED], 1);
	cr_assert_eq(rest_allocate("1700003600:alice", "third-secret", 2), 401);
	cr_assert_eq(rest_allocate("garbage:alice", "first-secret", 3), 401);
	cr_assert_eq(H.nopen, 0);
}

/* ---- an asynchronous store ---- */

static struct {
	auth_done_fn done;
	void *arg;
	struct auth_key key;
	unsigned asked;
} slow;

static void slow_lookup(void *ctx, const struct auth_query *q,
			auth_done_fn done, void *arg)
{
	(void)ctx;
	slow.done = done;
	slow.arg = arg;
	slow.asked++;
	auth_key_derive(&slow.key, q->alg, q->user, q->ulen, q->realm, q->rlen,
			(const uint8_t *)H_PASS, strlen(H_PASS));
}

/* asynchronous like Redis (not local); not rate-limited (remote): the
 * limit is test_ops.c's business */
static struct auth_store slow_store = { .lookup = slow_lookup };

/* A server on slow_store with our nonce, and r the signed Allocate from
 * 198.51.100.7:40000, not sent yet. */
static void slow_start(struct req *r)
{
	memset(&slow, 0, sizeof(slow));
	H.cfg.store = &slow_store;
	h_restart();
	plain_allocate(r);
	h_feed(r->buf, r->len, "198.51.100.7", 40000);
	h_take_nonce();
	signed_allocate(r);
}

Test(auth_flow, async_lookup_answers_later_and_503s_when_down)
{
	struct req r;

	slow_start(&r);
	H.nsent = 0;
	cr_assert_eq(h_feed(r.buf, r.len, "198.51.100.7", 40000),
		     TURN_CONSUMED);
	cr_assert_eq(H.nsent, 0);
	cr_assert_eq(turn_server_stats(H.srv)->lookups_pending, 1);
	memset(r.buf, 0, sizeof(r.buf)); /* the server kept its own copy */
	slow.done(slow.arg, 0, &slow.key, 1);
	cr_assert_eq(H.nsent, 1);
	cr_assert(H.last_via_client, "a deferred answer uses send_client");
	cr_assert_eq(h_code(), 0);
	cr_assert_eq(turn_server_stats(H.srv)->lookups_pending, 0);

	/* Store down: 500 with a clear reason. */
	signed_allocate(&r);
	h_feed(r.buf, r.len, "198.51.100.7", 40001);
	slow.done(slow.arg, EAGAIN, NULL, 0);
	cr_assert_eq(h_code(), 500);

	/* The connection closes while a lookup is pending: the late answer
	 * is swallowed. */
	h_feed_tp(r.buf, r.len, "198.51.100.7", 40002, TURN_TP_TCP, &slow);
	turn_server_conn_closed(H.srv, &slow);
	H.nsent = 0;
	slow.done(slow.arg, 0, &slow.key, 1);
	cr_assert_eq(H.nsent, 0);
	/* And at server free with a lookup pending, nothing leaks. */
	h_feed(r.buf, r.len, "198.51.100.7", 40003);
	turn_server_free(H.srv);
	H.srv = NULL;
	slow.done(slow.arg, 0, &slow.key, 1);
}

/* ---- revocation: issue 16, finding 3 ---- */

/* A request of `method` signed as name/pass from 198.51.100.7:port, with
 * the 401 dance when the nonce is not ours yet. */
static uint16_t signed_request(uint16_t method, const char *name,
			       const char *pass, uint16_t port)
{
	struct req r;
	unsigned tries;

	for (tries = 0; tries < 2; tries++) {
		rq_start(&r, method, STUN_CLASS_REQUEST);
		if (method == STUN_METHOD_ALLOCATE)
			stun_enc_transport(&r.e, 17);
		if (method == STUN_METHOD_CREATE_PERMISSION) {
			struct sa peer;

			cr_assert_eq(sa_set_str(&peer, "192.0.2.9", 9), 0);
			stun_enc_xaddr(&r.e, STUN_ATTR_XOR_PEER_ADDRESS, &peer);
		}
		rq_finish(&r, &(struct cred){ .user = name, .pass = pass });
		h_feed(r.buf, r.len, "198.51.100.7", port);
		if (h_code() != 401 || tries)
			break;
		h_take_nonce();
	}
	return h_code();
}

/* What a reload does to the store: a new one, without `gone`. */
static void reload_without(const char *gone)
{
	struct auth_mem *m;

	cr_assert_eq(auth_mem_alloc(&m), 0);
	if (strcmp(gone, H_USER) != 0)
		cr_assert_eq(auth_mem_add_user(m, H_REALM, H_USER, H_PASS), 0);
	if (strcmp(gone, "bob") != 0)
		cr_assert_eq(auth_mem_add_user(m, H_REALM, "bob", "builder"),
			     0);
	auth_mem_free(H.mem);
	H.mem = m;
	H.store = auth_mem_store(m); /* H.cfg.store points at H.store */
}

Test(auth_flow, removed_user_loses_its_allocation_at_the_next_request)
{
	cr_assert_eq(signed_request(STUN_METHOD_ALLOCATE, "bob", "builder", 1),
		     0);
	cr_assert_eq(signed_request(STUN_METHOD_ALLOCATE, H_USER, H_PASS, 2),
		     0);
	cr_assert_eq(signed_request(STUN_METHOD_REFRESH, "bob", "builder", 1),
		     0);
	reload_without("bob");
	cr_assert_eq(signed_request(STUN_METHOD_REFRESH, "bob", "builder", 1),
		     401);
	cr_assert_eq(
	    signed_request(STUN_METHOD_CREATE_PERMISSION, "bob", "builder", 1),
	    401);
	cr_assert_geq(
	    turn_server_stats(H.srv)->auth_fail[TURN_AUTHF_UNKNOWN_USER], 2);
	/* not torn down early: it ends at the lifetime it had */
	cr_assert_eq(turn_server_allocs(H.srv), 2);
	/* the user who is still there keeps refreshing */
	cr_assert_eq(signed_request(STUN_METHOD_REFRESH, H_USER, H_PASS, 2), 0);
	cr_assert_eq(
	    signed_request(STUN_METHOD_CREATE_PERMISSION, H_USER, H_PASS, 2),
	    0);
	/* the old lifetime (600 s default) runs out: bob's allocation ends */
	H.now += 601 * 1000;
	turn_server_tick(H.srv, H.now);
	cr_assert_eq(turn_server_allocs(H.srv), 0);
}

Test(auth_flow, changed_password_is_401_on_an_allocation)
{
	struct auth_mem *m;

	cr_assert_eq(signed_request(STUN_METHOD_ALLOCATE, "bob", "builder", 1),
		     0);
	cr_assert_eq(auth_mem_alloc(&m), 0);
	cr_assert_eq(auth_mem_add_user(m, H_REALM, "bob", "new-password"), 0);
	auth_mem_free(H.mem);
	H.mem = m;
	H.store = auth_mem_store(m);
	cr_assert_eq(signed_request(STUN_METHOD_REFRESH, "bob", "builder", 1),
		     401);
}

static uint16_t rest_request(uint16_t method, const char *name,
			     const char *secret, uint16_t port)
{
	char pass[AUTH_REST_PASS_LEN + 1];

	cr_assert_eq(auth_rest_password((const uint8_t *)secret, strlen(secret),
					name, strlen(name), pass),
		     0);
	return signed_request(method, name, pass, port);
}

Test(rest, withdrawn_secret_is_401_on_an_allocation)
{
	static const uint8_t s2[] = "second-secret";
	struct auth_mem *m;

	cr_assert_eq(rest_allocate("1700003600:alice", "first-secret", 1), 0);
	cr_assert_eq(rest_allocate("1700003600:bob", "second-secret", 2), 0);
	cr_assert_eq(auth_mem_alloc(&m), 0);
	cr_assert_eq(auth_mem_add_secret(m, H_REALM, s2, sizeof(s2) - 1), 0);
	auth_mem_free(H.mem);
	H.mem = m;
	H.store = auth_mem_store(m);
	cr_assert_eq(rest_request(STUN_METHOD_REFRESH, "1700003600:alice",
				  "first-secret", 1),
		     401);
	cr_assert_eq(rest_request(STUN_METHOD_REFRESH, "1700003600:bob",
				  "second-secret", 2),
		     0);
}

Test(rest, expired_username_is_401_on_an_allocation)
{
	/* the harness's unix time is 1700000001 */
	cr_assert_eq(rest_allocate("1700000004:alice", "first-secret", 1), 0);
	cr_assert_eq(rest_request(STUN_METHOD_REFRESH, "1700000004:alice",
				  "first-secret", 1),
		     0);
	H.now += 4000;
	cr_assert_eq(rest_request(STUN_METHOD_REFRESH, "1700000004:alice",
				  "first-secret", 1),
		     401);
	cr_assert_eq(rest_request(STUN_METHOD_CREATE_PERMISSION,
				  "1700000004:alice", "first-secret", 1),
		     401);
	cr_assert_geq(
	    turn_server_stats(H.srv)->auth_fail[TURN_AUTHF_REST_EXPIRED], 2);
	cr_assert_eq(turn_server_allocs(H.srv), 1, "not torn down early");
}

/* Redis-like: Refresh asks again (no such user: 401; store down: the cached
 * key), CreatePermission and ChannelBind do not. */
Test(auth_flow, async_store_rechecks_on_refresh_only)
{
	struct req r;
	unsigned asked;

	slow_start(&r);
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	slow.done(slow.arg, 0, &slow.key, 1);
	cr_assert_eq(h_code(), 0);

	asked = slow.asked;
	cr_assert_eq(h_permit("198.51.100.7", 40000, "192.0.2.9"), 0);
	cr_assert_eq(slow.asked, asked, "no lookup for CreatePermission");

	/* store down: the allocation keeps working */
	rq_start(&r, STUN_METHOD_REFRESH, STUN_CLASS_REQUEST);
	rq_finish(&r, &(struct cred){ 0 });
	cr_assert_eq(h_feed(r.buf, r.len, "198.51.100.7", 40000),
		     TURN_CONSUMED);
	cr_assert_eq(slow.asked, asked + 1);
	slow.done(slow.arg, EAGAIN, NULL, 0);
	cr_assert_eq(h_code(), 0);

	/* the store says the user is gone: 401 */
	rq_start(&r, STUN_METHOD_REFRESH, STUN_CLASS_REQUEST);
	rq_finish(&r, &(struct cred){ 0 });
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	slow.done(slow.arg, ENOENT, NULL, 0);
	cr_assert_eq(h_code(), 401);
	cr_assert_eq(turn_server_allocs(H.srv), 1);

	/* the allocation ends while the store is asked, and the store is
	 * down: 500, as for any request without an allocation */
	rq_start(&r, STUN_METHOD_REFRESH, STUN_CLASS_REQUEST);
	rq_finish(&r, &(struct cred){ 0 });
	h_feed(r.buf, r.len, "198.51.100.7", 40000);
	H.now += 601 * 1000;
	turn_server_tick(H.srv, H.now);
	cr_assert_eq(turn_server_allocs(H.srv), 0);
	slow.done(slow.arg, EAGAIN, NULL, 0);
	cr_assert_eq(h_code(), 500);
}
