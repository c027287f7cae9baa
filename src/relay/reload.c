/*
 * reload.c — the settings a reload keeps as they are; see reload.h.
 *
 * Why each needs a restart:
 * - workers, listen, ports.*, relay.addresses, relay.port_min/port_max,
 *   limits.udp_batch: sockets and threads made at start (a listener
 *   rebound on another port would be another reuseport group, and the
 *   steering program depends on the order sockets joined it, listen.c);
 * - TLS or DTLS turned on or off: listeners that do not exist;
 * - limits.max_connections, limits.dtls_max_sessions,
 *   limits.max_connections_per_address: caps all workers read without
 *   a lock (limits.allocate_timeout is reloadable: a timeout, read by
 *   each worker's own connections);
 * - limits.log_interval, log.target: the log limiters and the sink are
 *   set up once;
 * - log.file: the file is opened before privileges are dropped; SIGHUP
 *   reopens that same path (log rotation), a new path needs a restart;
 * - TURN on or off, auth.store, the redis connection: the credential
 *   store each worker holds, and Redis connections living on the workers'
 *   loops;
 * - auth.realm: an allocation's Refresh, permissions and channels carry
 *   the realm its key was made with (RFC 8489 §9.2); a new realm would
 *   answer them 401;
 * - admin.address, admin.port: the admin listener (admin.token and
 *   admin.token_file are reloaded: a new token applies to the next
 *   request);
 * - user, group: privileges are dropped once, for good.
 */
#include "relay/reload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct keep {
	struct ternd_config *next;
	const struct ternd_config *run;
	reload_warn_fn warn;
	void *arg;
	int rc;
};

static void said(struct keep *k, const char *name)
{
	if (k->warn && name)
		k->warn(k->arg, name);
}

#define KEEP(k, field, name)                                                   \
	do {                                                                   \
		if ((k)->next->field != (k)->run->field) {                     \
			(k)->next->field = (k)->run->field;                    \
			said(k, name);                                         \
		}                                                              \
	} while (0)

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The running string into *dst (a copy); name NULL: without a word. */
static void keep_str(struct keep *k, char **dst, const char *run,
		     const char *name)
{
	char *c = NULL;

	if (k->rc || str_same(*dst, run))
		return;
	if (run && !(c = strdup(run))) {
		k->rc = ENOMEM;
		return;
	}
	free(*dst);
	*dst = c;
	said(k, name);
}

/* Unset addresses are equal to each other; sa_equal says no. */
static bool sa_same(const struct sa *a, const struct sa *b)
{
	return (!sa_is_set(a) && !sa_is_set(b)) || sa_equal(a, b);
}

static bool listen_same(const struct ternd_config *a,
			const struct ternd_config *b)
{
	if (a->nlisten != b->nlisten)
		return false;
	for (size_t i = 0; i < a->nlisten; i++)
		if (!sa_same(&a->listen[i].addr, &b->listen[i].addr) ||
		    !sa_same(&a->listen[i].alt, &b->listen[i].alt))
			return false;
	return true;
}

static bool relay_same(const struct ternd_config *a,
		       const struct ternd_config *b)
{
	if (a->nrelay_addrs != b->nrelay_addrs)
		return false;
	for (size_t i = 0; i < a->nrelay_addrs; i++)
		if (!sa_same(&a->relay_addrs[i], &b->relay_addrs[i]))
			return false;
	return true;
}

/* A copy of n elements of size sz, or NULL (n = 0 too). */
static void *dup_array(struct keep *k, const void *src, size_t n, size_t sz)
{
	void *p;

	if (!n || k->rc)
		return NULL;
	p = calloc(n, sz);
	if (!p) {
		k->rc = ENOMEM;
		return NULL;
	}
	memcpy(p, src, n * sz);
	return p;
}

static void keep_sockets(struct keep *k)
{
	struct ternd_config *n = k->next;
	const struct ternd_config *r = k->run;

	KEEP(k, workers, "workers");
	if (!listen_same(n, r)) {
		free(n->listen);
		n->listen =
		    dup_array(k, r->listen, r->nlisten, sizeof(*r->listen));
		n->nlisten = k->rc ? 0 : r->nlisten;
		said(k, "listen");
	}
	KEEP(k, udp_port, "ports.udp");
	KEEP(k, tcp_port, "ports.tcp");
	KEEP(k, tls_port, "ports.tls");
	KEEP(k, dtls_port, "ports.dtls");
	KEEP(k, alt_port, "ports.alternate");
	KEEP(k, udp_batch, "limits.udp_batch");
	KEEP(k, max_connections, "limits.max_connections");
	KEEP(k, dtls_max_sessions, "limits.dtls_max_sessions");
	KEEP(k, max_conns_per_addr, "limits.max_connections_per_address");
	/* TLS or DTLS kept on by the above, but the file turned both off
	 * (so it names no certificate): the running files stay */
	if ((n->tls_port || n->dtls_port) && !n->tls_cert) {
		keep_str(k, &n->tls_cert, r->tls_cert, NULL);
		keep_str(k, &n->tls_key, r->tls_key, NULL);
		keep_str(k, &n->tls_ciphers, r->tls_ciphers, NULL);
		n->tls_min_13 = r->tls_min_13;
	}
}

/* relay.discover asks once, at start: its server stays, and so do the
 * addresses it found, unless the new file now names them itself. */
static void keep_discovered(struct keep *k)
{
	struct ternd_config *n = k->next;
	const struct ternd_config *r = k->run;
	struct cfg_advert *v;
	size_t add = 0, i, j;

	keep_str(k, &n->discover, r->discover, "relay.discover");
	n->discover_server = r->discover_server;
	for (i = 0; i < r->nadvertise; i++)
		add += r->advertise[i].discovered;
	if (k->rc || !add)
		return;
	v = realloc(n->advertise, (n->nadvertise + add) * sizeof(*v));
	if (!v) {
		k->rc = ENOMEM;
		return;
	}
	n->advertise = v;
	for (i = 0; i < r->nadvertise; i++) {
		const struct cfg_advert *d = &r->advertise[i];

		for (j = 0; j < n->nadvertise; j++)
			if (sa_is_set(&v[j].bound) &&
			    sa_equal_addr(&v[j].bound, &d->bound))
				break;
		if (d->discovered && j == n->nadvertise)
			v[n->nadvertise++] = *d;
	}
}

static void keep_relay(struct keep *k)
{
	struct ternd_config *n = k->next;
	const struct ternd_config *r = k->run;

	if (!relay_same(n, r)) {
		free(n->relay_addrs);
		n->relay_addrs = dup_array(k, r->relay_addrs, r->nrelay_addrs,
					   sizeof(*r->relay_addrs));
		n->nrelay_addrs = k->rc ? 0 : r->nrelay_addrs;
		said(k, "relay.addresses");
	}
	KEEP(k, relay_port_min, "relay.port_min");
	KEEP(k, relay_port_max, "relay.port_max");
	keep_discovered(k);
}

static void keep_auth(struct keep *k)
{
	struct ternd_config *n = k->next;
	const struct ternd_config *r = k->run;
	bool turn_changed = n->turn != r->turn;

	KEEP(k, turn, "auth.users and auth.secrets (TURN on or off)");
	/* TURN turned off leaves no realm: the running one stays, and the
	 * line above said why */
	keep_str(k, &n->realm, r->realm, turn_changed ? NULL : "auth.realm");
	KEEP(k, store, "auth.store");
	if (r->store != CFG_STORE_REDIS)
		return;
	keep_str(k, &n->redis_host, r->redis_host, "redis.address");
	KEEP(k, redis_port, "redis.port");
	keep_str(k, &n->redis_password, r->redis_password, "redis.password");
	KEEP(k, redis_db, "redis.database");
	KEEP(k, redis_timeout_s, "redis.timeout");
	KEEP(k, redis_cache_ttl_s, "redis.cache_ttl");
}

static void keep_process(struct keep *k)
{
	struct ternd_config *n = k->next;
	const struct ternd_config *r = k->run;

	KEEP(k, log_target, "log.target");
	keep_str(k, &n->log_file, r->log_file, "log.file");
	KEEP(k, log_interval_s, "limits.log_interval");
	keep_str(k, &n->run_user, r->run_user, "user");
	keep_str(k, &n->run_group, r->run_group, "group");
	if (n->admin_port != r->admin_port ||
	    (r->admin_port && !str_same(n->admin_host, r->admin_host))) {
		keep_str(k, &n->admin_host, r->admin_host, NULL);
		n->admin_port = r->admin_port;
		n->admin_addr = r->admin_addr;
		said(k, "admin.address and admin.port");
		/* the new file's token may be missing only because its
		 * address needs none: the kept one may need it */
		if (!n->admin_token && r->admin_token)
			keep_str(k, &n->admin_token, r->admin_token,
				 "admin.token (the listener stays where it "
				 "is)");
	}
}

int reload_keep_fixed(struct ternd_config *next, const struct ternd_config *run,
		      reload_warn_fn warn, void *arg)
{
	struct keep k = { next, run, warn, arg, 0 };

	if (!next || !run)
		return EINVAL;
	keep_sockets(&k);
	keep_relay(&k);
	keep_auth(&k);
	keep_process(&k);
	return k.rc;
}
