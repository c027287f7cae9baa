/*
 * integrity.c — MESSAGE-INTEGRITY (HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 and
 * FINGERPRINT (CRC-32), checked on decoded messages and added by the
 * encoder (RFC 8489 §14.5, §14.6, §14.7).
 */
#include "stun/stun.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <zlib.h>

#include "base/cursor.h"
#include "base/hmac.h"

/* CRC-32 of ISO 3309 / ITU-T V.42 (reflected polynomial 0xEDB88320), the
 * one FINGERPRINT names: zlib's, which works a word at a time (a byte-wise
 * table here cost ternd about 5 % of its CPU during the allocation
 * benchmark: every request and response carries a FINGERPRINT). */
uint32_t stun_crc32(const uint8_t *p, size_t n)
{
	return (uint32_t)crc32_z(0, p, n);
}

/*
 * §14.5, §14.6: the HMAC covers the message up to the attribute before the
 * integrity attribute, with the header length counting the message only up
 * to the end of the integrity attribute (so a FINGERPRINT after it, or a
 * MESSAGE-INTEGRITY-SHA256 after a MESSAGE-INTEGRITY, is left out).
 */
static int check_integrity(const struct stun_msg *msg, int idx,
			   enum hmac_alg alg, const uint8_t *key, size_t keylen)
{
	const struct stun_attr *a;
	uint8_t hdr[STUN_HEADER_SIZE], mac[32];
	int err;

	if (!msg)
		return EINVAL;
	if (idx < 0 || (unsigned)idx >= msg->nattrs)
		return ENOENT;
	a = &msg->attrs[idx];
	/* decode allowed only 20 (SHA-1) or 16..32 (SHA-256) bytes. */
	if (a->len > sizeof(mac) || a->offset < STUN_HEADER_SIZE)
		return EACCES;
	memcpy(hdr, msg->buf, STUN_HEADER_SIZE);
	put_be16(hdr + 2,
		 (uint16_t)(a->offset + 4u + a->len - STUN_HEADER_SIZE));
	err = hmac2(alg, key, keylen, hdr, sizeof(hdr),
		    msg->buf + STUN_HEADER_SIZE, a->offset - STUN_HEADER_SIZE,
		    mac, a->len);
	if (err)
		return err;
	/* Rule 10: secrets compare in constant time. */
	err = CRYPTO_memcmp(mac, a->val, a->len) ? EACCES : 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	return err;
}

int stun_msg_check_mi(const struct stun_msg *msg, const uint8_t *key,
		      size_t keylen)
{
	return check_integrity(msg, msg ? msg->mi : -1, HMAC_SHA1, key, keylen);
}

int stun_msg_check_mi256(const struct stun_msg *msg, const uint8_t *key,
			 size_t keylen)
{
	/* §14.6: a truncated value (16..32 bytes) compares on its length. */
	return check_integrity(msg, msg ? msg->mi256 : -1, HMAC_SHA256, key,
			       keylen);
}

/* Set the header length as if the message ended after an attribute of
 * alen value bytes about to be appended (§14.5-§14.7). Returns 0, or
 * ENOSPC (kept as the sticky error) when that attribute cannot fit. */
static int enc_set_len(struct stun_enc *e, size_t alen)
{
	size_t total = e->len + 4 + alen;

	if (total > STUN_MAX_MSG || total > e->cap) {
		e->err = ENOSPC;
		return ENOSPC;
	}
	put_be16(e->buf + 2, (uint16_t)(total - STUN_HEADER_SIZE));
	return 0;
}

static void enc_integrity(struct stun_enc *e, uint16_t type, enum hmac_alg alg,
			  size_t maclen, const uint8_t *key, size_t keylen)
{
	uint8_t mac[32];
	int err;

	if (!e || e->err || enc_set_len(e, maclen))
		return;
	err = hmac2(alg, key, keylen, e->buf, e->len, NULL, 0, mac, maclen);
	if (err) {
		e->err = err;
		return;
	}
	stun_enc_attr(e, type, mac, maclen);
}

void stun_enc_mi(struct stun_enc *e, const uint8_t *key, size_t keylen)
{
	enc_integrity(e, STUN_ATTR_MESSAGE_INTEGRITY, HMAC_SHA1, STUN_MI_SIZE,
		      key, keylen);
}

void stun_enc_mi256(struct stun_enc *e, const uint8_t *key, size_t keylen)
{
	/* §14.6: we always send the full 32 bytes. */
	enc_integrity(e, STUN_ATTR_MESSAGE_INTEGRITY_SHA256, HMAC_SHA256,
		      STUN_MI256_SIZE, key, keylen);
}

void stun_enc_fingerprint(struct stun_enc *e)
{
	uint32_t crc;

	if (!e || e->err || enc_set_len(e, 4))
		return;
	/* §14.7: the CRC covers the header with the final length. */
	crc = stun_crc32(e->buf, e->len) ^ STUN_FINGERPRINT_XOR;
	stun_enc_u32(e, STUN_ATTR_FINGERPRINT, crc);
}
