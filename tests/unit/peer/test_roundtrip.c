/* test_roundtrip.c — the whole video path without a network: test pattern
 * -> VP8 encoder -> RFC 7741 packets -> (drops, reordering) -> jitter
 * buffer -> VP8 decoder -> pattern read back. Lost packets come back
 * through NACK from a send history, or, when they never do, a keyframe
 * request restores the picture. And Opus: tone in, tone out. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "peer/codec.h"
#include "peer/jbuf.h"
#include "peer/rtp.h"

#define W    320
#define H    240
#define HIST 4096

struct net {
	uint8_t pkt[HIST][1200];
	size_t len[HIST];
	uint16_t seq;
	struct jbuf *jb;
	struct vp8_dec *dec;
	uint32_t last_counter;
	unsigned decoded, order_errors;
	bool have_last;
};

static void deliver(struct net *n, uint16_t seq, uint64_t now)
{
	struct rtp_hdr h;

	cr_assert_eq(rtp_parse(&h, n->pkt[seq % HIST], n->len[seq % HIST]), 0);
	jbuf_put(n->jb, &h, now);
}

static void drain(struct net *n, uint64_t now)
{
	static uint8_t buf[1 << 20];
	struct jbuf_frame f;
	struct vimage img;
	uint32_t c, t;

	while (jbuf_pop(n->jb, now, buf, sizeof(buf), &f) == 0) {
		cr_assert_eq(vp8_dec_decode(n->dec, buf, f.len, &img), 0);
		if (!img.w)
			continue;
		cr_assert_eq(img.w, W);
		cr_assert(pattern_read(&img, &c, &t), "frame %u unreadable",
			  n->decoded);
		if (n->have_last && c <= n->last_counter)
			n->order_errors++;
		n->have_last = true;
		n->last_counter = c;
		n->decoded++;
	}
}

/* Send frames 0..frames-1; drop(seq, try) decides losses. */
static void run(struct net *n, unsigned frames, bool (*drop)(uint16_t),
		bool honour_nack)
{
	static uint8_t enc[1 << 20];
	struct vp8_enc *e;
	struct vsrc *src;
	struct vimage img;
	uint8_t pl[1200];
	uint64_t now = 1000000;
	bool key_wanted = false;

	cr_assert_eq(vsrc_pattern_open(&src, W, H, 30), 0);
	cr_assert_eq(vp8_enc_new(&e, W, H, 30, 600000), 0);
	cr_assert_eq(vp8_dec_new(&n->dec), 0);
	cr_assert_eq(jbuf_new(&n->jb, NULL), 0);
	for (unsigned i = 0; i < frames; i++, now += 33333) {
		size_t len, off = 0, pl_len;
		uint16_t held[64], nk[64];
		size_t nheld = 0, k;
		bool key;

		cr_assert_eq(src->read(src, &img, 5000 + i), 0);
		cr_assert_eq(vp8_enc_encode(e, &img, i, i == 0 || key_wanted,
					    enc, sizeof(enc), &len, &key),
			     0);
		key_wanted = false;
		while ((pl_len = vp8_packetize(enc, len, &off, (uint16_t)i,
					       1188, pl, sizeof(pl)))) {
			uint16_t s = n->seq++;
			uint8_t *p = n->pkt[s % HIST];

			rtp_write_hdr(p, 1200, off == len, 96, s, 3000 * i, 7);
			memcpy(p + 12, pl, pl_len);
			n->len[s % HIST] = 12 + pl_len;
			if (drop(s))
				continue;
			/* hold every 3rd packet back: reordering */
			if (s % 3 == 0 && nheld < 64)
				held[nheld++] = s;
			else
				deliver(n, s, now);
		}
		for (k = nheld; k > 0; k--)
			deliver(n, held[k - 1], now);
		drain(n, now);
		/* the receiver's 20 ms tick: NACK answered from history */
		k = jbuf_nacks(n->jb, now + 20000, nk, 64);
		for (size_t x = 0; honour_nack && x < k; x++)
			deliver(n, nk[x], now + 25000);
		drain(n, now + 25000);
		if (jbuf_want_keyframe(n->jb, now + 25000))
			key_wanted = true;
	}
	vp8_enc_free(e);
	src->close(src);
}

static bool drop_none(uint16_t s)
{
	(void)s;
	return false;
}

static bool drop_some(uint16_t s)
{
	return s % 7 == 3;
}

/* rarer losses: a keyframe of ~10 packets gets through now and then */
static bool drop_rare(uint16_t s)
{
	return s % 53 == 3;
}

static void finish(struct net *n)
{
	jbuf_free(n->jb);
	vp8_dec_free(n->dec);
	free(n);
}

Test(roundtrip, vp8_reordered_no_loss)
{
	struct net *n = calloc(1, sizeof(*n));

	run(n, 60, drop_none, true);
	cr_assert_eq(n->decoded, 60);
	cr_assert_eq(n->order_errors, 0);
	cr_assert_eq(n->last_counter, 59);
	finish(n);
}

Test(roundtrip, vp8_losses_repaired_by_nack)
{
	struct net *n = calloc(1, sizeof(*n));

	run(n, 60, drop_some, true);
	/* the last frame may wait for a packet no later one reveals lost */
	cr_assert_geq(n->decoded, 59, "decoded %u of 60", n->decoded);
	cr_assert_eq(n->order_errors, 0);
	finish(n);
}

Test(roundtrip, vp8_unrepaired_losses_recover_on_keyframe)
{
	struct net *n = calloc(1, sizeof(*n));

	run(n, 90, drop_rare, false);
	/* frames are lost, but the picture comes back: the last frames
	 * decode, all in order */
	cr_assert_lt(n->decoded, 90);
	cr_assert_gt(n->decoded, 3);
	cr_assert_eq(n->order_errors, 0);
	cr_assert_geq(n->last_counter, 80, "last counter %u", n->last_counter);
	finish(n);
}

Test(roundtrip, opus_tone)
{
	struct opus_enc *e;
	struct opus_dec *d;
	struct asrc *tone;
	int16_t pcm[AUDIO_FRAME * AUDIO_CH];
	static int16_t out[AUDIO_MAX_FRAME * AUDIO_CH];
	uint8_t pkt[1500];
	double energy = 0;
	unsigned frames;
	size_t len;

	cr_assert_eq(asrc_tone_open(&tone, 440), 0);
	cr_assert_eq(opus_enc_new(&e, 32000, true), 0);
	cr_assert_eq(opus_dec_new(&d), 0);
	for (int i = 0; i < 50; i++) {
		cr_assert_eq(tone->read(tone, pcm), 0);
		cr_assert_eq(opus_enc_encode(e, pcm, pkt, sizeof(pkt), &len),
			     0);
		cr_assert_gt(len, 2);
		cr_assert_eq(opus_dec_decode(d, pkt, len, false, out, &frames),
			     0);
		cr_assert_eq(frames, AUDIO_FRAME);
		if (i >= 10)
			for (unsigned k = 0; k < frames * 2; k++)
				energy += (double)out[k] * out[k];
	}
	/* a sine of amplitude 8000 has RMS 5657; the codec keeps most */
	energy = sqrt(energy / (40.0 * AUDIO_FRAME * 2));
	cr_assert(energy > 4000 && energy < 7000, "rms %f", energy);
	/* a lost packet is concealed; garbage is refused */
	cr_assert_eq(opus_dec_decode(d, NULL, 0, false, out, &frames), 0);
	cr_assert_eq(opus_dec_decode(d, pkt, 2000, false, out, &frames),
		     EBADMSG);
	opus_enc_free(e);
	opus_dec_free(d);
	tone->close(tone);
}
