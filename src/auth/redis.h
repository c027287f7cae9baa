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
 * and, for the configured realm (on connect and every minute), coturn's
 * realm options as turnadmin -g writes them:
 *
 *   MGET     turn/realm/<realm>/max-bps                decimal strings
 *            turn/realm/<realm>/user-quota
 *            turn/realm/<realm>/total-quota
 *
 * Keys written (redis.status), coturn 4.6's allocation status; see
 * auth_redis_alloc_status().
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
	/* The realm whose options (max-bps, user-quota, total-quota) are
	 * read; NULL: none are. */
	const char *realm;
	unsigned limits_refresh_ms; /* how often they are read again */
	/* Status commands sent and not yet answered; beyond, status is
	 * dropped (a stuck Redis must not grow our memory). */
	unsigned status_max_inflight;
};

/* Counters since the store was made, for metrics. */
struct auth_redis_stats {
	uint64_t lookups;	 /* every call of lookup */
	uint64_t cache_hits;	 /* answered from the cache (keys or ENOENT) */
	uint64_t misses;	 /* sent to Redis */
	uint64_t errors;	 /* answered EAGAIN: down, timeout, bad reply */
	uint64_t reconnects;	 /* connection attempts after the first */
	uint64_t status_sent;	 /* allocation status commands sent */
	uint64_t status_dropped; /* ... dropped: unreachable or stuck */
};

/* Fill cfg with the defaults: 127.0.0.1:6379, db 0, no password, connect
 * timeout 2 s, command timeout 1 s, cache 30 s, negative cache 5 s, 10000
 * entries, backoff 250 ms doubling to 10 s, no realm, realm options read
 * every 60 s, 10000 status commands in flight. */
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

/* What an allocation did, for auth_redis_alloc_status(). */
enum auth_redis_alloc_ev {
	AUTH_REDIS_ALLOC_NEW = 0,
	AUTH_REDIS_ALLOC_REFRESHED,
	AUTH_REDIS_ALLOC_DELETED,
};

/* Packets and bytes one way and the other, as coturn counts them: rcv is
 * what came in on that side, sent what went out. */
struct auth_redis_traffic {
	uint64_t rcvp, rcvb, sentp, sentb;
};

/* One allocation event; every pointer is borrowed for the call only. */
struct auth_redis_alloc {
	enum auth_redis_alloc_ev ev;
	uint64_t session;  /* the key's <id>, printed %018 like coturn's */
	const char *realm; /* terminated; "" gives coturn's realm-less key */
	const char *user;  /* USERNAME, any bytes, not terminated */
	size_t ulen;
	uint32_t lifetime_s; /* NEW, REFRESHED: as granted */
	/* The rest of coturn's status line: type "UDP", "TCP", "TLS/TCP"
	 * or "DTLS"; local and remote "192.0.2.1:3478", "[2001:db8::1]:3478"
	 * (NULL: empty); ssl and cipher the TLS version and cipher name
	 * (NULL: "NONE" on UDP and TCP, "UNKNOWN" on TLS and DTLS). */
	const char *type, *local, *remote, *ssl, *cipher;
	/* DELETED: the client asked for it (Refresh with LIFETIME 0), which
	 * coturn announces as "refreshed lifetime=0" first */
	bool released;
	/* DELETED: what the allocation carried on the client's side and on
	 * the peers' side */
	struct auth_redis_traffic client, peer;
};

/*
 * Allocation status, coturn 4.6's way (redis.status), fire and forget on
 * r's connection, in coturn's order. K is
 * turn/realm/<realm>/user/<user>/allocation/<session>/ :
 *
 *   NEW, REFRESHED  SET K"status" V EX lifetime; PUBLISH K"status" V
 *                   V = "new lifetime=600, type=UDP, local=192.0.2.1:3478,
 *                        remote=198.51.100.7:50000, ssl=NONE, cipher=NONE"
 *   DELETED         [PUBLISH K"status" "refreshed lifetime=0, ..."]
 *                   PUBLISH K"traffic"       "rcvp=1, rcvb=2, sentp=3, sentb=4"
 *                   PUBLISH K"traffic/peer"  (the peer side)
 *                   DEL K"status"; PUBLISH K"status" "deleted"
 *                   PUBLISH K"total_traffic", K"total_traffic/peer"
 *
 * coturn sets the key without expiry (and deletes every status key when
 * it starts); the expiry here clears the keys of a ternd that died.
 * coturn also publishes "traffic" every 4096 packets; here it comes once,
 * at the end, so it equals "total_traffic". Each command counts in
 * status_sent; while Redis is unreachable, or with status_max_inflight
 * commands unanswered, the event is dropped whole and its commands count
 * in status_dropped.
 */
void auth_redis_alloc_status(struct auth_redis *r,
			     const struct auth_redis_alloc *a);

/* The realm's options, as last read from Redis. Values are those of
 * coturn's keys; a missing, empty or non-numeric key is not found. */
struct auth_realm_limits {
	bool has_max_bps, has_user_quota, has_total_quota;
	uint64_t max_bps;     /* bytes per second, each direction */
	uint64_t user_quota;  /* allocations per user */
	uint64_t total_quota; /* allocations in the realm */
};

/* Fill *out with the realm options last read (all zero and not found
 * before the first answer, and without a realm). They are kept while Redis
 * is unreachable. Returns whether any was found. */
bool auth_redis_realm_limits(const struct auth_redis *r,
			     struct auth_realm_limits *out);

/* Copy the counters into *st. */
void auth_redis_stats(const struct auth_redis *r, struct auth_redis_stats *st);

#endif
