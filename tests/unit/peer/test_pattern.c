/* test_pattern.c — the test pattern's counter and time survive being
 * drawn, and a damaged or foreign picture reads as nothing. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "peer/src.h"

static void img_alloc(struct vimage *img, unsigned w, unsigned h)
{
	vimage_wrap(img, calloc(1, (size_t)w * h * 3 / 2), w, h);
}

Test(pattern, stamp_and_read_back)
{
	unsigned sizes[][2] = { { 640, 480 }, { 320, 240 }, { 64, 80 } };
	struct vimage img;
	uint32_t c, t;

	for (size_t i = 0; i < 3; i++) {
		img_alloc(&img, sizes[i][0], sizes[i][1]);
		pattern_draw(&img, 77);
		pattern_stamp(&img, 0xdeadbeef, 123456789);
		cr_assert(pattern_read(&img, &c, &t), "%ux%u", img.w, img.h);
		cr_assert_eq(c, 0xdeadbeefu);
		cr_assert_eq(t, 123456789u);
		free(img.plane[0]);
	}
}

Test(pattern, noise_does_not_flip_bits)
{
	struct vimage img;
	uint32_t c, t;

	img_alloc(&img, 320, 240);
	pattern_stamp(&img, 42, 99);
	/* +-40 of noise everywhere, as a coarse quantiser might leave */
	for (unsigned i = 0; i < 320 * 240; i++) {
		int v = img.plane[0][i] + (int)(i * 2654435761u % 81) - 40;
		img.plane[0][i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
	cr_assert(pattern_read(&img, &c, &t));
	cr_assert_eq(c, 42);
	cr_assert_eq(t, 99);
	free(img.plane[0]);
}

Test(pattern, foreign_picture_reads_nothing)
{
	struct vimage img;
	uint32_t c, t;

	img_alloc(&img, 320, 240);
	memset(img.plane[0], 16, 320 * 240); /* black: all zero bits */
	cr_assert_not(pattern_read(&img, &c, &t));
	pattern_draw(&img, 5);
	cr_assert_not(pattern_read(&img, &c, &t));
	pattern_stamp(&img, 1, 2);
	/* flip one block of the counter: the check catches it */
	for (unsigned y = 0; y < 8; y++)
		memset(img.plane[0] + y * 320 + 7 * 8, 235, 8);
	cr_assert_not(pattern_read(&img, &c, &t));
	free(img.plane[0]);
}

Test(pattern, source_counts_frames)
{
	struct vsrc *s;
	struct vimage img;
	uint32_t c, t;

	cr_assert_eq(vsrc_pattern_open(&s, 7, 80, 30), EINVAL);
	cr_assert_eq(vsrc_pattern_open(&s, 160, 120, 30), 0);
	for (uint32_t i = 0; i < 3; i++) {
		cr_assert_eq(s->read(s, &img, 1000 + i), 0);
		cr_assert(pattern_read(&img, &c, &t));
		cr_assert_eq(c, i);
		cr_assert_eq(t, 1000 + i);
	}
	s->close(s);
}
