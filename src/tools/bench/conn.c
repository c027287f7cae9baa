/* conn.c — tern-bench's sockets to the server: connected UDP sockets
 * read and written in batches, TCP and TLS streams cut into frames with
 * stun_frame_len (RFC 8656 §12.5). */
#include "tools/bench/bench.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#define RX_BATCH 32

unsigned long bench_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1024;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		getrlimit(RLIMIT_NOFILE, &rl);
	return (unsigned long)rl.rlim_cur;
}

int bench_tls_ctx(SSL_CTX **ctxp, const struct bench_opts *o)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return ENOMEM;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (o->ca && SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1) {
		SSL_CTX_free(ctx);
		return ENOENT;
	}
	SSL_CTX_set_verify(ctx, o->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
			   NULL);
	*ctxp = ctx;
	return 0;
}

/* Blocking TLS handshake (bounded by the socket timeouts set by the
 * caller), checking the server's certificate names the address we dialled. */
static int tls_start(struct bench_conn *c, const struct bench_opts *o,
		     SSL_CTX *tls)
{
	char ip[SA_STRLEN];

	c->ssl = SSL_new(tls);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
		return ENOMEM;
	sa_print_addr(&o->server, ip, sizeof(ip));
	if (!o->insecure &&
	    !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), ip))
		return EINVAL;
	if (SSL_connect(c->ssl) != 1) {
		ERR_clear_error();
		return ECONNREFUSED;
	}
	return 0;
}

static int stream_bufs(struct bench_conn *c)
{
	c->rbuf = malloc(BENCH_STREAM_BUF);
	c->wbuf = malloc(BENCH_STREAM_BUF);
	return c->rbuf && c->wbuf ? 0 : ENOMEM;
}

int bench_conn_open(struct bench_conn *c, const struct bench_opts *o,
		    SSL_CTX *tls)
{
	struct timeval tv = { .tv_sec = 5 };
	int one = 1, err = 0;
	int type = o->tp == BENCH_UDP ? SOCK_DGRAM : SOCK_STREAM;

	memset(c, 0, sizeof(*c));
	c->tp = o->tp;
	c->fd = socket(sa_family(&o->server), type | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return errno;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, &o->server.u.sa, o->server.len)) {
		err = errno;
		goto out;
	}
	if (o->tp != BENCH_UDP) {
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		err = stream_bufs(c);
	}
	if (!err && o->tp == BENCH_TLS)
		err = tls_start(c, o, tls);
	if (!err && fcntl(c->fd, F_SETFL, O_NONBLOCK))
		err = errno;
out:
	if (err)
		bench_conn_close(c);
	return err;
}

void bench_conn_close(struct bench_conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd > 0)
		close(c->fd);
	free(c->rbuf);
	free(c->wbuf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* One write of what is queued: bytes written, 0 when it would block, -1
 * when the connection is gone. */
static ssize_t stream_write(struct bench_conn *c, const uint8_t *p, size_t n)
{
	size_t w = 0;
	ssize_t k;
	int e;

	if (!c->ssl) {
		k = send(c->fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return k;
	}
	if (SSL_write_ex(c->ssl, p, n, &w) == 1)
		return (ssize_t)w;
	e = SSL_get_error(c->ssl, 0);
	ERR_clear_error();
	return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? 0 : -1;
}

int bench_conn_flush(struct bench_conn *c)
{
	size_t off = 0;
	ssize_t n = 0;

	while (off < c->wlen) {
		n = stream_write(c, c->wbuf + off, c->wlen - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	memmove(c->wbuf, c->wbuf + off, c->wlen - off);
	c->wlen -= off;
	return n < 0 ? EPIPE : 0;
}

int bench_conn_send(struct bench_conn *c, const uint8_t *buf, size_t len)
{
	if (c->tp == BENCH_UDP)
		return send(c->fd, buf, len, 0) < 0 ? errno : 0;
	if (BENCH_STREAM_BUF - c->wlen < len)
		return EAGAIN;
	memcpy(c->wbuf + c->wlen, buf, len);
	c->wlen += len;
	return bench_conn_flush(c);
}

unsigned bench_udp_sendv(int fd, struct iovec *iov, unsigned n, bool *gso)
{
	struct mmsghdr mm[BENCH_MAX_BATCH];

	memset(mm, 0, sizeof(mm[0]) * n);
	for (unsigned i = 0; i < n; i++) {
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	return n - bench_gso_send(fd, mm, n, gso);
}

static int udp_read(struct bench_conn *c, bench_rx_fn fn, void *arg)
{
	static const size_t sz = 2048;
	uint8_t buf[RX_BATCH][2048];
	struct iovec iov[RX_BATCH];
	struct mmsghdr mm[RX_BATCH];
	int n;

	memset(mm, 0, sizeof(mm));
	for (unsigned i = 0; i < RX_BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sz;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	do {
		n = recvmmsg(c->fd, mm, RX_BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++)
			fn(arg, buf[i], mm[i].msg_len);
	} while (n == RX_BATCH);
	if (n < 0 && errno != EAGAIN && errno != ECONNREFUSED)
		return errno;
	return 0;
}

/* Call fn for every whole frame at the start of rbuf, keep the rest. */
static int stream_frames(struct bench_conn *c, bench_rx_fn fn, void *arg)
{
	size_t off = 0, frame;
	int err;

	for (;;) {
		err = stun_frame_len(c->rbuf + off, c->rlen - off, &frame);
		if (err == EAGAIN)
			break;
		if (err || frame > BENCH_STREAM_BUF)
			return EBADMSG;
		if (frame > c->rlen - off)
			break;
		fn(arg, c->rbuf + off, frame);
		off += frame;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
	return 0;
}

static ssize_t stream_recv(struct bench_conn *c)
{
	size_t got = 0;

	if (!c->ssl)
		return recv(c->fd, c->rbuf + c->rlen,
			    BENCH_STREAM_BUF - c->rlen, 0);
	if (SSL_read_ex(c->ssl, c->rbuf + c->rlen, BENCH_STREAM_BUF - c->rlen,
			&got) == 1)
		return (ssize_t)got;
	if (SSL_get_error(c->ssl, 0) == SSL_ERROR_WANT_READ ||
	    SSL_get_error(c->ssl, 0) == SSL_ERROR_WANT_WRITE) {
		errno = EAGAIN;
		return -1;
	}
	ERR_clear_error();
	return 0;
}

int bench_conn_read(struct bench_conn *c, bench_rx_fn fn, void *arg)
{
	ssize_t n;
	int err;

	if (c->tp == BENCH_UDP)
		return udp_read(c, fn, arg);
	for (;;) {
		n = stream_recv(c);
		if (n == 0)
			return EPIPE;
		if (n < 0)
			return errno == EAGAIN ? 0 : errno;
		c->rlen += (size_t)n;
		err = stream_frames(c, fn, arg);
		if (err)
			return err;
	}
}
