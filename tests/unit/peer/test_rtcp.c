/* test_rtcp.c — RTCP compound packets: SR/RR report blocks, SDES, BYE
 * (RFC 3550 6.4), generic NACK (RFC 4585 6.2.1), PLI, FIR (RFC 5104) and
 * REMB, parsed from byte vectors and built back. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "peer/rtp.h"

Test(rtcp, parses_rr_with_remb_compound)
{
	/* what Chromium sends as a receiver: RR with one report block, then
	 * PSFB FMT 15 "REMB" for one SSRC */
	const uint8_t p[] = {
		0x81, 201,  0x00, 0x07, 0x00, 0x00, 0x00, 0x01, /* RR ssrc 1 */
		0x11, 0x22, 0x33, 0x44,				/* block ssrc */
		0x40, 0xff, 0xff, 0xfe, /* 1/4 lost, cumulative -2 */
		0x00, 0x01, 0x00, 0x10, /* ext max seq */
		0x00, 0x00, 0x00, 0x20, /* jitter 32 */
		0xaa, 0xbb, 0xcc, 0xdd, /* LSR */
		0x00, 0x01, 0x00, 0x00, /* DLSR 1 s */
		0x8f, 206,  0x00, 0x05, 0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x00, 'R',  'E',  'M',  'B',
		0x01, 0x0f, 0xd0, 0x90, /* exp 3, mantissa 250000: 2 Mbit/s */
		0x11, 0x22, 0x33, 0x44,
	};
	struct rtcp_msg m;
	size_t off = 0;
	uint64_t bps;

	cr_assert_eq(rtcp_next(p, sizeof(p), &off, &m), 0);
	cr_assert_eq(m.type, RTCP_RR);
	cr_assert_eq(m.ssrc, 1);
	cr_assert_eq(m.n_rb, 1);
	cr_assert_eq(m.rb[0].ssrc, 0x11223344u);
	cr_assert_eq(m.rb[0].fraction, 0x40);
	cr_assert_eq(m.rb[0].lost, -2);
	cr_assert_eq(m.rb[0].ext_max, 0x10010u);
	cr_assert_eq(m.rb[0].jitter, 32);
	cr_assert_eq(m.rb[0].lsr, 0xaabbccddu);
	cr_assert_eq(m.rb[0].dlsr, 65536);
	cr_assert_eq(rtcp_next(p, sizeof(p), &off, &m), 0);
	cr_assert_eq(m.type, RTCP_PSFB);
	cr_assert_eq(m.count, RTCP_FMT_AFB);
	cr_assert(rtcp_remb_parse(m.fci, m.fci_len, &bps));
	cr_assert_eq(bps, 2000000);
	cr_assert_eq(rtcp_next(p, sizeof(p), &off, &m), ENOENT);
}

Test(rtcp, rejects_malformed)
{
	uint8_t p[] = { 0x81, 201, 0x00, 0x01, 0, 0, 0, 1 };
	struct rtcp_msg m;
	size_t off = 0;

	/* RC=1 but no room for the report block */
	cr_assert_eq(rtcp_next(p, sizeof(p), &off, &m), EBADMSG);
	p[0] = 0x80;
	p[3] = 0x05; /* length past the end */
	off = 0;
	cr_assert_eq(rtcp_next(p, sizeof(p), &off, &m), EBADMSG);
	p[3] = 0x01;
	p[0] = 0x40; /* version 1 */
	off = 0;
	cr_assert_eq(rtcp_next(p, sizeof(p), &off, &m), EBADMSG);
	off = 0;
	cr_assert_eq(rtcp_next(p, 3, &off, &m), EBADMSG);
}

Test(rtcp, builds_sr_sdes_bye_and_parses_them_back)
{
	struct rtcp_rb rb = { .ssrc = 7,
			      .fraction = 3,
			      .lost = 100,
			      .ext_max = 65600,
			      .jitter = 9,
			      .lsr = 5,
			      .dlsr = 6 };
	uint32_t bye[2] = { 0xa, 0xb };
	uint8_t buf[300];
	struct rtcp_msg m;
	size_t len = 0, off = 0;

	cr_assert(rtcp_put_sr(buf, sizeof(buf), &len, 0x1234,
			      0x0102030405060708ull, 90000, 10, 1000, &rb, 1));
	cr_assert(
	    rtcp_put_sdes_cname(buf, sizeof(buf), &len, 0x1234, "tern-peer"));
	cr_assert(rtcp_put_bye(buf, sizeof(buf), &len, bye, 2));
	cr_assert_eq(len % 4, 0);
	cr_assert_eq(rtcp_next(buf, len, &off, &m), 0);
	cr_assert_eq(m.type, RTCP_SR);
	cr_assert_eq(m.ssrc, 0x1234);
	cr_assert_eq(m.ntp, 0x0102030405060708ull);
	cr_assert_eq(m.rtp_ts, 90000);
	cr_assert_eq(m.pkt_count, 10);
	cr_assert_eq(m.octet_count, 1000);
	cr_assert_eq(m.n_rb, 1);
	cr_assert_eq(m.rb[0].lost, 100);
	cr_assert_eq(m.rb[0].ext_max, 65600);
	cr_assert_eq(rtcp_next(buf, len, &off, &m), 0);
	cr_assert_eq(m.type, RTCP_SDES);
	cr_assert_eq(m.body[4], 1); /* CNAME */
	cr_assert_eq(m.body[5], 9);
	cr_assert(memcmp(m.body + 6, "tern-peer", 9) == 0);
	cr_assert_eq(rtcp_next(buf, len, &off, &m), 0);
	cr_assert_eq(m.type, RTCP_BYE);
	cr_assert_eq(m.count, 2);
	cr_assert_eq(rtcp_next(buf, len, &off, &m), ENOENT);
	/* too small a buffer: nothing written */
	len = 0;
	cr_assert_not(rtcp_put_sr(buf, 20, &len, 1, 0, 0, 0, 0, NULL, 0));
	cr_assert_eq(len, 0);
}

Test(rtcp, nack_packs_runs_into_pid_and_blp)
{
	/* 100, 101, 103 and 116 fit one PID (100) + BLP; 200 needs another */
	const uint16_t lost[] = { 103, 100, 200, 116, 101 };
	uint16_t out[32];
	uint8_t buf[100];
	struct rtcp_msg m;
	size_t len = 0, off = 0, n;

	cr_assert(rtcp_put_nack(buf, sizeof(buf), &len, 1, 2, lost, 5));
	cr_assert_eq(rtcp_next(buf, len, &off, &m), 0);
	cr_assert_eq(m.type, RTCP_RTPFB);
	cr_assert_eq(m.count, RTCP_FMT_NACK);
	cr_assert_eq(m.media_ssrc, 2);
	cr_assert_eq(m.fci_len, 8);
	/* PID 100, BLP bits 0 (101), 2 (103), 15 (116) */
	cr_assert_eq(m.fci[0], 0);
	cr_assert_eq(m.fci[1], 100);
	cr_assert_eq(m.fci[2], 0x80);
	cr_assert_eq(m.fci[3], 0x05);
	n = rtcp_nack_seqs(m.fci, m.fci_len, out, 32);
	cr_assert_eq(n, 5);
	cr_assert_eq(out[0], 100);
	cr_assert_eq(out[1], 101);
	cr_assert_eq(out[2], 103);
	cr_assert_eq(out[3], 116);
	cr_assert_eq(out[4], 200);
}

Test(rtcp, nack_across_the_wrap)
{
	const uint16_t lost[] = { 1, 65535 };
	uint16_t out[8];
	uint8_t buf[64];
	struct rtcp_msg m;
	size_t len = 0, off = 0;

	cr_assert(rtcp_put_nack(buf, sizeof(buf), &len, 1, 2, lost, 2));
	cr_assert_eq(rtcp_next(buf, len, &off, &m), 0);
	cr_assert_eq(m.fci_len, 4);
	cr_assert_eq(rtcp_nack_seqs(m.fci, m.fci_len, out, 8), 2);
	cr_assert_eq(out[0], 65535);
	cr_assert_eq(out[1], 1);
}

Test(rtcp, pli_fir_remb_round_trip)
{
	uint32_t ss = 0x55;
	uint8_t buf[100], sn;
	struct rtcp_msg m;
	size_t len = 0, off = 0;
	uint64_t bps;

	cr_assert(rtcp_put_pli(buf, sizeof(buf), &len, 1, 0x55));
	cr_assert(rtcp_put_fir(buf, sizeof(buf), &len, 1, 0x55, 9));
	cr_assert(rtcp_put_remb(buf, sizeof(buf), &len, 1, 123456789, &ss, 1));
	cr_assert_eq(rtcp_next(buf, len, &off, &m), 0);
	cr_assert_eq(m.type, RTCP_PSFB);
	cr_assert_eq(m.count, RTCP_FMT_PLI);
	cr_assert_eq(m.media_ssrc, 0x55);
	cr_assert_eq(rtcp_next(buf, len, &off, &m), 0);
	cr_assert_eq(m.count, RTCP_FMT_FIR);
	cr_assert_eq(m.media_ssrc, 0); /* RFC 5104: the FCI names it */
	cr_assert(rtcp_fir_find(m.fci, m.fci_len, 0x55, &sn));
	cr_assert_eq(sn, 9);
	cr_assert_not(rtcp_fir_find(m.fci, m.fci_len, 0x56, &sn));
	cr_assert_eq(rtcp_next(buf, len, &off, &m), 0);
	cr_assert_eq(m.count, RTCP_FMT_AFB);
	cr_assert(rtcp_remb_parse(m.fci, m.fci_len, &bps));
	/* 18-bit mantissa: within 2^-17 of the value */
	cr_assert(bps <= 123456789 && bps > 123456789 - 123456789 / 100000);
	cr_assert_eq(rtcp_next(buf, len, &off, &m), ENOENT);
}

Test(rtcp, remb_rejects_short_or_foreign)
{
	const uint8_t notremb[] = { 'A', 'B', 'C', 'D', 0, 0, 0, 0 };
	const uint8_t short_ssrcs[] = { 'R', 'E', 'M', 'B', 3, 0, 0, 1 };
	uint64_t bps;

	cr_assert_not(rtcp_remb_parse(notremb, 8, &bps));
	cr_assert_not(rtcp_remb_parse(short_ssrcs, 8, &bps));
	cr_assert_not(rtcp_remb_parse(short_ssrcs, 4, &bps));
}
