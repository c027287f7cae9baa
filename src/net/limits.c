/*
 * limits.c — the connection and session caps shared by every worker; see
 * net.h (struct net_limits).
 *
 * One source address must not take every slot of the server (issue 16):
 * a place is taken under the server-wide cap and under the address's, both
 * atomic counters, so workers need no lock. The address's counter is one
 * of NET_ADDR_SLOTS, chosen by a hash keyed with a random seed so that
 * nobody can aim many addresses at one slot to starve another's. An IPv6
 * client is counted by its /64 (one host usually owns a whole /64, and
 * picking new addresses in it is free); an IPv4-mapped IPv6 peer (a
 * dual-stack socket) by its IPv4 address.
 */
#include <errno.h>
#include <string.h>

#include "base/hmap.h"
#include "base/rand.h"
#include "net/net.h"

int net_limits_init(struct net_limits *lim, unsigned max_conns,
		    unsigned max_dtls_sessions, unsigned max_per_addr)
{
	lim->max_conns = max_conns;
	lim->max_dtls_sessions = max_dtls_sessions;
	lim->max_per_addr = max_per_addr;
	return rand_bytes(&lim->addr_seed, sizeof(lim->addr_seed));
}

static uint32_t addr_slot(const struct net_limits *lim, const struct sa *peer)
{
	struct sa a = *peer;
	const uint8_t *p;
	size_t n;

	sa_unmap(&a);
	p = sa_addr_bytes(&a, &n);
	if (!p)
		return 0;
	if (n == 16)
		n = 8; /* the /64 */
	return hmap_hash_bytes(lim->addr_seed, p, n) & (NET_ADDR_SLOTS - 1);
}

/* One place under a counter with cap max (0 = no limit). */
static bool take_one(atomic_uint *cnt, unsigned max)
{
	unsigned n = atomic_fetch_add(cnt, 1);

	if (max && n >= max) {
		atomic_fetch_sub(cnt, 1);
		return false;
	}
	return true;
}

int net_limits_take(struct net_limits *lim, enum net_cap cap,
		    const struct sa *peer, uint32_t *slot)
{
	bool stream = cap == NET_CAP_STREAM;
	atomic_uint *total = stream ? &lim->conns : &lim->dtls_sessions;
	atomic_uint *per = stream ? lim->addr_conns : lim->addr_dtls;
	uint32_t i = addr_slot(lim, peer);

	if (!take_one(total, stream ? lim->max_conns : lim->max_dtls_sessions))
		return EUSERS;
	if (!take_one(&per[i], lim->max_per_addr)) {
		atomic_fetch_sub(total, 1);
		return EDQUOT;
	}
	*slot = i;
	return 0;
}

void net_limits_put(struct net_limits *lim, enum net_cap cap, uint32_t slot)
{
	bool stream = cap == NET_CAP_STREAM;

	atomic_fetch_sub(stream ? &lim->conns : &lim->dtls_sessions, 1);
	atomic_fetch_sub(stream ? &lim->addr_conns[slot & (NET_ADDR_SLOTS - 1)]
				: &lim->addr_dtls[slot & (NET_ADDR_SLOTS - 1)],
			 1);
}
