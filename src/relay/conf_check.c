/*
 * conf_check.c — the checks that involve several settings, run after every
 * setting has been read (conf_opts.c), and what they resolve: the relay
 * addresses, REST and TURN on or off, the Redis address, the drain and
 * admin addresses.
 */
#include "relay/conf_priv.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- checks across settings --------------------------------------------- */

static int check_ports(struct loader *ld)
{
	const struct ternd_config *c = ld->cfg;

	if (!c->udp_port && !c->tcp_port && !c->tls_port && !c->dtls_port)
		return conf_fail(
		    ld, conf_src(ld, "ports"),
		    "every transport is disabled (ports.udp, tcp, tls "
		    "and dtls are all 0); enable at least one");
	if (c->udp_port && c->udp_port == c->dtls_port)
		return conf_fail(
		    ld, conf_src2(ld, "ports.dtls", "ports.udp"),
		    "ports.udp and ports.dtls are both %u; two UDP "
		    "listeners cannot share a port",
		    c->udp_port);
	if (c->tcp_port && c->tcp_port == c->tls_port)
		return conf_fail(ld, conf_src2(ld, "ports.tls", "ports.tcp"),
				 "ports.tcp and ports.tls are both %u; two TCP "
				 "listeners cannot share a port",
				 c->tcp_port);
	return 0;
}

bool conf_is_wildcard(const struct sa *a)
{
	size_t n;
	const uint8_t *b = sa_addr_bytes(a, &n);

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static const char *family_name(const struct sa *a)
{
	return sa_family(a) == AF_INET ? "IPv4" : "IPv6";
}

/* RFC 5780, section 4.1: the alternate is a second address of the server,
 * of the same family, that the client is told in OTHER-ADDRESS and tests
 * against, so it must be specific and distinct. */
static int check_alt_addr(struct loader *ld, size_t i)
{
	const struct cfg_listen *l = &ld->cfg->listen[i];
	const config_setting_t *s = ld->lsrc[i].alt;
	char a[SA_STRLEN], b[SA_STRLEN];

	sa_print_addr(&l->addr, a, sizeof(a));
	sa_print_addr(&l->alt, b, sizeof(b));
	if (sa_family(&l->alt) != sa_family(&l->addr))
		return conf_fail(
		    ld, s,
		    "listen[%zu].alternate '%s' is %s but the address "
		    "'%s' is %s; RFC 5780 needs a second address of "
		    "the same family",
		    i, b, family_name(&l->alt), a, family_name(&l->addr));
	if (sa_equal_addr(&l->alt, &l->addr))
		return conf_fail(
		    ld, s,
		    "listen[%zu].alternate '%s' is the address itself; "
		    "RFC 5780 needs a second address",
		    i, b);
	if (conf_is_wildcard(&l->alt))
		return conf_fail(
		    ld, s,
		    "listen[%zu].alternate '%s' is a wildcard; RFC 5780 "
		    "clients are sent it in OTHER-ADDRESS, so it must "
		    "be a specific address",
		    i, b);
	if (conf_is_wildcard(&l->addr))
		return conf_fail(
		    ld, ld->lsrc[i].addr,
		    "listen[%zu].address '%s' is a wildcard, so it "
		    "cannot have an alternate; RFC 5780 needs the "
		    "specific address a client reached",
		    i, a);
	return 0;
}

static int check_alt_ports(struct loader *ld, size_t i)
{
	const struct ternd_config *c = ld->cfg;
	const config_setting_t *s = ld->lsrc[i].alt;
	const config_setting_t *ps = conf_src(ld, "ports.alternate");

	if (!c->udp_port)
		return conf_fail(
		    ld, s,
		    "listen[%zu].alternate needs UDP (RFC 5780 tests "
		    "run over UDP), but ports.udp = 0",
		    i);
	if (c->alt_port == c->udp_port)
		return conf_fail(
		    ld, ps ? ps : s,
		    "ports.alternate must differ from ports.udp (both "
		    "are %u): listen[%zu] has an alternate address and "
		    "RFC 5780 needs a second port",
		    c->udp_port, i);
	if (c->alt_port == c->dtls_port)
		return conf_fail(
		    ld, ps ? ps : s,
		    "ports.alternate and ports.dtls are both %u; two "
		    "UDP listeners cannot share a port",
		    c->alt_port);
	return 0;
}

/* Slot k of the bound addresses: entry k/2, its address or alternate. */
static const struct sa *slot(const struct ternd_config *c, size_t k)
{
	return k % 2 ? &c->listen[k / 2].alt : &c->listen[k / 2].addr;
}

static const config_setting_t *slot_src(const struct loader *ld, size_t k)
{
	if (!ld->lsrc)
		return NULL;
	return k % 2 ? ld->lsrc[k / 2].alt : ld->lsrc[k / 2].addr;
}

/* "listen[1].address '::1' (line 7)" */
static const char *slot_name(const struct loader *ld, size_t k, char *buf,
			     size_t size)
{
	const config_setting_t *s = slot_src(ld, k);
	char a[SA_STRLEN], line[32] = "";

	if (s)
		snprintf(line, sizeof(line), " (line %u)",
			 (unsigned)config_setting_source_line(s));
	snprintf(buf, size, "listen[%zu].%s '%s'%s", k / 2,
		 k % 2 ? "alternate" : "address",
		 sa_print_addr(slot(ld->cfg, k), a, sizeof(a)), line);
	return buf;
}

/* Two sockets on one address and port, or a wildcard and a specific address
 * of the same family, would both bind (SO_REUSEPORT) and split the traffic
 * between them at random. */
static int check_overlap(struct loader *ld, size_t i, size_t j)
{
	const struct sa *a = slot(ld->cfg, i), *b = slot(ld->cfg, j);
	char an[NAME_MAX_LEN + SA_STRLEN], bn[NAME_MAX_LEN + SA_STRLEN];

	if (!sa_is_set(a) || sa_family(a) != sa_family(b))
		return 0;
	slot_name(ld, i, an, sizeof(an));
	slot_name(ld, j, bn, sizeof(bn));
	if (sa_equal_addr(a, b))
		return conf_fail(ld, slot_src(ld, j), "%s repeats %s", bn, an);
	if (conf_is_wildcard(a) != conf_is_wildcard(b))
		return conf_fail(
		    ld, slot_src(ld, j),
		    "%s and %s overlap: a wildcard already listens on "
		    "every %s address",
		    bn, an, family_name(a));
	return 0;
}

static int check_listen(struct loader *ld)
{
	const struct ternd_config *c = ld->cfg;
	int rc = 0;

	if (!c->nlisten)
		return conf_fail(
		    ld, conf_src(ld, "listen"),
		    "listen is empty; give at least one entry such as "
		    "{ address = \"127.0.0.1\"; }, or remove listen to "
		    "use 127.0.0.1 and ::1");
	for (size_t i = 0; i < c->nlisten && !rc; i++) {
		if (!sa_is_set(&c->listen[i].alt))
			continue;
		rc = check_alt_addr(ld, i);
		if (!rc)
			rc = check_alt_ports(ld, i);
	}
	for (size_t j = 0; j < 2 * c->nlisten && !rc; j++) {
		if (!sa_is_set(slot(c, j)))
			continue;
		for (size_t i = 0; i < j && !rc; i++)
			rc = check_overlap(ld, i, j);
	}
	return rc;
}

/* ---- auth and relay across settings ------------------------------------- */

static int check_auth(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	bool redis = c->store == CFG_STORE_REDIS;

	if (redis && (c->nusers || c->nsecrets))
		return conf_fail(
		    ld, conf_src2(ld, "auth.users", "auth.secrets"),
		    "auth.%s is set, but auth.store = \"redis\" reads "
		    "credentials from Redis; remove it or set store = "
		    "\"config\"",
		    c->nusers ? "users" : "secrets");
	if (c->nusers && c->nsecrets)
		return conf_fail(
		    ld, conf_src(ld, "auth.secrets"),
		    "auth.users and auth.secrets are both set; ternd "
		    "checks either static users or TURN REST "
		    "credentials (secrets), not both");
	if (c->rest && !redis && !c->nsecrets)
		return conf_fail(
		    ld, conf_src(ld, "auth.rest"),
		    "auth.rest = true needs auth.secrets (or store = "
		    "\"redis\", which keeps the secrets in Redis)");
	c->rest = c->rest || c->nsecrets;
	c->turn = c->nusers || c->nsecrets || redis;
	if (c->turn && !c->realm)
		return conf_fail(
		    ld, conf_src(ld, "auth"),
		    "auth.realm is not set, but TURN is on (auth.%s); "
		    "set the realm clients authenticate in, e.g. "
		    "realm = \"example.org\";",
		    redis	? "store = \"redis\""
		    : c->nusers ? "users"
				: "secrets");
	return 0;
}

/* hiredis resolves names with a blocking call on every reconnect, which a
 * worker must not make: resolve once here. */
static int check_redis(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char host[SA_STRLEN];
	struct sa a;
	int e;

	if (c->store != CFG_STORE_REDIS || !c->redis_host ||
	    sa_set_str(&a, c->redis_host, 0) == 0)
		return 0;
	e = getaddrinfo(c->redis_host, NULL, &hints, &ai);
	if (e || !ai || sa_set_sockaddr(&a, ai->ai_addr, ai->ai_addrlen)) {
		if (ai)
			freeaddrinfo(ai);
		return conf_fail(ld, conf_src(ld, "redis.address"),
				 "redis.address '%s' does not resolve (%s)",
				 c->redis_host,
				 e ? gai_strerror(e) : "no address");
	}
	freeaddrinfo(ai);
	free(c->redis_host);
	c->redis_host = strdup(sa_print_addr(&a, host, sizeof(host)));
	return c->redis_host ? 0 : conf_nomem(ld);
}

/* relay.addresses = [ ]: the listen addresses relay too. */
static int relay_from_listen(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	char a[SA_STRLEN];

	c->relay_addrs = calloc(c->nlisten, sizeof(*c->relay_addrs));
	if (!c->relay_addrs)
		return conf_nomem(ld);
	for (size_t i = 0; i < c->nlisten; i++) {
		const struct sa *la = &c->listen[i].addr;

		if (conf_is_wildcard(la))
			return conf_fail(
			    ld, slot_src(ld, 2 * i),
			    "relay.addresses is empty, so the listen "
			    "addresses relay, but listen[%zu].address "
			    "'%s' is a wildcard; list the relay "
			    "addresses in relay.addresses",
			    i, sa_print_addr(la, a, sizeof(a)));
		c->relay_addrs[c->nrelay_addrs++] = *la;
	}
	return 0;
}

static int check_relay(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;

	if (c->relay_port_min > c->relay_port_max)
		return conf_fail(
		    ld, conf_src2(ld, "relay.port_max", "relay.port_min"),
		    "relay.port_min (%u) is above relay.port_max (%u)",
		    c->relay_port_min, c->relay_port_max);
	if (c->lifetime_s > c->max_lifetime_s)
		return conf_fail(
		    ld, conf_src2(ld, "relay.lifetime", "relay.max_lifetime"),
		    "relay.lifetime (%u s) is above relay.max_lifetime "
		    "(%u s)",
		    c->lifetime_s, c->max_lifetime_s);
	/* relays are opened by the workers long after the drop to `user`,
	 * which may not bind a port below 1024 */
	if (c->turn && c->run_user && c->relay_port_min < 1024)
		return conf_fail(
		    ld, conf_src2(ld, "relay.port_min", "user"),
		    "relay.port_min (%u) is below 1024, but ternd "
		    "drops privileges to user '%s' after binding its "
		    "listeners and opens relay ports later, which "
		    "that user cannot bind; use 1024 or above",
		    c->relay_port_min, c->run_user);
	if (!c->turn || c->nrelay_addrs)
		return 0;
	return relay_from_listen(ld);
}

/* "HOST[:PORT]" with HOST a name: resolve it. */
static int resolve(const char *text, struct sa *server)
{
	char host[256];
	const char *colon = strrchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : strlen(text);
	unsigned long port = 3478;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	int rc;

	if (!n || n >= sizeof(host))
		return EINVAL;
	if (colon) {
		char *end;

		port = strtoul(colon + 1, &end, 10);
		if (*end || !port || port > 65535)
			return EINVAL;
	}
	memcpy(host, text, n);
	host[n] = 0;
	if (getaddrinfo(host, NULL, &hints, &ai) || !ai)
		return ENOENT;
	rc = sa_set_sockaddr(server, ai->ai_addr, ai->ai_addrlen) ? ENOENT : 0;
	freeaddrinfo(ai);
	if (!rc)
		sa_set_port(server, (uint16_t)port);
	return rc;
}

/* relay.discover: "stun:HOST[:PORT]", "HOST[:PORT]" or "[V6][:PORT]"
 * (port 3478); a host name is resolved here. Returns 0, EINVAL or ENOENT. */
static int discover_parse(const char *text, struct sa *server)
{
	if (!text || !*text)
		return EINVAL;
	if (!strncmp(text, "stun:", 5))
		text += 5;
	if (!sa_parse(server, text, 3478))
		return sa_port(server) ? 0 : EINVAL;
	if (strchr(text, '[') || strchr(text, '/'))
		return EINVAL;
	return resolve(text, server);
}

/* Is a one of the addresses ternd binds (a wildcard listener binds them
 * all)? */
static bool binds(const struct ternd_config *c, const struct sa *a)
{
	for (size_t i = 0; i < c->nlisten; i++) {
		const struct cfg_listen *l = &c->listen[i];

		if (sa_equal_addr(&l->addr, a) ||
		    (sa_is_set(&l->alt) && sa_equal_addr(&l->alt, a)) ||
		    (conf_is_wildcard(&l->addr) &&
		     sa_family(&l->addr) == sa_family(a)))
			return true;
	}
	for (size_t i = 0; i < c->nrelay_addrs; i++)
		if (sa_equal_addr(&c->relay_addrs[i], a))
			return true;
	return false;
}

/* relay.advertise names addresses ternd binds: a typo there would leave
 * the private address announced without a word. */
static int check_advertise(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	char a[SA_STRLEN];

	if (c->discover && discover_parse(c->discover, &c->discover_server))
		return conf_fail(
		    ld, conf_src(ld, "relay.discover"),
		    "relay.discover '%s' is not \"stun:HOST[:PORT]\" "
		    "with a host that resolves",
		    c->discover);
	for (size_t i = 0; i < c->nadvertise; i++) {
		const struct sa *b = &c->advertise[i].bound;

		if (sa_is_set(b) && !binds(c, b))
			return conf_fail(
			    ld, conf_src(ld, "relay.advertise"),
			    "relay.advertise[%zu]: %s is neither a listen "
			    "nor a relay address; name the private address "
			    "ternd binds after the '/'",
			    i, sa_print_addr(b, a, sizeof(a)));
	}
	return 0;
}

/* drain.alternate_server: "ADDR:PORT", "[V6]:PORT" or a bare address
 * (port 3478); admin.address: a numeric address. */
static int check_lifecycle(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;

	if (c->alternate_server_str &&
	    sa_parse(&c->alternate_server, c->alternate_server_str, 3478))
		return conf_fail(
		    ld, conf_src(ld, "drain.alternate_server"),
		    "drain.alternate_server '%s' is not a numeric "
		    "address with an optional port (\"192.0.2.1:3478\", "
		    "\"[2001:db8::1]:3478\")",
		    c->alternate_server_str);
	if (c->alternate_server_str &&
	    (conf_is_wildcard(&c->alternate_server) ||
	     !sa_port(&c->alternate_server)))
		return conf_fail(ld, conf_src(ld, "drain.alternate_server"),
				 "drain.alternate_server '%s' must name one "
				 "address and a port other than 0",
				 c->alternate_server_str);
	if (!c->admin_port)
		return 0;
	if (!c->admin_host ||
	    sa_set_str(&c->admin_addr, c->admin_host, c->admin_port))
		return conf_fail(
		    ld, conf_src(ld, "admin.address"),
		    "admin.address '%s' is not a numeric IPv4 or IPv6 "
		    "address",
		    c->admin_host ? c->admin_host : "");
	return 0;
}

/* log.file replaces stderr; syslog has its own file. */
static int check_log(struct loader *ld)
{
	const struct ternd_config *c = ld->cfg;

	if (c->log_file && c->log_target == LOG_TO_SYSLOG)
		return conf_fail(
		    ld, conf_src2(ld, "log.file", "log.target"),
		    "log.file is set with log.target = \"syslog\": "
		    "choose one (log.file writes what would go to "
		    "stderr)");
	return 0;
}

/* 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104. */
static bool is_loopback(const struct sa *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	size_t n;
	const uint8_t *b = sa_addr_bytes(a, &n);

	if (n == 4)
		return b[0] == 127;
	return n == 16 && (memcmp(b, v6lo, 16) == 0 ||
			   (memcmp(b, mapped, 12) == 0 && b[12] == 127));
}

/* The first line of admin.token_file into admin_token. */
static int read_token_file(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	const char *name = "admin.token_file";
	char buf[ADMIN_TOKEN_MAX + 2];
	FILE *f = fopen(c->admin_token_file, "re");
	size_t n;

	if (!f)
		return conf_fail(ld, conf_src(ld, name),
				 "%s '%s' cannot be read: %s", name,
				 c->admin_token_file, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	c->admin_token = strdup(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (!c->admin_token)
		return conf_nomem(ld);
	if (!*c->admin_token)
		return conf_fail(ld, conf_src(ld, name),
				 "%s '%s' holds no token on its first line",
				 name, c->admin_token_file);
	return 0;
}

/* admin.token or admin.token_file (one of them): 16-ADMIN_TOKEN_MAX
 * visible ASCII characters, as they travel in an Authorization header. */
static int check_token(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	const char *name =
	    c->admin_token_file ? "admin.token_file" : "admin.token";
	size_t n, i;
	int rc;

	if (c->admin_token && c->admin_token_file)
		return conf_fail(ld, conf_src(ld, "admin.token_file"),
				 "admin.token and admin.token_file are both "
				 "set; keep one (the file keeps the token out "
				 "of this file)");
	if (c->admin_token_file && (rc = read_token_file(ld)))
		return rc;
	if (!c->admin_token)
		return 0;
	n = strlen(c->admin_token);
	for (i = 0; i < n && c->admin_token[i] > ' ' && c->admin_token[i] < 127;
	     i++)
		;
	if (n < 16 || n > ADMIN_TOKEN_MAX || i < n)
		return conf_fail(ld, conf_src(ld, name),
				 "%s: the token must be 16-%d visible ASCII "
				 "characters, no spaces (try: openssl rand "
				 "-hex 32)",
				 name, ADMIN_TOKEN_MAX);
	return 0;
}

/* A listener others can reach must ask for the token: without one,
 * anybody who reaches it could list and end sessions. */
static int check_admin(struct loader *ld)
{
	struct ternd_config *c = ld->cfg;
	int rc = check_token(ld);

	if (rc || !c->admin_port || c->admin_token ||
	    is_loopback(&c->admin_addr))
		return rc;
	return conf_fail(ld, conf_src(ld, "admin.address"),
			 "admin.address '%s' is not a loopback address, and "
			 "no admin.token_file (or admin.token) is set: "
			 "anyone who reaches it could list and end sessions; "
			 "set a token, or listen on 127.0.0.1 or ::1",
			 c->admin_host);
}

bool config_nat_warning(const struct ternd_config *cfg, char *buf, size_t size)
{
	size_t i;

	if (!cfg->turn || cfg->nadvertise || cfg->discover)
		return false;
	for (i = 0; i < cfg->nlisten; i++)
		if (!cidr_is_non_public(&cfg->listen[i].addr))
			return false;
	for (i = 0; i < cfg->nrelay_addrs; i++)
		if (!cidr_is_non_public(&cfg->relay_addrs[i]))
			return false;
	snprintf(buf, size,
		 "every listen and relay address is private or loopback and "
		 "relay.advertise is empty: clients outside this network "
		 "get relayed addresses they cannot reach. Behind 1:1 NAT "
		 "(AWS, GCP, Azure) set relay.advertise = [ "
		 "\"PUBLIC/PRIVATE\" ]");
	return true;
}

int conf_check_settings(struct loader *ld)
{
	int rc = check_log(ld);

	if (!rc)
		rc = check_ports(ld);

	if (!rc)
		rc = check_listen(ld);
	if (!rc)
		rc = check_auth(ld);
	if (!rc)
		rc = check_redis(ld);
	if (!rc)
		rc = check_relay(ld);
	if (!rc)
		rc = check_advertise(ld);
	if (!rc)
		rc = check_lifecycle(ld);
	if (!rc)
		rc = check_admin(ld);
	return rc;
}
