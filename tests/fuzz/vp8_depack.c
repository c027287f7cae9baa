/*
 * vp8_depack.c — libFuzzer target for the VP8 depacketizer (RFC 7741
 * descriptor) and the jitter buffer behind it. Input: records of
 * [flags 1][seq 2][len 1][payload len]; flags bit 0 is the marker, bits
 * 1-3 the frame (timestamp) number, bits 4-7 advance the clock by that many
 * 10 ms. After every record, frames are popped and NACKs asked for: frames
 * come out in sequence order (but for a resync after a jump), never larger than
 * the buffer, and the buffer frees everything (LeakSanitizer).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "peer/jbuf.h"
#include "peer/rtp.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[4096];
	struct jbuf_frame f;
	struct jbuf *j;
	uint16_t seqs[64], last = 0;
	struct jbuf_stats st;
	uint64_t resyncs = 0;
	bool have_last = false;
	uint64_t now = 1000000;
	size_t off = 0;
	int err;

	if (jbuf_new(&j, NULL))
		return 0;
	while (off + 4 <= size) {
		uint8_t fl = data[off], n = data[off + 3];
		struct rtp_hdr h = { .marker = fl & 1,
				     .pt = 96,
				     .seq = (uint16_t)(data[off + 1] << 8 |
						       data[off + 2]),
				     .ts = (uint32_t)((fl >> 1) & 7) * 3000,
				     .ssrc = 1 };

		off += 4;
		if (n > size - off)
			n = (uint8_t)(size - off);
		h.payload = data + off;
		h.plen = n;
		off += n;
		now += (uint64_t)(fl >> 4) * 10000;
		err = jbuf_put(j, &h, now);
		CHECK(err == 0 || err == EEXIST || err == ESTALE ||
		      err == EBADMSG);
		while ((err = jbuf_pop(j, now, frame, sizeof(frame), &f)) !=
		       ENOENT) {
			CHECK(err == 0 || err == ENOSPC);
			if (err)
				continue;
			CHECK(f.len <= sizeof(frame));
			jbuf_stats(j, &st);
			/* in order, unless the sequence jumped */
			if (have_last && st.resyncs == resyncs)
				CHECK(rtp_seq_diff(f.first_seq, last) > 0);
			resyncs = st.resyncs;
			CHECK(rtp_seq_diff(f.last_seq, f.first_seq) >= 0);
			last = f.last_seq;
			have_last = true;
		}
		CHECK(jbuf_nacks(j, now, seqs, 64) <= 64);
		jbuf_want_keyframe(j, now);
	}
	jbuf_free(j);
	return 0;
}
