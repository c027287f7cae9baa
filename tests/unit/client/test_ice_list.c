/*
 * The arithmetic and the check list of the ICE pure layer
 * (src/client/ice_prio.c, ice_list.c): every figure below was worked out
 * by hand from the formulas of RFC 8445 quoted beside it.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "client/ice.h"

Test(ice_prio, candidate_priority)
{
	/* 2^24*126 + 2^8*65535 + (256-1) = 2113929216 + 16776960 + 255 */
	cr_assert_eq(ice_priority(ICE_HOST, 65535, 1), 2130706431u);
	/* 2^24*100 = 1677721600; + 16776960 + 255 */
	cr_assert_eq(ice_priority(ICE_SRFLX, 65535, 1), 1694498815u);
	/* 2^24*110 = 1845493760; + 2^8*65534 = 16776704; + 254 */
	cr_assert_eq(ice_priority(ICE_PRFLX, 65534, 2), 1862270718u);
	/* 0 + 2^8*65535 + 255 */
	cr_assert_eq(ice_priority(ICE_RELAY, 65535, 1), 16777215u);
	/* 0 + 0 + (256-256) */
	cr_assert_eq(ice_priority(ICE_RELAY, 0, 256), 0u);
	/* Chromium's host 2122260223: type 126, local pref 32542, comp 1 */
	cr_assert_eq(ice_priority(ICE_HOST, 32542, 1), 2122260223u);
	cr_assert_eq(ice_type_pref(ICE_HOST), 126);
	cr_assert_eq(ice_type_pref(ICE_PRFLX), 110);
	cr_assert_eq(ice_type_pref(ICE_SRFLX), 100);
	cr_assert_eq(ice_type_pref(ICE_RELAY), 0);
}

Test(ice_prio, local_pref)
{
	cr_assert_eq(ice_local_pref(AF_INET6, 0, ICE_RELAY_UDP), 65535);
	cr_assert_eq(ice_local_pref(AF_INET, 0, ICE_RELAY_UDP), 65534);
	cr_assert_eq(ice_local_pref(AF_INET6, 1, ICE_RELAY_UDP), 65531);
	cr_assert_eq(ice_local_pref(AF_INET, 1, ICE_RELAY_UDP), 65530);
	/* 65535 - 4096 - 1 */
	cr_assert_eq(ice_local_pref(AF_INET, 0, ICE_RELAY_TCP), 61438);
	/* 65535 - 8192 - 4*2 - 1 */
	cr_assert_eq(ice_local_pref(AF_INET, 2, ICE_RELAY_TLS), 57334);
	/* the floor: 65535 - 8192 - 4092 - 1 */
	cr_assert_eq(ice_local_pref(AF_INET, 5000, ICE_RELAY_TLS), 53250);
	/* UDP > TCP > TLS whatever the interface rank */
	cr_assert_gt(ice_local_pref(AF_INET, 1023, ICE_RELAY_UDP),
		     ice_local_pref(AF_INET6, 0, ICE_RELAY_TCP));
	cr_assert_gt(ice_local_pref(AF_INET, 1023, ICE_RELAY_TCP),
		     ice_local_pref(AF_INET6, 0, ICE_RELAY_TLS));
}

static struct sa addr(const char *ip, uint16_t port)
{
	struct sa a;

	cr_assert_eq(sa_set_str(&a, ip, port), 0);
	return a;
}

Test(ice_prio, foundation)
{
	char f1[ICE_FOUNDATION_MAX + 1], f2[ICE_FOUNDATION_MAX + 1];
	struct sa h = addr("192.0.2.1", 5000), h2 = addr("192.0.2.1", 6000);
	struct sa h6 = addr("2001:db8::1", 5000),
		  s = addr("198.51.100.1", 3478);
	struct sa s2 = addr("198.51.100.2", 3478), none;

	sa_init(&none);
	ice_foundation(f1, ICE_HOST, &h, &none, ICE_UDP, ICE_RELAY_UDP, 7);
	/* the port of the base does not count (§5.1.1.3: "base IP address") */
	ice_foundation(f2, ICE_HOST, &h2, &none, ICE_UDP, ICE_RELAY_UDP, 7);
	cr_assert_str_eq(f1, f2);
	cr_assert_leq(strlen(f1), ICE_FOUNDATION_MAX);
	for (const char *p = f1; *p; p++)
		cr_assert(*p >= '0' && *p <= '9');
	/* each input changes it */
	const struct {
		enum ice_type type;
		const struct sa *base, *server;
		enum ice_transport tr;
		enum ice_relay_proto proto;
		uint64_t salt;
	} other[] = {
		{ ICE_HOST, &h, &none, ICE_TCP, ICE_RELAY_UDP, 7 },
		{ ICE_HOST, &h6, &none, ICE_UDP, ICE_RELAY_UDP, 7 },
		{ ICE_SRFLX, &h, &s, ICE_UDP, ICE_RELAY_UDP, 7 },
		{ ICE_SRFLX, &h, &s2, ICE_UDP, ICE_RELAY_UDP, 7 },
		{ ICE_RELAY, &h, &s, ICE_UDP, ICE_RELAY_UDP, 7 },
		{ ICE_RELAY, &h, &s, ICE_UDP, ICE_RELAY_TLS, 7 },
		{ ICE_RELAY, &h, &s, ICE_UDP, ICE_RELAY_UDP, 8 },
	};
	char seen[8][ICE_FOUNDATION_MAX + 1];
	strcpy(seen[0], f1);
	for (size_t i = 0; i < 7; i++) {
		ice_foundation(seen[i + 1], other[i].type, other[i].base,
			       other[i].server, other[i].tr, other[i].proto,
			       other[i].salt);
		for (size_t j = 0; j <= i; j++)
			cr_assert_str_neq(seen[i + 1], seen[j], "%zu %zu", i,
					  j);
	}
	ice_foundation(f1, ICE_RELAY, &h, &s, ICE_UDP, ICE_RELAY_UDP, 7);
	/* the same inputs, the same foundation */
	ice_foundation(f2, ICE_RELAY, &h, &s, ICE_UDP, ICE_RELAY_UDP, 7);
	cr_assert_str_eq(f1, f2);
}

Test(ice_prio, pair_priority)
{
	/* G = 2130706431, D = 1694498815:
	 * 2^32 * 1694498815 + 2 * 2130706431 + 1 */
	cr_assert_eq(ice_pair_priority(2130706431u, 1694498815u),
		     7277816997797167103ull);
	/* the same pair seen by the other agent: G < D, no + 1 */
	cr_assert_eq(ice_pair_priority(1694498815u, 2130706431u),
		     7277816997797167102ull);
	/* 2^32 * 5 + 2 * 7 + 1 = 21474836480 + 15 */
	cr_assert_eq(ice_pair_priority(7, 5), 21474836495ull);
	cr_assert_eq(ice_pair_priority(7, 7), 30064771086ull);
	cr_assert_eq(ice_pair_priority(UINT32_MAX, UINT32_MAX),
		     ((uint64_t)UINT32_MAX << 32) + 2ull * UINT32_MAX);
}

Test(ice_prio, role_conflict)
{
	/* controlling, request ICE-CONTROLLING: ours >= theirs -> 487 */
	cr_assert_eq(ice_role_conflict(true, 9, true, 5), ICE_CONFLICT_487);
	cr_assert_eq(ice_role_conflict(true, 5, true, 5), ICE_CONFLICT_487);
	cr_assert_eq(ice_role_conflict(true, 4, true, 5), ICE_CONFLICT_SWITCH);
	/* controlled, request ICE-CONTROLLED: ours >= theirs -> switch */
	cr_assert_eq(ice_role_conflict(false, 9, false, 5),
		     ICE_CONFLICT_SWITCH);
	cr_assert_eq(ice_role_conflict(false, 5, false, 5),
		     ICE_CONFLICT_SWITCH);
	cr_assert_eq(ice_role_conflict(false, 4, false, 5), ICE_CONFLICT_487);
	/* no conflict */
	cr_assert_eq(ice_role_conflict(true, 1, false, UINT64_MAX),
		     ICE_CONFLICT_NONE);
	cr_assert_eq(ice_role_conflict(false, UINT64_MAX, true, 0),
		     ICE_CONFLICT_NONE);
	/* both agents of one conflict reach opposite answers */
	cr_assert_eq(ice_role_conflict(true, 0xfeedull << 40, true, 3),
		     ICE_CONFLICT_487);
	cr_assert_eq(ice_role_conflict(true, 3, true, 0xfeedull << 40),
		     ICE_CONFLICT_SWITCH);
}

/* ---- the check list ---- */

static struct ice_cand cand(const char *fnd, enum ice_type type, const char *ip,
			    uint16_t port, uint32_t prio)
{
	struct ice_cand c;

	ice_cand_init(&c);
	strcpy(c.foundation, fnd);
	c.type = type;
	c.addr = addr(ip, port);
	c.port = port;
	c.priority = prio;
	return c;
}

static void add_local(struct ice_checklist *cl, struct ice_cand c,
		      const char *base, uint16_t port)
{
	struct sa b = addr(base, port);

	cr_assert_eq(ice_checklist_add_local(cl, &c, &b), 0);
}

static void add_remote(struct ice_checklist *cl, struct ice_cand c)
{
	cr_assert_eq(ice_checklist_add_remote(cl, &c), 0);
}

static void assert_sorted(const struct ice_checklist *cl)
{
	for (size_t i = 1; i < cl->n_pairs; i++)
		cr_assert_geq(cl->pairs[i - 1].priority, cl->pairs[i].priority);
}

Test(ice_list, forms_sorted_pairs_by_family_and_component)
{
	static struct ice_checklist cl;
	struct ice_cand c;

	cr_assert_eq(ice_checklist_init(&cl, true, 0), 0);
	cr_assert_eq(cl.max_pairs, 100);
	add_local(&cl, cand("L1", ICE_HOST, "192.0.2.1", 5000, 2130706431u),
		  "192.0.2.1", 5000);
	add_local(&cl, cand("L2", ICE_HOST, "2001:db8::1", 5002, 2130706175u),
		  "2001:db8::1", 5002);
	add_remote(&cl, cand("R1", ICE_HOST, "198.51.100.1", 6000, 100));
	add_remote(&cl, cand("R2", ICE_SRFLX, "203.0.113.1", 6001, 300));
	add_remote(&cl, cand("R3", ICE_HOST, "2001:db8::9", 6002, 200));
	c = cand("R4", ICE_HOST, "198.51.100.4", 6003, 900);
	c.component = 2; /* no local candidate of component 2 */
	add_remote(&cl, c);
	c = cand("R5", ICE_HOST, "198.51.100.5", 6004, 900);
	c.transport = ICE_TCP; /* no local TCP candidate */
	c.tcptype = ICE_TCP_PASSIVE;
	add_remote(&cl, c);
	cr_assert_eq(cl.n_pairs, 3);
	/* MIN dominates: R2 (300) > R3 (200) > R1 (100) */
	cr_assert_eq(cl.pairs[0].remote, 1);
	cr_assert_eq(cl.pairs[0].local, 0);
	cr_assert_eq(cl.pairs[0].priority, ice_pair_priority(2130706431u, 300));
	cr_assert_eq(cl.pairs[1].remote, 2);
	cr_assert_eq(cl.pairs[1].local, 1);
	cr_assert_eq(cl.pairs[2].remote, 0);
	for (size_t i = 0; i < cl.n_pairs; i++)
		cr_assert_eq(cl.pairs[i].state, ICE_PAIR_FROZEN);
	/* the other role: G is the remote priority now */
	ice_checklist_set_role(&cl, false);
	cr_assert_eq(cl.pairs[0].priority, ice_pair_priority(300, 2130706431u));
	assert_sorted(&cl);
}

Test(ice_list, tcp_types)
{
	static struct ice_checklist cl;
	struct ice_cand l = cand("L", ICE_HOST, "192.0.2.1", 9, 10);
	struct ice_cand r;

	ice_checklist_init(&cl, true, 0);
	l.transport = ICE_TCP;
	l.tcptype = ICE_TCP_ACTIVE;
	add_local(&cl, l, "192.0.2.1", 9);
	r = cand("R", ICE_HOST, "198.51.100.1", 9, 5);
	r.transport = ICE_TCP;
	r.tcptype = ICE_TCP_ACTIVE; /* active with active: no pair */
	add_remote(&cl, r);
	cr_assert_eq(cl.n_pairs, 0);
	r.tcptype = ICE_TCP_PASSIVE;
	r.port = 7000;
	sa_set_port(&r.addr, 7000);
	add_remote(&cl, r);
	cr_assert_eq(cl.n_pairs, 1);
	cr_assert_eq(cl.pairs[0].remote, 1);
}

Test(ice_list, srflx_pruned_to_its_base)
{
	static struct ice_checklist cl;

	ice_checklist_init(&cl, true, 0);
	/* the srflx arrives first: it pairs on its own ... */
	add_remote(&cl, cand("R", ICE_HOST, "198.51.100.1", 6000, 100));
	add_local(&cl, cand("S", ICE_SRFLX, "203.0.113.7", 40000, 1694498815u),
		  "192.0.2.1", 5000);
	cr_assert_eq(cl.n_pairs, 1);
	cr_assert_eq(cl.pairs[0].local, 0);
	/* ... until its base, the host, replaces it (§6.1.2.4) */
	add_local(&cl, cand("H", ICE_HOST, "192.0.2.1", 5000, 2130706431u),
		  "192.0.2.1", 5000);
	cr_assert_eq(cl.n_pairs, 1);
	cr_assert_eq(cl.pairs[0].local, 1);
	/* a second remote pairs with the host only, once */
	add_remote(&cl, cand("R2", ICE_HOST, "198.51.100.2", 6000, 50));
	cr_assert_eq(cl.n_pairs, 2);
	cr_assert_eq(cl.pairs[1].local, 1);
	cr_assert_eq(cl.pairs[1].remote, 1);
	/* a srflx whose base is another address is kept */
	add_local(&cl, cand("S2", ICE_SRFLX, "203.0.113.8", 40000, 1694498000u),
		  "192.0.2.99", 5000);
	cr_assert_eq(cl.n_pairs, 4);
	/* a relay candidate is its own base and stays */
	add_local(&cl, cand("X", ICE_RELAY, "198.51.100.20", 50000, 16777215u),
		  "198.51.100.20", 50000);
	cr_assert_eq(cl.n_pairs, 6);
	assert_sorted(&cl);
}

Test(ice_list, cap_and_enospc)
{
	static struct ice_checklist cl;
	char ip[32];

	cr_assert_eq(ice_checklist_init(&cl, true, ICE_PAIRS_MAX + 1), EINVAL);
	cr_assert_eq(ice_checklist_init(&cl, true, 5), 0);
	add_local(&cl, cand("L", ICE_HOST, "192.0.2.1", 5000, 1000),
		  "192.0.2.1", 5000);
	for (unsigned i = 0; i < 8; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%u", i + 1);
		add_remote(&cl, cand("R", ICE_HOST, ip, 6000, 10 + i));
	}
	/* 8 pairs formed, the 3 lowest (remote priority 10, 11, 12) cut */
	cr_assert_eq(cl.n_pairs, 5);
	cr_assert_eq(cl.n_dropped, 3);
	cr_assert_eq(cl.n_remote, 8);
	for (size_t i = 0; i < cl.n_pairs; i++)
		cr_assert_eq(cl.pairs[i].remote, 7 - i);
	/* a pair in progress is not cut, even when it is the lowest */
	cl.pairs[4].state = ICE_PAIR_IN_PROGRESS;
	add_remote(&cl, cand("R", ICE_HOST, "198.51.100.50", 6000, 100));
	cr_assert_eq(cl.n_pairs, 5);
	cr_assert_eq(cl.pairs[4].state, ICE_PAIR_IN_PROGRESS);
	cr_assert_eq(cl.pairs[4].remote, 3);
	cr_assert_eq(cl.pairs[0].remote, 8);

	/* the remote cap: ENOSPC and nothing changes */
	ice_checklist_init(&cl, true, 0);
	for (unsigned i = 0; i < ICE_REMOTE_MAX; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%u", i + 1);
		add_remote(&cl, cand("R", ICE_HOST, ip, 6000, 10));
	}
	struct ice_cand c = cand("R", ICE_HOST, "203.0.113.1", 1, 1);
	cr_assert_eq(ice_checklist_add_remote(&cl, &c), ENOSPC);
	cr_assert_eq(cl.n_remote, ICE_REMOTE_MAX);
	for (unsigned i = 0; i < ICE_LOCAL_MAX; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%u", i + 1);
		add_local(&cl, cand("L", ICE_HOST, ip, 5000, 10), ip, 5000);
	}
	struct sa b = addr("192.0.2.200", 1);
	c = cand("L", ICE_HOST, "192.0.2.200", 1, 1);
	cr_assert_eq(ice_checklist_add_local(&cl, &c, &b), ENOSPC);
	cr_assert_eq(cl.n_local, ICE_LOCAL_MAX);
	cr_assert_eq(cl.n_pairs, 100);
}

Test(ice_list, mdns_and_bad_arguments)
{
	static struct ice_checklist cl;
	struct ice_cand c;
	struct sa b = addr("192.0.2.1", 5000);

	ice_checklist_init(&cl, true, 0);
	add_local(&cl, cand("L", ICE_HOST, "192.0.2.1", 5000, 1000),
		  "192.0.2.1", 5000);
	ice_cand_init(&c);
	strcpy(c.foundation, "M");
	c.mdns = true;
	strcpy(c.name, "2a1c2b3e-4f5a-4b6c-8d9e-0f1a2b3c4d5e.local");
	c.port = 54608;
	add_remote(&cl, c);
	cr_assert_eq(cl.n_remote, 1);
	cr_assert_eq(cl.n_pairs, 0);
	cr_assert_eq(ice_checklist_add_local(&cl, &c, &b), EINVAL);
	ice_cand_init(&c);
	cr_assert_eq(ice_checklist_add_remote(&cl, &c), EINVAL);
	cr_assert_eq(ice_checklist_add_remote(NULL, &c), EINVAL);
}

Test(ice_list, initial_unfreeze)
{
	static struct ice_checklist cl;
	struct ice_cand c;

	ice_checklist_init(&cl, true, 0);
	/* two components of one host candidate, and a second foundation */
	add_local(&cl, cand("A", ICE_HOST, "192.0.2.1", 5000, 2130706431u),
		  "192.0.2.1", 5000);
	c = cand("A", ICE_HOST, "192.0.2.1", 5001, 2130706430u);
	c.component = 2;
	add_local(&cl, c, "192.0.2.1", 5001);
	add_local(&cl, cand("B", ICE_HOST, "192.0.2.2", 5000, 2130706175u),
		  "192.0.2.2", 5000);
	add_remote(&cl, cand("X", ICE_HOST, "198.51.100.1", 6000, 900));
	c = cand("X", ICE_HOST, "198.51.100.1", 6001, 899);
	c.component = 2;
	add_remote(&cl, c);
	add_remote(&cl, cand("X", ICE_HOST, "198.51.100.2", 6000, 800));
	/* A/X: comp 1 with R0 and R2, comp 2; B/X: R0 and R2 */
	cr_assert_eq(cl.n_pairs, 5);
	cr_assert_eq(ice_checklist_unfreeze(&cl), 2);
	size_t waiting = 0;
	for (size_t i = 0; i < cl.n_pairs; i++) {
		const struct ice_pair *p = &cl.pairs[i];
		if (p->state != ICE_PAIR_WAITING)
			continue;
		waiting++;
		cr_assert_eq(cl.remote[p->remote].component, 1);
		cr_assert_eq(p->remote, 0); /* the higher priority of the two */
	}
	cr_assert_eq(waiting, 2);
	/* once a foundation has a pair past frozen, it is left alone */
	cr_assert_eq(ice_checklist_unfreeze(&cl), 0);
}
