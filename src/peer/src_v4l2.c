/* src_v4l2.c — camera capture: V4L2 mmap streaming (non-blocking DQBUF
 * on the capture timer), formats converted to I420 here when libv4l2 does
 * not (YUYV, NV12), the device going away reported as a sentence. */
#include <errno.h>
#include <fcntl.h>
#include <libv4l2.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "peer/src_v4l2.h"

#define NBUF 4

struct cam {
	struct vsrc s;
	const struct v4l2_io *io;
	int fd;
	char path[128];
	uint32_t fourcc;
	unsigned bytesperline;
	void *map[NBUF];
	size_t maplen[NBUF];
	unsigned nbuf;
	bool streaming;
	uint8_t *i420;
};

static int x_ioctl(struct cam *v, unsigned long req, void *arg)
{
	int r;

	do {
		r = v->io->ioctl(v->io->ctx, v->fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? errno : 0;
}

static void fourcc_str(uint32_t f, char out[5])
{
	for (int i = 0; i < 4; i++) {
		char c = (char)((f >> (8 * i)) & 0xff);
		out[i] = (c >= 32 && c < 127) ? c : '?';
	}
	out[4] = 0;
}

/* YUYV (4:2:2 packed) to I420: chroma of even rows. */
static void yuyv_to_i420(struct cam *v, const uint8_t *src)
{
	unsigned w = v->s.w, h = v->s.h, x, y;
	uint8_t *Y = v->i420, *U = Y + w * h, *V = U + (w / 2) * (h / 2);

	for (y = 0; y < h; y++) {
		const uint8_t *row = src + (size_t)y * v->bytesperline;

		for (x = 0; x < w; x++)
			Y[y * w + x] = row[2 * x];
		if (y % 2)
			continue;
		for (x = 0; x < w / 2; x++) {
			U[(y / 2) * (w / 2) + x] = row[4 * x + 1];
			V[(y / 2) * (w / 2) + x] = row[4 * x + 3];
		}
	}
}

/* NV12 (Y plane, then interleaved UV) to I420. */
static void nv12_to_i420(struct cam *v, const uint8_t *src)
{
	unsigned w = v->s.w, h = v->s.h, bpl = v->bytesperline, x, y;
	uint8_t *Y = v->i420, *U = Y + w * h, *V = U + (w / 2) * (h / 2);
	const uint8_t *uv = src + (size_t)bpl * h;

	for (y = 0; y < h; y++)
		memcpy(Y + y * w, src + (size_t)y * bpl, w);
	for (y = 0; y < h / 2; y++) {
		for (x = 0; x < w / 2; x++) {
			U[y * (w / 2) + x] = uv[(size_t)y * bpl + 2 * x];
			V[y * (w / 2) + x] = uv[(size_t)y * bpl + 2 * x + 1];
		}
	}
}

static size_t frame_need(struct cam *v)
{
	unsigned h = v->s.h, bpl = v->bytesperline;

	switch (v->fourcc) {
	case V4L2_PIX_FMT_YUYV:
		return (size_t)bpl * h;
	case V4L2_PIX_FMT_NV12:
		return (size_t)bpl * h * 3 / 2;
	default:
		return (size_t)v->s.w * h * 3 / 2;
	}
}

static void convert(struct cam *v, const uint8_t *src)
{
	switch (v->fourcc) {
	case V4L2_PIX_FMT_YUYV:
		yuyv_to_i420(v, src);
		break;
	case V4L2_PIX_FMT_NV12:
		nv12_to_i420(v, src);
		break;
	default:
		memcpy(v->i420, src, (size_t)v->s.w * v->s.h * 3 / 2);
	}
}

static int cam_read(struct vsrc *s, struct vimage *img, uint64_t wall_ms)
{
	struct cam *v = (struct cam *)s;
	struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
				 .memory = V4L2_MEMORY_MMAP };
	unsigned w = s->w, h = s->h;
	int err;

	(void)wall_ms;
	err = x_ioctl(v, VIDIOC_DQBUF, &b);
	if (err == EAGAIN)
		return EAGAIN;
	if (err) {
		snprintf(s->err, sizeof(s->err),
			 "camera %s stopped delivering frames (VIDIOC_DQBUF: "
			 "%s): was it unplugged?",
			 v->path, strerror(err));
		return err == ENODEV ? ENODEV : EIO;
	}
	if (b.index >= v->nbuf || b.bytesused > v->maplen[b.index] ||
	    (b.bytesused && b.bytesused < frame_need(v)) ||
	    (b.flags & V4L2_BUF_FLAG_ERROR)) {
		x_ioctl(v, VIDIOC_QBUF, &b);
		return EAGAIN; /* a short or broken frame: skip it */
	}
	convert(v, v->map[b.index]);
	err = x_ioctl(v, VIDIOC_QBUF, &b);
	if (err) {
		snprintf(s->err, sizeof(s->err), "camera %s: VIDIOC_QBUF: %s",
			 v->path, strerror(err));
		return EIO;
	}
	vimage_wrap(img, v->i420, w, h);
	return 0;
}

static void cam_close(struct vsrc *s)
{
	struct cam *v = (struct cam *)s;
	enum v4l2_buf_type t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	unsigned i;

	if (!v)
		return;
	if (v->streaming)
		x_ioctl(v, VIDIOC_STREAMOFF, &t);
	for (i = 0; i < v->nbuf; i++)
		if (v->map[i])
			v->io->munmap(v->io->ctx, v->map[i], v->maplen[i]);
	if (v->fd >= 0)
		v->io->close(v->io->ctx, v->fd);
	free(v->i420);
	free(v);
}

/* Ask for each format we take, I420 first; the driver (or libv4l2)
 * answers with what it will deliver. */
static int negotiate(struct cam *v, unsigned w, unsigned h, char *errp,
		     size_t n)
{
	static const uint32_t want[] = { V4L2_PIX_FMT_YUV420, V4L2_PIX_FMT_YUYV,
					 V4L2_PIX_FMT_NV12 };
	struct v4l2_format f;
	char got[64] = "", fc[5];
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		f.fmt.pix.width = w;
		f.fmt.pix.height = h;
		f.fmt.pix.pixelformat = want[i];
		f.fmt.pix.field = V4L2_FIELD_ANY;
		if (x_ioctl(v, VIDIOC_S_FMT, &f))
			continue;
		if (f.fmt.pix.pixelformat != want[i]) {
			fourcc_str(f.fmt.pix.pixelformat, fc);
			if (!strstr(got, fc) && strlen(got) < 50) {
				strcat(got, got[0] ? ", " : "");
				strcat(got, fc);
			}
			continue;
		}
		if (f.fmt.pix.width < 64 || f.fmt.pix.height < 64 ||
		    f.fmt.pix.width > 4096 || f.fmt.pix.height > 4096)
			continue;
		v->fourcc = want[i];
		v->s.w = f.fmt.pix.width & ~1u;
		v->s.h = f.fmt.pix.height & ~1u;
		v->bytesperline = f.fmt.pix.bytesperline;
		if (v->fourcc == V4L2_PIX_FMT_YUYV &&
		    v->bytesperline < 2 * f.fmt.pix.width)
			v->bytesperline = 2 * f.fmt.pix.width;
		if (v->fourcc == V4L2_PIX_FMT_NV12 &&
		    v->bytesperline < f.fmt.pix.width)
			v->bytesperline = f.fmt.pix.width;
		return 0;
	}
	snprintf(errp, n,
		 "camera %s: no usable format (tried YU12, YUYV, NV12 at "
		 "%ux%u; the device offered %s)",
		 v->path, w, h, got[0] ? got : "none");
	return ENOTSUP;
}

static int map_buffers(struct cam *v, char *errp, size_t n)
{
	struct v4l2_requestbuffers rb = { .count = NBUF,
					  .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					  .memory = V4L2_MEMORY_MMAP };
	unsigned i;
	int err;

	err = x_ioctl(v, VIDIOC_REQBUFS, &rb);
	if (err || rb.count < 2) {
		snprintf(errp, n, "camera %s: cannot get mmap buffers (%s)",
			 v->path, err ? strerror(err) : "fewer than 2");
		return err ? err : EIO;
	}
	v->nbuf = rb.count > NBUF ? NBUF : rb.count;
	for (i = 0; i < v->nbuf; i++) {
		struct v4l2_buffer b = { .index = i,
					 .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
					 .memory = V4L2_MEMORY_MMAP };

		err = x_ioctl(v, VIDIOC_QUERYBUF, &b);
		if (!err) {
			v->map[i] = v->io->mmap(v->io->ctx, b.length, v->fd,
						b.m.offset);
			if (v->map[i] == MAP_FAILED || !v->map[i]) {
				v->map[i] = NULL;
				err = errno ? errno : EIO;
			}
		}
		if (!err) {
			v->maplen[i] = b.length;
			err = x_ioctl(v, VIDIOC_QBUF, &b);
		}
		if (err) {
			snprintf(errp, n, "camera %s: buffer %u: %s", v->path,
				 i, strerror(err));
			return err;
		}
	}
	return 0;
}

static int check_caps(struct cam *v, char *errp, size_t n)
{
	struct v4l2_capability cap;
	uint32_t caps;
	int err;

	memset(&cap, 0, sizeof(cap));
	err = x_ioctl(v, VIDIOC_QUERYCAP, &cap);
	if (err) {
		snprintf(errp, n, "%s is not a V4L2 device (%s)", v->path,
			 strerror(err));
		return ENOTSUP;
	}
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps
							 : cap.capabilities;
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
		snprintf(errp, n, "%s (%.32s) cannot stream video capture",
			 v->path, (const char *)cap.card);
		return ENOTSUP;
	}
	return 0;
}

static void set_fps(struct cam *v, unsigned fps)
{
	struct v4l2_streamparm p = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };

	p.parm.capture.timeperframe.numerator = 1;
	p.parm.capture.timeperframe.denominator = fps;
	/* best effort: many drivers fix their rate; we pace by the timer */
	x_ioctl(v, VIDIOC_S_PARM, &p);
}

int vsrc_v4l2_open(struct vsrc **sp, const char *path, unsigned w, unsigned h,
		   unsigned fps, const struct v4l2_io *io, char *errp, size_t n)
{
	enum v4l2_buf_type t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct cam *v = calloc(1, sizeof(*v));
	int err;

	if (!v)
		return ENOMEM;
	v->io = io;
	snprintf(v->path, sizeof(v->path), "%s", path);
	v->fd = io->open(io->ctx, path, O_RDWR | O_NONBLOCK);
	if (v->fd < 0) {
		err = errno ? errno : EIO;
		snprintf(errp, n, "cannot open camera %s: %s%s", path,
			 strerror(err),
			 err == EBUSY ? " (another program is using it)" : "");
		goto fail;
	}
	err = check_caps(v, errp, n);
	if (!err)
		err = negotiate(v, w, h, errp, n);
	if (err)
		goto fail;
	set_fps(v, fps);
	v->s.fps = fps;
	v->i420 = malloc((size_t)v->s.w * v->s.h * 3 / 2);
	if (!v->i420) {
		err = ENOMEM;
		goto fail;
	}
	err = map_buffers(v, errp, n);
	if (err)
		goto fail;
	err = x_ioctl(v, VIDIOC_STREAMON, &t);
	if (err) {
		snprintf(errp, n, "camera %s: VIDIOC_STREAMON: %s%s", path,
			 strerror(err),
			 err == EBUSY ? " (another program is using it)" : "");
		goto fail;
	}
	v->streaming = true;
	v->s.read = cam_read;
	v->s.close = cam_close;
	*sp = &v->s;
	return 0;
fail:
	cam_close(&v->s);
	return err;
}

/* ---- the real device, through libv4l2 ---- */

static int lv_open(void *ctx, const char *path, int flags)
{
	(void)ctx;
	return v4l2_open(path, flags);
}

static int lv_close(void *ctx, int fd)
{
	(void)ctx;
	return v4l2_close(fd);
}

static int lv_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	(void)ctx;
	return v4l2_ioctl(fd, req, arg);
}

static void *lv_mmap(void *ctx, size_t len, int fd, int64_t off)
{
	(void)ctx;
	return v4l2_mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 off);
}

static int lv_munmap(void *ctx, void *p, size_t len)
{
	(void)ctx;
	return v4l2_munmap(p, len);
}

const struct v4l2_io v4l2_io_libv4l2 = {
	.open = lv_open,
	.close = lv_close,
	.ioctl = lv_ioctl,
	.mmap = lv_mmap,
	.munmap = lv_munmap,
};
