/*
 * ice_uri.c — the URLs of an RTCIceServer (RFC 7064 stun:/stuns:, RFC 7065
 * turn:/turns:), as the agent's configuration takes them. Pure.
 *
 *   stun:host[:port]   turn:host[:port][?transport=udp|tcp]   turns:host[:port]
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/ice_agent.h"

static int refuse(char *why, size_t size, const char *url, const char *what)
{
	if (why && size)
		snprintf(why, size, "%.200s: %s", url ? url : "(null)", what);
	return EINVAL;
}

int ice_server_parse(struct ice_server *s, const char *url, char *why,
		     size_t why_size)
{
	const char *p, *host, *end, *q;
	size_t hl;

	if (!s || !url)
		return refuse(why, why_size, url, "no URL");
	memset(s, 0, sizeof(*s));
	if (!strncasecmp(url, "stun:", 5)) {
		p = url + 5;
	} else if (!strncasecmp(url, "stuns:", 6)) {
		p = url + 6;
		s->tp = TERN_TLS;
	} else if (!strncasecmp(url, "turn:", 5)) {
		p = url + 5;
		s->turn = true;
	} else if (!strncasecmp(url, "turns:", 6)) {
		p = url + 6;
		s->turn = true;
		s->tp = TERN_TLS;
	} else
		return refuse(why, why_size, url,
			      "not a stun:, stuns:, turn: or turns: URL");
	if (!s->turn && s->tp == TERN_TLS)
		return refuse(why, why_size, url,
			      "stuns: is not supported (a STUN Binding over "
			      "TLS gives no usable UDP mapping)");
	q = strchr(p, '?');
	end = q ? q : p + strlen(p);
	if (*p == '[') {
		host = p + 1;
		p = memchr(host, ']', (size_t)(end - host));
		if (!p)
			return refuse(why, why_size, url, "unclosed [");
		hl = (size_t)(p - host);
		p++;
	} else {
		host = p;
		while (p < end && *p != ':')
			p++;
		hl = (size_t)(p - host);
	}
	if (hl == 0 || hl > ICE_HOST_MAX)
		return refuse(why, why_size, url, "no host, or one too long");
	memcpy(s->host, host, hl);
	s->host[hl] = '\0';
	if (strpbrk(s->host, "/@ "))
		return refuse(why, why_size, url, "bad host");
	s->port = s->tp == TERN_TLS ? 5349 : 3478;
	if (p < end) {
		char *e;
		unsigned long v;
		if (*p != ':' || p + 1 == end)
			return refuse(why, why_size, url, "bad port");
		v = strtoul(p + 1, &e, 10);
		if (e != end || v == 0 || v > 65535 || p[1] == '-' ||
		    p[1] == '+')
			return refuse(why, why_size, url, "bad port");
		s->port = (uint16_t)v;
	}
	if (q) {
		if (!s->turn)
			return refuse(why, why_size, url,
				      "a query is only for turn:");
		if (!strcasecmp(q, "?transport=udp")) {
			if (s->tp == TERN_TLS)
				return refuse(why, why_size, url,
					      "turns: runs over TCP");
		} else if (!strcasecmp(q, "?transport=tcp")) {
			if (s->tp != TERN_TLS)
				s->tp = TERN_TCP;
		} else
			return refuse(why, why_size, url,
				      "the query must be ?transport=udp or "
				      "?transport=tcp");
	}
	return 0;
}
