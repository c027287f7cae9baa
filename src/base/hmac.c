/*
 * hmac.c — HMAC with a per-thread OpenSSL context per digest; see hmac.h.
 *
 * The EVP_MAC is fetched once per process; each thread makes its two
 * contexts (SHA-1, SHA-256) on first use, with the digest set once, and
 * frees them when it ends (a pthread key's destructor). A call re-keys the
 * context (EVP_MAC_init with the key), feeds the two pieces and takes the
 * MAC: no lookup, lock or allocation per message.
 */
#include "base/hmac.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t key_ctx;
static EVP_MAC *mac_hmac; /* process-wide, never freed */
static int init_err;

struct hmac_ctxs {
	EVP_MAC_CTX *ctx[2]; /* by enum hmac_alg */
};

static void ctxs_free(void *p)
{
	struct hmac_ctxs *c = p;

	EVP_MAC_CTX_free(c->ctx[HMAC_SHA1]);
	EVP_MAC_CTX_free(c->ctx[HMAC_SHA256]);
	free(c);
}

static void init(void)
{
	mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac_hmac || pthread_key_create(&key_ctx, ctxs_free))
		init_err = ENOMEM;
}

static EVP_MAC_CTX *ctx_new(enum hmac_alg alg)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac_hmac);

	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_MAC_PARAM_DIGEST, alg == HMAC_SHA1 ? "SHA1" : "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx && !EVP_MAC_CTX_set_params(ctx, params)) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* This thread's context for alg, made on first use; NULL: out of memory. */
static EVP_MAC_CTX *ctx_get(enum hmac_alg alg)
{
	struct hmac_ctxs *c;

	if (pthread_once(&once, init) || init_err)
		return NULL;
	c = pthread_getspecific(key_ctx);
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c || pthread_setspecific(key_ctx, c)) {
			free(c);
			return NULL;
		}
	}
	if (!c->ctx[alg])
		c->ctx[alg] = ctx_new(alg);
	return c->ctx[alg];
}

int hmac2(enum hmac_alg alg, const uint8_t *key, size_t keylen,
	  const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
	  uint8_t *out, size_t outlen)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	EVP_MAC_CTX *ctx;
	int err = ENOMEM;

	if ((alg != HMAC_SHA1 && alg != HMAC_SHA256) || (!key && keylen) ||
	    outlen > (alg == HMAC_SHA1 ? 20u : 32u))
		return EINVAL;
	/* EVP_MAC_init keeps the previous key when given NULL: an empty key
	 * must be a real pointer */
	if (!key)
		key = (const uint8_t *)"";
	ctx = ctx_get(alg);
	if (!ctx)
		return ENOMEM;
	if (EVP_MAC_init(ctx, key, keylen, NULL) &&
	    EVP_MAC_update(ctx, a, alen) && EVP_MAC_update(ctx, b, blen) &&
	    EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) && maclen >= outlen) {
		memcpy(out, mac, outlen);
		err = 0;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	return err;
}
