/*
 * range.c — coturn's peer address ranges as CIDR prefixes; see
 * admin.h.
 *
 * coturn's allowed-peer-ip and denied-peer-ip take "first-last" ranges;
 * ternd takes prefixes. A range is covered greedily from its start: the
 * largest block that starts there (aligned to its size) and does not pass
 * the end, then the next. That yields the smallest exact cover, at most
 * 2 x (address bits) prefixes per range.
 *
 * Addresses are handled as 16 big-endian bytes (IPv4 in the last four),
 * so one set of byte operations serves both families without 128-bit
 * integers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "tools/admin/admin.h"

struct addr {
	int family;
	unsigned bits; /* 32 or 128 */
	uint8_t b[16]; /* IPv4: b[12..15] */
};

static bool addr_parse(struct addr *a, const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (!len || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->b + 12) == 1) {
		a->family = AF_INET;
		a->bits = 32;
		return true;
	}
	if (inet_pton(AF_INET6, buf, a->b) == 1) {
		a->family = AF_INET6;
		a->bits = 128;
		return true;
	}
	return false;
}

/* Bit i of the address, counted from its least significant end. */
static bool bit_get(const uint8_t b[16], unsigned i)
{
	return b[15 - i / 8] >> (i % 8) & 1;
}

static void bit_set(uint8_t b[16], unsigned i)
{
	b[15 - i / 8] |= (uint8_t)(1u << (i % 8));
}

/* The low k bits of b are all zero. */
static bool low_clear(const uint8_t b[16], unsigned k)
{
	for (unsigned i = 0; i < k; i++)
		if (bit_get(b, i))
			return false;
	return true;
}

/* b + 1 within the family's width; false when it wraps (b was the last
 * address). */
static bool increment(struct addr *a)
{
	for (unsigned i = 0; i < a->bits / 8; i++) {
		if (++a->b[15 - i])
			return true;
	}
	return false;
}

static int emit(struct admin_list *out, const struct addr *a, unsigned len)
{
	char txt[INET6_ADDRSTRLEN + 5];
	const void *p = a->family == AF_INET ? a->b + 12 : a->b;
	size_t n;

	if (!inet_ntop(a->family, p, txt, INET6_ADDRSTRLEN))
		return EINVAL;
	n = strlen(txt);
	snprintf(txt + n, sizeof(txt) - n, "/%u", len);
	return admin_list_add(out, txt, strlen(txt));
}

/* The largest aligned block at cur that ends at or before last: its
 * size is 2^k; *blast gets its last address. */
static unsigned block_at(const struct addr *cur, const struct addr *last,
			 struct addr *blast)
{
	unsigned k;

	for (k = cur->bits; k > 0; k--) {
		if (!low_clear(cur->b, k))
			continue;
		*blast = *cur;
		for (unsigned i = 0; i < k; i++)
			bit_set(blast->b, i);
		if (memcmp(blast->b, last->b, 16) <= 0)
			return k;
	}
	*blast = *cur;
	return 0;
}

static int cover(const struct addr *first, const struct addr *last,
		 struct admin_list *out)
{
	struct addr cur = *first, blast;
	int err;

	for (;;) {
		unsigned k = block_at(&cur, last, &blast);

		err = emit(out, &cur, cur.bits - k);
		if (err)
			return err;
		if (memcmp(blast.b, last->b, 16) == 0)
			return 0;
		cur = blast;
		if (!increment(&cur))
			return 0;
	}
}

static int one_prefix(const char *text, const char *slash,
		      struct admin_list *out, char *why, size_t whylen)
{
	struct addr a;
	unsigned len = 0;
	const char *p = slash + 1;

	if (!addr_parse(&a, text, (size_t)(slash - text)))
		return tools_fail(why, whylen, "'%s' is not ADDRESS/LENGTH",
				  text);
	if (!*p || strlen(p) > 3)
		return tools_fail(why, whylen, "'%s': bad prefix length", text);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return tools_fail(why, whylen,
					  "'%s': bad prefix length", text);
		len = len * 10 + (unsigned)(*p - '0');
	}
	if (len > a.bits)
		return tools_fail(why, whylen, "'%s': a prefix length above %u",
				  text, a.bits);
	/* host bits set beyond the prefix are cleared, as ternd does */
	for (unsigned i = 0; i < a.bits - len; i++)
		a.b[15 - i / 8] &= (uint8_t) ~(1u << (i % 8));
	return emit(out, &a, len);
}

int admin_range_cidrs(const char *text, struct admin_list *out, char *why,
		      size_t whylen)
{
	const char *dash = strchr(text, '-'), *slash = strchr(text, '/');
	struct addr first, last;

	if (slash && !dash)
		return one_prefix(text, slash, out, why, whylen);
	if (!dash) {
		if (!addr_parse(&first, text, strlen(text)))
			return tools_fail(why, whylen,
					  "'%s' is not an IP address", text);
		return emit(out, &first, first.bits);
	}
	if (!addr_parse(&first, text, (size_t)(dash - text)) ||
	    !addr_parse(&last, dash + 1, strlen(dash + 1)))
		return tools_fail(why, whylen,
				  "'%s' is not a range FIRST-LAST of two IP "
				  "addresses",
				  text);
	if (first.family != last.family)
		return tools_fail(why, whylen,
				  "'%s' mixes an IPv4 and an IPv6 address",
				  text);
	if (memcmp(first.b, last.b, 16) > 0)
		return tools_fail(why, whylen, "'%s' ends before it starts",
				  text);
	return cover(&first, &last, out);
}
