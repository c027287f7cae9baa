/*
 * chdata.c — ChannelData messages (RFC 8656 §12.4, §12.5), stream framing
 * of STUN and ChannelData (RFC 8489 §6.2.2, RFC 8656 §12.5), and first-byte
 * demultiplexing (RFC 7983, RFC 9443).
 */
#include "stun/stun.h"

#include <errno.h>

#include "base/cursor.h"

int stun_chdata_decode(const uint8_t *buf, size_t len, uint16_t *ch,
		       const uint8_t **data, size_t *dlen)
{
	uint16_t num, n;

	if (!buf || !ch || !data || !dlen)
		return EINVAL;
	if (len < STUN_CHDATA_HDR)
		return EBADMSG;
	num = get_be16(buf);
	/* RFC 8656 §12: 0x4000-0x7FFF is the channel space (the first two
	 * bits 01); which part of it may be bound is TURN's to decide. */
	if (num < 0x4000 || num > 0x7FFF)
		return EBADMSG;
	n = get_be16(buf + 2);
	/* §12.4: over UDP the datagram may be longer than the data (padding
	 * is allowed but not required), never shorter. */
	if ((size_t)n > len - STUN_CHDATA_HDR)
		return EBADMSG;
	*ch = num;
	*data = buf + STUN_CHDATA_HDR;
	*dlen = n;
	return 0;
}

void stun_chdata_header(uint8_t hdr[STUN_CHDATA_HDR], uint16_t ch,
			uint16_t dlen)
{
	put_be16(hdr, ch);
	put_be16(hdr + 2, dlen);
}

int stun_frame_len_flags(const uint8_t *buf, size_t avail, size_t *frame,
			 unsigned flags)
{
	uint8_t last = flags & STUN_FRAME_RFC5766 ? 0x7F : 0x4F;
	uint8_t first;
	uint16_t n;

	if (!buf || !frame)
		return EINVAL;
	if (avail == 0)
		return EAGAIN;
	first = buf[0];
	/* RFC 8489 §6.2.2, RFC 8656 §12.5: a TURN stream carries STUN
	 * (0-3) and ChannelData: 0x4000-0x4FFF (RFC 8656 §12), or up to
	 * 0x7FFF for RFC 5766 clients when the server accepts those. Anything
	 * else is garbage, known as soon as the first byte is in: an HTTP
	 * request ('P' = 0x50) must not wait for a frame timeout. */
	if (first > 3 && (first < 0x40 || first > last))
		return EBADMSG;
	if (avail < 4)
		return EAGAIN;
	n = get_be16(buf + 2);
	if (first <= 3) {
		/* RFC 8489 §5: the length of a STUN message is a multiple
		 * of 4; §6.2.2: that is how a stream finds its end. */
		if (n & 3u)
			return EBADMSG;
		*frame = STUN_HEADER_SIZE + (size_t)n;
		return 0;
	}
	/* RFC 8656 §12.5: over a stream ChannelData is padded to 4. */
	*frame = STUN_CHDATA_HDR + (size_t)n + stun_chdata_stream_pad(n);
	return 0;
}

int stun_frame_len(const uint8_t *buf, size_t avail, size_t *frame)
{
	return stun_frame_len_flags(buf, avail, frame, 0);
}

enum stun_demux stun_demux(uint8_t first)
{
	/* RFC 9443 §3:
	 *   0..3 STUN, 16..19 ZRTP, 20..63 DTLS, 64..79 TURN channel,
	 *   128..191 RTP/RTCP, 80..127 and 192..255 QUIC. */
	if (first <= 3)
		return STUN_DEMUX_STUN;
	if (first >= 16 && first <= 19)
		return STUN_DEMUX_ZRTP;
	if (first >= 20 && first <= 63)
		return STUN_DEMUX_DTLS;
	if (first >= 64 && first <= 79)
		return STUN_DEMUX_CHANNEL;
	if (first >= 128 && first <= 191)
		return STUN_DEMUX_RTP;
	if (first >= 80)
		return STUN_DEMUX_QUIC;
	return STUN_DEMUX_UNKNOWN;
}
