/*
 * test_refusal.c — the refusals the server reports through turn_events
 * (auth_fail, peer_denied) for the caller's log: one per refused request,
 * with the stable reason, the USERNAME as sent, and the denying rule.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define CLIENT "198.51.100.7"

static struct {
	unsigned nfail, ndenied;
	enum turn_refusal kind;
	char reason[32], user[64], rule[80];
	enum turn_transport tp;
	struct sa client, peer;
} got;

static void on_fail(void *arg, const struct turn_auth_failure *f)
{
	(void)arg;
	got.nfail++;
	got.kind = f->kind;
	snprintf(got.reason, sizeof(got.reason), "%s", f->reason);
	snprintf(got.user, sizeof(got.user), "%.*s", (int)f->ulen, f->user);
	got.tp = f->tp;
	got.client = *f->client;
}

static void on_denied(void *arg, const struct turn_peer_denial *d)
{
	(void)arg;
	got.ndenied++;
	snprintf(got.user, sizeof(got.user), "%.*s", (int)d->ulen, d->user);
	snprintf(got.rule, sizeof(got.rule), "%s", d->rule);
	got.peer = *d->peer;
}

static struct cidr_set deny;

static void setup(void)
{
	static const struct turn_events ev = { .auth_fail = on_fail,
					       .peer_denied = on_denied };

	h_setup();
	memset(&got, 0, sizeof(got));
	memset(&deny, 0, sizeof(deny));
	turn_server_set_events(H.srv, &ev);
}

static void teardown(void)
{
	h_teardown();
	cidr_set_reset(&deny);
}

TestSuite(refusal, .init = setup, .fini = teardown);

static void allocate_as(const char *user, const char *pass)
{
	struct req r;

	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, NULL);
	h_feed(r.buf, r.len, CLIENT, 40000);
	h_take_nonce();
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, &(struct cred){ .user = user, .pass = pass });
	h_feed(r.buf, r.len, CLIENT, 40000);
}

Test(refusal, the_first_challenge_is_not_a_failure)
{
	struct req r;

	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, NULL);
	h_feed(r.buf, r.len, CLIENT, 40000);
	cr_assert_eq(h_code(), 401);
	cr_assert_eq(got.nfail, 0);
}

Test(refusal, wrong_password_and_unknown_user_are_reported)
{
	char a[SA_STRLEN];

	allocate_as(H_USER, "guess");
	cr_assert_eq(h_code(), 401);
	cr_assert_eq(got.nfail, 1);
	cr_assert_eq(got.kind, TURN_REFUSE_AUTH);
	cr_assert_str_eq(got.reason, "bad_integrity");
	cr_assert_str_eq(got.user, H_USER);
	cr_assert_eq(got.tp, TURN_TP_UDP);
	cr_assert_str_eq(sa_print(&got.client, a, sizeof(a)), CLIENT ":40000");
	allocate_as("mal\nlory", "x");
	cr_assert_eq(got.nfail, 2, "the plain 401 is no failure");
	cr_assert_str_eq(got.reason, "unknown_user");
	cr_assert_str_eq(got.user, "mal\nlory", "the bytes as sent");
}

static void down_lookup(void *ctx, const struct auth_query *q,
			auth_done_fn done, void *arg)
{
	(void)ctx;
	(void)q;
	done(arg, EAGAIN, NULL, 0);
}

static struct auth_store down_store = { .lookup = down_lookup, .remote = true };

Test(refusal, store_down_is_a_server_refusal)
{
	static const struct turn_events ev = { .auth_fail = on_fail };

	H.cfg.store = &down_store;
	h_restart();
	turn_server_set_events(H.srv, &ev);
	allocate_as(H_USER, H_PASS);
	cr_assert_eq(h_code(), 500);
	cr_assert_eq(got.nfail, 1);
	cr_assert_eq(got.kind, TURN_REFUSE_SERVER);
	cr_assert_str_eq(got.reason, "store_down");
	cr_assert_str_eq(got.user, H_USER);
}

Test(refusal, user_quota_is_a_server_refusal)
{
	H.cfg.max_allocs_per_user = 1;
	cr_assert_eq(h_allocate(CLIENT, 1, NULL, NULL), 0);
	cr_assert_eq(h_allocate(CLIENT, 2, NULL, NULL), 486);
	cr_assert_eq(got.kind, TURN_REFUSE_SERVER);
	cr_assert_str_eq(got.reason, "quota_user");
	cr_assert_str_eq(got.user, H_USER);
}

Test(refusal, denied_peer_names_its_rule)
{
	char a[SA_STRLEN];

	cr_assert_eq(cidr_set_add_str(&deny, "203.0.113.0/24"), 0);
	H.cfg.peer_deny = &deny;
	cr_assert_eq(h_allocate(CLIENT, 1, NULL, NULL), 0);
	cr_assert_eq(h_permit(CLIENT, 1, "127.0.0.1"), 403);
	cr_assert_eq(got.ndenied, 1);
	cr_assert_str_eq(got.user, H_USER);
	cr_assert_str_eq(got.rule, "default-deny 127.0.0.0/8");
	cr_assert_eq(h_permit(CLIENT, 1, "::ffff:169.254.169.254"), 403);
	cr_assert_str_eq(got.rule, "default-deny 169.254.0.0/16");
	cr_assert_str_eq(sa_print_addr(&got.peer, a, sizeof(a)),
			 "169.254.169.254", "the peer as normalised");
	cr_assert_eq(h_permit(CLIENT, 1, "203.0.113.9"), 403);
	cr_assert_str_eq(got.rule, "deny-rule 203.0.113.0/24");
	cr_assert_eq(h_permit(CLIENT, 1, "192.0.2.1"), 0);
	cr_assert_eq(got.ndenied, 3);
}
