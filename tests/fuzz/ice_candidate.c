/*
 * ice_candidate.c — libFuzzer target for the SDP candidate line parser of
 * libtern's ICE agent (src/client/ice_cand.c, RFC 8839 §5.1), which reads
 * what a remote peer trickles through signaling.
 *
 * Input: one candidate line, raw (with or without "a=" and "candidate:").
 * Seeds: tests/fuzz/corpus/ice-candidate, lines as Chromium, Firefox and
 * aiortc write them (documentation addresses) and hand-made edge cases.
 *
 * Checked: a refused line gets EBADMSG, a reason, and leaves the output as
 * it was, and the reason is printable ASCII (a caller may log it); a
 * parsed line formats (ICE_LINE_MAX is enough), the text parses
 * again to an equal candidate and formats to the same text; the
 * end-of-candidates predicate never reads past the input either.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "client/ice.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ice_cand c, d, before;
	char why[128], a[ICE_LINE_MAX], b[ICE_LINE_MAX];
	int err;

	(void)ice_cand_is_end((const char *)data, size);
	memset(&c, 0xa5, sizeof(c));
	before = c;
	why[0] = '\0';
	err = ice_cand_parse(&c, (const char *)data, size, why, sizeof(why));
	if (err) {
		CHECK(err == EBADMSG);
		CHECK(why[0] != '\0');
		for (const char *p = why; *p; p++) /* safe to log */
			CHECK(*p >= 0x20 && *p <= 0x7e);
		CHECK(memcmp(&c, &before, sizeof(c)) == 0);
		return 0;
	}
	CHECK(ice_cand_format(&c, a, sizeof(a)) == 0);
	CHECK(ice_cand_parse(&d, a, strlen(a), why, sizeof(why)) == 0);
	CHECK(ice_cand_equal(&c, &d));
	CHECK(ice_cand_format(&d, b, sizeof(b)) == 0);
	CHECK(strcmp(a, b) == 0);
	return 0;
}
