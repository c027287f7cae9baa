/*
 * store.h — where long-term keys come from: a small interface with one
 * operation, so the config-file store (auth/mem.c) and the Redis store
 * (async, on libevent) are interchangeable behind it.
 *
 * The query names a realm, the USERNAME as received, and a password
 * algorithm. The store answers with the candidate long-term keys:
 *
 *  - a static user: one key (derived from the stored password, or the
 *    stored hex key when its algorithm matches);
 *  - REST mode (q->rest): one key per shared secret of the realm, derived
 *    with auth_rest_key() from the full USERNAME; several secrets exist
 *    while an operator rotates them, and the request verifies if any key
 *    matches its MESSAGE-INTEGRITY. Expiry of the username is checked by
 *    the caller before it asks (it needs the clock; the store does not).
 */
#ifndef TERN_AUTH_STORE_H
#define TERN_AUTH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"

/* Most candidate keys one answer carries (REST secrets in rotation). */
#define AUTH_MAX_KEYS 8

struct auth_query {
	const char *realm;
	size_t rlen;
	const char *user; /* USERNAME as received, not NUL-terminated */
	size_t ulen;
	uint16_t alg; /* AUTH_ALG_MD5 or AUTH_ALG_SHA256 */
	bool rest;    /* derive from the realm's REST secrets */
};

/*
 * The answer: err 0 with 1..AUTH_MAX_KEYS keys; ENOENT (no such user, or no
 * secret for the realm: the server answers 401); EAGAIN (the store cannot
 * answer now, e.g. Redis unreachable: the server answers 500 "Credential
 * store unavailable" and the client may retry). keys are borrowed for the
 * duration of the call.
 */
typedef void (*auth_done_fn)(void *arg, int err, const struct auth_key *keys,
			     size_t nkeys);

struct auth_store {
	/*
	 * Look up q and call done(arg, ...) exactly once: before lookup
	 * returns (an in-memory store) or later from the same thread's event
	 * loop (Redis). q and its strings are borrowed for the call only: an
	 * asynchronous store copies what it needs. A store being shut down
	 * still answers every pending lookup (EAGAIN) before it is freed, and
	 * never answers one twice.
	 */
	void (*lookup)(void *ctx, const struct auth_query *q, auth_done_fn done,
		       void *arg);
	void *ctx;
	/* A lookup costs a round trip to another server (Redis): the TURN
	 * server rate-limits them per client address before asking. */
	bool remote;
	/* Lookups are in memory and answer before lookup returns: cheap
	 * enough to repeat on every request of an allocation, to find users
	 * and secrets removed since its Allocate. */
	bool local;
};

/*
 * The in-memory store: users and secrets from the configuration file, and
 * the store the unit tests use. Answers synchronously. Not thread-safe for
 * writers: build it, then share it read-only (a reload builds a new one).
 */
struct auth_mem;

int auth_mem_alloc(struct auth_mem **mp);
void auth_mem_free(struct auth_mem *m);

/* A user with a plaintext password (keys for both algorithms are derived
 * at lookup). Strings are copied. Returns 0, EINVAL, EEXIST or ENOMEM. */
int auth_mem_add_user(struct auth_mem *m, const char *realm, const char *user,
		      const char *password);
/* A user with a precomputed key in hex (coturn's "user:0x<hex>" and
 * turnadmin -k form); only requests for that algorithm match it. */
int auth_mem_add_user_key(struct auth_mem *m, const char *realm,
			  const char *user, uint16_t alg, const char *hex);
/* A REST shared secret for a realm; at most AUTH_MAX_KEYS per realm
 * (ENOSPC beyond). */
int auth_mem_add_secret(struct auth_mem *m, const char *realm,
			const uint8_t *secret, size_t len);

/* The interface view of m (borrowed: m outlives every use of it). */
struct auth_store auth_mem_store(struct auth_mem *m);

#endif
