/* client.c — one client, one server: the UDP socket or the TCP / TLS
 * stream, and the demultiplexing of what comes back (RFC 7983). */
#include "client/priv.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

/* Most bytes waiting in a stream's output before sends fail with ENOBUFS. */
#define TERN_STREAM_OUT_MAX (4u << 20)

void client_addr_out(const struct sa *a, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (a && sa_is_set(a))
		memcpy(out, &a->u, a->len);
}

static void client_destroy(struct tern_client *c)
{
	if (c->rd)
		event_free(c->rd);
	c->rd = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->bev)
		bufferevent_free(c->bev);
	c->bev = NULL;
	c->ssl = NULL;
	if (c->conn_timer)
		event_free(c->conn_timer);
	c->conn_timer = NULL;
}

static void client_free_struct(struct tern_client *c)
{
	if (c->ctx)
		SSL_CTX_free(c->ctx);
	free(c->alpn_sel);
	free((char *)c->opts.software);
	free(c);
}

void client_hold(struct tern_client *c)
{
	c->hold++;
}

bool client_release(struct tern_client *c)
{
	if (--c->hold > 0 || !c->dead)
		return false;
	client_free_struct(c);
	return true;
}

void tern_client_free(struct tern_client *c)
{
	if (!c || c->dead)
		return;
	c->dead = true;
	tern_alloc_free(c->alloc);
	trans_cancel(c, NULL);
	client_destroy(c);
	if (c->hold == 0)
		client_free_struct(c);
}

int client_send(struct tern_client *c, const uint8_t *buf, size_t len)
{
	ssize_t n;

	if (c->tp == TERN_UDP) {
		n = sendto(c->fd, buf, len, 0, &c->server.u.sa, c->server.len);
		if (n < 0)
			return errno;
		return 0;
	}
	if (!c->bev || c->failed)
		return ENOTCONN;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) >
	    TERN_STREAM_OUT_MAX)
		return ENOBUFS;
	if (bufferevent_write(c->bev, buf, len) != 0)
		return ENOMEM;
	return 0;
}

void client_input(struct tern_client *c, const uint8_t *buf, size_t len,
		  const struct sa *src)
{
	struct stun_msg m;
	bool from_server = sa_equal(src, &c->server);

	if (len == 0)
		return;
	if (buf[0] >= 0x40 && buf[0] <= 0x7F) {
		if (from_server && c->alloc)
			alloc_input_chdata(c->alloc, buf, len);
		return;
	}
	if (stun_msg_decode(&m, buf, len, 0) != 0)
		return;
	if (m.cls == STUN_CLASS_SUCCESS || m.cls == STUN_CLASS_ERROR) {
		trans_response(c, &m, src);
		return;
	}
	if (m.cls == STUN_CLASS_INDICATION && m.method == STUN_METHOD_DATA &&
	    from_server && c->alloc)
		alloc_input_data(c->alloc, &m);
}

void client_fail_all(struct tern_client *c, int err, const char *reason)
{
	tern_connect_cb cb = c->opts.on_connect;

	c->failed = true;
	c->connected = false;
	c->fail_err = err;
	trans_fail_all(c, err, reason);
	if (cb && !c->dead)
		cb(c->opts.on_connect_arg, err, reason);
}

/* ---- UDP ---------------------------------------------------------------- */

/* An ICMP error queued on the socket (port unreachable: nobody listens
 * there) fails what is in flight: the server is not answering. */
static void udp_icmp(struct tern_client *c, int err)
{
	char reason[128];

	snprintf(reason, sizeof(reason), "%s (ICMP)", strerror(err));
	trans_fail_all(c, err, reason);
}

static void udp_readable(evutil_socket_t fd, short what, void *arg)
{
	struct tern_client *c = arg;
	struct sa src;
	ssize_t n;
	int i;

	(void)what;
	client_hold(c);
	for (i = 0; i < 64 && !c->dead; i++) {
		sa_init(&src);
		src.len = sizeof(src.u);
		n = recvfrom(fd, c->rbuf, sizeof(c->rbuf), 0, &src.u.sa,
			     &src.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			udp_icmp(c, errno);
			continue;
		}
		sa_unmap(&src);
		client_input(c, c->rbuf, (size_t)n, &src);
	}
	client_release(c);
}

static int udp_open(struct tern_client *c)
{
	struct sa any;
	int fd;

	fd = socket(sa_family(&c->server), SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	sa_init(&any);
	if (sa_family(&c->server) == AF_INET6)
		sa_set_str(&any, "::", 0);
	else
		sa_set_str(&any, "0.0.0.0", 0);
	if (bind(fd, &any.u.sa, any.len) != 0) {
		int err = errno;
		close(fd);
		return err;
	}
	c->fd = fd;
	c->rd = event_new(c->base, fd, EV_READ | EV_PERSIST, udp_readable, c);
	if (!c->rd || event_add(c->rd, NULL) != 0)
		return ENOMEM;
	c->connected = true;
	return 0;
}

/* ---- TCP, TLS ------------------------------------------------------------ */

static void stream_readable(struct bufferevent *bev, void *arg)
{
	struct tern_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t avail, frame;
	uint8_t *p;

	client_hold(c);
	while (!c->dead && (avail = evbuffer_get_length(in)) >= 4) {
		p = evbuffer_pullup(in, avail < 24 ? (ssize_t)avail : 24);
		if (stun_frame_len_flags(p, avail, &frame,
					 STUN_FRAME_RFC5766) != 0) {
			client_fail_all(c, EBADMSG, "server sent garbage");
			break;
		}
		if (frame > avail)
			break;
		p = evbuffer_pullup(in, (ssize_t)frame);
		client_input(c, p, frame, &c->server);
		if (!c->dead && c->bev)
			evbuffer_drain(in, frame);
	}
	client_release(c);
}

static void stream_up(struct tern_client *c)
{
	tern_connect_cb cb = c->opts.on_connect;

	if (c->conn_timer)
		evtimer_del(c->conn_timer);
	c->connected = true;
	if (c->tp == TERN_TLS)
		client_tls_up(c);
	if (cb)
		cb(c->opts.on_connect_arg, 0, "connected");
}

static void stream_down(struct tern_client *c, short what)
{
	char reason[512];
	int err = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_EOF) {
		err = ECONNRESET;
		snprintf(reason, sizeof(reason), "connection closed by server");
	} else if (c->tp == TERN_TLS && c->ssl && (!c->connected || err == 0)) {
		client_tls_reason(c, reason, sizeof(reason));
		if (!c->connected && err != ECONNREFUSED)
			err = EPROTO;
	} else {
		if (err == 0)
			err = EIO;
		snprintf(reason, sizeof(reason), "%s", strerror(err));
	}
	if (!c->connected && err == 0)
		err = EPROTO;
	if (c->bev)
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	client_fail_all(c, err, reason);
}

static void stream_event(struct bufferevent *bev, short what, void *arg)
{
	struct tern_client *c = arg;

	(void)bev;
	client_hold(c);
	if (what & BEV_EVENT_CONNECTED)
		stream_up(c);
	else if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF))
		stream_down(c, what);
	client_release(c);
}

static void stream_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct tern_client *c = arg;

	(void)fd;
	(void)what;
	client_hold(c);
	if (c->bev)
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	client_fail_all(c, ETIMEDOUT,
			c->tp == TERN_TLS
			    ? "TCP connect or TLS handshake timed out"
			    : "TCP connect timed out");
	client_release(c);
}

static int stream_open(struct tern_client *c, const struct tern_server *srv,
		       const char *host)
{
	unsigned ms = c->opts.connect_timeout_ms;
	struct timeval tv = { ms / 1000, (long)(ms % 1000) * 1000 };
	int opt = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;
	SSL *ssl = NULL;
	int err;

	if (c->tp == TERN_TLS) {
		err = client_tls_new(c, srv, host, &ssl);
		if (err)
			return err;
		c->bev = bufferevent_openssl_socket_new(
		    c->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, opt);
		if (!c->bev)
			SSL_free(ssl);
		c->ssl = ssl;
	} else {
		c->bev = bufferevent_socket_new(c->base, -1, opt);
	}
	c->conn_timer = evtimer_new(c->base, stream_connect_timeout, c);
	if (!c->bev || !c->conn_timer)
		return ENOMEM;
	bufferevent_setcb(c->bev, stream_readable, NULL, stream_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	evtimer_add(c->conn_timer, &tv);
	/* Most failures (refused, unreachable) come later through
	 * stream_event; an immediate one is returned. */
	if (bufferevent_socket_connect(c->bev, &c->server.u.sa,
				       (int)c->server.len) != 0) {
		err = EVUTIL_SOCKET_ERROR();
		return err ? err : ECONNREFUSED;
	}
	return 0;
}

/* ---- allocation ------------------------------------------------------ */

static int client_resolve(struct tern_client *c, const struct tern_server *srv)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	uint16_t port = srv->port;
	int rc;

	if (port == 0)
		port = srv->tp == TERN_TLS ? 5349 : 3478;
	if (sa_set_str(&c->server, srv->host_or_ip, port) == 0)
		return 0;
	hints.ai_family = srv->family;
	hints.ai_socktype = srv->tp == TERN_UDP ? SOCK_DGRAM : SOCK_STREAM;
	rc = getaddrinfo(srv->host_or_ip, NULL, &hints, &res);
	if (rc != 0 || !res)
		return ENOENT;
	rc = sa_set_sockaddr(&c->server, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (rc)
		return ENOENT;
	sa_set_port(&c->server, port);
	return 0;
}

static void client_defaults(struct tern_client_opts *o)
{
	if (!o->rto_ms)
		o->rto_ms = TERN_DEFAULT_RTO_MS;
	if (!o->rc)
		o->rc = TERN_DEFAULT_RC;
	if (!o->rm)
		o->rm = TERN_DEFAULT_RM;
	if (!o->timeout_ms)
		o->timeout_ms = TERN_DEFAULT_TIMEOUT_MS;
	if (!o->connect_timeout_ms)
		o->connect_timeout_ms = TERN_DEFAULT_CONNECT_MS;
}

int tern_client_alloc(struct tern_client **cp, struct event_base *base,
		      const struct tern_server *srv,
		      const struct tern_client_opts *opts)
{
	struct tern_client *c;
	int err;

	if (!cp || !base || !srv || !srv->host_or_ip || srv->tp > TERN_TLS)
		return EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->fd = -1;
	c->verify = -1;
	c->base = base;
	c->tp = srv->tp;
	if (opts)
		c->opts = *opts;
	c->opts.software = NULL;
	client_defaults(&c->opts);
	if (opts && opts->software &&
	    !(c->opts.software = strdup(opts->software))) {
		err = ENOMEM;
		goto out;
	}
	err = client_resolve(c, srv);
	if (err)
		goto out;
	if (c->tp == TERN_UDP)
		err = udp_open(c);
	else
		err = stream_open(c, srv, srv->host_or_ip);
out:
	if (err) {
		client_destroy(c);
		client_free_struct(c);
		return err;
	}
	*cp = c;
	return 0;
}

bool tern_client_connected(const struct tern_client *c)
{
	return c && c->connected;
}

int tern_client_server_addr(const struct tern_client *c,
			    struct sockaddr_storage *out)
{
	if (!c || !out)
		return EINVAL;
	client_addr_out(&c->server, out);
	return 0;
}

int tern_client_local_addr(const struct tern_client *c,
			   struct sockaddr_storage *out)
{
	socklen_t len = sizeof(*out);
	int fd;

	if (!c || !out)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	fd = c->tp == TERN_UDP ? c->fd
			       : (c->bev ? bufferevent_getfd(c->bev) : -1);
	if (fd < 0 || (c->tp != TERN_UDP && !c->connected))
		return ENOTCONN;
	if (getsockname(fd, (struct sockaddr *)out, &len) != 0)
		return errno;
	return 0;
}
