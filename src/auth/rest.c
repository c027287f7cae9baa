/* rest.c — TURN REST API ephemeral credentials; see auth.h. */
#include "auth/auth.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <openssl/evp.h>

#include "base/hmac.h"

int auth_rest_parse(const char *name, size_t len, uint64_t *expiry,
		    const char **user, size_t *ulen)
{
	uint64_t v = 0;
	size_t i;

	if (!name || !expiry || !user || !ulen)
		return EINVAL;
	for (i = 0; i < len && name[i] != ':'; i++) {
		unsigned d = (unsigned char)name[i] - '0';

		if (d > 9 || i >= 20)
			return EBADMSG;
		if (v > ((uint64_t)INT64_MAX - d) / 10)
			return EBADMSG;
		v = v * 10 + d;
	}
	if (i == 0)
		return EBADMSG;
	*expiry = v;
	if (i == len) {
		*user = name + len;
		*ulen = 0;
	} else {
		*user = name + i + 1;
		*ulen = len - i - 1;
	}
	return 0;
}

bool auth_rest_expired(const char *name, size_t len, uint64_t now_s)
{
	const char *user;
	uint64_t exp;
	size_t ulen;

	if (auth_rest_parse(name, len, &exp, &user, &ulen))
		return true;
	return exp < now_s;
}

int auth_rest_password(const uint8_t *secret, size_t slen, const char *name,
		       size_t nlen, char out[AUTH_REST_PASS_LEN + 1])
{
	uint8_t mac[20];

	if (!secret || !slen || slen > INT32_MAX || (!name && nlen) || !out)
		return EINVAL;
	if (hmac2(HMAC_SHA1, secret, slen, (const uint8_t *)name, nlen, NULL, 0,
		  mac, sizeof(mac)))
		return ENOMEM;
	/* 20 bytes -> 28 characters with one '=' of padding, as coturn and
	 * every REST credential service produce. */
	if (EVP_EncodeBlock((unsigned char *)out, mac, 20) !=
	    AUTH_REST_PASS_LEN)
		return ENOMEM;
	out[AUTH_REST_PASS_LEN] = '\0';
	return 0;
}

int auth_rest_key(struct auth_key *key, uint16_t alg, const uint8_t *secret,
		  size_t slen, const char *name, size_t nlen, const char *realm,
		  size_t rlen)
{
	char pass[AUTH_REST_PASS_LEN + 1];
	int err;

	err = auth_rest_password(secret, slen, name, nlen, pass);
	if (err)
		return err;
	return auth_key_derive(key, alg, name, nlen, realm, rlen,
			       (const uint8_t *)pass, AUTH_REST_PASS_LEN);
}
