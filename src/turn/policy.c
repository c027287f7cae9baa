/*
 * policy.c — which peers a relay may talk to (RFC 8656 §21.3, "Filtering";
 * RFC 8656 §9 leaves the policy to the server). One check, used by
 * CreatePermission, ChannelBind and Send, on the normalised address.
 *
 * An IPv6 address that carries an IPv4 one (NAT64, 6to4, Teredo, SIIT,
 * IPv4-compatible: sa_embedded_v4) reaches that IPv4 address through a
 * translator on the path, so each IPv4 it carries is judged as well, by the
 * same rules: the peer passes only if the IPv6 address and every IPv4 inside
 * it pass on their own. An allow rule exempts what it covers and nothing
 * else: allowing 64:ff9b::/96 does not open 64:ff9b::127.0.0.1 (127.0.0.1
 * must be allowed too), and allowing 10.1.2.3 opens its embedded forms
 * (their IPv6 prefixes are not denied by default).
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
	/* cloud metadata and host services outside 169.254.0.0/16:
	 * Azure's WireServer, Alibaba Cloud's metadata */
	{ AF_INET, 32, { 168, 63, 129, 16 } },
	{ AF_INET, 32, { 100, 100, 100, 200 } },
	{ AF_INET6, 128, { 0 } },	  /* ::/128 unspecified */
	{ AF_INET6, 128, { [15] = 1 } },  /* ::1/128 loopback */
	{ AF_INET6, 10, { 0xfe, 0x80 } }, /* fe80::/10 link-local */
	{ AF_INET6, 8, { 0xff } },	  /* ff00::/8 multicast */
	/* fd00:ec2::/32: AWS's IPv6 instance metadata (fd00:ec2::254), DNS
	 * (::253) and time (::123), the twins of 169.254.169.254 & co */
	{ AF_INET6, 32, { 0xfd, 0x00, 0x0e, 0xc2 } },
	/* fd20:ce::254: Google Cloud's IPv6 metadata server */
	{ AF_INET6, 128, { 0xfd, 0x20, 0x00, 0xce, [14] = 0x02, [15] = 0x54 } },
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

/* One address on its own: self, else allow, else the deny lists. */
static bool denied(const struct turn_server_cfg *cfg, const struct sa *a,
		   bool with_port)
{
	if (is_self(cfg, a, with_port))
		return true;
	if (cidr_set_match(cfg->peer_allow, a))
		return false;
	return in_default_deny(a) || cidr_set_match(cfg->peer_deny, a);
}

bool turn_policy_allows(const struct turn_server_cfg *cfg,
			const struct sa *peer, bool with_port, struct sa *norm)
{
	struct sa v4[SA_EMBED_MAX];
	size_t i, n;

	*norm = *peer;
	sa_unmap(norm);
	if (!sa_is_set(norm) ||
	    (sa_family(norm) != AF_INET && sa_family(norm) != AF_INET6))
		return false;
	if (denied(cfg, norm, with_port))
		return false;
	n = sa_embedded_v4(norm, v4, SA_EMBED_MAX);
	for (i = 0; i < n; i++)
		if (denied(cfg, &v4[i], with_port))
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

/* The rule that denies a on its own, into buf; false when none does. */
static bool deny_rule(const struct turn_server_cfg *cfg, const struct sa *a,
		      bool with_port, char *buf, size_t size)
{
	const struct cidr *c;
	const uint8_t *b;
	size_t i, n;

	if (is_self(cfg, a, with_port)) {
		snprintf(buf, size, "self");
		return true;
	}
	if (cidr_set_match(cfg->peer_allow, a))
		return false;
	b = sa_addr_bytes(a, &n);
	for (i = 0; i < sizeof(default_deny) / sizeof(default_deny[0]); i++) {
		if (cidr_match_raw(&default_deny[i], sa_family(a), b)) {
			print_cidr(&default_deny[i], buf, size, "default-deny");
			return true;
		}
	}
	c = set_find(cfg->peer_deny, a);
	if (c)
		print_cidr(c, buf, size, "deny-rule");
	return c != NULL;
}

const char *turn_policy_rule(const struct turn_server_cfg *cfg,
			     const struct sa *norm, bool with_port, char *buf,
			     size_t size)
{
	struct sa v4[SA_EMBED_MAX];
	char addr[SA_STRLEN], inner[80];
	size_t i, n;

	snprintf(buf, size, "not-ip");
	if (!sa_is_set(norm) ||
	    (sa_family(norm) != AF_INET && sa_family(norm) != AF_INET6))
		return buf;
	if (deny_rule(cfg, norm, with_port, buf, size))
		return buf;
	n = sa_embedded_v4(norm, v4, SA_EMBED_MAX);
	for (i = 0; i < n; i++) {
		if (!deny_rule(cfg, &v4[i], with_port, inner, sizeof(inner)))
			continue;
		snprintf(buf, size, "embedded %s: %s",
			 sa_print_addr(&v4[i], addr, sizeof(addr)), inner);
		return buf;
	}
	snprintf(buf, size, "none");
	return buf;
}
