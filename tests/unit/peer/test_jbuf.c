/* test_jbuf.c — the jitter buffer with an injected clock: frames out in
 * order whatever order packets come in, duplicates and late packets
 * refused, gaps NACKed at once and again after the retry interval, a
 * frame given up after max_wait, then only a keyframe released and a
 * keyframe asked for. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "peer/jbuf.h"

#define MS 1000ull

/* A packet of frame f (ts 3000*f), part i of n; keyframe if key. */
static void put(struct jbuf *j, uint16_t seq, unsigned f, unsigned i,
		unsigned n, bool key, uint64_t now)
{
	uint8_t pl[8];
	struct rtp_hdr h = { .marker = i == n - 1,
			     .pt = 96,
			     .seq = seq,
			     .ts = 3000 * f,
			     .ssrc = 1,
			     .payload = pl,
			     .plen = sizeof(pl) };

	pl[0] = (uint8_t)(i == 0 ? 0x10 : 0x00); /* S on the first */
	pl[1] = (uint8_t)(i == 0 && key ? 0x50 : 0x51);
	pl[2] = (uint8_t)f;
	pl[3] = (uint8_t)i;
	memset(pl + 4, 0xee, 4);
	cr_assert_eq(jbuf_put(j, &h, now), 0, "put seq %u", seq);
}

static int pop(struct jbuf *j, uint64_t now, struct jbuf_frame *f)
{
	static uint8_t buf[4096];

	return jbuf_pop(j, now, buf, sizeof(buf), f);
}

Test(jbuf, reorders_packets_into_frames)
{
	struct jbuf *j;
	struct jbuf_frame f;
	uint64_t t = 1000 * MS;

	cr_assert_eq(jbuf_new(&j, NULL), 0);
	/* frame 0 (key, seqs 10-12), frame 1 (13-14): arrive shuffled */
	put(j, 10, 0, 0, 3, true, t);
	put(j, 12, 0, 2, 3, true, t);
	cr_assert_eq(pop(j, t, &f), ENOENT);
	put(j, 14, 1, 1, 2, false, t);
	put(j, 11, 0, 1, 3, true, t);
	cr_assert_eq(pop(j, t, &f), 0);
	cr_assert(f.keyframe);
	cr_assert_eq(f.first_seq, 10);
	cr_assert_eq(f.last_seq, 12);
	cr_assert_eq(f.len, 3 * 7); /* descriptor byte stripped */
	cr_assert_eq(pop(j, t, &f), ENOENT);
	put(j, 13, 1, 0, 2, false, t);
	cr_assert_eq(pop(j, t, &f), 0);
	cr_assert_eq(f.ts, 3000);
	cr_assert_not(f.keyframe);
	/* a duplicate, then a packet of a frame already released */
	put(j, 15, 2, 0, 1, false, t);
	{
		uint8_t pl[2] = { 0x10, 0x51 };
		struct rtp_hdr h = { .seq = 15,
				     .payload = pl,
				     .plen = 2,
				     .ts = 6000,
				     .marker = true };

		cr_assert_eq(jbuf_put(j, &h, t), EEXIST);
		h.seq = 12;
		cr_assert_eq(jbuf_put(j, &h, t), ESTALE);
	}
	jbuf_free(j);
}

Test(jbuf, nacks_gaps_with_retries)
{
	struct jbuf_opts o = { .max_wait_us = 500 * MS,
			       .nack_retry_us = 50 * MS,
			       .nack_max_tries = 3 };
	struct jbuf *j;
	uint16_t seqs[16];
	struct jbuf_frame f;
	uint64_t t = 1000 * MS;

	cr_assert_eq(jbuf_new(&j, &o), 0);
	put(j, 100, 0, 0, 1, true, t);
	cr_assert_eq(pop(j, t, &f), 0);
	put(j, 101, 1, 0, 3, false, t);
	put(j, 104, 2, 0, 1, false, t); /* 102, 103 lost */
	cr_assert_eq(jbuf_nacks(j, t, seqs, 16), 2);
	cr_assert_eq(seqs[0] + seqs[1], 102 + 103);
	/* not again before the retry interval */
	cr_assert_eq(jbuf_nacks(j, t + 20 * MS, seqs, 16), 0);
	put(j, 102, 1, 1, 3, false, t + 30 * MS); /* a retransmission */
	cr_assert_eq(jbuf_nacks(j, t + 60 * MS, seqs, 16), 1);
	cr_assert_eq(seqs[0], 103);
	cr_assert_eq(jbuf_nacks(j, t + 120 * MS, seqs, 16), 1);
	/* third and last try */
	cr_assert_eq(jbuf_nacks(j, t + 200 * MS, seqs, 16), 0);
	put(j, 103, 1, 2, 3, false, t + 210 * MS);
	cr_assert_eq(pop(j, t + 210 * MS, &f), 0);
	cr_assert_eq(f.first_seq, 101);
	cr_assert_eq(pop(j, t + 210 * MS, &f), 0);
	cr_assert_eq(f.first_seq, 104);
	{
		struct jbuf_stats st;

		jbuf_stats(j, &st);
		cr_assert_eq(st.recovered,
			     1); /* 103 came after the NACKs gave up */
		cr_assert_eq(st.nacked, 4);
	}
	jbuf_free(j);
}

Test(jbuf, gives_up_then_waits_for_a_keyframe)
{
	struct jbuf_opts o = { .max_wait_us = 100 * MS };
	struct jbuf *j;
	struct jbuf_frame f;
	uint64_t t = 1000 * MS;

	cr_assert_eq(jbuf_new(&j, &o), 0);
	put(j, 1, 0, 0, 1, true, t);
	cr_assert_eq(pop(j, t, &f), 0);
	cr_assert_not(jbuf_want_keyframe(j, t));
	put(j, 2, 1, 0, 2, false, t); /* seq 3 never comes */
	put(j, 4, 2, 0, 1, false, t);
	cr_assert_eq(pop(j, t + 50 * MS, &f), ENOENT);
	/* after max_wait: frame 1 skipped, frame 2 is not a keyframe */
	cr_assert_eq(pop(j, t + 150 * MS, &f), ENOENT);
	cr_assert(jbuf_want_keyframe(j, t + 150 * MS));
	cr_assert_not(jbuf_want_keyframe(j, t + 160 * MS)); /* rate limit */
	put(j, 5, 3, 0, 1, false, t + 170 * MS);
	cr_assert_eq(pop(j, t + 170 * MS, &f), ENOENT);
	put(j, 6, 4, 0, 2, true, t + 180 * MS);
	put(j, 7, 4, 1, 2, true, t + 180 * MS);
	cr_assert_eq(pop(j, t + 180 * MS, &f), 0);
	cr_assert(f.keyframe);
	cr_assert_eq(f.first_seq, 6);
	cr_assert_not(jbuf_want_keyframe(j, t + 500 * MS));
	{
		struct jbuf_stats st;

		jbuf_stats(j, &st);
		cr_assert_eq(st.frames_out, 2);
		cr_assert_eq(st.frames_skipped, 3);
	}
	jbuf_free(j);
}

Test(jbuf, first_frame_must_be_a_keyframe)
{
	struct jbuf *j;
	struct jbuf_frame f;
	uint64_t t = 1000 * MS;

	cr_assert_eq(jbuf_new(&j, NULL), 0);
	put(j, 50, 0, 0, 1, false, t);
	cr_assert_eq(pop(j, t, &f), ENOENT);
	cr_assert(jbuf_want_keyframe(j, t));
	put(j, 51, 1, 0, 1, true, t);
	cr_assert_eq(pop(j, t, &f), 0);
	cr_assert(f.keyframe);
	jbuf_free(j);
}

Test(jbuf, sequence_wrap)
{
	struct jbuf *j;
	struct jbuf_frame f;
	uint64_t t = 1000 * MS;

	cr_assert_eq(jbuf_new(&j, NULL), 0);
	put(j, 65534, 0, 0, 3, true, t);
	put(j, 0, 0, 2, 3, true, t);
	put(j, 65535, 0, 1, 3, true, t);
	cr_assert_eq(pop(j, t, &f), 0);
	cr_assert_eq(f.last_seq, 0);
	put(j, 1, 1, 0, 1, false, t);
	cr_assert_eq(pop(j, t, &f), 0);
	cr_assert_eq(f.first_seq, 1);
	jbuf_free(j);
}

Test(jbuf, too_small_buffer_drops_the_frame)
{
	struct jbuf *j;
	struct jbuf_frame f;
	uint8_t small[4];

	cr_assert_eq(jbuf_new(&j, NULL), 0);
	put(j, 1, 0, 0, 1, true, 1000);
	cr_assert_eq(jbuf_pop(j, 1000, small, sizeof(small), &f), ENOSPC);
	cr_assert_eq(jbuf_pop(j, 1000, small, sizeof(small), &f), ENOENT);
	jbuf_free(j);
}

Test(jbuf, sender_restart_resyncs_on_a_keyframe)
{
	struct jbuf *j;
	struct jbuf_frame f;
	struct jbuf_stats st;
	uint64_t t = 1000 * MS;
	uint16_t s;

	cr_assert_eq(jbuf_new(&j, NULL), 0);
	put(j, 40000, 0, 0, 1, true, t);
	cr_assert_eq(pop(j, t, &f), 0);
	/* the sender restarts 30000 behind: "late" until it is clearly a
	 * new sequence, then followed from its next keyframe */
	for (s = 10000; s < 10100; s++) {
		uint8_t pl[3] = { 0x10, (uint8_t)(s == 10080 ? 0x50 : 0x51),
				  0 };
		struct rtp_hdr h = { .marker = true,
				     .seq = s,
				     .ts = s,
				     .payload = pl,
				     .plen = 3 };

		jbuf_put(j, &h, t);
		while (pop(j, t, &f) == 0)
			cr_assert_geq(f.first_seq, 10080);
	}
	jbuf_stats(j, &st);
	cr_assert_eq(st.resyncs, 1);
	cr_assert_eq(st.frames_out, 1 + 20);
	jbuf_free(j);
}

Test(jbuf, padding_only_packets_fill_their_sequence_numbers)
{
	struct jbuf *j;
	struct jbuf_frame f;
	uint64_t t = 1000 * MS;
	uint16_t seqs[8];
	struct rtp_hdr pad = { .seq = 2, .ts = 0, .plen = 0 };

	cr_assert_eq(jbuf_new(&j, NULL), 0);
	put(j, 1, 0, 0, 1, true, t);
	cr_assert_eq(pop(j, t, &f), 0);
	/* a bandwidth probe: two padding-only packets between frames */
	cr_assert_eq(jbuf_put(j, &pad, t), 0);
	pad.seq = 3;
	cr_assert_eq(jbuf_put(j, &pad, t), 0);
	put(j, 4, 1, 0, 1, false, t);
	cr_assert_eq(pop(j, t, &f), 0);
	cr_assert_eq(f.first_seq, 4);
	cr_assert_eq(jbuf_nacks(j, t, seqs, 8), 0);
	cr_assert_not(jbuf_want_keyframe(j, t));
	jbuf_free(j);
}

/* A packet seen before the first start packet may lie half the sequence
 * space ahead of it. Giving up on a frame then searched for the next start
 * packet around the whole 16-bit space for ever (the fuzzer's timeout). */
Test(jbuf, give_up_with_highest_seq_half_the_space_ahead, .timeout = 5)
{
	struct jbuf_opts o = { .max_wait_us = 100 * MS };
	struct jbuf *j;
	struct jbuf_frame f;
	uint64_t t = 1000 * MS;

	cr_assert_eq(jbuf_new(&j, &o), 0);
	put(j, 32768, 9, 1, 3, false, t); /* middle of a frame, no start */
	put(j, 0, 0, 0, 1, true, t);
	cr_assert_eq(pop(j, t, &f), 0);
	cr_assert_eq(f.first_seq, 0);
	/* next_seq is 1, nothing there: give up after max_wait, no hang */
	cr_assert_eq(pop(j, t + 150 * MS, &f), ENOENT);
	cr_assert_eq(pop(j, t + 300 * MS, &f), ENOENT);
	put(j, 1, 1, 0, 1, false, t + 310 * MS);
	cr_assert_eq(pop(j, t + 310 * MS, &f), 0);
	cr_assert_eq(f.first_seq, 1);
	/* and the gaps after the start are NACKed, the stray seq forgotten */
	put(j, 4, 2, 0, 1, false, t + 320 * MS);
	{
		uint16_t seqs[8];

		cr_assert_eq(jbuf_nacks(j, t + 320 * MS, seqs, 8), 2);
		cr_assert_eq(seqs[0], 2);
		cr_assert_eq(seqs[1], 3);
	}
	jbuf_free(j);
}
