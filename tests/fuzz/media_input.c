/*
 * media_input.c — libFuzzer target for everything peer_media_input() does
 * with what the far end sends after SRTP: RTP to the jitter buffer, VP8
 * and Opus decoders, RTCP reports, NACK (answered from the send history),
 * PLI, FIR, REMB. Input: packets as [len 2][bytes]; before each, a byte of
 * the input's first advances the clock (0-255 ms), and the receive and
 * RTCP ticks run as the timers would. A pipeline with no sources is
 * created per input (SSRCs learned from the first packets), so a run
 * depends on its input alone. Broken invariants abort; malformed packets
 * must be counted, never crash.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdint.h>
#include <string.h>

#include "peer/media_priv.h"
#include "fuzz.h"

static void drop(void *arg, const uint8_t *p, size_t len, bool rtcp)
{
	(void)arg;
	/* what we send back is well-formed, whatever came in */
	CHECK(len >= 4 && rtcp == peer_is_rtcp(p, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_base *base;
	struct peer_media_opts o = { .send = drop };
	struct peer_media_params p = { .video_on = true,
				       .vp8_pt = 96,
				       .video_ssrc = 0x1234,
				       .video_fb = PEER_FB_NACK | PEER_FB_PLI |
						   PEER_FB_FIR | PEER_FB_REMB,
				       .audio_on = true,
				       .opus_pt = 111,
				       .audio_ssrc = 0x5678,
				       .opus_fec = true,
				       .cname = "fuzz" };
	struct peer_media_params r = p;
	struct peer_media_stats st;
	struct peer_media *m;
	uint64_t now = 1000000;
	size_t off = 0;

	if (!base)
		base = event_base_new();
	if (peer_media_new(&m, base, &o))
		return 0;
	r.video_ssrc = r.audio_ssrc = 0;
	CHECK(peer_media_set_send(m, &p) == 0);
	CHECK(peer_media_set_recv(m, &r) == 0);
	/* no sources: the send side is on but has no encoder; pretend some
	 * video went out so NACKs have a history to look in */
	m->vtx.on = true;
	while (off + 3 <= size) {
		size_t len = (size_t)(data[off] << 8 | data[off + 1]);

		now += (uint64_t)data[off + 2] * 1000;
		off += 3;
		if (len > size - off)
			len = size - off;
		peer_media_input(m, data + off, len, now);
		off += len;
		media_rx_tick(m, now);
		media_rtcp_tick(m, now);
	}
	peer_media_stats(m, &st, now);
	CHECK(st.frames_decoded <= st.frames_received);
	peer_media_free(m);
	return 0;
}
