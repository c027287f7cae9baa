/*
 * advert.c — the address the server tells clients it is at. Behind 1:1 NAT
 * (cloud VMs) the server binds a private address and the provider maps a
 * public one onto it; a relayed address or RESPONSE-ORIGIN naming the
 * private one would send the client's peers nowhere. RFC 8656 §7.2 has
 * XOR-RELAYED-ADDRESS carry "the relayed transport address", which is the
 * one peers reach.
 */
#include "turn/priv.h"

void turn_advertised(const struct turn_server_cfg *cfg, struct sa *a)
{
	const struct turn_advert *any = NULL;
	struct sa b = *a;
	size_t i;

	sa_unmap(&b);
	for (i = 0; i < cfg->nadvertise; i++) {
		const struct turn_advert *m = &cfg->advertise[i];

		if (sa_family(&m->pub) != sa_family(&b))
			continue;
		if (!sa_is_set(&m->bound)) {
			any = m;
			continue;
		}
		if (sa_equal_addr(&m->bound, &b)) {
			any = m;
			break;
		}
	}
	if (!any)
		return;
	b = any->pub;
	sa_set_port(&b, sa_port(a));
	*a = b;
}
