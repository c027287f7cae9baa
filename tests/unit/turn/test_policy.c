/*
 * test_policy.c — the peer-address policy (RFC 8656 §21.3), through
 * CreatePermission, ChannelBind and Send.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "base/cursor.h"
#include "harness.h"
#include "turn/priv.h"

#define CLIENT "198.51.100.7"

static struct cidr_set allow, deny;
static struct sa self[1];

static void setup(void)
{
	h_setup();
	memset(&allow, 0, sizeof(allow));
	memset(&deny, 0, sizeof(deny));
	cr_assert_eq(h_allocate(CLIENT, 1, NULL, NULL), 0);
	cr_assert_eq(h_allocate("2001:db8::7", 1, NULL, NULL), 0);
}

static void teardown(void)
{
	h_teardown();
	cidr_set_reset(&allow);
	cidr_set_reset(&deny);
}

TestSuite(policy, .init = setup, .fini = teardown);

static uint16_t permit_any(const char *peer)
{
	return h_permit(strchr(peer, ':') && !strstr(peer, "::ffff:")
			    ? "2001:db8::7"
			    : CLIENT,
			1, peer);
}

Test(policy, default_denied_peers_are_403)
{
	static const char *const bad[] = {
		"0.0.0.0",
		"0.1.2.3",
		"127.0.0.1",
		"127.1.2.3",
		"169.254.169.254",
		"224.0.0.1",
		"239.255.255.250",
		"255.255.255.255",
		"::",
		"::1",
		"fe80::1",
		"febf::1",
		"ff02::1",
		"::ffff:127.0.0.1",
		"::ffff:0.0.0.0",
		"::ffff:169.254.169.254",
		"::127.0.0.1",
	};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(permit_any(bad[i]), 403, "%s was allowed", bad[i]);
	cr_assert_eq(turn_server_stats(H.srv)->policy_denied,
		     sizeof(bad) / sizeof(bad[0]));
	cr_assert_eq(turn_server_stats(H.srv)->perms_active, 0);
	/* Neighbours of the denied ranges pass (bit-exact prefixes). */
	cr_assert_eq(permit_any("1.0.0.0"), 0);
	cr_assert_eq(permit_any("126.255.255.255"), 0);
	cr_assert_eq(permit_any("128.0.0.1"), 0);
	cr_assert_eq(permit_any("169.253.255.255"), 0);
	cr_assert_eq(permit_any("223.255.255.255"), 0);
	cr_assert_eq(permit_any("fec0::1"), 0);
	cr_assert_eq(permit_any("::2:0:0:1"), 0);
	cr_assert_eq(permit_any("::ffff:192.0.2.1"), 0, "mapped, fine");
}

Test(policy, channel_bind_is_checked_too)
{
	cr_assert_eq(h_bind(CLIENT, 1, 0x4000, "127.0.0.1", 80), 403);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4000, "::ffff:127.0.0.1", 80), 403);
}

Test(policy, send_to_denied_peer_is_dropped_and_counted)
{
	struct req r;
	struct sa p;

	rq_start(&r, STUN_METHOD_SEND, STUN_CLASS_INDICATION);
	sa_set_str(&p, "::ffff:127.0.0.1", 22);
	stun_enc_xaddr(&r.e, STUN_ATTR_XOR_PEER_ADDRESS, &p);
	stun_enc_attr(&r.e, STUN_ATTR_DATA, "x", 1);
	rq_finish(&r, NULL);
	H.nsent = 0;
	cr_assert_eq(h_feed(r.buf, r.len, CLIENT, 1), TURN_DROP_POLICY);
	cr_assert_eq(H.nsent, 0);
	cr_assert_eq(H.nrelay_send, 0);
	cr_assert_eq(turn_server_stats(H.srv)->policy_dropped, 1);
}

Test(policy, allow_rule_lets_loopback_through_and_deny_adds)
{
	cr_assert_eq(cidr_set_add_str(&allow, "127.0.0.1/32"), 0);
	cr_assert_eq(cidr_set_add_str(&deny, "10.0.0.0/8"), 0);
	cr_assert_eq(cidr_set_add_str(&deny, "2001:db8:dead::/48"), 0);
	H.cfg.peer_allow = &allow;
	H.cfg.peer_deny = &deny;
	cr_assert_eq(permit_any("127.0.0.1"), 0);
	cr_assert_eq(permit_any("::ffff:127.0.0.1"), 0);
	cr_assert_eq(permit_any("127.0.0.2"), 403,
		     "allow wins only where "
		     "written");
	cr_assert_eq(permit_any("10.1.2.3"), 403);
	cr_assert_eq(permit_any("11.1.2.3"), 0);
	cr_assert_eq(permit_any("2001:db8:dead:1::1"), 403);
	cr_assert_eq(permit_any("2001:db8:deae::1"), 0);
}

Test(policy, own_listener_is_never_a_peer)
{
	cr_assert_eq(sa_set_str(&self[0], "203.0.113.9", 3478), 0);
	cr_assert_eq(cidr_set_add_str(&allow, "203.0.113.0/24"), 0);
	H.cfg.self = self;
	H.cfg.nself = 1;
	H.cfg.peer_allow = &allow;
	/* The IP (another relay on it) is a fine peer; the listener port is
	 * not, even with an allow rule. */
	cr_assert_eq(permit_any("203.0.113.9"), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4000, "203.0.113.9", 3478), 403);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4000, "203.0.113.9", 50002), 0);
}

/* Issue 16 finding 2: an IPv6 address that carries a denied IPv4 (NAT64,
 * 6to4, Teredo, SIIT) is denied like the IPv4 itself, by the default list
 * and by the operator's deny_peers; the IPv6 cloud metadata endpoints are
 * denied like 169.254.169.254. */
Test(policy, embedded_ipv4_is_judged_as_ipv4)
{
	static const char *const bad[] = {
		"64:ff9b::7f00:1",
		"64:ff9b::a9fe:a9fe",
		"64:ff9b::a00:1",
		"64:ff9b:1:7f00:0:100::",
		"64:ff9b:1::a00:1",
		"64:ff9b:1:0:a9:fea9:fe00::",
		"2002:7f00:1::1",
		"2002:a9fe:a9fe::1",
		"2002:a00:1::1",
		"2001:0:7f00:1::1",
		"2001::ffff:ffff:80ff:fffe",
		"2001::ffff:ffff:5601:5601",
		"2001:0:4136:e378::f5ff:fffe",
		"::ffff:0:127.0.0.1",
		"::ffff:0:169.254.169.254",
		"::ffff:0:10.0.0.1",
		"fd00:ec2::254",
		"fd00:ec2::253",
		"fd00:ec2::123",
		"fd20:ce::254",
		"64:ff9b::a83f:8110", /* Azure WireServer */
	};
	unsigned i;

	cr_assert_eq(cidr_set_add_str(&deny, "10.0.0.0/8"), 0);
	H.cfg.peer_deny = &deny;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(permit_any(bad[i]), 403, "%s was allowed", bad[i]);
	cr_assert_eq(permit_any("168.63.129.16"), 403);
	cr_assert_eq(permit_any("100.100.100.200"), 403);
	/* positive controls: 2001:db8:: is not Teredo, global forms pass */
	cr_assert_eq(permit_any("2001:db8::1"), 0);
	cr_assert_eq(permit_any("64:ff9b::c000:201"), 0, "192.0.2.1");
	cr_assert_eq(permit_any("2002:c000:201::1"), 0);
	cr_assert_eq(permit_any("2001:0:c000:201::3fff:fefe"), 0);
	cr_assert_eq(h_permit("2001:db8::7", 1, "::ffff:0:192.0.2.1"), 0);
	cr_assert_eq(permit_any("fd00:ec3::254"), 0);
	cr_assert_eq(permit_any("fd20:ce::253"), 0);
}

/* An allow rule exempts only what it covers: allowing the NAT64 prefix
 * does not open the loopback inside it; allowing the IPv4 opens its
 * embedded forms. */
Test(policy, embedded_ipv4_allow_rules)
{
	cr_assert_eq(cidr_set_add_str(&allow, "64:ff9b::/96"), 0);
	cr_assert_eq(cidr_set_add_str(&allow, "127.0.0.7/32"), 0);
	H.cfg.peer_allow = &allow;
	cr_assert_eq(permit_any("64:ff9b::7f00:1"), 403);
	cr_assert_eq(permit_any("64:ff9b::7f00:7"), 0);
	cr_assert_eq(permit_any("2002:7f00:7::1"), 0);
	cr_assert_eq(permit_any("2002:7f00:1::1"), 403);
	/* ::1 is loopback, not IPv4-compatible 0.0.0.1: its allow rule is
	 * enough (turnutils_uclient -x relays to ::1 so) */
	cr_assert_eq(cidr_set_add_str(&allow, "::1/128"), 0);
	cr_assert_eq(permit_any("::1"), 0);
}

/* The server's own listener is not a peer behind a translator either. */
Test(policy, embedded_own_listener)
{
	cr_assert_eq(sa_set_str(&self[0], "203.0.113.9", 3478), 0);
	H.cfg.self = self;
	H.cfg.nself = 1;
	cr_assert_eq(
	    h_bind("2001:db8::7", 1, 0x4000, "64:ff9b::cb00:7109", 3478), 403);
	cr_assert_eq(
	    h_bind("2001:db8::7", 1, 0x4000, "64:ff9b::cb00:7109", 50002), 0);
}

/* Issue 16 finding 4: a tightened policy reaches the permissions and
 * channels made under the old one when the server is told to prune (a
 * reload), both ways; channels to peers still allowed stay. */
Test(policy, prune_after_tightening)
{
	uint8_t cd1[9] = { 0x40, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o' };
	uint8_t cd2[9] = { 0x40, 0x02, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o' };
	unsigned nclient;

	cr_assert_eq(cidr_set_add_str(&allow, "127.0.0.1/32"), 0);
	H.cfg.peer_allow = &allow;
	cr_assert_eq(h_bind(CLIENT, 1, 0x4001, "127.0.0.1", 9000), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4002, "192.0.2.90", 9000), 0);
	cr_assert_eq(permit_any("127.0.0.1"), 0);
	cr_assert_eq(h_feed(cd1, 9, CLIENT, 1), TURN_CONSUMED);
	cr_assert_eq(h_peer_send(h_relay(AF_INET), "127.0.0.1", 9000,
				 (const uint8_t *)"abcde", 5),
		     TURN_CONSUMED);
	cr_assert_eq(turn_server_prune_policy(H.srv, H.now), 0,
		     "nothing denied yet");

	cidr_set_reset(&allow); /* the reload's new policy */
	cr_assert_eq(turn_server_prune_policy(H.srv, H.now), 2,
		     "the permission and the channel to 127.0.0.1");
	cr_assert_eq(turn_server_stats(H.srv)->channels_active, 1);
	cr_assert_eq(turn_server_stats(H.srv)->perms_active, 1);
	H.peer_len = 0;
	cr_assert_eq(h_feed(cd1, 9, CLIENT, 1), TURN_DROP_UNEXPECTED);
	cr_assert_eq(H.peer_len, 0);
	nclient = H.nclient;
	cr_assert_neq(h_peer_send(h_relay(AF_INET), "127.0.0.1", 9000,
				  (const uint8_t *)"abcde", 5),
		      TURN_CONSUMED);
	cr_assert_eq(H.nclient, nclient);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4001, "127.0.0.1", 9000), 403);
	/* the positive control keeps relaying */
	cr_assert_eq(h_feed(cd2, 9, CLIENT, 1), TURN_CONSUMED);
	cr_assert_eq(H.peer_len, 5);
	cr_assert_eq(h_peer_send(h_relay(AF_INET), "192.0.2.90", 9000,
				 (const uint8_t *)"abcde", 5),
		     TURN_CONSUMED);
	cr_assert_eq(get_be16(H.last), 0x4002);
}

/* The log names the rule: for an IPv4 address inside an IPv6 one, which
 * embedded address and which rule (t-log-lines reads these). */
Test(policy, rule_names_the_embedded_address)
{
	struct sa a;
	char buf[128];

	cr_assert_eq(cidr_set_add_str(&deny, "10.0.0.0/8"), 0);
	H.cfg.peer_deny = &deny;
	cr_assert_eq(sa_set_str(&a, "127.0.0.1", 0), 0);
	cr_assert_str_eq(turn_policy_rule(&H.cfg, &a, false, buf, sizeof(buf)),
			 "default-deny 127.0.0.0/8");
	cr_assert_eq(sa_set_str(&a, "64:ff9b::a00:1", 0), 0);
	cr_assert_str_eq(turn_policy_rule(&H.cfg, &a, false, buf, sizeof(buf)),
			 "embedded 10.0.0.1: deny-rule 10.0.0.0/8");
	cr_assert_eq(sa_set_str(&a, "2002:7f00:1::1", 0), 0);
	cr_assert_str_eq(turn_policy_rule(&H.cfg, &a, false, buf, sizeof(buf)),
			 "embedded 127.0.0.1: default-deny 127.0.0.0/8");
	cr_assert_eq(sa_set_str(&a, "2001:db8::1", 0), 0);
	cr_assert_str_eq(turn_policy_rule(&H.cfg, &a, false, buf, sizeof(buf)),
			 "none");
}
