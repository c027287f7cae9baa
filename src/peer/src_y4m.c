/* src_y4m.c — Y4M (YUV4MPEG2) files: the header parser (fuzzed) and a
 * looping source. Only 4:2:0 8-bit content is taken (what VP8 encodes
 * without conversion); other colour spaces are refused with a sentence. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer/src.h"

static bool parse_uint(const uint8_t **p, const uint8_t *end, unsigned *v)
{
	unsigned long n = 0;
	const uint8_t *s = *p;

	while (s < end && *s >= '0' && *s <= '9') {
		n = n * 10 + (unsigned)(*s - '0');
		if (n > 100000)
			return false;
		s++;
	}
	if (s == *p)
		return false;
	*v = (unsigned)n;
	*p = s;
	return true;
}

static bool c420(const uint8_t *p, size_t n)
{
	static const char *ok[] = { "420", "420jpeg", "420paldv", "420mpeg2" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strlen(ok[i]) == n && memcmp(p, ok[i], n) == 0)
			return true;
	return false;
}

/* One tagged field, *p at its letter; steps past it. */
static int parse_field(struct y4m_info *yi, const uint8_t **p,
		       const uint8_t *end, char *why, size_t n)
{
	const uint8_t *s = *p + 1, *e = s;
	unsigned a, b;

	while (e < end && *e != ' ' && *e != '\n')
		e++;
	switch (**p) {
	case 'W':
		if (!parse_uint(&s, e, &yi->w) || s != e)
			goto bad;
		break;
	case 'H':
		if (!parse_uint(&s, e, &yi->h) || s != e)
			goto bad;
		break;
	case 'F':
		if (!parse_uint(&s, e, &a) || s >= e || *s++ != ':' ||
		    !parse_uint(&s, e, &b) || s != e || !a || !b)
			goto bad;
		yi->fps_num = a;
		yi->fps_den = b;
		break;
	case 'C':
		if (!c420(s, (size_t)(e - s))) {
			snprintf(why, n,
				 "Y4M colour space C%.*s is not supported: "
				 "convert to 4:2:0 (ffmpeg -pix_fmt yuv420p)",
				 (int)(e - s > 20 ? 20 : e - s), s);
			return EBADMSG;
		}
		break;
	default: /* I (interlacing), A (aspect), X (comments): ignored */
		break;
	}
	*p = e;
	return 0;
bad:
	snprintf(why, n, "Y4M header field %c is malformed", **p);
	return EBADMSG;
}

int y4m_parse_header(struct y4m_info *yi, const uint8_t *p, size_t len,
		     char *why, size_t n)
{
	const uint8_t *nl = memchr(p, '\n', len), *start = p, *end;
	int err;

	memset(yi, 0, sizeof(*yi));
	yi->fps_num = 30;
	yi->fps_den = 1;
	if (len < 9 || memcmp(p, "YUV4MPEG2", 9) != 0) {
		snprintf(why, n, "not a Y4M file (no YUV4MPEG2 signature)");
		return EBADMSG;
	}
	if (!nl) {
		snprintf(why, n, "Y4M header has no end of line");
		return EBADMSG;
	}
	end = nl;
	p += 9;
	while (p < end) {
		if (*p == ' ') {
			p++;
			continue;
		}
		err = parse_field(yi, &p, end, why, n);
		if (err)
			return err;
	}
	if (!yi->w || !yi->h || yi->w % 2 || yi->h % 2 || yi->w > 8192 ||
	    yi->h > 8192) {
		snprintf(why, n, "Y4M size %ux%u is not usable (even, 2-8192)",
			 yi->w, yi->h);
		return EBADMSG;
	}
	yi->hdr_len = (size_t)(nl - start) + 1;
	return 0;
}

struct y4m {
	struct vsrc s;
	FILE *f;
	struct y4m_info yi;
	uint8_t *buf;
	size_t fsize;
	unsigned frames; /* read since the last loop */
};

/* Read one FRAME line and the picture; 1 at the end of the file. */
static int read_one(struct y4m *y)
{
	char line[128];
	size_t got;

	if (!fgets(line, sizeof(line), y->f))
		return 1;
	if (strncmp(line, "FRAME", 5) != 0 || !strchr(line, '\n'))
		return EBADMSG;
	got = fread(y->buf, 1, y->fsize, y->f);
	if (got != y->fsize)
		return 1; /* a truncated last frame: loop */
	return 0;
}

static int y4m_read(struct vsrc *s, struct vimage *img, uint64_t wall_ms)
{
	struct y4m *y = (struct y4m *)s;
	unsigned w = s->w, h = s->h;
	int r;

	(void)wall_ms;
	r = read_one(y);
	if (r == 1 && y->frames > 0) {
		y->frames = 0;
		if (fseek(y->f, (long)y->yi.hdr_len, SEEK_SET) == 0)
			r = read_one(y);
	}
	if (r) {
		snprintf(s->err, sizeof(s->err), "Y4M file: %s",
			 r == 1 ? "no complete frame"
				: "a FRAME marker is missing");
		return EIO;
	}
	y->frames++;
	vimage_wrap(img, y->buf, w, h);
	return 0;
}

static void y4m_close(struct vsrc *s)
{
	struct y4m *y = (struct y4m *)s;

	if (!y)
		return;
	if (y->f)
		fclose(y->f);
	free(y->buf);
	free(y);
}

int vsrc_y4m_open(struct vsrc **sp, const char *path, char *errp, size_t n)
{
	uint8_t hdr[512];
	struct y4m *y;
	size_t got;
	int err;

	y = calloc(1, sizeof(*y));
	if (!y)
		return ENOMEM;
	y->f = fopen(path, "rb");
	if (!y->f) {
		err = errno;
		snprintf(errp, n, "cannot open Y4M file %s: %s", path,
			 strerror(err));
		goto fail;
	}
	got = fread(hdr, 1, sizeof(hdr), y->f);
	err = y4m_parse_header(&y->yi, hdr, got, errp, n);
	if (err)
		goto fail;
	y->fsize = (size_t)y->yi.w * y->yi.h * 3 / 2;
	y->buf = malloc(y->fsize);
	if (!y->buf || fseek(y->f, (long)y->yi.hdr_len, SEEK_SET)) {
		err = ENOMEM;
		goto fail;
	}
	y->s.read = y4m_read;
	y->s.close = y4m_close;
	y->s.w = y->yi.w;
	y->s.h = y->yi.h;
	y->s.fps = (y->yi.fps_num + y->yi.fps_den / 2) / y->yi.fps_den;
	if (!y->s.fps)
		y->s.fps = 1;
	*sp = &y->s;
	return 0;
fail:
	y4m_close(&y->s);
	return err;
}
