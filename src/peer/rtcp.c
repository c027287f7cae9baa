/* rtcp.c — RTCP compound packets: SR, RR, SDES CNAME, BYE (RFC 3550 6.4),
 * generic NACK (RFC 4585 6.2.1), PLI (RFC 4585 6.3.1), FIR (RFC 5104
 * 4.3.1) and REMB (draft-alvestrand-rmcat-remb-03 2.2). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "base/cursor.h"
#include "peer/rtp.h"

static void read_rb(struct rtcp_rb *rb, const uint8_t *p)
{
	uint32_t lost = ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];

	rb->ssrc = get_be32(p);
	rb->fraction = p[4];
	/* 24-bit two's complement */
	rb->lost =
	    (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
	rb->ext_max = get_be32(p + 8);
	rb->jitter = get_be32(p + 12);
	rb->lsr = get_be32(p + 16);
	rb->dlsr = get_be32(p + 20);
}

static int parse_reports(struct rtcp_msg *m, const uint8_t *p, size_t len)
{
	unsigned i;

	if ((size_t)m->count * 24 > len)
		return EBADMSG;
	m->n_rb = m->count;
	for (i = 0; i < m->count; i++)
		read_rb(&m->rb[i], p + 24 * i);
	return 0;
}

static int parse_body(struct rtcp_msg *m)
{
	const uint8_t *p = m->body;

	switch (m->type) {
	case RTCP_SR:
		if (m->blen < 24)
			return EBADMSG;
		m->ssrc = get_be32(p);
		m->ntp = ((uint64_t)get_be32(p + 4) << 32) | get_be32(p + 8);
		m->rtp_ts = get_be32(p + 12);
		m->pkt_count = get_be32(p + 16);
		m->octet_count = get_be32(p + 20);
		return parse_reports(m, p + 24, m->blen - 24);
	case RTCP_RR:
		if (m->blen < 4)
			return EBADMSG;
		m->ssrc = get_be32(p);
		return parse_reports(m, p + 4, m->blen - 4);
	case RTCP_RTPFB:
	case RTCP_PSFB:
		if (m->blen < 8)
			return EBADMSG;
		m->ssrc = get_be32(p);
		m->media_ssrc = get_be32(p + 4);
		m->fci = p + 8;
		m->fci_len = m->blen - 8;
		return 0;
	default:
		return 0;
	}
}

int rtcp_next(const uint8_t *pkt, size_t len, size_t *off, struct rtcp_msg *m)
{
	const uint8_t *p = pkt + *off;
	size_t left, plen, pad = 0;

	if (*off >= len)
		return ENOENT;
	left = len - *off;
	if (left < 4 || (p[0] >> 6) != 2)
		return EBADMSG;
	plen = 4 * ((size_t)get_be16(p + 2) + 1);
	if (plen > left)
		return EBADMSG;
	/* RFC 3550 6.4.1: padding only on the last packet of a compound */
	if (p[0] & 0x20) {
		pad = p[plen - 1];
		if (pad == 0 || pad > plen - 4 || plen != left)
			return EBADMSG;
	}
	memset(m, 0, offsetof(struct rtcp_msg, rb));
	m->n_rb = 0;
	m->media_ssrc = 0;
	m->fci = NULL;
	m->fci_len = 0;
	m->type = p[1];
	m->count = p[0] & 0x1f;
	m->body = p + 4;
	m->blen = plen - 4 - pad;
	if (parse_body(m))
		return EBADMSG;
	*off += plen;
	return 0;
}

size_t rtcp_nack_seqs(const uint8_t *fci, size_t len, uint16_t *out, size_t max)
{
	size_t n = 0, i;
	unsigned b;

	for (i = 0; i + 4 <= len; i += 4) {
		uint16_t pid = get_be16(fci + i), blp = get_be16(fci + i + 2);

		if (n < max)
			out[n++] = pid;
		for (b = 0; b < 16; b++)
			if ((blp >> b) & 1 && n < max)
				out[n++] = (uint16_t)(pid + b + 1);
	}
	return n;
}

bool rtcp_fir_find(const uint8_t *fci, size_t len, uint32_t ssrc,
		   uint8_t *seqnr)
{
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		if (get_be32(fci + i) == ssrc) {
			*seqnr = fci[i + 4];
			return true;
		}
	}
	return false;
}

bool rtcp_remb_parse(const uint8_t *fci, size_t len, uint64_t *bps)
{
	unsigned num, exp;
	uint32_t mant;

	if (len < 8 || memcmp(fci, "REMB", 4) != 0)
		return false;
	num = fci[4];
	if (len < 8 + 4 * (size_t)num)
		return false;
	exp = fci[5] >> 2;
	mant =
	    ((uint32_t)(fci[5] & 3) << 16) | ((uint32_t)fci[6] << 8) | fci[7];
	/* 18-bit mantissa shifted by up to 63 would overflow 64 bits */
	if (exp > 46)
		return false;
	*bps = (uint64_t)mant << exp;
	return true;
}

/* ---- builders ---- */

static uint8_t *put_hdr(uint8_t *buf, size_t cap, size_t *len, size_t plen,
			uint8_t count, uint8_t type)
{
	uint8_t *p;

	if (plen % 4 || cap < *len || cap - *len < plen)
		return NULL;
	p = buf + *len;
	memset(p, 0, plen);
	p[0] = (uint8_t)(0x80 | (count & 0x1f));
	p[1] = type;
	put_be16(p + 2, (uint16_t)(plen / 4 - 1));
	*len += plen;
	return p;
}

static void write_rb(uint8_t *p, const struct rtcp_rb *rb)
{
	uint32_t lost = (uint32_t)rb->lost & 0xffffff;

	/* clamp to the 24-bit signed range (RFC 3550 A.3) */
	if (rb->lost > 0x7fffff)
		lost = 0x7fffff;
	else if (rb->lost < -0x800000)
		lost = 0x800000;
	put_be32(p, rb->ssrc);
	p[4] = rb->fraction;
	p[5] = (uint8_t)(lost >> 16);
	p[6] = (uint8_t)(lost >> 8);
	p[7] = (uint8_t)lost;
	put_be32(p + 8, rb->ext_max);
	put_be32(p + 12, rb->jitter);
	put_be32(p + 16, rb->lsr);
	put_be32(p + 20, rb->dlsr);
}

bool rtcp_put_sr(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
		 uint64_t ntp, uint32_t rtp_ts, uint32_t pkts, uint32_t octets,
		 const struct rtcp_rb *rb, unsigned n_rb)
{
	uint8_t *p;
	unsigned i;

	if (n_rb > RTCP_MAX_RB)
		return false;
	p = put_hdr(buf, cap, len, 28 + 24 * (size_t)n_rb, (uint8_t)n_rb,
		    RTCP_SR);
	if (!p)
		return false;
	put_be32(p + 4, ssrc);
	put_be32(p + 8, (uint32_t)(ntp >> 32));
	put_be32(p + 12, (uint32_t)ntp);
	put_be32(p + 16, rtp_ts);
	put_be32(p + 20, pkts);
	put_be32(p + 24, octets);
	for (i = 0; i < n_rb; i++)
		write_rb(p + 28 + 24 * i, &rb[i]);
	return true;
}

bool rtcp_put_rr(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
		 const struct rtcp_rb *rb, unsigned n_rb)
{
	uint8_t *p;
	unsigned i;

	if (n_rb > RTCP_MAX_RB)
		return false;
	p = put_hdr(buf, cap, len, 8 + 24 * (size_t)n_rb, (uint8_t)n_rb,
		    RTCP_RR);
	if (!p)
		return false;
	put_be32(p + 4, ssrc);
	for (i = 0; i < n_rb; i++)
		write_rb(p + 8 + 24 * i, &rb[i]);
	return true;
}

/* SDES (RFC 3550 6.5): one chunk, CNAME item, END, padded to a word. */
bool rtcp_put_sdes_cname(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
			 const char *cname)
{
	size_t n = strlen(cname), plen;
	uint8_t *p;

	if (n > 255)
		return false;
	plen = (4 + 4 + 2 + n + 1 + 3) & ~(size_t)3;
	p = put_hdr(buf, cap, len, plen, 1, RTCP_SDES);
	if (!p)
		return false;
	put_be32(p + 4, ssrc);
	p[8] = 1; /* CNAME */
	p[9] = (uint8_t)n;
	memcpy(p + 10, cname, n);
	return true;
}

bool rtcp_put_bye(uint8_t *buf, size_t cap, size_t *len, const uint32_t *ssrcs,
		  unsigned n)
{
	uint8_t *p;
	unsigned i;

	if (n > 31)
		return false;
	p = put_hdr(buf, cap, len, 4 + 4 * (size_t)n, (uint8_t)n, RTCP_BYE);
	if (!p)
		return false;
	for (i = 0; i < n; i++)
		put_be32(p + 4 + 4 * i, ssrcs[i]);
	return true;
}

static uint8_t *put_fb(uint8_t *buf, size_t cap, size_t *len, size_t fci,
		       uint8_t fmt, uint8_t type, uint32_t ssrc, uint32_t media)
{
	uint8_t *p = put_hdr(buf, cap, len, 12 + fci, fmt, type);

	if (p) {
		put_be32(p + 4, ssrc);
		put_be32(p + 8, media);
	}
	return p;
}

/* Pack seqs into PID+BLP words: each PID covers itself and the 16 after. */
static size_t nack_pack(const uint16_t *seqs, size_t n, uint8_t *out,
			size_t max_words)
{
	bool used[64] = { false };
	size_t w = 0, i, j;

	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++) {
		uint16_t pid = seqs[i], blp = 0;

		if (used[i])
			continue;
		/* the lowest unpacked seq in serial order starts a word */
		for (j = 0; j < n; j++)
			if (!used[j] && rtp_seq_diff(seqs[j], pid) < 0)
				pid = seqs[j];
		for (j = 0; j < n; j++) {
			int16_t d = rtp_seq_diff(seqs[j], pid);

			if (used[j] || d < 0 || d > 16)
				continue;
			used[j] = true;
			if (d > 0)
				blp |= (uint16_t)(1u << (d - 1));
		}
		if (w == max_words)
			break;
		put_be16(out + 4 * w, pid);
		put_be16(out + 4 * w + 2, blp);
		w++;
		i = (size_t)-1; /* rescan from the start */
	}
	return w;
}

bool rtcp_put_nack(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
		   uint32_t media_ssrc, const uint16_t *seqs, size_t n)
{
	uint8_t words[4 * 64];
	size_t w = nack_pack(seqs, n, words, 64);
	uint8_t *p;

	if (w == 0)
		return false;
	p = put_fb(buf, cap, len, 4 * w, RTCP_FMT_NACK, RTCP_RTPFB, ssrc,
		   media_ssrc);
	if (!p)
		return false;
	memcpy(p + 12, words, 4 * w);
	return true;
}

bool rtcp_put_pli(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
		  uint32_t media_ssrc)
{
	return put_fb(buf, cap, len, 0, RTCP_FMT_PLI, RTCP_PSFB, ssrc,
		      media_ssrc) != NULL;
}

/* RFC 5104 4.3.1.2: media source SSRC of the common part is 0; the FCI
 * names the SSRC and a command sequence number. */
bool rtcp_put_fir(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
		  uint32_t media_ssrc, uint8_t seqnr)
{
	uint8_t *p = put_fb(buf, cap, len, 8, RTCP_FMT_FIR, RTCP_PSFB, ssrc, 0);

	if (!p)
		return false;
	put_be32(p + 12, media_ssrc);
	p[16] = seqnr;
	return true;
}

bool rtcp_put_remb(uint8_t *buf, size_t cap, size_t *len, uint32_t ssrc,
		   uint64_t bps, const uint32_t *ssrcs, unsigned n)
{
	unsigned exp = 0, i;
	uint8_t *p;

	if (n > 255)
		return false;
	while ((bps >> exp) > 0x3ffff)
		exp++;
	p = put_fb(buf, cap, len, 8 + 4 * (size_t)n, RTCP_FMT_AFB, RTCP_PSFB,
		   ssrc, 0);
	if (!p)
		return false;
	memcpy(p + 12, "REMB", 4);
	p[16] = (uint8_t)n;
	p[17] = (uint8_t)((exp << 2) | ((bps >> exp) >> 16 & 3));
	put_be16(p + 18, (uint16_t)(bps >> exp));
	for (i = 0; i < n; i++)
		put_be32(p + 20 + 4 * i, ssrcs[i]);
	return true;
}
