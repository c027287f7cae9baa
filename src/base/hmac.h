/* hmac.h — HMAC from OpenSSL (EVP_MAC), for MESSAGE-INTEGRITY(-SHA256) and
 * the stateless nonces: the per-request cost of a 401 or an authenticated
 * request. OpenSSL's one-shot calls look the algorithm up (under a lock)
 * and allocate a context each time; here each thread keeps one context per
 * digest and only re-keys it. */
#ifndef TERN_BASE_HMAC_H
#define TERN_BASE_HMAC_H

#include <stddef.h>
#include <stdint.h>

enum hmac_alg {
	HMAC_SHA1,
	HMAC_SHA256,
};

/*
 * HMAC over a then b (either may be empty) under key (keylen bytes; NULL
 * only with 0). Writes the first outlen bytes of the MAC to out (outlen at
 * most the digest size: 20 or 32). Thread-safe. Returns 0, EINVAL or
 * ENOMEM.
 */
int hmac2(enum hmac_alg alg, const uint8_t *key, size_t keylen,
	  const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
	  uint8_t *out, size_t outlen);

#endif
