/*
 * test_chdata.c — ChannelData (RFC 8656 §12.4, §12.5), stream framing
 * (RFC 8489 §6.2.2) and first-byte demultiplexing (RFC 7983, RFC 9443).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <string.h>

#include "stun/stun.h"

/* ---- stun_chdata_decode ----------------------------------------------- */

Test(chdata, decode_ok)
{
	static const uint8_t b[] = { 0x40, 0x01, 0x00, 0x03, 'a', 'b', 'c' };
	const uint8_t *data;
	uint16_t ch;
	size_t n;

	cr_assert_eq(stun_chdata_decode(b, sizeof(b), &ch, &data, &n), 0);
	cr_assert_eq(ch, 0x4001);
	cr_assert_eq(n, 3);
	cr_assert_eq(data, b + 4);
}

Test(chdata, decode_empty_data)
{
	static const uint8_t b[] = { 0x4f, 0xff, 0x00, 0x00 };
	const uint8_t *data;
	uint16_t ch;
	size_t n;

	cr_assert_eq(stun_chdata_decode(b, sizeof(b), &ch, &data, &n), 0);
	cr_assert_eq(ch, 0x4fff);
	cr_assert_eq(n, 0);
}

Test(chdata, decode_udp_padding_allowed)
{
	static const uint8_t b[] = { 0x40, 0x00, 0x00, 0x01, 'a', 0, 0, 0 };
	const uint8_t *data;
	uint16_t ch;
	size_t n;

	/* §12.4: over UDP, padding after the data may or may not be there. */
	cr_assert_eq(stun_chdata_decode(b, sizeof(b), &ch, &data, &n), 0);
	cr_assert_eq(n, 1);
}

Test(chdata, decode_too_short)
{
	static const uint8_t b[] = { 0x40, 0x00, 0x00, 0x00 };
	const uint8_t *data;
	uint16_t ch;
	size_t n, len;

	for (len = 0; len < 4; len++)
		cr_assert_eq(stun_chdata_decode(b, len, &ch, &data, &n),
			     EBADMSG);
}

Test(chdata, decode_length_past_datagram)
{
	static const uint8_t b[] = { 0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4 };
	const uint8_t *data;
	uint16_t ch;
	size_t n;

	cr_assert_eq(stun_chdata_decode(b, sizeof(b), &ch, &data, &n), EBADMSG);
}

Test(chdata, decode_channel_range)
{
	uint8_t b[] = { 0x3f, 0xff, 0x00, 0x00 };
	const uint8_t *data;
	uint16_t ch;
	size_t n;

	cr_assert_eq(stun_chdata_decode(b, sizeof(b), &ch, &data, &n), EBADMSG);
	/* 0x5000-0x7FFF are reserved but accepted here: TURN decides. */
	b[0] = 0x7f;
	cr_assert_eq(stun_chdata_decode(b, sizeof(b), &ch, &data, &n), 0);
	cr_assert_eq(ch, 0x7fff);
	b[0] = 0x80;
	b[1] = 0x00;
	cr_assert_eq(stun_chdata_decode(b, sizeof(b), &ch, &data, &n), EBADMSG);
	b[0] = 0x00;
	b[1] = 0x01;
	cr_assert_eq(stun_chdata_decode(b, sizeof(b), &ch, &data, &n), EBADMSG);
}

Test(chdata, decode_null_arguments)
{
	static const uint8_t b[] = { 0x40, 0x00, 0x00, 0x00 };
	const uint8_t *data;
	uint16_t ch;
	size_t n;

	cr_assert_eq(stun_chdata_decode(NULL, 4, &ch, &data, &n), EINVAL);
	cr_assert_eq(stun_chdata_decode(b, 4, NULL, &data, &n), EINVAL);
}

Test(chdata, header_round_trip)
{
	uint8_t b[4 + 5];
	const uint8_t *data;
	uint16_t ch;
	size_t n;

	stun_chdata_header(b, 0x4abc, 5);
	cr_assert_eq(b[0], 0x4a);
	cr_assert_eq(b[1], 0xbc);
	cr_assert_eq(b[2], 0x00);
	cr_assert_eq(b[3], 0x05);
	memcpy(b + 4, "hello", 5);
	cr_assert_eq(stun_chdata_decode(b, sizeof(b), &ch, &data, &n), 0);
	cr_assert_eq(ch, 0x4abc);
	cr_assert_eq(n, 5);
}

Test(chdata, stream_pad)
{
	cr_assert_eq(stun_chdata_stream_pad(0), 0);
	cr_assert_eq(stun_chdata_stream_pad(1), 3);
	cr_assert_eq(stun_chdata_stream_pad(2), 2);
	cr_assert_eq(stun_chdata_stream_pad(3), 1);
	cr_assert_eq(stun_chdata_stream_pad(4), 0);
}

/* ---- stun_frame_len ---------------------------------------------------- */

Test(frame, stun_frame)
{
	static const uint8_t b[] = { 0x00, 0x01, 0x00, 0x08 };
	size_t f = 0;

	cr_assert_eq(stun_frame_len(b, sizeof(b), &f), 0);
	cr_assert_eq(f, 28);
}

Test(frame, stun_max_length)
{
	static const uint8_t b[] = { 0x03, 0xff, 0xff, 0xfc };
	size_t f = 0;

	cr_assert_eq(stun_frame_len(b, sizeof(b), &f), 0);
	cr_assert_eq(f, 20 + 0xfffc);
}

Test(frame, stun_length_not_multiple_of_4)
{
	static const uint8_t b[] = { 0x00, 0x01, 0x00, 0x0a };
	size_t f;

	cr_assert_eq(stun_frame_len(b, sizeof(b), &f), EBADMSG);
}

Test(frame, chdata_rounded_up)
{
	uint8_t b[] = { 0x40, 0x00, 0x00, 0x05 };
	size_t f = 0;

	/* RFC 8656 §12.5: a stream pads ChannelData to 4. */
	cr_assert_eq(stun_frame_len(b, sizeof(b), &f), 0);
	cr_assert_eq(f, 4 + 8);
	b[3] = 8;
	cr_assert_eq(stun_frame_len(b, sizeof(b), &f), 0);
	cr_assert_eq(f, 4 + 8);
	b[3] = 0;
	cr_assert_eq(stun_frame_len(b, sizeof(b), &f), 0);
	cr_assert_eq(f, 4);
	b[0] = 0x4f;
	b[2] = 0xff;
	b[3] = 0xff;
	cr_assert_eq(stun_frame_len(b, sizeof(b), &f), 0);
	cr_assert_eq(f, 4 + 0x10000);
}

Test(frame, need_four_bytes)
{
	static const uint8_t s[] = { 0x00, 0x01, 0x00, 0x00 };
	static const uint8_t c[] = { 0x40, 0x00, 0x00, 0x00 };
	size_t f, n;

	for (n = 0; n < 4; n++) {
		cr_assert_eq(stun_frame_len(s, n, &f), EAGAIN);
		cr_assert_eq(stun_frame_len(c, n, &f), EAGAIN);
	}
}

Test(frame, frame_longer_than_avail)
{
	static const uint8_t b[] = { 0x01, 0x01, 0x00, 0x40, 0x21 };
	size_t f = 0;

	/* Known length, not all there yet: the caller waits. */
	cr_assert_eq(stun_frame_len(b, sizeof(b), &f), 0);
	cr_assert_eq(f, 84);
}

Test(frame, bad_first_byte)
{
	static const uint8_t firsts[] = { 0x04, 0x10, 0x14, 0x3f,
					  0x80, 0xbf, 0xc0, 0xff };
	uint8_t b[4] = { 0, 0, 0, 0 };
	size_t i, f;

	for (i = 0; i < sizeof(firsts); i++) {
		b[0] = firsts[i];
		cr_assert_eq(stun_frame_len(b, sizeof(b), &f), EBADMSG,
			     "0x%02x", firsts[i]);
		/* Known to be bad as soon as the first byte is in. */
		cr_assert_eq(stun_frame_len(b, 1, &f), EBADMSG);
	}
}

/* RFC 5766 §11 channels (0x5000-0x7FFF, coturn's clients) are framed like
 * RFC 8656 ones; TURN decides whether the number is acceptable. */
Test(frame, rfc5766_channels_are_framed_only_when_asked)
{
	const unsigned old = STUN_FRAME_RFC5766;
	uint8_t b[] = { 0x50, 0x00, 0x00, 0x05 };
	size_t f = 0;

	/* RFC 8656 §12: 0x5000-0x7FFF is not a channel; an HTTP request
	 * ("POST", 0x50) is refused on its first byte. */
	cr_assert_eq(stun_frame_len(b, sizeof(b), &f), EBADMSG);
	cr_assert_eq(stun_frame_len(b, 1, &f), EBADMSG);
	cr_assert_eq(stun_frame_len_flags(b, sizeof(b), &f, old), 0);
	cr_assert_eq(f, 4 + 8);
	b[0] = 0x67;
	b[1] = 0xc1;
	cr_assert_eq(stun_frame_len_flags(b, sizeof(b), &f, old), 0);
	cr_assert_eq(f, 4 + 8);
	b[0] = 0x7f;
	b[1] = 0xff;
	b[3] = 0x04;
	cr_assert_eq(stun_frame_len_flags(b, sizeof(b), &f, old), 0);
	cr_assert_eq(f, 4 + 4);
	cr_assert_eq(stun_frame_len_flags(b, 1, &f, old), EAGAIN);
	b[0] = 0x80;
	cr_assert_eq(stun_frame_len_flags(b, sizeof(b), &f, old), EBADMSG);
}

Test(frame, null_arguments)
{
	static const uint8_t b[4];
	size_t f;

	cr_assert_eq(stun_frame_len(NULL, 4, &f), EINVAL);
	cr_assert_eq(stun_frame_len(b, 4, NULL), EINVAL);
}

/* ---- stun_demux (RFC 9443 §3) ----------------------------------------- */

Test(demux, ranges)
{
	unsigned b;

	for (b = 0; b <= 255; b++) {
		enum stun_demux want;

		if (b <= 3)
			want = STUN_DEMUX_STUN;
		else if (b >= 16 && b <= 19)
			want = STUN_DEMUX_ZRTP;
		else if (b >= 20 && b <= 63)
			want = STUN_DEMUX_DTLS;
		else if (b >= 64 && b <= 79)
			want = STUN_DEMUX_CHANNEL;
		else if (b >= 128 && b <= 191)
			want = STUN_DEMUX_RTP;
		else if (b >= 80)
			want = STUN_DEMUX_QUIC;
		else
			want = STUN_DEMUX_UNKNOWN;
		cr_assert_eq(stun_demux((uint8_t)b), want, "byte %u", b);
	}
}

Test(demux, boundaries)
{
	cr_assert_eq(stun_demux(3), STUN_DEMUX_STUN);
	cr_assert_eq(stun_demux(4), STUN_DEMUX_UNKNOWN);
	cr_assert_eq(stun_demux(15), STUN_DEMUX_UNKNOWN);
	cr_assert_eq(stun_demux(16), STUN_DEMUX_ZRTP);
	cr_assert_eq(stun_demux(20), STUN_DEMUX_DTLS);
	cr_assert_eq(stun_demux(63), STUN_DEMUX_DTLS);
	cr_assert_eq(stun_demux(64), STUN_DEMUX_CHANNEL);
	cr_assert_eq(stun_demux(79), STUN_DEMUX_CHANNEL);
	cr_assert_eq(stun_demux(80), STUN_DEMUX_QUIC);
	cr_assert_eq(stun_demux(127), STUN_DEMUX_QUIC);
	cr_assert_eq(stun_demux(128), STUN_DEMUX_RTP);
	cr_assert_eq(stun_demux(191), STUN_DEMUX_RTP);
	cr_assert_eq(stun_demux(192), STUN_DEMUX_QUIC);
	cr_assert_eq(stun_demux(255), STUN_DEMUX_QUIC);
}
