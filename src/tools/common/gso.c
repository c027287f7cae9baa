/*
 * gso.c — the load generators' batched UDP send (tern-bench and
 * tests/bench/udp-fwd): sendmmsg, with runs of datagrams to one address
 * of one size sent as one UDP GSO message (UDP_SEGMENT) that the kernel
 * cuts up. On loopback the generator pays for delivering its datagrams
 * into the server's sockets, so a cheaper send leaves it more of its core
 * to load the server with; the server under test receives the same
 * separate datagrams either way (neither ternd nor coturn asks for GRO).
 */
#include "tools/common/gso.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#define GSO_SEGS  64
#define GSO_BYTES 65000

static bool same_name(const struct msghdr *a, const struct msghdr *b)
{
	return a->msg_namelen == b->msg_namelen &&
	       (!a->msg_namelen ||
		!memcmp(a->msg_name, b->msg_name, a->msg_namelen));
}

/* Length of the run of m[0..n) that can go as one GSO message. */
static unsigned run_len(const struct mmsghdr *m, unsigned n)
{
	size_t seg = m[0].msg_hdr.msg_iov[0].iov_len, bytes = seg;
	unsigned k = 1;

	while (k < n && k < GSO_SEGS) {
		const struct msghdr *h = &m[k].msg_hdr;
		size_t len = h->msg_iov[0].iov_len;

		if (h->msg_iovlen != 1 || h->msg_controllen ||
		    !same_name(h, &m[0].msg_hdr) || len > seg ||
		    bytes + len > GSO_BYTES ||
		    m[k - 1].msg_hdr.msg_iov[0].iov_len != seg)
			break;
		bytes += len;
		k++;
	}
	return k;
}

static unsigned plain(int fd, struct mmsghdr *m, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		int k = sendmmsg(fd, m + done, n - done, 0);

		if (k <= 0)
			break;
		done += (unsigned)k;
	}
	return done;
}

unsigned bench_gso_send(int fd, struct mmsghdr *m, unsigned n, bool *gso)
{
	struct mmsghdr out[BENCH_GSO_MAX];
	struct iovec iov[BENCH_GSO_MAX];
	_Alignas(struct cmsghdr)
	    uint8_t ctl[BENCH_GSO_MAX][CMSG_SPACE(sizeof(uint16_t))];
	unsigned first[BENCH_GSO_MAX], nseg[BENCH_GSO_MAX];
	unsigned i = 0, r = 0, done = 0, sent = 0;

	if (n > BENCH_GSO_MAX) {
		sent = bench_gso_send(fd, m, BENCH_GSO_MAX, gso);
		if (sent < BENCH_GSO_MAX)
			return sent; /* a full buffer */
		return sent + bench_gso_send(fd, m + BENCH_GSO_MAX,
					     n - BENCH_GSO_MAX, gso);
	}
	if (!*gso || n < 2)
		return plain(fd, m, n);
	while (i < n) {
		unsigned k =
		    m[i].msg_hdr.msg_iovlen == 1 && !m[i].msg_hdr.msg_controllen
			? run_len(m + i, n - i)
			: 1;
		struct msghdr *h = &out[r].msg_hdr;

		*h = m[i].msg_hdr;
		if (k > 1) {
			uint16_t seg =
			    (uint16_t)m[i].msg_hdr.msg_iov[0].iov_len;
			struct cmsghdr *cm = (struct cmsghdr *)(void *)ctl[r];

			for (unsigned j = 0; j < k; j++)
				iov[i + j] = m[i + j].msg_hdr.msg_iov[0];
			h->msg_iov = &iov[i];
			h->msg_iovlen = k;
			memset(ctl[r], 0, sizeof(ctl[r]));
			cm->cmsg_level = SOL_UDP;
			cm->cmsg_type = UDP_SEGMENT;
			cm->cmsg_len = CMSG_LEN(sizeof(seg));
			memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
			h->msg_control = ctl[r];
			h->msg_controllen = sizeof(ctl[r]);
		}
		first[r] = i;
		nseg[r++] = k;
		i += k;
	}
	while (done < r) {
		int k = sendmmsg(fd, out + done, r - done, 0);

		if (k > 0) {
			for (int j = 0; j < k; j++)
				sent += nseg[done + (unsigned)j];
			done += (unsigned)k;
		} else if (k < 0 && nseg[done] > 1 &&
			   (errno == EIO || errno == EINVAL)) {
			/* the kernel will not segment here: never again */
			*gso = false;
			sent += plain(fd, m + first[done], nseg[done]);
			done++;
		} else {
			break; /* a full buffer: the rest is lost */
		}
	}
	return sent;
}
