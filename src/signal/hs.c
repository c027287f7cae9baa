/*
 * hs.c — the server's side of the WebSocket opening handshake (RFC 6455
 * §4.2): read the client's HTTP/1.1 Upgrade request, decide, answer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "base/cursor.h"
#include "signal/ws.h"

#define WS_GUID	     "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define HEADERS_MAX  64
#define SUBPROTO_MAX 8

/* What the headers said, before the decision. */
struct seen {
	int host, keys, origins, versions, headers;
	bool upgrade, connection, v13, key_ok, bad_origin;
};

static int refuse(struct sig_ws_req *req, int status, const char *why)
{
	req->status = status;
	req->why = why;
	return 0;
}

static bool is_tchar(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || strchr("!#$%&'*+-.^_`|~", ch);
}

static bool ieq(const uint8_t *a, size_t n, const char *b)
{
	return strlen(b) == n && strncasecmp((const char *)a, b, n) == 0;
}

/* Is tok one of the comma-separated elements of v (RFC 9110 §5.6.1)? */
static bool in_list(const uint8_t *v, size_t n, const char *tok, bool icase)
{
	size_t i = 0, s, e;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && icase && ieq(v + s, e - s, tok))
			return true;
		if (e > s && !icase && e - s == strlen(tok) &&
		    !memcmp(v + s, tok, e - s))
			return true;
	}
	return false;
}

/* §4.1: the key is base64 of 16 random bytes: 22 characters and "==". */
static bool key_valid(const uint8_t *v, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	if (n != SIG_WS_KEY_LEN || v[22] != '=' || v[23] != '=')
		return false;
	for (i = 0; i < 22; i++)
		if (!v[i] || !strchr(b64, v[i]))
			return false;
	return true;
}

static bool origin_allowed(const struct sig_ws_hs_opts *o, const uint8_t *v,
			   size_t n)
{
	size_t i;

	if (o->n_origins == 0)
		return true;
	for (i = 0; i < o->n_origins; i++)
		if (o->origins[i] && ieq(v, n, o->origins[i]))
			return true;
	return false;
}

/* One header field: note what the handshake needs from it. */
static void header(const struct sig_ws_hs_opts *o, struct sig_ws_req *req,
		   struct seen *s, const uint8_t *name, size_t nlen,
		   const uint8_t *v, size_t n)
{
	if (ieq(name, nlen, "host")) {
		s->host++;
	} else if (ieq(name, nlen, "upgrade")) {
		s->upgrade |= in_list(v, n, "websocket", true);
	} else if (ieq(name, nlen, "connection")) {
		s->connection |= in_list(v, n, "upgrade", true);
	} else if (ieq(name, nlen, "sec-websocket-version")) {
		s->versions++;
		s->v13 = n == 2 && !memcmp(v, "13", 2);
	} else if (ieq(name, nlen, "sec-websocket-key")) {
		s->keys++;
		s->key_ok = key_valid(v, n);
		if (s->key_ok)
			memcpy(req->key, v, SIG_WS_KEY_LEN);
	} else if (ieq(name, nlen, "origin")) {
		s->origins++;
		s->bad_origin = !origin_allowed(o, v, n);
		if (n < SIG_WS_ORIGIN_MAX) {
			memcpy(req->origin, v, n);
			req->origin[n] = '\0';
		}
	} else if (ieq(name, nlen, "sec-websocket-protocol")) {
		/* subprotocol names are compared as they are (§4.1, §11.5) */
		req->proto_json |= in_list(v, n, "json", false);
	}
}

/* "Name: value" up to (not including) CRLF. Returns false if malformed. */
static bool parse_field(const uint8_t *p, size_t n, const uint8_t **name,
			size_t *nlen, const uint8_t **v, size_t *vlen)
{
	size_t i = 0, e;

	while (i < n && is_tchar(p[i]))
		i++;
	if (i == 0 || i == n || p[i] != ':')
		return false; /* also obs-fold: a line starting with SP/HTAB */
	*name = p;
	*nlen = i++;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	e = n;
	while (e > i && (p[e - 1] == ' ' || p[e - 1] == '\t'))
		e--;
	for (size_t k = i; k < e; k++)
		if ((p[k] < 0x20 && p[k] != '\t') || p[k] == 0x7F)
			return false;
	*v = p + i;
	*vlen = e - i;
	return true;
}

/* Where the line starting at c ends (the CR of its CRLF); false if none. */
static bool line(struct cur *c, const uint8_t **p, size_t *n)
{
	const uint8_t *s = c->pos, *q;

	for (q = s; q + 1 < c->end; q++)
		if (q[0] == '\r' && q[1] == '\n')
			break;
	if (q + 1 >= c->end)
		return false;
	*p = s;
	*n = (size_t)(q - s);
	c->pos = q + 2;
	return true;
}

/* "GET /path HTTP/1.1" (RFC 9112 §3). */
static int request_line(struct sig_ws_req *req, const uint8_t *p, size_t n)
{
	const uint8_t *sp1 = memchr(p, ' ', n), *sp2;
	size_t mlen, tlen;

	if (!sp1)
		return refuse(req, 400, "malformed request line"), EBADMSG;
	mlen = (size_t)(sp1 - p);
	sp2 = memchr(sp1 + 1, ' ', n - mlen - 1);
	if (!sp2 || mlen == 0 || mlen >= sizeof(req->method))
		return refuse(req, 400, "malformed request line"), EBADMSG;
	tlen = (size_t)(sp2 - sp1 - 1);
	if (tlen == 0 || tlen >= SIG_WS_PATH_MAX || sp1[1] != '/')
		return refuse(req, 400, "bad or too long request target"),
		       EBADMSG;
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar(p[i]))
			return refuse(req, 400, "malformed request line"),
			       EBADMSG;
	for (size_t i = 0; i < tlen; i++)
		if (sp1[1 + i] <= 0x20 || sp1[1 + i] >= 0x7F)
			return refuse(req, 400, "bad request target"), EBADMSG;
	if ((size_t)(p + n - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.1", 8))
		return refuse(req, 400, "not HTTP/1.1"), EBADMSG;
	memcpy(req->method, p, mlen);
	memcpy(req->path, sp1 + 1, tlen);
	return 0;
}

/* The decision once every header is read (§4.2.1, §4.2.2). */
static int decide(struct sig_ws_req *req, const struct seen *s)
{
	if (s->host != 1)
		return refuse(req, 400, "no Host header, or more than one");
	req->websocket = s->upgrade;
	if (!s->upgrade)
		return refuse(req, 426, "not a WebSocket upgrade request");
	if (strcmp(req->method, "GET"))
		return refuse(req, 400, "the upgrade request must be a GET");
	if (!s->connection)
		return refuse(req, 400, "Connection does not list Upgrade");
	if (s->versions != 1)
		return refuse(req, 400, "no Sec-WebSocket-Version, or several");
	if (!s->v13)
		return refuse(req, 426, "Sec-WebSocket-Version is not 13");
	if (s->keys != 1 || !s->key_ok)
		return refuse(req, 400,
			      "Sec-WebSocket-Key missing or not "
			      "base64 of 16 bytes");
	if (s->origins > 1)
		return refuse(req, 400, "more than one Origin");
	if (s->bad_origin)
		return refuse(req, 403, "Origin not allowed");
	return refuse(req, 101, "upgrade");
}

static const uint8_t *head_end(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (!memcmp(buf + i, "\r\n\r\n", 4))
			return buf + i + 4;
	return NULL;
}

int sig_ws_hs_parse(const uint8_t *buf, size_t len,
		    const struct sig_ws_hs_opts *opts, struct sig_ws_req *req)
{
	struct sig_ws_hs_opts none = { NULL, 0, 0 };
	const struct sig_ws_hs_opts *o = opts ? opts : &none;
	size_t cap = o->max_head ? o->max_head : SIG_WS_HEAD_MAX_DEFAULT;
	const uint8_t *end, *p = NULL, *name, *v;
	size_t n = 0, nlen, vlen;
	struct seen s = { 0 };
	struct cur c;

	if (!req || (!buf && len))
		return EINVAL;
	memset(req, 0, sizeof(*req));
	end = head_end(buf, len < cap ? len : cap);
	if (!end && len < cap)
		return EAGAIN;
	if (!end) {
		req->head_len = len;
		return refuse(req, 431, "request head over the size cap");
	}
	req->head_len = (size_t)(end - buf);
	c = cur_make(buf, req->head_len);
	line(&c, &p, &n);
	if (request_line(req, p, n))
		return 0;
	while (line(&c, &p, &n) && n > 0) {
		if (++s.headers > HEADERS_MAX)
			return refuse(req, 431, "too many header fields");
		if (!parse_field(p, n, &name, &nlen, &v, &vlen))
			return refuse(req, 400, "malformed header field");
		header(o, req, &s, name, nlen, v, vlen);
	}
	return decide(req, &s);
}

int sig_ws_accept_key(const char *key, size_t klen, char out[29])
{
	uint8_t in[SIG_WS_KEY_LEN + sizeof(WS_GUID)], md[20];
	unsigned int mdlen = 0;

	if (!key || klen > SIG_WS_KEY_LEN)
		return EINVAL;
	memcpy(in, key, klen);
	memcpy(in + klen, WS_GUID, sizeof(WS_GUID) - 1);
	if (!EVP_Digest(in, klen + sizeof(WS_GUID) - 1, md, &mdlen, EVP_sha1(),
			NULL) ||
	    mdlen != 20)
		return ENOMEM;
	EVP_EncodeBlock((unsigned char *)out, md, 20);
	return 0;
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 426:
		return "Upgrade Required";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

int sig_ws_hs_response(const struct sig_ws_req *req, char *out, size_t cap,
		       size_t *outlen)
{
	char acc[29];
	int n;

	if (!req || !out || !outlen)
		return EINVAL;
	if (req->status == 101) {
		if (sig_ws_accept_key(req->key, strlen(req->key), acc))
			return ENOMEM;
		n = snprintf(
		    out, cap,
		    "HTTP/1.1 101 Switching Protocols\r\n"
		    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		    "Sec-WebSocket-Accept: %s\r\n%s\r\n",
		    acc,
		    req->proto_json ? "Sec-WebSocket-Protocol: json\r\n" : "");
	} else {
		const char *why = req->why ? req->why : "refused";
		n = snprintf(out, cap,
			     "HTTP/1.1 %d %s\r\n%s"
			     "Content-Type: text/plain; charset=utf-8\r\n"
			     "Content-Length: %zu\r\nConnection: close\r\n\r\n"
			     "%s\n",
			     req->status, reason_phrase(req->status),
			     req->status == 426
				 ? "Upgrade: websocket\r\n"
				   "Sec-WebSocket-Version: 13\r\n"
				 : "",
			     strlen(why) + 1, why);
	}
	if (n < 0 || (size_t)n >= cap)
		return ENOSPC;
	*outlen = (size_t)n;
	return 0;
}
