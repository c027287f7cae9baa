/* rtp.h — RTP (RFC 3550), RTCP (RFC 3550, RFC 4585, RFC 5104, REMB) and the
 * VP8 payload format (RFC 7741). Pure: bytes in, structs out; no clock, no
 * logging. Builders write into a caller's buffer and return the length, or
 * 0 when it does not fit.
 *
 * RTP fixed header (RFC 3550 section 5.1):
 *    0                   1                   2                   3
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   |                           timestamp                           |
 *   |           synchronization source (SSRC) identifier            |
 *   |            contributing source (CSRC) identifiers (CC)        |
 *   | [extension: 16-bit profile, 16-bit length in words, data]     |
 */
#ifndef TERN_PEER_RTP_H
#define TERN_PEER_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HDR_LEN 12

struct rtp_hdr {
	bool marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	const uint8_t *payload; /* points into the packet */
	size_t plen;		/* payload length, padding removed */
};

/* Parse an RTP packet: CSRCs and a header extension are stepped over,
 * padding removed. 0 or EBADMSG (version not 2, lengths that do not
 * add up). plen may be 0: a padding-only packet still takes a sequence
 * number. */
int rtp_parse(struct rtp_hdr *h, const uint8_t *pkt, size_t len);

/* Write a 12-byte header (no CSRC, no extension) at buf; cap >= 12. */
size_t rtp_write_hdr(uint8_t *buf, size_t cap, bool marker, uint8_t pt,
		     uint16_t seq, uint32_t ts, uint32_t ssrc);

/* Serial arithmetic on 16-bit sequence numbers (RFC 1982). */
static inline int16_t rtp_seq_diff(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(a - b);
}

/* ---- RTCP ---------------------------------------------------------------
 * Common header (RFC 3550 6.4.1):
 *   |V=2|P|  RC/FMT |      PT       |        length (words - 1)     |
 */
enum rtcp_type {
	RTCP_SR = 200,
	RTCP_RR = 201,
	RTCP_SDES = 202,
	RTCP_BYE = 203,
	RTCP_APP = 204,
	RTCP_RTPFB = 205, /* RFC 4585: FMT 1 generic NACK */
	RTCP_PSFB = 206,  /* FMT 1 PLI, FMT 4 FIR (RFC 5104), FMT 15 REMB */
};

#define RTCP_FMT_NACK 1
#define RTCP_FMT_PLI  1
#define RTCP_FMT_FIR  4
#define RTCP_FMT_AFB  15

/* A report block (RFC 3550 6.4.1). */
struct rtcp_rb {
	uint32_t ssrc;
	uint8_t fraction; /* fraction lost, /256 */
	int32_t lost;	  /* cumulative, 24-bit signed */
	uint32_t ext_max; /* extended highest sequence number */
	uint32_t jitter;  /* in timestamp units */
	uint32_t lsr;	  /* middle 32 bits of the last SR's NTP time */
	uint32_t dlsr;	  /* delay since last SR, 1/65536 s */
};

#define RTCP_MAX_RB 31

/* One packet of a compound RTCP packet. */
struct rtcp_msg {
	uint8_t type;  /* enum rtcp_type, or another PT passed through */
	uint8_t count; /* RC, SC or FMT */
	uint32_t ssrc; /* sender SSRC (0 for SDES/BYE: in the body) */
	/* SR only */
	uint64_t ntp;
	uint32_t rtp_ts, pkt_count, octet_count;
	/* SR and RR */
	unsigned n_rb;
	struct rtcp_rb rb[RTCP_MAX_RB];
	/* RTPFB/PSFB: media source SSRC and feedback control information */
	uint32_t media_ssrc;
	const uint8_t *fci;
	size_t fci_len;
	/* the whole body after the 4-byte common header (SDES, BYE, APP) */
	const uint8_t *body;
	size_t blen;
};

/* Step through a compound packet: *off starts at 0. Returns 0 with *m
 * filled and *off advanced, ENOENT at the end, EBADMSG for a malformed
 * sub-packet (then stop: the rest cannot be framed). */
int rtcp_next(const uint8_t *pkt, size_t len, size_t *off, struct rtcp_msg *m);

/* Generic NACK FCI (RFC 4585 6.2.1): PID + BLP pairs expanded to the lost
 * sequence numbers, at most max of them. Returns how many. */
size_t rtcp_nack_seqs(const uint8_t *fci, size_t len, uint16_t *out,
		      size_t max);
/* FIR FCI (RFC 5104 4.3.1.1): the entry for ssrc; true with its seq nr. */
bool rtcp_fir_find(const uint8_t *fci, size_t len, uint32_t ssrc,
		   uint8_t *seqnr);
/* REMB (draft-alvestrand-rmcat-remb): "REMB", num SSRC, exp 6 bits,
 * mantissa 18 bits, SSRCs. true with the bitrate in bits/s. */
bool rtcp_remb_parse(const uint8_t *fci, size_t len, uint64_t *bps);

/* Builders: append to buf[*len..cap); return false (nothing written) if
 * it does not fit. A compound packet is several appends (RFC 3550 6.1:
 * start with SR or RR, include SDES CNAME). */
bool rtcp_put_sr(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
		 uint64_t ntp, uint32_t rtp_ts, uint32_t pkts, uint32_t octets,
		 const struct rtcp_rb *rb, unsigned n_rb);
bool rtcp_put_rr(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
		 const struct rtcp_rb *rb, unsigned n_rb);
bool rtcp_put_sdes_cname(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
			 const char *cname);
bool rtcp_put_bye(uint8_t *buf, size_t cap, size_t *len, const uint32_t *ssrcs,
		  unsigned n);
/* Generic NACK for seqs[0..n) (any order); packs runs into PID+BLP. */
bool rtcp_put_nack(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
		   uint32_t media_ssrc, const uint16_t *seqs, size_t n);
bool rtcp_put_pli(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
		  uint32_t media_ssrc);
bool rtcp_put_fir(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
		  uint32_t media_ssrc, uint8_t seqnr);
bool rtcp_put_remb(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
		   uint64_t bps, const uint32_t *ssrcs, unsigned n);

/* ---- VP8 payload (RFC 7741 section 4.2) ----------------------------------
 *        +-+-+-+-+-+-+-+-+
 *        |X|R|N|S|R| PID | (REQUIRED)
 *   X:   |I|L|T|K| RSV   | (OPTIONAL)
 *   I:   |M| PictureID   | (OPTIONAL, 7 or 15 bits)
 *   L:   |   TL0PICIDX   | (OPTIONAL)
 *   T/K: |TID|Y| KEYIDX  | (OPTIONAL)
 */
struct vp8_desc {
	bool start;  /* S: first packet of a partition */
	uint8_t pid; /* partition index */
	bool has_picid;
	uint16_t picid;	     /* 7 or 15 bits */
	const uint8_t *data; /* VP8 payload after the descriptor */
	size_t len;
	bool keyframe; /* start && pid 0 && P bit of the header clear */
};

/* Parse the descriptor at the front of an RTP payload. 0 or EBADMSG. */
int vp8_desc_parse(struct vp8_desc *d, const uint8_t *p, size_t len);

/* Packetizer: split one encoded frame into payloads of at most mtu
 * bytes (descriptor included) with a 15-bit PictureID; n-th payload is
 * written to out (cap bytes). Returns the payload length, 0 when the
 * frame is done. *off starts at 0. */
size_t vp8_packetize(const uint8_t *frame, size_t flen, size_t *off,
		     uint16_t picid, size_t mtu, uint8_t *out, size_t cap);

/* A VP8 frame header's P bit (RFC 6386 9.1): 0 means keyframe. */
static inline bool vp8_is_keyframe(const uint8_t *f, size_t len)
{
	return len >= 3 && !(f[0] & 1);
}

#endif
