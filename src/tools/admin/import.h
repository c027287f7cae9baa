/*
 * import.h — inside tern-admin import-coturn: what the reader
 * (import.c) hands the writer (emit.c). Not used elsewhere.
 */
#ifndef TERN_TOOLS_ADMIN_IMPORT_H
#define TERN_TOOLS_ADMIN_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "tools/admin/admin.h"

/* One coturn line's value; line 0: never given. */
struct coturn_value {
	unsigned line;
	char *text; /* owned */
};

/* Every line of a repeatable option, in the file's order. */
struct coturn_values {
	struct coturn_value *v;
	size_t n, cap;
};

/* What coturn would run with, as read: the last value of a setting wins,
 * lists keep every line. Flags are values too, text "1" or "0". Fields are
 * named after coturn's options (lt_cred_mech: lt-cred-mech). */
struct coturn_conf {
	struct coturn_values listen_ips, relay_ips, allowed_peers, denied_peers;
	struct coturn_values external_ips; /* external-ip: PUBLIC[/PRIVATE] */
	struct coturn_values secrets, users;
	struct coturn_values same_flags; /* flags ternd already behaves as:
					    their names */
	struct coturn_value realm, port, tls_port, alt_port, min_port, max_port;
	struct coturn_value cert, pkey, ciphers, redis_userdb, user_quota;
	struct coturn_value total_quota, max_bps, stale_nonce, max_lifetime;
	struct coturn_value threads, log_file, lt_cred_mech, use_auth_secret;
	struct coturn_value no_auth, stun_only, no_udp, no_tcp, no_tls, no_dtls;
	struct coturn_value allow_loopback, no_software_attr, software_attr;
	struct coturn_value prod, syslog, verbose, extra_verbose;
	struct coturn_value no_stun_compat, no_tls12, fingerprint, proc_user;
	struct coturn_value proc_group, prometheus, prometheus_port;
	struct coturn_value prometheus_addr, redis_statsdb;
	/* the last value: coturn_conf_free walks from realm to it */
	struct coturn_value server_name;
};

/* Append a diagnostic (never put a secret in it). Returns 0 or ENOMEM. */
int admin_import_diag(struct admin_import *im, unsigned line,
		      enum admin_diag_kind kind, const char *opt,
		      const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Append a copy of s. Returns 0 or ENOMEM. */
int admin_import_values_add(struct coturn_values *l, unsigned line,
			    const char *s);

/* Why a flag in coturn_conf.same_flags needs no setting in ternd. */
const char *admin_import_same_why(const char *name);

/* Write im->conf from coturn (emit.c). Returns 0 or ENOMEM. */
int admin_import_emit(struct admin_import *im, const struct coturn_conf *coturn,
		      const char *srcdir);

#endif
