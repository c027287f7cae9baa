/*
 * turn_input.c — libFuzzer target for the TURN server's input seam: a
 * sequence of datagrams and stream bytes from several clients and peers,
 * on a fake clock, against the in-memory credential store, as ternd's
 * worker feeds them to turn_server_input / turn_server_relay_input /
 * turn_server_tick / turn_server_conn_closed.
 *
 * Input format (seeds: tests/fuzz/corpus/turn-input, recorded from real
 * clients by tests/fuzz/capture-seeds):
 *
 *   input  = cfg:1 record*
 *   record = op:1 clock:1 len:2 (big-endian) payload:len
 *            (len is cut to what is left of the input)
 *
 *   cfg, one bit each:
 *     0 REST mode: USERNAMEs are TURN REST credentials (cfg.rest)
 *     1 offer SHA-256 (PASSWORD-ALGORITHMS)     2 RFC 5766 channel range
 *     3 RFC 3489 Binding, and RFC 5780 alternates on the UDP listener
 *     4 bandwidth limit (4000 B/s, burst 2000)
 *     5 quotas: 4 allocations, 2 per user, 3 permissions per allocation
 *     6 SOFTWARE                                7 short lifetimes (30/60 s,
 *                                                 nonces 30 s, grace 10 s)
 *   clock: the monotonic clock moves before the record: c < 200 by
 *     c * 50 ms, else by (c - 199) minutes.
 *   op, by its top two bits:
 *     00 a client's packet: bits 0-2 the client, bit 3 IPv6, bit 4 TCP,
 *        bit 5 fix-up. UDP: the payload is one datagram. TCP: the payload
 *        is the next bytes of that client's stream, cut into frames as
 *        src/net does (garbage or a malformed frame closes the stream).
 *        Clients: 198.51.100.(10 + n/2) port 40000 + n%2, so pairs share
 *        an IP (and a nonce) but not a 5-tuple; IPv6: 2001:db8:c::(10 +
 *        n/2), except client 7: ::ffff:198.51.100.13 (IPv4-mapped).
 *        Fix-up (sign.c): a 45-byte NONCE becomes a fresh one for this
 *        client, MESSAGE-INTEGRITY(-SHA256) is signed with the key of the
 *        USERNAME (users alice/wonderland, carol by hex key, REST names
 *        under the REST secret; sign.h), FINGERPRINT is recomputed. Without
 *        it the fuzzer could not get past authentication; records without
 *        the bit reach the refusals.
 *     01 a peer's datagram to a relay: bits 0-4 the relay (in the order
 *        relays were opened, modulo their number; closed: dropped), bit 5
 *        IPv6 peer. Payload: peer port:2, peer address:4 or 16, datagram.
 *     10 a tick (turn_server_tick); the payload is skipped.
 *     11 bit 5 clear: the TCP connection of client bits 0-3 (bit 3 IPv6)
 *        closes. Bit 5 set, bit 4 clear: draining turns on or off
 *        (turn_server_set_draining), with ALTERNATE-SERVER 192.0.2.200
 *        when bit 0 is set. Bits 5 and 4 set: a reload
 *        (turn_server_set_cfg) to the cfg bits XOR payload[0], with a 401
 *        rate limit of payload[1] per second when there is one.
 *
 * Relays are 203.0.113.1 / 2001:db8:e::1, port 49152 + 2 * (n-th opened);
 * what a relay sends to another relay's address arrives there after the
 * record (two clients relaying to each other, as browsers do). The
 * server's own listeners are 192.0.2.1-2:3478-3479 and [2001:db8::53]:3478;
 * peers 127.0.0.1 and ::1 are allowed (as in tests/interop/turn), 10/8 is
 * denied.
 *
 * Checked: every STUN message the server sends decodes; a response to a
 * fixed-up request that carries MESSAGE-INTEGRITY(-SHA256) verifies with
 * that request's key; a stream gets whole frames (ChannelData padded);
 * a reply comes back with its packet's route (turn_in.sock); TURN_BUF_KEPT
 * comes out only on bytes inside the buffer handed in with it (datagrams
 * from clients and peers; never a stream frame or the server's own);
 * the server sends only from open relays and only to peers its policy
 * allows; each relay closes once and all are closed when the server is
 * freed; the tick's next deadline lies ahead; allocation events come in
 * order (NEW once per session, then REFRESHes, then END once) and the
 * live allocations they describe are what the server counts. rand_bytes
 * is replaced by a counter, so a run depends on its input alone.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/store.h"
#include "base/cidr.h"
#include "base/rand.h"
#include "sign.h"
#include "stun/stun.h"
#include "turn/server.h"
#include "fuzz.h"

#define NCLIENT	   8
#define NSTREAM	   (2 * NCLIENT)
#define NRELAY	   64
#define NQUEUE	   8
#define RX_MAX	   (STUN_HEADER_SIZE + 0xFFFF + 8)
#define T0_MS	   1000000u
#define UNIX0_S	   1700000000u /* 2023-11-14: captured REST names expire later */
#define RELAY_PORT 49152u
#define NSESSION   256

static const uint8_t nonce_secret[] = "fuzz-nonce-secret-0123456789";

enum cfg_bits {
	CFG_REST = 0x01,
	CFG_SHA256 = 0x02,
	CFG_RFC5766 = 0x04,
	CFG_CLASSIC = 0x08,
	CFG_BANDWIDTH = 0x10,
	CFG_QUOTA = 0x20,
	CFG_SOFTWARE = 0x40,
	CFG_SHORT = 0x80,
};

struct stream {
	void *conn; /* NULL: closed */
	size_t have;
	uint8_t rx[RX_MAX];
};

struct relay {
	void *ctx;
	bool open;
	struct sa bound;
};

/* A datagram one relay sent to another, delivered after the record. */
struct queued {
	unsigned to;
	struct sa from;
	size_t len;
	uint8_t buf[TURN_HEADROOM + 0xFFFF + TURN_TAILROOM];
};

static struct {
	struct turn_server *srv;
	struct turn_server_cfg cfgs[2]; /* the one in use and a reload's */
	const struct turn_server_cfg *cfg;
	bool any_rfc5766; /* a cfg in this run allowed 0x5000-0x7FFF */
	bool draining;
	struct sa alternate;
	/* allocation events: sessions seen, and which are live */
	uint64_t sessions[NSESSION];
	bool live[NSESSION];
	unsigned nsession, nlive;
	struct cidr_set allow, deny;
	struct sa self[5];
	struct turn_local local4, local6, local4_alt;
	struct auth_mem *mem;
	struct auth_store store;
	uint64_t now, rng;
	uintptr_t next_conn;
	struct stream streams[NSTREAM];
	struct relay relays[NRELAY];
	unsigned nrelay, nqueue;
	struct queued queue[NQUEUE];
	/* the key the packet being handled was signed with */
	uint8_t bits; /* of the cfg in use */
	bool signed_now;
	uint8_t key[32];
	size_t klen;
	uint8_t pkt[TURN_HEADROOM + 0xFFFF + TURN_TAILROOM];
	uint8_t frame[RX_MAX];
	/* the buffer handed in with TURN_BUF_KEPT (NULL: none) */
	const uint8_t *kept, *kept_end;
} g;

/* ---- determinism -------------------------------------------------------- */

/* Replaces src/base/rand.c (not linked into this target): table seeds,
 * reservation tokens and Data indication ids from a counter. */
int rand_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n--) {
		g.rng = g.rng * 6364136223846793005u + 1442695040888963407u;
		*p++ = (uint8_t)(g.rng >> 56);
	}
	return 0;
}

/* ---- what the server sends ---------------------------------------------- */

static bool is_relay_addr(const struct sa *a, unsigned *idx)
{
	for (unsigned i = 0; i < g.nrelay; i++) {
		if (g.relays[i].open && sa_equal(&g.relays[i].bound, a)) {
			*idx = i;
			return true;
		}
	}
	return false;
}

/* One STUN message or ChannelData; on a stream exactly one whole frame. */
static void check_output(const uint8_t *buf, size_t len, bool stream)
{
	const uint8_t *data;
	struct stun_msg m;
	size_t frame, n;
	uint16_t ch;

	CHECK(len >= 4);
	if (stream)
		CHECK(stun_frame_len_flags(buf, len, &frame,
					   STUN_FRAME_RFC5766) == 0 &&
		      frame == len);
	if (buf[0] > 3) {
		CHECK(stun_chdata_decode(buf, len, &ch, &data, &n) == 0);
		CHECK(ch >= STUN_CHANNEL_MIN && ch <= STUN_CHANNEL_MAX_RFC5766);
		/* A channel bound before a reload narrowed the range lives on
		 * until it expires. */
		if (!g.any_rfc5766)
			CHECK(ch <= STUN_CHANNEL_MAX);
		return;
	}
	/* An answer to an RFC 3489 client carries its cookie field back. */
	if (len >= 8 && buf[4] == 0x21 && buf[5] == 0x12 && buf[6] == 0xA4 &&
	    buf[7] == 0x42) {
		CHECK(stun_msg_decode(&m, buf, len, 0) == 0);
		if (g.signed_now && m.cls != STUN_CLASS_INDICATION) {
			if (m.mi256 >= 0)
				CHECK(stun_msg_check_mi256(&m, g.key, g.klen) ==
				      0);
			else if (m.mi >= 0)
				CHECK(stun_msg_check_mi(&m, g.key, g.klen) ==
				      0);
		}
	}
}

/* TURN_BUF_KEPT only on bytes that lie in the buffer handed in with it. */
static void check_kept(const uint8_t *buf, size_t len, unsigned flags)
{
	CHECK(!(flags & ~TURN_BUF_KEPT));
	if (flags & TURN_BUF_KEPT)
		CHECK(g.kept && buf >= g.kept && buf <= g.kept_end &&
		      len <= (size_t)(g.kept_end - buf));
}

/* The route comes back with the reply: in->sock is what client_record set. */
static void f_send(void *arg, const struct turn_in *in, unsigned via,
		   const struct sa *to, const uint8_t *buf, size_t len)
{
	(void)arg;
	CHECK(in && in->sock == &g && in->local && via < 4 && to);
	check_output(buf, len, in->conn != NULL);
}

static void f_client(void *arg, void *conn, const struct sa *local,
		     const struct sa *to, const uint8_t *buf, size_t len,
		     unsigned flags)
{
	(void)arg;
	CHECK(local && to);
	check_kept(buf, len, flags);
	check_output(buf, len, conn != NULL);
}

static int f_open(void *arg, int family, unsigned flags, void *ctx,
		  void **handle, struct sa *bound)
{
	struct relay *r;
	uint16_t port;

	(void)arg;
	CHECK(ctx && (family == AF_INET || family == AF_INET6));
	if (g.nrelay >= NRELAY)
		return EADDRINUSE;
	port = (uint16_t)(RELAY_PORT + 2 * g.nrelay);
	r = &g.relays[g.nrelay++];
	r->ctx = ctx;
	r->open = true;
	if (flags & TURN_RELAY_EXACT) {
		/* the port kept for a RESERVATION-TOKEN, on an address of ours
		 */
		CHECK(sa_family(bound) == family && sa_port(bound));
		r->bound = *bound;
	} else {
		CHECK(sa_set_str(&r->bound,
				 family == AF_INET ? "203.0.113.1"
						   : "2001:db8:e::1",
				 port) == 0);
	}
	*bound = r->bound;
	*handle = r;
	return 0;
}

static void f_close(void *arg, void *handle)
{
	struct relay *r = handle;

	(void)arg;
	CHECK(r >= g.relays && r < g.relays + g.nrelay && r->open);
	r->open = false;
}

/* The policy, said again: unmapped, not a listener, allowed or not denied. */
static bool peer_ok(const struct sa *peer)
{
	static const char *const deny[] = {
		"0.0.0.0/8",   "127.0.0.0/8", "169.254.0.0/16",
		"224.0.0.0/4", "::/128",      "::1/128",
		"fe80::/10",   "ff00::/8",    "::ffff:0:0/96",
		"::/96",       "10.0.0.0/8",  "255.255.255.255/32",
	};
	struct cidr c;

	if (sa_family(peer) != AF_INET && sa_family(peer) != AF_INET6)
		return false;
	for (size_t i = 0; i < sizeof(g.self) / sizeof(g.self[0]); i++)
		if (sa_equal(&g.self[i], peer))
			return false;
	if (cidr_set_match(&g.allow, peer))
		return true;
	for (size_t i = 0; i < sizeof(deny) / sizeof(deny[0]); i++) {
		CHECK(cidr_parse(&c, deny[i]) == 0);
		if (cidr_match(&c, peer))
			return false;
	}
	return true;
}

static void f_relay_send(void *arg, void *handle, const struct sa *peer,
			 const uint8_t *buf, size_t len, unsigned flags)
{
	struct relay *r = handle;
	struct queued *q;
	unsigned to;

	(void)arg;
	check_kept(buf, len, flags);
	CHECK(r >= g.relays && r < g.relays + g.nrelay && r->open);
	CHECK(peer_ok(peer));
	CHECK(len <= 0xFFFF && (len == 0 || buf));
	if (!is_relay_addr(peer, &to) || g.nqueue >= NQUEUE)
		return;
	q = &g.queue[g.nqueue++];
	q->to = to;
	q->from = r->bound;
	q->len = len;
	if (len)
		memcpy(q->buf + TURN_HEADROOM, buf, len);
}

/* A refusal names a reason and a client; the user bytes are readable
 * (the sanitizer checks ulen against the buffer). */
static void f_auth_fail(void *arg, const struct turn_auth_failure *f)
{
	unsigned sum = 0;

	(void)arg;
	CHECK(f && f->reason && f->reason[0] && f->client && f->user);
	for (size_t i = 0; i < f->ulen; i++)
		sum += (unsigned char)f->user[i];
	CHECK(sum <= 255 * f->ulen);
}

static void f_peer_denied(void *arg, const struct turn_peer_denial *d)
{
	(void)arg;
	CHECK(d && d->rule && d->rule[0] && d->peer && d->client && d->user);
}

/* NEW once per session, REFRESH and END only while it lives. */
static void f_event(void *arg, enum turn_alloc_ev ev,
		    const struct turn_alloc_info *info)
{
	unsigned i;

	(void)arg;
	CHECK(info && info->client && info->nrelay >= 1 && info->nrelay <= 2);
	for (i = 0; i < g.nsession && g.sessions[i] != info->session; i++)
		;
	if (ev == TURN_EV_ALLOC_NEW) {
		CHECK(i == g.nsession);
		if (g.nsession == NSESSION)
			return; /* more than the table holds: stop checking */
		g.sessions[g.nsession] = info->session;
		g.live[g.nsession++] = true;
		g.nlive++;
		return;
	}
	if (i == g.nsession)
		return; /* NEW was past the table */
	CHECK(g.live[i]);
	CHECK(ev == TURN_EV_ALLOC_REFRESH || ev == TURN_EV_ALLOC_END);
	if (ev == TURN_EV_ALLOC_END) {
		CHECK(info->why <= TURN_END_CLOSED);
		g.live[i] = false;
		g.nlive--;
	}
}

/* ---- fix-up ------------------------------------------------------------- */

static const char *password_of(const char *user, size_t ulen, char rest[29])
{
	if (g.cfg->rest) {
		fz_rest_password(rest, FZ_REST_SECRET, user, ulen);
		return rest;
	}
	if (ulen == strlen(FZ_USER) && memcmp(user, FZ_USER, ulen) == 0)
		return FZ_PASS;
	if (ulen == 5 && memcmp(user, "carol", 5) == 0)
		return "carol-pw";
	return "";
}

static uint64_t unix_s(void)
{
	return UNIX0_S + (g.now - T0_MS) / 1000;
}

/* See the top: a fresh nonce, integrity under the user's key, FINGERPRINT. */
static void fix_up(uint8_t *msg, size_t len, const struct sa *from)
{
	uint32_t feat = g.cfg->sha256 ? AUTH_FEAT_PASSWORD_ALGORITHMS : 0;
	char nonce[AUTH_NONCE_LEN + 1], rest[29];
	const char *user = "", *pass;
	struct fz_layout l;
	uint16_t alg = 1;
	size_t ulen = 0;

	if (!fz_scan(msg, len, &l))
		return;
	if (l.nonce >= 0 && l.nonce_len == AUTH_NONCE_LEN &&
	    auth_nonce_make(nonce_secret, sizeof(nonce_secret) - 1, feat,
			    unix_s() + 600, from, nonce) == 0)
		memcpy(msg + l.nonce, nonce, AUTH_NONCE_LEN);
	if (l.pwalg >= 0 && l.pwalg_len >= 2 && msg[l.pwalg] == 0 &&
	    msg[l.pwalg + 1] == 2)
		alg = 2;
	if (l.user >= 0) {
		user = (const char *)msg + l.user;
		ulen = l.user_len;
	}
	pass = password_of(user, ulen, rest);
	g.klen = fz_long_term_key(g.key, alg, user, ulen, FZ_REALM,
				  strlen(FZ_REALM), pass, strlen(pass));
	g.signed_now = g.klen && (l.mi >= 0 || l.mi256 >= 0);
	fz_sign(msg, len, &l, g.key, g.klen);
}

/* ---- input -------------------------------------------------------------- */

static void client_addr(struct sa *a, unsigned n, bool v6)
{
	char ip[48];

	if (v6 && n == 7)
		snprintf(ip, sizeof(ip), "::ffff:198.51.100.%u", 10 + n / 2);
	else if (v6)
		snprintf(ip, sizeof(ip), "2001:db8:c::%u", 10 + n / 2);
	else
		snprintf(ip, sizeof(ip), "198.51.100.%u", 10 + n / 2);
	CHECK(sa_set_str(a, ip, (uint16_t)(40000 + n % 2)) == 0);
}

static enum turn_verdict packet(const struct turn_in *tmpl, uint8_t *buf,
				size_t len, bool fix)
{
	struct turn_in in = *tmpl;

	g.signed_now = false;
	if (fix)
		fix_up(buf, len, &in.from);
	in.buf = buf;
	in.len = len;
	return turn_server_input(g.srv, &in, g.now);
}

static void stream_close(struct stream *st)
{
	if (st->conn)
		turn_server_conn_closed(g.srv, st->conn);
	st->conn = NULL;
	st->have = 0;
}

/* Cut frames as src/net/stream.c does; garbage closes the stream. */
static void stream_input(struct stream *st, const struct turn_in *tmpl,
			 const uint8_t *data, size_t len, bool fix)
{
	unsigned flags = g.cfg->rfc5766_channels ? STUN_FRAME_RFC5766 : 0;
	struct turn_in in = *tmpl;
	size_t off = 0, frame;
	int rc;

	if (!st->conn)
		st->conn = (void *)(g.next_conn += 16);
	in.conn = st->conn;
	in.tp = TURN_TP_TCP;
	if (len > RX_MAX - st->have)
		len = RX_MAX - st->have;
	memcpy(st->rx + st->have, data, len);
	st->have += len;
	while (off < st->have) {
		rc = stun_frame_len_flags(st->rx + off, st->have - off, &frame,
					  flags);
		if (rc == EBADMSG) {
			stream_close(st);
			return;
		}
		if (rc || frame > st->have - off)
			break;
		CHECK(frame <= RX_MAX);
		memcpy(g.frame, st->rx + off, frame);
		off += frame;
		if (packet(&in, g.frame, frame, fix) == TURN_DROP_MALFORMED) {
			stream_close(st);
			return;
		}
	}
	memmove(st->rx, st->rx + off, st->have - off);
	st->have -= off;
}

static void kept(const uint8_t *buf, size_t size)
{
	g.kept = buf;
	g.kept_end = buf ? buf + size : NULL;
}

static void client_record(uint8_t op, const uint8_t *data, size_t len)
{
	unsigned n = op & 7;
	bool v6 = op & 0x08, tcp = op & 0x10, fix = op & 0x20;
	struct turn_in in = { .tp = TURN_TP_UDP, .sock = &g };

	client_addr(&in.from, n, v6);
	in.local = v6 && n != 7		    ? &g.local6
		   : g.cfg->rfc3489 && !tcp ? &g.local4_alt
					    : &g.local4;
	if (tcp) {
		stream_input(&g.streams[n + (v6 ? NCLIENT : 0)], &in, data, len,
			     fix);
		return;
	}
	/* a datagram's buffer outlives the call, as a receive slot does */
	memcpy(g.pkt, data, len);
	in.flags = TURN_BUF_KEPT;
	kept(g.pkt, sizeof(g.pkt));
	packet(&in, g.pkt, len, fix);
	kept(NULL, 0);
}

static void peer_record(uint8_t op, const uint8_t *data, size_t len)
{
	size_t alen = op & 0x20 ? 16 : 4;
	unsigned idx;
	struct sa peer;
	char ip[48];

	if (!g.nrelay || len < 2 + alen)
		return;
	idx = (op & 31u) % g.nrelay;
	if (!g.relays[idx].open)
		return;
	if (alen == 4)
		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", data[2], data[3],
			 data[4], data[5]);
	else
		snprintf(ip, sizeof(ip), "%x:%x:%x:%x:%x:%x:%x:%x",
			 data[2] << 8 | data[3], data[4] << 8 | data[5],
			 data[6] << 8 | data[7], data[8] << 8 | data[9],
			 data[10] << 8 | data[11], data[12] << 8 | data[13],
			 data[14] << 8 | data[15], data[16] << 8 | data[17]);
	if (sa_set_str(&peer, ip, (uint16_t)(data[0] << 8 | data[1])))
		return;
	len -= 2 + alen;
	memcpy(g.pkt + TURN_HEADROOM, data + 2 + alen, len);
	kept(g.pkt, sizeof(g.pkt));
	turn_server_relay_input(g.srv, g.relays[idx].ctx, &peer,
				g.pkt + TURN_HEADROOM, len, TURN_BUF_KEPT,
				g.now);
	kept(NULL, 0);
}

static void configure(struct turn_server_cfg *c, uint8_t bits);

/* Draining on or off; a reload to other cfg bits (see the top). */
static void control(uint8_t op, const uint8_t *data, size_t len)
{
	struct turn_server_cfg *next;

	if (!(op & 0x10)) {
		g.draining = !g.draining;
		turn_server_set_draining(g.srv, g.draining,
					 op & 1 ? &g.alternate : NULL);
		return;
	}
	if (len < 1)
		return;
	next = &g.cfgs[g.cfg == &g.cfgs[0]];
	configure(next, g.bits ^ data[0]);
	if (len >= 2)
		next->challenge_rate = data[1];
	turn_server_set_cfg(g.srv, next);
	g.cfg = next;
}

/* What relays sent each other during the record. */
static void deliver_queue(void)
{
	for (unsigned i = 0; i < g.nqueue; i++) {
		struct queued *q = &g.queue[i];

		if (!g.relays[q->to].open)
			continue;
		kept(q->buf, sizeof(q->buf));
		turn_server_relay_input(g.srv, g.relays[q->to].ctx, &q->from,
					q->buf + TURN_HEADROOM, q->len,
					TURN_BUF_KEPT, g.now);
		kept(NULL, 0);
	}
	g.nqueue = 0;
}

static void record(uint8_t op, const uint8_t *data, size_t len)
{
	uint64_t next;

	switch (op >> 6) {
	case 0:
		client_record(op, data, len);
		break;
	case 1:
		peer_record(op, data, len);
		break;
	case 2:
		next = turn_server_tick(g.srv, g.now);
		CHECK(next > g.now);
		break;
	default:
		if (op & 0x20)
			control(op, data, len);
		else
			stream_close(&g.streams[op & 15]);
		break;
	}
	deliver_queue();
	if (g.nsession < NSESSION)
		CHECK(turn_server_stats(g.srv)->allocs_active == g.nlive &&
		      turn_server_allocs(g.srv) == g.nlive);
}

/* ---- setup --------------------------------------------------------------- */

static void configure(struct turn_server_cfg *c, uint8_t bits)
{
	memset(c, 0, sizeof(*c));
	g.bits = bits;
	g.any_rfc5766 |= (bits & CFG_RFC5766) != 0;
	c->realm = FZ_REALM;
	c->store = &g.store;
	c->nonce_secret = nonce_secret;
	c->nonce_secret_len = sizeof(nonce_secret) - 1;
	c->peer_allow = &g.allow;
	c->peer_deny = &g.deny;
	c->self = g.self;
	c->nself = sizeof(g.self) / sizeof(g.self[0]);
	c->rest = bits & CFG_REST;
	c->sha256 = bits & CFG_SHA256;
	c->rfc5766_channels = bits & CFG_RFC5766;
	c->rfc3489 = bits & CFG_CLASSIC;
	if (bits & CFG_BANDWIDTH) {
		c->bandwidth_bps = 4000;
		c->bandwidth_burst = 2000;
	}
	if (bits & CFG_QUOTA) {
		c->max_allocs = 4;
		c->max_allocs_per_user = 2;
		c->max_perms_per_alloc = 3;
	}
	if (bits & CFG_SOFTWARE)
		c->software = "tern fuzz";
	if (bits & CFG_SHORT) {
		c->lifetime_default_s = 30;
		c->lifetime_max_s = 60;
		c->nonce_lifetime_s = 30;
		c->nonce_grace_s = 10;
	}
}

static void set_sa(struct sa *a, const char *ip, uint16_t port)
{
	CHECK(sa_set_str(a, ip, port) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t key[32];
	char hex[65];
	size_t n;

	(void)argc;
	(void)argv;
	CHECK(auth_mem_alloc(&g.mem) == 0);
	CHECK(auth_mem_add_user(g.mem, FZ_REALM, FZ_USER, FZ_PASS) == 0);
	n = fz_long_term_key(key, 1, "carol", 5, FZ_REALM, strlen(FZ_REALM),
			     "carol-pw", 8);
	CHECK(n == 16);
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	CHECK(auth_mem_add_user_key(g.mem, FZ_REALM, "carol", 1, hex) == 0);
	CHECK(auth_mem_add_secret(g.mem, FZ_REALM,
				  (const uint8_t *)"older-secret", 12) == 0);
	CHECK(auth_mem_add_secret(g.mem, FZ_REALM,
				  (const uint8_t *)FZ_REST_SECRET,
				  strlen(FZ_REST_SECRET)) == 0);
	g.store = auth_mem_store(g.mem);
	CHECK(cidr_set_add_str(&g.allow, "127.0.0.1/32") == 0);
	CHECK(cidr_set_add_str(&g.allow, "::1/128") == 0);
	CHECK(cidr_set_add_str(&g.deny, "10.0.0.0/8") == 0);
	set_sa(&g.local4.addr[0], "192.0.2.1", 3478);
	set_sa(&g.local6.addr[0], "2001:db8::53", 3478);
	g.local4_alt = g.local4;
	set_sa(&g.local4_alt.addr[TURN_LOCAL_ALT_PORT], "192.0.2.1", 3479);
	set_sa(&g.local4_alt.addr[TURN_LOCAL_ALT_ADDR], "192.0.2.2", 3478);
	set_sa(&g.local4_alt.addr[3], "192.0.2.2", 3479);
	g.local4_alt.has_alt = true;
	for (unsigned i = 0; i < 4; i++)
		g.self[i] = g.local4_alt.addr[i];
	g.self[4] = g.local6.addr[0];
	set_sa(&g.alternate, "192.0.2.200", 3478);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct turn_out out = { f_send, NULL };
	static const struct turn_relay_out rout = { f_client, f_open, f_close,
						    f_relay_send, NULL };
	static const struct turn_events events = {
		.alloc = f_event,
		.auth_fail = f_auth_fail,
		.peer_denied = f_peer_denied,
	};

	if (size < 1)
		return -1;
	g.any_rfc5766 = false;
	g.cfg = &g.cfgs[0];
	configure(&g.cfgs[0], data[0]);
	data++;
	size--;
	g.rng = 0;
	g.now = T0_MS;
	g.nrelay = g.nqueue = 0;
	g.nsession = g.nlive = 0;
	g.draining = false;
	g.next_conn = 0x1000;
	for (unsigned i = 0; i < NSTREAM; i++) {
		g.streams[i].conn = NULL;
		g.streams[i].have = 0;
	}
	CHECK(turn_server_alloc(&g.srv, g.cfg, &out) == 0);
	CHECK(turn_server_set_relay_out(g.srv, &rout) == 0);
	turn_server_set_events(g.srv, &events);
	turn_server_set_wallclock(g.srv, g.now, (uint64_t)UNIX0_S * 1000);

	while (size >= 4) {
		uint8_t op = data[0], step = data[1];
		size_t len = (size_t)data[2] << 8 | data[3];

		g.now += step < 200 ? step * 50u : (step - 199u) * 60000u;
		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		record(op, data, len);
		data += len;
		size -= len;
	}
	turn_server_free(g.srv);
	g.srv = NULL;
	/* The allocations owned their relays and closed each one. */
	for (unsigned i = 0; i < g.nrelay; i++)
		CHECK(!g.relays[i].open);
	return 0;
}
