/* test_vp8.c — the VP8 payload descriptor (RFC 7741 4.2) in its shapes,
 * and the packetizer: S and PID 0 on the first packet only, a 15-bit
 * PictureID on every one, sizes within the MTU, bytes in order. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "peer/rtp.h"

Test(vp8, minimal_descriptor)
{
	/* X=0 S=1 PID=0, then a keyframe tag (P bit clear) */
	const uint8_t p[] = { 0x10, 0x50, 0x01, 0x00 };
	struct vp8_desc d;

	cr_assert_eq(vp8_desc_parse(&d, p, sizeof(p)), 0);
	cr_assert(d.start);
	cr_assert_eq(d.pid, 0);
	cr_assert_not(d.has_picid);
	cr_assert(d.keyframe);
	cr_assert_eq(d.len, 3);
}

Test(vp8, seven_and_fifteen_bit_picture_ids)
{
	const uint8_t p7[] = { 0x90, 0x80, 0x2a, 0x51 };
	const uint8_t p15[] = { 0x90, 0x80, 0x92, 0x34, 0x51 };
	struct vp8_desc d;

	cr_assert_eq(vp8_desc_parse(&d, p7, sizeof(p7)), 0);
	cr_assert(d.has_picid);
	cr_assert_eq(d.picid, 0x2a);
	cr_assert_not(d.keyframe); /* P bit set: interframe */
	cr_assert_eq(vp8_desc_parse(&d, p15, sizeof(p15)), 0);
	cr_assert_eq(d.picid, 0x1234);
	cr_assert_eq(d.len, 1);
}

Test(vp8, tl0picidx_tid_keyidx_stepped_over)
{
	/* X: I L T K all set; 15-bit picid; TL0PICIDX; TID/Y/KEYIDX */
	const uint8_t p[] = { 0x80, 0xf0, 0x80, 0x01, 0x07, 0x40, 0x9d };
	struct vp8_desc d;

	cr_assert_eq(vp8_desc_parse(&d, p, sizeof(p)), 0);
	cr_assert_not(d.start);
	cr_assert_eq(d.picid, 1);
	cr_assert_eq(d.len, 1);
	cr_assert_eq(d.data[0], 0x9d);
}

Test(vp8, truncated_descriptors_rejected)
{
	const uint8_t a[] = { 0x90 }, b[] = { 0x90, 0x80 },
		      c[] = { 0x90, 0x80, 0x80, 0x01 }, e[] = { 0x10 },
		      f[] = { 0x80, 0x40, 0x05 };
	struct vp8_desc d;

	cr_assert_eq(vp8_desc_parse(&d, a, 0), EBADMSG);
	cr_assert_eq(vp8_desc_parse(&d, a, sizeof(a)), EBADMSG);
	cr_assert_eq(vp8_desc_parse(&d, b, sizeof(b)), EBADMSG);
	cr_assert_eq(vp8_desc_parse(&d, c, sizeof(c)), EBADMSG); /* no data */
	cr_assert_eq(vp8_desc_parse(&d, e, sizeof(e)), EBADMSG);
	cr_assert_eq(vp8_desc_parse(&d, f, sizeof(f)), EBADMSG);
}

Test(vp8, packetizer_splits_evenly_and_reassembles)
{
	static uint8_t frame[5000], out[1200], back[5000];
	size_t off = 0, n, got = 0, count = 0;
	struct vp8_desc d;

	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
	frame[0] = 0x50; /* keyframe tag */
	while ((n = vp8_packetize(frame, sizeof(frame), &off, 0x4321, 1188, out,
				  sizeof(out)))) {
		cr_assert_leq(n, 1188);
		cr_assert_eq(vp8_desc_parse(&d, out, n), 0);
		cr_assert_eq(d.start, count == 0);
		cr_assert_eq(d.pid, 0);
		cr_assert(d.has_picid);
		cr_assert_eq(d.picid, 0x4321 & 0x7fff);
		cr_assert_eq(d.keyframe, count == 0);
		memcpy(back + got, d.data, d.len);
		got += d.len;
		count++;
	}
	cr_assert_eq(count, 5); /* 5000 / 1184 rounded up */
	cr_assert_eq(got, sizeof(frame));
	cr_assert(memcmp(back, frame, sizeof(frame)) == 0);
}

Test(vp8, keyframe_bit)
{
	const uint8_t key[] = { 0x50, 0x01, 0x00 }, inter[] = { 0x51, 0, 0 };

	cr_assert(vp8_is_keyframe(key, 3));
	cr_assert_not(vp8_is_keyframe(inter, 3));
	cr_assert_not(vp8_is_keyframe(key, 2));
}
