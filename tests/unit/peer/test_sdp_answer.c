/*
 * test_sdp_answer.c — JSEP on our side: the answer to each real offer,
 * our offer read back, the answer to it, roles, rejection with port 0.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "peer/sdp.h"
#include "vec.h"

#define FP                                                                     \
	"11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:"   \
	"77:88:99:AA:BB:CC:DD:EE:FF:00"

static const char *const cands[] = {
	"candidate:1 1 udp 16777215 127.0.0.1 40000 typ relay raddr 0.0.0.0 "
	"rport 0",
};

static struct sdp_local local(void)
{
	struct sdp_local l = {
		.sess_id = 42,
		.sess_version = 1,
		.ufrag = "uf01",
		.pwd = "pwpwpwpwpwpwpwpwpwpwpwpw",
		.fingerprint = FP,
		.cname = "tern",
		.stream = "tern",
		.audio_ssrc = 1111,
		.video_ssrc = 2222,
		.audio = true,
		.video = true,
		.cands = cands,
		.n_cands = 1,
		.end_of_candidates = true,
	};
	return l;
}

static int answer(const struct sdp *offer, const struct sdp_local *l, char *out,
		  size_t size, struct sdp_result *res, char *why)
{
	why[0] = '\0';
	return sdp_answer(offer, l, out, size, res, why, 200);
}

static struct sdp *parse_text(const char *text)
{
	struct sdp *s = calloc(1, sizeof(*s));
	char why[200] = "";

	cr_assert_eq(sdp_parse(s, text, strlen(text), why, sizeof(why)), 0,
		     "%s", why);
	return s;
}

static struct sdp *answer_vec(const char *name, struct sdp_result *res,
			      char *out, size_t size)
{
	struct sdp_local l = local();
	size_t len;
	char *text = vec_read(name, &len), why[300] = "";
	struct sdp *offer = parse_text(text);

	cr_assert_eq(sdp_answer(offer, &l, out, size, res, why, sizeof(why)), 0,
		     "%s: %s", name, why);
	free(text);
	return offer;
}

Test(sdp_answer, chromium_offer)
{
	struct sdp_result res;
	char *out = malloc(16384);
	struct sdp *offer = answer_vec("chromium-offer.sdp", &res, out, 16384);
	struct sdp *a = parse_text(out);

	cr_assert_eq(res.audio_pt, 111);
	cr_assert_eq(res.video_pt, 96);
	cr_assert(res.video_nack && res.video_pli && res.video_fir);
	cr_assert(res.audio_fec);
	cr_assert_eq(res.remote_video_ssrc, 274525743u);
	cr_assert_eq(res.remote_setup, SDP_SETUP_ACTPASS);
	cr_assert_eq(res.transport, &offer->m[0]);
	cr_assert(res.audio_send && res.audio_recv && res.video_send);
	/* the answer: three m-lines, the data channel refused */
	cr_assert_eq(a->n_m, 3);
	cr_assert_eq(a->n_bundle, 2);
	cr_assert_eq(a->m[2].port, 0);
	cr_assert_str_eq(a->m[2].mid, "2");
	cr_assert_str_eq(a->m[2].kind_name, "application");
	cr_assert_eq(a->m[0].setup, SDP_SETUP_ACTIVE);
	cr_assert_eq(a->m[1].n_codecs, 1);
	cr_assert_eq(a->m[1].codecs[0].pt, 96);
	cr_assert_str_eq(a->m[1].fp, FP);
	cr_assert(a->m[1].rtcp_mux);
	cr_assert(a->m[1].msid[0], "msid is what fills event.streams");
	cr_assert_eq(a->m[1].ssrcs[0].ssrc, 2222);
	cr_assert_eq(a->m[0].n_cands, 1);
	cr_assert(strstr(out, "\r\na=end-of-candidates\r\n"));
	free(a);
	free(offer);
	free(out);
}

Test(sdp_answer, aiortc_offer_takes_its_payload_types)
{
	struct sdp_result res;
	char out[16384];
	struct sdp *offer =
	    answer_vec("aiortc-offer.sdp", &res, out, sizeof(out));

	cr_assert_eq(res.audio_pt, 96);
	cr_assert_eq(res.video_pt, 97);
	cr_assert(res.video_remb);
	cr_assert_str_eq(res.transport->ufrag, "kIc4");
	cr_assert_eq(res.transport->n_cands, 2);
	cr_assert(strstr(out, "a=rtpmap:97 VP8/90000\r\n"));
	cr_assert(strstr(out, "a=rtcp-fb:97 goog-remb\r\n"));
	cr_assert_null(strstr(out, "H264"));
	free(offer);
}

Test(sdp_answer, firefox_offer)
{
	struct sdp_result res;
	char out[16384];
	struct sdp *offer =
	    answer_vec("firefox-offer.sdp", &res, out, sizeof(out));
	struct sdp *a = parse_text(out);

	cr_assert_eq(res.audio_pt, 109);
	cr_assert_eq(res.video_pt, 120);
	cr_assert(res.video_nack && res.video_pli && res.video_fir);
	cr_assert(res.audio_fec);
	cr_assert_eq(res.remote_audio_ssrc, 1991281859u);
	cr_assert_eq(res.remote_video_ssrc, 765093537u);
	cr_assert_eq(res.transport, &offer->m[0]);
	cr_assert_eq(res.transport->n_cands, 8);
	/* the data channel refused, VP8 alone, no AV1 or RED */
	cr_assert_eq(a->n_m, 3);
	cr_assert_eq(a->m[2].port, 0);
	cr_assert_str_eq(a->m[2].mid, "2");
	cr_assert_eq(a->m[1].n_codecs, 1);
	cr_assert_eq(a->m[1].codecs[0].pt, 120);
	cr_assert_null(strstr(out, "AV1"));
	free(a);
	free(offer);
}

Test(sdp_answer, roles)
{
	struct sdp_result res;
	char out[16384], why[200];
	size_t len;
	char *text = vec_read("aiortc-offer.sdp", &len), *p;
	struct sdp *offer, *a;
	struct sdp_local l = local();

	/* an offer that says active: we are passive */
	while ((p = strstr(text, "setup:actpass")))
		memcpy(p, "setup:active ", 13);
	offer = parse_text(text);
	cr_assert_eq(answer(offer, &l, out, sizeof(out), &res, why), 0, "%s",
		     why);
	a = parse_text(out);
	cr_assert_eq(a->m[0].setup, SDP_SETUP_PASSIVE);
	free(a);
	/* a re-offer keeps the role we took (never change it mid-call) */
	l.setup = SDP_SETUP_ACTIVE;
	cr_assert_eq(answer(offer, &l, out, sizeof(out), &res, why), 0, "%s",
		     why);
	a = parse_text(out);
	cr_assert_eq(a->m[0].setup, SDP_SETUP_ACTIVE);
	free(a);
	free(offer);
	free(text);
}

Test(sdp_answer, directions)
{
	struct sdp_result res;
	char out[16384], why[200];
	size_t len;
	char *text = vec_read("aiortc-offer.sdp", &len), *p;
	struct sdp *offer, *a;
	struct sdp_local l = local();

	p = strstr(text, "a=sendrecv");
	memcpy(p, "a=recvonly", 10); /* audio: the peer only receives */
	offer = parse_text(text);
	l.recv_only = false;
	cr_assert_eq(answer(offer, &l, out, sizeof(out), &res, why), 0, "%s",
		     why);
	cr_assert(res.audio_send && !res.audio_recv);
	a = parse_text(out);
	cr_assert_eq(a->m[0].dir, SDP_DIR_SENDONLY);
	free(a);
	l.recv_only = true; /* nothing to send: audio inactive */
	cr_assert_eq(answer(offer, &l, out, sizeof(out), &res, why), 0, "%s",
		     why);
	a = parse_text(out);
	cr_assert_eq(a->m[0].dir, SDP_DIR_INACTIVE);
	cr_assert_eq(a->m[1].dir, SDP_DIR_RECVONLY);
	cr_assert_eq(a->m[1].n_ssrcs, 0);
	free(a);
	free(offer);
	free(text);
}

Test(sdp_answer, nothing_acceptable)
{
	struct sdp_result res;
	char out[4096], why[300] = "";
	struct sdp *offer = parse_text(
	    "v=0\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 99\r\n"
	    "a=mid:0\r\na=rtcp-mux\r\na=rtpmap:99 H264/90000\r\n"
	    "a=ice-ufrag:a\r\na=ice-pwd:b\r\na=fingerprint:sha-256 " FP "\r\n");
	struct sdp_local l = local();

	cr_assert_eq(answer(offer, &l, out, sizeof(out), &res, why), EPROTO,
		     "%s", why);
	cr_assert(strstr(why, "VP8"), "%s", why);
	free(offer);
}

Test(sdp_answer, no_fingerprint_no_credentials)
{
	struct sdp_result res;
	char out[4096], why[300] = "";
	struct sdp *offer = parse_text(
	    "v=0\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
	    "a=mid:0\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\n"
	    "a=ice-ufrag:a\r\na=ice-pwd:b\r\n");
	struct sdp_local l = local();

	cr_assert_eq(answer(offer, &l, out, sizeof(out), &res, why), EPROTO,
		     "%s", why);
	cr_assert(strstr(why, "fingerprint"), "%s", why);
	free(offer);
	offer = parse_text("v=0\r\na=group:BUNDLE 0\r\nm=video 9 "
			   "UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=rtcp-mux\r\n"
			   "a=rtpmap:96 VP8/90000\r\n");
	cr_assert_eq(answer(offer, &l, out, sizeof(out), &res, why), EPROTO,
		     "%s", why);
	cr_assert(strstr(why, "ufrag"), "%s", why);
	free(offer);
}

Test(sdp_answer, small_buffer)
{
	struct sdp_result res;
	char out[100], why[200];
	size_t len;
	char *text = vec_read("aiortc-offer.sdp", &len);
	struct sdp *offer = parse_text(text);
	struct sdp_local l = local();

	cr_assert_eq(answer(offer, &l, out, sizeof(out), &res, why), ENOSPC,
		     "%s", why);
	cr_assert(strlen(out) < sizeof(out));
	free(offer);
	free(text);
}

Test(sdp_offer, offer_answer_round_trip)
{
	struct sdp_local caller = local(), callee = local();
	struct sdp_result ares, ores;
	char offer_text[8192], answer_text[8192], why[200] = "";
	struct sdp *offer, *answer;

	callee.ufrag = "uf02";
	callee.video_ssrc = 3333;
	cr_assert_eq(sdp_offer(&caller, offer_text, sizeof(offer_text)), 0);
	offer = parse_text(offer_text);
	cr_assert_eq(offer->m[0].setup, SDP_SETUP_ACTPASS);
	cr_assert_eq(sdp_answer(offer, &callee, answer_text,
				sizeof(answer_text), &ares, why, sizeof(why)),
		     0, "%s", why);
	cr_assert_eq(ares.remote_video_ssrc, 2222);
	answer = parse_text(answer_text);
	cr_assert_eq(sdp_read_answer(answer, &ores, why, sizeof(why)), 0, "%s",
		     why);
	cr_assert_eq(ores.remote_setup, SDP_SETUP_ACTIVE);
	cr_assert_eq(ores.video_pt, 96);
	cr_assert_eq(ores.audio_pt, 111);
	cr_assert_eq(ores.remote_video_ssrc, 3333);
	cr_assert_str_eq(ores.transport->ufrag, "uf02");
	cr_assert(ores.video_send && ores.video_recv);
	free(offer);
	free(answer);
}

Test(sdp_offer, answer_with_actpass_refused)
{
	struct sdp_local l = local();
	struct sdp_result res;
	char text[8192], why[300] = "";
	struct sdp *s;

	cr_assert_eq(sdp_offer(&l, text, sizeof(text)), 0);
	s = parse_text(text); /* our own offer read as if it were an answer */
	cr_assert_eq(sdp_read_answer(s, &res, why, sizeof(why)), EPROTO);
	cr_assert(strstr(why, "actpass"), "%s", why);
	free(s);
}
