/* media_priv.h — the inside of struct peer_media, shared by media.c (life
 * cycle, capture and send), media_rtcp.c (RTCP out and in) and media_rx.c
 * (RTP in: jitter buffer, decoders, sinks). */
#ifndef TERN_PEER_MEDIA_PRIV_H
#define TERN_PEER_MEDIA_PRIV_H

#include "peer/bwe.h"
#include "peer/codec.h"
#include "peer/jbuf.h"
#include "peer/media.h"
#include "peer/rtp.h"
#include "peer/sink.h"
#include "peer/src.h"

#define MEDIA_MTU   1200 /* whole RTP packet: fits any tunnel, as Chromium */
#define HIST_SLOTS  1024 /* video packets kept for NACK, ~1 s at 8 Mbit/s */
#define MAX_FRAME   (1 << 20)
#define RTCP_EVERY  500000 /* us between compound reports (RFC 3550 6.2) */
#define RX_TICK	    20000  /* us: NACK, PLI and jitter-buffer give-ups */
#define MIN_BITRATE 50000

struct hist {
	uint16_t seq;
	uint16_t len;
	bool used;
	uint8_t pkt[MEDIA_MTU];
};

/* One stream we send. */
struct tx {
	bool on;
	uint8_t pt;
	uint32_t ssrc;
	unsigned fb;
	uint16_t seq;
	uint32_t ts_base;
	uint32_t last_ts;
	uint64_t last_ts_us; /* when last_ts was taken */
	uint32_t pkts, octets;
	uint8_t last_fir; /* FIR command seq nr last honoured (RFC 5104) */
	bool fir_seen;
};

/* One stream we receive: RFC 3550 A.1 sequence state, A.8 jitter, and
 * the last SR for LSR/DLSR. */
struct rx {
	bool on;
	uint8_t pt;
	uint32_t ssrc;
	bool ssrc_known;
	unsigned fb;
	uint32_t clock;
	bool init;
	uint16_t max_seq;
	uint32_t cycles, base_seq, received;
	uint32_t expected_prior, received_prior;
	/* Packets older than max_seq (reordered, or resent after a NACK),
	 * and the interval's loss counting them as lost: the path's loss
	 * before repair, which RFC 3550's fraction hides when the resent
	 * packets share the stream's SSRC. For the estimate (bwe.h). */
	uint32_t late, late_prior;
	uint8_t path_loss;
	double jitter; /* timestamp units */
	int64_t transit;
	uint32_t lsr;
	uint64_t lsr_at_us;
};

struct peer_media {
	struct event_base *base;
	struct peer_media_opts o;
	char *video_path, *audio_path, *video_out, *audio_out;

	struct vsrc *vs;
	struct asrc *as;
	struct vp8_enc *venc;
	struct opus_enc *aenc;
	struct vp8_dec *vdec;
	struct opus_dec *adec;
	struct vsink *vsink;
	struct asink *asink;
	struct jbuf *jb;
	struct bwe bwe;	   /* what we tell the far end as REMB */
	double audio_loss; /* smoothed loss the far end reports on our Opus, %;
			      < 0 before its first report */

	struct event *vtimer, *atimer, *rtcp_timer, *rx_timer;
	bool have_send, have_recv, running, failed_v, failed_a;
	struct peer_media_params sp, rp;
	struct tx vtx, atx;
	struct rx vrx, arx;

	uint16_t picid;
	bool force_key;
	int64_t vframe_n;
	uint64_t start_us, audio_sent;
	uint8_t fir_seq;
	unsigned bitrate; /* the encoder's target now */
	uint8_t *enc, *frame;
	struct hist hist[HIST_SLOTS];
	int16_t pcm[AUDIO_MAX_FRAME * AUDIO_CH];

	/* stats and their rate windows */
	struct peer_media_stats st;
	uint64_t rate_at_us, rate_out_bytes, rate_in_bytes;
	double pattern_lat_sum;
	bool pattern_have_last;
};

/* media.c */
void media_send(struct peer_media *m, const uint8_t *p, size_t len, bool rtcp);
void media_fail(struct peer_media *m, bool video, const char *why);
uint64_t media_wall_ms(void);

/* media_rtcp.c */
void media_rtcp_tick(struct peer_media *m, uint64_t now_us);
void media_rtcp_input(struct peer_media *m, const uint8_t *p, size_t len,
		      uint64_t now_us);
void media_rtcp_bye(struct peer_media *m);
void media_send_nack(struct peer_media *m, const uint16_t *seqs, size_t n);
void media_send_pli(struct peer_media *m);

/* media_rx.c */
int media_rtp_input(struct peer_media *m, const uint8_t *p, size_t len,
		    uint64_t now_us);
void media_rx_tick(struct peer_media *m, uint64_t now_us);
void rx_reset(struct rx *r, uint32_t clock);

#endif
