/*
 * sig.c — the signaling client on a bufferevent (see sig.h).
 */
#include "peer/sig.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/why.h"
#include "peer/sdp.h"
#include "peer/sig_ws.h"

#define SIG_MSG_MAX (256 * 1024)

struct peer_sig {
	struct peer_sig_opts o;
	struct bufferevent *bev;
	char key[PEER_WS_KEY_LEN + 1];
	bool open, closed;
	struct evbuffer *queue; /* frames written before the handshake */
};

struct url {
	char host[256], port[8], path[512], hostport[270];
};

static int parse_url(const char *u, struct url *p)
{
	const char *h, *slash, *colon;
	size_t n;

	if (strncmp(u, "ws://", 5) != 0)
		return EINVAL;
	h = u + 5;
	slash = strchr(h, '/');
	n = slash ? (size_t)(slash - h) : strlen(h);
	if (!n || n >= sizeof(p->hostport))
		return EINVAL;
	memcpy(p->hostport, h, n);
	p->hostport[n] = '\0';
	snprintf(p->path, sizeof(p->path), "%s", slash ? slash : "/");
	colon = strrchr(p->hostport, ':');
	if (!colon || colon == p->hostport || strlen(colon + 1) >= 8)
		return EINVAL;
	snprintf(p->host, sizeof(p->host), "%.*s", (int)(colon - p->hostport),
		 p->hostport);
	snprintf(p->port, sizeof(p->port), "%s", colon + 1);
	return 0;
}

static int resolve(const struct url *p, struct sockaddr_storage *ss,
		   socklen_t *sl)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;

	if (getaddrinfo(p->host, p->port, &hints, &ai) != 0)
		return EHOSTUNREACH;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static void closed(struct peer_sig *s, const char *why)
{
	if (s->closed)
		return;
	s->closed = true;
	bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	if (s->o.on_close)
		s->o.on_close(s->o.arg, why);
}

static void frame_out(struct peer_sig *s, unsigned op, const uint8_t *p,
		      size_t n)
{
	uint8_t mask[4], *buf = malloc(n + 14);
	size_t len;

	if (!buf)
		return;
	(void)RAND_bytes(mask, sizeof(mask));
	len = peer_ws_frame_encode(buf, op, p, n, mask);
	evbuffer_add(s->open ? bufferevent_get_output(s->bev) : s->queue, buf,
		     len);
	free(buf);
}

void peer_sig_send(struct peer_sig *s, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);

	if (!text || s->closed) {
		free(text);
		return;
	}
	frame_out(s, 1, (const uint8_t *)text, strlen(text));
	free(text);
}

static void message(struct peer_sig *s, const uint8_t *p, size_t n)
{
	json_error_t e;
	json_t *m = json_loadb((const char *)p, n, 0, &e);

	if (json_is_object(m) && s->o.on_message)
		s->o.on_message(s->o.arg, m);
	json_decref(m);
}

/* Frames from the server; false once the connection is over. */
static bool frames(struct peer_sig *s, struct evbuffer *in)
{
	struct peer_ws_frame f;
	size_t len;
	uint8_t *p;
	int err;

	while ((len = evbuffer_get_length(in)) > 0) {
		p = evbuffer_pullup(in, -1);
		err = peer_ws_frame_decode(p, len, SIG_MSG_MAX, &f);
		if (err == EAGAIN)
			return true;
		if (err) {
			closed(s, "The signaling server sent a frame that is "
				  "not WebSocket.");
			return false;
		}
		if (f.opcode == 1 && f.fin)
			message(s, f.payload, f.len);
		else if (f.opcode == 9)
			frame_out(s, 10, f.payload, f.len);
		else if (f.opcode == 8) {
			closed(s, "The signaling server closed the "
				  "connection.");
			return false;
		}
		evbuffer_drain(in, f.used);
	}
	return true;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct peer_sig *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char why[200];
	size_t head;
	int err;

	if (s->closed)
		return;
	if (!s->open) {
		err = peer_ws_response(evbuffer_pullup(in, -1),
				       evbuffer_get_length(in), s->key, &head,
				       why, sizeof(why));
		if (err == EAGAIN)
			return;
		if (err) {
			closed(s, why);
			return;
		}
		evbuffer_drain(in, head);
		s->open = true;
		evbuffer_add_buffer(bufferevent_get_output(bev), s->queue);
	}
	frames(s, in);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct peer_sig *s = arg;

	(void)bev;
	if (what & BEV_EVENT_ERROR)
		closed(s, "The signaling connection failed.");
	else if (what & BEV_EVENT_EOF)
		closed(s, "The signaling server closed the connection.");
}

int peer_sig_new(struct peer_sig **sp, struct event_base *base,
		 const struct peer_sig_opts *opts, char *why, size_t why_size)
{
	struct peer_sig *s;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct url u;
	uint8_t raw[16];
	char req[1024];
	size_t n;

	if (parse_url(opts->url, &u))
		return why_fail(EINVAL, why, why_size,
				"%s: a ws://host:port/path URL is expected.",
				opts->url);
	if (resolve(&u, &ss, &sl))
		return why_fail(EHOSTUNREACH, why, why_size,
				"%s: cannot resolve %s.", opts->url, u.host);
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->o = *opts;
	(void)RAND_bytes(raw, sizeof(raw));
	EVP_EncodeBlock((uint8_t *)s->key, raw, sizeof(raw));
	s->queue = evbuffer_new();
	s->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	n = peer_ws_request(req, sizeof(req), u.hostport, u.path, s->key);
	if (!s->queue || !s->bev || !n ||
	    bufferevent_socket_connect(s->bev, (struct sockaddr *)&ss,
				       (int)sl) != 0) {
		peer_sig_free(s);
		return why_fail(ECONNREFUSED, why, why_size,
				"%s: cannot connect.", opts->url);
	}
	bufferevent_setcb(s->bev, on_read, NULL, on_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	bufferevent_write(s->bev, req, n);
	*sp = s;
	return 0;
}

void peer_sig_free(struct peer_sig *s)
{
	if (!s)
		return;
	if (s->bev)
		bufferevent_free(s->bev);
	if (s->queue)
		evbuffer_free(s->queue);
	free(s);
}

json_t *peer_sig_turn_credentials(const char *url, const char *token, char *why,
				  size_t why_size)
{
	struct timeval tv = { 5, 0 };
	struct sockaddr_storage ss;
	static char buf[65536];
	json_error_t e;
	socklen_t sl;
	struct url u;
	size_t got = 0;
	ssize_t r;
	char *body;
	json_t *j;
	int fd;

	if (parse_url(url, &u) || resolve(&u, &ss, &sl)) {
		why_fail(EINVAL, why, why_size, "%s: cannot resolve.", url);
		return NULL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	snprintf(buf, sizeof(buf),
		 "GET /turn-credentials HTTP/1.1\r\nHost: %s\r\n"
		 "Authorization: Bearer %s\r\nConnection: close\r\n\r\n",
		 u.hostport, token);
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0 ||
	    write(fd, buf, strlen(buf)) < 0) {
		close(fd);
		why_fail(ECONNREFUSED, why, why_size,
			 "%s: cannot reach the credential endpoint.", url);
		return NULL;
	}
	while (got < sizeof(buf) - 1 &&
	       (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	close(fd);
	buf[got] = '\0';
	body = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.1 200", 12) != 0 || !body) {
		why_fail(EPROTO, why, why_size,
			 "GET /turn-credentials: \"%.60s\".", buf);
		return NULL;
	}
	j = json_loads(body + 4, 0, &e);
	if (!json_is_object(j)) {
		json_decref(j);
		why_fail(EPROTO, why, why_size,
			 "GET /turn-credentials: the body is not a JSON "
			 "object.");
		return NULL;
	}
	return j;
}
