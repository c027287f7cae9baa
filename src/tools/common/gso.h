/*
 * gso.h — batched UDP sends for the load generators (tern-bench and
 * tests/bench/udp-fwd), with UDP GSO for runs to one address; see
 * gso.c.
 */
#ifndef TERN_TOOLS_COMMON_GSO_H
#define TERN_TOOLS_COMMON_GSO_H

#include <stdbool.h>
#include <sys/socket.h>

/* Most messages one call takes with GSO (more go out plainly). */
#define BENCH_GSO_MAX 64

/*
 * Send m[0..n) on fd as sendmmsg would (each message one datagram with
 * one iovec; msg_name may be NULL on a connected socket). While *gso,
 * runs of consecutive messages to one address whose datagrams are of one
 * size (the last may be shorter) go as one UDP_SEGMENT message; a kernel
 * that refuses GSO (EIO, EINVAL) gets the run datagram by datagram and
 * *gso turns false. Stops at the first other error (a full socket
 * buffer). Returns the datagrams sent.
 */
unsigned bench_gso_send(int fd, struct mmsghdr *m, unsigned n, bool *gso);

#endif
