/* media.c — the media pipeline's life cycle and its sending side: sources
 * pulled by libevent timers, VP8/Opus encoders, RTP packetizers, the send
 * history NACKs are answered from. */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rand.h"
#include "peer/media_priv.h"
#include "peer/src_v4l2.h"

uint64_t peer_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t media_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void media_send(struct peer_media *m, const uint8_t *p, size_t len, bool rtcp)
{
	if (!rtcp)
		m->st.bytes_sent += len;
	m->o.send(m->o.send_arg, p, len, rtcp);
}

/* A source failed for good: say so once and stop pulling it. */
void media_fail(struct peer_media *m, bool video, const char *why)
{
	bool *done = video ? &m->failed_v : &m->failed_a;

	if (*done)
		return;
	*done = true;
	if (m->o.on_error)
		m->o.on_error(m->o.error_arg, why);
}

static void send_rtp(struct peer_media *m, struct tx *t, bool marker,
		     uint32_t ts, const uint8_t *payload, size_t plen,
		     bool keep)
{
	uint8_t pkt[MEDIA_MTU];
	struct hist *h;

	if (RTP_HDR_LEN + plen > sizeof(pkt))
		return;
	rtp_write_hdr(pkt, sizeof(pkt), marker, t->pt, t->seq, ts, t->ssrc);
	memcpy(pkt + RTP_HDR_LEN, payload, plen);
	if (keep) {
		h = &m->hist[t->seq % HIST_SLOTS];
		h->used = true;
		h->seq = t->seq;
		h->len = (uint16_t)(RTP_HDR_LEN + plen);
		memcpy(h->pkt, pkt, h->len);
	}
	t->seq++;
	t->pkts++;
	t->octets += (uint32_t)plen;
	media_send(m, pkt, RTP_HDR_LEN + plen, false);
}

/* Encode one picture and send it as VP8 RTP packets (RFC 7741). */
static void send_picture(struct peer_media *m, const struct vimage *img,
			 uint64_t now_us)
{
	uint8_t pl[MEDIA_MTU];
	size_t len, off = 0, n;
	bool key, force = m->force_key;
	uint32_t ts;

	if (vp8_enc_encode(m->venc, img, m->vframe_n++, force, m->enc,
			   MAX_FRAME, &len, &key) ||
	    len == 0)
		return;
	m->force_key = false;
	m->st.frames_encoded++;
	if (key)
		m->st.keyframes_sent++;
	if (!m->vtx.on)
		return;
	ts = m->vtx.ts_base + (uint32_t)(now_us * 9 / 100);
	m->vtx.last_ts = ts;
	m->vtx.last_ts_us = now_us;
	while ((n = vp8_packetize(m->enc, len, &off, m->picid,
				  MEDIA_MTU - RTP_HDR_LEN, pl, sizeof(pl)))) {
		send_rtp(m, &m->vtx, off == len, ts, pl, n, true);
		m->st.video_packets_sent++;
	}
	m->picid = (m->picid + 1) & 0x7fff;
}

static void on_video(evutil_socket_t fd, short what, void *arg)
{
	struct peer_media *m = arg;
	uint64_t now = peer_clock_us();
	struct vimage img;
	int err;

	(void)fd;
	(void)what;
	if (m->failed_v)
		return;
	err = m->vs->read(m->vs, &img, media_wall_ms());
	if (err == EAGAIN)
		return;
	if (err) {
		media_fail(m, true,
			   m->vs->err[0] ? m->vs->err : "video source failed");
		return;
	}
	m->st.frames_captured++;
	send_picture(m, &img, now);
}

/* Audio paced by elapsed time, not timer ticks: a late timer sends the
 * frames that are due, so the far end hears no gaps. */
static void on_audio(evutil_socket_t fd, short what, void *arg)
{
	struct peer_media *m = arg;
	uint64_t now = peer_clock_us(), due;
	uint8_t pl[1500];
	size_t len;
	int err, k;

	(void)fd;
	(void)what;
	due = (now - m->start_us) / 20000 + 1;
	for (k = 0; k < 5 && m->audio_sent < due && !m->failed_a; k++) {
		err = m->as->read(m->as, m->pcm);
		if (err == EAGAIN)
			return;
		if (err) {
			media_fail(m, false,
				   m->as->err[0] ? m->as->err : "audio failed");
			return;
		}
		m->audio_sent++;
		if (opus_enc_encode(m->aenc, m->pcm, pl, sizeof(pl), &len) ||
		    !m->atx.on)
			continue;
		m->atx.last_ts += AUDIO_FRAME;
		m->atx.last_ts_us = now;
		send_rtp(m, &m->atx, false, m->atx.last_ts, pl, len, false);
		m->st.audio_packets_sent++;
	}
	if (m->audio_sent < due && k == 5) /* far behind: skip, don't burst */
		m->audio_sent = due;
}

static void on_rtcp(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	media_rtcp_tick(arg, peer_clock_us());
}

static void on_rx(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	media_rx_tick(arg, peer_clock_us());
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int open_video(struct peer_media *m, char *why, size_t n)
{
	struct peer_media_opts *o = &m->o;

	switch (o->video_src) {
	case PEER_VSRC_PATTERN:
		return vsrc_pattern_open(&m->vs, o->width, o->height, o->fps);
	case PEER_VSRC_Y4M:
		if (!o->video_path)
			return EINVAL;
		return vsrc_y4m_open(&m->vs, o->video_path, why, n);
	case PEER_VSRC_V4L2:
		if (!o->video_path)
			return EINVAL;
		return vsrc_v4l2_open(
		    &m->vs, o->video_path, o->width, o->height, o->fps,
		    o->v4l2_io ? o->v4l2_io : &v4l2_io_libv4l2, why, n);
	default:
		return 0;
	}
}

static int open_audio(struct peer_media *m, char *why, size_t n)
{
	struct peer_media_opts *o = &m->o;

	switch (o->audio_src) {
	case PEER_ASRC_TONE:
		return asrc_tone_open(&m->as, 440);
	case PEER_ASRC_WAV:
		if (!o->audio_path)
			return EINVAL;
		return asrc_wav_open(&m->as, o->audio_path, why, n);
	case PEER_ASRC_ALSA:
		return asrc_alsa_open(
		    &m->as, o->audio_path ? o->audio_path : "default", why, n);
	default:
		return 0;
	}
}

static int open_sinks(struct peer_media *m, char *why, size_t n)
{
	struct peer_media_opts *o = &m->o;
	int err = 0;

	if (o->video_sink != PEER_VSINK_COUNT) {
		if (!o->video_out)
			return EINVAL;
		err = vsink_open(&m->vsink,
				 o->video_sink == PEER_VSINK_Y4M ? VSINK_Y4M
								 : VSINK_IVF,
				 o->video_out, o->fps, why, n);
	}
	if (!err && o->audio_sink != PEER_ASINK_COUNT) {
		if (!o->audio_out)
			return EINVAL;
		err = asink_open(&m->asink,
				 o->audio_sink == PEER_ASINK_WAV ? ASINK_WAV
								 : ASINK_OGG,
				 o->audio_out, why, n);
	}
	return err;
}

static void defaults(struct peer_media_opts *o)
{
	if (!o->width)
		o->width = 640;
	if (!o->height)
		o->height = 480;
	if (!o->fps)
		o->fps = 30;
	if (!o->video_bitrate)
		o->video_bitrate = 1000000;
	if (!o->audio_bitrate)
		o->audio_bitrate = 32000;
}

static int open_all(struct peer_media *m, char *why, size_t n)
{
	int err = open_video(m, why, n);

	if (!err)
		err = open_audio(m, why, n);
	if (!err)
		err = open_sinks(m, why, n);
	if (!err && m->vs) {
		/* a Y4M file or a camera decides the size and rate */
		m->o.width = m->vs->w;
		m->o.height = m->vs->h;
		if (m->vs->fps && m->vs->fps <= 120)
			m->o.fps = m->vs->fps;
		err = vp8_enc_new(&m->venc, m->o.width, m->o.height, m->o.fps,
				  m->o.video_bitrate);
		if (!err && m->o.vp8_speed)
			err = vp8_enc_set_speed(m->venc, m->o.vp8_speed);
	}
	if (!err && m->as)
		err = opus_enc_new(&m->aenc, m->o.audio_bitrate, true);
	if (!err)
		err = vp8_dec_new(&m->vdec);
	if (!err)
		err = opus_dec_new(&m->adec);
	if (!err)
		err = jbuf_new(&m->jb, NULL);
	return err;
}

static int make_timers(struct peer_media *m)
{
	m->vtimer = event_new(m->base, -1, EV_PERSIST, on_video, m);
	m->atimer = event_new(m->base, -1, EV_PERSIST, on_audio, m);
	m->rtcp_timer = event_new(m->base, -1, EV_PERSIST, on_rtcp, m);
	m->rx_timer = event_new(m->base, -1, EV_PERSIST, on_rx, m);
	if (!m->vtimer || !m->atimer || !m->rtcp_timer || !m->rx_timer)
		return ENOMEM;
	return 0;
}

int peer_media_new(struct peer_media **mp, struct event_base *base,
		   const struct peer_media_opts *opts)
{
	struct peer_media *m;
	char why[300] = "";
	int err;

	if (!base || !opts || !opts->send)
		return EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	m->base = base;
	m->o = *opts;
	defaults(&m->o);
	m->o.video_path = m->video_path = dup_or_null(opts->video_path);
	m->o.audio_path = m->audio_path = dup_or_null(opts->audio_path);
	m->o.video_out = m->video_out = dup_or_null(opts->video_out);
	m->o.audio_out = m->audio_out = dup_or_null(opts->audio_out);
	m->enc = malloc(MAX_FRAME);
	m->frame = malloc(MAX_FRAME);
	err = (!m->enc || !m->frame) ? ENOMEM : open_all(m, why, sizeof(why));
	if (!err)
		err = make_timers(m);
	if (err) {
		if (why[0] && opts->on_error)
			opts->on_error(opts->error_arg, why);
		peer_media_free(m);
		return err;
	}
	m->bitrate = m->o.video_bitrate;
	m->st.rtt_ms = -1;
	m->audio_loss = -1;
	m->st.opus_loss_pct = 10; /* opus_enc_new's guess until a report */
	rand_bytes(&m->picid, sizeof(m->picid));
	m->picid &= 0x7fff;
	*mp = m;
	return 0;
}

static bool pt_ok(uint8_t pt)
{
	/* dynamic range, and clear of RTCP's 64-95 (RFC 5761 4) */
	return pt >= 96 && pt <= 127;
}

static void tx_set(struct tx *t, bool on, uint8_t pt, uint32_t ssrc,
		   unsigned fb)
{
	bool fresh = !t->ssrc || t->ssrc != ssrc;

	t->on = on;
	t->pt = pt;
	t->fb = fb;
	if (fresh) {
		t->ssrc = ssrc;
		rand_bytes(&t->seq, sizeof(t->seq));
		rand_bytes(&t->ts_base, sizeof(t->ts_base));
		t->last_ts = t->ts_base;
		t->pkts = t->octets = 0;
	}
}

int peer_media_set_send(struct peer_media *m, const struct peer_media_params *p)
{
	if ((p->video_on && (!pt_ok(p->vp8_pt) || !p->video_ssrc)) ||
	    (p->audio_on && (!pt_ok(p->opus_pt) || !p->audio_ssrc)) ||
	    (p->video_on && p->audio_on && p->video_ssrc == p->audio_ssrc))
		return EINVAL;
	m->sp = *p;
	m->sp.cname[sizeof(m->sp.cname) - 1] = 0;
	tx_set(&m->vtx, p->video_on && m->venc, p->vp8_pt, p->video_ssrc,
	       p->video_fb);
	tx_set(&m->atx, p->audio_on && m->aenc, p->opus_pt, p->audio_ssrc,
	       p->audio_fb);
	m->have_send = true;
	return 0;
}

/* A re-offer keeps what was learned: the stream's statistics and SSRC
 * start over only when the SDP names another SSRC or another PT. */
static void rx_set(struct rx *r, bool on, uint8_t pt, uint32_t ssrc,
		   unsigned fb, uint32_t clock)
{
	if (r->pt != pt || (ssrc && ssrc != r->ssrc))
		rx_reset(r, clock);
	r->on = on;
	r->pt = pt;
	r->fb = fb;
	if (ssrc) {
		r->ssrc = ssrc;
		r->ssrc_known = true;
	}
}

int peer_media_set_recv(struct peer_media *m, const struct peer_media_params *p)
{
	if ((p->video_on && !pt_ok(p->vp8_pt)) ||
	    (p->audio_on && !pt_ok(p->opus_pt)))
		return EINVAL;
	m->rp = *p;
	rx_set(&m->vrx, p->video_on, p->vp8_pt, p->video_ssrc, p->video_fb,
	       90000);
	rx_set(&m->arx, p->audio_on, p->opus_pt, p->audio_ssrc, p->audio_fb,
	       48000);
	m->have_recv = true;
	return 0;
}

int peer_media_start(struct peer_media *m)
{
	struct timeval vt = { 0, 0 }, at = { 0, 20000 };
	struct timeval rt = { 0, RTCP_EVERY }, xt = { 0, RX_TICK };

	if (!m->have_send || !m->have_recv)
		return EINVAL;
	if (m->running)
		return 0;
	m->running = true;
	m->force_key = true; /* the first frame a keyframe */
	m->start_us = peer_clock_us();
	m->audio_sent = 0;
	vt.tv_sec = (time_t)(1000000 / m->o.fps / 1000000);
	vt.tv_usec = (long)(1000000 / m->o.fps % 1000000);
	if (m->vs)
		event_add(m->vtimer, &vt);
	if (m->as)
		event_add(m->atimer, &at);
	event_add(m->rtcp_timer, &rt);
	event_add(m->rx_timer, &xt);
	return 0;
}

void peer_media_stop(struct peer_media *m)
{
	if (!m || !m->running)
		return;
	m->running = false;
	media_rtcp_bye(m);
	event_del(m->vtimer);
	event_del(m->atimer);
	event_del(m->rtcp_timer);
	event_del(m->rx_timer);
}

void peer_media_keyframe(struct peer_media *m)
{
	m->force_key = true;
}

int peer_media_input(struct peer_media *m, const uint8_t *pkt, size_t len,
		     uint64_t now_us)
{
	if (peer_is_rtcp(pkt, len)) {
		media_rtcp_input(m, pkt, len, now_us);
		return 0;
	}
	return media_rtp_input(m, pkt, len, now_us);
}

/* RFC 3550 A.3: expected minus received, never below 0 here. */
static uint64_t rx_lost(const struct rx *r)
{
	uint32_t expected = r->cycles + r->max_seq - r->base_seq + 1;

	return r->init && expected > r->received ? expected - r->received : 0;
}

void peer_media_stats(const struct peer_media *m, struct peer_media_stats *st,
		      uint64_t now_us)
{
	struct jbuf_stats js;

	(void)now_us;
	*st = m->st;
	st->target_bitrate = m->bitrate;
	jbuf_stats(m->jb, &js);
	st->frames_received = js.frames_out;
	st->jitter_ms = m->vrx.jitter / 90.0;
	st->packets_lost = rx_lost(&m->vrx) + rx_lost(&m->arx);
}

void peer_media_free(struct peer_media *m)
{
	if (!m)
		return;
	peer_media_stop(m);
	if (m->vtimer)
		event_free(m->vtimer);
	if (m->atimer)
		event_free(m->atimer);
	if (m->rtcp_timer)
		event_free(m->rtcp_timer);
	if (m->rx_timer)
		event_free(m->rx_timer);
	if (m->vs)
		m->vs->close(m->vs);
	if (m->as)
		m->as->close(m->as);
	vp8_enc_free(m->venc);
	opus_enc_free(m->aenc);
	vp8_dec_free(m->vdec);
	opus_dec_free(m->adec);
	vsink_close(m->vsink);
	asink_close(m->asink);
	jbuf_free(m->jb);
	free(m->enc);
	free(m->frame);
	free(m->video_path);
	free(m->audio_path);
	free(m->video_out);
	free(m->audio_out);
	free(m);
}
