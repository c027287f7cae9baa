/* media_rx.c — the receiving side: RTP statistics (RFC 3550 A.1, A.8),
 * VP8 through the jitter buffer to the decoder and the video sink, Opus
 * straight to its decoder (a lost packet recovered from the next one's
 * in-band FEC), and the test pattern read back from decoded pictures. */
#include <errno.h>
#include <string.h>

#include "peer/media_priv.h"

#define MAX_DROPOUT  3000
#define MAX_MISORDER 100

void rx_reset(struct rx *r, uint32_t clock)
{
	memset(r, 0, sizeof(*r));
	r->clock = clock;
}

/* RFC 3550 A.1 (without the probation): false for a packet too far out
 * of order to count. */
static bool rx_seq(struct rx *r, uint16_t seq)
{
	uint16_t udelta;

	if (!r->init) {
		r->init = true;
		r->base_seq = seq;
		r->max_seq = seq;
		r->received = 1;
		return true;
	}
	udelta = (uint16_t)(seq - r->max_seq);
	if (udelta < MAX_DROPOUT) {
		if (seq < r->max_seq)
			r->cycles += 65536;
		r->max_seq = seq;
	} else if (udelta <= 65536 - MAX_MISORDER) {
		/* a big jump: the sender restarted; start over */
		r->base_seq = seq;
		r->max_seq = seq;
		r->cycles = 0;
		r->received = 0;
		r->expected_prior = r->received_prior = 0;
	} else {
		r->late++;
	}
	r->received++;
	return true;
}

/* RFC 3550 A.8: interarrival jitter in timestamp units. */
static void rx_jitter(struct rx *r, uint32_t ts, uint64_t now_us)
{
	int64_t arrival = (int64_t)(now_us * r->clock / 1000000);
	int64_t transit = arrival - (int64_t)ts, d;

	if (r->transit) {
		d = transit - r->transit;
		if (d < 0)
			d = -d;
		/* a timestamp jump of more than 10 s is not jitter */
		if (d < 10 * (int64_t)r->clock)
			r->jitter += ((double)d - r->jitter) / 16.0;
	}
	r->transit = transit;
}

static void read_pattern(struct peer_media *m, const struct vimage *img)
{
	uint32_t c, t, now = (uint32_t)media_wall_ms();
	struct peer_media_stats *st = &m->st;

	if (!pattern_read(img, &c, &t))
		return;
	if (m->pattern_have_last) {
		if (c <= st->pattern_last)
			st->pattern_order_errors++;
		else
			st->pattern_gaps += c - st->pattern_last - 1;
	}
	m->pattern_have_last = true;
	st->pattern_last = c;
	st->pattern_frames++;
	st->pattern_latency_ms = (double)(int32_t)(now - t);
	m->pattern_lat_sum += st->pattern_latency_ms;
	st->pattern_latency_avg_ms = m->pattern_lat_sum / st->pattern_frames;
}

static void decode_frame(struct peer_media *m, const struct jbuf_frame *f)
{
	struct vimage img;

	if (f->keyframe)
		m->st.keyframes_received++;
	if (m->vsink && m->o.video_sink == PEER_VSINK_IVF)
		vsink_frame(m->vsink, m->frame, f->len, f->ts);
	if (vp8_dec_decode(m->vdec, m->frame, f->len, &img)) {
		m->st.decode_errors++;
		media_send_pli(m);
		return;
	}
	if (!img.w)
		return;
	m->st.frames_decoded++;
	m->st.width_received = img.w;
	m->st.height_received = img.h;
	if (m->vsink && m->o.video_sink == PEER_VSINK_Y4M)
		vsink_picture(m->vsink, &img);
	read_pattern(m, &img);
}

static void drain(struct peer_media *m, uint64_t now_us)
{
	struct jbuf_frame f;
	int err;

	while ((err = jbuf_pop(m->jb, now_us, m->frame, MAX_FRAME, &f)) !=
	       ENOENT) {
		if (err == 0)
			decode_frame(m, &f);
	}
}

void media_rx_tick(struct peer_media *m, uint64_t now_us)
{
	uint16_t seqs[64];
	size_t n;

	drain(m, now_us);
	if (!m->vrx.on || !m->vrx.ssrc_known)
		return;
	if (m->vrx.fb & PEER_FB_NACK) {
		n = jbuf_nacks(m->jb, now_us, seqs, 64);
		if (n)
			media_send_nack(m, seqs, n);
	}
	if (jbuf_want_keyframe(m->jb, now_us))
		media_send_pli(m);
}

static void video_in(struct peer_media *m, const struct rtp_hdr *h,
		     uint64_t now_us)
{
	m->st.video_packets_received++;
	rx_seq(&m->vrx, h->seq);
	rx_jitter(&m->vrx, h->ts, now_us);
	if (jbuf_put(m->jb, h, now_us) == EBADMSG) {
		m->st.rx_malformed++;
		return;
	}
	drain(m, now_us);
}

static void audio_out(struct peer_media *m, unsigned frames)
{
	m->st.audio_frames_decoded++;
	if (m->asink && m->o.audio_sink == PEER_ASINK_WAV)
		asink_pcm(m->asink, m->pcm, frames);
}

static void audio_in(struct peer_media *m, const struct rtp_hdr *h,
		     uint64_t now_us)
{
	uint16_t prev = m->arx.max_seq;
	bool first = !m->arx.init;
	unsigned frames;
	int16_t d;

	m->st.audio_packets_received++;
	rx_seq(&m->arx, h->seq);
	rx_jitter(&m->arx, h->ts, now_us);
	d = rtp_seq_diff(h->seq, prev);
	if (!first && d <= 0)
		return; /* late or duplicate: its time has passed */
	if (h->plen == 0)
		return; /* padding only: opus_decode would conceal a loss */
	/* one packet lost: its audio from this one's FEC (RFC 7587 3.3) */
	if (!first && d == 2 && m->rp.opus_fec &&
	    !opus_dec_decode(m->adec, h->payload, h->plen, true, m->pcm,
			     &frames))
		audio_out(m, frames);
	if (opus_dec_decode(m->adec, h->payload, h->plen, false, m->pcm,
			    &frames)) {
		m->st.rx_malformed++;
		return;
	}
	if (m->asink && m->o.audio_sink == PEER_ASINK_OGG)
		asink_packet(m->asink, h->payload, h->plen, frames);
	audio_out(m, frames);
}

/* Match a stream by PT, and by SSRC once known (learned from the first
 * packet when the SDP did not say). */
static bool match(struct rx *r, const struct rtp_hdr *h)
{
	if (!r->on || h->pt != r->pt)
		return false;
	if (!r->ssrc_known) {
		r->ssrc = h->ssrc;
		r->ssrc_known = true;
	}
	return h->ssrc == r->ssrc;
}

int media_rtp_input(struct peer_media *m, const uint8_t *p, size_t len,
		    uint64_t now_us)
{
	struct rtp_hdr h;

	if (rtp_parse(&h, p, len)) {
		m->st.rx_malformed++;
		return EBADMSG;
	}
	m->st.bytes_received += len;
	if (match(&m->vrx, &h))
		video_in(m, &h, now_us);
	else if (match(&m->arx, &h))
		audio_in(m, &h, now_us);
	else
		m->st.rx_malformed++;
	return 0;
}
