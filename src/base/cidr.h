/*
 * cidr.h — address prefixes ("192.0.2.0/24", "fe80::/10", "::1") and sets
 * of them, matched bit by bit.
 *
 * A prefix of length L matches an address of the same family whose first L
 * bits equal the prefix's: whole bytes are compared, then the remaining
 * 1-7 bits under a mask. An IPv4 prefix never matches an IPv6 address and
 * the other way round; callers unmap IPv4-mapped IPv6 (sa_unmap) first.
 */
#ifndef TERN_BASE_CIDR_H
#define TERN_BASE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sa.h"

struct cidr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t bits;	/* 0-32 or 0-128 */
	uint8_t addr[16];
};

/* Parse "addr/len" or a bare "addr" (a host: /32 or /128). Host bits set
 * beyond the prefix are cleared, so "10.1.2.3/8" means 10.0.0.0/8.
 * Returns 0 or EINVAL (bad address, length out of range, trailing junk). */
int cidr_parse(struct cidr *c, const char *text);

/* Does the prefix contain the address (port ignored)? */
bool cidr_match(const struct cidr *c, const struct sa *a);
/* The same on raw address bytes of family `family`. */
bool cidr_match_raw(const struct cidr *c, int family, const uint8_t *addr);

/* Is the address one no host on the Internet reaches directly: RFC 1918
 * private, RFC 6598 shared (carrier-grade NAT), loopback, link-local or
 * RFC 4193 unique local? (What a cloud VM behind 1:1 NAT binds.) */
bool cidr_is_non_public(const struct sa *a);

/* A growable set of prefixes; zero-initialised is an empty set. */
struct cidr_set {
	struct cidr *v;
	size_t n;
	size_t cap;
};

/* Add one prefix (copied). Returns 0 or ENOMEM. */
int cidr_set_add(struct cidr_set *s, const struct cidr *c);
/* Parse and add. Returns 0, EINVAL or ENOMEM. */
int cidr_set_add_str(struct cidr_set *s, const char *text);
/* Does any prefix of the set contain the address? A linear scan: operator
 * lists are short, and the policy check is once per permission, not per
 * packet. */
bool cidr_set_match(const struct cidr_set *s, const struct sa *a);
/* Free the set's storage; it is empty and reusable afterwards. */
void cidr_set_reset(struct cidr_set *s);

#endif
