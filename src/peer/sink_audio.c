/* sink_audio.c — WAV (decoded 48 kHz stereo s16) and Ogg Opus (RFC 7845:
 * OpusHead and OpusTags pages, then one packet per received RTP packet,
 * granule positions in 48 kHz samples) writers. */
#include <errno.h>
#include <ogg/ogg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer/sink.h"

#define PRESKIP 312 /* libopus's usual encoder delay at 48 kHz */

struct asink {
	enum asink_kind k;
	FILE *f;
	uint64_t samples; /* per channel */
	ogg_stream_state os;
	int64_t packetno;
};

static int wav_header(struct asink *s)
{
	uint64_t bytes = s->samples * AUDIO_CH * 2;
	uint32_t data =
	    bytes > 0xffffffffu - 36 ? 0xffffffffu - 36 : (uint32_t)bytes;
	uint8_t h[44];

	memcpy(h, "RIFF", 4);
	put_le32(h + 4, 36 + data);
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le32(h + 16, 16);
	put_le16(h + 20, 1); /* PCM */
	put_le16(h + 22, AUDIO_CH);
	put_le32(h + 24, AUDIO_RATE);
	put_le32(h + 28, AUDIO_RATE * AUDIO_CH * 2);
	put_le16(h + 32, AUDIO_CH * 2);
	put_le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	put_le32(h + 40, data);
	return fwrite(h, 1, 44, s->f) == 44 ? 0 : EIO;
}

static int write_pages(struct asink *s, bool flush)
{
	ogg_page pg;

	while (flush ? ogg_stream_flush(&s->os, &pg)
		     : ogg_stream_pageout(&s->os, &pg)) {
		if (fwrite(pg.header, 1, (size_t)pg.header_len, s->f) !=
			(size_t)pg.header_len ||
		    fwrite(pg.body, 1, (size_t)pg.body_len, s->f) !=
			(size_t)pg.body_len)
			return EIO;
	}
	return 0;
}

static int put_packet(struct asink *s, const uint8_t *p, size_t len, bool bos,
		      bool eos, int64_t granule)
{
	ogg_packet op = { .packet = (unsigned char *)p,
			  .bytes = (long)len,
			  .b_o_s = bos,
			  .e_o_s = eos,
			  .granulepos = granule,
			  .packetno = s->packetno++ };

	if (ogg_stream_packetin(&s->os, &op))
		return EIO;
	return 0;
}

/* RFC 7845 5.1 and 5.2: OpusHead alone on the first page, OpusTags on
 * the next; audio starts on a fresh page. */
static int ogg_headers(struct asink *s)
{
	static const char vendor[] = "tern-peer";
	uint8_t head[19] = "OpusHead", tags[8 + 4 + sizeof(vendor) - 1 + 4];
	int err;

	head[8] = 1;
	head[9] = AUDIO_CH;
	put_le16(head + 10, PRESKIP);
	put_le32(head + 12, AUDIO_RATE);
	put_le16(head + 16, 0);
	head[18] = 0;
	memcpy(tags, "OpusTags", 8);
	put_le32(tags + 8, sizeof(vendor) - 1);
	memcpy(tags + 12, vendor, sizeof(vendor) - 1);
	put_le32(tags + 12 + sizeof(vendor) - 1, 0);
	err = put_packet(s, head, sizeof(head), true, false, 0);
	if (!err)
		err = write_pages(s, true);
	if (!err)
		err = put_packet(s, tags, sizeof(tags), false, false, 0);
	if (!err)
		err = write_pages(s, true);
	return err;
}

int asink_open(struct asink **sp, enum asink_kind k, const char *path,
	       char *errp, size_t n)
{
	struct asink *s = calloc(1, sizeof(*s));
	uint32_t serial;
	int err;

	if (!s)
		return ENOMEM;
	s->k = k;
	s->f = fopen(path, "wb");
	if (!s->f) {
		err = errno;
		snprintf(errp, n, "cannot create %s: %s", path, strerror(err));
		free(s);
		return err;
	}
	serial = (uint32_t)(uintptr_t)s ^ 0x7465726e;
	if (k == ASINK_OGG) {
		ogg_stream_init(&s->os, (int)(serial & 0x7fffffff));
		err = ogg_headers(s);
	} else {
		err = wav_header(s);
	}
	if (err) {
		snprintf(errp, n, "cannot write %s", path);
		asink_close(s);
		return err;
	}
	*sp = s;
	return 0;
}

int asink_pcm(struct asink *s, const int16_t *pcm, unsigned frames)
{
	uint8_t buf[AUDIO_MAX_FRAME * AUDIO_CH * 2];
	unsigned i;

	if (s->k != ASINK_WAV || frames > AUDIO_MAX_FRAME)
		return EINVAL;
	for (i = 0; i < frames * AUDIO_CH; i++)
		put_le16(buf + 2 * i, (uint16_t)pcm[i]);
	if (fwrite(buf, 2, frames * AUDIO_CH, s->f) != frames * AUDIO_CH)
		return EIO;
	s->samples += frames;
	return 0;
}

int asink_packet(struct asink *s, const uint8_t *p, size_t len, unsigned frames)
{
	int err;

	if (s->k != ASINK_OGG || !len)
		return EINVAL;
	s->samples += frames;
	err = put_packet(s, p, len, false, false,
			 (int64_t)(s->samples + PRESKIP));
	return err ? err : write_pages(s, false);
}

void asink_close(struct asink *s)
{
	if (!s)
		return;
	if (s->k == ASINK_OGG) {
		/* No end-of-stream flag: the last packet is only known now,
		 * and a 0-byte Opus packet would decode as a loss. Readers
		 * (ffmpeg, opusfile) take a stream that just ends. */
		write_pages(s, true);
		ogg_stream_clear(&s->os);
	} else if (fseek(s->f, 0, SEEK_SET) == 0) {
		wav_header(s);
	}
	fclose(s->f);
	free(s);
}
