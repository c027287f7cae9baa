/* nonce.c — stateless nonces (RFC 8489 §9.2); layout in auth.h. */
#include "auth/auth.h"

#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/hmac.h"

#define COOKIE_LEN 9
#define FEAT_LEN   4
#define EXPIRY_LEN 8
#define MAC_BYTES  12
#define NONCE_VER  1

static const char hexd[] = "0123456789abcdef";

static void put_hex(char *out, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexd[b[i] >> 4];
		out[2 * i + 1] = hexd[b[i] & 15];
	}
}

static int get_hex(const char *in, uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < 2 * n; i++) {
		const char *p = memchr(hexd, in[i], 16);

		/* Lower case only: one spelling per nonce. */
		if (!p || !in[i])
			return EBADMSG;
		if (i % 2 == 0)
			b[i / 2] = (uint8_t)((p - hexd) << 4);
		else
			b[i / 2] |= (uint8_t)(p - hexd);
	}
	return 0;
}

/* MAC over version, features, expiry and the client's address. */
static int nonce_mac(const uint8_t *secret, size_t slen, uint32_t features,
		     uint32_t expiry, const struct sa *from,
		     uint8_t mac[MAC_BYTES])
{
	uint8_t in[1 + 3 + 4 + 1 + 16];
	const uint8_t *ab;
	size_t alen = 0;

	ab = sa_addr_bytes(from, &alen);
	if (!ab || alen > 16 || slen > INT32_MAX)
		return EINVAL;
	in[0] = NONCE_VER;
	in[1] = (uint8_t)(features >> 16);
	in[2] = (uint8_t)(features >> 8);
	in[3] = (uint8_t)features;
	in[4] = (uint8_t)(expiry >> 24);
	in[5] = (uint8_t)(expiry >> 16);
	in[6] = (uint8_t)(expiry >> 8);
	in[7] = (uint8_t)expiry;
	in[8] = (uint8_t)alen;
	memcpy(in + 9, ab, alen);
	return hmac2(HMAC_SHA256, secret, slen, in, 9 + alen, NULL, 0, mac,
		     MAC_BYTES);
}

int auth_nonce_make(const uint8_t *secret, size_t slen, uint32_t features,
		    uint64_t expiry_s, const struct sa *from,
		    char out[AUTH_NONCE_LEN + 1])
{
	uint8_t feat[3], exp[4], mac[MAC_BYTES];
	uint32_t e32 = expiry_s > UINT32_MAX ? UINT32_MAX : (uint32_t)expiry_s;
	char b64[FEAT_LEN + 1];
	int err;

	if (!secret || slen < AUTH_NONCE_SECRET_MIN || !from || !out)
		return EINVAL;
	err = nonce_mac(secret, slen, features & 0xFFFFFFu, e32, from, mac);
	if (err)
		return err;
	feat[0] = (uint8_t)(features >> 16);
	feat[1] = (uint8_t)(features >> 8);
	feat[2] = (uint8_t)features;
	EVP_EncodeBlock((unsigned char *)b64, feat, 3);
	exp[0] = (uint8_t)(e32 >> 24);
	exp[1] = (uint8_t)(e32 >> 16);
	exp[2] = (uint8_t)(e32 >> 8);
	exp[3] = (uint8_t)e32;
	memcpy(out, AUTH_NONCE_COOKIE, COOKIE_LEN);
	memcpy(out + COOKIE_LEN, b64, FEAT_LEN);
	put_hex(out + COOKIE_LEN + FEAT_LEN, exp, 4);
	put_hex(out + COOKIE_LEN + FEAT_LEN + EXPIRY_LEN, mac, MAC_BYTES);
	out[AUTH_NONCE_LEN] = '\0';
	return 0;
}

/* Split a nonce into features, expiry and MAC. */
static int nonce_parse(const char *nonce, size_t len, uint32_t *features,
		       uint32_t *expiry, uint8_t mac[MAC_BYTES])
{
	unsigned char feat[4];
	uint8_t exp[4];

	if (len != AUTH_NONCE_LEN ||
	    memcmp(nonce, AUTH_NONCE_COOKIE, COOKIE_LEN) != 0)
		return EBADMSG;
	if (memchr(nonce + COOKIE_LEN, '=', FEAT_LEN) ||
	    memchr(nonce + COOKIE_LEN, '\0', FEAT_LEN))
		return EBADMSG;
	if (EVP_DecodeBlock(feat, (const unsigned char *)nonce + COOKIE_LEN,
			    FEAT_LEN) != 3)
		return EBADMSG;
	if (get_hex(nonce + COOKIE_LEN + FEAT_LEN, exp, 4) ||
	    get_hex(nonce + COOKIE_LEN + FEAT_LEN + EXPIRY_LEN, mac, MAC_BYTES))
		return EBADMSG;
	*features = (uint32_t)feat[0] << 16 | (uint32_t)feat[1] << 8 | feat[2];
	*expiry = (uint32_t)exp[0] << 24 | (uint32_t)exp[1] << 16 |
		  (uint32_t)exp[2] << 8 | exp[3];
	return 0;
}

int auth_nonce_check(const uint8_t *secret, size_t slen, const char *nonce,
		     size_t len, const struct sa *from, uint64_t now_s,
		     uint64_t grace_s, uint32_t *features)
{
	uint8_t mac[MAC_BYTES], want[MAC_BYTES];
	uint32_t feat, expiry;

	if (!secret || slen < AUTH_NONCE_SECRET_MIN || !from || !nonce)
		return EINVAL;
	if (nonce_parse(nonce, len, &feat, &expiry, mac))
		return EBADMSG;
	if (nonce_mac(secret, slen, feat, expiry, from, want))
		return EBADMSG;
	if (CRYPTO_memcmp(mac, want, MAC_BYTES) != 0)
		return EBADMSG;
	if (features)
		*features = feat;
	if ((uint64_t)expiry + grace_s < now_s)
		return ESTALE;
	return 0;
}
