/* src.h — media sources: I420 video (test pattern, Y4M file, V4L2 camera)
 * and 48 kHz stereo s16 audio (tone, WAV file, ALSA). Every source is
 * pulled: the media pipeline's capture timer asks for the next frame. */
#ifndef TERN_PEER_SRC_H
#define TERN_PEER_SRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An I420 picture; planes may point into a source's own buffer, valid
 * until the next read. */
struct vimage {
	unsigned w, h;
	uint8_t *plane[3];
	unsigned stride[3];
};

/* Point img at a packed I420 buffer of w x h (Y, then U, then V). */
static inline void vimage_wrap(struct vimage *img, uint8_t *buf, unsigned w,
			       unsigned h)
{
	img->w = w;
	img->h = h;
	img->plane[0] = buf;
	img->plane[1] = buf + w * h;
	img->plane[2] = buf + w * h + (w / 2) * (h / 2);
	img->stride[0] = w;
	img->stride[1] = img->stride[2] = w / 2;
}

/* A video source. read fills img with the next frame: 0, EAGAIN (no new
 * frame yet: skip this tick), or an errno meaning the source is gone
 * (then err says why in a sentence). */
struct vsrc {
	int (*read)(struct vsrc *s, struct vimage *img, uint64_t wall_ms);
	void (*close)(struct vsrc *s);
	unsigned w, h, fps;
	char err[256];
};

/* Test pattern: moving gradient and box, plus the frame counter and the
 * send time (wall clock ms) as black/white blocks a lossy codec keeps. */
int vsrc_pattern_open(struct vsrc **sp, unsigned w, unsigned h, unsigned fps);
/* Y4M file (C420, C420jpeg, C420paldv, C420mpeg2 or no C tag), looped. On
 * failure err holds the sentence when errp is given. */
int vsrc_y4m_open(struct vsrc **sp, const char *path, char *errp, size_t n);

/* The pattern's payload: write counter and time into img's luma, read it
 * back from a decoded picture. Blocks are 16x16 luma when the picture is
 * at least 256x320, else 8x8; needs at least 64x80. */
void pattern_stamp(struct vimage *img, uint32_t counter, uint32_t wall_ms);
bool pattern_read(const struct vimage *img, uint32_t *counter,
		  uint32_t *wall_ms);
/* Fill img with the moving background for frame n. */
void pattern_draw(struct vimage *img, uint32_t n);

/* Y4M header parsing (pure, fuzzed): "YUV4MPEG2 W640 H480 F30:1 C420\n".
 * Returns 0 with w/h/fps, or EBADMSG with a sentence in why. */
struct y4m_info {
	unsigned w, h, fps_num, fps_den;
	size_t hdr_len; /* through the newline */
};
int y4m_parse_header(struct y4m_info *yi, const uint8_t *p, size_t len,
		     char *why, size_t n);

/* ---- audio: 48 kHz, 2 channels interleaved s16, 20 ms = 960 frames ---- */
#define AUDIO_RATE	48000
#define AUDIO_CH	2
#define AUDIO_FRAME	960
#define AUDIO_MAX_FRAME 5760 /* 120 ms, the longest Opus packet */

struct asrc {
	/* 0 with AUDIO_FRAME frames in pcm, EAGAIN not yet, else gone */
	int (*read)(struct asrc *s, int16_t *pcm);
	void (*close)(struct asrc *s);
	char err[256];
};

int asrc_tone_open(struct asrc **sp, unsigned hz);
/* 16-bit PCM WAV at 48 kHz, mono or stereo, looped. */
int asrc_wav_open(struct asrc **sp, const char *path, char *errp, size_t n);
/* ALSA capture device (e.g. "default"); ENOTSUP when built without. */
int asrc_alsa_open(struct asrc **sp, const char *dev, char *errp, size_t n);

/* WAV header parsing (pure): 0 with format, or EBADMSG with why. */
struct wav_info {
	unsigned rate, channels, bits;
	size_t data_off, data_len;
};
int wav_parse_header(struct wav_info *wi, const uint8_t *p, size_t len,
		     char *why, size_t n);

#endif
