/*
 * test_sdp.c — the SDP parser on the offers Chromium, aiortc and Firefox
 * send (tests/vectors/sdp), and on broken input.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "peer/sdp.h"
#include "vec.h"

static struct sdp *parse_vec(const char *name)
{
	struct sdp *s = calloc(1, sizeof(*s));
	char why[200] = "";
	size_t len;
	char *text = vec_read(name, &len);

	cr_assert_eq(sdp_parse(s, text, len, why, sizeof(why)), 0, "%s: %s",
		     name, why);
	free(text);
	return s;
}

Test(sdp_parse, chromium_offer)
{
	struct sdp *s = parse_vec("chromium-offer.sdp");
	const struct sdp_codec *c;

	cr_assert_eq(s->n_m, 3);
	cr_assert_eq(s->n_bundle, 3);
	cr_assert_str_eq(s->bundle[0], "0");
	cr_assert_eq(s->m[0].kind, SDP_KIND_AUDIO);
	cr_assert_eq(s->m[1].kind, SDP_KIND_VIDEO);
	cr_assert_eq(s->m[2].kind, SDP_KIND_APPLICATION);
	cr_assert_str_eq(s->m[2].proto, "UDP/DTLS/SCTP");
	cr_assert_eq(s->m[0].setup, SDP_SETUP_ACTPASS);
	cr_assert(s->m[0].rtcp_mux);
	cr_assert(s->m[0].trickle);
	cr_assert_str_eq(s->m[0].fp_alg, "sha-256");
	cr_assert_eq(strlen(s->m[0].fp), 95);
	cr_assert_str_eq(s->m[0].ufrag, "Ly3S");
	cr_assert_eq(s->m[0].n_cands, 4);
	cr_assert(strncmp(s->m[0].cands[0], "candidate:", 10) == 0);
	c = sdp_codec_find(&s->m[0], "opus", 48000);
	cr_assert_not_null(c);
	cr_assert_eq(c->pt, 111);
	cr_assert_eq(c->channels, 2);
	cr_assert(strstr(c->fmtp, "useinbandfec=1"));
	c = sdp_codec_find(&s->m[1], "vp8", 90000);
	cr_assert_not_null(c);
	cr_assert_eq(c->pt, 96);
	cr_assert(sdp_codec_has_fb(c, "nack"));
	cr_assert(sdp_codec_has_fb(c, "nack pli"));
	cr_assert(sdp_codec_has_fb(c, "ccm fir"));
	cr_assert_eq(s->m[1].ssrcs[0].ssrc, 274525743u);
	cr_assert_str_eq(s->m[1].ssrcs[0].cname, "+JSlMZaSEoCIjhfp");
	cr_assert(s->m[1].msid[0]);
	free(s);
}

Test(sdp_parse, aiortc_offer)
{
	struct sdp *s = parse_vec("aiortc-offer.sdp");
	const struct sdp_codec *c;

	cr_assert_eq(s->n_m, 2);
	cr_assert_eq(s->n_bundle, 2);
	/* aiortc 1.4 gives each m-line its own credentials */
	cr_assert_str_eq(s->m[0].ufrag, "kIc4");
	cr_assert_str_eq(s->m[1].ufrag, "oZPe");
	cr_assert(s->m[0].end_of_candidates);
	cr_assert_eq(s->m[0].n_cands, 2);
	cr_assert_eq(s->m[0].port, 45107);
	c = sdp_codec_find(&s->m[0], "opus", 48000);
	cr_assert_not_null(c);
	cr_assert_eq(c->pt, 96);
	c = sdp_codec_find(&s->m[1], "VP8", 90000);
	cr_assert_not_null(c);
	cr_assert_eq(c->pt, 97);
	cr_assert(sdp_codec_has_fb(c, "goog-remb"));
	cr_assert_eq(s->m[1].n_ssrcs, 2);
	free(s);
}

/* Captured from Firefox ESR 153 (tests/vectors/sdp/capture-firefox). */
Test(sdp_parse, firefox_offer_session_level_values)
{
	struct sdp *s = parse_vec("firefox-offer.sdp");
	const struct sdp_codec *c;

	cr_assert_eq(s->n_m, 3);
	cr_assert_eq(s->n_bundle, 3);
	cr_assert_eq(s->m[2].kind, SDP_KIND_APPLICATION);
	cr_assert_str_eq(s->m[2].proto, "UDP/DTLS/SCTP");
	/* fingerprint and ice-options at the session level, inherited */
	cr_assert_str_eq(s->m[1].fp_alg, "sha-256");
	cr_assert_eq(strlen(s->m[1].fp), 95);
	cr_assert(s->m[1].trickle);
	cr_assert_eq(s->m[0].dir, SDP_DIR_SENDRECV);
	cr_assert_str_eq(s->m[0].ufrag, "267feaa6");
	/* RTP and RTCP (component 2) candidates despite rtcp-mux, UDP and
	 * TCP active, IPv4 and IPv6 loopback; gathering was complete */
	cr_assert_eq(s->m[0].n_cands, 8);
	cr_assert(s->m[0].end_of_candidates);
	c = sdp_codec_find(&s->m[0], "opus", 48000);
	cr_assert_not_null(c);
	cr_assert_eq(c->pt, 109);
	cr_assert_eq(c->channels, 2);
	cr_assert(sdp_codec_has_fb(c, "transport-cc"));
	c = sdp_codec_find(&s->m[1], "VP8", 90000);
	cr_assert_not_null(c);
	cr_assert_eq(c->pt, 120);
	cr_assert(sdp_codec_has_fb(c, "nack pli"));
	cr_assert(sdp_codec_has_fb(c, "transport-cc"));
	c = sdp_codec_find(&s->m[1], "AV1", 90000);
	cr_assert_not_null(c);
	cr_assert_eq(c->pt, 99);
	/* no OpenH264 plugin in a fresh profile: no H.264 offered */
	cr_assert_null(sdp_codec_find(&s->m[1], "H264", 90000));
	cr_assert_eq(s->m[1].n_ssrcs, 2);
	cr_assert_eq(s->m[1].ssrcs[0].ssrc, 765093537u);
	cr_assert_str_eq(s->m[1].ssrcs[0].cname,
			 "{c3dac38c-4e73-403a-a991-6b87f5aac9b6}");
	cr_assert_eq(s->m[1].msid[0], '{');
	cr_assert_eq(s->sess_id, 1202475104256246873ull);
	free(s);
}

Test(sdp_parse, refuses_what_is_not_sdp)
{
	struct sdp *s = calloc(1, sizeof(*s));
	char why[200] = "";
	static const char bad_m[] = "v=0\r\nm=video\r\n";
	static const char bad_port[] = "v=0\r\nm=video 99999 RTP/AVP 96\r\n";

	cr_assert_eq(sdp_parse(s, "hello", 5, why, sizeof(why)), EBADMSG);
	cr_assert(strstr(why, "v=0"));
	cr_assert_eq(sdp_parse(s, bad_m, strlen(bad_m), why, sizeof(why)),
		     EBADMSG);
	cr_assert(strstr(why, "m-line 1"), "%s", why);
	cr_assert_eq(sdp_parse(s, bad_port, strlen(bad_port), why, sizeof(why)),
		     EBADMSG);
	cr_assert_eq(sdp_parse(s, "", 0, why, sizeof(why)), EBADMSG);
	free(s);
}

Test(sdp_parse, too_many_m_lines)
{
	struct sdp *s = calloc(1, sizeof(*s));
	char text[4096] = "v=0\n", why[200];
	int i;

	for (i = 0; i <= SDP_MEDIA_MAX; i++)
		strcat(text, "m=audio 9 UDP/TLS/RTP/SAVPF 111\n");
	cr_assert_eq(sdp_parse(s, text, strlen(text), why, sizeof(why)),
		     EBADMSG);
	cr_assert(strstr(why, "more than"));
	free(s);
}

Test(sdp_parse, long_values_truncated_and_odd_lines_skipped)
{
	struct sdp *s = calloc(1, sizeof(*s));
	char text[8192], why[200];
	char big[1000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "v=0\nxx\n\n=\na=\nm=audio 9 P 1\na=mid:%s\na=rtpmap:999 "
		 "x/1\na=rtpmap:1 opus\na=rtpmap:1 opus/48000/2\na=ssrc:"
		 "99999999999 cname:a\na=rtcp-fb:* nack\na=fmtp:1\n",
		 big);
	cr_assert_eq(sdp_parse(s, text, strlen(text), why, sizeof(why)), 0,
		     "%s", why);
	cr_assert_eq(strlen(s->m[0].mid), SDP_TOKEN_MAX - 1);
	cr_assert_eq(s->m[0].n_codecs, 1);
	cr_assert_eq(s->m[0].codecs[0].clock, 48000);
	cr_assert(sdp_codec_has_fb(&s->m[0].codecs[0], "nack"));
	cr_assert_eq(s->m[0].n_ssrcs, 0);
	free(s);
}
