/*
 * y4m_header.c — libFuzzer target for the media file headers tern-peer
 * reads: Y4M (YUV4MPEG2 stream header) and WAV (RIFF chunks). Input: the
 * first byte picks the parser (even: Y4M, odd: WAV), the rest is the
 * file's start. Accepted headers have sizes that are usable and offsets
 * inside the input; refusals always come with a sentence.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "peer/src.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct y4m_info yi;
	struct wav_info wi;
	char why[256] = "";
	int err;

	if (size < 1)
		return 0;
	if (data[0] % 2 == 0) {
		err =
		    y4m_parse_header(&yi, data + 1, size - 1, why, sizeof(why));
		CHECK(err == 0 || (err == EBADMSG && why[0]));
		if (!err)
			CHECK(yi.w && yi.h && yi.w % 2 == 0 && yi.h % 2 == 0 &&
			      yi.w <= 8192 && yi.h <= 8192 && yi.fps_den &&
			      yi.hdr_len <= size - 1);
	} else {
		err =
		    wav_parse_header(&wi, data + 1, size - 1, why, sizeof(why));
		CHECK(err == 0 || (err == EBADMSG && why[0]));
		if (!err)
			CHECK(wi.data_off <= size - 1);
	}
	return 0;
}
