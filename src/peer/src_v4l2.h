/* src_v4l2.h — V4L2 camera capture behind a table of the five system calls
 * it makes, so unit tests drive it with a fake device (format negotiation,
 * mmap buffers, the device lost mid-call). The real table goes through
 * libv4l2, which converts MJPEG and other formats to YU12 (I420). */
#ifndef TERN_PEER_SRC_V4L2_H
#define TERN_PEER_SRC_V4L2_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "peer/src.h"

struct v4l2_io {
	int (*open)(void *ctx, const char *path, int flags);
	int (*close)(void *ctx, int fd);
	/* returns -1 with errno set on failure, like ioctl(2) */
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
	void *(*mmap)(void *ctx, size_t len, int fd, int64_t off);
	int (*munmap)(void *ctx, void *p, size_t len);
	void *ctx;
};

/* libv4l2's v4l2_open/ioctl/mmap. */
extern const struct v4l2_io v4l2_io_libv4l2;

/* Open path, negotiate I420 (else YUYV or NV12, converted here) at about
 * w x h and fps, map 4 buffers and start streaming. On failure errp gets
 * a sentence naming the device and what was tried: ENOENT, EBUSY, EACCES
 * (from open), ENOTSUP (no capture/streaming, no usable format), EIO. */
int vsrc_v4l2_open(struct vsrc **sp, const char *path, unsigned w, unsigned h,
		   unsigned fps, const struct v4l2_io *io, char *errp,
		   size_t n);

#endif
