/*
 * turncfg.h — the TURN side of ternd's configuration, built once per
 * configuration and shared read-only by every worker: the config-file
 * credential store, the peer policy's "self" list, the nonce secret and the
 * turn_server_cfg template each worker copies.
 *
 *   ternd_config --turncfg_alloc--> turncfg { mem store, self[], secret,
 *                                             quota, server template }
 *   worker i: scfg = template; scfg.store = mem store or its own Redis
 *             store; scfg.quota = the one quota every worker counts in
 */
#ifndef TERN_RELAY_TURNCFG_H
#define TERN_RELAY_TURNCFG_H

#include <stddef.h>

#include "auth/store.h"
#include "relay/config.h"
#include "turn/server.h"

struct turncfg {
	/* The template: store NULL (STUN-only) until a worker sets it.
	 * Points into this struct and into the ternd_config, which must
	 * outlive it. */
	struct turn_server_cfg scfg;
	struct turn_quota *quota;    /* allocation counts of all workers */
	struct auth_mem *mem;	     /* config-file users and secrets */
	struct auth_store mem_store; /* its interface; valid when mem */
	struct sa *self;	     /* listener transport addresses */
	size_t nself;
	uint8_t nonce_secret[CFG_NONCE_SECRET_MAX];
};

/*
 * Build the TURN settings of cfg for `workers` workers. cfg is borrowed and
 * must outlive *tp. Sets *tp and returns 0, or returns an errno with one
 * line in err.
 *
 * max_allocations and user_quota hold for the whole server: every worker's
 * server counts in the one turn_quota made here (turn/quota.h). Free t
 * after the servers.
 */
int turncfg_alloc(struct turncfg **tp, const struct ternd_config *cfg,
		  unsigned workers, char *err, size_t errlen);

/* Free t. Accepts NULL. */
void turncfg_free(struct turncfg *t);

#endif
