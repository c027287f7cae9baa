/* sink_video.c — Y4M (decoded pictures) and IVF (VP8 frames) writers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer/sink.h"

struct vsink {
	enum vsink_kind k;
	FILE *f;
	unsigned fps, w, h;
	uint32_t frames;
	bool have_ts0;
	uint32_t ts0;
};

/* IVF file header: DKIF, version 0, header size 32, fourcc VP80, width,
 * height, time base 1/fps, frame count. The time base is the frame rate,
 * not RTP's 90 kHz, because readers (ffmpeg's ivfdec) take the frame
 * count field as the duration in time-base units. */
static int ivf_header(struct vsink *s)
{
	uint8_t h[32] = "DKIF";

	put_le16(h + 4, 0);
	put_le16(h + 6, 32);
	memcpy(h + 8, "VP80", 4);
	put_le16(h + 12, (uint16_t)s->w);
	put_le16(h + 14, (uint16_t)s->h);
	put_le32(h + 16, s->fps);
	put_le32(h + 20, 1);
	put_le32(h + 24, s->frames);
	put_le32(h + 28, 0);
	return fwrite(h, 1, 32, s->f) == 32 ? 0 : EIO;
}

int vsink_open(struct vsink **sp, enum vsink_kind k, const char *path,
	       unsigned fps, char *errp, size_t n)
{
	struct vsink *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return ENOMEM;
	s->k = k;
	s->fps = fps ? fps : 30;
	s->f = fopen(path, "wb");
	if (!s->f) {
		err = errno;
		snprintf(errp, n, "cannot create %s: %s", path, strerror(err));
		free(s);
		return err;
	}
	if (k == VSINK_IVF && ivf_header(s)) {
		snprintf(errp, n, "cannot write %s", path);
		vsink_close(s);
		return EIO;
	}
	*sp = s;
	return 0;
}

int vsink_picture(struct vsink *s, const struct vimage *img)
{
	unsigned y, p;

	if (s->k != VSINK_Y4M)
		return EINVAL;
	if (!s->w) {
		s->w = img->w;
		s->h = img->h;
		fprintf(s->f, "YUV4MPEG2 W%u H%u F%u:1 Ip A1:1 C420jpeg\n",
			s->w, s->h, s->fps);
	}
	if (img->w != s->w || img->h != s->h)
		return 0;
	fputs("FRAME\n", s->f);
	for (p = 0; p < 3; p++) {
		unsigned w = p ? (s->w + 1) / 2 : s->w;
		unsigned h = p ? (s->h + 1) / 2 : s->h;

		for (y = 0; y < h; y++)
			fwrite(img->plane[p] + (size_t)y * img->stride[p], 1, w,
			       s->f);
	}
	s->frames++;
	return ferror(s->f) ? EIO : 0;
}

bool vp8_keyframe_size(const uint8_t *f, size_t len, unsigned *w, unsigned *h)
{
	/* 3-byte frame tag, then start code 9d 01 2a, then 14-bit sizes */
	if (len < 10 || (f[0] & 1) || f[3] != 0x9d || f[4] != 0x01 ||
	    f[5] != 0x2a)
		return false;
	*w = (unsigned)(f[6] | f[7] << 8) & 0x3fff;
	*h = (unsigned)(f[8] | f[9] << 8) & 0x3fff;
	return true;
}

int vsink_frame(struct vsink *s, const uint8_t *f, size_t len, uint32_t ts)
{
	uint8_t h[12];
	uint64_t pts;

	if (s->k != VSINK_IVF || len > UINT32_MAX)
		return EINVAL;
	if (!s->w && !vp8_keyframe_size(f, len, &s->w, &s->h))
		return 0; /* until the first keyframe: nothing decodable */
	if (!s->have_ts0) {
		s->have_ts0 = true;
		s->ts0 = ts;
	}
	put_le32(h, (uint32_t)len);
	/* pts in frames: RTP's 90 kHz scaled to the time base, rounded */
	pts = ((uint64_t)(ts - s->ts0) * s->fps + 45000) / 90000;
	put_le32(h + 4, (uint32_t)pts);
	put_le32(h + 8, (uint32_t)(pts >> 32));
	if (fwrite(h, 1, 12, s->f) != 12 || fwrite(f, 1, len, s->f) != len)
		return EIO;
	s->frames++;
	return 0;
}

void vsink_close(struct vsink *s)
{
	if (!s)
		return;
	if (s->k == VSINK_IVF && fseek(s->f, 0, SEEK_SET) == 0)
		ivf_header(s);
	fclose(s->f);
	free(s);
}
