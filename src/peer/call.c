/*
 * call.c — one call: ICE, DTLS-SRTP and media tied by JSEP (see call.h).
 */
#include "peer/call.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "base/why.h"
#include "peer/sdp.h"
#include "peer/srtp.h"

#define CALL_CANDS  SDP_CAND_MAX
#define CALL_SDP_SZ 16384

enum pending { PENDING_NONE, PENDING_OFFER, PENDING_ANSWER };

struct peer_call {
	struct peer_call_opts o;
	struct event_base *base;
	const struct peer_cert *cert;
	struct tern_ice *ice;
	struct peer_dtls *dtls;
	struct peer_srtp *srtp;
	struct peer_media *media;
	bool controlling, gathered, described, ended, media_started;
	bool dtls_started;
	enum pending pending;	  /* a description waiting for gathering */
	struct sdp *remote;	  /* the last remote description */
	struct sdp_result res;	  /* what it settled */
	enum sdp_setup our_setup; /* kept across renegotiation */
	char cname[20], stream[20];
	uint32_t audio_ssrc, video_ssrc;
	uint64_t sess_id, sess_version;
	char cands[CALL_CANDS][SDP_LINE_MAX];
	size_t n_cands;
	uint64_t srtp_dropped, srtp_replayed;
	char sdp_out[CALL_SDP_SZ];
};

static void logf_(struct peer_call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(struct peer_call *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!c->o.on_log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->o.on_log(c->o.arg, line);
}

static void end_as(struct peer_call *c, bool hangup, const char *why)
{
	if (c->ended)
		return;
	c->ended = true;
	if (c->media_started)
		peer_media_stop(c->media);
	if (c->o.on_end)
		c->o.on_end(c->o.arg, hangup, why);
}

static void end(struct peer_call *c, const char *why)
{
	end_as(c, false, why);
}

static void on_dtls_close(void *arg)
{
	end_as(arg, true, "The peer hung up (DTLS close_notify).");
}

/* ---- media -> SRTP -> ICE -------------------------------------------- */

static void media_send(void *arg, const uint8_t *pkt, size_t len, bool rtcp)
{
	struct peer_call *c = arg;
	uint8_t buf[1500 + PEER_SRTP_TRAILER];

	(void)rtcp;
	if (!c->srtp || c->ended || len > 1500)
		return;
	memcpy(buf, pkt, len);
	if (peer_srtp_protect(c->srtp, buf, &len, sizeof(buf)) == 0)
		(void)tern_ice_send(c->ice, buf, len);
}

/* ---- ICE ------------------------------------------------------------- */

static void dtls_send(void *arg, const uint8_t *data, size_t len)
{
	struct peer_call *c = arg;

	(void)tern_ice_send(c->ice, data, len);
}

static void ice_recv(void *arg, const uint8_t *data, size_t len)
{
	struct peer_call *c = arg;
	uint8_t buf[2048];

	switch (peer_demux(data, len)) {
	case PEER_DEMUX_DTLS:
		if (c->dtls)
			peer_dtls_input(c->dtls, data, len);
		break;
	case PEER_DEMUX_RTP:
		if (!c->srtp || len > sizeof(buf))
			break;
		memcpy(buf, data, len);
		switch (peer_srtp_unprotect(c->srtp, buf, &len)) {
		case 0:
			break;
		case EALREADY: /* a NACKed packet whose first copy came late */
			c->srtp_replayed++;
			return;
		default:
			c->srtp_dropped++;
			return;
		}
		peer_media_input(c->media, buf, len, peer_clock_us());
		break;
	default:
		break;
	}
}

static void ice_state(void *arg, enum tern_ice_state s)
{
	struct peer_call *c = arg;

	logf_(c, "ICE %s", tern_ice_state_name(s));
	/* Completed may come without connected first (the peer nominated
	 * the first pair that worked). */
	if ((s == TERN_ICE_CONNECTED || s == TERN_ICE_COMPLETED) && c->dtls &&
	    !c->dtls_started) {
		c->dtls_started = true;
		peer_dtls_start(c->dtls);
	}
	if (s == TERN_ICE_FAILED)
		end(c, "ICE failed: no candidate pair answered (with "
		       "--relay-only, check the TURN server and its "
		       "credentials).");
}

static void ice_selected(void *arg, const struct tern_ice_pair_info *pi)
{
	struct peer_call *c = arg;

	logf_(c, "selected pair %s -> %s%s%s", pi->local_type, pi->remote_type,
	      pi->relay_proto[0] ? " via TURN " : "", pi->relay_proto);
}

static void ice_log(void *arg, const char *line)
{
	logf_(arg, "ICE: %s", line);
}

static void describe(struct peer_call *c);

static void ice_candidate(void *arg, const char *line)
{
	struct peer_call *c = arg;
	const char *l = strncmp(line, "a=", 2) == 0 ? line + 2 : line;

	if (c->n_cands < CALL_CANDS)
		snprintf(c->cands[c->n_cands++], SDP_LINE_MAX, "%s", l);
	if (c->o.trickle && c->described && c->o.on_candidate)
		c->o.on_candidate(c->o.arg, l);
}

static void ice_gathered(void *arg)
{
	struct peer_call *c = arg;

	c->gathered = true;
	if (c->pending != PENDING_NONE)
		describe(c);
	else if (c->o.trickle && c->described && c->o.on_candidate)
		c->o.on_candidate(c->o.arg, "");
}

static int start_ice(struct peer_call *c, bool controlling, char *why,
		     size_t why_size)
{
	struct tern_ice_opts io = c->o.ice;
	int err;

	io.controlling = controlling;
	io.trickle = c->o.trickle;
	io.on_candidate = ice_candidate;
	io.on_gathered = ice_gathered;
	io.on_state = ice_state;
	io.on_recv = ice_recv;
	io.on_selected = ice_selected;
	io.on_log = ice_log;
	io.arg = c;
	c->controlling = controlling;
	err = tern_ice_new(&c->ice, c->base, &io, why, why_size);
	if (err)
		return err;
	return tern_ice_gather(c->ice);
}

/* ---- descriptions ---------------------------------------------------- */

static void local(struct peer_call *c, struct sdp_local *l)
{
	memset(l, 0, sizeof(*l));
	l->sess_id = c->sess_id;
	l->sess_version = c->sess_version++;
	l->ufrag = tern_ice_ufrag(c->ice);
	l->pwd = tern_ice_pwd(c->ice);
	l->fingerprint = peer_cert_fingerprint(c->cert);
	l->setup = c->our_setup;
	l->cname = c->cname;
	l->stream = c->stream;
	l->audio_ssrc = c->audio_ssrc;
	l->video_ssrc = c->video_ssrc;
	l->audio = true;
	l->video = true;
	l->recv_only = !c->o.audio && !c->o.video;
	l->n_cands = c->n_cands; /* the caller points l->cands at them */
	l->end_of_candidates = c->gathered;
}

/* Write the pending description now (gathering ended, or trickle). */
static void describe(struct peer_call *c)
{
	const char *cands[CALL_CANDS];
	struct sdp_local l;
	struct sdp_result res;
	char why[300];
	enum pending p = c->pending;
	size_t i;
	int err;

	c->pending = PENDING_NONE;
	local(c, &l);
	for (i = 0; i < c->n_cands; i++)
		cands[i] = c->cands[i];
	l.cands = cands;
	if (p == PENDING_OFFER) {
		err = sdp_offer(&l, c->sdp_out, sizeof(c->sdp_out));
	} else {
		err = sdp_answer(c->remote, &l, c->sdp_out, sizeof(c->sdp_out),
				 &res, why, sizeof(why));
	}
	if (err) {
		end(c, "Our description did not fit its buffer.");
		return;
	}
	c->described = true;
	c->o.on_description(c->o.arg, p == PENDING_OFFER ? "offer" : "answer",
			    c->sdp_out);
}

int peer_call_offer(struct peer_call *c)
{
	char why[200];
	int err;

	if (c->ice)
		return EALREADY;
	c->our_setup = SDP_SETUP_NONE; /* actpass: the answer decides */
	err = start_ice(c, true, why, sizeof(why));
	if (err)
		return err;
	c->pending = PENDING_OFFER;
	if (c->o.trickle || c->gathered)
		describe(c);
	return 0;
}

static unsigned fb_bits(bool nack, bool pli, bool fir, bool remb)
{
	return (nack ? PEER_FB_NACK : 0) | (pli ? PEER_FB_PLI : 0) |
	       (fir ? PEER_FB_FIR : 0) | (remb ? PEER_FB_REMB : 0);
}

/* Tell the media pipeline what the exchange settled. */
static int media_params(struct peer_call *c)
{
	const struct sdp_result *r = &c->res;
	struct peer_media_params s = { 0 }, v;
	unsigned vfb =
	    fb_bits(r->video_nack, r->video_pli, r->video_fir, r->video_remb);
	int err;

	s.video_on = r->video_index >= 0 && r->video_send && c->o.video;
	s.vp8_pt = r->video_pt;
	s.video_ssrc = c->video_ssrc;
	s.video_fb = vfb;
	s.audio_on = r->audio_index >= 0 && r->audio_send && c->o.audio;
	s.opus_pt = r->audio_pt;
	s.audio_ssrc = c->audio_ssrc;
	s.opus_fec = r->audio_fec;
	snprintf(s.cname, sizeof(s.cname), "%s", c->cname);
	v = s;
	v.video_on = r->video_index >= 0 && r->video_recv;
	v.video_ssrc = r->remote_video_ssrc;
	v.audio_on = r->audio_index >= 0 && r->audio_recv;
	v.audio_ssrc = r->remote_audio_ssrc;
	if ((err = peer_media_set_send(c->media, &s)) ||
	    (err = peer_media_set_recv(c->media, &v)))
		return err;
	return 0;
}

static void on_keys(void *arg, const struct peer_srtp_keys *k)
{
	struct peer_call *c = arg;
	int err;

	logf_(c, "DTLS connected, SRTP profile %s",
	      k->profile == PEER_SRTP_AEAD_AES_128_GCM
		  ? "AEAD_AES_128_GCM"
		  : "AES_CM_128_HMAC_SHA1_80");
	if ((err = peer_srtp_new(&c->srtp, k))) {
		end(c, "libsrtp2 refused the keys the handshake exported.");
		return;
	}
	if ((err = peer_media_start(c->media))) {
		end(c, "The media pipeline did not start.");
		return;
	}
	c->media_started = true;
}

static void on_dtls_fail(void *arg, const char *why)
{
	end(arg, why);
}

static int start_dtls(struct peer_call *c, bool client)
{
	const struct sdp_media *t = c->res.transport;
	struct peer_dtls_opts d = {
		.cert = c->cert,
		.client = client,
		.remote_fp = t->fp,
		.send = dtls_send,
		.on_keys = on_keys,
		.on_fail = on_dtls_fail,
		.on_close = on_dtls_close,
		.arg = c,
	};
	int err = peer_dtls_new(&c->dtls, c->base, &d);

	if (err)
		return err;
	logf_(c, "DTLS %s (a=setup:%s)", client ? "client" : "server",
	      client ? "active" : "passive");
	if (tern_ice_state(c->ice) == TERN_ICE_CONNECTED ||
	    tern_ice_state(c->ice) == TERN_ICE_COMPLETED) {
		c->dtls_started = true;
		peer_dtls_start(c->dtls);
	}
	return 0;
}

/* ICE credentials and inline candidates of the peer's transport. */
static int remote_ice(struct peer_call *c, char *why, size_t why_size)
{
	const struct sdp_media *t = c->res.transport;
	size_t i;
	int err;

	if ((err = tern_ice_set_remote(c->ice, t->ufrag, t->pwd)))
		return why_fail(EPROTO, why, why_size,
				"The peer's ICE credentials are not usable.");
	for (i = 0; i < t->n_cands; i++) {
		char w[200];

		if (tern_ice_add_remote(c->ice, t->cands[i], w, sizeof(w)))
			logf_(c, "remote candidate skipped: %s", w);
	}
	if (t->end_of_candidates)
		tern_ice_end_of_candidates(c->ice);
	return 0;
}

static int remote_offer(struct peer_call *c, char *why, size_t why_size)
{
	struct sdp_local l;
	char out[64];
	bool first = c->ice == NULL;
	int err;

	if (first && (err = start_ice(c, false, why, why_size)))
		return err;
	/* Settle now (to know the transport); the answer is written when
	 * gathering allows. */
	local(c, &l);
	l.n_cands = 0;
	c->sess_version--;
	err =
	    sdp_answer(c->remote, &l, out, sizeof(out), &c->res, why, why_size);
	if (err && err != ENOSPC)
		return err;
	if (first) {
		c->our_setup = c->res.remote_setup == SDP_SETUP_ACTIVE
				   ? SDP_SETUP_PASSIVE
				   : SDP_SETUP_ACTIVE;
		if ((err = remote_ice(c, why, why_size)))
			return err;
	}
	if ((err = media_params(c)))
		return why_fail(EPROTO, why, why_size,
				"The media pipeline refused what the offer "
				"settled.");
	c->pending = PENDING_ANSWER;
	if (c->o.trickle || c->gathered)
		describe(c);
	if (first)
		return start_dtls(c, c->our_setup == SDP_SETUP_ACTIVE);
	peer_media_keyframe(c->media);
	return 0;
}

static int remote_answer(struct peer_call *c, char *why, size_t why_size)
{
	bool first = c->dtls == NULL;
	int err;

	if (!c->ice || c->pending == PENDING_OFFER)
		return why_fail(EPROTO, why, why_size,
				"An answer came before our offer went out.");
	if ((err = sdp_read_answer(c->remote, &c->res, why, why_size)))
		return err;
	if ((err = media_params(c)))
		return why_fail(EPROTO, why, why_size,
				"The media pipeline refused what the answer "
				"settled.");
	if (!first)
		return 0;
	c->our_setup = c->res.remote_setup == SDP_SETUP_ACTIVE
			   ? SDP_SETUP_PASSIVE
			   : SDP_SETUP_ACTIVE;
	if ((err = remote_ice(c, why, why_size)))
		return err;
	return start_dtls(c, c->our_setup == SDP_SETUP_ACTIVE);
}

int peer_call_remote(struct peer_call *c, const char *type, const char *sdp,
		     char *why, size_t why_size)
{
	int err;

	if (c->ended)
		return why_fail(EPROTO, why, why_size, "The call has ended.");
	if ((err = sdp_parse(c->remote, sdp, strlen(sdp), why, why_size)))
		return err;
	if (strcmp(type, "offer") == 0)
		return remote_offer(c, why, why_size);
	if (strcmp(type, "answer") == 0)
		return remote_answer(c, why, why_size);
	return why_fail(EPROTO, why, why_size,
			"A description of type \"%s\": offer or answer "
			"expected.",
			type);
}

int peer_call_candidate(struct peer_call *c, const char *line, char *why,
			size_t why_size)
{
	if (!c->ice)
		return why_fail(EPROTO, why, why_size,
				"A candidate came before any description.");
	if (!line[0] || strstr(line, "end-of-candidates")) {
		tern_ice_end_of_candidates(c->ice);
		return 0;
	}
	return tern_ice_add_remote(c->ice, line, why, why_size);
}

static void rand_name(char *out, size_t n)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t r[32];
	size_t i;

	(void)RAND_bytes(r, sizeof(r));
	for (i = 0; i + 1 < n && i < sizeof(r); i++)
		out[i] = abc[r[i] % (sizeof(abc) - 1)];
	out[i] = '\0';
}

static uint32_t rand_ssrc(void)
{
	uint32_t v = 0;

	while (!v)
		(void)RAND_bytes((uint8_t *)&v, sizeof(v));
	return v;
}

int peer_call_new(struct peer_call **cp, struct event_base *base,
		  const struct peer_call_opts *opts,
		  const struct peer_cert *cert, char *why, size_t why_size)
{
	struct peer_call *c = calloc(1, sizeof(*c));
	struct peer_media_opts mo;
	int err = ENOMEM;

	if (!c)
		return ENOMEM;
	c->o = *opts;
	c->base = base;
	c->cert = cert;
	c->remote = calloc(1, sizeof(*c->remote));
	if (!c->remote)
		goto out;
	rand_name(c->cname, sizeof(c->cname));
	rand_name(c->stream, sizeof(c->stream));
	c->audio_ssrc = rand_ssrc();
	do
		c->video_ssrc = rand_ssrc();
	while (c->video_ssrc == c->audio_ssrc);
	(void)RAND_bytes((uint8_t *)&c->sess_id, sizeof(c->sess_id));
	c->sess_id >>= 2; /* fits o=' 63 bits, as browsers write it */
	c->sess_version = 1;
	mo = opts->media;
	mo.send = media_send;
	mo.send_arg = c;
	err = peer_media_new(&c->media, base, &mo);
	if (err) {
		why_fail(err, why, why_size,
			 "The media sources did not open (%s).", strerror(err));
		goto out;
	}
	*cp = c;
	return 0;
out:
	peer_call_free(c);
	return err;
}

void peer_call_status(const struct peer_call *c, struct peer_call_status *st)
{
	struct tern_ice_pair_info pi;

	memset(st, 0, sizeof(*st));
	st->state =
	    c->ice ? tern_ice_state_name(tern_ice_state(c->ice)) : "new";
	st->secure = c->srtp != NULL;
	if (c->ice && tern_ice_selected(c->ice, &pi) == 0) {
		snprintf(st->pair, sizeof(st->pair), "%s/%s%s%s", pi.local_type,
			 pi.remote_type, pi.relay_proto[0] ? " " : "",
			 pi.relay_proto);
		st->rtt_ms = pi.rtt_ms;
	}
	st->srtp_dropped = c->srtp_dropped;
	st->srtp_replayed = c->srtp_replayed;
	peer_media_stats(c->media, &st->media, peer_clock_us());
}

const char *peer_call_mid(const struct peer_call *c)
{
	return c->res.transport ? c->res.transport->mid : "0";
}

void peer_call_free(struct peer_call *c)
{
	if (!c)
		return;
	c->ended = true;
	if (c->media_started)
		peer_media_stop(c->media);
	peer_media_free(c->media);
	peer_dtls_free(c->dtls);
	peer_srtp_free(c->srtp);
	tern_ice_free(c->ice);
	free(c->remote);
	free(c);
}
