/* key.c — long-term keys (RFC 8489 §9.2.2); see auth.h. */
#include "auth/auth.h"

#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

int auth_key_derive(struct auth_key *key, uint16_t alg, const char *user,
		    size_t ulen, const char *realm, size_t rlen,
		    const uint8_t *pass, size_t plen)
{
	const EVP_MD *md;
	EVP_MD_CTX *c;
	unsigned int n = 0;
	int ok;

	if (!key || (!user && ulen) || (!realm && rlen) || (!pass && plen))
		return EINVAL;
	if (alg == AUTH_ALG_MD5)
		md = EVP_md5();
	else if (alg == AUTH_ALG_SHA256)
		md = EVP_sha256();
	else
		return EINVAL;
	c = EVP_MD_CTX_new();
	if (!c)
		return ENOMEM;
	ok = EVP_DigestInit_ex(c, md, NULL) &&
	     EVP_DigestUpdate(c, user, ulen) && EVP_DigestUpdate(c, ":", 1) &&
	     EVP_DigestUpdate(c, realm, rlen) && EVP_DigestUpdate(c, ":", 1) &&
	     EVP_DigestUpdate(c, pass, plen) &&
	     EVP_DigestFinal_ex(c, key->k, &n);
	EVP_MD_CTX_free(c);
	if (!ok)
		return ENOMEM;
	key->alg = alg;
	key->len = (uint8_t)n;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int auth_key_from_hex(struct auth_key *key, uint16_t alg, const char *hex)
{
	struct auth_key t;
	size_t want, i;

	if (!key || !hex)
		return EINVAL;
	if (alg == AUTH_ALG_MD5)
		want = 16;
	else if (alg == AUTH_ALG_SHA256)
		want = 32;
	else
		return EINVAL;
	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	if (strlen(hex) != want * 2)
		return EINVAL;
	for (i = 0; i < want; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return EINVAL;
		t.k[i] = (uint8_t)(hi << 4 | lo);
	}
	t.alg = alg;
	t.len = (uint8_t)want;
	*key = t;
	return 0;
}

bool auth_key_equal(const struct auth_key *a, const struct auth_key *b)
{
	return a->alg == b->alg && a->len == b->len &&
	       CRYPTO_memcmp(a->k, b->k, a->len) == 0;
}
