/*
 * cred.h — TURN REST API credentials, shared by turn-probe and tern-admin so
 * both mint the same username and password; see cred.c.
 */
#ifndef TERN_TOOLS_COMMON_CRED_H
#define TERN_TOOLS_COMMON_CRED_H

#include <stdbool.h>
#include <stdint.h>

#define PROBE_CRED_MAX 514 /* USERNAME is < 513 bytes (RFC 8489 §14.3) */

/*
 * TURN REST API credential (draft-uberti-behave-turn-rest-00 §2.2): username
 * "<expiry>:<name>" (just "<expiry>" for an empty name), password
 * base64(HMAC-SHA1(secret, username)). user and pass are PROBE_CRED_MAX
 * bytes. Returns 0, EINVAL (name too long) or ENOMEM.
 */
int probe_rest_cred(const char *secret, const char *name, int64_t expiry,
		    char *user, char *pass);

/* If user is a REST username ("<expiry>[:name]"), its expiry in *expiry and
 * true; false otherwise. */
bool probe_rest_expiry(const char *user, int64_t *expiry);

#endif
