/*
 * uri.c — STUN and TURN URIs (RFC 7064 §3.1, RFC 7065 §3.1):
 *
 *   stunURI = scheme ":" host [ ":" port ]            scheme = "stun" / "stuns"
 *   turnURI = scheme ":" host [ ":" port ]
 *             [ "?transport=" transport ]             scheme = "turn" / "turns"
 *   host    = IP-literal / IPv4address / reg-name     (RFC 3986 §3.2.2)
 *
 * Pure: text in, struct out.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "tools/common/uri.h"

static const struct {
	const char *name;
	enum probe_scheme scheme;
	enum probe_transport transport; /* without ?transport= */
	uint16_t port;
} schemes[] = {
	{ "stun", PROBE_STUN, PROBE_UDP, PROBE_PORT },
	{ "stuns", PROBE_STUNS, PROBE_TLS, PROBE_TLS_PORT },
	{ "turn", PROBE_TURN, PROBE_UDP, PROBE_PORT },
	{ "turns", PROBE_TURNS, PROBE_TLS, PROBE_TLS_PORT },
};

/* RFC 3986 reg-name, narrowed to what a resolver takes: letters, digits,
 * '-', '.', '_' (percent-encoding and sub-delims are not host names). */
static bool host_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

/* "scheme:" at the start of s: the table index, or -1. *rest after ':'. */
static int scheme_of(const char *s, const char **rest)
{
	const char *colon = strchr(s, ':');
	size_t n;

	if (!colon)
		return -1;
	n = (size_t)(colon - s);
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].name) == n &&
		    strncasecmp(s, schemes[i].name, n) == 0) {
			*rest = colon + 1;
			return (int)i;
		}
	}
	return -1;
}

/* host (bracketed IPv6 literal or name/IPv4) into u; *end after it. */
static int parse_host(struct probe_uri *u, const char *s, const char **end,
		      char *why, size_t whylen)
{
	struct in6_addr a6;
	size_t n;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		n = close ? (size_t)(close - s - 1) : 0;
		if (!close || n == 0 || n >= sizeof(u->host))
			return tools_fail(why, whylen,
					  "unterminated IPv6 literal");
		memcpy(u->host, s + 1, n);
		u->host[n] = '\0';
		if (inet_pton(AF_INET6, u->host, &a6) != 1)
			return tools_fail(why, whylen,
					  "'%s' is not an IPv6 address",
					  u->host);
		u->ipv6_literal = true;
		*end = close + 1;
		return 0;
	}
	for (n = 0; host_char(s[n]); n++)
		;
	if (n == 0)
		return tools_fail(why, whylen, "no host after the scheme");
	if (n >= sizeof(u->host))
		return tools_fail(why, whylen, "host name too long");
	if (s[n] == ':' && strchr(s + n + 1, ':'))
		return tools_fail(why, whylen,
				  "IPv6 addresses go in brackets: [%s]", s);
	memcpy(u->host, s, n);
	u->host[n] = '\0';
	*end = s + n;
	return 0;
}

/* ":port" (1-65535, decimal digits only). */
static int parse_port(struct probe_uri *u, const char *s, const char **end,
		      char *why, size_t whylen)
{
	unsigned long v = 0;
	size_t n;

	for (n = 0; isdigit((unsigned char)s[n]) && n < 6; n++)
		v = v * 10 + (unsigned long)(s[n] - '0');
	if (n == 0 || n == 6 || v == 0 || v > 65535)
		return tools_fail(why, whylen, "bad port '%.*s'",
				  (int)strcspn(s, "?"), s);
	u->port = (uint16_t)v;
	*end = s + n;
	return 0;
}

/* "?transport=udp|tcp" after a turn:/turns: host (RFC 7065 §3.1). */
static int parse_query(struct probe_uri *u, const char *q, char *why,
		       size_t whylen)
{
	static const char key[] = "?transport=";

	if (u->scheme == PROBE_STUN || u->scheme == PROBE_STUNS)
		return tools_fail(
		    why, whylen,
		    "stun: and stuns: URIs take no query (RFC 7064)");
	if (strncasecmp(q, key, sizeof(key) - 1) != 0)
		return tools_fail(why, whylen,
				  "unknown query '%s': only ?transport=", q);
	q += sizeof(key) - 1;
	if (strcasecmp(q, "tcp") == 0) {
		if (u->scheme == PROBE_TURN)
			u->transport = PROBE_TCP;
		return 0;
	}
	if (strcasecmp(q, "udp") == 0) {
		if (u->scheme == PROBE_TURNS)
			return tools_fail(
			    why, whylen,
			    "turns:?transport=udp is TURN over DTLS, "
			    "which turn-probe does not test");
		return 0;
	}
	return tools_fail(why, whylen,
			  "unsupported transport '%s' (udp or tcp)", q);
}

int probe_uri_parse(struct probe_uri *u, const char *text, char *why,
		    size_t whylen)
{
	const char *p;
	int i, err;

	if (!u || !text)
		return tools_fail(why, whylen, "no URI");
	memset(u, 0, sizeof(*u));
	i = scheme_of(text, &p);
	if (i < 0)
		return tools_fail(
		    why, whylen,
		    "'%s': expected stun:, stuns:, turn: or turns:", text);
	if (p[0] == '/' && p[1] == '/')
		return tools_fail(why, whylen,
				  "no '//' after the scheme (RFC 7064): %s%s",
				  schemes[i].name, ":host[:port]");
	u->scheme = schemes[i].scheme;
	u->transport = schemes[i].transport;
	u->port = schemes[i].port;
	err = parse_host(u, p, &p, why, whylen);
	if (!err && *p == ':')
		err = parse_port(u, p + 1, &p, why, whylen);
	if (!err && *p == '?')
		return parse_query(u, p, why, whylen);
	if (!err && *p)
		err = tools_fail(why, whylen, "unexpected '%s' after the host",
				 p);
	return err;
}

const char *probe_uri_print(const struct probe_uri *u, char *buf, size_t size)
{
	const char *scheme = schemes[u->scheme].name;
	const char *tp = "";

	if (u->scheme == PROBE_TURN)
		tp = u->transport == PROBE_TCP ? "?transport=tcp"
					       : "?transport=udp";
	else if (u->scheme == PROBE_TURNS)
		tp = "?transport=tcp";
	snprintf(buf, size, "%s:%s%s%s:%u%s", scheme,
		 u->ipv6_literal ? "[" : "", u->host,
		 u->ipv6_literal ? "]" : "", u->port, tp);
	return buf;
}
