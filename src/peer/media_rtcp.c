/* media_rtcp.c — RTCP for the pipeline: compound SR/RR + SDES CNAME every
 * RTCP_EVERY (RFC 3550 6.4), NACK and PLI/FIR out, and the far end's
 * reports in: RTT from LSR/DLSR (6.4.1), NACKs answered from the send
 * history, PLI/FIR forcing a keyframe, REMB setting the VP8 bitrate. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "peer/media_priv.h"

#define NTP_OFFSET 2208988800u /* 1900 to 1970 in seconds */

static uint64_t ntp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)(ts.tv_sec + NTP_OFFSET) << 32) |
	       (uint64_t)(((uint64_t)ts.tv_nsec << 32) / 1000000000u);
}

/* The SSRC our reports come from: the video sender's, else audio's. */
static uint32_t own_ssrc(const struct peer_media *m)
{
	return m->vtx.ssrc ? m->vtx.ssrc : m->atx.ssrc ? m->atx.ssrc : 1;
}

/* RFC 3550 A.3: cumulative and interval loss of a received stream. */
static bool make_rb(struct rx *r, struct rtcp_rb *rb, uint64_t now_us)
{
	uint32_t ext, expected, exp_i, rec_i, late_i;
	int64_t lost_i, path_i;

	if (!r->init)
		return false;
	ext = r->cycles + r->max_seq;
	expected = ext - r->base_seq + 1;
	exp_i = expected - r->expected_prior;
	rec_i = r->received - r->received_prior;
	late_i = r->late - r->late_prior;
	r->expected_prior = expected;
	r->received_prior = r->received;
	r->late_prior = r->late;
	lost_i = (int64_t)exp_i - rec_i;
	path_i = lost_i + late_i;
	r->path_loss = exp_i == 0 || path_i <= 0 ? 0
		       : path_i >= exp_i	 ? 255
					 : (uint8_t)((path_i << 8) / exp_i);
	memset(rb, 0, sizeof(*rb));
	rb->ssrc = r->ssrc;
	rb->fraction =
	    (exp_i == 0 || lost_i <= 0) ? 0 : (uint8_t)((lost_i << 8) / exp_i);
	rb->lost = (int32_t)((int64_t)expected - r->received);
	rb->ext_max = ext;
	rb->jitter = (uint32_t)r->jitter;
	if (r->lsr) {
		rb->lsr = r->lsr;
		rb->dlsr =
		    (uint32_t)((now_us - r->lsr_at_us) * 65536 / 1000000);
	}
	return true;
}

static void update_rates(struct peer_media *m, uint64_t now_us)
{
	uint64_t dt = now_us - m->rate_at_us;

	if (m->rate_at_us && dt > 0) {
		m->st.bitrate_out =
		    (double)(m->st.bytes_sent - m->rate_out_bytes) * 8e6 /
		    (double)dt;
		m->st.bitrate_in =
		    (double)(m->st.bytes_received - m->rate_in_bytes) * 8e6 /
		    (double)dt;
	}
	m->rate_at_us = now_us;
	m->rate_out_bytes = m->st.bytes_sent;
	m->rate_in_bytes = m->st.bytes_received;
}

static bool put_sr(struct tx *t, uint8_t *buf, size_t cap, size_t *len,
		   const struct rtcp_rb *rb, unsigned n, uint64_t now_us,
		   uint32_t clock)
{
	uint32_t ts =
	    t->last_ts + (uint32_t)((now_us - t->last_ts_us) * clock / 1000000);

	return rtcp_put_sr(buf, cap, len, t->ssrc, ntp_now(), ts, t->pkts,
			   t->octets, rb, n);
}

/* Our bandwidth estimate for the far end's streams, as REMB (bwe.h),
 * when it asked for goog-remb on the video it sends us. */
static void put_remb(struct peer_media *m, uint8_t *buf, size_t cap,
		     size_t *len)
{
	uint32_t ss[2];
	unsigned n = 0;
	uint64_t est;

	if (!m->vrx.on || !m->vrx.init || !(m->vrx.fb & PEER_FB_REMB))
		return;
	est = bwe_update(&m->bwe, (uint64_t)m->st.bitrate_in, m->vrx.path_loss);
	if (!est)
		return;
	ss[n++] = m->vrx.ssrc;
	if (m->arx.on && m->arx.init)
		ss[n++] = m->arx.ssrc;
	if (rtcp_put_remb(buf, cap, len, own_ssrc(m), est, ss, n))
		m->st.remb_sent = est > UINT32_MAX ? UINT32_MAX : (unsigned)est;
}

void media_rtcp_tick(struct peer_media *m, uint64_t now_us)
{
	struct rtcp_rb rb[2];
	uint8_t buf[1200];
	size_t len = 0;
	unsigned n = 0;
	bool v = m->vtx.on && m->vtx.pkts, a = m->atx.on && m->atx.pkts;

	update_rates(m, now_us);
	if (m->vrx.on && make_rb(&m->vrx, &rb[n], now_us))
		n++;
	if (m->arx.on && make_rb(&m->arx, &rb[n], now_us))
		n++;
	if (v)
		put_sr(&m->vtx, buf, sizeof(buf), &len, rb, n, now_us, 90000);
	if (a)
		put_sr(&m->atx, buf, sizeof(buf), &len, v ? NULL : rb,
		       v ? 0 : n, now_us, 48000);
	if (!v && !a)
		rtcp_put_rr(buf, sizeof(buf), &len, own_ssrc(m), rb, n);
	/* RFC 3550 6.1: every compound carries an SDES CNAME */
	if (v || (!a && m->vtx.ssrc))
		rtcp_put_sdes_cname(buf, sizeof(buf), &len, m->vtx.ssrc,
				    m->sp.cname);
	if (a)
		rtcp_put_sdes_cname(buf, sizeof(buf), &len, m->atx.ssrc,
				    m->sp.cname);
	put_remb(m, buf, sizeof(buf), &len);
	media_send(m, buf, len, true);
}

void media_rtcp_bye(struct peer_media *m)
{
	uint32_t ss[2];
	uint8_t buf[256];
	size_t len = 0;
	unsigned n = 0;

	if (m->vtx.on)
		ss[n++] = m->vtx.ssrc;
	if (m->atx.on)
		ss[n++] = m->atx.ssrc;
	if (!n)
		return;
	rtcp_put_rr(buf, sizeof(buf), &len, own_ssrc(m), NULL, 0);
	rtcp_put_sdes_cname(buf, sizeof(buf), &len, own_ssrc(m), m->sp.cname);
	rtcp_put_bye(buf, sizeof(buf), &len, ss, n);
	media_send(m, buf, len, true);
}

/* Feedback goes in a compound led by an empty RR (RFC 4585 3.1). */
void media_send_nack(struct peer_media *m, const uint16_t *seqs, size_t n)
{
	uint8_t buf[600];
	size_t len = 0;

	rtcp_put_rr(buf, sizeof(buf), &len, own_ssrc(m), NULL, 0);
	if (!rtcp_put_nack(buf, sizeof(buf), &len, own_ssrc(m), m->vrx.ssrc,
			   seqs, n))
		return;
	m->st.nacks_sent += n;
	media_send(m, buf, len, true);
}

/* PLI where negotiated, else FIR (RFC 5104 4.3.1), else nothing. */
void media_send_pli(struct peer_media *m)
{
	uint8_t buf[64];
	size_t len = 0;

	rtcp_put_rr(buf, sizeof(buf), &len, own_ssrc(m), NULL, 0);
	if ((m->vrx.fb & PEER_FB_PLI) || !(m->vrx.fb & PEER_FB_FIR)) {
		rtcp_put_pli(buf, sizeof(buf), &len, own_ssrc(m), m->vrx.ssrc);
		m->st.plis_sent++;
	} else {
		rtcp_put_fir(buf, sizeof(buf), &len, own_ssrc(m), m->vrx.ssrc,
			     m->fir_seq++);
		m->st.firs_sent++;
	}
	media_send(m, buf, len, true);
}

static void on_report(struct peer_media *m, const struct rtcp_rb *rb,
		      uint64_t now_us)
{
	bool video = rb->ssrc == m->vtx.ssrc;
	uint32_t a, rtt;

	if (!m->vtx.ssrc && !m->atx.ssrc)
		return;
	if (!video && rb->ssrc != m->atx.ssrc)
		return;
	m->st.remote_loss = rb->fraction / 256.0;
	if (!video && m->aenc) {
		/* Opus FEC follows the loss of our audio (as libwebrtc does):
		 * the first report sets it, later ones move it a quarter */
		double pct = rb->fraction * 100.0 / 256;

		m->audio_loss =
		    m->audio_loss < 0 ? pct : 0.75 * m->audio_loss + 0.25 * pct;
		m->st.opus_loss_pct = (unsigned)(m->audio_loss + 0.5);
		opus_enc_set_loss(m->aenc, m->st.opus_loss_pct);
	}
	m->st.remote_jitter_ms = rb->jitter * 1000.0 / (video ? 90000 : 48000);
	if (!rb->lsr)
		return;
	a = (uint32_t)(ntp_now() >> 16);
	rtt = a - rb->lsr - rb->dlsr;
	if (rtt > 65536 * 10) /* over 10 s: clocks or a stale report */
		return;
	m->st.rtt_ms = rtt * 1000.0 / 65536;
	jbuf_set_rtt(m->jb, (uint64_t)rtt * 1000000 / 65536);
	(void)now_us;
}

static void on_nack(struct peer_media *m, const struct rtcp_msg *r)
{
	uint16_t seqs[256];
	size_t n, i;

	if (r->media_ssrc != m->vtx.ssrc || !m->vtx.on)
		return;
	n = rtcp_nack_seqs(r->fci, r->fci_len, seqs, 256);
	m->st.nacks_received += n;
	for (i = 0; i < n; i++) {
		struct hist *h = &m->hist[seqs[i] % HIST_SLOTS];

		/* RFC 4588 is off: resend the packet itself, same seq */
		if (h->used && h->seq == seqs[i]) {
			media_send(m, h->pkt, h->len, false);
			m->st.packets_retransmitted++;
		}
	}
}

/* REMB covers every stream the far end receives from us: video gets
 * what audio leaves, within [MIN_BITRATE, the configured ceiling]. */
static void on_remb(struct peer_media *m, uint64_t bps)
{
	uint64_t v = bps > m->o.audio_bitrate ? bps - m->o.audio_bitrate : 0;

	m->st.remb_bitrate = bps > UINT32_MAX ? UINT32_MAX : (unsigned)bps;
	if (v > m->o.video_bitrate)
		v = m->o.video_bitrate;
	if (v < MIN_BITRATE)
		v = MIN_BITRATE;
	if (m->venc && v != m->bitrate &&
	    !vp8_enc_set_bitrate(m->venc, (unsigned)v))
		m->bitrate = (unsigned)v;
}

static void on_psfb(struct peer_media *m, const struct rtcp_msg *r)
{
	uint64_t bps;
	uint8_t sn;

	switch (r->count) {
	case RTCP_FMT_PLI:
		if (r->media_ssrc == m->vtx.ssrc) {
			m->st.plis_received++;
			m->force_key = true;
		}
		break;
	case RTCP_FMT_FIR:
		/* RFC 5104 4.3.1.2: a repeated seq nr is the same request */
		if (rtcp_fir_find(r->fci, r->fci_len, m->vtx.ssrc, &sn) &&
		    (!m->vtx.fir_seen || sn != m->vtx.last_fir)) {
			m->vtx.fir_seen = true;
			m->vtx.last_fir = sn;
			m->st.firs_received++;
			m->force_key = true;
		}
		break;
	case RTCP_FMT_AFB:
		if (rtcp_remb_parse(r->fci, r->fci_len, &bps))
			on_remb(m, bps);
		break;
	}
}

static void on_sr(struct peer_media *m, const struct rtcp_msg *r,
		  uint64_t now_us)
{
	struct rx *x = r->ssrc == m->vrx.ssrc	? &m->vrx
		       : r->ssrc == m->arx.ssrc ? &m->arx
						: NULL;

	if (!x)
		return;
	x->lsr = (uint32_t)(r->ntp >> 16);
	x->lsr_at_us = now_us;
}

void media_rtcp_input(struct peer_media *m, const uint8_t *p, size_t len,
		      uint64_t now_us)
{
	struct rtcp_msg r;
	size_t off = 0;
	unsigned i;
	int err;

	while ((err = rtcp_next(p, len, &off, &r)) == 0) {
		if (r.type == RTCP_SR)
			on_sr(m, &r, now_us);
		if (r.type == RTCP_SR || r.type == RTCP_RR)
			for (i = 0; i < r.n_rb; i++)
				on_report(m, &r.rb[i], now_us);
		if (r.type == RTCP_RTPFB && r.count == RTCP_FMT_NACK)
			on_nack(m, &r);
		if (r.type == RTCP_PSFB)
			on_psfb(m, &r);
	}
	if (err != ENOENT)
		m->st.rx_malformed++;
}
