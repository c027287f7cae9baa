/* codec.h — VP8 (libvpx, real-time) and Opus (libopus) behind four small
 * objects. Encoders hand back whole frames; decoders take whole frames. */
#ifndef TERN_PEER_CODEC_H
#define TERN_PEER_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer/src.h"

struct vp8_enc;
struct vp8_dec;
struct opus_enc;
struct opus_dec;

/* VP8 encoder for w x h at fps, bitrate bits/s: real-time deadline,
 * error resilient, speed VP8_SPEED_DEFAULT, no lag, keyframes only on
 * request or every 10 s. 0, EINVAL or ENOMEM. */
int vp8_enc_new(struct vp8_enc **ep, unsigned w, unsigned h, unsigned fps,
		unsigned bitrate);
void vp8_enc_free(struct vp8_enc *e);
/* The encoder's speed, 1 (best picture per bit) to 16 (least CPU), held
 * fixed: libvpx's cpu-used -speed. A positive cpu-used would let libvpx
 * pick the speed from how much of each frame's time is left, so an idle
 * machine gets the slow search and a peer's CPU follows the load of its
 * neighbours. 6 is what libwebrtc uses on desktops. EINVAL out of range. */
#define VP8_SPEED_DEFAULT 6
#define VP8_SPEED_MAX	  16
int vp8_enc_set_speed(struct vp8_enc *e, unsigned speed);
/* Change the target bitrate (REMB) without a keyframe. */
int vp8_enc_set_bitrate(struct vp8_enc *e, unsigned bitrate);
/* Encode img (same size as at creation); pts in frames. The frame goes
 * to out (cap bytes): 0 with *len (0 when the encoder dropped the
 * frame) and *key; ENOSPC, EINVAL (size changed), EIO. */
int vp8_enc_encode(struct vp8_enc *e, const struct vimage *img, int64_t pts,
		   bool force_key, uint8_t *out, size_t cap, size_t *len,
		   bool *key);

int vp8_dec_new(struct vp8_dec **dp);
void vp8_dec_free(struct vp8_dec *d);
/* Decode one frame; *img points at the decoder's picture (valid until
 * the next call), img->w == 0 when it produced none. 0 or EBADMSG. */
int vp8_dec_decode(struct vp8_dec *d, const uint8_t *f, size_t len,
		   struct vimage *img);

/* Opus encoder: 48 kHz stereo, VOIP application, in-band FEC on with an
 * expected loss of 10 %, bitrate bits/s. */
int opus_enc_new(struct opus_enc **ep, unsigned bitrate, bool fec);
/* The loss the far end reports, in percent: in-band FEC is spent in
 * proportion (none at 0, which also saves its CPU). */
void opus_enc_set_loss(struct opus_enc *e, unsigned pct);
void opus_enc_free(struct opus_enc *e);
/* Encode AUDIO_FRAME stereo frames: 0 with *len, or EIO. */
int opus_enc_encode(struct opus_enc *e, const int16_t *pcm, uint8_t *out,
		    size_t cap, size_t *len);

int opus_dec_new(struct opus_dec **dp);
void opus_dec_free(struct opus_dec *d);
/* Decode one packet to pcm (AUDIO_MAX_FRAME * AUDIO_CH samples room);
 * data NULL conceals a lost packet; fec true decodes the FEC of the
 * next packet for the lost one. *frames gets the samples per channel. */
int opus_dec_decode(struct opus_dec *d, const uint8_t *data, size_t len,
		    bool fec, int16_t *pcm, unsigned *frames);

#endif
