/*
 * sa.h — socket addresses: parse, print, compare, unmap IPv4-mapped IPv6.
 *
 * `struct sa` holds an IPv4 or IPv6 address with its port in network form,
 * ready for sendto()/bind(). It is a plain value: copy it freely.
 */
#ifndef TERN_BASE_SA_H
#define TERN_BASE_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct sa {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u; /* no sockaddr_storage: 28 bytes, not 128, since a struct sa
		is copied on every packet (turn_in, turn_local) */
	socklen_t len; /* 0 when unset */
};

/* Longest text sa_print() writes: "[v6%scope]:65535" and the NUL. */
#define SA_STRLEN (INET6_ADDRSTRLEN + 16)

/* Zero *a; sa_is_set() is then false. */
void sa_init(struct sa *a);

/* Set *a from a numeric address ("192.0.2.1", "2001:db8::1") and a port in
 * host order. Returns 0 or EINVAL; *a is untouched on failure. */
int sa_set_str(struct sa *a, const char *addr, uint16_t port);

/* Parse "addr:port", "[v6addr]:port"; a bare address takes def_port.
 * Returns 0 or EINVAL. */
int sa_parse(struct sa *a, const char *text, uint16_t def_port);

/* Set *a from raw address bytes: 4 bytes for AF_INET, 16 for AF_INET6. */
int sa_set_raw(struct sa *a, int family, const uint8_t *addr, uint16_t port);

/* Copy a kernel sockaddr (AF_INET or AF_INET6 only). Returns 0 or EINVAL. */
int sa_set_sockaddr(struct sa *a, const struct sockaddr *s, socklen_t len);

/* The accessors are inline: the relay path calls them several times per
 * packet. */
static inline bool sa_is_set(const struct sa *a)
{
	return a && a->len != 0;
}

static inline int sa_family(const struct sa *a)
{
	return a && a->len ? a->u.sa.sa_family : AF_UNSPEC;
}

static inline uint16_t sa_port(const struct sa *a)
{
	switch (sa_family(a)) {
	case AF_INET:
		return ntohs(a->u.in.sin_port);
	case AF_INET6:
		return ntohs(a->u.in6.sin6_port);
	default:
		return 0;
	}
}

void sa_set_port(struct sa *a, uint16_t port);

/* Pointer to the raw address bytes (4 or 16) and their count. */
static inline const uint8_t *sa_addr_bytes(const struct sa *a, size_t *len)
{
	switch (sa_family(a)) {
	case AF_INET:
		*len = 4;
		return (const uint8_t *)&a->u.in.sin_addr;
	case AF_INET6:
		*len = 16;
		return (const uint8_t *)&a->u.in6.sin6_addr;
	default:
		*len = 0;
		return NULL;
	}
}

/* Same family, address and port. */
bool sa_equal(const struct sa *a, const struct sa *b);
/* Same family and address; ports ignored. */
bool sa_equal_addr(const struct sa *a, const struct sa *b);

/* Rewrite an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as plain IPv4, keeping
 * the port. Anything else is left as it is. */
void sa_unmap(struct sa *a);

/* Most IPv4 addresses sa_embedded_v4() finds in one IPv6 address. */
#define SA_EMBED_MAX 4

/*
 * The IPv4 addresses an IPv6 address a carries, so a policy can judge them
 * as well: IPv4-mapped ::ffff:0:0/96 and IPv4-compatible ::/96 (RFC 4291
 * §2.5.5), SIIT ::ffff:0:0:0/96 (RFC 2765 §2.1), NAT64 64:ff9b::/96
 * (RFC 6052 §2.1) and 64:ff9b:1::/48 (RFC 8215; the prefix length inside it
 * is the operator's, so every RFC 6052 §2.2 position from /48 to /96 is
 * given), 6to4 2002::/16 (RFC 3056 §2: bits 16-47) and Teredo 2001::/32
 * (RFC 4380 §4: the server is bits 32-63, the client the last 32 bits
 * XOR 0xffffffff). Writes up to max addresses (each AF_INET with a's port)
 * to out and returns how many; 0 for IPv4 and for any other IPv6 address.
 * Pure: no lookup, no state.
 */
size_t sa_embedded_v4(const struct sa *a, struct sa *out, size_t max);

/* Write "a.b.c.d:port" or "[v6]:port" into buf (SA_STRLEN is enough).
 * Returns buf, so it can be used inside a log call. */
const char *sa_print(const struct sa *a, char *buf, size_t size);
/* The address only, without port and brackets. */
const char *sa_print_addr(const struct sa *a, char *buf, size_t size);

/* A cheap hash of address and port, for hash tables. */
uint32_t sa_hash(const struct sa *a);

#endif
