/* cidr.c — see cidr.h. */
#include "base/cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Keep the first `bits` bits of addr[0..n), clear the rest. */
static void mask_bits(uint8_t *addr, size_t n, unsigned bits)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		addr[i] &= (uint8_t)(0xFFu << (8 - bits));
		bits = 0;
	}
}

static int parse_len(const char *s, unsigned max, unsigned *bits)
{
	unsigned v = 0;

	if (!*s)
		return EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return EINVAL;
	}
	*bits = v;
	return 0;
}

int cidr_parse(struct cidr *c, const char *text)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash;
	struct cidr t;
	unsigned bits, max;
	size_t hl;

	if (!c || !text)
		return EINVAL;
	memset(&t, 0, sizeof(t));
	slash = strchr(text, '/');
	hl = slash ? (size_t)(slash - text) : strlen(text);
	if (hl == 0 || hl >= sizeof(host))
		return EINVAL;
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, t.addr) == 1) {
		t.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, t.addr) == 1) {
		t.family = AF_INET6;
		max = 128;
	} else {
		return EINVAL;
	}
	bits = max;
	if (slash && parse_len(slash + 1, max, &bits))
		return EINVAL;
	t.bits = (uint8_t)bits;
	mask_bits(t.addr, max / 8, bits);
	*c = t;
	return 0;
}

bool cidr_match_raw(const struct cidr *c, int family, const uint8_t *addr)
{
	size_t whole = c->bits / 8;
	unsigned rest = c->bits % 8;
	uint8_t m;

	if (family != c->family)
		return false;
	if (memcmp(c->addr, addr, whole) != 0)
		return false;
	if (!rest)
		return true;
	m = (uint8_t)(0xFFu << (8 - rest));
	return (addr[whole] & m) == c->addr[whole];
}

bool cidr_match(const struct cidr *c, const struct sa *a)
{
	const uint8_t *b;
	size_t n;

	if (!c || !a || !sa_is_set(a))
		return false;
	b = sa_addr_bytes(a, &n);
	return b && cidr_match_raw(c, sa_family(a), b);
}

int cidr_set_add(struct cidr_set *s, const struct cidr *c)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct cidr *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *c;
	return 0;
}

int cidr_set_add_str(struct cidr_set *s, const char *text)
{
	struct cidr c;
	int err = cidr_parse(&c, text);

	return err ? err : cidr_set_add(s, &c);
}

bool cidr_set_match(const struct cidr_set *s, const struct sa *a)
{
	const uint8_t *b;
	size_t i, n;
	int fam;

	if (!s || !a || !sa_is_set(a))
		return false;
	b = sa_addr_bytes(a, &n);
	fam = sa_family(a);
	for (i = 0; i < s->n; i++)
		if (cidr_match_raw(&s->v[i], fam, b))
			return true;
	return false;
}

void cidr_set_reset(struct cidr_set *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
	s->cap = 0;
}

static const struct cidr non_public[] = {
	{ AF_INET, 8, { 10 } },		  { AF_INET, 12, { 172, 16 } },
	{ AF_INET, 16, { 192, 168 } },	  { AF_INET, 10, { 100, 64 } },
	{ AF_INET, 8, { 127 } },	  { AF_INET, 16, { 169, 254 } },
	{ AF_INET6, 128, { [15] = 1 } },  { AF_INET6, 7, { 0xfc } },
	{ AF_INET6, 10, { 0xfe, 0x80 } },
};

bool cidr_is_non_public(const struct sa *a)
{
	struct sa u = *a;
	const uint8_t *b;
	size_t i, n;

	sa_unmap(&u);
	b = sa_addr_bytes(&u, &n);
	for (i = 0; i < sizeof(non_public) / sizeof(non_public[0]); i++)
		if (cidr_match_raw(&non_public[i], sa_family(&u), b))
			return true;
	return false;
}
