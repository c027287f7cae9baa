/*
 * redis.h — the Redis credential store: coturn's key layout, read through
 * hiredis's asynchronous libevent adapter, with a small per-worker cache.
 *
 * Keys read (coturn's schema, so ternd can share a coturn Redis):
 *
 *   GET      turn/realm/<realm>/user/<user>/key       hex long-term key:
 *                                                     32 digits MD5,
 *                                                     64 digits SHA-256
 *   GET      turn/realm/<realm>/user/<user>/password  plaintext (older
 *                                                     coturn; the fallback
 *                                                     when no key matches)
 *   SMEMBERS turn/realm/<realm>/secret                REST shared secrets
 *
 * Realm and USERNAME are passed as separate command arguments (never
 * through a format string), so any bytes are looked up literally.
 *
 * One store per worker thread, on that worker's event_base; nothing here
 * is thread-safe and nothing blocks. hiredis writes with write(2), so the
 * process must ignore SIGPIPE (ternd does) or a Redis that dies mid-write
 * kills it. While Redis is unreachable every
 * lookup that misses the cache answers EAGAIN at once, and the store
 * reconnects on a timer with exponential backoff and jitter. The store
 * logs nothing: the caller reads auth_redis_connected() and the counters
 * and logs at its own rate.
 */
#ifndef TERN_AUTH_REDIS_H
#define TERN_AUTH_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/store.h"

struct event_base;
struct auth_redis;

/* Longest realm or USERNAME looked up; longer ones answer ENOENT without
 * a round trip (RFC 8489 §14.3 caps USERNAME at 513 bytes). */
#define AUTH_REDIS_NAME_MAX 513

struct auth_redis_cfg {
	/* A numeric IPv4 or IPv6 address: hiredis resolves names with a
	 * blocking getaddrinfo() on every reconnect, which a worker must
	 * not do, so the configuration loader resolves names once. */
	const char *host;
	uint16_t port;
	const char *unix_path; /* a Unix socket instead of host:port */
	const char *password;  /* AUTH when not NULL */
	unsigned db;	       /* SELECT when not 0 */
	unsigned connect_timeout_ms;
	unsigned command_timeout_ms; /* whole lookup, all round trips */
	unsigned cache_ttl_s;	     /* 0: no cache */
	unsigned neg_ttl_s;	     /* unknown users; 0: not cached */
	unsigned cache_max;	     /* entries; the oldest is evicted */
	unsigned backoff_min_ms;
	unsigned backoff_max_ms;
};

/* Counters since the store was made, for metrics. */
struct auth_redis_stats {
	uint64_t lookups;	 /* every call of lookup */
	uint64_t cache_hits;	 /* answered from the cache (keys or ENOENT) */
	uint64_t misses;	 /* sent to Redis */
	uint64_t errors;	 /* answered EAGAIN: down, timeout, bad reply */
	uint64_t reconnects;	 /* connection attempts after the first */
	uint64_t status_sent;	 /* allocation status commands sent */
	uint64_t status_dropped; /* ... dropped: Redis unreachable */
};

/* Fill cfg with the defaults: 127.0.0.1:6379, db 0, no password, connect
 * timeout 2 s, command timeout 1 s, cache 30 s, negative cache 5 s, 10000
 * entries, backoff 250 ms doubling to 10 s. */
void auth_redis_cfg_defaults(struct auth_redis_cfg *cfg);

/*
 * Make a store on base and start connecting (non-blocking; the store is
 * made even when Redis is down, and answers EAGAIN until it is up).
 * cfg's strings are copied; base is borrowed and must outlive the store.
 * Returns 0, EINVAL (no address, a host name rather than an address, a
 * zero timeout or backoff) or ENOMEM; *rp is set only on success.
 */
int auth_redis_alloc(struct auth_redis **rp, struct event_base *base,
		     const struct auth_redis_cfg *cfg);

/*
 * Answer every pending lookup with EAGAIN (each exactly once), close the
 * connection and free the store. Accepts NULL. Must not be called from
 * inside a done callback of this store (hiredis is still walking its
 * reply queue there).
 */
void auth_redis_free(struct auth_redis *r);

/* The interface view of r (borrowed: r outlives every use of it). The
 * lookup answers synchronously from the cache or when Redis is down, and
 * otherwise later from r's event loop. */
struct auth_store auth_redis_store(struct auth_redis *r);

/* Is the connection up (connected, AUTH and SELECT done)? */
bool auth_redis_connected(const struct auth_redis *r);

/*
 * Allocation status in coturn's layout (redis.status): SET the key
 * turn/realm/<realm>/user/<user>/allocation/<session>/status to `status`
 * ("new lifetime=600", "refreshed lifetime=600") with that lifetime as its
 * expiry, or DEL it for "deleted"; and PUBLISH the same status on a channel
 * of the same name. Fire and forget on the store's connection: dropped
 * (and counted in status_dropped) while Redis is unreachable.
 */
void auth_redis_alloc_status(struct auth_redis *r, const char *realm,
			     const char *user, size_t ulen, uint64_t session,
			     const char *status, uint32_t lifetime_s);

/* Copy the counters into *st. */
void auth_redis_stats(const struct auth_redis *r, struct auth_redis_stats *st);

#endif
