/* src_audio.c — audio sources read by the 20 ms audio timer: a sine tone
 * and a 48 kHz 16-bit PCM WAV file (mono or stereo), looped. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer/src.h"

struct tone {
	struct asrc s;
	double phase, step;
};

static int tone_read(struct asrc *s, int16_t *pcm)
{
	struct tone *t = (struct tone *)s;
	unsigned i;

	for (i = 0; i < AUDIO_FRAME; i++) {
		int16_t v = (int16_t)(8000 * sin(t->phase));

		pcm[2 * i] = pcm[2 * i + 1] = v;
		t->phase += t->step;
		if (t->phase > 2 * M_PI)
			t->phase -= 2 * M_PI;
	}
	return 0;
}

static void simple_close(struct asrc *s)
{
	free(s);
}

int asrc_tone_open(struct asrc **sp, unsigned hz)
{
	struct tone *t;

	if (!hz || hz >= AUDIO_RATE / 2)
		return EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	t->step = 2 * M_PI * hz / AUDIO_RATE;
	t->s.read = tone_read;
	t->s.close = simple_close;
	*sp = &t->s;
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* RIFF/WAVE: chunks of 4-byte id + LE32 size, padded to even; we need
 * "fmt " (PCM, tag 1 or WAVE_FORMAT_EXTENSIBLE) before "data". */
int wav_parse_header(struct wav_info *wi, const uint8_t *p, size_t len,
		     char *why, size_t n)
{
	size_t off = 12;
	bool have_fmt = false;

	memset(wi, 0, sizeof(*wi));
	if (len < 12 || memcmp(p, "RIFF", 4) || memcmp(p + 8, "WAVE", 4)) {
		snprintf(why, n, "not a WAV file (no RIFF/WAVE signature)");
		return EBADMSG;
	}
	while (off + 8 <= len) {
		uint32_t sz = le32(p + off + 4);
		const uint8_t *c = p + off + 8;

		if (!memcmp(p + off, "data", 4)) {
			if (!have_fmt)
				break;
			wi->data_off = off + 8;
			wi->data_len = sz;
			return 0;
		}
		if (!memcmp(p + off, "fmt ", 4)) {
			uint16_t tag;

			if (sz < 16 || off + 8 + 16 > len)
				break;
			tag = le16(c);
			wi->channels = le16(c + 2);
			wi->rate = le32(c + 4);
			wi->bits = le16(c + 14);
			if (tag != 1 && tag != 0xfffe) {
				snprintf(why, n, "WAV format tag %u is not PCM",
					 tag);
				return EBADMSG;
			}
			have_fmt = true;
		}
		if (sz > len - off - 8)
			break;
		off += 8 + sz + (sz & 1);
	}
	snprintf(why, n, "WAV file has no %s chunk in its first %zu bytes",
		 have_fmt ? "data" : "fmt", len);
	return EBADMSG;
}

struct wav {
	struct asrc s;
	FILE *f;
	struct wav_info wi;
	size_t pos; /* bytes read of the data chunk */
};

static int wav_read(struct asrc *s, int16_t *pcm)
{
	struct wav *w = (struct wav *)s;
	size_t fsz = w->wi.channels * 2, i = 0;
	uint8_t b[4];

	while (i < AUDIO_FRAME) {
		if (w->pos + fsz > w->wi.data_len ||
		    fread(b, 1, fsz, w->f) != fsz) {
			/* the end: loop, unless nothing was read since */
			if (w->pos == 0 ||
			    fseek(w->f, (long)w->wi.data_off, SEEK_SET)) {
				snprintf(s->err, sizeof(s->err),
					 "WAV file: no samples to read");
				return EIO;
			}
			w->pos = 0;
			continue;
		}
		w->pos += fsz;
		pcm[2 * i] = (int16_t)le16(b);
		pcm[2 * i + 1] = (int16_t)le16(fsz == 4 ? b + 2 : b);
		i++;
	}
	return 0;
}

static void wav_close(struct asrc *s)
{
	struct wav *w = (struct wav *)s;

	if (!w)
		return;
	if (w->f)
		fclose(w->f);
	free(w);
}

int asrc_wav_open(struct asrc **sp, const char *path, char *errp, size_t n)
{
	uint8_t hdr[4096];
	struct wav *w = calloc(1, sizeof(*w));
	size_t got;
	int err;

	if (!w)
		return ENOMEM;
	w->f = fopen(path, "rb");
	if (!w->f) {
		err = errno;
		snprintf(errp, n, "cannot open WAV file %s: %s", path,
			 strerror(err));
		goto fail;
	}
	got = fread(hdr, 1, sizeof(hdr), w->f);
	err = wav_parse_header(&w->wi, hdr, got, errp, n);
	if (err)
		goto fail;
	if (w->wi.rate != AUDIO_RATE || w->wi.bits != 16 ||
	    (w->wi.channels != 1 && w->wi.channels != 2)) {
		snprintf(errp, n,
			 "WAV file %s is %u Hz, %u-bit, %u channels: tern-peer "
			 "reads 48000 Hz 16-bit mono or stereo (ffmpeg -ar "
			 "48000 -c:a pcm_s16le)",
			 path, w->wi.rate, w->wi.bits, w->wi.channels);
		err = EBADMSG;
		goto fail;
	}
	if (fseek(w->f, (long)w->wi.data_off, SEEK_SET)) {
		err = EIO;
		goto fail;
	}
	w->s.read = wav_read;
	w->s.close = wav_close;
	*sp = &w->s;
	return 0;
fail:
	wav_close(&w->s);
	return err;
}
