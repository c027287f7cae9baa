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
#include "relay/conf.h"
#include "turn/server.h"

struct turncfg {
	/* The template: store NULL (STUN-only) until a worker sets it.
	 * Points into this struct and into the ternd_config, which must
	 * outlive it. */
	struct turn_server_cfg scfg;
	struct turn_quota *quota;    /* allocation counts of all workers */
	bool own_quota;		     /* freed with this turncfg */
	struct auth_mem *mem;	     /* config-file users and secrets */
	struct auth_store mem_store; /* its interface; valid when mem */
	struct sa *self;	     /* listener transport addresses */
	size_t nself;
	struct turn_advert *advert; /* relay.advertise */
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

/*
 * Build the TURN settings of a reloaded cfg that is to replace prev's, as
 * turncfg_alloc does, with two things carried over rather than made anew:
 * - the quota object: every worker's server keeps the one it was created
 *   with (turn/server.h), so the new template names the same one, and only
 *   the limits in the template change. *tp borrows it until
 *   turncfg_take_quota(*tp, prev);
 * - the nonce secret, when cfg names none: nonces handed out before the
 *   reload must stay valid after it.
 * prev is only read. Sets *tp and returns 0, or returns an errno with one
 * line in err.
 */
int turncfg_realloc(struct turncfg **tp, const struct ternd_config *cfg,
		    unsigned workers, const struct turncfg *prev, char *err,
		    size_t errlen);

/* Make `to` the owner of the quota it shares with `from` (the reload is
 * committed: `from` may now be freed before or after `to`, as long as it
 * is after the servers). */
void turncfg_take_quota(struct turncfg *to, struct turncfg *from);

/* Free t (and the quota when t owns it). Accepts NULL. */
void turncfg_free(struct turncfg *t);

#endif
