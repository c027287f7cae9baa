/*
 * stream_frame.c — libFuzzer target for stream framing (RFC 8489 §6.2.2,
 * RFC 8656 §12.5): STUN messages and ChannelData back to back on a TCP or
 * TLS connection.
 *
 * Input: the bytes a client sends on one connection, in order. The first
 * byte also picks the framing: low bit clear, strict RFC 8656 (ChannelData
 * 0x4000-0x4FFF); set, RFC 5766 channels (0x4000-0x7FFF) as with
 * rfc5766_channels. Seeds: tests/fuzz/corpus/stream-frame, both directions
 * of the TCP connections tests/fuzz/capture-seeds records, plus hand-made
 * edge cases.
 *
 * Plays the input to a reassembler in chunks of varying size (from an LCG
 * seeded by the first byte), the way TCP hands bytes over, cuts frames
 * with stun_frame_len_flags, and decodes each complete frame as STUN or
 * ChannelData: a frame's length is known from its first 4 bytes, never
 * exceeds what STUN or ChannelData allows, and ChannelData on a stream
 * always holds its padding. Broken invariants abort.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stun/stun.h"
#include "fuzz.h"

static void deliver(const uint8_t *f, size_t len)
{
	const uint8_t *data;
	struct stun_msg m;
	uint16_t ch;
	size_t n;

	if (f[0] <= 3) {
		if (stun_msg_decode(&m, f, len, STUN_DECODE_ALLOW_RFC3489) == 0)
			CHECK(m.len == len && m.nattrs <= STUN_MAX_ATTRS);
		return;
	}
	/* A stream frame always holds its ChannelData: 4 + len + pad. */
	CHECK(stun_chdata_decode(f, len, &ch, &data, &n) == 0);
	/* With STUN_FRAME_RFC5766 framing takes the whole RFC 5766 channel
	 * space; the lower part is RFC 8656's, the rest what RFC 9443 calls
	 * QUIC. drain() checks that the strict mode never gets here. */
	CHECK(ch >= 0x4000 && ch <= 0x7fff);
	CHECK(data == f + 4 && n + 4 <= len && len - 4 - n < 4);
	CHECK(stun_demux(f[0]) ==
	      (ch <= 0x4fff ? STUN_DEMUX_CHANNEL : STUN_DEMUX_QUIC));
}

/* Cut and deliver every complete frame; keep the rest at the start of rx.
 * Returns the bytes kept, or SIZE_MAX when the stream is broken. */
static size_t drain(uint8_t *rx, size_t have, unsigned flags)
{
	size_t off = 0, frame = 0, again;
	int err;

	for (;;) {
		err = stun_frame_len_flags(rx + off, have - off, &frame, flags);
		if (err == EAGAIN)
			break;
		if (err)
			return SIZE_MAX;
		/* At most 20 + 0xFFFC (STUN) or 4 + 0x10000 (ChannelData). */
		CHECK(frame >= 4 && frame <= STUN_HEADER_SIZE + 0xFFFCu);
		/* The length is known from the first 4 bytes alone. */
		CHECK(stun_frame_len_flags(rx + off, 4, &again, flags) == 0 &&
		      again == frame);
		if (frame > have - off)
			break;
		/* Strict framing never cuts a channel above 0x4FFF. */
		CHECK(flags || rx[off] <= 3 || rx[off] <= 0x4F);
		deliver(rx + off, frame);
		off += frame;
	}
	memmove(rx, rx + off, have - off);
	return have - off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *rx = malloc(size ? size : 1);
	size_t have = 0, in = 0, chunk;
	uint32_t seed = size ? data[0] : 0;
	/* The first byte's low bit picks strict RFC 8656 or RFC 5766 framing.
	 */
	unsigned flags = seed & 1u ? STUN_FRAME_RFC5766 : 0;

	CHECK(rx);
	while (in < size) {
		/* Chunk sizes from a small LCG over the first byte. */
		seed = seed * 1103515245u + 12345u;
		chunk = 1 + (seed >> 16) % 97;
		if (chunk > size - in)
			chunk = size - in;
		memcpy(rx + have, data + in, chunk);
		have += chunk;
		in += chunk;
		have = drain(rx, have, flags);
		if (have == SIZE_MAX)
			break;
	}
	free(rx);
	return 0;
}
