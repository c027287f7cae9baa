/*
 * uri.h — STUN and TURN URIs (RFC 7064, RFC 7065), shared by turn-probe and
 * tern-admin so both read a URI the same way; see uri.c.
 */
#ifndef TERN_TOOLS_COMMON_URI_H
#define TERN_TOOLS_COMMON_URI_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/why.h"

enum probe_scheme { PROBE_STUN, PROBE_STUNS, PROBE_TURN, PROBE_TURNS };
enum probe_transport { PROBE_UDP, PROBE_TCP, PROBE_TLS };

#define PROBE_PORT     3478 /* RFC 8489 §18.6 */
#define PROBE_TLS_PORT 5349
#define PROBE_HOST_MAX 256

struct probe_uri {
	enum probe_scheme scheme;
	enum probe_transport transport;
	char host[PROBE_HOST_MAX]; /* IPv6 literals without the brackets */
	uint16_t port;
	bool ipv6_literal;
};

/* Write a reason into why (when given) and return EINVAL: the one way the
 * tools' parsers (turn-probe's and tern-admin's) refuse input
 * (base/why.h's why_fail with EINVAL). */
#define tools_fail(why, whylen, ...)                                           \
	why_fail(EINVAL, (why), (whylen), __VA_ARGS__)

/*
 * Parse one URI:
 *   stun:host[:port]        stuns:host[:port]
 *   turn:host[:port][?transport=udp|tcp]
 *   turns:host[:port][?transport=tcp]
 * Schemes are case-insensitive (RFC 3986 §3.1); default ports 3478 and 5349;
 * IPv6 literals in brackets. Returns 0 or EINVAL; on EINVAL a sentence for
 * the operator goes into why (why may be NULL) and *u is undefined.
 */
int probe_uri_parse(struct probe_uri *u, const char *text, char *why,
		    size_t whylen);

/* The URI back as text, with its transport spelled out:
 * "turn:[::1]:3478?transport=tcp". Returns buf. */
const char *probe_uri_print(const struct probe_uri *u, char *buf, size_t size);

static inline bool probe_uri_is_turn(const struct probe_uri *u)
{
	return u->scheme == PROBE_TURN || u->scheme == PROBE_TURNS;
}

static inline bool probe_uri_is_tls(const struct probe_uri *u)
{
	return u->transport == PROBE_TLS;
}

#endif
