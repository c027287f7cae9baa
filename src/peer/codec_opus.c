/* codec_opus.c — Opus through libopus: 48 kHz stereo, 20 ms frames, in-band
 * FEC (RFC 7587 useinbandfec=1), and the decoder with loss concealment. */
#include <errno.h>
#include <opus/opus.h>
#include <stdlib.h>

#include "peer/codec.h"

struct opus_enc {
	OpusEncoder *st;
};

struct opus_dec {
	OpusDecoder *st;
};

int opus_enc_new(struct opus_enc **ep, unsigned bitrate, bool fec)
{
	struct opus_enc *e = calloc(1, sizeof(*e));
	int err;

	if (!e)
		return ENOMEM;
	e->st = opus_encoder_create(AUDIO_RATE, AUDIO_CH, OPUS_APPLICATION_VOIP,
				    &err);
	if (!e->st) {
		free(e);
		return EINVAL;
	}
	opus_encoder_ctl(e->st, OPUS_SET_BITRATE((opus_int32)bitrate));
	opus_encoder_ctl(e->st, OPUS_SET_INBAND_FEC(fec ? 1 : 0));
	/* until the far end reports (opus_enc_set_loss) */
	opus_encoder_ctl(e->st, OPUS_SET_PACKET_LOSS_PERC(fec ? 10 : 0));
	opus_encoder_ctl(e->st, OPUS_SET_COMPLEXITY(5));
	*ep = e;
	return 0;
}

void opus_enc_free(struct opus_enc *e)
{
	if (!e)
		return;
	opus_encoder_destroy(e->st);
	free(e);
}

void opus_enc_set_loss(struct opus_enc *e, unsigned pct)
{
	opus_encoder_ctl(e->st, OPUS_SET_PACKET_LOSS_PERC(
				    (opus_int32)(pct > 100 ? 100 : pct)));
}

int opus_enc_encode(struct opus_enc *e, const int16_t *pcm, uint8_t *out,
		    size_t cap, size_t *len)
{
	opus_int32 n = opus_encode(e->st, pcm, AUDIO_FRAME, out,
				   (opus_int32)(cap > 4000 ? 4000 : cap));

	if (n < 0)
		return EIO;
	*len = (size_t)n;
	return 0;
}

int opus_dec_new(struct opus_dec **dp)
{
	struct opus_dec *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return ENOMEM;
	d->st = opus_decoder_create(AUDIO_RATE, AUDIO_CH, &err);
	if (!d->st) {
		free(d);
		return EINVAL;
	}
	*dp = d;
	return 0;
}

void opus_dec_free(struct opus_dec *d)
{
	if (!d)
		return;
	opus_decoder_destroy(d->st);
	free(d);
}

int opus_dec_decode(struct opus_dec *d, const uint8_t *data, size_t len,
		    bool fec, int16_t *pcm, unsigned *frames)
{
	int n;

	if (len > 1500)
		return EBADMSG;
	n = opus_decode(d->st, data, (opus_int32)len, pcm, AUDIO_MAX_FRAME,
			fec ? 1 : 0);
	if (n < 0)
		return EBADMSG;
	*frames = (unsigned)n;
	return 0;
}
