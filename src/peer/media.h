/* media.h — tern-peer's media pipeline: capture, VP8/Opus, RTP/RTCP.
 *
 * The CONTRACT between the media half (this file, media*.c, rtp*.c, rtcp*.c,
 * jbuf*.c, codec_*.c, src_*.c, sink_*.c) and the call half (SDP/JSEP,
 * DTLS-SRTP, signaling, main).
 *
 *   source -> encoder -> RTP packetizer -> send(pkt, is_rtcp=false) --+
 *   RTCP SR/SDES, RR, NACK, PLI, FIR    -> send(pkt, is_rtcp=true)  --+--> SRTP
 *                                                                           |
 *   SRTP unprotect -> peer_media_input(pkt) -> RTP: jitter buffer -> decoder ->
 * sink
 *                                           -> RTCP: RR/SR stats, NACK ->
 * resend, PLI/FIR -> keyframe, REMB -> bitrate
 *
 * A peer_media runs on the caller's libevent event_base: its capture pacing,
 * RTCP interval and NACK timers are events on that base. No threads, no
 * sockets: packets leave through the send callback as PLAINTEXT RTP/RTCP and
 * arrive through peer_media_input() as PLAINTEXT (already SRTP-unprotected).
 * One bundle: one video and one audio stream each way, rtcp-mux always.
 *
 * Bandwidth estimate: REMB (goog-remb) received from the far end sets the
 * VP8 target bitrate (clamped to [min, opts.video_bitrate]), and where the
 * far end asked for goog-remb we send it ours (bwe.h, loss-based); see
 * docs/ARCHITECTURE.md for why REMB and not transport-cc. */
#ifndef TERN_PEER_MEDIA_H
#define TERN_PEER_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct peer_media;
struct v4l2_io;

enum peer_video_src {
	PEER_VSRC_NONE = 0,
	PEER_VSRC_PATTERN, /* moving test pattern with counter + send time */
	PEER_VSRC_Y4M,	   /* opts.video_path, looped at its end */
	PEER_VSRC_V4L2,	   /* opts.video_path, e.g. /dev/video0 */
};

enum peer_audio_src {
	PEER_ASRC_NONE = 0,
	PEER_ASRC_TONE, /* 440 Hz sine */
	PEER_ASRC_WAV,	/* opts.audio_path, 16-bit PCM, looped */
	PEER_ASRC_ALSA, /* opts.audio_path, e.g. "default"; only if built */
};

enum peer_video_sink {
	PEER_VSINK_COUNT = 0, /* decode and count only */
	PEER_VSINK_Y4M,	      /* decoded I420 to opts.video_out */
	PEER_VSINK_IVF,	      /* received VP8 frames, undecoded, to video_out */
};

enum peer_audio_sink {
	PEER_ASINK_COUNT = 0, /* decode and count only */
	PEER_ASINK_WAV,	      /* decoded 48 kHz stereo s16 to opts.audio_out */
	PEER_ASINK_OGG,	      /* received Opus packets to an Ogg Opus file */
};

/* Options, copied by peer_media_new(); strings are copied too.
 * Zero values take the default in brackets. */
struct peer_media_opts {
	enum peer_video_src video_src;
	const char *video_path;
	unsigned width;	 /* [640] pattern/V4L2; Y4M takes its own */
	unsigned height; /* [480] */
	unsigned fps;	 /* [30] */
	unsigned
	    video_bitrate;  /* bits/s, the ceiling REMB moves under [1000000] */
	unsigned vp8_speed; /* 1-16, vp8_enc_set_speed() [VP8_SPEED_DEFAULT] */
	enum peer_audio_src audio_src;
	const char *audio_path;
	unsigned audio_bitrate; /* bits/s [32000] */
	enum peer_video_sink video_sink;
	const char *video_out;
	enum peer_audio_sink audio_sink;
	const char *audio_out;
	/* Where plaintext RTP/RTCP goes: the call half protects it with SRTP
	 * and sends it on the selected ICE pair. pkt is valid only during the
	 * call. Return value ignored (a lost packet is the network's). */
	void (*send)(void *arg, const uint8_t *pkt, size_t len, bool is_rtcp);
	void *send_arg;
	/* Optional: called once when a source fails for good (a camera
	 * unplugged mid-call, an unreadable file); why is a sentence. Media
	 * then keeps sending what it still can (the other stream). */
	void (*on_error)(void *arg, const char *why);
	void *error_arg;
	/* Optional: the system calls V4L2 capture goes through (src_v4l2.h);
	 * NULL is libv4l2. Tests pass a fake camera here. */
	const struct v4l2_io *v4l2_io;
};

/* rtcp-fb negotiated for a stream (RFC 4585, RFC 5104, goog-remb). */
#define PEER_FB_NACK	     0x01u /* a=rtcp-fb:PT nack */
#define PEER_FB_PLI	     0x02u /* a=rtcp-fb:PT nack pli */
#define PEER_FB_FIR	     0x04u /* a=rtcp-fb:PT ccm fir */
#define PEER_FB_REMB	     0x08u /* a=rtcp-fb:PT goog-remb */
#define PEER_FB_TRANSPORT_CC 0x10u /* negotiated but not used: REMB only */

/* One direction of the negotiated session. A PT of 0 or an SSRC of 0 with
 * the matching *_on false means that stream is off in that direction
 * (m-line rejected or inactive/recvonly/sendonly). For recv params, an SSRC
 * of 0 with the stream on means "learn it from the first packet of that
 * PT" (Chromium's answers with a=ssrc omitted, unsignalled streams). */
struct peer_media_params {
	bool video_on;
	uint8_t vp8_pt;	     /* dynamic PT of VP8/90000 */
	uint32_t video_ssrc; /* send: ours (pick random); recv: theirs or 0 */
	unsigned video_fb;   /* PEER_FB_* */
	bool audio_on;
	uint8_t opus_pt; /* dynamic PT of opus/48000/2 */
	uint32_t audio_ssrc;
	unsigned audio_fb;
	bool opus_fec;	/* fmtp useinbandfec=1 */
	char cname[64]; /* send: our CNAME (a=ssrc:N cname:), NUL-terminated */
};

/* Create a pipeline on base. Opens sources and sinks now, so a missing
 * camera or file fails here (EINVAL bad opts, ENOENT/EBUSY/EIO for a
 * device, with a sentence logged via opts->on_error if set). Nothing is
 * sent until peer_media_start(). On success *mp is set and owned by the
 * caller (peer_media_free). */
int peer_media_new(struct peer_media **mp, struct event_base *base,
		   const struct peer_media_opts *opts);

/* Set what we send (our SSRCs, the PTs the answer settled, CNAME, which
 * feedback the far end understands). Before start, or again on a
 * re-offer (SSRCs kept, PTs may change). 0 or EINVAL. */
int peer_media_set_send(struct peer_media *m,
			const struct peer_media_params *p);
/* Set what we expect to receive. Same rules as set_send. */
int peer_media_set_recv(struct peer_media *m,
			const struct peer_media_params *p);

/* Start capture, encoding and RTCP timers; the first video frame sent is a
 * keyframe. Call when DTLS-SRTP is up. 0, EINVAL (params not set) or an
 * errno from the source. */
int peer_media_start(struct peer_media *m);
/* Send RTCP BYE, stop capture and timers; sinks are flushed (files stay
 * valid). Restartable with peer_media_start(). */
void peer_media_stop(struct peer_media *m);
/* Stop if running, close sources and sinks, free. Accepts NULL. */
void peer_media_free(struct peer_media *m);

/* One plaintext RTP or RTCP packet from the far end (after SRTP unprotect;
 * the call half has already routed DTLS/STUN elsewhere). now_us is a
 * monotonic clock in microseconds (peer_clock_us(), the one the media
 * timers use). Malformed packets are dropped and
 * counted in stats.rx_malformed; returns 0 or EBADMSG for the caller's
 * own counters, nothing to act on. */
int peer_media_input(struct peer_media *m, const uint8_t *pkt, size_t len,
		     uint64_t now_us);

/* RFC 5761 section 4: with rtcp-mux, a packet whose second byte's low 7
 * bits (the RTP PT position) are 64-95 is RTCP (RTCP types 192-223).
 * Checks the version too: false for anything not starting with 10b. */
bool peer_is_rtcp(const uint8_t *pkt, size_t len);

/* Force a keyframe on the next video frame (e.g. the call half saw a
 * re-offer). Harmless when not running. */
void peer_media_keyframe(struct peer_media *m);

struct peer_media_stats {
	/* send side */
	uint64_t frames_captured;
	uint64_t frames_encoded;
	uint64_t keyframes_sent;
	uint64_t video_packets_sent;
	uint64_t audio_packets_sent;
	uint64_t bytes_sent;		/* RTP payload + header, both streams */
	uint64_t nacks_received;	/* NACKed seqs asked by far end */
	uint64_t packets_retransmitted; /* resent from history */
	uint64_t plis_received, firs_received;
	unsigned target_bitrate; /* what the encoder runs at now (REMB) */
	unsigned opus_loss_pct;	 /* the loss Opus FEC is sized for [10] */
	unsigned remb_bitrate;	 /* last REMB from the far end, 0 none */
	double rtt_ms;	    /* from RR LSR/DLSR (RFC 3550 6.4.1), <0 none */
	double remote_loss; /* fraction lost the far end reports, 0..1 */
	double remote_jitter_ms; /* interarrival jitter the far end reports */
	/* receive side */
	uint64_t video_packets_received;
	uint64_t audio_packets_received;
	uint64_t bytes_received;
	uint64_t packets_lost; /* expected - received (RFC 3550 A.3) */
	uint64_t nacks_sent;   /* seqs we NACKed */
	uint64_t plis_sent, firs_sent;
	uint64_t frames_received; /* complete VP8 frames out of the jbuf */
	uint64_t frames_decoded;
	uint64_t keyframes_received;
	uint64_t decode_errors;
	unsigned width_received, height_received; /* last decoded frame */
	uint64_t audio_frames_decoded;		  /* Opus packets decoded */
	double jitter_ms;   /* our interarrival jitter of the video stream */
	unsigned remb_sent; /* our last REMB (bwe.h), 0 none */
	uint64_t rx_malformed;
	/* test pattern read back from decoded frames (receiver) */
	uint64_t pattern_frames;       /* frames whose counter could be read */
	uint64_t pattern_order_errors; /* counter went backwards or repeated */
	uint64_t pattern_gaps;	       /* counters skipped (frames lost) */
	uint32_t pattern_last;	       /* last counter read */
	double pattern_latency_ms;     /* last (now - send time in pixels) */
	double pattern_latency_avg_ms; /* mean over pattern_frames */
	/* bit rates over the last second, bits/s */
	double bitrate_out;
	double bitrate_in;
};

/* Fill *st with a snapshot. now_us as for peer_media_input (rates). */
void peer_media_stats(const struct peer_media *m, struct peer_media_stats *st,
		      uint64_t now_us);

/* The monotonic microsecond clock (CLOCK_MONOTONIC) the media timers use;
 * the call half passes it as now_us. (The test pattern's send time is
 * CLOCK_REALTIME milliseconds, so two processes on one host read each
 * other's latency.) */
uint64_t peer_clock_us(void);

#endif
