/*
 * steer.c — a reuseport program that picks a worker by client address;
 * see steer.h for the wire-level picture.
 */
#include "net/steer.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51 /* Linux 4.5, asm-generic/socket.h */
#endif

/* Offsets into the network header (steer.h). */
#define V4_SRC 12
#define V6_SRC 8

/* A = the IPv4 source address; A = A mod n; return A. */
static const struct sock_filter prog_v4[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)SKF_NET_OFF + V4_SRC),
	BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 0), /* k patched to n */
	BPF_STMT(BPF_RET | BPF_A, 0),
};

/* A = w0 ^ w1 ^ w2 ^ w3 of the IPv6 source address; A mod n; return A. */
static const struct sock_filter prog_v6[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)SKF_NET_OFF + V6_SRC),
	BPF_STMT(BPF_MISC | BPF_TAX, 0),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)SKF_NET_OFF + V6_SRC + 4),
	BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
	BPF_STMT(BPF_MISC | BPF_TAX, 0),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)SKF_NET_OFF + V6_SRC + 8),
	BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
	BPF_STMT(BPF_MISC | BPF_TAX, 0),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)SKF_NET_OFF + V6_SRC + 12),
	BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
	BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 0), /* k patched to n */
	BPF_STMT(BPF_RET | BPF_A, 0),
};

#define PROG_MAX (sizeof(prog_v6) / sizeof(prog_v6[0]))

int net_steer_attach(int fd, int family, unsigned n)
{
	struct sock_filter code[PROG_MAX];
	struct sock_fprog fp;
	const struct sock_filter *src;
	size_t len, i;

	if (fd < 0 || n == 0)
		return EINVAL;
	if (family == AF_INET) {
		src = prog_v4;
		len = sizeof(prog_v4) / sizeof(prog_v4[0]);
	} else if (family == AF_INET6) {
		src = prog_v6;
		len = PROG_MAX;
	} else {
		return EINVAL;
	}
	for (i = 0; i < len; i++)
		code[i] = src[i];
	/* the second-to-last instruction is the mod */
	code[len - 2].k = n;
	fp.len = (unsigned short)len;
	fp.filter = code;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &fp,
		       sizeof(fp)) < 0)
		return errno;
	return 0;
}
