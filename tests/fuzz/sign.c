/* sign.c — see sign.h. */
#include "sign.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define T_USERNAME	0x0006
#define T_MI		0x0008
#define T_REALM		0x0014
#define T_NONCE		0x0015
#define T_MI256		0x001C
#define T_PASSWORD_ALG	0x001D
#define T_FINGERPRINT	0x8028
#define FINGERPRINT_XOR 0x5354554Eu
#define HDR		20

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void note(long *off, size_t *len, size_t at, size_t alen)
{
	if (*off < 0) {
		*off = (long)at;
		*len = alen;
	}
}

bool fz_scan(const uint8_t *msg, size_t len, struct fz_layout *l)
{
	size_t off = HDR;

	memset(l, 0, sizeof(*l));
	l->mi = l->mi256 = l->fp = -1;
	l->user = l->realm = l->nonce = l->pwalg = -1;
	if (len < HDR || msg[0] > 3)
		return false;
	while (off + 4 <= len && l->fp < 0) {
		unsigned type = get16(msg + off);
		size_t alen = get16(msg + off + 2);

		if (alen > len - off - 4)
			break;
		if (type == T_FINGERPRINT && alen == 4)
			l->fp = (long)off;
		else if (l->mi256 >= 0)
			; /* §14.6: only FINGERPRINT counts after it */
		else if (type == T_MI256 && alen >= 16 && alen <= 32 &&
			 !(alen & 3))
			note(&l->mi256, &l->mi256_len, off, alen);
		else if (l->mi >= 0)
			; /* §14.5: only the two above count after it */
		else if (type == T_MI && alen == 20)
			l->mi = (long)off;
		else if (type == T_USERNAME)
			note(&l->user, &l->user_len, off + 4, alen);
		else if (type == T_REALM)
			note(&l->realm, &l->realm_len, off + 4, alen);
		else if (type == T_NONCE)
			note(&l->nonce, &l->nonce_len, off + 4, alen);
		else if (type == T_PASSWORD_ALG)
			note(&l->pwalg, &l->pwalg_len, off + 4, alen);
		off += 4 + ((alen + 3) & ~(size_t)3);
	}
	return true;
}

/* HMAC over msg[0..at) with the header length saying the message ends at
 * `end`, cut to outlen bytes, written at msg + at + 4. */
static void mac_at(uint8_t *msg, size_t at, size_t end, const EVP_MD *md,
		   const uint8_t *key, size_t klen, size_t outlen)
{
	uint8_t mac[EVP_MAX_MD_SIZE], saved[2];
	unsigned int mlen = 0;

	memcpy(saved, msg + 2, 2);
	put16(msg + 2, end - HDR);
	if (HMAC(md, klen ? key : (const uint8_t *)"", (int)klen, msg, at, mac,
		 &mlen) &&
	    mlen >= outlen)
		memcpy(msg + at + 4, mac, outlen);
	memcpy(msg + 2, saved, 2);
}

/* Bitwise CRC-32 (ISO 3309, reflected 0xEDB88320): slow, and not the
 * codec's table, so the two check each other. */
static uint32_t crc32_bits(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xEDB88320u & -(crc & 1u));
	}
	return ~crc;
}

void fz_sign(uint8_t *msg, size_t len, const struct fz_layout *l,
	     const uint8_t *key, size_t klen)
{
	uint32_t crc;
	long at = l->fp;

	/* MESSAGE-INTEGRITY always precedes a -SHA256 that counts, which
	 * covers it: sign in that order, FINGERPRINT last. */
	if (l->mi >= 0)
		mac_at(msg, (size_t)l->mi, (size_t)l->mi + 24, EVP_sha1(), key,
		       klen, 20);
	if (l->mi256 >= 0)
		mac_at(msg, (size_t)l->mi256,
		       (size_t)l->mi256 + 4 + l->mi256_len, EVP_sha256(), key,
		       klen, l->mi256_len);
	/* §14.7: over everything before it, with the real header length
	 * (which the decoder requires to be the whole message). */
	if (at >= 0 && (size_t)at + 8 <= len) {
		crc = crc32_bits(msg, (size_t)at) ^ FINGERPRINT_XOR;
		msg[at + 4] = (uint8_t)(crc >> 24);
		msg[at + 5] = (uint8_t)(crc >> 16);
		msg[at + 6] = (uint8_t)(crc >> 8);
		msg[at + 7] = (uint8_t)crc;
	}
}

size_t fz_long_term_key(uint8_t out[32], uint16_t alg, const char *user,
			size_t ulen, const char *realm, size_t rlen,
			const char *pass, size_t plen)
{
	const EVP_MD *md = alg == 2 ? EVP_sha256() : EVP_md5();
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = 0;

	if (!c)
		return 0;
	if (!EVP_DigestInit_ex(c, md, NULL) ||
	    !EVP_DigestUpdate(c, user, ulen) || !EVP_DigestUpdate(c, ":", 1) ||
	    !EVP_DigestUpdate(c, realm, rlen) || !EVP_DigestUpdate(c, ":", 1) ||
	    !EVP_DigestUpdate(c, pass, plen) || !EVP_DigestFinal_ex(c, out, &n))
		n = 0;
	EVP_MD_CTX_free(c);
	return n;
}

void fz_rest_password(char out[29], const char *secret, const char *user,
		      size_t ulen)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;

	memset(out, 0, 29);
	if (HMAC(EVP_sha1(), secret, (int)strlen(secret), (const uint8_t *)user,
		 ulen, mac, &mlen) &&
	    mlen == 20)
		EVP_EncodeBlock((unsigned char *)out, mac, 20);
}
