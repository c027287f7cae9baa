/*
 * sig_config.c — libFuzzer target for tern-signal's configuration loader
 * (src/signal/srv_conf.c, sig_conf_load).
 *
 * The loader reads a file, so every input is written to one file in a
 * private folder, /tmp/fuzz-sig-config.<pid>/tern-signal.conf, loaded from
 * there and removed again. Inputs that name "@include" or "secret_file"
 * (any case) are skipped: either would let an input read any file on the
 * machine; both are covered by tests/signal.
 *
 * Promises checked: a loaded configuration has a listen address with a
 * port, every limit in its range, TLS certificate and key both or neither,
 * the Redis secret source only with a realm and without turn.secret, lists
 * whose counts match their entries; a refused one says why, starting with
 * the file's name. Leaks are reported (libconfig's own 64-byte leak on some
 * syntax errors is suppressed, see fuzz.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signal/srv.h"
#include "fuzz.h"

FUZZ_SUPPRESS_LIBCONFIG_LEAKS()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], path[96];

static bool has(const uint8_t *d, size_t n, const char *w)
{
	size_t k = strlen(w);

	for (size_t i = 0; i + k <= n; i++)
		if (!strncasecmp((const char *)d + i, w, k))
			return true;
	return false;
}

static void promises(const struct sig_conf *c)
{
	CHECK(sa_port(&c->listen) != 0 && c->listen_text);
	CHECK(c->max_connections >= 1 && c->max_users >= 1);
	CHECK(c->max_message >= 256 && c->max_name >= 1);
	CHECK(c->rate >= 1 && c->burst >= 1 && c->idle_s >= 5);
	CHECK(c->max_output >= 4096 && c->ttl >= 60);
	CHECK(!c->tls_cert == !c->tls_key);
	CHECK(!c->redis_host || (c->realm && !c->secret));
	for (size_t i = 0; i < c->n_urls; i++)
		CHECK(c->urls[i] && c->urls[i][0]);
	for (size_t i = 0; i < c->n_api_keys; i++)
		CHECK(c->api_keys[i] && c->api_keys[i][0]);
	for (size_t i = 0; i < c->n_origins; i++)
		CHECK(c->origins[i] && c->origins[i][0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sig_conf *c = NULL;
	char err[1024];
	FILE *f;

	if (has(data, size, "@include") || has(data, size, "secret_file"))
		return 0;
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-sig-config.%d",
			 (int)getpid());
		mkdir(dir, 0700);
		snprintf(path, sizeof(path), "%s/tern-signal.conf", dir);
	}
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (sig_conf_load(&c, path, err, sizeof(err)) == 0) {
		promises(c);
		sig_conf_free(c);
	} else {
		CHECK(!strncmp(err, path, strlen(path)));
	}
	unlink(path);
	return 0;
}
