/*
 * reload.h — what SIGHUP may change in a running ternd, and what needs a
 * restart.
 *
 * A reload reads the file into a new ternd_config. Settings that shape the
 * process's sockets and threads cannot change while it runs; the rest
 * (users, secrets, peer policy, quotas and limits of TURN, drain settings,
 * log level and format, TLS certificates) can:
 *
 *   new = config_load(path)         a broken file: refused, nothing changes
 *   reload_keep_fixed(new, running) restart-only settings: the running
 *                                   values, each one that differed named
 *   worker_pool_reload(pool, new)   the workers switch to new
 *
 * so the operator's other changes apply while ternd says what still needs a
 * restart ("listen changed: restart ternd to apply").
 */
#ifndef TERN_RELAY_RELOAD_H
#define TERN_RELAY_RELOAD_H

#include "relay/conf.h"

/* Told the name of each restart-only setting whose value differed, as in
 * ternd.conf(5) ("listen", "ports.udp", "relay.port_min"). */
typedef void (*reload_warn_fn)(void *arg, const char *setting);

/*
 * Put the running value of every restart-only setting of run into next:
 * workers, listen, ports.*, the TLS files when TLS or DTLS would otherwise
 * be left without them, limits.max_connections, limits.dtls_max_sessions,
 * limits.max_connections_per_address,
 * limits.udp_batch, limits.log_interval, log.target, TURN on or off,
 * auth.realm, auth.store, the redis connection settings (with store =
 * "redis"), relay.addresses, relay.port_min and port_max, admin.address and
 * admin.port, user and group. Only next is written (run is in use by other
 * threads); strings and arrays are copied. warn (may be NULL) is called for
 * each setting that differed. Returns 0, or ENOMEM (next is then
 * incomplete: free it).
 */
int reload_keep_fixed(struct ternd_config *next, const struct ternd_config *run,
		      reload_warn_fn warn, void *arg);

#endif
