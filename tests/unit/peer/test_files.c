/* test_files.c — Y4M and WAV readers (headers fuzzed elsewhere; here the
 * sentences they refuse with, and looping) and the four sinks writing
 * files their readers take back. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer/sink.h"
#include "peer/src.h"

static char dir[] = "/tmp/tern-peer-test-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(files, .init = setup, .fini = teardown);

static const char *path(const char *name)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void write_file(const char *p, const void *data, size_t n)
{
	FILE *f = fopen(p, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, n, f), n);
	fclose(f);
}

Test(files, y4m_header_cases)
{
	const struct {
		const char *h;
		int err;
		const char *why;
	} c[] = {
		{ "YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n",
		  0, NULL },
		{ "YUV4MPEG2 W320 H240 F30000:1001\n", 0, NULL },
		{ "YUV4MPEG2 W320 H240 F25:1 C420mpeg2\n", 0, NULL },
		{ "YUV4MPEG2 W320 H240 C422\n", EBADMSG, "C422" },
		{ "YUV4MPEG2 W320 H240 C420p10\n", EBADMSG, "not supported" },
		{ "YUV4MPEG2 W321 H240\n", EBADMSG, "321x240" },
		{ "YUV4MPEG2 H240\n", EBADMSG, "0x240" },
		{ "YUV4MPEG2 W320 H240 F30\n", EBADMSG, "field F" },
		{ "YUV4MPEG2 W99999999 H2\n", EBADMSG, "field W" },
		{ "YUV4MPEG2 W320 H240", EBADMSG, "end of line" },
		{ "RIFF", EBADMSG, "YUV4MPEG2" },
	};
	struct y4m_info yi;
	char why[200];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		why[0] = 0;
		cr_assert_eq(y4m_parse_header(&yi, (const uint8_t *)c[i].h,
					      strlen(c[i].h), why, sizeof(why)),
			     c[i].err, "%s", c[i].h);
		if (c[i].why)
			cr_assert(strstr(why, c[i].why), "%s: %s", c[i].h, why);
	}
	y4m_parse_header(&yi, (const uint8_t *)c[1].h, strlen(c[1].h), why,
			 sizeof(why));
	cr_assert_eq(yi.w, 320);
	cr_assert_eq(yi.fps_num, 30000);
	cr_assert_eq(yi.fps_den, 1001);
	cr_assert_eq(yi.hdr_len, strlen(c[1].h));
}

Test(files, y4m_source_loops_and_sink_writes_it_back)
{
	struct vsink *vs;
	struct vsrc *src;
	struct vimage img;
	char why[200] = "";
	uint32_t c, t;

	/* write 3 pattern frames with the Y4M sink, read them 7 times */
	cr_assert_eq(
	    vsink_open(&vs, VSINK_Y4M, path("a.y4m"), 30, why, sizeof(why)), 0);
	cr_assert_eq(vsrc_pattern_open(&src, 160, 120, 30), 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(src->read(src, &img, 100), 0);
		cr_assert_eq(vsink_picture(vs, &img), 0);
	}
	src->close(src);
	vsink_close(vs);
	cr_assert_eq(vsrc_y4m_open(&src, path("a.y4m"), why, sizeof(why)), 0,
		     "%s", why);
	cr_assert_eq(src->w, 160);
	cr_assert_eq(src->fps, 30);
	for (uint32_t i = 0; i < 7; i++) {
		cr_assert_eq(src->read(src, &img, 0), 0);
		cr_assert(pattern_read(&img, &c, &t));
		cr_assert_eq(c, i % 3);
	}
	src->close(src);
}

Test(files, y4m_open_errors_are_sentences)
{
	struct vsrc *src;
	char why[200] = "";
	const char bad[] = "YUV4MPEG2 W320 H240 C444\nFRAME\n";
	const char empty[] = "YUV4MPEG2 W32 H24\n";

	cr_assert_eq(vsrc_y4m_open(&src, path("missing.y4m"), why, sizeof(why)),
		     ENOENT);
	cr_assert(strstr(why, "missing.y4m") && strstr(why, "No such file"),
		  "%s", why);
	write_file(path("444.y4m"), bad, sizeof(bad) - 1);
	cr_assert_eq(vsrc_y4m_open(&src, path("444.y4m"), why, sizeof(why)),
		     EBADMSG);
	cr_assert(strstr(why, "C444") && strstr(why, "yuv420p"), "%s", why);
	/* a header and no frame: opens, then the read says why */
	write_file(path("empty.y4m"), empty, sizeof(empty) - 1);
	cr_assert_eq(vsrc_y4m_open(&src, path("empty.y4m"), why, sizeof(why)),
		     0);
	{
		struct vimage img;

		cr_assert_eq(src->read(src, &img, 0), EIO);
		cr_assert(strstr(src->err, "no complete frame"), "%s",
			  src->err);
	}
	src->close(src);
}

Test(files, wav_sink_then_source)
{
	struct asink *as;
	struct asrc *tone, *wav;
	int16_t pcm[AUDIO_FRAME * AUDIO_CH], back[AUDIO_FRAME * AUDIO_CH];
	char why[200] = "";

	cr_assert_eq(asrc_tone_open(&tone, 1000), 0);
	cr_assert_eq(
	    asink_open(&as, ASINK_WAV, path("t.wav"), why, sizeof(why)), 0);
	cr_assert_eq(tone->read(tone, pcm), 0);
	cr_assert_eq(asink_pcm(as, pcm, AUDIO_FRAME), 0);
	asink_close(as);
	cr_assert_eq(asrc_wav_open(&wav, path("t.wav"), why, sizeof(why)), 0,
		     "%s", why);
	/* twice: the second read loops to the start */
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(wav->read(wav, back), 0);
		cr_assert(memcmp(back, pcm, sizeof(pcm)) == 0);
	}
	wav->close(wav);
	tone->close(tone);
}

Test(files, wav_errors_are_sentences)
{
	/* 44.1 kHz stereo 16-bit: refused, with the ffmpeg line */
	uint8_t h[44] = "RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x02\0"
			"\x44\xac\0\0\x10\xb1\x02\0\x04\0\x10\0data\0\0\0\0";
	struct wav_info wi;
	struct asrc *a;
	char why[300] = "";

	cr_assert_eq(wav_parse_header(&wi, h, 44, why, sizeof(why)), 0);
	cr_assert_eq(wi.rate, 44100);
	cr_assert_eq(wi.data_off, 44);
	write_file(path("441.wav"), h, 44);
	cr_assert_eq(asrc_wav_open(&a, path("441.wav"), why, sizeof(why)),
		     EBADMSG);
	cr_assert(strstr(why, "44100 Hz") && strstr(why, "-ar 48000"), "%s",
		  why);
	h[20] = 3; /* float */
	cr_assert_eq(wav_parse_header(&wi, h, 44, why, sizeof(why)), EBADMSG);
	cr_assert(strstr(why, "not PCM"), "%s", why);
	cr_assert_eq(wav_parse_header(&wi, h, 30, why, sizeof(why)), EBADMSG);
	cr_assert_eq(
	    wav_parse_header(&wi, (const uint8_t *)"RIFX", 4, why, sizeof(why)),
	    EBADMSG);
	cr_assert(strstr(why, "RIFF"), "%s", why);
	/* data length 0: opens, reading says there is nothing */
	h[20] = 1;
	h[24] = 0x80;
	h[25] = 0xbb; /* 48000 */
	write_file(path("empty.wav"), h, 44);
	cr_assert_eq(asrc_wav_open(&a, path("empty.wav"), why, sizeof(why)), 0);
	{
		int16_t pcm[AUDIO_FRAME * AUDIO_CH];

		cr_assert_eq(a->read(a, pcm), EIO);
	}
	a->close(a);
}

Test(files, ivf_and_ogg_sinks_have_headers)
{
	const uint8_t key[] = { 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a,
				0x40, 0x01, 0xf0, 0x00, 0xaa };
	struct vsink *vs;
	struct asink *as;
	char why[200];
	uint8_t b[64];
	FILE *f;
	unsigned w, h;

	cr_assert(vp8_keyframe_size(key, sizeof(key), &w, &h));
	cr_assert_eq(w, 320);
	cr_assert_eq(h, 240);
	cr_assert_eq(
	    vsink_open(&vs, VSINK_IVF, path("v.ivf"), 30, why, sizeof(why)), 0);
	cr_assert_eq(vsink_frame(vs, key + 1, 5, 0), 0); /* not key: skipped */
	cr_assert_eq(vsink_frame(vs, key, sizeof(key), 1000), 0);
	cr_assert_eq(vsink_frame(vs, key, sizeof(key), 4000), 0);
	vsink_close(vs);
	f = fopen(path("v.ivf"), "rb");
	cr_assert_eq(fread(b, 1, 44, f), 44);
	fclose(f);
	cr_assert(memcmp(b, "DKIF", 4) == 0 && memcmp(b + 8, "VP80", 4) == 0);
	cr_assert_eq(b[12] | b[13] << 8, 320);
	cr_assert_eq(b[24], 2); /* frame count patched at close */
	cr_assert_eq(b[32], sizeof(key));
	cr_assert_eq(
	    asink_open(&as, ASINK_OGG, path("a.opus"), why, sizeof(why)), 0);
	cr_assert_eq(asink_packet(as, (const uint8_t *)"\xfc\xff\xfe", 3, 960),
		     0);
	asink_close(as);
	f = fopen(path("a.opus"), "rb");
	cr_assert_eq(fread(b, 1, 64, f), 64);
	fclose(f);
	cr_assert(memcmp(b, "OggS", 4) == 0);
	cr_assert(memcmp(b + 28, "OpusHead", 8) == 0);
	cr_assert_eq(vsink_open(&vs, VSINK_IVF, "/nonexistent/dir/x.ivf", 30,
				why, sizeof(why)),
		     ENOENT);
	cr_assert(strstr(why, "/nonexistent/dir/x.ivf"), "%s", why);
}
