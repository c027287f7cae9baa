/* rtp.c — RTP header (RFC 3550 5.1), RFC 5761 demultiplexing, and the VP8
 * payload descriptor (RFC 7741 4.2). */
#include <errno.h>
#include <string.h>

#include "base/cursor.h"
#include "peer/media.h"
#include "peer/rtp.h"

int rtp_parse(struct rtp_hdr *h, const uint8_t *pkt, size_t len)
{
	size_t hlen, pad = 0;
	unsigned cc;

	if (len < RTP_HDR_LEN || (pkt[0] >> 6) != 2)
		return EBADMSG;
	cc = pkt[0] & 0x0f;
	hlen = RTP_HDR_LEN + 4 * cc;
	if (pkt[0] & 0x10) { /* X: 16-bit profile, 16-bit length in words */
		if (len < hlen + 4)
			return EBADMSG;
		hlen += 4 + 4 * (size_t)get_be16(pkt + hlen + 2);
	}
	if (pkt[0] & 0x20) { /* P: last byte counts the padding */
		pad = pkt[len - 1];
		if (pad == 0)
			return EBADMSG;
	}
	/* An empty payload is legal: padding-only packets (Chromium probes
	 * bandwidth with them on the media SSRC when RTX is off). */
	if (len < hlen + pad)
		return EBADMSG;
	h->marker = pkt[1] & 0x80;
	h->pt = pkt[1] & 0x7f;
	h->seq = get_be16(pkt + 2);
	h->ts = get_be32(pkt + 4);
	h->ssrc = get_be32(pkt + 8);
	h->payload = pkt + hlen;
	h->plen = len - hlen - pad;
	return 0;
}

size_t rtp_write_hdr(uint8_t *buf, size_t cap, bool marker, uint8_t pt,
		     uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	if (cap < RTP_HDR_LEN)
		return 0;
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	put_be16(buf + 2, seq);
	put_be32(buf + 4, ts);
	put_be32(buf + 8, ssrc);
	return RTP_HDR_LEN;
}

/* RFC 5761 4: RTCP packet types 192-223 sit where RTP would carry a
 * marker bit and PT 64-95, which RTP/AVP dynamic PTs must avoid. */
bool peer_is_rtcp(const uint8_t *pkt, size_t len)
{
	uint8_t pt;

	if (len < 4 || (pkt[0] >> 6) != 2)
		return false;
	pt = pkt[1] & 0x7f;
	return pt >= 64 && pt <= 95;
}

int vp8_desc_parse(struct vp8_desc *d, const uint8_t *p, size_t len)
{
	struct cur c = cur_make(p, len);
	uint8_t b, x = 0, m;

	memset(d, 0, sizeof(*d));
	if (!cur_u8(&c, &b))
		return EBADMSG;
	d->start = b & 0x10;
	d->pid = b & 0x07;
	if ((b & 0x80) && !cur_u8(&c, &x))
		return EBADMSG;
	if (x & 0x80) { /* I: PictureID, M bit picks 15 bits */
		if (!cur_u8(&c, &m))
			return EBADMSG;
		d->has_picid = true;
		d->picid = m & 0x7f;
		if (m & 0x80) {
			if (!cur_u8(&c, &b))
				return EBADMSG;
			d->picid = (uint16_t)((d->picid << 8) | b);
		}
	}
	if ((x & 0x40) && !cur_skip(&c, 1)) /* L: TL0PICIDX */
		return EBADMSG;
	if ((x & 0x30) && !cur_skip(&c, 1)) /* T or K: TID/Y/KEYIDX */
		return EBADMSG;
	if (cur_left(&c) == 0)
		return EBADMSG;
	d->data = c.pos;
	d->len = cur_left(&c);
	d->keyframe = d->start && d->pid == 0 && !(d->data[0] & 1);
	return 0;
}

/* Every packet carries X=1, I=1 and a 15-bit PictureID (Chromium's
 * shape); S and PID 0 on the first only (one partition per frame). */
size_t vp8_packetize(const uint8_t *frame, size_t flen, size_t *off,
		     uint16_t picid, size_t mtu, uint8_t *out, size_t cap)
{
	size_t n, left = flen - *off;
	size_t room = (mtu < cap ? mtu : cap);
	size_t parts, each;

	if (*off >= flen || room <= 4)
		return 0;
	room -= 4;
	/* Even sizes: split the frame in equal parts rather than full
	 * packets and a runt at the end. */
	parts = (flen + room - 1) / room;
	each = (flen + parts - 1) / parts;
	n = left < each ? left : each;
	out[0] = (uint8_t)(0x80 | (*off == 0 ? 0x10 : 0));
	out[1] = 0x80;
	out[2] = (uint8_t)(0x80 | ((picid >> 8) & 0x7f));
	out[3] = (uint8_t)picid;
	memcpy(out + 4, frame + *off, n);
	*off += n;
	return n + 4;
}
