/*
 * rtp_rtcp.c — libFuzzer target for tern-peer's RTP and RTCP parsers
 * (RFC 3550, RFC 4585, RFC 5104, REMB): whatever arrives after SRTP
 * unprotect. Input: one packet. Parsed as RTP (payload must lie inside the
 * packet) and as a compound RTCP packet (each sub-packet inside the
 * packet, offsets only growing, report blocks as counted), feedback FCIs
 * decoded; then every built packet must parse back.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "peer/media.h"
#include "peer/rtp.h"
#include "fuzz.h"

static void rtcp_walk(const uint8_t *p, size_t len)
{
	struct rtcp_msg m;
	size_t off = 0, prev = 0;
	uint16_t seqs[64];
	uint64_t bps;
	uint8_t sn;
	int err;

	while ((err = rtcp_next(p, len, &off, &m)) == 0) {
		CHECK(off > prev && off <= len);
		CHECK(m.body >= p && m.body + m.blen <= p + len);
		CHECK(m.n_rb <= RTCP_MAX_RB);
		if (m.fci)
			CHECK(m.fci >= p && m.fci + m.fci_len <= p + len);
		if (m.type == RTCP_RTPFB && m.fci)
			CHECK(rtcp_nack_seqs(m.fci, m.fci_len, seqs, 64) <= 64);
		if (m.type == RTCP_PSFB && m.fci) {
			rtcp_fir_find(m.fci, m.fci_len, m.media_ssrc, &sn);
			rtcp_remb_parse(m.fci, m.fci_len, &bps);
		}
		prev = off;
	}
	CHECK(err == ENOENT || err == EBADMSG);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_hdr h;
	struct vp8_desc d;
	uint8_t buf[1500];
	size_t len = 0;

	peer_is_rtcp(data, size);
	if (rtp_parse(&h, data, size) == 0) {
		CHECK(h.payload >= data && h.payload + h.plen <= data + size);
		if (vp8_desc_parse(&d, h.payload, h.plen) == 0)
			CHECK(d.data + d.len == h.payload + h.plen && d.len);
	}
	rtcp_walk(data, size);
	/* the NACK builder on the input's bytes as sequence numbers */
	if (size >= 2) {
		uint16_t seqs[64];
		size_t n = size / 2 > 64 ? 64 : size / 2, got;
		uint16_t back[1100];

		for (size_t i = 0; i < n; i++)
			seqs[i] =
			    (uint16_t)(data[2 * i] << 8 | data[2 * i + 1]);
		CHECK(rtcp_put_nack(buf, sizeof(buf), &len, 1, 2, seqs, n));
		rtcp_walk(buf, len);
		/* every asked-for seq is in what the packet expands to */
		got = rtcp_nack_seqs(buf + 12, len - 12, back, 1100);
		for (size_t i = 0; i < n; i++) {
			bool found = false;

			for (size_t k = 0; k < got && !found; k++)
				found = back[k] == seqs[i];
			CHECK(found);
		}
	}
	return 0;
}
