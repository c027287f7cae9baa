/*
 * sdp_gen.c — our side of JSEP (RFC 8829): the answer to an offer, an
 * offer of our own, and reading the answer to it (see sdp.h).
 */
#include "base/why.h"
#include "peer/sdp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define OFFER_OPUS_PT 111
#define OFFER_VP8_PT  96

/* An output buffer that remembers it overflowed. */
struct out {
	char *p;
	size_t size, len;
	bool full;
};

__attribute__((format(printf, 2, 3))) static void emit(struct out *o,
						       const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->full = true;
		o->p[o->len] = '\0';
		return;
	}
	o->len += (size_t)n;
}

static const char *dir_name(enum sdp_dir d)
{
	static const char *const names[] = { "sendrecv", "sendonly", "recvonly",
					     "inactive" };
	return names[d];
}

/* Our direction given the offer's and whether we have something to send
 * (RFC 8829 §5.3.1: the answer's direction is a subset of the reverse). */
static enum sdp_dir answer_dir(enum sdp_dir offered, bool can_send)
{
	bool peer_sends =
	    offered == SDP_DIR_SENDRECV || offered == SDP_DIR_SENDONLY;
	bool peer_recvs =
	    offered == SDP_DIR_SENDRECV || offered == SDP_DIR_RECVONLY;
	bool send = peer_recvs && can_send;

	if (send && peer_sends)
		return SDP_DIR_SENDRECV;
	if (send)
		return SDP_DIR_SENDONLY;
	return peer_sends ? SDP_DIR_RECVONLY : SDP_DIR_INACTIVE;
}

static void head(struct out *o, const struct sdp_local *l)
{
	emit(o, "v=0\r\no=- %" PRIu64 " %" PRIu64 " IN IP4 127.0.0.1\r\n",
	     l->sess_id, l->sess_version);
	emit(o, "s=-\r\nt=0 0\r\n");
}

/* The transport lines every accepted m-line carries (with BUNDLE they
 * are identical, RFC 8843 §7.1.3). */
static void transport(struct out *o, const struct sdp_local *l,
		      enum sdp_setup setup)
{
	size_t i;

	emit(o, "c=IN IP4 0.0.0.0\r\n");
	emit(o, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", l->ufrag, l->pwd);
	emit(o, "a=ice-options:trickle\r\n");
	emit(o, "a=fingerprint:sha-256 %s\r\n", l->fingerprint);
	emit(o, "a=setup:%s\r\n", sdp_setup_name(setup));
	for (i = 0; i < l->n_cands; i++)
		emit(o, "a=%s\r\n", l->cands[i]);
	if (l->end_of_candidates)
		emit(o, "a=end-of-candidates\r\n");
}

/* One accepted m-line: what we send and receive on it. */
static void accepted(struct out *o, const struct sdp_local *l,
		     enum sdp_kind kind, const char *mid, uint8_t pt,
		     enum sdp_dir dir, enum sdp_setup setup, bool remb)
{
	bool audio = kind == SDP_KIND_AUDIO;
	bool sends = dir == SDP_DIR_SENDRECV || dir == SDP_DIR_SENDONLY;

	emit(o, "m=%s 9 UDP/TLS/RTP/SAVPF %u\r\n", audio ? "audio" : "video",
	     pt);
	transport(o, l, setup);
	emit(o, "a=mid:%s\r\na=%s\r\n", mid, dir_name(dir));
	if (sends)
		emit(o, "a=msid:%s %s-%s\r\n", l->stream, l->stream,
		     audio ? "audio" : "video");
	emit(o, "a=rtcp-mux\r\n");
	if (audio) {
		emit(o, "a=rtpmap:%u opus/48000/2\r\n", pt);
		emit(o, "a=fmtp:%u minptime=10;useinbandfec=1\r\n", pt);
	} else {
		emit(o, "a=rtpmap:%u VP8/90000\r\n", pt);
		emit(o, "a=rtcp-fb:%u nack\r\na=rtcp-fb:%u nack pli\r\n", pt,
		     pt);
		emit(o, "a=rtcp-fb:%u ccm fir\r\n", pt);
		if (remb)
			emit(o, "a=rtcp-fb:%u goog-remb\r\n", pt);
	}
	if (sends)
		emit(o, "a=ssrc:%" PRIu32 " cname:%s\r\n",
		     audio ? l->audio_ssrc : l->video_ssrc, l->cname);
}

static void rejected(struct out *o, const struct sdp_media *m)
{
	emit(o, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->kind_name, m->proto,
	     m->fmts);
	if (m->mid[0])
		emit(o, "a=mid:%s\r\n", m->mid);
}

static bool in_bundle(const struct sdp *s, const char *mid)
{
	size_t i;

	for (i = 0; i < s->n_bundle; i++)
		if (strcmp(s->bundle[i], mid) == 0)
			return true;
	return false;
}

static bool dtls_srtp(const struct sdp_media *m)
{
	return strcmp(m->proto, "UDP/TLS/RTP/SAVPF") == 0 ||
	       strcmp(m->proto, "UDP/TLS/RTP/SAVP") == 0;
}

/* The codec we take from m-line m, or NULL: Opus on the first audio, VP8
 * on the first video, on a live DTLS-SRTP m-line in the bundle. */
static const struct sdp_codec *usable(const struct sdp *s,
				      const struct sdp_media *m,
				      const struct sdp_local *l,
				      const struct sdp_result *res)
{
	if (m->port == 0 || !dtls_srtp(m) || !m->rtcp_mux)
		return NULL;
	if (s->n_bundle ? !in_bundle(s, m->mid) : res->transport != NULL)
		return NULL; /* without BUNDLE: one transport, the first */
	if (m->kind == SDP_KIND_AUDIO && l->audio && res->audio_index < 0)
		return sdp_codec_find(m, "opus", 48000);
	if (m->kind == SDP_KIND_VIDEO && l->video && res->video_index < 0)
		return sdp_codec_find(m, "VP8", 90000);
	return NULL;
}

static uint32_t first_ssrc(const struct sdp_media *m)
{
	return m->n_ssrcs ? m->ssrcs[0].ssrc : 0;
}

/* Record what m-line i (codec c, our direction dir) settled on. */
static void settle(struct sdp_result *res, const struct sdp_media *m, size_t i,
		   const struct sdp_codec *c, enum sdp_dir dir)
{
	bool send = dir == SDP_DIR_SENDRECV || dir == SDP_DIR_SENDONLY;
	bool recv = dir == SDP_DIR_SENDRECV || dir == SDP_DIR_RECVONLY;

	if (!res->transport)
		res->transport = m;
	if (m->kind == SDP_KIND_AUDIO) {
		res->audio_index = (int)i;
		res->audio_pt = c->pt;
		res->audio_fec = strstr(c->fmtp, "useinbandfec=1") != NULL;
		res->remote_audio_ssrc = first_ssrc(m);
		res->audio_send = send;
		res->audio_recv = recv;
		return;
	}
	res->video_index = (int)i;
	res->video_pt = c->pt;
	res->video_nack = sdp_codec_has_fb(c, "nack");
	res->video_pli = sdp_codec_has_fb(c, "nack pli");
	res->video_fir = sdp_codec_has_fb(c, "ccm fir");
	res->video_remb = sdp_codec_has_fb(c, "goog-remb");
	res->remote_video_ssrc = first_ssrc(m);
	res->video_send = send;
	res->video_recv = recv;
}

static void result_init(struct sdp_result *res)
{
	memset(res, 0, sizeof(*res));
	res->audio_index = res->video_index = -1;
}

/* Which m-lines we accept, before writing anything. */
static void choose(const struct sdp *offer, const struct sdp_local *l,
		   struct sdp_result *res,
		   const struct sdp_codec *codec[SDP_MEDIA_MAX],
		   enum sdp_dir dir[SDP_MEDIA_MAX])
{
	size_t i;

	for (i = 0; i < offer->n_m; i++) {
		const struct sdp_media *m = &offer->m[i];

		codec[i] = usable(offer, m, l, res);
		if (!codec[i])
			continue;
		dir[i] = answer_dir(m->dir, !l->recv_only);
		settle(res, m, i, codec[i], dir[i]);
	}
}

static int check_transport(const struct sdp_media *t, char *why,
			   size_t why_size)
{
	if (!t)
		return why_fail(EPROTO, why, why_size,
				"The offer has nothing tern-peer can do: it "
				"takes Opus audio and VP8 video over "
				"UDP/TLS/RTP/SAVPF with rtcp-mux.");
	if (!t->ufrag[0] || !t->pwd[0])
		return why_fail(
		    EPROTO, why, why_size,
		    "The description has no ICE ufrag or password.");
	if (strcmp(t->fp_alg, "sha-256") != 0 || !t->fp[0])
		return why_fail(EPROTO, why, why_size,
				"The description has no sha-256 fingerprint.");
	return 0;
}

static enum sdp_setup our_setup(enum sdp_setup theirs, enum sdp_setup kept)
{
	if (kept == SDP_SETUP_ACTIVE || kept == SDP_SETUP_PASSIVE)
		return kept; /* never change role on renegotiation */
	return theirs == SDP_SETUP_ACTIVE ? SDP_SETUP_PASSIVE
					  : SDP_SETUP_ACTIVE;
}

int sdp_answer(const struct sdp *offer, const struct sdp_local *l, char *buf,
	       size_t size, struct sdp_result *res, char *why, size_t why_size)
{
	const struct sdp_codec *codec[SDP_MEDIA_MAX] = { 0 };
	enum sdp_dir dir[SDP_MEDIA_MAX];
	struct out o = { buf, size, 0, size == 0 };
	enum sdp_setup setup;
	size_t i;
	int err;

	result_init(res);
	choose(offer, l, res, codec, dir);
	if ((err = check_transport(res->transport, why, why_size)))
		return err;
	res->remote_setup = res->transport->setup;
	setup = our_setup(res->remote_setup, l->setup);
	head(&o, l);
	emit(&o, "a=group:BUNDLE");
	for (i = 0; i < offer->n_m; i++)
		if (codec[i])
			emit(&o, " %s", offer->m[i].mid);
	emit(&o, "\r\na=msid-semantic: WMS %s\r\n", l->stream);
	for (i = 0; i < offer->n_m; i++) {
		const struct sdp_media *m = &offer->m[i];

		if (codec[i])
			accepted(&o, l, m->kind, m->mid, codec[i]->pt, dir[i],
				 setup,
				 res->video_remb && m->kind == SDP_KIND_VIDEO);
		else
			rejected(&o, m);
	}
	return o.full ? ENOSPC : 0;
}

int sdp_offer(const struct sdp_local *l, char *buf, size_t size)
{
	struct out o = { buf, size, 0, size == 0 };
	enum sdp_dir dir = l->recv_only ? SDP_DIR_RECVONLY : SDP_DIR_SENDRECV;

	head(&o, l);
	emit(&o, "a=group:BUNDLE%s%s\r\n", l->audio ? " 0" : "",
	     l->video ? " 1" : "");
	emit(&o, "a=msid-semantic: WMS %s\r\n", l->stream);
	if (l->audio)
		accepted(&o, l, SDP_KIND_AUDIO, "0", OFFER_OPUS_PT, dir,
			 SDP_SETUP_ACTPASS, false);
	if (l->video)
		accepted(&o, l, SDP_KIND_VIDEO, "1", OFFER_VP8_PT, dir,
			 SDP_SETUP_ACTPASS, true); /* we send REMB (bwe.h) */
	return o.full ? ENOSPC : 0;
}

/* The direction an answer's m-line gives us: its reverse. */
static enum sdp_dir reverse(enum sdp_dir d)
{
	if (d == SDP_DIR_SENDONLY)
		return SDP_DIR_RECVONLY;
	if (d == SDP_DIR_RECVONLY)
		return SDP_DIR_SENDONLY;
	return d;
}

int sdp_read_answer(const struct sdp *a, struct sdp_result *res, char *why,
		    size_t why_size)
{
	const struct sdp_codec *c;
	size_t i;
	int err;

	result_init(res);
	for (i = 0; i < a->n_m; i++) {
		const struct sdp_media *m = &a->m[i];

		if (m->port == 0 || !dtls_srtp(m))
			continue;
		c = m->kind == SDP_KIND_AUDIO ? sdp_codec_find(m, "opus", 48000)
		    : m->kind == SDP_KIND_VIDEO
			? sdp_codec_find(m, "VP8", 90000)
			: NULL;
		if (!c ||
		    (m->kind == SDP_KIND_AUDIO && res->audio_index >= 0) ||
		    (m->kind == SDP_KIND_VIDEO && res->video_index >= 0))
			continue;
		settle(res, m, i, c, reverse(m->dir));
	}
	if ((err = check_transport(res->transport, why, why_size)))
		return err;
	res->remote_setup = res->transport->setup;
	if (res->remote_setup != SDP_SETUP_ACTIVE &&
	    res->remote_setup != SDP_SETUP_PASSIVE)
		return why_fail(
		    EPROTO, why, why_size,
		    "The answer's a=setup is \"%s\": an answer says "
		    "active or passive (RFC 8842 §5.3).",
		    sdp_setup_name(res->remote_setup));
	return 0;
}
