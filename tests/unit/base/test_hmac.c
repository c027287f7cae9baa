/*
 * test_hmac.c — base/hmac.c: RFC 2202 and RFC 4231 vectors (message in one
 * piece and split in two), truncation, the empty key, bad arguments, and
 * threads that each keep their own context while they interleave.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "base/hmac.h"

static const char msg[] = "what do ya want for nothing?";

/* RFC 2202 §3 test case 2; RFC 4231 §4.3 test case 2 (key "Jefe"). */
static const uint8_t sha1_jefe[20] = {
	0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
	0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static const uint8_t sha256_jefe[32] = {
	0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
	0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
	0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
};

static int jefe(enum hmac_alg alg, size_t split, uint8_t *out, size_t n)
{
	return hmac2(alg, (const uint8_t *)"Jefe", 4, (const uint8_t *)msg,
		     split, (const uint8_t *)msg + split,
		     sizeof(msg) - 1 - split, out, n);
}

Test(hmac, rfc_vectors_whole_and_split)
{
	uint8_t out[32];

	for (size_t split = 0; split < sizeof(msg); split += 7) {
		cr_assert_eq(jefe(HMAC_SHA1, split, out, 20), 0);
		cr_assert_arr_eq(out, sha1_jefe, 20, "split at %zu", split);
		cr_assert_eq(jefe(HMAC_SHA256, split, out, 32), 0);
		cr_assert_arr_eq(out, sha256_jefe, 32, "split at %zu", split);
	}
}

/* A context re-keyed for each call: alternating keys never mix. */
Test(hmac, rekeyed_each_call)
{
	uint8_t a[20], b[20];

	cr_assert_eq(hmac2(HMAC_SHA1, (const uint8_t *)"k1", 2,
			   (const uint8_t *)"m", 1, NULL, 0, a, 20),
		     0);
	cr_assert_eq(jefe(HMAC_SHA1, 3, b, 20), 0);
	cr_assert_arr_eq(b, sha1_jefe, 20);
	cr_assert_eq(hmac2(HMAC_SHA1, (const uint8_t *)"k1", 2,
			   (const uint8_t *)"m", 1, NULL, 0, b, 20),
		     0);
	cr_assert_arr_eq(a, b, 20);
}

Test(hmac, truncated_empty_key_and_bad_arguments)
{
	uint8_t out[32], full[32];

	cr_assert_eq(jefe(HMAC_SHA256, 0, out, 16), 0);
	cr_assert_arr_eq(out, sha256_jefe, 16);
	/* the empty key, as NULL or as a pointer, is the same key */
	cr_assert_eq(hmac2(HMAC_SHA1, NULL, 0, (const uint8_t *)"x", 1, NULL, 0,
			   out, 20),
		     0);
	cr_assert_eq(hmac2(HMAC_SHA1, (const uint8_t *)"", 0,
			   (const uint8_t *)"x", 1, NULL, 0, full, 20),
		     0);
	cr_assert_arr_eq(out, full, 20);
	cr_assert_eq(hmac2(HMAC_SHA1, NULL, 3, NULL, 0, NULL, 0, out, 20),
		     EINVAL);
	cr_assert_eq(jefe(HMAC_SHA1, 0, out, 21), EINVAL);
	cr_assert_eq(jefe(HMAC_SHA256, 0, out, 33), EINVAL);
	cr_assert_eq(hmac2((enum hmac_alg)7, NULL, 0, NULL, 0, NULL, 0, out, 1),
		     EINVAL);
}

#define NTHREADS 4

static void *hammer(void *arg)
{
	uint8_t out[32];
	long bad = 0;

	(void)arg;
	for (int i = 0; i < 2000; i++) {
		enum hmac_alg alg = (i & 1) ? HMAC_SHA256 : HMAC_SHA1;

		if (jefe(alg, (size_t)i % sizeof(msg), out, alg ? 32 : 20) ||
		    memcmp(out, alg ? sha256_jefe : sha1_jefe, alg ? 32 : 20))
			bad++;
	}
	return (void *)bad;
}

Test(hmac, threads_keep_their_own_contexts)
{
	pthread_t t[NTHREADS];
	void *bad;

	for (int i = 0; i < NTHREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < NTHREADS; i++) {
		cr_assert_eq(pthread_join(t[i], &bad), 0);
		cr_assert_null(bad, "thread %d: wrong MACs", i);
	}
}
