/*
 * config_load.c — libFuzzer target for ternd's configuration loader.
 *
 * config_load reads a file, so every input is written to one file in a
 * private folder, /tmp/fuzz-config-load.<pid>/ternd.conf, loaded from there
 * and removed again. A loaded configuration is held to the
 * promises conf.h makes, then freed; a refused one must say why.
 *
 * Kept deterministic and fast:
 *  - @include: libconfig's include folder is the file's folder, and
 *    "../" climbs out of it, so an input could read any file on the
 *    machine (or include itself until libconfig's depth limit). Inputs that
 *    contain "@include" (any case) are skipped; include handling is
 *    covered by tests/unit/relay.
 *  - redis.address: the loader resolves a host name with getaddrinfo. The
 *    target defines its own getaddrinfo/freeaddrinfo (they take the place
 *    of libc's and ASan's weak ones): "localhost" is 127.0.0.1, every other
 *    name does not resolve. No DNS query leaves the process.
 *  - TLS: with ports.tls or ports.dtls non-zero the loader opens the
 *    certificate files, which do not exist in the private folder; such
 *    inputs fail there, and the fuzzer finds "tls = 0; dtls = 0;" itself.
 *  - Leaks: libconfig 1.5 leaks 64 bytes on some syntax errors (a libconfig
 *    bug); leaks whose stack holds libconfig.so are suppressed, all others
 *    are reported.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay/conf.h"
#include "fuzz.h"

FUZZ_SUPPRESS_LIBCONFIG_LEAKS()

/* ---- name resolution without the network --------------------------------- */

struct fake_ai {
	struct addrinfo ai;
	struct sockaddr_in sin;
};

int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res)
{
	struct fake_ai *f;

	(void)service;
	*res = NULL;
	if (!node || strcmp(node, "localhost") != 0 ||
	    (hints && hints->ai_family == AF_INET6))
		return EAI_NONAME;
	f = calloc(1, sizeof(*f));
	if (!f)
		return EAI_MEMORY;
	f->sin.sin_family = AF_INET;
	f->sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->ai.ai_family = AF_INET;
	f->ai.ai_socktype = hints ? hints->ai_socktype : 0;
	f->ai.ai_addr = (struct sockaddr *)&f->sin;
	f->ai.ai_addrlen = sizeof(f->sin);
	*res = &f->ai;
	return 0;
}

void freeaddrinfo(struct addrinfo *ai)
{
	while (ai) {
		struct addrinfo *next = ai->ai_next;

		free(ai); /* ai is the start of its struct fake_ai */
		ai = next;
	}
}

/* ---- the file ------------------------------------------------------------ */

/* /tmp/fuzz-config-load.<pid>/ternd.conf: the same path for every input of
 * a process. The folder exists only while an input loads (libFuzzer ends
 * with _Exit, so nothing made at start would be removed at the end). */
static char dir[64], path[96];

static void make_dir(void)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0)
		return;
	/* left by an earlier process with this pid that crashed */
	CHECK(errno == EEXIST && lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	      st.st_uid == geteuid());
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/fuzz-config-load.%ld", (long)getpid());
	snprintf(path, sizeof(path), "%s/ternd.conf", dir);
	return 0;
}

static bool has_include(const uint8_t *data, size_t size)
{
	static const char word[] = "@include";
	const size_t n = sizeof(word) - 1;

	for (size_t i = 0; i + n <= size; i++)
		if (data[i] == '@' &&
		    strncasecmp((const char *)data + i, word, n) == 0)
			return true;
	return false;
}

static bool all_hex(const char *s)
{
	return s[strspn(s, "0123456789abcdefABCDEF")] == '\0';
}

/* What conf.h promises of a loaded configuration. */
static void check_config(const struct ternd_config *c)
{
	struct sa a;

	CHECK(c->path && strcmp(c->path, path) == 0);
	CHECK(c->workers >= 1 && c->workers <= 256);
	CHECK(c->nlisten >= 1 && c->listen);
	for (size_t i = 0; i < c->nlisten; i++)
		CHECK(sa_is_set(&c->listen[i].addr));
	if (!c->tls_port && !c->dtls_port)
		CHECK(!c->tls_cert && !c->tls_key);
	else
		CHECK(c->tls_cert && c->tls_key);
	CHECK(c->relay_port_min >= 1 && c->relay_port_min <= c->relay_port_max);
	CHECK(c->lifetime_s <= c->max_lifetime_s);
	CHECK(c->nonce_secret_len <= CFG_NONCE_SECRET_MAX);
	CHECK(c->store == CFG_STORE_CONFIG || c->store == CFG_STORE_REDIS);
	CHECK(c->turn ==
	      (c->nusers || c->nsecrets || c->store == CFG_STORE_REDIS));
	if (c->turn) {
		CHECK(c->realm);
		CHECK(c->nrelay_addrs >= 1 && c->relay_addrs);
	}
	if (c->nsecrets)
		CHECK(c->rest && c->secrets);
	if (c->store == CFG_STORE_REDIS) {
		CHECK(!c->nusers && !c->nsecrets);
		if (c->redis_host) /* names are resolved at load */
			CHECK(sa_set_str(&a, c->redis_host, 0) == 0);
	}
	for (size_t i = 0; i < c->nusers; i++) {
		const struct cfg_user *u = &c->users[i];

		CHECK(u->name && *u->name);
		CHECK(!u->password != !u->key);
		if (u->key)
			CHECK(all_hex(u->key) &&
			      (strlen(u->key) == 32 || strlen(u->key) == 64));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(c->users[j].name, u->name) != 0);
	}
	for (size_t i = 0; i < c->nsecrets; i++)
		CHECK(c->secrets[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ternd_config *cfg = NULL;
	char err[512];
	FILE *f;
	int rc;

	if (has_include(data, size))
		return -1; /* not added to the corpus; see the top */
	make_dir();
	f = fopen(path, "w");
	CHECK(f);
	CHECK(fwrite(data, 1, size, f) == size);
	CHECK(fclose(f) == 0);

	memset(err, 'x', sizeof(err));
	rc = config_load(&cfg, path, err, sizeof(err));
	unlink(path);
	rmdir(dir);
	CHECK(memchr(err, '\0', sizeof(err)));
	if (rc) {
		CHECK(rc == EINVAL || rc == ENOENT || rc == ENOMEM);
		CHECK(!cfg);
		CHECK(err[0] != '\0');
		return 0;
	}
	CHECK(cfg);
	check_config(cfg);
	config_free(cfg);
	return 0;
}
