/*
 * conf.h — ternd's configuration: loaded once from a libconfig file into a
 * read-only struct, validated, and passed down. A reload builds a new one.
 * (Not autoconf's config.h, which the build generates.)
 *
 * Every option, its default and its meaning: etc/ternd.conf and ternd.conf(5).
 * The loader is one file per job: conf.c (entry, messages, files),
 * conf_opts.c (the table of settings and their setters), conf_check.c
 * (checks across settings), conf_cert.c (the TLS files), conf_lex.c (what
 * libconfig 1.5 lets by) and conf_hint.c (syntax-error hints); conf_priv.h
 * is what they share.
 */
#ifndef TERN_RELAY_CONF_H
#define TERN_RELAY_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cidr.h"
#include "base/log.h"
#include "base/sa.h"

/* One listening address (port unset: the ports come from struct ports). */
struct cfg_listen {
	struct sa addr;
	struct sa alt; /* RFC 5780 alternate address of the same family, or
			  unset */
	unsigned line; /* of the entry in the file; 0: the default */
};

/* relay.advertise: behind 1:1 NAT, the address announced for one the
 * server binds. bound unset: every bound address of pub's family that no
 * other entry names. Ports 0. */
struct cfg_advert {
	struct sa bound;
	struct sa pub;
	bool discovered; /* by relay.discover at start, not in the file */
};

/* A user of the config-file credential store (auth.users). */
struct cfg_user {
	char *name;
	char *password; /* plaintext, or NULL when key is set */
	char *key;	/* hex long-term key: 32 digits MD5(user:realm:pass),
			   64 digits SHA-256; NULL when password is set */
};

enum cfg_store {
	CFG_STORE_CONFIG = 0, /* auth.users and auth.secrets */
	CFG_STORE_REDIS,      /* the redis group, coturn's schema */
};

/* Longest auth.nonce_secret, in bytes (128 hex digits). */
#define CFG_NONCE_SECRET_MAX 64

struct ternd_config {
	char *path; /* the file it was read from */

	/* general */
	unsigned workers; /* resolved: never 0 after load */
	char *software;	  /* SOFTWARE attribute value, NULL = omit */
	bool rfc3489;	  /* answer classic RFC 3489 clients */
	char *run_user;	  /* drop privileges to this user after binding
			     (started as root); NULL = stay */
	char *run_group;  /* and this group; NULL = the user's own */

	/* log */
	enum log_level log_level;
	enum log_target log_target;
	bool log_json;	/* log.format = "json": one JSON object per line */
	char *log_file; /* log.file: lines to this file (absolute path),
			   reopened on SIGHUP; NULL = stderr */

	/* listen */
	struct cfg_listen *listen;
	size_t nlisten;
	uint16_t udp_port; /* 0 disables that transport */
	uint16_t tcp_port;
	uint16_t tls_port;
	uint16_t dtls_port;
	uint16_t alt_port; /* RFC 5780 alternate port (UDP) */

	/* tls (TLS and DTLS listeners) */
	char *tls_cert; /* absolute path, or NULL when TLS and DTLS
			   are both disabled */
	char *tls_key;
	char *tls_ciphers; /* OpenSSL cipher list for TLS 1.2, NULL =
			      OpenSSL's default */
	bool tls_min_13;   /* refuse TLS 1.2 */

	/* limits */
	unsigned max_connections;     /* TCP + TLS connections, whole server */
	unsigned idle_timeout_s;      /* stream closed after this long silent */
	unsigned frame_timeout_s;     /* a started message must be complete
					 within this (trickling clients) */
	unsigned handshake_timeout_s; /* TLS / DTLS handshake */
	unsigned dtls_max_sessions;   /* DTLS sessions, whole server */
	unsigned udp_batch;	      /* datagrams per recvmmsg/sendmmsg */
	bool udp_gso;		  /* UDP_SEGMENT where destinations repeat */
	unsigned log_interval_s;  /* per-packet error logs: at most one burst
				     per interval */
	unsigned challenge_rate;  /* 401 answers per second per client
				     address (hashed buckets); 0 = no limit */
	unsigned challenge_burst; /* ... bucket size */
	/* issue 16: one address cannot take every slot, and a connection
	 * must authenticate in time */
	unsigned max_conns_per_addr; /* TCP + TLS connections, and DTLS
					sessions, per client address (/64);
					0 = no limit */
	unsigned allocate_timeout_s; /* TURN on: a connection with no
					authenticated success by then is
					closed; 0 = no deadline */

	/* auth. TURN is on when turn is true: users or secrets given, or
	 * store = "redis"; otherwise ternd is STUN-only. */
	bool turn;
	char *realm; /* NULL when unset (then TURN must be off) */
	enum cfg_store store;
	struct cfg_user *users;
	size_t nusers;
	char **secrets; /* REST shared secrets (auth.secrets) */
	size_t nsecrets;
	bool rest;   /* REST credentials: secrets given, or auth.rest */
	bool sha256; /* offer SHA-256 (PASSWORD-ALGORITHMS) */
	unsigned nonce_lifetime_s;
	uint8_t nonce_secret[CFG_NONCE_SECRET_MAX];
	size_t nonce_secret_len; /* 0: random per start */

	/* redis (store = "redis") */
	char *redis_host; /* numeric address (a name is resolved at load) */
	uint16_t redis_port;
	char *redis_password; /* NULL = no AUTH */
	unsigned redis_db;
	unsigned redis_timeout_s;
	unsigned redis_cache_ttl_s;
	bool redis_status; /* publish allocation status, coturn's keys */

	/* relay */
	struct sa *relay_addrs; /* resolved: the listen addresses when the
				   file names none; ports 0 */
	size_t nrelay_addrs;
	uint16_t relay_port_min, relay_port_max;
	unsigned lifetime_s, max_lifetime_s;
	unsigned max_allocations; /* whole server, 0 = unlimited */
	unsigned user_quota;	  /* per user, 0 = unlimited */
	unsigned bandwidth;	  /* bytes/s per allocation, 0 = unlimited */
	unsigned max_permissions; /* per allocation */
	bool rfc5766_channels;	  /* channels 0x4000-0x7FFF (RFC 5766 §11)
				     rather than 0x4000-0x4FFF (RFC 8656 §12) */
	unsigned max_channels;	  /* channel bindings per allocation */
	struct cidr_set peer_allow, peer_deny;
	struct cfg_advert *advertise; /* relay.advertise, in file order */
	size_t nadvertise;
	char *discover;		   /* relay.discover: STUN server, NULL = off */
	struct sa discover_server; /* ... resolved at load */

	/* drain (SIGUSR1; SIGTERM with drain_timeout_s > 0) */
	unsigned drain_timeout_s; /* 0: SIGTERM stops at once */
	char *alternate_server_str;
	struct sa alternate_server; /* 300 Try Alternate while draining;
				       unset: 508 */

	/* admin HTTP listener (/metrics, /healthz, /readyz) */
	char *admin_host;     /* numeric address */
	uint16_t admin_port;  /* 0 = off */
	struct sa admin_addr; /* admin_host:admin_port when on */
	/* bearer token for /metrics and /sessions: admin.token, or the first
	 * line of admin.token_file (read at load); NULL = none */
	char *admin_token;
	char *admin_token_file;
#define ADMIN_TOKEN_MAX 256
};

/*
 * Read and validate the file at path. On success sets *cfgp (free with
 * config_free) and returns 0. On failure returns EINVAL (or ENOENT, ENOMEM)
 * and writes one line into err: "FILE:LINE: what is wrong, in a sentence".
 */
int config_load(struct ternd_config **cfgp, const char *path, char *err,
		size_t errlen);

void config_free(struct ternd_config *cfg);

/*
 * A TURN server whose every listen and relay address is private or
 * loopback, with no relay.advertise, hands out relayed addresses nobody
 * outside can reach (a cloud VM behind 1:1 NAT). Writes that warning into
 * buf and returns true; false when it does not apply.
 */
bool config_nat_warning(const struct ternd_config *cfg, char *buf, size_t size);

/*
 * The i-th setting ternd knows, as a dotted name ("ports.udp"; a member of
 * each listen entry is "listen.address"), in the order ternd.conf(5) lists
 * them; NULL past the last. The tests hold etc/ternd.conf and the man page
 * to this list.
 */
const char *config_option_name(size_t i);

#endif
