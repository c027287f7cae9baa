/* test_media.c — two pipelines on one event_base, each one's packets fed
 * to the other through a queue that delays them 5 ms and drops some:
 * video and audio decode, the test pattern's counter arrives in order,
 * NACKs are answered, RTT comes from the reports; RTCP feedback (PLI,
 * FIR, REMB) written by hand is honoured; bad params are refused. */
#include <criterion/criterion.h>
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "peer/media.h"
#include "peer/rtp.h"
#include "../../peer-media/link.h"

#define pa link_params_a
static const struct peer_media_params pb = {
	.video_on = true,
	.vp8_pt = 96,
	.video_ssrc = 0xb1,
	.video_fb = PEER_FB_NACK | PEER_FB_PLI | PEER_FB_FIR | PEER_FB_REMB,
	.audio_on = true,
	.opus_pt = 111,
	.audio_ssrc = 0, /* learned */
	.opus_fec = true,
	.cname = "b"
};

static void make(struct event_base *base, struct peer_media **m,
		 struct link *out)
{
	struct peer_media_opts o = { .video_src = PEER_VSRC_PATTERN,
				     .width = 320,
				     .height = 240,
				     .fps = 30,
				     .video_bitrate = 500000,
				     .audio_src = PEER_ASRC_TONE,
				     .send = link_send,
				     .send_arg = out };

	cr_assert_eq(peer_media_new(m, base, &o), 0);
}

static void run_call_for(long seconds, unsigned drop_every,
			 struct peer_media_stats *sa,
			 struct peer_media_stats *sb)
{
	struct event_base *base = event_base_new();
	struct link ab, ba;
	struct timeval tv = { seconds, 0 };
	struct peer_media *a, *b;
	struct peer_media_params rb = pb, ra = pa;

	cr_assert_eq(link_init(&ab, base, drop_every), 0);
	cr_assert_eq(link_init(&ba, base, 0), 0);
	make(base, &a, &ab);
	make(base, &b, &ba);
	ab.to = b;
	ba.to = a;
	/* each receives what the other sends (B's audio SSRC unsignalled) */
	rb.audio_ssrc = 0xa2;
	ra.audio_ssrc = 0;
	cr_assert_eq(peer_media_set_send(a, &pa), 0);
	cr_assert_eq(peer_media_set_recv(a, &pb), 0);
	cr_assert_eq(peer_media_set_send(b, &rb), 0);
	cr_assert_eq(peer_media_set_recv(b, &ra), 0);
	cr_assert_eq(peer_media_start(a), 0);
	cr_assert_eq(peer_media_start(b), 0);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	peer_media_stats(a, sa, peer_clock_us());
	peer_media_stats(b, sb, peer_clock_us());
	cr_assert_gt(ab.rtcp_seen, 3);
	cr_assert_not(ab.bad_rtcp);
	cr_assert_not(ba.bad_rtcp);
	peer_media_free(a);
	peer_media_free(b);
	link_free(&ab);
	link_free(&ba);
	event_base_free(base);
}

static void run_call(unsigned drop_every, struct peer_media_stats *sa,
		     struct peer_media_stats *sb)
{
	run_call_for(3, drop_every, sa, sb);
}

Test(media, call_without_loss, .timeout = 20)
{
	struct peer_media_stats sa, sb;

	run_call(0, &sa, &sb);
	cr_assert_geq(sa.frames_encoded, 80, "%llu",
		      (unsigned long long)sa.frames_encoded);
	cr_assert_geq(sb.frames_decoded, sa.frames_encoded - 3);
	cr_assert_eq(sb.width_received, 320);
	cr_assert_eq(sb.height_received, 240);
	cr_assert_geq(sb.pattern_frames, sb.frames_decoded - 1);
	cr_assert_eq(sb.pattern_order_errors, 0);
	cr_assert_eq(sb.pattern_gaps, 0);
	cr_assert(sb.pattern_latency_avg_ms >= 0 &&
		      sb.pattern_latency_avg_ms < 200,
		  "%f", sb.pattern_latency_avg_ms);
	cr_assert_geq(sb.audio_frames_decoded, 120);
	cr_assert_geq(sa.rtt_ms, 0);
	cr_assert_lt(sa.rtt_ms, 200);
	cr_assert_eq(sb.packets_lost, 0);
	cr_assert_eq(sa.keyframes_sent, 1);
	cr_assert_gt(sa.bitrate_out, 100000);
	cr_assert_gt(sb.bitrate_in, 100000);
	cr_assert_eq(sb.rx_malformed, 0);
	/* B's estimate goes back as REMB; without loss it leaves A's
	 * encoder at its ceiling */
	cr_assert_gt(sb.remb_sent, sb.bitrate_in);
	cr_assert_gt(sa.remb_bitrate, 0);
	cr_assert_eq(sa.target_bitrate, 500000);
	/* nothing lost: no in-band FEC spent on the Opus */
	cr_assert_eq(sa.opus_loss_pct, 0);
}

Test(media, call_with_loss_repaired, .timeout = 20)
{
	struct peer_media_stats sa, sb;

	run_call(20, &sa, &sb); /* 5 % of A's RTP lost */
	cr_assert_gt(sb.nacks_sent, 0);
	cr_assert_gt(sa.nacks_received, 0);
	cr_assert_gt(sa.packets_retransmitted, 0);
	cr_assert_eq(sb.pattern_order_errors, 0);
	cr_assert_geq(sb.frames_decoded, sa.frames_encoded * 9 / 10,
		      "decoded %llu of %llu",
		      (unsigned long long)sb.frames_decoded,
		      (unsigned long long)sa.frames_encoded);
}

Test(media, heavy_loss_lowers_the_sender_through_remb, .timeout = 20)
{
	struct peer_media_stats sa, sb;

	/* 25 % of A's RTP lost, resends too. B's first estimate needs two
	 * RTCP intervals (a rate, then the loss), and a busy machine runs
	 * fewer of them: 6 s so the cut reaches A before the end. */
	run_call_for(6, 4, &sa, &sb);
	cr_assert_gt(sb.remb_sent, 0);
	cr_assert_lt(sb.remb_sent, 500000, "REMB %u", sb.remb_sent);
	cr_assert_lt(sa.target_bitrate, 500000, "target %u", sa.target_bitrate);
	/* and Opus FEC sized for the loss B reports on A's audio */
	cr_assert_gt(sa.opus_loss_pct, 10, "%u", sa.opus_loss_pct);
	cr_assert_eq(sb.pattern_order_errors, 0);
}

static void count_send(void *arg, const uint8_t *p, size_t len, bool rtcp)
{
	(void)p;
	(void)len;
	if (!rtcp)
		(*(unsigned *)arg)++;
}

Test(media, feedback_pli_fir_remb_honoured)
{
	struct event_base *base = event_base_new();
	unsigned sent = 0;
	struct peer_media_opts o = { .video_src = PEER_VSRC_PATTERN,
				     .width = 160,
				     .height = 120,
				     .fps = 50,
				     .video_bitrate = 800000,
				     .send = count_send,
				     .send_arg = &sent };
	struct peer_media_stats st;
	struct peer_media *m;
	struct timeval tv = { 0, 300000 };
	uint8_t buf[200];
	size_t len = 0;
	uint32_t ss = 0xa1;

	cr_assert_eq(peer_media_new(&m, base, &o), 0);
	cr_assert_eq(peer_media_set_send(m, &pa), 0);
	cr_assert_eq(peer_media_set_recv(m, &pb), 0);
	cr_assert_eq(peer_media_start(m), 0);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	rtcp_put_rr(buf, sizeof(buf), &len, 0xb1, NULL, 0);
	rtcp_put_pli(buf, sizeof(buf), &len, 0xb1, 0xa1);
	rtcp_put_fir(buf, sizeof(buf), &len, 0xb1, 0xa1, 1);
	rtcp_put_fir(buf, sizeof(buf), &len, 0xb1, 0xa1, 1); /* repeat */
	rtcp_put_remb(buf, sizeof(buf), &len, 0xb1, 300000, &ss, 1);
	cr_assert_eq(peer_media_input(m, buf, len, peer_clock_us()), 0);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	peer_media_stats(m, &st, peer_clock_us());
	cr_assert_eq(st.plis_received, 1);
	cr_assert_eq(st.firs_received, 1);
	cr_assert_eq(st.remb_bitrate, 300000);
	cr_assert_eq(st.target_bitrate, 300000 - 32000);
	cr_assert_eq(st.keyframes_sent, 2); /* first frame + PLI/FIR */
	cr_assert_gt(sent, 10);
	/* garbage in: counted, nothing else */
	buf[0] = 0x80;
	buf[1] = 200;
	cr_assert_eq(peer_media_input(m, buf, 4, peer_clock_us()), 0);
	cr_assert_eq(peer_media_input(m, buf + 1, 5, peer_clock_us()), EBADMSG);
	peer_media_stats(m, &st, peer_clock_us());
	cr_assert_eq(st.rx_malformed, 2);
	peer_media_free(m);
	event_base_free(base);
}

Test(media, bad_params_and_sources)
{
	struct event_base *base = event_base_new();
	struct peer_media_opts o = { .video_src = PEER_VSRC_Y4M,
				     .video_path = "/nonexistent.y4m",
				     .send = count_send };
	struct peer_media_params p = pa;
	struct peer_media *m;

	cr_assert_eq(peer_media_new(&m, base, &o), ENOENT);
	o.video_src = PEER_VSRC_PATTERN;
	o.send = NULL;
	cr_assert_eq(peer_media_new(&m, base, &o), EINVAL);
	o.send = count_send;
	cr_assert_eq(peer_media_new(&m, base, &o), 0);
	cr_assert_eq(peer_media_start(m), EINVAL); /* params not set */
	p.vp8_pt = 72; /* would collide with RTCP (RFC 5761) */
	cr_assert_eq(peer_media_set_send(m, &p), EINVAL);
	p = pa;
	p.audio_ssrc = p.video_ssrc;
	cr_assert_eq(peer_media_set_send(m, &p), EINVAL);
	p = pa;
	p.video_ssrc = 0;
	cr_assert_eq(peer_media_set_send(m, &p), EINVAL);
	peer_media_free(m);
	peer_media_free(NULL);
	event_base_free(base);
}

Test(media, reoffer_keeps_learned_ssrc)
{
	struct event_base *base = event_base_new();
	struct peer_media_opts o = { .send = count_send };
	struct peer_media_params r = pa;
	struct peer_media_stats st;
	struct peer_media *m;
	/* an Opus packet (PT 111) from SSRC 0x0c0c0c0c: one silent frame */
	uint8_t pkt[] = { 0x80, 111,  0,    1,	  0,	0,    0,   0,
			  0x0c, 0x0c, 0x0c, 0x0c, 0xf8, 0xff, 0xfe };

	r.audio_ssrc = 0;
	cr_assert_eq(peer_media_new(&m, base, &o), 0);
	cr_assert_eq(peer_media_set_send(m, &pa), 0);
	cr_assert_eq(peer_media_set_recv(m, &r), 0);
	cr_assert_eq(peer_media_input(m, pkt, sizeof(pkt), 1000), 0);
	/* the re-offer says nothing new: the learned SSRC stays */
	cr_assert_eq(peer_media_set_recv(m, &r), 0);
	pkt[3] = 2;
	cr_assert_eq(peer_media_input(m, pkt, sizeof(pkt), 21000), 0);
	pkt[8] = 0x0d; /* another SSRC on the same PT: not ours */
	pkt[3] = 3;
	cr_assert_eq(peer_media_input(m, pkt, sizeof(pkt), 41000), 0);
	peer_media_stats(m, &st, 41000);
	cr_assert_eq(st.audio_packets_received, 2);
	cr_assert_eq(st.audio_frames_decoded, 2);
	cr_assert_eq(st.rx_malformed, 1);
	peer_media_free(m);
	event_base_free(base);
}
