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
struct val {
	unsigned line;
	char *s; /* owned */
};

struct vals {
	struct val *v;
	size_t n, cap;
};

/* What coturn would run with, as read: the last value of a setting wins,
 * lists keep every line. Flags are vals too, s "1" or "0". */
struct cot {
	struct vals listen, relay, allow, deny, secrets, users;
	struct vals same; /* flags ternd already behaves as: their names */
	struct val realm, port, tls_port, alt_port, min_port, max_port;
	struct val cert, pkey, ciphers, redis, user_quota, total_quota;
	struct val max_bps, stale_nonce, max_life, threads, log_file;
	struct val lt, rest, no_auth, stun_only, no_udp, no_tcp, no_tls;
	struct val no_dtls, loopback, no_sw, sw, prod, syslog, verbose;
	struct val xverbose, no_old_stun, no_tls12, fingerprint;
	struct val proc_user, proc_group, prom, prom_port, prom_addr;
	struct val statsdb;
	struct val server_name; /* the last val: cot_free walks to it */
};

/* Append a diagnostic (never put a secret in it). Returns 0 or ENOMEM. */
int admin_import_diag(struct admin_import *im, unsigned line,
		      enum admin_diag_kind kind, const char *opt,
		      const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Append a copy of s. Returns 0 or ENOMEM. */
int admin_import_vals_add(struct vals *l, unsigned line, const char *s);

/* Why a flag in cot.same needs no setting in ternd. */
const char *admin_import_same_why(const char *name);

/* Write im->conf from c (emit.c). Returns 0 or ENOMEM. */
int admin_import_emit(struct admin_import *im, const struct cot *c,
		      const char *srcdir);

#endif
