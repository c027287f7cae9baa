/*
 * ice_prio.c — the arithmetic of RFC 8445: candidate priority (§5.1.2),
 * local preference (RFC 8421 §4), foundation (§5.1.1.3), pair priority
 * (§6.1.2.3) and the role-conflict rule (§7.3.1.1). Pure functions.
 */
#include <stdio.h>

#include "client/ice.h"

unsigned ice_type_pref(enum ice_type type)
{
	/* §5.1.2.2: "The RECOMMENDED values for type preferences are 126 for
	 * host candidates, 110 for peer-reflexive candidates, 100 for
	 * server-reflexive candidates, and 0 for relayed candidates." */
	switch (type) {
	case ICE_HOST:
		return ICE_TYPE_PREF_HOST;
	case ICE_PRFLX:
		return ICE_TYPE_PREF_PRFLX;
	case ICE_SRFLX:
		return ICE_TYPE_PREF_SRFLX;
	case ICE_RELAY:
	default:
		return ICE_TYPE_PREF_RELAY;
	}
}

uint32_t ice_priority(enum ice_type type, uint16_t local_pref,
		      unsigned component)
{
	/* §5.1.2.1: priority = (2^24)*(type preference) +
	 *                      (2^8)*(local preference) +
	 *                      (2^0)*(256 - component ID) */
	if (component < 1)
		component = 1;
	if (component > 256)
		component = 256;
	return ((uint32_t)ice_type_pref(type) << 24) +
	       ((uint32_t)local_pref << 8) + (uint32_t)(256 - component);
}

uint16_t ice_local_pref(int family, unsigned if_rank,
			enum ice_relay_proto proto)
{
	unsigned p = proto > ICE_RELAY_TLS ? ICE_RELAY_TLS : proto;

	if (if_rank > 1023)
		if_rank = 1023;
	/* 65535 - 4096*2 - 4*1023 - 1 = 53250: never below zero. */
	return (uint16_t)(65535u - 4096u * p - 4u * if_rank -
			  (family == AF_INET ? 1u : 0u));
}

/* 64-bit FNV-1a, seeded with the salt. */
static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t fnv_addr(uint64_t h, const struct sa *a)
{
	uint8_t fam = 0;
	size_t n = 0;
	const uint8_t *b = sa_is_set(a) ? sa_addr_bytes(a, &n) : NULL;

	fam = (uint8_t)(n == 4 ? 4 : n == 16 ? 6 : 0);
	h = fnv(h, &fam, 1);
	return b ? fnv(h, b, n) : h;
}

void ice_foundation(char *out, enum ice_type type, const struct sa *base,
		    const struct sa *server, enum ice_transport transport,
		    enum ice_relay_proto proto, uint64_t salt)
{
	uint8_t head[3] = { (uint8_t)type, (uint8_t)transport,
			    (uint8_t)(type == ICE_RELAY ? proto : 0) };
	uint64_t h = 0xcbf29ce484222325ull;
	uint8_t salt_b[8];

	for (int i = 56; i >= 0; i -= 8)
		salt_b[7 - i / 8] = (uint8_t)(salt >> i);
	h = fnv(h, salt_b, sizeof(salt_b));
	h = fnv(h, head, sizeof(head));
	h = fnv_addr(h, base);
	h = fnv_addr(h, server);
	/* 20 decimal digits at most: within the 32 ice-chars of §5.1.1.3 */
	snprintf(out, ICE_FOUNDATION_MAX + 1, "%llu", (unsigned long long)h);
}

uint64_t ice_pair_priority(uint32_t g, uint32_t d)
{
	/* §6.1.2.3: pair priority = 2^32*MIN(G,D) + 2*MAX(G,D) +
	 * (G>D?1:0) */
	uint64_t mn = g < d ? g : d, mx = g < d ? d : g;

	return (mn << 32) + 2 * mx + (g > d ? 1 : 0);
}

enum ice_conflict ice_role_conflict(bool controlling, uint64_t our_tb,
				    bool req_controlling, uint64_t req_tb)
{
	/* §7.3.1.1: "If the agent is in the controlling role, and the
	 * ICE-CONTROLLING attribute is present in the request: If the
	 * agent's tiebreaker value is larger than or equal to the contents
	 * of the ICE-CONTROLLING attribute, the agent generates a Binding
	 * error response and includes an ERROR-CODE attribute with a value
	 * of 487 (Role Conflict) but retains its role. If the agent's
	 * tiebreaker value is less than the contents of the ICE-CONTROLLING
	 * attribute, the agent switches to the controlled role." */
	if (controlling && req_controlling)
		return our_tb >= req_tb ? ICE_CONFLICT_487
					: ICE_CONFLICT_SWITCH;
	/* "If the agent is in the controlled role, and the ICE-CONTROLLED
	 * attribute is present in the request: If the agent's tiebreaker
	 * value is larger than or equal to the contents of the
	 * ICE-CONTROLLED attribute, the agent switches to the controlling
	 * role. If the agent's tiebreaker value is less than the contents
	 * of the ICE-CONTROLLED attribute, the agent generates a Binding
	 * error response and includes an ERROR-CODE attribute with a value
	 * of 487 (Role Conflict) but retains its role." */
	if (!controlling && !req_controlling)
		return our_tb >= req_tb ? ICE_CONFLICT_SWITCH
					: ICE_CONFLICT_487;
	return ICE_CONFLICT_NONE;
}
