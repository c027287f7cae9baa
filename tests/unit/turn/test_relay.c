/*
 * test_relay.c — permissions, channels and the data path (RFC 8656 §9-12):
 * Send/Data indications, ChannelData both ways, the bandwidth limit.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "base/cursor.h"
#include "harness.h"
#include "turn/priv.h"

TestSuite(relay, .init = h_setup, .fini = h_teardown);

#define CLIENT "198.51.100.7"

static size_t send_ind(uint8_t *buf, size_t cap, const char *peer,
		       uint16_t port, const void *data, size_t len)
{
	struct req r;
	struct sa p;

	rq_start(&r, STUN_METHOD_SEND, STUN_CLASS_INDICATION);
	sa_set_str(&p, peer, port);
	stun_enc_xaddr(&r.e, STUN_ATTR_XOR_PEER_ADDRESS, &p);
	stun_enc_attr(&r.e, STUN_ATTR_DATA, data, len);
	rq_finish(&r, NULL);
	cr_assert_leq(r.len, cap);
	memcpy(buf, r.buf, r.len);
	return r.len;
}

Test(relay, send_needs_permission_and_data_comes_back_as_indication)
{
	uint8_t buf[512];
	size_t n = send_ind(buf, sizeof(buf), "192.0.2.77", 5000, "hello", 5);
	const struct stun_msg *m;
	struct sa peer;
	const struct stun_attr *d;

	cr_assert_eq(h_allocate(CLIENT, 1, NULL, NULL), 0);
	H.nsent = 0;
	cr_assert_eq(h_feed(buf, n, CLIENT, 1), TURN_DROP_POLICY);
	cr_assert_eq(H.nrelay_send, 0);
	cr_assert_eq(turn_server_stats(H.srv)->drop_no_perm, 1);
	cr_assert_eq(h_permit(CLIENT, 1, "192.0.2.77"), 0);
	cr_assert_geq(h_reply()->mi, 0);
	H.nsent = 0;
	cr_assert_eq(h_feed(buf, n, CLIENT, 1), TURN_CONSUMED);
	cr_assert_eq(H.nsent, 0, "no response to an indication");
	cr_assert_eq(H.nrelay_send, 1);
	cr_assert_eq(H.peer_len, 5);
	cr_assert(!memcmp(H.peer_buf, "hello", 5));
	cr_assert_eq(sa_port(&H.peer_to), 5000);
	/* The permission is for the IP: any port of the peer may answer. */
	cr_assert_eq(h_peer_send(h_relay(AF_INET), "192.0.2.77", 6000,
				 (const uint8_t *)"world!", 6),
		     TURN_CONSUMED);
	cr_assert(H.last_via_client);
	m = h_reply();
	cr_assert_eq(m->method, STUN_METHOD_DATA);
	cr_assert_eq(m->cls, STUN_CLASS_INDICATION);
	cr_assert_eq(
	    stun_attr_xaddr(stun_msg_attr(m, STUN_ATTR_XOR_PEER_ADDRESS), m,
			    &peer),
	    0);
	cr_assert_eq(sa_port(&peer), 6000);
	d = stun_msg_attr(m, STUN_ATTR_DATA);
	cr_assert_eq(d->len, 6);
	cr_assert(!memcmp(d->val, "world!", 6));
	cr_assert_eq(sa_port(&H.last_to), 1);
	/* Another peer has no permission. */
	cr_assert_eq(h_peer_send(h_relay(AF_INET), "192.0.2.78", 6000,
				 (const uint8_t *)"x", 1),
		     TURN_DROP_POLICY);
	/* Permissions expire after 300 s. */
	H.now += 301 * 1000;
	cr_assert_eq(h_feed(buf, n, CLIENT, 1), TURN_DROP_POLICY);
}

Test(relay, create_permission_errors)
{
	cr_assert_eq(h_allocate(CLIENT, 1, NULL, NULL), 0);
	cr_assert_eq(h_permit(CLIENT, 1, "2001:db8::99"), 443);
	cr_assert_eq(
	    h_request(STUN_METHOD_CREATE_PERMISSION, CLIENT, 1, NULL, NULL),
	    400);
	cr_assert_eq(turn_server_stats(H.srv)->perms_active, 0);
}

Test(relay, channel_bind_range_and_conflicts)
{
	cr_assert_eq(h_allocate(CLIENT, 1, NULL, NULL), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x3FFF, "192.0.2.80", 7000), 400);
	cr_assert_eq(h_bind(CLIENT, 1, 0x5000, "192.0.2.80", 7000), 400);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4000, "192.0.2.80", 7000), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4FFF, "192.0.2.81", 7000), 0);
	/* Refreshing the same binding is fine. */
	cr_assert_eq(h_bind(CLIENT, 1, 0x4000, "192.0.2.80", 7000), 0);
	/* Channel to another peer, or peer to another channel: 400. */
	cr_assert_eq(h_bind(CLIENT, 1, 0x4000, "192.0.2.82", 7000), 400);
	cr_assert(h_reason_is("Channel number bound to another peer"));
	cr_assert_eq(h_bind(CLIENT, 1, 0x4000, "192.0.2.80", 7001), 400);
	cr_assert(h_reason_is("Channel number bound to another peer"));
	cr_assert_eq(h_bind(CLIENT, 1, 0x4001, "192.0.2.80", 7000), 400);
	cr_assert(h_reason_is("Peer bound to another channel number"));
	cr_assert_eq(turn_server_stats(H.srv)->channels_active, 2);
	/* The binding installed permissions. */
	cr_assert_eq(turn_server_stats(H.srv)->perms_active, 2);
}

/* RFC 8656 §12 is the default: 0x4FFF is the last channel; ChannelData
 * starting 0x50 is not ChannelData at all (RFC 9443 gives it to QUIC). */
Test(relay, channel_range_strict_by_default)
{
	uint8_t cd[8] = { 0x50, 0x00, 0x00, 0x03, 'a', 'b', 'c' };

	cr_assert_eq(h_allocate(CLIENT, 1, NULL, NULL), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4FFF, "192.0.2.80", 7000), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x5000, "192.0.2.81", 7000), 400);
	cr_assert_eq(h_bind(CLIENT, 1, 0x67C1, "192.0.2.81", 7000), 400);
	cr_assert_eq(h_bind(CLIENT, 1, 0x7FFF, "192.0.2.81", 7000), 400);
	cr_assert_eq(h_feed(cd, 7, CLIENT, 1), TURN_DROP_MALFORMED);
	cd[0] = 0x7F;
	cr_assert_eq(h_feed(cd, 7, CLIENT, 1), TURN_DROP_MALFORMED);
	cr_assert_eq(H.nrelay_send, 0);
	cr_assert_eq(turn_server_stats(H.srv)->channels_active, 1);
}

/* rfc5766_channels: RFC 5766 §11's 0x4000-0x7FFF, as coturn's clients use
 * (turnutils_uclient binds e.g. 0x67C1). */
Test(relay, channel_range_rfc5766)
{
	uint8_t cd[8] = { 0x50, 0x00, 0x00, 0x03, 'a', 'b', 'c' };

	H.cfg.rfc5766_channels = true;
	h_restart();
	cr_assert_eq(h_allocate(CLIENT, 1, NULL, NULL), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x3FFF, "192.0.2.80", 7000), 400);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4FFF, "192.0.2.80", 7000), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x5000, "192.0.2.81", 7000), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x7FFF, "192.0.2.82", 7000), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x8000, "192.0.2.83", 7000), 400);
	cr_assert_eq(turn_server_stats(H.srv)->channels_active, 3);
	/* Client to peer on 0x5000. */
	cr_assert_eq(h_feed(cd, 7, CLIENT, 1), TURN_CONSUMED);
	cr_assert_eq(H.peer_len, 3);
	cr_assert(!memcmp(H.peer_buf, "abc", 3));
	cr_assert_eq(sa_port(&H.peer_to), 7000);
	/* An unbound number in range is unexpected, not malformed. */
	cd[0] = 0x6F;
	cr_assert_eq(h_feed(cd, 7, CLIENT, 1), TURN_DROP_UNEXPECTED);
	/* Peer to client on 0x5000. */
	cr_assert_eq(h_peer_send(h_relay(AF_INET), "192.0.2.81", 7000,
				 (const uint8_t *)"xyz", 3),
		     TURN_CONSUMED);
	cr_assert_eq(H.last_len, 7);
	cr_assert_eq(get_be16(H.last), 0x5000);
	cr_assert_eq(get_be16(H.last + 2), 3);
	cr_assert(!memcmp(H.last + 4, "xyz", 3));
	/* 0x80 and up is still not TURN. */
	cd[0] = 0x80;
	cr_assert_eq(h_feed(cd, 7, CLIENT, 1), TURN_DROP_MALFORMED);
}

Test(relay, channel_data_both_ways_udp)
{
	uint8_t cd[12] = { 0x40, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o' };

	cr_assert_eq(h_allocate(CLIENT, 1, NULL, NULL), 0);
	cr_assert_eq(h_feed(cd, 9, CLIENT, 1), TURN_DROP_UNEXPECTED);
	cr_assert_eq(turn_server_stats(H.srv)->drop_no_chan, 1);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4001, "192.0.2.90", 9000), 0);
	cr_assert_eq(h_feed(cd, 9, CLIENT, 1), TURN_CONSUMED);
	cr_assert_eq(H.peer_len, 5);
	cr_assert_eq(sa_port(&H.peer_to), 9000);
	/* UDP may carry padding after Length. */
	cr_assert_eq(h_feed(cd, 12, CLIENT, 1), TURN_CONSUMED);
	cr_assert_eq(H.peer_len, 5);
	/* Back: ChannelData, written in the headroom, no padding on UDP. */
	cr_assert_eq(h_peer_send(h_relay(AF_INET), "192.0.2.90", 9000,
				 (const uint8_t *)"abcde", 5),
		     TURN_CONSUMED);
	cr_assert_eq(H.last_len, 9);
	cr_assert_eq(get_be16(H.last), 0x4001);
	cr_assert_eq(get_be16(H.last + 2), 5);
	cr_assert(!memcmp(H.last + 4, "abcde", 5));
	/* Another port of the same peer is not the channel: Data
	 * indication. */
	cr_assert_eq(h_peer_send(h_relay(AF_INET), "192.0.2.90", 9001,
				 (const uint8_t *)"abcde", 5),
		     TURN_CONSUMED);
	cr_assert_eq(h_reply()->method, STUN_METHOD_DATA);
	cr_assert_eq(turn_server_stats(H.srv)->to_client_pkts, 2);
	cr_assert_eq(turn_server_stats(H.srv)->to_peer_bytes, 10);
}

/* TURN_BUF_KEPT goes out with the payload relayed in place out of a
 * buffer that came in with it, and only then (server.h). */
Test(relay, kept_flag_follows_the_buffer)
{
	uint8_t buf[512];
	size_t n = send_ind(buf, sizeof(buf), "192.0.2.77", 5000, "hello", 5);
	uint8_t cd[9] = { 0x40, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o' };

	cr_assert_eq(h_allocate(CLIENT, 1, NULL, NULL), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4001, "192.0.2.77", 5000), 0);
	cr_assert_eq(h_feed(buf, n, CLIENT, 1), TURN_CONSUMED);
	cr_assert_eq(H.peer_flags, 0);
	cr_assert_eq(h_peer_send(h_relay(AF_INET), "192.0.2.77", 5000,
				 (const uint8_t *)"abc", 3),
		     TURN_CONSUMED);
	cr_assert_eq(H.last_flags, 0);

	H.in_flags = TURN_BUF_KEPT;
	cr_assert_eq(h_feed(buf, n, CLIENT, 1), TURN_CONSUMED);
	cr_assert_eq(H.peer_flags, TURN_BUF_KEPT);
	cr_assert(H.peer_src >= buf && H.peer_src + 5 <= buf + n,
		  "the payload is referenced in the input, not copied");
	H.peer_flags = 0;
	cr_assert_eq(h_feed(cd, sizeof(cd), CLIENT, 1), TURN_CONSUMED);
	cr_assert_eq(H.peer_flags, TURN_BUF_KEPT);
	cr_assert_eq(H.peer_src, cd + 4);
	cr_assert_eq(h_peer_send(h_relay(AF_INET), "192.0.2.77", 5000,
				 (const uint8_t *)"abc", 3),
		     TURN_CONSUMED);
	cr_assert_eq(H.last_flags, TURN_BUF_KEPT);
	cr_assert_eq(get_be16(H.last_buf), 0x4001, "framed in place");
	/* a reply is the server's own buffer: never kept */
	cr_assert_eq(h_permit(CLIENT, 1, "192.0.2.78"), 0);
	cr_assert(!H.last_via_client);
	cr_assert_eq(H.last_flags, 0);
}

Test(relay, channel_data_on_a_stream_is_padded)
{
	struct req r;
	int conn;

	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, NULL);
	h_feed_tp(r.buf, r.len, CLIENT, 1, TURN_TP_TCP, &conn);
	h_take_nonce();
	rq_start(&r, STUN_METHOD_ALLOCATE, STUN_CLASS_REQUEST);
	stun_enc_transport(&r.e, 17);
	rq_finish(&r, &(struct cred){ 0 });
	h_feed_tp(r.buf, r.len, CLIENT, 1, TURN_TP_TCP, &conn);
	cr_assert_eq(h_code(), 0);
	rq_start(&r, STUN_METHOD_CHANNEL_BIND, STUN_CLASS_REQUEST);
	stun_enc_channel(&r.e, 0x4002);
	{
		struct sa p;

		sa_set_str(&p, "192.0.2.91", 9000);
		stun_enc_xaddr(&r.e, STUN_ATTR_XOR_PEER_ADDRESS, &p);
	}
	rq_finish(&r, &(struct cred){ 0 });
	h_feed_tp(r.buf, r.len, CLIENT, 1, TURN_TP_TCP, &conn);
	cr_assert_eq(h_code(), 0);
	cr_assert_eq(h_peer_send(h_relay(AF_INET), "192.0.2.91", 9000,
				 (const uint8_t *)"abcde", 5),
		     TURN_CONSUMED);
	cr_assert_eq(H.last_len, 12, "4 + 5 padded to 8");
	cr_assert_eq(get_be16(H.last + 2), 5);
	cr_assert_eq(H.last[9], 0);
	cr_assert_eq(H.last[11], 0);
	cr_assert_eq(H.last_conn, &conn);
	turn_server_conn_closed(H.srv, &conn);
}

Test(relay, bandwidth_limit_drops_the_excess)
{
	uint8_t cd[4 + 600] = { 0x40, 0x00, 0x02, 0x58 };
	unsigned i, ok = 0;

	H.cfg.bandwidth_bps = 1000;
	h_restart();
	cr_assert_eq(h_allocate(CLIENT, 1, NULL, NULL), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4000, "192.0.2.92", 9000), 0);
	for (i = 0; i < 5; i++)
		ok += h_feed(cd, sizeof(cd), CLIENT, 1) == TURN_CONSUMED;
	cr_assert_eq(ok, 1, "one second of burst holds 1000 bytes");
	cr_assert_eq(turn_server_stats(H.srv)->drop_bandwidth, 4);
	H.now += 1000;
	cr_assert_eq(h_feed(cd, sizeof(cd), CLIENT, 1), TURN_CONSUMED);
}

Test(relay, data_indication_for_ipv6_peer_fits_headroom)
{
	uint8_t payload[1001];
	const struct stun_attr *d;

	memset(payload, 0x5A, sizeof(payload));
	cr_assert_eq(h_allocate("2001:db8::77", 1, NULL, NULL), 0);
	cr_assert_eq(h_permit("2001:db8::77", 1, "2001:db8:1::9"), 0);
	cr_assert_eq(h_peer_send(h_relay(AF_INET6), "2001:db8:1::9", 5, payload,
				 sizeof(payload)),
		     TURN_CONSUMED);
	d = stun_msg_attr(h_reply(), STUN_ATTR_DATA);
	cr_assert_eq(d->len, sizeof(payload));
	cr_assert(!memcmp(d->val, payload, sizeof(payload)));
	cr_assert_eq(H.last_len % 4, 0);
}

Test(relay, sizeof_idle_allocation)
{
	cr_log_info("idle allocation: struct turn_alloc %zu bytes (+ user "
		    "record shared per user); permission %zu, channel %zu",
		    sizeof(struct turn_alloc), sizeof(struct turn_perm),
		    sizeof(struct turn_chan));
	cr_assert_leq(sizeof(struct turn_alloc), 320);
}

/* Issue 16 finding 9a: relay.max_channels caps the channel bindings of
 * one allocation; a new one beyond it is 508 and changes nothing, while
 * refreshing a binding and binding again after one expired still work. */
Test(relay, channel_cap_is_508)
{
	H.cfg.max_chans_per_alloc = 2;
	cr_assert_eq(h_allocate(CLIENT, 1, NULL, NULL), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4000, "192.0.2.80", 7000), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4001, "192.0.2.80", 7001), 0);
	cr_assert_eq(h_bind(CLIENT, 1, 0x4002, "192.0.2.81", 7000), 508);
	cr_assert_eq(turn_server_stats(H.srv)->channels_active, 2);
	cr_assert_eq(turn_server_stats(H.srv)->perms_active, 1,
		     "a refused binding installs no permission");
	cr_assert_eq(h_bind(CLIENT, 1, 0x4001, "192.0.2.80", 7001), 0,
		     "a refresh is not a new binding");
	H.cfg.max_chans_per_alloc = 0; /* the default, 128 */
	cr_assert_eq(h_bind(CLIENT, 1, 0x4002, "192.0.2.81", 7000), 0);
}

static void peer_port0(struct req *r, void *arg)
{
	struct sa p;

	(void)arg;
	cr_assert_eq(sa_set_str(&p, "192.0.2.80", 0), 0);
	stun_enc_channel(&r->e, 0x4000);
	stun_enc_xaddr(&r->e, STUN_ATTR_XOR_PEER_ADDRESS, &p);
}

static void perm_port0(struct req *r, void *arg)
{
	struct sa p;

	(void)arg;
	cr_assert_eq(sa_set_str(&p, "192.0.2.80", 0), 0);
	stun_enc_xaddr(&r->e, STUN_ATTR_XOR_PEER_ADDRESS, &p);
}

/* Issue 16 finding 9b: port 0 names no peer. ChannelBind to it is 400 and
 * a Send indication to it is dropped; CreatePermission ignores the port
 * (RFC 8656 §10.2) and accepts 0, which clients send. */
Test(relay, peer_port_zero)
{
	uint8_t buf[512];
	size_t n;

	cr_assert_eq(h_allocate(CLIENT, 1, NULL, NULL), 0);
	cr_assert_eq(
	    h_request(STUN_METHOD_CHANNEL_BIND, CLIENT, 1, peer_port0, NULL),
	    400);
	cr_assert_eq(turn_server_stats(H.srv)->channels_active, 0);
	cr_assert_eq(turn_server_stats(H.srv)->perms_active, 0);
	cr_assert_eq(h_request(STUN_METHOD_CREATE_PERMISSION, CLIENT, 1,
			       perm_port0, NULL),
		     400);
	cr_assert_eq(turn_server_stats(H.srv)->perms_active, 0);
	n = send_ind(buf, sizeof(buf), "192.0.2.80", 0, "hello", 5);
	cr_assert_eq(h_feed(buf, n, CLIENT, 1), TURN_DROP_MALFORMED);
	cr_assert_eq(H.nrelay_send, 0);
}
