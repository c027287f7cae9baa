/* src_alsa.c — ALSA capture (48 kHz stereo s16, non-blocking), built when
 * configure finds libasound2-dev; otherwise asrc_alsa_open says so. */
#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "peer/src.h"

#if HAVE_ALSA
#include <alsa/asoundlib.h>

struct alsa {
	struct asrc s;
	snd_pcm_t *pcm;
};

static int alsa_read(struct asrc *s, int16_t *pcm)
{
	struct alsa *a = (struct alsa *)s;
	snd_pcm_sframes_t n;

	if (snd_pcm_avail(a->pcm) < AUDIO_FRAME)
		return EAGAIN;
	n = snd_pcm_readi(a->pcm, pcm, AUDIO_FRAME);
	if (n == -EPIPE || n == -ESTRPIPE) { /* overrun: recover, skip */
		snd_pcm_recover(a->pcm, (int)n, 1);
		return EAGAIN;
	}
	if (n < 0) {
		snprintf(s->err, sizeof(s->err), "ALSA capture: %s",
			 snd_strerror((int)n));
		return EIO;
	}
	return n == AUDIO_FRAME ? 0 : EAGAIN;
}

static void alsa_close(struct asrc *s)
{
	struct alsa *a = (struct alsa *)s;

	if (!a)
		return;
	if (a->pcm)
		snd_pcm_close(a->pcm);
	free(a);
}

int asrc_alsa_open(struct asrc **sp, const char *dev, char *errp, size_t n)
{
	struct alsa *a = calloc(1, sizeof(*a));
	int err;

	if (!a)
		return ENOMEM;
	err = snd_pcm_open(&a->pcm, dev, SND_PCM_STREAM_CAPTURE,
			   SND_PCM_NONBLOCK);
	if (err == 0)
		err = snd_pcm_set_params(a->pcm, SND_PCM_FORMAT_S16_LE,
					 SND_PCM_ACCESS_RW_INTERLEAVED,
					 AUDIO_CH, AUDIO_RATE, 1, 100000);
	if (err == 0)
		err = snd_pcm_start(a->pcm);
	if (err < 0) {
		snprintf(errp, n, "ALSA capture device %s: %s", dev,
			 snd_strerror(err));
		alsa_close(&a->s);
		return EIO;
	}
	a->s.read = alsa_read;
	a->s.close = alsa_close;
	*sp = &a->s;
	return 0;
}
#else
int asrc_alsa_open(struct asrc **sp, const char *dev, char *errp, size_t n)
{
	(void)sp;
	snprintf(errp, n,
		 "ALSA capture from %s: tern-peer was built without ALSA "
		 "(install libasound2-dev and run configure again)",
		 dev);
	return ENOTSUP;
}
#endif
