/*
 * peer_ws.c — libFuzzer target for tern-peer's WebSocket client framing
 * (src/peer/sig_ws.c), which reads what a signaling server sends.
 *
 * Input: the server's bytes, raw: an HTTP answer to the opening request
 * (checked against a fixed key), then frames. Seeds: tests/fuzz/corpus/
 * peer-ws (a 101 answer as tern-signal writes it followed by frames).
 *
 * Checked: a refused answer gets a printable reason; every decoded frame
 * lies inside the input; decoding makes progress or stops.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "peer/sig_ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
	struct peer_ws_frame f;
	size_t head = 0, off;
	char why[200] = "";
	int err = peer_ws_response(data, size, key, &head, why, sizeof(why));

	if (err == EPROTO) {
		for (const char *p = why; *p; p++)
			CHECK((unsigned char)*p >= 0x20);
		CHECK(why[0]);
	}
	off = err == 0 ? head : 0;
	CHECK(off <= size);
	while (off < size &&
	       peer_ws_frame_decode(data + off, size - off, 65536, &f) == 0) {
		CHECK(f.used > 0 && f.used <= size - off);
		CHECK(f.payload >= data + off &&
		      f.payload + f.len <= data + off + f.used);
		off += f.used;
	}
	return 0;
}
