/*
 * discover.h — relay.discover: learn the public address of each relay
 * address from a STUN server at start-up (behind 1:1 NAT, the provider's
 * mapping), so that relay.advertise need not be written by hand.
 */
#ifndef TERN_RELAY_DISCOVER_H
#define TERN_RELAY_DISCOVER_H

#include <stddef.h>

#include "base/sa.h"
#include "relay/conf.h"

/*
 * relay.discover is read at load (conf_check.c): "stun:HOST[:PORT]",
 * "HOST[:PORT]" or "[V6][:PORT]", port 3478, a host name resolved then,
 * into cfg->discover_server.
 *
 * For each relay address of cfg without a relay.advertise entry, send a
 * Binding from it (an ephemeral port) to cfg->discover and add the
 * XOR-MAPPED-ADDRESS as its advertised address when it differs. Blocks up
 * to about 1.5 s per address. A failure is logged and that address stays
 * advertised as bound: ternd still serves clients that reach it directly.
 * Each result is logged. Returns 0 or ENOMEM.
 */
int discover_run(struct ternd_config *cfg);

#endif
