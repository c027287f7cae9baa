/*
 * srv_http.c — the pure HTTP helpers of tern-signal's listener; see
 * srv_http.h.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "signal/srv_http.h"

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

int sig_http_header(const uint8_t *buf, size_t len, const char *name, char *out,
		    size_t cap)
{
	size_t nlen, i = 0, s, e;

	if (!buf || !name || !out || !cap)
		return EINVAL;
	nlen = strlen(name);
	/* skip the request line */
	while (i + 1 < len && !(buf[i] == '\r' && buf[i + 1] == '\n'))
		i++;
	for (i += 2; i + 1 < len; i = e + 2) {
		s = i;
		for (e = s; e + 1 < len; e++)
			if (buf[e] == '\r' && buf[e + 1] == '\n')
				break;
		if (e + 1 >= len || e == s)
			return ENOENT; /* the head's end, or cut short */
		if (e - s <= nlen || buf[s + nlen] != ':' ||
		    strncasecmp((const char *)buf + s, name, nlen))
			continue;
		s += nlen + 1;
		while (s < e && is_blank(buf[s]))
			s++;
		while (e > s && is_blank(buf[e - 1]))
			e--;
		if (e - s >= cap)
			return ENOSPC;
		memcpy(out, buf + s, e - s);
		out[e - s] = '\0';
		return memchr(out, '\0', e - s) ? ENOENT : 0;
	}
	return ENOENT;
}

size_t sig_http_target_len(const uint8_t *buf, size_t len)
{
	const uint8_t *sp1, *p;

	if (!buf)
		return 0;
	sp1 = memchr(buf, ' ', len);
	if (!sp1)
		return 0;
	for (p = sp1 + 1; p < buf + len; p++)
		if (*p == ' ' || *p == '\r' || *p == '\n')
			break;
	return (size_t)(p - sp1 - 1);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %-decode src[0..n) into out (cap bytes, NUL-terminated); '+' stays. */
static int decode(const char *src, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	int hi, lo;

	for (size_t i = 0; i < n; i++) {
		char c = src[i];

		if (c == '%') {
			if (i + 2 >= n)
				return EBADMSG;
			hi = hexval(src[i + 1]);
			lo = hexval(src[i + 2]);
			if (hi < 0 || lo < 0)
				return EBADMSG;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0')
			return EBADMSG;
		if (o + 1 >= cap)
			return ENOSPC;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* Every segment of a decoded path is a plain name. */
static bool segments_ok(const char *p)
{
	const char *s = p, *e;

	for (;;) {
		e = strchr(s, '/');
		if (!e)
			e = s + strlen(s);
		if (e == s || *s == '.')
			return false; /* "", ".", "..", hidden */
		for (const char *q = s; q < e; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f ||
			    *q == '\\')
				return false;
		if (!*e)
			return true;
		s = e + 1;
	}
}

int sig_http_path(const char *target, char *path, size_t cap, char *query,
		  size_t qcap)
{
	const char *q;
	size_t n;
	int err;

	if (!target || !path || !cap)
		return EINVAL;
	if (target[0] != '/')
		return EBADMSG;
	q = strchr(target, '?');
	n = q ? (size_t)(q - target) : strlen(target);
	if (query && qcap) {
		const char *qs = q ? q + 1 : "";
		if (strlen(qs) >= qcap)
			return ENOSPC;
		strcpy(query, qs);
	}
	if (n == 1) {
		if (cap < sizeof("index.html"))
			return ENOSPC;
		strcpy(path, "index.html");
		return 0;
	}
	err = decode(target + 1, n - 1, path, cap);
	if (err)
		return err;
	return segments_ok(path) ? 0 : EBADMSG;
}

int sig_http_query(const char *query, const char *key, char *out, size_t cap)
{
	const char *p = query, *e, *v;
	size_t klen;

	if (!query || !key || !out || !cap)
		return EINVAL;
	klen = strlen(key);
	while (*p) {
		e = strchr(p, '&');
		if (!e)
			e = p + strlen(p);
		v = memchr(p, '=', (size_t)(e - p));
		if (v && (size_t)(v - p) == klen && !memcmp(p, key, klen))
			return decode(v + 1, (size_t)(e - v - 1), out, cap);
		p = *e ? e + 1 : e;
	}
	return ENOENT;
}

const char *sig_http_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" },
		{ "mjs", "text/javascript; charset=utf-8" },
		{ "css", "text/css; charset=utf-8" },
		{ "json", "application/json" },
		{ "png", "image/png" },
		{ "svg", "image/svg+xml" },
		{ "ico", "image/x-icon" },
		{ "webp", "image/webp" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "wasm", "application/wasm" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "map", "application/json" },
		{ "webm", "video/webm" },
		{ "mp4", "video/mp4" },
		{ "woff2", "font/woff2" },
	};
	const char *dot = path ? strrchr(path, '.') : NULL;

	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcasecmp(dot + 1, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

/* "http://h[:p]" or "https://h[:p]": the part after the scheme, or NULL. */
static const char *origin_host(const char *origin)
{
	if (!strncasecmp(origin, "http://", 7))
		return origin + 7;
	if (!strncasecmp(origin, "https://", 8))
		return origin + 8;
	return NULL;
}

/* Is h "localhost", "127.0.0.1" or "[::1]", with or without ":port"? */
static bool is_local(const char *h)
{
	static const char *const names[] = { "localhost", "127.0.0.1",
					     "[::1]" };

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(names[i]);
		const char *p = h + n;

		if (strncasecmp(h, names[i], n))
			continue;
		if (!*p)
			return true;
		if (*p != ':' || !p[1])
			continue;
		while (*++p)
			if (*p < '0' || *p > '9')
				break;
		if (!*p)
			return true;
	}
	return false;
}

bool sig_http_origin_ok(const char *origin, const char *host,
			const char *const *list, size_t n)
{
	const char *h;

	if (!origin || !*origin)
		return true;
	if (n) {
		for (size_t i = 0; i < n; i++)
			if (list[i] && (!strcasecmp(origin, list[i]) ||
					!strcmp(list[i], "*")))
				return true;
		return false;
	}
	h = origin_host(origin);
	if (!h || !*h || strchr(h, '/'))
		return false;
	if (host && *host && !strcasecmp(h, host))
		return true;
	return is_local(h);
}
