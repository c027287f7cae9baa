/*
 * cred.c — ephemeral credentials as an iceServers entry, and
 * long-term keys in hex; see admin.h.
 *
 * Pure: the caller passes the expiry, so a test can pin the clock.
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "auth/auth.h"
#include "tools/admin/admin.h"
#include "tools/common/cred.h"

/* The object a browser's RTCPeerConnection takes (WebRTC §4.2.1). Keys in
 * the order people read them; jansson escapes every string. */
static json_t *entry(const char *user, const char *pass,
		     const char *const *uris, size_t nuris)
{
	json_t *o = json_object(), *urls = json_array();

	if (!o || !urls)
		goto fail;
	for (size_t i = 0; i < nuris; i++)
		if (json_array_append_new(urls, json_string(uris[i])))
			goto fail;
	if (json_object_set_new(o, "urls", urls)) {
		urls = NULL;
		goto fail;
	}
	urls = NULL;
	if (json_object_set_new(o, "username", json_string(user)) ||
	    json_object_set_new(o, "credential", json_string(pass)))
		goto fail;
	return o;
fail:
	json_decref(urls);
	json_decref(o);
	return NULL;
}

int admin_ice_entry(char **json, const char *secret, const char *user,
		    int64_t expiry, const char *const *uris, size_t nuris)
{
	char name[PROBE_CRED_MAX], pass[PROBE_CRED_MAX];
	json_t *o;
	char *s;
	int err;

	if (!json || !secret || !*secret || !user || (nuris && !uris))
		return EINVAL;
	err = probe_rest_cred(secret, user, expiry, name, pass);
	if (err)
		return err;
	o = entry(name, pass, uris, nuris);
	OPENSSL_cleanse(pass, sizeof(pass));
	if (!o)
		return ENOMEM;
	s = json_dumps(o, JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return ENOMEM;
	*json = s;
	return 0;
}

int admin_key_hex(char out[65], uint16_t alg, const char *user,
		  const char *realm, const char *password)
{
	struct auth_key k;
	int err;

	if (!out || !user || !realm || !password)
		return EINVAL;
	err = auth_key_derive(&k, alg, user, strlen(user), realm, strlen(realm),
			      (const uint8_t *)password, strlen(password));
	if (err)
		return err;
	admin_hex(out, k.k, k.len);
	OPENSSL_cleanse(&k, sizeof(k));
	return 0;
}

bool admin_key_normalize(char out[65], const char *s)
{
	size_t n;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n != 32 && n != 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[i] = c;
	}
	out[n] = '\0';
	return true;
}
