/*
 * privs.h — dropping root after the sockets are bound (the `user` and
 * `group` settings).
 */
#ifndef TERN_RELAY_PRIVS_H
#define TERN_RELAY_PRIVS_H

#include <stddef.h>

#include "relay/conf.h"

/*
 * Become cfg->run_user (and cfg->run_group, else the user's primary group,
 * with the user's supplementary groups) when running as root, for good:
 * afterwards setuid(0) must fail, or this fails. Called once every socket
 * is bound; glibc applies set*id to every thread of the process, so the
 * worker threads already running change with the main thread.
 *
 * Not root: `user` unset, or naming the user ternd already runs as (a
 * systemd unit with User=), is fine; another user is an error, since
 * ternd cannot become it. Root without `user`: logs a warning once.
 *
 * Returns 0, or an errno with one line in err. Logs "running as user X".
 */
int privs_drop(const struct ternd_config *cfg, char *err, size_t errlen);

/* The checks of privs_drop that need no privilege change (the user and
 * group exist; not root: they are who ternd already is), so that a
 * mistake stops the start before anything is bound. Returns 0 or an
 * errno with one line in err. */
int privs_check(const struct ternd_config *cfg, char *err, size_t errlen);

#endif
