/* test_rtp.c — RTP header parsing (RFC 3550 5.1: CSRCs, extension,
 * padding), building, and RFC 5761 demultiplexing. */
#include <criterion/criterion.h>
#include <errno.h>

#include "peer/media.h"
#include "peer/rtp.h"

Test(rtp, parses_plain_header)
{
	/* V=2, M=1 PT=96, seq 0x1234, ts 0xdeadbeef, SSRC 0x01020304 */
	const uint8_t p[] = { 0x80, 0xe0, 0x12, 0x34, 0xde, 0xad, 0xbe,
			      0xef, 0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb };
	struct rtp_hdr h;

	cr_assert_eq(rtp_parse(&h, p, sizeof(p)), 0);
	cr_assert(h.marker);
	cr_assert_eq(h.pt, 96);
	cr_assert_eq(h.seq, 0x1234);
	cr_assert_eq(h.ts, 0xdeadbeefu);
	cr_assert_eq(h.ssrc, 0x01020304u);
	cr_assert_eq(h.plen, 2);
	cr_assert_eq(h.payload[0], 0xaa);
}

Test(rtp, steps_over_csrc_extension_and_padding)
{
	/* P=1 X=1 CC=1; one CSRC; extension 0xBEDE of 1 word; payload 3
	 * bytes; 2 bytes of padding, the last saying 2 */
	const uint8_t p[] = { 0xb1, 0x6f, 0x00, 0x01, 0,    0,	  0,
			      1,    0,	  0,	0,    2, /* SSRC */
			      0,    0,	  0,	9,	 /* CSRC */
			      0xbe, 0xde, 0x00, 0x01, 0x10, 0xff, 0,
			      0,    0x11, 0x22, 0x33, 0x00, 0x02 };
	struct rtp_hdr h;

	cr_assert_eq(rtp_parse(&h, p, sizeof(p)), 0);
	cr_assert_not(h.marker);
	cr_assert_eq(h.pt, 111);
	cr_assert_eq(h.plen, 3);
	cr_assert_eq(h.payload[0], 0x11);
	cr_assert_eq(h.payload[2], 0x33);
}

Test(rtp, rejects_bad_packets)
{
	uint8_t p[] = { 0x80, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0x55 };
	struct rtp_hdr h;

	cr_assert_eq(rtp_parse(&h, p, 12), 0); /* no payload: legal */
	cr_assert_eq(h.plen, 0);
	cr_assert_eq(rtp_parse(&h, p, 11), EBADMSG);
	p[0] = 0x40; /* version 1 */
	cr_assert_eq(rtp_parse(&h, p, sizeof(p)), EBADMSG);
	p[0] = 0x8f; /* 15 CSRCs that are not there */
	cr_assert_eq(rtp_parse(&h, p, sizeof(p)), EBADMSG);
	p[0] = 0x90; /* an extension header past the end */
	cr_assert_eq(rtp_parse(&h, p, sizeof(p)), EBADMSG);
	p[0] = 0xa0; /* padding of 0x55 bytes in a 13-byte packet */
	cr_assert_eq(rtp_parse(&h, p, sizeof(p)), EBADMSG);
	p[12] = 0;
	cr_assert_eq(rtp_parse(&h, p, sizeof(p)), EBADMSG);
}

Test(rtp, padding_only_packet)
{
	/* P=1, no payload, 4 bytes of padding: a bandwidth probe */
	const uint8_t p[] = { 0xa0, 0x60, 0x00, 0x07, 0, 0, 0, 1,
			      0,    0,	  0,	2,    0, 0, 0, 4 };
	struct rtp_hdr h;

	cr_assert_eq(rtp_parse(&h, p, sizeof(p)), 0);
	cr_assert_eq(h.plen, 0);
	cr_assert_eq(h.seq, 7);
}

Test(rtp, writes_header)
{
	uint8_t b[12];
	struct rtp_hdr h;
	uint8_t pkt[13];

	cr_assert_eq(rtp_write_hdr(b, 11, true, 96, 1, 2, 3), 0);
	cr_assert_eq(rtp_write_hdr(b, 12, true, 96, 65535, 90000, 0xabcdef01),
		     12);
	memcpy(pkt, b, 12);
	pkt[12] = 7;
	cr_assert_eq(rtp_parse(&h, pkt, 13), 0);
	cr_assert(h.marker);
	cr_assert_eq(h.seq, 65535);
	cr_assert_eq(h.ts, 90000);
	cr_assert_eq(h.ssrc, 0xabcdef01u);
}

Test(rtp, demuxes_rtcp_by_payload_type)
{
	const uint8_t sr[] = { 0x80, 200, 0, 6 }, rr[] = { 0x81, 201, 0, 7 };
	const uint8_t psfb[] = { 0x81, 206, 0, 2 }, vp8[] = { 0x80, 96, 0, 1 };
	const uint8_t mark[] = { 0x80, 0x80 | 111, 0, 1 },
		      dtls[] = { 22, 254, 253, 0 };

	cr_assert(peer_is_rtcp(sr, 4));
	cr_assert(peer_is_rtcp(rr, 4));
	cr_assert(peer_is_rtcp(psfb, 4));
	cr_assert_not(peer_is_rtcp(vp8, 4));
	cr_assert_not(peer_is_rtcp(mark, 4));
	cr_assert_not(peer_is_rtcp(dtls, 4));
	cr_assert_not(peer_is_rtcp(sr, 3));
}

Test(rtp, sequence_arithmetic_wraps)
{
	cr_assert_eq(rtp_seq_diff(0, 65535), 1);
	cr_assert_eq(rtp_seq_diff(65535, 0), -1);
	cr_assert_eq(rtp_seq_diff(100, 90), 10);
}
