/*
 * auth.h — STUN long-term credentials (RFC 8489 §9.2), TURN REST-API
 * ephemeral credentials, and stateless nonces.
 *
 * Pure: keys, MACs and nonces are computed from what the caller passes,
 * including the time. Every comparison of a secret or a MAC is constant-time
 * (CRYPTO_memcmp).
 */
#ifndef TERN_AUTH_AUTH_H
#define TERN_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sa.h"

/* Password algorithms, numbered as on the wire (RFC 8489 §18.5). */
#define AUTH_ALG_MD5	1
#define AUTH_ALG_SHA256 2

#define AUTH_KEY_MAX 32

/* A long-term key: 16 bytes (MD5) or 32 bytes (SHA-256). */
struct auth_key {
	uint16_t alg;
	uint8_t len;
	uint8_t k[AUTH_KEY_MAX];
};

/*
 * RFC 8489 §9.2.2: key = MD5(username ":" OpaqueString(realm) ":"
 * OpaqueString(password)), or SHA-256 of the same for PASSWORD-ALGORITHM
 * SHA-256. The OpaqueString profile (RFC 8265, SASLprep's successor) is not
 * applied: username, realm and password are taken as the bytes the operator
 * configured, which is what every browser and coturn do for ASCII
 * credentials. Returns 0, EINVAL (unknown alg) or ENOMEM (OpenSSL).
 */
int auth_key_derive(struct auth_key *key, uint16_t alg, const char *user,
		    size_t ulen, const char *realm, size_t rlen,
		    const uint8_t *pass, size_t plen);

/* A key given in hex, as coturn's turnadmin -k prints it and as its Redis
 * schema stores it ("0x" prefix optional): 32 hex digits for MD5, 64 for
 * SHA-256. Returns 0 or EINVAL. */
int auth_key_from_hex(struct auth_key *key, uint16_t alg, const char *hex);

/* Constant-time equality of two keys (same alg, length and bytes). */
bool auth_key_equal(const struct auth_key *a, const struct auth_key *b);

/*
 * TURN REST API (draft-uberti-behave-turn-rest-00 §2.2, coturn's
 * use-auth-secret): username = "<unix-expiry>:<user>" or "<unix-expiry>",
 * password = base64(HMAC-SHA1(secret, username)).
 *
 * auth_rest_parse reads the expiry (1 to 20 decimal digits, no sign, no
 * spaces, fitting in 63 bits) and points *user at what follows the first
 * ':' (empty for the bare form; *user may contain further ':'). Any other
 * shape is EBADMSG. Safe on arbitrary bytes (a fuzz target feeds it).
 */
int auth_rest_parse(const char *name, size_t len, uint64_t *expiry,
		    const char **user, size_t *ulen);

/* Is a REST username expired at unix time now_s? (Expiry in the past is
 * refused; the expiry second itself is still valid.) Malformed names are
 * "expired" too. */
bool auth_rest_expired(const char *name, size_t len, uint64_t now_s);

/* Length of the base64 REST password (HMAC-SHA1: 20 bytes -> 28 chars). */
#define AUTH_REST_PASS_LEN 28

/* The REST password for a username under one secret, NUL-terminated in
 * out (at least AUTH_REST_PASS_LEN + 1 bytes). Returns 0, EINVAL, ENOMEM. */
int auth_rest_password(const uint8_t *secret, size_t slen, const char *name,
		       size_t nlen, char out[AUTH_REST_PASS_LEN + 1]);

/* The long-term key for a REST username under one secret:
 * key(name, realm, auth_rest_password(secret, name)). */
int auth_rest_key(struct auth_key *key, uint16_t alg, const uint8_t *secret,
		  size_t slen, const char *name, size_t nlen, const char *realm,
		  size_t rlen);

/*
 * Stateless nonces (RFC 8489 §9.2; no per-client state before
 * authentication):
 *
 *   "obMatJos2" | 4 base64 chars: 24 security-feature bits (§9.2.1; bit 0,
 *               the leftmost, is "Password algorithms")
 *               | 8 hex digits: expiry, unix seconds
 *               | 24 hex digits: first 96 bits of HMAC-SHA256(secret,
 *                 version | features | expiry | client family | client IP)
 *
 * 45 characters, all printable ASCII. The MAC covers the feature bits, so a
 * man in the middle cannot strip "Password algorithms" to downgrade a client
 * to MD5 (§9.2.1's bid-down protection) without the nonce failing.
 *
 * Bound to the client's IP address, not its port: a client that opens a
 * new TCP or TLS connection after a 401 (or whose NAT moves its port) keeps
 * a usable nonce, while a nonce handed to one address is useless from
 * another. Chromium reuses one UDP socket, so binding the port as well
 * would buy nothing there.
 */
#define AUTH_NONCE_LEN	  45
#define AUTH_NONCE_COOKIE "obMatJos2"
/* Security feature bits (RFC 8489 §18.1), as a 24-bit number. */
#define AUTH_FEAT_PASSWORD_ALGORITHMS 0x800000u
#define AUTH_FEAT_USERNAME_ANONYMITY  0x400000u
/* Smallest nonce secret accepted. */
#define AUTH_NONCE_SECRET_MIN 16

/* Write a nonce valid until expiry_s (unix seconds) for client `from`, into
 * out (AUTH_NONCE_LEN + 1 bytes, NUL-terminated). Returns 0, EINVAL or
 * ENOMEM. */
int auth_nonce_make(const uint8_t *secret, size_t slen, uint32_t features,
		    uint64_t expiry_s, const struct sa *from,
		    char out[AUTH_NONCE_LEN + 1]);

/*
 * Check a nonce received from `from` at unix time now_s.
 * Returns 0 when authentic and not expired (or expired at most grace_s ago:
 * the caller passes a grace for Allocate, see turn/server.h), ESTALE when
 * authentic but expired (answer 438 with a fresh nonce), EBADMSG when it is
 * not one of ours or not for this address (answer 401). *features gets the
 * feature bits of an authentic nonce (may be NULL).
 */
int auth_nonce_check(const uint8_t *secret, size_t slen, const char *nonce,
		     size_t len, const struct sa *from, uint64_t now_s,
		     uint64_t grace_s, uint32_t *features);

#endif
