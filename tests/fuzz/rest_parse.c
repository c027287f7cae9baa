/*
 * rest_parse.c — libFuzzer target for the text a TURN request's USERNAME
 * and NONCE carry into src/auth: the TURN REST API username parser
 * (auth_rest_parse, auth_rest_expired, draft-uberti-behave-turn-rest-00
 * §2.2) and the stateless nonce check (auth_nonce_check).
 *
 * Input: the attribute value, raw (a USERNAME such as
 * "1700003600:restuser", or a 45-character NONCE); both parsers read the
 * same bytes. Seeds: tests/fuzz/corpus/rest-parse, USERNAME and NONCE
 * values from the REST traffic tests/fuzz/capture-seeds records, plus
 * hand-made edge cases.
 *
 * Checked against a second reading written here: the expiry is the 1-20
 * leading decimal digits (up to 2^63 - 1) before the first ':' or the
 * end, and the user is what follows that ':'; auth_rest_expired agrees
 * with the parse at expiry - 1, expiry and expiry + 1; the REST password
 * is 28 base64 characters ending in '=' and the REST key is the long-term
 * key of that password. A nonce is accepted only in the shape auth.h
 * documents, only for its own address, and one made here for the input's
 * expiry round-trips.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "fuzz.h"

static const uint8_t secret[] = "fuzz-secret-for-the-rest-target";

/* The expected parse, the slow way: 0 and the fields, or EBADMSG. */
static int oracle(const char *s, size_t len, uint64_t *exp, size_t *upos)
{
	unsigned __int128 v = 0;
	size_t i = 0;

	while (i < len && s[i] != ':') {
		if (s[i] < '0' || s[i] > '9')
			return EBADMSG;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (++i > 20 || v > INT64_MAX)
			return EBADMSG;
	}
	if (i == 0)
		return EBADMSG;
	*exp = (uint64_t)v;
	*upos = i < len ? i + 1 : len;
	return 0;
}

static void check_rest(const char *s, size_t len)
{
	char pass[AUTH_REST_PASS_LEN + 1];
	struct auth_key k1, k2;
	const char *user = NULL;
	uint64_t exp = 0, want_exp = 0;
	size_t ulen = 0, upos = 0;
	int rc;

	rc = auth_rest_parse(s, len, &exp, &user, &ulen);
	CHECK(rc == oracle(s, len, &want_exp, &upos));
	if (rc) {
		CHECK(rc == EBADMSG);
		CHECK(auth_rest_expired(s, len, 0));
		return;
	}
	CHECK(exp == want_exp && user == s + upos && ulen == len - upos);
	CHECK(!auth_rest_expired(s, len, exp));
	CHECK(!auth_rest_expired(s, len, exp ? exp - 1 : 0));
	CHECK(auth_rest_expired(s, len, exp + 1));

	CHECK(auth_rest_password(secret, sizeof(secret) - 1, s, len, pass) ==
	      0);
	CHECK(strlen(pass) == AUTH_REST_PASS_LEN &&
	      pass[AUTH_REST_PASS_LEN - 1] == '=');
	CHECK(strspn(pass,
		     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		     "0123456789+/") == AUTH_REST_PASS_LEN - 1);
	CHECK(auth_rest_key(&k1, AUTH_ALG_SHA256, secret, sizeof(secret) - 1, s,
			    len, "realm", 5) == 0);
	CHECK(auth_key_derive(&k2, AUTH_ALG_SHA256, s, len, "realm", 5,
			      (const uint8_t *)pass, AUTH_REST_PASS_LEN) == 0);
	CHECK(k1.len == 32 && auth_key_equal(&k1, &k2));
}

static void check_nonce(const char *s, size_t len, uint64_t now)
{
	char made[AUTH_NONCE_LEN + 1];
	struct sa from, other;
	uint32_t feat = 0;
	int rc;

	CHECK(sa_set_str(&from, "198.51.100.7", 40000) == 0);
	CHECK(sa_set_str(&other, "2001:db8::7", 40000) == 0);
	rc = auth_nonce_check(secret, sizeof(secret) - 1, s, len, &from, now,
			      3600, &feat);
	CHECK(rc == 0 || rc == ESTALE || rc == EBADMSG);
	if (rc != EBADMSG) {
		/* authentic: it can only be one we made, so its shape */
		CHECK(len == AUTH_NONCE_LEN &&
		      memcmp(s, AUTH_NONCE_COOKIE, 9) == 0);
		CHECK(auth_nonce_check(secret, sizeof(secret) - 1, s, len,
				       &other, now, 3600, NULL) == EBADMSG);
	}
	/* One made for an expiry taken from the input verifies until it
	 * (and the grace) runs out, then is stale, and binds the address. */
	if (auth_nonce_make(secret, sizeof(secret) - 1,
			    len ? (uint32_t)(unsigned char)s[0] << 16 : 0,
			    now & 0xFFFFFFFFu, &from, made) == 0) {
		CHECK(strlen(made) == AUTH_NONCE_LEN);
		CHECK(auth_nonce_check(secret, sizeof(secret) - 1, made,
				       AUTH_NONCE_LEN, &from, now & 0xFFFFFFFFu,
				       0, NULL) == 0);
		CHECK(auth_nonce_check(
			  secret, sizeof(secret) - 1, made, AUTH_NONCE_LEN,
			  &from, (now & 0xFFFFFFFFu) + 10, 5, NULL) == ESTALE);
		CHECK(auth_nonce_check(secret, sizeof(secret) - 1, made,
				       AUTH_NONCE_LEN, &other,
				       now & 0xFFFFFFFFu, 0, NULL) == EBADMSG);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	uint64_t exp, now = 1700000000;
	const char *user;
	size_t ulen;

	if (size > 1024)
		return -1; /* USERNAME is < 513 bytes, NONCE < 764 (§14) */
	check_rest(s, size);
	/* the nonce check at the input's own expiry when it has one */
	if (auth_rest_parse(s, size, &exp, &user, &ulen) == 0 &&
	    exp <= 0xFFFFFFFFu)
		now = exp;
	check_nonce(s, size, now);
	return 0;
}
