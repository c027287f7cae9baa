/*
 * quota.h — allocation quotas shared by every worker's turn_server.
 *
 * RFC 8656 §7.2 step 6 lets a server refuse an Allocate over a per-user
 * quota (486) and §7.2 over its own capacity (508). An operator states
 * both for the whole server, but ternd runs one turn_server per worker, so
 * the counts live here, in one object the relay layer creates once and
 * hands to each server through turn_server_cfg.quota.
 *
 * Allocation creation and deletion are rare next to relayed packets, so a
 * mutex guards the per-user table; the total is also kept in an atomic so
 * a gauge can be read without the lock. Nothing here is on the relay path.
 *
 *   worker 0: turn_server --take/put--+
 *   worker 1: turn_server --take/put--+--> turn_quota { total, user -> n }
 *   ...                               |
 */
#ifndef TERN_TURN_QUOTA_H
#define TERN_TURN_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct turn_quota;
/* One user's entry; a live allocation holds one unit of it. */
struct turn_quota_user;

/* Create an empty quota table. Sets *qp and returns 0, or EINVAL, ENOMEM
 * (or the errno of pthread_mutex_init). */
int turn_quota_alloc(struct turn_quota **qp);

/* Free q. Every unit must have been put back (the servers using it are
 * freed first). Accepts NULL. */
void turn_quota_free(struct turn_quota *q);

/*
 * Take one allocation for `user` (ulen bytes, not NUL-terminated), under
 * the limits given (0 = no limit; passed on each call, so a reload's new
 * limits apply to the next Allocate). On success sets *up to the user's
 * entry, which the caller holds until turn_quota_put, and returns 0.
 * Returns ENOSPC when max_total allocations exist (508), EDQUOT when the
 * user has max_user (486), ENOMEM, or EINVAL. Thread-safe.
 */
int turn_quota_take(struct turn_quota *q, const char *user, size_t ulen,
		    uint32_t max_total, uint32_t max_user,
		    struct turn_quota_user **up);

/* Give back the unit u was taken for; u is not to be used after. Accepts
 * NULL. Thread-safe. */
void turn_quota_put(struct turn_quota *q, struct turn_quota_user *u);

/* Is u the entry of user? Lock-free: an entry's name never changes while a
 * unit of it is held. */
bool turn_quota_user_is(const struct turn_quota_user *u, const char *user,
			size_t ulen);

/* u's user name (not terminated; *len bytes): lock-free as above.
 * NULL u gives "" and 0. */
const char *turn_quota_user_name(const struct turn_quota_user *u, size_t *len);

/* Allocations held now, over every server sharing q. Lock-free. */
uint32_t turn_quota_total(const struct turn_quota *q);

/* Allocations `user` holds now. Thread-safe. */
uint32_t turn_quota_user_count(struct turn_quota *q, const char *user,
			       size_t ulen);

#endif
