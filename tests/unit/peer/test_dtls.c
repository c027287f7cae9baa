/*
 * test_dtls.c — two DTLS-SRTP endpoints in one process, datagrams carried
 * through memory: the handshake, keys that match crosswise, SRTP both
 * ways with the replay check, the fingerprint check, retransmission.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "peer/dtls.h"
#include "peer/srtp.h"

#define QMAX 64

struct side {
	struct peer_dtls *d;
	struct side *peer;
	uint8_t q[QMAX][4096]; /* datagrams on their way to this side */
	size_t qlen[QMAX], n;
	bool drop; /* lose what is sent to this side */
	bool keyed;
	struct peer_srtp_keys keys;
	char why[400];
	unsigned sent;
};

static void to_peer(void *arg, const uint8_t *data, size_t len)
{
	struct side *s = arg, *p = s->peer;

	s->sent++;
	cr_assert(len <= sizeof(p->q[0]));
	cr_assert(peer_demux(data, len) == PEER_DEMUX_DTLS);
	if (p->drop || p->n == QMAX)
		return;
	memcpy(p->q[p->n], data, len);
	p->qlen[p->n++] = len;
}

static void on_keys(void *arg, const struct peer_srtp_keys *k)
{
	struct side *s = arg;

	s->keyed = true;
	s->keys = *k;
}

static void on_fail(void *arg, const char *why)
{
	struct side *s = arg;

	snprintf(s->why, sizeof(s->why), "%s", why);
}

/* Deliver queued datagrams until both queues are empty. */
static void pump(struct side *a, struct side *b)
{
	int rounds = 0;

	while ((a->n || b->n) && rounds++ < 100) {
		struct side *s = a->n ? a : b;
		uint8_t buf[4096];
		size_t len = s->qlen[0];

		memcpy(buf, s->q[0], len);
		memmove(s->q[0], s->q[1], sizeof(s->q[0]) * (s->n - 1));
		memmove(s->qlen, s->qlen + 1, sizeof(s->qlen[0]) * (s->n - 1));
		s->n--;
		peer_dtls_input(s->d, buf, len);
	}
}

static struct event_base *base;
static struct peer_cert *ca, *cb;
static struct side *A, *B;

static void setup(void)
{
	base = event_base_new();
	cr_assert_eq(peer_cert_new(&ca), 0);
	cr_assert_eq(peer_cert_new(&cb), 0);
	A = calloc(1, sizeof(*A));
	B = calloc(1, sizeof(*B));
	A->peer = B;
	B->peer = A;
}

static void teardown(void)
{
	peer_dtls_free(A->d);
	peer_dtls_free(B->d);
	free(A);
	free(B);
	peer_cert_free(ca);
	peer_cert_free(cb);
	event_base_free(base);
}

static void make(const char *fp_of_b, const enum peer_srtp_profile *pa,
		 size_t npa)
{
	struct peer_dtls_opts oa = {
		.cert = ca,
		.client = true,
		.remote_fp = fp_of_b,
		.profiles = pa,
		.n_profiles = npa,
		.send = to_peer,
		.on_keys = on_keys,
		.on_fail = on_fail,
		.arg = A,
	};
	struct peer_dtls_opts ob = {
		.cert = cb,
		.client = false,
		.remote_fp = peer_cert_fingerprint(ca),
		.send = to_peer,
		.on_keys = on_keys,
		.on_fail = on_fail,
		.arg = B,
	};

	cr_assert_eq(peer_dtls_new(&A->d, base, &oa), 0);
	cr_assert_eq(peer_dtls_new(&B->d, base, &ob), 0);
	cr_assert_eq(peer_dtls_start(B->d), 0);
	cr_assert_eq(peer_dtls_start(A->d), 0);
}

TestSuite(dtls, .init = setup, .fini = teardown);

Test(dtls, certificate)
{
	const char *fp = peer_cert_fingerprint(ca);

	cr_assert_eq(strlen(fp), 95);
	cr_assert_eq(fp[2], ':');
	cr_assert_str_neq(fp, peer_cert_fingerprint(cb), "fresh per run");
}

Test(dtls, demux)
{
	static const uint8_t stun[] = { 0, 1 }, dtls[] = { 22, 254 },
			     rtp[] = { 0x80, 96 }, other[] = { 70 };

	cr_assert_eq(peer_demux(stun, 2), PEER_DEMUX_STUN);
	cr_assert_eq(peer_demux(dtls, 2), PEER_DEMUX_DTLS);
	cr_assert_eq(peer_demux(rtp, 2), PEER_DEMUX_RTP);
	cr_assert_eq(peer_demux(other, 1), PEER_DEMUX_OTHER);
	cr_assert_eq(peer_demux(rtp, 0), PEER_DEMUX_OTHER);
}

static void rtp_packet(uint8_t *p, uint16_t seq, uint32_t ssrc)
{
	memset(p, 0, 172);
	p[0] = 0x80;
	p[1] = 96;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	memcpy(p + 12, "payload of a VP8 frame", 22);
}

/* A protects, B unprotects; a replay is refused; B answers with RTCP. */
static void srtp_round_trip(void)
{
	struct peer_srtp *sa, *sb;
	uint8_t pkt[512], copy[512];
	size_t len = 172, clen;
	/* RTCP RR: V=2, RC=0, PT=201, length 1, SSRC */
	uint8_t rr[8 + PEER_SRTP_TRAILER + 16] = {
		0x80, 201, 0, 1, 0, 0, 0, 9
	};
	size_t rlen = 8;

	cr_assert_eq(peer_srtp_new(&sa, &A->keys), 0);
	cr_assert_eq(peer_srtp_new(&sb, &B->keys), 0);
	rtp_packet(pkt, 1000, 0x11223344);
	cr_assert_eq(peer_srtp_protect(sa, pkt, &len, sizeof(pkt)), 0);
	cr_assert_gt(len, 172);
	cr_assert_null(memmem(pkt, len, "payload of", 10), "encrypted");
	memcpy(copy, pkt, len);
	clen = len;
	cr_assert_eq(peer_srtp_unprotect(sb, pkt, &len), 0);
	cr_assert_eq(len, 172);
	cr_assert(memmem(pkt, len, "payload of a VP8 frame", 22));
	cr_assert_eq(peer_srtp_unprotect(sb, copy, &clen), EALREADY,
		     "replay refused");
	rtp_packet(pkt, 1001, 0x11223344);
	len = 172;
	cr_assert_eq(peer_srtp_protect(sa, pkt, &len, sizeof(pkt)), 0);
	pkt[30] ^= 1; /* tampered */
	cr_assert_eq(peer_srtp_unprotect(sb, pkt, &len), EBADMSG);
	cr_assert(peer_srtp_is_rtcp(rr, rlen));
	cr_assert_eq(peer_srtp_protect(sb, rr, &rlen, sizeof(rr)), 0);
	cr_assert_gt(rlen, 8);
	cr_assert_eq(peer_srtp_unprotect(sa, rr, &rlen), 0);
	cr_assert_eq(rlen, 8);
	cr_assert_eq(rr[1], 201);
	peer_srtp_free(sa);
	peer_srtp_free(sb);
}

Test(dtls, handshake_keys_and_srtp_cm)
{
	static const enum peer_srtp_profile cm[] = {
		PEER_SRTP_AES128_CM_SHA1_80
	};

	make(peer_cert_fingerprint(cb), cm, 1);
	pump(A, B);
	cr_assert(A->keyed, "client keyed: %s", A->why);
	cr_assert(B->keyed, "server keyed: %s", B->why);
	cr_assert(peer_dtls_connected(A->d) && peer_dtls_connected(B->d));
	cr_assert_eq(A->keys.profile, PEER_SRTP_AES128_CM_SHA1_80);
	cr_assert_eq(A->keys.len, 30);
	cr_assert_eq(memcmp(A->keys.local, B->keys.remote, 30), 0);
	cr_assert_eq(memcmp(A->keys.remote, B->keys.local, 30), 0);
	cr_assert_neq(memcmp(A->keys.local, A->keys.remote, 30), 0);
	srtp_round_trip();
}

Test(dtls, handshake_prefers_gcm)
{
	make(peer_cert_fingerprint(cb), NULL, 0);
	pump(A, B);
	cr_assert(A->keyed && B->keyed, "%s %s", A->why, B->why);
	cr_assert_eq(B->keys.profile, PEER_SRTP_AEAD_AES_128_GCM);
	cr_assert_eq(B->keys.len, 28);
	srtp_round_trip();
}

Test(dtls, fingerprint_mismatch_ends_the_call)
{
	/* A expects its own certificate's fingerprint from B: wrong */
	make(peer_cert_fingerprint(ca), NULL, 0);
	pump(A, B);
	cr_assert(!A->keyed);
	cr_assert(strstr(A->why, "fingerprint"), "%s", A->why);
	cr_assert(strstr(A->why, peer_cert_fingerprint(cb)), "%s", A->why);
	cr_assert(!peer_dtls_connected(A->d));
}

Test(dtls, retransmits_a_lost_flight)
{
	make(peer_cert_fingerprint(cb), NULL, 0);
	cr_assert_eq(A->sent, 1, "ClientHello");
	B->n = 0; /* the ClientHello is lost */
	peer_dtls_timeout(A->d);
	/* DTLSv1_handle_timeout resends only once the timer is due: the
	 * first timeout is 1 s, so wait for it on the loop */
	struct timeval tv = { 1, 300000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	cr_assert_geq(A->sent, 2, "ClientHello retransmitted on the timer");
	pump(A, B);
	cr_assert(A->keyed && B->keyed, "%s %s", A->why, B->why);
}

Test(dtls, garbage_does_not_crash)
{
	static const uint8_t junk[] = { 22, 254, 253, 0, 0,    0,    0, 0, 0,
					0,  0,	 0,   0, 0xff, 0xff, 1, 2, 3 };

	make(peer_cert_fingerprint(cb), NULL, 0);
	peer_dtls_input(B->d, junk, sizeof(junk));
	pump(A, B);
	cr_assert(A->keyed && B->keyed, "%s %s", A->why, B->why);
	peer_dtls_input(A->d, junk, sizeof(junk));
	cr_assert(peer_dtls_connected(A->d));
}
