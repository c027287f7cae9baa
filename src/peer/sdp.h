/*
 * sdp.h — SDP (RFC 8866) as WebRTC writes it (JSEP, RFC 8829): a parser
 * into a fixed struct, an answer built from an offer, an offer of our own,
 * and the writer. Pure: text in, struct out; no socket, clock or log.
 *
 *   v=0
 *   o=- 4611731400430051336 2 IN IP4 127.0.0.1
 *   s=-
 *   t=0 0
 *   a=group:BUNDLE 0 1              one transport for the listed mids
 *   a=msid-semantic: WMS stream
 *   m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
 *   c=IN IP4 0.0.0.0
 *   a=ice-ufrag:Vt3Q / a=ice-pwd:...   (session or media level)
 *   a=ice-options:trickle
 *   a=fingerprint:sha-256 AB:CD:...    (session or media level)
 *   a=setup:actpass                    (actpass | active | passive)
 *   a=mid:0
 *   a=sendrecv / a=msid:stream track
 *   a=rtcp-mux
 *   a=rtpmap:111 opus/48000/2
 *   a=rtcp-fb:111 transport-cc
 *   a=fmtp:111 minptime=10;useinbandfec=1
 *   a=ssrc:1234 cname:abc
 *   a=candidate:... / a=end-of-candidates
 *
 * What tern-peer implements, and so offers or accepts: one audio m-line
 * with Opus and one video m-line with VP8, bundled, rtcp-mux, DTLS-SRTP.
 * Anything else offered to it (a data channel, a second video, H.264
 * only) is answered with port 0 (RFC 8829 §5.3.1: rejected).
 */
#ifndef TERN_PEER_SDP_H
#define TERN_PEER_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MEDIA_MAX 16
#define SDP_CODEC_MAX 32
#define SDP_FB_MAX    8
#define SDP_CAND_MAX  32
#define SDP_SSRC_MAX  8
#define SDP_LINE_MAX  256 /* one candidate line, without "a=" */
#define SDP_TOKEN_MAX 128 /* mid, ufrag, cname, msid, fmtp... */
#define SDP_FP_MAX    128 /* "AB:CD:..." of a SHA-256: 95 chars */

enum sdp_setup {
	SDP_SETUP_NONE = 0,
	SDP_SETUP_ACTPASS,
	SDP_SETUP_ACTIVE,
	SDP_SETUP_PASSIVE,
};

enum sdp_dir {
	SDP_DIR_SENDRECV = 0, /* the default (RFC 8866 §6.7) */
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

enum sdp_kind {
	SDP_KIND_OTHER = 0,
	SDP_KIND_AUDIO,
	SDP_KIND_VIDEO,
	SDP_KIND_APPLICATION,
};

/* One payload type of an m-line: a=rtpmap, a=fmtp, a=rtcp-fb. */
struct sdp_codec {
	uint8_t pt;
	char name[32]; /* "opus", "VP8", "rtx" */
	uint32_t clock;
	uint8_t channels; /* 0 when not given */
	char fmtp[SDP_TOKEN_MAX];
	char fb[SDP_FB_MAX]
	       [32]; /* "nack", "nack pli", "ccm fir", "goog-remb" */
	size_t n_fb;
};

struct sdp_ssrc {
	uint32_t ssrc;
	char cname[SDP_TOKEN_MAX];
};

struct sdp_media {
	enum sdp_kind kind;
	char kind_name[16];
	uint16_t port;
	char proto[32];
	char fmts[SDP_TOKEN_MAX]; /* the format list as written */
	char mid[SDP_TOKEN_MAX];
	enum sdp_dir dir;
	bool rtcp_mux;
	bool end_of_candidates;
	/* Media-level values; sdp_parse fills them from the session level
	 * when the m-line has none (RFC 8839 §5.4, RFC 8122 §5). */
	char ufrag[SDP_TOKEN_MAX], pwd[SDP_TOKEN_MAX];
	char fp_alg[16];
	char fp[SDP_FP_MAX];
	enum sdp_setup setup;
	bool trickle; /* a=ice-options:trickle */
	char msid[SDP_TOKEN_MAX];
	struct sdp_codec codecs[SDP_CODEC_MAX];
	size_t n_codecs;
	struct sdp_ssrc ssrcs[SDP_SSRC_MAX];
	size_t n_ssrcs;
	char cands[SDP_CAND_MAX][SDP_LINE_MAX]; /* "candidate:..." */
	size_t n_cands;
};

struct sdp {
	uint64_t sess_id, sess_version;
	char bundle[SDP_MEDIA_MAX][SDP_TOKEN_MAX]; /* mids of a=group:BUNDLE */
	size_t n_bundle;
	struct sdp_media m[SDP_MEDIA_MAX];
	size_t n_m;
};

/*
 * Parse text (len bytes, NUL not needed; lines end in CRLF or LF). Unknown
 * lines and attributes are skipped; values longer than their field are
 * truncated. Returns 0, or EBADMSG with a sentence in why: no v=0 first,
 * an m-line that does not parse, more than SDP_MEDIA_MAX m-lines. *s is
 * the caller's (large: allocate it).
 */
int sdp_parse(struct sdp *s, const char *text, size_t len, char *why,
	      size_t why_size);

/* The first codec of m named name (case-insensitive) at clock, or NULL. */
const struct sdp_codec *sdp_codec_find(const struct sdp_media *m,
				       const char *name, uint32_t clock);

/* Whether codec c lists rtcp-fb value fb ("nack", "nack pli"...). */
bool sdp_codec_has_fb(const struct sdp_codec *c, const char *fb);

/* What we put in our own description. */
struct sdp_local {
	uint64_t sess_id, sess_version;
	const char *ufrag, *pwd;
	const char *fingerprint; /* "AB:CD:..." (SHA-256) */
	enum sdp_setup setup;	 /* for an offer: ACTPASS */
	const char *cname;	 /* a=ssrc cname */
	const char *stream;	 /* msid stream id */
	uint32_t audio_ssrc, video_ssrc;
	bool audio, video; /* what we send (and receive) */
	bool recv_only;	   /* we have nothing to send */
	/* Candidate lines ("candidate:..."), written into every bundled
	 * m-line; end_of_candidates adds a=end-of-candidates. */
	const char *const *cands;
	size_t n_cands;
	bool end_of_candidates;
};

/* What an offer/answer exchange settled on. */
struct sdp_result {
	int audio_index, video_index; /* m-line index, -1: none */
	uint8_t audio_pt, video_pt;
	bool video_nack, video_pli, video_fir, video_remb, audio_fec;
	uint32_t remote_audio_ssrc, remote_video_ssrc; /* 0 when not given */
	bool audio_send, audio_recv, video_send, video_recv;
	enum sdp_setup remote_setup;
	const struct sdp_media *transport; /* the bundled m-line */
};

/*
 * Build our answer to offer into out (size bytes, NUL-terminated) and fill
 * *res. Accepts the first audio m-line offering opus/48000/2 and the first
 * video m-line offering VP8/90000 when local wants them; everything else
 * gets port 0. Our setup: ACTIVE when the offer says actpass or passive,
 * PASSIVE when it says active (RFC 8842 §5.3), unless local->setup is
 * already ACTIVE or PASSIVE (a renegotiation keeps the role). Returns 0,
 * ENOSPC (out too small), or EPROTO with a sentence in why: nothing
 * acceptable, no BUNDLE or rtcp-mux on what would be accepted, no
 * fingerprint, no ICE credentials.
 */
int sdp_answer(const struct sdp *offer, const struct sdp_local *local,
	       char *out, size_t size, struct sdp_result *res, char *why,
	       size_t why_size);

/* Write our offer: audio (mid 0, Opus PT 111) and video (mid 1, VP8 PT 96)
 * as local asks, bundled, setup actpass. Returns 0 or ENOSPC. */
int sdp_offer(const struct sdp_local *local, char *out, size_t size);

/*
 * Read the answer to the offer sdp_offer wrote. Returns 0 or EPROTO with
 * a sentence in why (no acceptable m-line, port 0 on everything, setup
 * actpass in an answer, no fingerprint or ICE credentials).
 */
int sdp_read_answer(const struct sdp *answer, struct sdp_result *res, char *why,
		    size_t why_size);

const char *sdp_setup_name(enum sdp_setup s);

#endif
