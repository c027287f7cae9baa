/* sa.c — socket address helpers; see sa.h. */
#include "base/sa.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sa_init(struct sa *a)
{
	memset(a, 0, sizeof(*a));
}

int sa_set_str(struct sa *a, const char *addr, uint16_t port)
{
	struct sa t;

	if (!a || !addr)
		return EINVAL;
	sa_init(&t);
	if (inet_pton(AF_INET, addr, &t.u.in.sin_addr) == 1) {
		t.u.in.sin_family = AF_INET;
		t.u.in.sin_port = htons(port);
		t.len = sizeof(t.u.in);
	} else if (inet_pton(AF_INET6, addr, &t.u.in6.sin6_addr) == 1) {
		t.u.in6.sin6_family = AF_INET6;
		t.u.in6.sin6_port = htons(port);
		t.len = sizeof(t.u.in6);
	} else {
		return EINVAL;
	}
	*a = t;
	return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (!*s)
		return EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 65535)
		return EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int sa_parse(struct sa *a, const char *text, uint16_t def_port)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *hs = text;
	uint16_t port = def_port;
	size_t hl;

	if (!a || !text)
		return EINVAL;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close)
			return EINVAL;
		hs = text + 1;
		hl = (size_t)(close - hs);
		if (close[1] == ':') {
			if (parse_port(close + 2, &port))
				return EINVAL;
		} else if (close[1]) {
			return EINVAL;
		}
	} else if ((colon = strchr(text, ':')) && !strchr(colon + 1, ':')) {
		hl = (size_t)(colon - text);
		if (parse_port(colon + 1, &port))
			return EINVAL;
	} else {
		hl = strlen(text);
	}
	if (hl == 0 || hl >= sizeof(host))
		return EINVAL;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	return sa_set_str(a, host, port);
}

int sa_set_raw(struct sa *a, int family, const uint8_t *addr, uint16_t port)
{
	if (!a || !addr)
		return EINVAL;
	sa_init(a);
	if (family == AF_INET) {
		a->u.in.sin_family = AF_INET;
		memcpy(&a->u.in.sin_addr, addr, 4);
		a->u.in.sin_port = htons(port);
		a->len = sizeof(a->u.in);
		return 0;
	}
	if (family == AF_INET6) {
		a->u.in6.sin6_family = AF_INET6;
		memcpy(&a->u.in6.sin6_addr, addr, 16);
		a->u.in6.sin6_port = htons(port);
		a->len = sizeof(a->u.in6);
		return 0;
	}
	return EINVAL;
}

int sa_set_sockaddr(struct sa *a, const struct sockaddr *s, socklen_t len)
{
	if (!a || !s)
		return EINVAL;
	if (s->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		sa_init(a);
		memcpy(&a->u.in, s, sizeof(a->u.in));
		a->len = sizeof(a->u.in);
		return 0;
	}
	if (s->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		sa_init(a);
		memcpy(&a->u.in6, s, sizeof(a->u.in6));
		a->len = sizeof(a->u.in6);
		return 0;
	}
	return EINVAL;
}

void sa_set_port(struct sa *a, uint16_t port)
{
	switch (sa_family(a)) {
	case AF_INET:
		a->u.in.sin_port = htons(port);
		break;
	case AF_INET6:
		a->u.in6.sin6_port = htons(port);
		break;
	default:
		break;
	}
}

bool sa_equal_addr(const struct sa *a, const struct sa *b)
{
	size_t la, lb;
	const uint8_t *pa, *pb;

	if (sa_family(a) != sa_family(b))
		return false;
	pa = sa_addr_bytes(a, &la);
	pb = sa_addr_bytes(b, &lb);
	return la == lb && la && memcmp(pa, pb, la) == 0;
}

bool sa_equal(const struct sa *a, const struct sa *b)
{
	return sa_equal_addr(a, b) && sa_port(a) == sa_port(b);
}

void sa_unmap(struct sa *a)
{
	uint8_t v4[4];
	uint16_t port;

	if (sa_family(a) != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&a->u.in6.sin6_addr))
		return;
	memcpy(v4, &a->u.in6.sin6_addr.s6_addr[12], 4);
	port = sa_port(a);
	sa_set_raw(a, AF_INET, v4, port);
}

/* Append the IPv4 address made of b[i0..i3] (XOR x) to out. */
static void embed_add(struct sa *out, size_t max, size_t *n, const uint8_t *b,
		      const uint8_t idx[4], uint8_t x, uint16_t port)
{
	uint8_t v4[4];
	unsigned i;

	if (*n >= max)
		return;
	for (i = 0; i < 4; i++)
		v4[i] = b[idx[i]] ^ x;
	sa_set_raw(&out[(*n)++], AF_INET, v4, port);
}

static bool all_zero(const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

size_t sa_embedded_v4(const struct sa *a, struct sa *out, size_t max)
{
	static const uint8_t last[4] = { 12, 13, 14, 15 };
	static const uint8_t teredo_srv[4] = { 4, 5, 6, 7 };
	static const uint8_t sixtofour[4] = { 2, 3, 4, 5 };
	/* RFC 6052 §2.2: bits 64-71 (byte 8) are "u", always skipped */
	static const uint8_t p48[4] = { 6, 7, 9, 10 };
	static const uint8_t p56[4] = { 7, 9, 10, 11 };
	static const uint8_t p64[4] = { 9, 10, 11, 12 };
	static const uint8_t nat64[6] = { 0x00, 0x64, 0xff, 0x9b, 0, 0 };
	const uint8_t *b;
	uint16_t port = sa_port(a);
	size_t n = 0;

	if (sa_family(a) != AF_INET6 || !out)
		return 0;
	b = a->u.in6.sin6_addr.s6_addr;
	if (all_zero(b, 15) && b[15] <= 1)
		return 0; /* :: and ::1 are themselves, not ::0.0.0.x */
	if (all_zero(b, 10) &&
	    ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0)))
		embed_add(out, max, &n, b, last, 0, port); /* mapped, compat */
	else if (all_zero(b, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 &&
		 b[11] == 0)
		embed_add(out, max, &n, b, last, 0, port); /* SIIT */
	else if (!memcmp(b, nat64, 4) && all_zero(b + 4, 8))
		embed_add(out, max, &n, b, last, 0, port); /* 64:ff9b::/96 */
	else if (!memcmp(b, nat64, 4) && b[4] == 0 && b[5] == 1) {
		embed_add(out, max, &n, b, p48, 0, port); /* 64:ff9b:1::/48 */
		embed_add(out, max, &n, b, p56, 0, port);
		embed_add(out, max, &n, b, p64, 0, port);
		embed_add(out, max, &n, b, last, 0, port);
	} else if (b[0] == 0x20 && b[1] == 0x02)
		embed_add(out, max, &n, b, sixtofour, 0, port);
	else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
		embed_add(out, max, &n, b, teredo_srv, 0, port);
		embed_add(out, max, &n, b, last, 0xff, port);
	}
	return n;
}

const char *sa_print_addr(const struct sa *a, char *buf, size_t size)
{
	const void *p = NULL;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (sa_family(a) == AF_INET)
		p = &a->u.in.sin_addr;
	else if (sa_family(a) == AF_INET6)
		p = &a->u.in6.sin6_addr;
	if (!p || !inet_ntop(sa_family(a), p, buf, (socklen_t)size))
		snprintf(buf, size, "(none)");
	return buf;
}

const char *sa_print(const struct sa *a, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	sa_print_addr(a, host, sizeof(host));
	if (sa_family(a) == AF_INET6)
		snprintf(buf, size, "[%s]:%u", host, sa_port(a));
	else if (sa_family(a) == AF_INET)
		snprintf(buf, size, "%s:%u", host, sa_port(a));
	else
		snprintf(buf, size, "%s", host);
	return buf;
}

uint32_t sa_hash(const struct sa *a)
{
	/* FNV-1a over address bytes and port: fast and well spread for the
	 * small tables we use; not exposed to collision attacks because the
	 * tables that hold client-chosen keys add a random seed. */
	uint32_t h = 2166136261u;
	size_t n, i;
	const uint8_t *p = sa_addr_bytes(a, &n);
	uint16_t port = sa_port(a);

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	return h;
}
