/*
 * policy.c — which peers a relay may talk to (RFC 8656 §21.3, "Filtering";
 * RFC 8656 §9 leaves the policy to the server). One check, used by
 * CreatePermission, ChannelBind and Send, on the normalised address.
 */
#include "turn/priv.h"

#include <stdio.h>
#include <string.h>

/*
 * Denied unless an operator allow rule covers the address: nothing here is
 * a reachable peer on the Internet, and each is a way into the server's own
 * host or network (loopback services, cloud metadata at 169.254.169.254,
 * multicast floods). Prefix lengths are matched bit by bit (cidr.c).
 */
static const struct cidr default_deny[] = {
	{ AF_INET, 8, { 0 } },			 /* 0.0.0.0/8 "this network" */
	{ AF_INET, 8, { 127 } },		 /* 127.0.0.0/8 loopback */
	{ AF_INET, 16, { 169, 254 } },		 /* 169.254.0.0/16 link-local */
	{ AF_INET, 4, { 224 } },		 /* 224.0.0.0/4 multicast */
	{ AF_INET, 32, { 255, 255, 255, 255 } }, /* limited broadcast */
	{ AF_INET6, 128, { 0 } },		 /* ::/128 unspecified */
	{ AF_INET6, 128, { [15] = 1 } },	 /* ::1/128 loopback */
	{ AF_INET6, 10, { 0xfe, 0x80 } },	 /* fe80::/10 link-local */
	{ AF_INET6, 8, { 0xff } },		 /* ff00::/8 multicast */
	/* ::ffff:0:0/96 never survives sa_unmap; listed in case a caller
	 * skips it. ::/96 (IPv4-compatible, deprecated) likewise reaches
	 * IPv4 space on some stacks. */
	{ AF_INET6, 96, { [10] = 0xff, [11] = 0xff } },
	{ AF_INET6, 96, { 0 } },
};

static bool in_default_deny(const struct sa *a)
{
	const uint8_t *b;
	size_t i, n;

	b = sa_addr_bytes(a, &n);
	for (i = 0; i < sizeof(default_deny) / sizeof(default_deny[0]); i++)
		if (cidr_match_raw(&default_deny[i], sa_family(a), b))
			return true;
	return false;
}

/* The server's own transport addresses: never a peer, or the relay would
 * feed the server its own traffic (loops, and requests that seem to come
 * from the relay). An entry with port 0 covers the whole address. */
static bool is_self(const struct turn_server_cfg *cfg, const struct sa *a,
		    bool with_port)
{
	size_t i;

	for (i = 0; i < cfg->nself; i++) {
		struct sa me = cfg->self[i];

		sa_unmap(&me);
		if (!sa_equal_addr(&me, a))
			continue;
		if (sa_port(&me) == 0 ||
		    (with_port && sa_port(&me) == sa_port(a)))
			return true;
	}
	return false;
}

bool turn_policy_allows(const struct turn_server_cfg *cfg,
			const struct sa *peer, bool with_port, struct sa *norm)
{
	*norm = *peer;
	sa_unmap(norm);
	if (!sa_is_set(norm) ||
	    (sa_family(norm) != AF_INET && sa_family(norm) != AF_INET6))
		return false;
	if (is_self(cfg, norm, with_port))
		return false;
	if (cidr_set_match(cfg->peer_allow, norm))
		return true;
	if (in_default_deny(norm) || cidr_set_match(cfg->peer_deny, norm))
		return false;
	return true;
}

/* c as "ADDR/LEN" into buf. */
static void print_cidr(const struct cidr *c, char *buf, size_t size,
		       const char *what)
{
	char a[SA_STRLEN];
	struct sa s;

	if (sa_set_raw(&s, c->family, c->addr, 0))
		snprintf(buf, size, "%s", what);
	else
		snprintf(buf, size, "%s %s/%u", what,
			 sa_print_addr(&s, a, sizeof(a)), (unsigned)c->bits);
}

static const struct cidr *set_find(const struct cidr_set *set,
				   const struct sa *a)
{
	if (!set)
		return NULL;
	for (size_t i = 0; i < set->n; i++)
		if (cidr_match(&set->v[i], a))
			return &set->v[i];
	return NULL;
}

const char *turn_policy_rule(const struct turn_server_cfg *cfg,
			     const struct sa *norm, bool with_port, char *buf,
			     size_t size)
{
	const struct cidr *c;
	const uint8_t *b;
	size_t i, n;

	snprintf(buf, size, "not-ip");
	if (!sa_is_set(norm) ||
	    (sa_family(norm) != AF_INET && sa_family(norm) != AF_INET6))
		return buf;
	if (is_self(cfg, norm, with_port)) {
		snprintf(buf, size, "self");
		return buf;
	}
	b = sa_addr_bytes(norm, &n);
	for (i = 0; i < sizeof(default_deny) / sizeof(default_deny[0]); i++) {
		if (cidr_match_raw(&default_deny[i], sa_family(norm), b)) {
			print_cidr(&default_deny[i], buf, size, "default-deny");
			return buf;
		}
	}
	c = set_find(cfg->peer_deny, norm);
	if (c)
		print_cidr(c, buf, size, "deny-rule");
	return buf;
}
