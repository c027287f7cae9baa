/* test_v4l2.c — camera capture against a fake V4L2 device behind the
 * v4l2_io table (this machine has no camera and cannot load vivid):
 * format negotiation (I420 straight, YUYV and NV12 converted, MJPEG-only
 * refused with what was offered), mmap buffers queued and requeued, no
 * frame yet, and the device lost mid-call. */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <errno.h>
#include <linux/videodev2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "peer/media.h"
#include "peer/src_v4l2.h"

#define FW 64
#define FH 64

struct fake {
	int open_err;	     /* errno for open, 0 to succeed */
	uint32_t formats[4]; /* what S_FMT accepts; else answers formats[0] */
	unsigned nfmt;
	uint32_t fmt;
	uint8_t *buf[4];
	size_t buflen;
	bool queued[4];
	unsigned ready; /* frames the "sensor" has filled */
	bool lost;
	bool streaming;
	unsigned qbufs, mapped, unmapped, closed;
};

static int f_open(void *ctx, const char *path, int flags)
{
	struct fake *f = ctx;

	(void)path;
	(void)flags;
	if (f->open_err) {
		errno = f->open_err;
		return -1;
	}
	return 42;
}

static int f_close(void *ctx, int fd)
{
	struct fake *f = ctx;

	cr_assert_eq(fd, 42);
	f->closed++;
	return 0;
}

static bool accepts(struct fake *f, uint32_t fmt)
{
	for (unsigned i = 0; i < f->nfmt; i++)
		if (f->formats[i] == fmt)
			return true;
	return false;
}

/* Fill a buffer in the device's format: luma 100 + row, chroma 50/200. */
static void fill(struct fake *f, uint8_t *b)
{
	unsigned x, y;

	for (y = 0; y < FH; y++)
		for (x = 0; x < FW; x++) {
			if (f->fmt == V4L2_PIX_FMT_YUYV) {
				b[y * FW * 2 + 2 * x] = (uint8_t)(100 + y);
				b[y * FW * 2 + 2 * x + 1] = x % 2 ? 200 : 50;
			} else {
				b[y * FW + x] = (uint8_t)(100 + y);
			}
		}
	if (f->fmt == V4L2_PIX_FMT_NV12)
		for (x = 0; x < FW * FH / 2; x++)
			b[FW * FH + x] = x % 2 ? 200 : 50;
	if (f->fmt == V4L2_PIX_FMT_YUV420) {
		memset(b + FW * FH, 50, FW * FH / 4);
		memset(b + FW * FH * 5 / 4, 200, FW * FH / 4);
	}
}

static int f_fmt(struct fake *f, struct v4l2_format *fm)
{
	uint32_t want = fm->fmt.pix.pixelformat;

	f->fmt = accepts(f, want) ? want : f->formats[0];
	fm->fmt.pix.pixelformat = f->fmt;
	fm->fmt.pix.width = FW;
	fm->fmt.pix.height = FH;
	fm->fmt.pix.bytesperline = f->fmt == V4L2_PIX_FMT_YUYV ? 2 * FW : FW;
	return 0;
}

static int f_buf(struct fake *f, unsigned long req, struct v4l2_buffer *b)
{
	unsigned i;

	switch (req) {
	case VIDIOC_QUERYBUF:
		b->length = (uint32_t)f->buflen;
		b->m.offset = b->index * 4096;
		return 0;
	case VIDIOC_QBUF:
		cr_assert_lt(b->index, 4);
		f->queued[b->index] = true;
		f->qbufs++;
		return 0;
	default: /* DQBUF */
		if (f->lost) {
			errno = ENODEV;
			return -1;
		}
		for (i = 0; i < 4 && f->ready; i++) {
			if (!f->queued[i])
				continue;
			f->queued[i] = false;
			f->ready--;
			fill(f, f->buf[i]);
			b->index = i;
			b->bytesused = (uint32_t)f->buflen;
			return 0;
		}
		errno = EAGAIN;
		return -1;
	}
}

static int f_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct fake *f = ctx;

	cr_assert_eq(fd, 42);
	switch (req) {
	case VIDIOC_QUERYCAP: {
		struct v4l2_capability *c = arg;

		strcpy((char *)c->card, "fake camera");
		c->capabilities = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
		return 0;
	}
	case VIDIOC_S_FMT:
		return f_fmt(f, arg);
	case VIDIOC_S_PARM:
		errno = ENOTTY;
		return -1;
	case VIDIOC_REQBUFS:
		((struct v4l2_requestbuffers *)arg)->count = 4;
		f->buflen = (size_t)FW * FH * 2;
		return 0;
	case VIDIOC_QUERYBUF:
	case VIDIOC_QBUF:
	case VIDIOC_DQBUF:
		return f_buf(f, req, arg);
	case VIDIOC_STREAMON:
		f->streaming = true;
		return 0;
	case VIDIOC_STREAMOFF:
		f->streaming = false;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

static void *f_mmap(void *ctx, size_t len, int fd, int64_t off)
{
	struct fake *f = ctx;
	unsigned i = (unsigned)(off / 4096);

	cr_assert_eq(fd, 42);
	cr_assert_eq(len, f->buflen);
	f->buf[i] = calloc(1, len);
	f->mapped++;
	return f->buf[i];
}

static int f_munmap(void *ctx, void *p, size_t len)
{
	struct fake *f = ctx;

	(void)len;
	free(p);
	f->unmapped++;
	return 0;
}

static struct v4l2_io io_for(struct fake *f)
{
	struct v4l2_io io = { f_open, f_close, f_ioctl, f_mmap, f_munmap, f };
	return io;
}

static void capture_one(uint32_t fmt)
{
	struct fake f = { .formats = { fmt }, .nfmt = 1 };
	struct v4l2_io io = io_for(&f);
	struct vsrc *s;
	struct vimage img;
	char why[200] = "";

	cr_assert_eq(vsrc_v4l2_open(&s, "/dev/video9", 640, 480, 30, &io, why,
				    sizeof(why)),
		     0, "%s", why);
	cr_assert(f.streaming);
	cr_assert_eq(f.mapped, 4);
	cr_assert_eq(f.qbufs, 4);
	cr_assert_eq(s->w, FW);			   /* the device's size wins */
	cr_assert_eq(s->read(s, &img, 0), EAGAIN); /* nothing yet */
	f.ready = 5;
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(s->read(s, &img, 0), 0);
		cr_assert_eq(img.w, FW);
		cr_assert_eq(img.plane[0][3 * img.stride[0] + 7], 103);
		cr_assert_eq(img.plane[1][5], 50);
		cr_assert_eq(img.plane[2][9 * img.stride[2] + 1], 200);
	}
	cr_assert_eq(f.qbufs, 9); /* each frame's buffer went back */
	s->close(s);
	cr_assert_not(f.streaming);
	cr_assert_eq(f.unmapped, 4);
	cr_assert_eq(f.closed, 1);
}

Test(v4l2, i420_straight)
{
	capture_one(V4L2_PIX_FMT_YUV420);
}

Test(v4l2, yuyv_converted)
{
	capture_one(V4L2_PIX_FMT_YUYV);
}

Test(v4l2, nv12_converted)
{
	capture_one(V4L2_PIX_FMT_NV12);
}

Test(v4l2, mjpeg_only_refused_naming_what_was_offered)
{
	struct fake f = { .formats = { V4L2_PIX_FMT_MJPEG }, .nfmt = 1 };
	struct v4l2_io io = io_for(&f);
	struct vsrc *s;
	char why[300] = "";

	cr_assert_eq(vsrc_v4l2_open(&s, "/dev/video9", 640, 480, 30, &io, why,
				    sizeof(why)),
		     ENOTSUP);
	cr_assert(strstr(why, "/dev/video9") && strstr(why, "MJPG") &&
		      strstr(why, "YUYV"),
		  "%s", why);
	cr_assert_eq(f.closed, 1);
}

Test(v4l2, missing_and_busy_devices_named)
{
	struct fake f = { .open_err = ENOENT };
	struct v4l2_io io = io_for(&f);
	struct vsrc *s;
	char why[300] = "";

	cr_assert_eq(vsrc_v4l2_open(&s, "/dev/video7", 640, 480, 30, &io, why,
				    sizeof(why)),
		     ENOENT);
	cr_assert(strstr(why, "/dev/video7") && strstr(why, "No such file"),
		  "%s", why);
	f.open_err = EBUSY;
	cr_assert_eq(vsrc_v4l2_open(&s, "/dev/video7", 640, 480, 30, &io, why,
				    sizeof(why)),
		     EBUSY);
	cr_assert(strstr(why, "another program"), "%s", why);
}

Test(v4l2, device_lost_mid_call)
{
	struct fake f = { .formats = { V4L2_PIX_FMT_YUYV }, .nfmt = 1 };
	struct v4l2_io io = io_for(&f);
	struct vsrc *s;
	struct vimage img;
	char why[200] = "";

	cr_assert_eq(vsrc_v4l2_open(&s, "/dev/video9", 640, 480, 30, &io, why,
				    sizeof(why)),
		     0);
	f.ready = 1;
	cr_assert_eq(s->read(s, &img, 0), 0);
	f.lost = true;
	cr_assert_eq(s->read(s, &img, 0), ENODEV);
	cr_assert(strstr(s->err, "/dev/video9") && strstr(s->err, "unplugged"),
		  "%s", s->err);
	s->close(s);
	cr_assert_eq(f.unmapped, 4);
}

Test(v4l2, real_device_if_present)
{
	struct vsrc *s;
	struct vimage img;
	char why[300] = "";
	int err, i;

	if (access("/dev/video0", F_OK) != 0)
		cr_skip_test("no /dev/video0 on this machine");
	err = vsrc_v4l2_open(&s, "/dev/video0", 640, 480, 30, &v4l2_io_libv4l2,
			     why, sizeof(why));
	cr_assert_eq(err, 0, "%s", why);
	for (i = 0; i < 200; i++) {
		err = s->read(s, &img, 0);
		if (err != EAGAIN)
			break;
		usleep(10000);
	}
	cr_assert_eq(err, 0, "%s", s->err);
	s->close(s);
}

struct call_count {
	unsigned video, audio;
	char why[300];
};

static void count_pkts(void *arg, const uint8_t *p, size_t len, bool rtcp)
{
	struct call_count *c = arg;

	if (rtcp || len < 12)
		return;
	if ((p[1] & 0x7f) == 96)
		c->video++;
	else
		c->audio++;
}

static void on_error(void *arg, const char *why)
{
	struct call_count *c = arg;

	snprintf(c->why, sizeof(c->why), "%s", why);
}

static void run_for(struct event_base *base, long us)
{
	struct timeval tv = { 0, us };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* The pipeline with the fake camera: the camera goes away mid-call, the
 * caller hears why once, video stops, audio goes on. */
Test(v4l2, pipeline_survives_camera_loss)
{
	struct fake f = { .formats = { V4L2_PIX_FMT_YUYV },
			  .nfmt = 1,
			  .ready = 1000000 };
	struct v4l2_io io = io_for(&f);
	struct call_count c = { 0 };
	struct event_base *base = event_base_new();
	struct peer_media_opts o = { .video_src = PEER_VSRC_V4L2,
				     .video_path = "/dev/video9",
				     .v4l2_io = &io,
				     .audio_src = PEER_ASRC_TONE,
				     .send = count_pkts,
				     .send_arg = &c,
				     .on_error = on_error,
				     .error_arg = &c };
	struct peer_media_params p = { .video_on = true,
				       .vp8_pt = 96,
				       .video_ssrc = 1,
				       .audio_on = true,
				       .opus_pt = 111,
				       .audio_ssrc = 2 };
	struct peer_media *m;
	unsigned v, a;

	cr_assert_eq(peer_media_new(&m, base, &o), 0);
	cr_assert_eq(peer_media_set_send(m, &p), 0);
	cr_assert_eq(peer_media_set_recv(m, &p), 0);
	cr_assert_eq(peer_media_start(m), 0);
	run_for(base, 300000);
	cr_assert_gt(c.video, 3);
	cr_assert_gt(c.audio, 5);
	cr_assert_eq(c.why[0], 0);
	f.lost = true;
	run_for(base, 100000);
	v = c.video;
	a = c.audio;
	cr_assert(strstr(c.why, "/dev/video9") && strstr(c.why, "unplugged"),
		  "%s", c.why);
	run_for(base, 300000);
	cr_assert_eq(c.video, v, "video went on after the camera was lost");
	cr_assert_gt(c.audio, a + 5);
	peer_media_free(m);
	cr_assert_eq(f.unmapped, 4);
	cr_assert_eq(f.closed, 1);
	event_base_free(base);
}
