/* sink.h — where received media goes: a Y4M file (decoded I420) or an IVF
 * file (VP8 frames as received), a WAV file (decoded PCM) or an Ogg Opus
 * file (Opus packets as received, RFC 7845). Files stay valid after
 * close: sizes in headers are patched then. */
#ifndef TERN_PEER_SINK_H
#define TERN_PEER_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "peer/src.h"

struct vsink;
struct asink;

/* Little-endian stores for the RIFF and IVF headers. */
static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

enum vsink_kind { VSINK_Y4M = 1, VSINK_IVF };
enum asink_kind { ASINK_WAV = 1, ASINK_OGG };

/* Create path (truncating). 0 or an errno (then errp says why). */
int vsink_open(struct vsink **sp, enum vsink_kind k, const char *path,
	       unsigned fps, char *errp, size_t n);
/* Y4M: one decoded picture; the first one fixes the size, pictures of
 * another size are skipped (Y4M cannot change size). */
int vsink_picture(struct vsink *s, const struct vimage *img);
/* IVF: one VP8 frame as received; ts90k the RTP timestamp. */
int vsink_frame(struct vsink *s, const uint8_t *f, size_t len, uint32_t ts90k);
/* Patch the header (IVF frame count, size), close. Accepts NULL. */
void vsink_close(struct vsink *s);

int asink_open(struct asink **sp, enum asink_kind k, const char *path,
	       char *errp, size_t n);
/* WAV: frames stereo samples of decoded 48 kHz PCM. */
int asink_pcm(struct asink *s, const int16_t *pcm, unsigned frames);
/* Ogg: one Opus packet covering frames samples (per channel, 48 kHz). */
int asink_packet(struct asink *s, const uint8_t *p, size_t len,
		 unsigned frames);
void asink_close(struct asink *s);

/* The width and height in a VP8 keyframe's header (RFC 6386 9.1);
 * false when f is not a keyframe. */
bool vp8_keyframe_size(const uint8_t *f, size_t len, unsigned *w, unsigned *h);

#endif
