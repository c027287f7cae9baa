/* src_pattern.c — the built-in test pattern. The background moves every
 * frame so VP8 has real work; the top-left corner carries 80 bits in
 * black/white luma blocks: a 32-bit frame counter, the 32-bit send time
 * (wall clock ms) and a 16-bit check, read back by pattern_read() from
 * a decoded picture. A block is 16x16 (8x8 on small pictures); the
 * reader averages its inner quarter, so coding noise at block edges
 * does not flip a bit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "peer/src.h"

#define BITS  80
#define COLS  8
#define BLACK 16
#define WHITE 235

static unsigned block_size(unsigned w, unsigned h)
{
	return (w >= 256 && h >= 320) ? 16 : 8;
}

static uint16_t check16(uint32_t a, uint32_t b)
{
	uint32_t x = a * 2654435761u ^ b * 40503u ^ 0x5a5au;

	return (uint16_t)(x ^ (x >> 16));
}

void pattern_stamp(struct vimage *img, uint32_t counter, uint32_t wall_ms)
{
	unsigned bs = block_size(img->w, img->h), i, y;
	uint16_t ck = check16(counter, wall_ms);

	if (img->w < COLS * bs || img->h < (BITS / COLS) * bs)
		return;
	for (i = 0; i < BITS; i++) {
		unsigned bx = (i % COLS) * bs, by = (i / COLS) * bs;
		bool bit = i < 32   ? (counter >> (31 - i)) & 1
			   : i < 64 ? (wall_ms >> (63 - i)) & 1
				    : (ck >> (79 - i)) & 1;

		for (y = 0; y < bs; y++)
			memset(img->plane[0] + (by + y) * img->stride[0] + bx,
			       bit ? WHITE : BLACK, bs);
	}
	/* neutral chroma under the blocks */
	for (y = 0; y < (BITS / COLS) * bs / 2; y++) {
		memset(img->plane[1] + y * img->stride[1], 128, COLS * bs / 2);
		memset(img->plane[2] + y * img->stride[2], 128, COLS * bs / 2);
	}
}

bool pattern_read(const struct vimage *img, uint32_t *counter,
		  uint32_t *wall_ms)
{
	unsigned bs = block_size(img->w, img->h), i, x, y, q = bs / 4;
	uint32_t c = 0, t = 0;
	uint16_t ck = 0;

	if (img->w < COLS * bs || img->h < (BITS / COLS) * bs)
		return false;
	for (i = 0; i < BITS; i++) {
		unsigned bx = (i % COLS) * bs, by = (i / COLS) * bs, sum = 0;
		unsigned bit;

		for (y = by + q; y < by + bs - q; y++)
			for (x = bx + q; x < bx + bs - q; x++)
				sum += img->plane[0][y * img->stride[0] + x];
		bit = sum / ((bs - 2 * q) * (bs - 2 * q)) > 125;
		if (i < 32)
			c = c << 1 | bit;
		else if (i < 64)
			t = t << 1 | bit;
		else
			ck = (uint16_t)(ck << 1 | bit);
	}
	if (ck != check16(c, t))
		return false;
	*counter = c;
	*wall_ms = t;
	return true;
}

void pattern_draw(struct vimage *img, uint32_t n)
{
	unsigned x, y, w = img->w, h = img->h;
	unsigned bx = (n * 4) % (w > 64 ? w - 64 : 1);
	unsigned by = h / 2 + (unsigned)((n * 3) % (h / 4 + 1));

	for (y = 0; y < h; y++) {
		uint8_t *row = img->plane[0] + y * img->stride[0];

		for (x = 0; x < w; x++)
			row[x] = (uint8_t)(((x + n * 2) ^ (y + n)) & 0x7f) + 60;
		if (y >= by && y < by + 48 && y < h)
			for (x = bx; x < bx + 48 && x < w; x++)
				row[x] = 220;
	}
	for (y = 0; y < h / 2; y++) {
		for (x = 0; x < w / 2; x++) {
			img->plane[1][y * img->stride[1] + x] =
			    (uint8_t)(96 + ((x + n) & 63));
			img->plane[2][y * img->stride[2] + x] =
			    (uint8_t)(96 + ((y + 2 * n) & 63));
		}
	}
}

struct pattern {
	struct vsrc s;
	uint32_t n;
	uint8_t *buf;
};

static int pattern_read_frame(struct vsrc *s, struct vimage *img,
			      uint64_t wall_ms)
{
	struct pattern *p = (struct pattern *)s;
	unsigned w = s->w, h = s->h;

	vimage_wrap(img, p->buf, w, h);
	pattern_draw(img, p->n);
	pattern_stamp(img, p->n, (uint32_t)wall_ms);
	p->n++;
	return 0;
}

static void pattern_close(struct vsrc *s)
{
	struct pattern *p = (struct pattern *)s;

	if (p)
		free(p->buf);
	free(p);
}

int vsrc_pattern_open(struct vsrc **sp, unsigned w, unsigned h, unsigned fps)
{
	struct pattern *p;

	if (w < 64 || h < 80 || w % 2 || h % 2 || w > 4096 || h > 4096 || !fps)
		return EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	p->buf = malloc((size_t)w * h * 3 / 2);
	if (!p->buf) {
		free(p);
		return ENOMEM;
	}
	p->s.read = pattern_read_frame;
	p->s.close = pattern_close;
	p->s.w = w;
	p->s.h = h;
	p->s.fps = fps;
	*sp = &p->s;
	return 0;
}
