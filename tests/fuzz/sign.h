/*
 * sign.h — helpers the STUN and TURN fuzz targets share: find a message's
 * integrity attributes the way the decoder reads them, and sign the message
 * again in place (MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256, FINGERPRINT)
 * with a key the target chooses.
 *
 * A fuzzer cannot forge an HMAC or a CRC, so without this every mutated
 * request stops at "integrity does not match" and nothing behind the check
 * is ever reached. Signing here is written from RFC 8489 §14.5-14.7 with
 * OpenSSL's one-shot HMAC, apart from the codec's own code: when the codec
 * refuses a message signed here, one of the two is wrong, and the targets
 * abort.
 */
#ifndef TERN_FUZZ_SIGN_H
#define TERN_FUZZ_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The credentials tests/fuzz/capture-seeds gives the servers it records,
 * so that the captured requests verify here too. */
#define FZ_REALM       "tern.test"
#define FZ_USER	       "alice"
#define FZ_PASS	       "wonderland"
#define FZ_REST_SECRET "tern-fuzz-rest-secret"

/* Offsets of attribute headers from the start of the message; -1: absent.
 * Only the attributes the decoder keeps count: the first
 * MESSAGE-INTEGRITY, a MESSAGE-INTEGRITY-SHA256 before it or right after
 * it, and a FINGERPRINT that ends the message. */
struct fz_layout {
	long mi, mi256, fp;
	size_t mi256_len;
	long user, realm, nonce, pwalg; /* first of each, anywhere */
	size_t user_len, realm_len, nonce_len, pwalg_len;
};

/* Walk the attributes of msg (len bytes). Returns false when there is no
 * 20-byte header with a first byte of 0-3; the layout holds what was found
 * before the walk stopped (an attribute running past the end). */
bool fz_scan(const uint8_t *msg, size_t len, struct fz_layout *l);

/* Recompute MESSAGE-INTEGRITY (HMAC-SHA1) and MESSAGE-INTEGRITY-SHA256
 * (HMAC-SHA256, cut to the attribute's length) with key, in the order they
 * appear, then FINGERPRINT, each as RFC 8489 says: over the message up to
 * the attribute, with the header length pointing at the attribute's end
 * (the whole message for FINGERPRINT). The length field is restored. */
void fz_sign(uint8_t *msg, size_t len, const struct fz_layout *l,
	     const uint8_t *key, size_t klen);

/* Long-term key (RFC 8489 §9.2.2): MD5 (alg 1, 16 bytes) or SHA-256 (alg
 * 2, 32 bytes) of "user:realm:pass". Returns the key length. */
size_t fz_long_term_key(uint8_t out[32], uint16_t alg, const char *user,
			size_t ulen, const char *realm, size_t rlen,
			const char *pass, size_t plen);

/* The TURN REST API password: base64(HMAC-SHA1(secret, user)), 28
 * characters and a NUL. */
void fz_rest_password(char out[29], const char *secret, const char *user,
		      size_t ulen);

#endif
