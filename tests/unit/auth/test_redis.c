/*
 * test_redis.c — the Redis credential store against a real redis-server.
 *
 * Each test starts its own redis-server on a free loopback port with a
 * private temporary directory (never the system one), writes coturn's keys
 * with a synchronous hiredis context (the test may block; the store never
 * does), and drives an event_base until the store answers, with a bound.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/redis.h"
#include "base/clock.h"

#define REALM "example.org"

struct answer {
	unsigned calls;
	int err;
	size_t n;
	struct auth_key k[AUTH_MAX_KEYS];
};

static struct {
	pid_t pid;
	uint16_t port;
	char dir[64];
	const char *extra[4]; /* more redis-server arguments */
	struct event_base *base;
	struct auth_redis *r;
	struct auth_store s;
	redisAsyncContext *sub; /* PSUBSCRIBEd on t.base (status tests) */
} t;

static void done(void *arg, int err, const struct auth_key *keys, size_t n)
{
	struct answer *a = arg;

	a->calls++;
	a->err = err;
	a->n = n;
	if (n)
		memcpy(a->k, keys, n * sizeof(*keys));
}

/* ---- redis-server --------------------------------------------------- */

/* A free port below the ephemeral range (32768 up on Linux): a port the
 * kernel picked for us could be handed out again as the source port of a
 * client connection before redis-server binds it. */
static uint16_t free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned i, seed = (unsigned)getpid() * 7919u + (unsigned)time(NULL);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 200; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		uint16_t port =
		    (uint16_t)(20000 + (seed + i * 104729u) % 12000);
		int ok;

		cr_assert(fd >= 0);
		sin.sin_port = htons(port);
		ok = !bind(fd, (struct sockaddr *)&sin, sizeof(sin));
		close(fd);
		if (ok)
			return port;
	}
	cr_assert_fail("no free port");
	return 0;
}

static redisContext *sync_ctx(void)
{
	struct timeval tv = { 1, 0 };

	return redisConnectWithTimeout("127.0.0.1", t.port, tv);
}

/* Run one command (argv form: any bytes) on a fresh blocking context. */
static void cmd(int argc, const char **argv, const size_t *len)
{
	redisContext *c = sync_ctx();
	redisReply *rep;

	cr_assert(c && !c->err, "redis-server is up");
	if (t.extra[0] && !strcmp(t.extra[0], "--requirepass"))
		freeReplyObject(redisCommand(c, "AUTH %s", t.extra[1]));
	rep = redisCommandArgv(c, argc, argv, len);
	cr_assert(rep && rep->type != REDIS_REPLY_ERROR, "command ok");
	freeReplyObject(rep);
	redisFree(c);
}

static void set_bin(const char *key, size_t klen, const char *val)
{
	const char *argv[3] = { "SET", key, val };
	size_t len[3] = { 3, klen, strlen(val) };

	cmd(3, argv, len);
}

static void set(const char *key, const char *val)
{
	set_bin(key, strlen(key), val);
}

static bool redis_up(void)
{
	redisContext *c = sync_ctx();
	redisReply *rep = NULL;
	bool up;

	if (c && !c->err)
		rep = redisCommand(c, "PING");
	up = rep != NULL;
	freeReplyObject(rep);
	redisFree(c);
	return up;
}

static void redis_start(void)
{
	char port[8];
	uint64_t end = clock_mono_ms() + 5000;

	snprintf(port, sizeof(port), "%u", t.port);
	t.pid = fork();
	cr_assert(t.pid >= 0);
	if (t.pid == 0) {
		/* Dies with the test process, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (!freopen("/dev/null", "w", stdout) ||
		    !freopen("/dev/null", "w", stderr))
			_exit(127);
		execlp("redis-server", "redis-server", "--port", port, "--bind",
		       "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
		       t.dir, t.extra[0], t.extra[1], (char *)NULL);
		_exit(127);
	}
	while (!redis_up() && clock_mono_ms() < end) {
		cr_assert_eq(waitpid(t.pid, NULL, WNOHANG), 0,
			     "redis-server exited (port %u taken?)", t.port);
		usleep(20000);
	}
	cr_assert(redis_up(), "redis-server started on port %u", t.port);
}

static void redis_kill(void)
{
	if (t.pid <= 0)
		return;
	kill(t.pid, SIGCONT);
	kill(t.pid, SIGKILL);
	waitpid(t.pid, NULL, 0);
	t.pid = 0;
}

/* ---- the store ------------------------------------------------------ */

/* Drive the loop until a->calls reaches want or ms pass. The loop blocks
 * in slices of 10 ms, so the test itself does not spin. */
static void wait_calls(const struct answer *a, unsigned want, unsigned ms)
{
	uint64_t end = clock_mono_ms() + ms;
	struct timeval tv = { 0, 10000 };

	while (a->calls < want && clock_mono_ms() < end) {
		event_base_loopexit(t.base, &tv);
		event_base_dispatch(t.base);
	}
}

static bool wait_connected(unsigned ms)
{
	uint64_t end = clock_mono_ms() + ms;
	struct timeval tv = { 0, 10000 };

	while (!auth_redis_connected(t.r) && clock_mono_ms() < end) {
		event_base_loopexit(t.base, &tv);
		event_base_dispatch(t.base);
	}
	return auth_redis_connected(t.r);
}

static void test_cfg(struct auth_redis_cfg *cfg)
{
	auth_redis_cfg_defaults(cfg);
	cfg->port = t.port;
	cfg->command_timeout_ms = 300;
	cfg->backoff_min_ms = 50;
	cfg->backoff_max_ms = 400;
}

static void store_open(const struct auth_redis_cfg *cfg)
{
	cr_assert_eq(auth_redis_alloc(&t.r, t.base, cfg), 0);
	t.s = auth_redis_store(t.r);
}

static void setup(void)
{
	if (system("command -v redis-server >/dev/null 2>&1"))
		cr_skip_test("redis-server is not installed");
	/* As ternd does: a write to a Redis that just died is EPIPE, not a
	 * signal. */
	signal(SIGPIPE, SIG_IGN);
	memset(&t, 0, sizeof(t));
	strcpy(t.dir, "/tmp/tern-redis-XXXXXX");
	cr_assert(mkdtemp(t.dir));
	t.port = free_port();
	t.base = event_base_new();
	cr_assert(t.base);
}

/* The default fixture: redis-server up, a connected store. */
static void setup_up(void)
{
	struct auth_redis_cfg cfg;

	setup();
	redis_start();
	test_cfg(&cfg);
	store_open(&cfg);
	cr_assert(wait_connected(2000), "store connected");
}

static void teardown(void)
{
	char rm[96];

	auth_redis_free(t.r);
	t.r = NULL;
	if (t.sub)
		redisAsyncFree(t.sub);
	t.sub = NULL;
	if (t.base)
		event_base_free(t.base);
	redis_kill();
	snprintf(rm, sizeof(rm), "rm -rf '%s'", t.dir);
	if (t.dir[0] && system(rm))
		fprintf(stderr, "could not remove %s\n", t.dir);
}

TestSuite(redis, .init = setup_up, .fini = teardown, .timeout = 30);
TestSuite(redis_down, .init = setup, .fini = teardown, .timeout = 30);

static void ask_bin(struct answer *a, const char *realm, size_t rlen,
		    const char *user, size_t ulen, uint16_t alg, bool rest)
{
	struct auth_query q = { realm, rlen, user, ulen, alg, rest };

	memset(a, 0, sizeof(*a));
	t.s.lookup(t.s.ctx, &q, done, a);
}

/* Look up and wait for the answer; it must come exactly once. */
static void ask(struct answer *a, const char *user, uint16_t alg, bool rest)
{
	ask_bin(a, REALM, strlen(REALM), user, strlen(user), alg, rest);
	wait_calls(a, 1, 2000);
	cr_assert_eq(a->calls, 1, "answered exactly once");
}

static void hex(char *out, const struct auth_key *k)
{
	size_t i;

	for (i = 0; i < k->len; i++)
		sprintf(out + 2 * i, "%02x", k->k[i]);
}

static void derive(struct auth_key *k, uint16_t alg, const char *user,
		   size_t ulen, const char *pw)
{
	cr_assert_eq(auth_key_derive(k, alg, user, ulen, REALM, strlen(REALM),
				     (const uint8_t *)pw, strlen(pw)),
		     0);
}

static void user_key_path(char *out, const char *user)
{
	sprintf(out, "turn/realm/%s/user/%s/key", REALM, user);
}

static struct auth_redis_stats stats(void)
{
	struct auth_redis_stats st;

	auth_redis_stats(t.r, &st);
	return st;
}

/* ---- coturn's layout ------------------------------------------------ */

Test(redis, user_key_then_cache_hit)
{
	struct auth_key k;
	struct answer a;
	char path[128], h[65] = "";

	derive(&k, AUTH_ALG_MD5, "alice", 5, "pw");
	hex(h, &k);
	user_key_path(path, "alice");
	set(path, h);
	ask(&a, "alice", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, 0);
	cr_assert_eq(a.n, 1);
	cr_assert(auth_key_equal(&a.k[0], &k));
	cr_assert_eq(stats().misses, 1);
	/* The second lookup is answered from the cache, before it returns. */
	ask_bin(&a, REALM, strlen(REALM), "alice", 5, AUTH_ALG_MD5, false);
	cr_assert_eq(a.calls, 1, "a cache hit answers synchronously");
	cr_assert(auth_key_equal(&a.k[0], &k));
	cr_assert_eq(stats().cache_hits, 1);
	cr_assert_eq(stats().misses, 1);
	cr_assert_eq(stats().lookups, 2);
}

Test(redis, hex_key_with_0x_prefix)
{
	struct auth_key k;
	struct answer a;
	char path[128], h[70] = "0x";

	derive(&k, AUTH_ALG_MD5, "carol", 5, "pw");
	hex(h + 2, &k);
	user_key_path(path, "carol");
	set(path, h);
	ask(&a, "carol", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, 0);
	cr_assert(auth_key_equal(&a.k[0], &k));
}

Test(redis, unknown_user_is_enoent_and_negatively_cached)
{
	struct answer a;

	ask(&a, "mallory", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, ENOENT);
	cr_assert_eq(a.n, 0);
	ask_bin(&a, REALM, strlen(REALM), "mallory", 7, AUTH_ALG_MD5, false);
	cr_assert_eq(a.calls, 1, "negative cache answers synchronously");
	cr_assert_eq(a.err, ENOENT);
	cr_assert_eq(stats().cache_hits, 1);
	cr_assert_eq(stats().errors, 0);
}

Test(redis, plaintext_password_fallback_derives_both_algorithms)
{
	struct auth_key md5, sha;
	struct answer a;
	char path[128];

	sprintf(path, "turn/realm/%s/user/bob/password", REALM);
	set(path, "hunter2");
	derive(&md5, AUTH_ALG_MD5, "bob", 3, "hunter2");
	derive(&sha, AUTH_ALG_SHA256, "bob", 3, "hunter2");
	ask(&a, "bob", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, 0);
	cr_assert(auth_key_equal(&a.k[0], &md5));
	ask(&a, "bob", AUTH_ALG_SHA256, false);
	cr_assert_eq(a.err, 0);
	cr_assert_eq(a.k[0].len, 32);
	cr_assert(auth_key_equal(&a.k[0], &sha));
}

Test(redis, sha256_key_matched_by_length)
{
	struct auth_key k;
	struct answer a;
	char path[128], h[65] = "";

	derive(&k, AUTH_ALG_SHA256, "dave", 4, "pw");
	hex(h, &k);
	cr_assert_eq(strlen(h), 64);
	user_key_path(path, "dave");
	set(path, h);
	ask(&a, "dave", AUTH_ALG_SHA256, false);
	cr_assert_eq(a.err, 0);
	cr_assert(auth_key_equal(&a.k[0], &k));
	/* One stored key, for SHA-256 only, and no password to derive from. */
	ask(&a, "dave", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, ENOENT);
}

/* turnadmin -a sets the key and leaves an older plaintext password: the
 * key is the credential, the password a leftover that must not let a
 * SHA-256 client in (with what may be the old password). */
Test(redis, key_for_other_alg_ignores_a_leftover_password)
{
	struct auth_key md5;
	struct answer a;
	char path[128], h[65] = "";

	derive(&md5, AUTH_ALG_MD5, "erin", 4, "new-pw");
	hex(h, &md5);
	user_key_path(path, "erin");
	set(path, h);
	sprintf(path, "turn/realm/%s/user/erin/password", REALM);
	set(path, "old-pw");
	ask(&a, "erin", AUTH_ALG_SHA256, false);
	cr_assert_eq(a.err, ENOENT);
	ask(&a, "erin", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, 0);
	cr_assert(auth_key_equal(&a.k[0], &md5));
}

Test(redis, rest_secrets_one_key_each)
{
	const char *name = "1700000000:frank";
	const char *secrets[] = { "s3cret-one", "s3cret-two" };
	const char *argv[4] = { "SADD", "turn/realm/" REALM "/secret",
				secrets[0], secrets[1] };
	size_t len[4], i, j;
	struct answer a;

	for (i = 0; i < 4; i++)
		len[i] = strlen(argv[i]);
	cmd(4, argv, len);
	ask(&a, name, AUTH_ALG_MD5, true);
	cr_assert_eq(a.err, 0);
	cr_assert_eq(a.n, 2);
	for (i = 0; i < 2; i++) {
		struct auth_key k;
		bool found = false;

		cr_assert_eq(auth_rest_key(&k, AUTH_ALG_MD5,
					   (const uint8_t *)secrets[i],
					   strlen(secrets[i]), name,
					   strlen(name), REALM, strlen(REALM)),
			     0);
		for (j = 0; j < a.n; j++)
			found |= auth_key_equal(&k, &a.k[j]);
		cr_assert(found, "a key for secret %zu", i);
	}
	ask_bin(&a, "other.realm", 11, name, strlen(name), AUTH_ALG_MD5, true);
	wait_calls(&a, 1, 2000);
	cr_assert_eq(a.err, ENOENT, "a realm without secrets");
}

/* ---- hostile names: argv, never a format string --------------------- */

static void literal_user(const char *user, size_t ulen)
{
	char path[256];
	size_t n = (size_t)sprintf(path, "turn/realm/%s/user/", REALM);
	struct auth_key k;
	struct answer a;
	char h[65] = "";

	memcpy(path + n, user, ulen);
	memcpy(path + n + ulen, "/key", 4);
	derive(&k, AUTH_ALG_MD5, user, ulen, "pw");
	hex(h, &k);
	set_bin(path, n + ulen + 4, h);
	ask_bin(&a, REALM, strlen(REALM), user, ulen, AUTH_ALG_MD5, false);
	wait_calls(&a, 1, 2000);
	cr_assert_eq(a.calls, 1);
	cr_assert_eq(a.err, 0, "user of %zu bytes found literally", ulen);
	cr_assert(auth_key_equal(&a.k[0], &k));
}

Test(redis, format_and_crlf_usernames_are_literal)
{
	static const char nul[] = "nul\0byte";
	struct answer a;

	set("canary", "alive");
	literal_user("%s%s%n", 6);
	literal_user("%x %p %%", 8);
	literal_user("a b\r\nDEL canary\r\n", 17);
	literal_user("*1\r\n$8\r\nFLUSHALL\r\n", 18);
	literal_user("line\nfeed", 9);
	literal_user(nul, sizeof(nul) - 1);
	/* Nothing was injected: the canary is still there. */
	ask(&a, "never-set", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, ENOENT);
	{
		redisContext *c = sync_ctx();
		redisReply *rep = redisCommand(c, "GET canary");

		cr_assert(rep && rep->type == REDIS_REPLY_STRING);
		cr_assert_str_eq(rep->str, "alive");
		freeReplyObject(rep);
		redisFree(c);
	}
	cr_assert(auth_redis_connected(t.r), "protocol still in sync");
}

Test(redis, absurd_lengths_refused_without_a_round_trip)
{
	static char big[AUTH_REDIS_NAME_MAX + 1];
	struct answer a;

	memset(big, 'a', sizeof(big));
	ask_bin(&a, REALM, strlen(REALM), big, sizeof(big), AUTH_ALG_MD5,
		false);
	cr_assert_eq(a.calls, 1);
	cr_assert_eq(a.err, ENOENT);
	ask_bin(&a, big, sizeof(big), "alice", 5, AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, ENOENT);
	ask_bin(&a, REALM, strlen(REALM), "", 0, AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, ENOENT);
	ask_bin(&a, REALM, strlen(REALM), "alice", 5, 3, false);
	cr_assert_eq(a.calls, 1);
	cr_assert_eq(a.err, ENOENT, "an algorithm no key can be for");
	cr_assert_eq(stats().misses, 0);
	/* The longest allowed name does go to Redis. */
	ask_bin(&a, REALM, strlen(REALM), big, AUTH_REDIS_NAME_MAX,
		AUTH_ALG_MD5, false);
	wait_calls(&a, 1, 2000);
	cr_assert_eq(a.err, ENOENT);
	cr_assert_eq(stats().misses, 1);
}

/* ---- the cache is bounded in time and size -------------------------- */

Test(redis_down, cache_ttl_bounds_a_deleted_user)
{
	struct auth_redis_cfg cfg;
	struct answer a;
	char path[128];

	redis_start();
	test_cfg(&cfg);
	cfg.cache_ttl_s = 1;
	store_open(&cfg);
	cr_assert(wait_connected(2000));
	sprintf(path, "turn/realm/%s/user/gone/password", REALM);
	set(path, "pw");
	ask(&a, "gone", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, 0);
	{
		const char *argv[2] = { "DEL", path };
		size_t len[2] = { 3, strlen(path) };

		cmd(2, argv, len);
	}
	ask(&a, "gone", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, 0, "still cached");
	usleep(1100 * 1000);
	ask(&a, "gone", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, ENOENT, "expired from the cache");
}

Test(redis_down, cache_disabled_and_capped)
{
	struct auth_redis_cfg cfg;
	struct answer a;

	redis_start();
	test_cfg(&cfg);
	cfg.cache_max = 2;
	store_open(&cfg);
	cr_assert(wait_connected(2000));
	ask(&a, "u1", AUTH_ALG_MD5, false);
	ask(&a, "u2", AUTH_ALG_MD5, false);
	ask(&a, "u3", AUTH_ALG_MD5, false); /* evicts u1 */
	ask(&a, "u3", AUTH_ALG_MD5, false);
	ask(&a, "u1", AUTH_ALG_MD5, false);
	cr_assert_eq(stats().cache_hits, 1);
	cr_assert_eq(stats().misses, 4);
	auth_redis_free(t.r);

	test_cfg(&cfg);
	cfg.cache_ttl_s = 0;
	cfg.neg_ttl_s = 0;
	store_open(&cfg);
	cr_assert(wait_connected(2000));
	ask(&a, "u1", AUTH_ALG_MD5, false);
	ask(&a, "u1", AUTH_ALG_MD5, false);
	cr_assert_eq(stats().cache_hits, 0);
	cr_assert_eq(stats().misses, 2);
}

/* ---- Redis down, stuck, back ---------------------------------------- */

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

Test(redis, killed_then_restarted)
{
	struct answer pend[3], a;
	uint64_t t0;
	double cpu;
	size_t i;

	/* Lookups queued in hiredis when the server dies. */
	for (i = 0; i < 3; i++)
		ask_bin(&pend[i], REALM, strlen(REALM), "alice", 5,
			AUTH_ALG_MD5, false);
	redis_kill();
	t0 = clock_mono_ms();
	for (i = 0; i < 3; i++) {
		wait_calls(&pend[i], 1, 2000);
		cr_assert_eq(pend[i].calls, 1);
		cr_assert_eq(pend[i].err, EAGAIN);
	}
	cr_assert_lt(clock_mono_ms() - t0, 1000, "answered promptly");
	/* New lookups: EAGAIN at once, nothing queued. */
	ask_bin(&a, REALM, strlen(REALM), "alice", 5, AUTH_ALG_MD5, false);
	cr_assert_eq(a.calls, 1);
	cr_assert_eq(a.err, EAGAIN);
	cr_assert(!auth_redis_connected(t.r));
	/* A second of a dead Redis: a few backoff timers, no spinning. */
	cpu = cpu_s();
	wait_calls(&a, 2, 1000);
	cr_assert_lt(cpu_s() - cpu, 0.3, "the loop did not spin");
	cr_assert_leq(stats().reconnects, 8, "backoff, not a retry storm");
	cr_assert_geq(stats().reconnects, 1, "it does retry");
	cr_assert_eq(stats().errors, 4);

	redis_start(); /* same port */
	cr_assert(wait_connected(1500), "back within the backoff");
	ask(&a, "nobody", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, ENOENT);
}

Test(redis, stuck_server_times_out)
{
	struct answer a;
	uint64_t t0;

	kill(t.pid, SIGSTOP);
	t0 = clock_mono_ms();
	ask(&a, "alice", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, EAGAIN);
	cr_assert_geq(clock_mono_ms() - t0, 250);
	cr_assert_lt(clock_mono_ms() - t0, 1000, "within the command timeout");
	cr_assert(!auth_redis_connected(t.r));
	kill(t.pid, SIGCONT);
	cr_assert(wait_connected(2000), "reconnects after the stall");
	ask(&a, "alice", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, ENOENT);
}

static void free_with_pending(bool flushed)
{
	struct answer a[5];
	size_t i;

	for (i = 0; i < 5; i++)
		ask_bin(&a[i], REALM, strlen(REALM), i % 2 ? "x" : "y", 1,
			AUTH_ALG_MD5, i == 4);
	if (flushed) {
		/* Commands written, replies not read: Redis is stopped. */
		kill(t.pid, SIGSTOP);
		wait_calls(&a[0], 1, 50);
	}
	for (i = 0; i < 5; i++)
		cr_assert_eq(a[i].calls, 0);
	auth_redis_free(t.r);
	t.r = NULL;
	for (i = 0; i < 5; i++) {
		cr_assert_eq(a[i].calls, 1, "lookup %zu answered once", i);
		cr_assert_eq(a[i].err, EAGAIN);
	}
	/* Nothing fires later for a freed store. */
	wait_calls(&a[0], 2, 100);
	cr_assert_eq(a[0].calls, 1);
	kill(t.pid, SIGCONT);
}

Test(redis, free_answers_pending_once)
{
	free_with_pending(false);
}

Test(redis, free_answers_sent_lookups_once)
{
	free_with_pending(true);
}

/* ---- AUTH, SELECT, and refused configurations ----------------------- */

Test(redis_down, auth_and_select)
{
	struct auth_redis_cfg cfg;
	struct answer a;
	const char *argv[] = { "SELECT", "3" };
	size_t len[] = { 6, 1 };
	char path[128];
	redisContext *c;
	redisReply *rep;

	t.extra[0] = "--requirepass";
	t.extra[1] = "pa55";
	redis_start();
	c = sync_ctx();
	freeReplyObject(redisCommand(c, "AUTH pa55"));
	freeReplyObject(redisCommandArgv(c, 2, argv, len));
	sprintf(path, "turn/realm/%s/user/zed/password", REALM);
	rep = redisCommand(c, "SET %s %s", path, "pw");
	cr_assert(rep && rep->type == REDIS_REPLY_STATUS);
	freeReplyObject(rep);
	redisFree(c);

	test_cfg(&cfg);
	cfg.password = "wrong";
	store_open(&cfg);
	cr_assert(!wait_connected(300), "a wrong password never connects");
	ask(&a, "zed", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, EAGAIN);
	auth_redis_free(t.r);

	cfg.password = "pa55";
	cfg.db = 3;
	store_open(&cfg);
	cr_assert(wait_connected(2000));
	ask(&a, "zed", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, 0, "found in db 3");
}

Test(redis_down, never_up_answers_eagain_and_backs_off)
{
	struct auth_redis_cfg cfg;
	struct answer a;

	test_cfg(&cfg); /* nothing listens on t.port */
	store_open(&cfg);
	ask_bin(&a, REALM, strlen(REALM), "alice", 5, AUTH_ALG_MD5, false);
	cr_assert_eq(a.calls, 1);
	cr_assert_eq(a.err, EAGAIN);
	wait_calls(&a, 2, 600);
	cr_assert(!auth_redis_connected(t.r));
	cr_assert_leq(stats().reconnects, 6);
	redis_start();
	cr_assert(wait_connected(1500), "connects once Redis appears");
}

Test(redis_down, bad_configurations)
{
	struct auth_redis_cfg cfg;
	struct auth_redis *r = NULL;

	auth_redis_free(NULL);
	auth_redis_cfg_defaults(&cfg);
	cfg.host = "localhost"; /* would need a blocking resolver */
	cr_assert_eq(auth_redis_alloc(&r, t.base, &cfg), EINVAL);
	cfg.host = NULL;
	cr_assert_eq(auth_redis_alloc(&r, t.base, &cfg), EINVAL);
	auth_redis_cfg_defaults(&cfg);
	cfg.command_timeout_ms = 0;
	cr_assert_eq(auth_redis_alloc(&r, t.base, &cfg), EINVAL);
	auth_redis_cfg_defaults(&cfg);
	cfg.backoff_max_ms = 1;
	cr_assert_eq(auth_redis_alloc(&r, t.base, &cfg), EINVAL);
	cr_assert_eq(auth_redis_alloc(&r, NULL, &cfg), EINVAL);
	cr_assert_null(r, "*rp untouched on failure");
	auth_redis_cfg_defaults(&cfg);
	cfg.host = "::1";
	cr_assert_eq(auth_redis_alloc(&r, t.base, &cfg), 0);
	auth_redis_free(r);
}

Test(redis_down, unix_socket)
{
	struct auth_redis_cfg cfg;
	struct answer a;
	char sock[96];

	snprintf(sock, sizeof(sock), "%s/redis.sock", t.dir);
	t.extra[0] = "--unixsocket";
	t.extra[1] = sock;
	redis_start();
	test_cfg(&cfg);
	cfg.host = NULL;
	cfg.unix_path = sock;
	store_open(&cfg);
	cr_assert(wait_connected(2000));
	ask(&a, "nobody", AUTH_ALG_MD5, false);
	cr_assert_eq(a.err, ENOENT);
}

/* ---- allocation status, coturn 4.6's keys and messages ---------------- */

/* What the subscriber saw: channel and payload of each pmessage, as bytes
 * (a USERNAME may hold any). */
#define SUB_MAX 32
static struct {
	bool ready; /* PSUBSCRIBE confirmed */
	unsigned n;
	char chan[SUB_MAX][1200];
	size_t clen[SUB_MAX];
	char msg[SUB_MAX][400];
} seen;

static void on_sub(redisAsyncContext *ac, void *reply, void *privdata)
{
	const redisReply *r = reply;
	const redisReply *c, *m;

	(void)ac;
	(void)privdata;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3)
		return;
	if (!strcmp(r->element[0]->str, "psubscribe")) {
		seen.ready = true;
		return;
	}
	if (r->elements != 4 || seen.n == SUB_MAX)
		return;
	c = r->element[2];
	m = r->element[3];
	cr_assert(c->len < sizeof(seen.chan[0]) &&
		  m->len < sizeof(seen.msg[0]));
	memcpy(seen.chan[seen.n], c->str, c->len);
	seen.clen[seen.n] = c->len;
	memcpy(seen.msg[seen.n], m->str, m->len);
	seen.msg[seen.n][m->len] = '\0';
	seen.n++;
}

/* hiredis frees a context whose server went away: forget it. */
static void on_sub_gone(const redisAsyncContext *ac, int status)
{
	(void)status;
	if (ac == t.sub)
		t.sub = NULL;
}

static void on_sub_connect(const redisAsyncContext *ac, int status)
{
	if (status != REDIS_OK)
		on_sub_gone(ac, status);
}

/* Drive the loop in 10 ms slices until *n reaches want or ms pass. */
static void pump(const unsigned *n, unsigned want, unsigned ms)
{
	uint64_t end = clock_mono_ms() + ms;
	struct timeval tv = { 0, 10000 };

	while (*n < want && clock_mono_ms() < end) {
		event_base_loopexit(t.base, &tv);
		event_base_dispatch(t.base);
	}
}

/* A second connection on t.base that PSUBSCRIBEs to everything. */
static void subscribe(void)
{
	const char *argv[2] = { "PSUBSCRIBE", "*" };
	size_t len[2] = { 10, 1 };
	unsigned ready = 0;
	uint64_t end = clock_mono_ms() + 2000;
	struct timeval tv = { 0, 10000 };

	memset(&seen, 0, sizeof(seen));
	t.sub = redisAsyncConnect("127.0.0.1", t.port);
	cr_assert(t.sub && !t.sub->err);
	cr_assert_eq(redisLibeventAttach(t.sub, t.base), REDIS_OK);
	redisAsyncSetConnectCallback(t.sub, on_sub_connect);
	redisAsyncSetDisconnectCallback(t.sub, on_sub_gone);
	cr_assert_eq(redisAsyncCommandArgv(t.sub, on_sub, NULL, 2, argv, len),
		     REDIS_OK);
	while (!seen.ready && clock_mono_ms() < end) {
		event_base_loopexit(t.base, &tv);
		event_base_dispatch(t.base);
	}
	ready = seen.ready;
	cr_assert(ready, "PSUBSCRIBE confirmed");
}

/* GET (or TTL) of a key given as bytes: the reply's string (or number). */
static redisReply *cmd_bin(const char *verb, const char *key, size_t klen)
{
	redisContext *c = sync_ctx();
	const char *argv[2] = { verb, key };
	size_t len[2] = { strlen(verb), klen };
	redisReply *rep;

	cr_assert(c && !c->err);
	rep = redisCommandArgv(c, 2, argv, len);
	cr_assert(rep);
	redisFree(c);
	return rep;
}

static void assert_value(const char *key, size_t klen, const char *want)
{
	redisReply *rep = cmd_bin("GET", key, klen);

	cr_assert_eq(rep->type, REDIS_REPLY_STRING, "key %.*s is set",
		     (int)klen, key);
	cr_assert_str_eq(rep->str, want);
	freeReplyObject(rep);
}

static long long key_ttl(const char *key, size_t klen)
{
	redisReply *rep = cmd_bin("TTL", key, klen);
	long long v;

	cr_assert_eq(rep->type, REDIS_REPLY_INTEGER);
	v = rep->integer;
	freeReplyObject(rep);
	return v;
}

/* coturn's key: K + what, for user bytes u. */
static size_t coturn_key(char *out, const char *realm, const char *u,
			 size_t ulen, uint64_t session, const char *what)
{
	size_t n = (size_t)(*realm ? sprintf(out, "turn/realm/%s/user/", realm)
				   : sprintf(out, "turn/user/"));

	memcpy(out + n, u, ulen);
	n += ulen;
	return n + (size_t)sprintf(out + n, "/allocation/%018" PRIu64 "/%s",
				   session, what);
}

static void assert_seen(unsigned i, const char *key, size_t klen,
			const char *msg)
{
	cr_assert_lt(i, seen.n, "message %u arrived", i);
	cr_assert_eq(seen.clen[i], klen, "channel of message %u: %.*s", i,
		     (int)seen.clen[i], seen.chan[i]);
	cr_assert(!memcmp(seen.chan[i], key, klen), "channel of message %u", i);
	cr_assert_str_eq(seen.msg[i], msg, "payload of message %u", i);
}

static struct auth_redis_alloc udp_alloc(void)
{
	struct auth_redis_alloc a = {
		.ev = AUTH_REDIS_ALLOC_NEW,
		.session = ((uint64_t)1 << 48) + 5,
		.realm = REALM,
		.user = "alice",
		.ulen = 5,
		.lifetime_s = 600,
		.type = "UDP",
		.local = "127.0.0.1:3478",
		.remote = "192.0.2.7:50000",
		.client = { 13, 1572, 12, 1536 },
		.peer = { 5, 500, 6, 600 },
	};

	return a;
}

Test(redis, status_new_refresh_delete_as_coturn)
{
	static const char line[] =
	    "lifetime=%u, type=UDP, local=127.0.0.1:3478, "
	    "remote=192.0.2.7:50000, ssl=NONE, cipher=NONE";
	struct auth_redis_alloc a = udp_alloc();
	char key[256], k2[256], want[256], body[200];
	size_t klen, k2len;
	long long ttl;

	subscribe();
	klen = coturn_key(key, REALM, "alice", 5, a.session, "status");
	cr_assert_str_eq(key, "turn/realm/" REALM "/user/alice/allocation/"
			      "000281474976710661/status");
	auth_redis_alloc_status(t.r, &a);
	pump(&seen.n, 1, 2000);
	snprintf(body, sizeof(body), line, 600u);
	snprintf(want, sizeof(want), "new %s", body);
	assert_seen(0, key, klen, want);
	assert_value(key, klen, want);
	ttl = key_ttl(key, klen);
	cr_assert(ttl > 590 && ttl <= 600, "expires with the allocation: %lld",
		  ttl);

	a.ev = AUTH_REDIS_ALLOC_REFRESHED;
	a.lifetime_s = 300;
	auth_redis_alloc_status(t.r, &a);
	pump(&seen.n, 2, 2000);
	snprintf(body, sizeof(body), line, 300u);
	snprintf(want, sizeof(want), "refreshed %s", body);
	assert_seen(1, key, klen, want);
	assert_value(key, klen, want);
	cr_assert_leq(key_ttl(key, klen), 300);

	/* released by the client: coturn says "refreshed lifetime=0" first */
	a.ev = AUTH_REDIS_ALLOC_DELETED;
	a.released = true;
	a.lifetime_s = 0;
	auth_redis_alloc_status(t.r, &a);
	pump(&seen.n, 8, 2000);
	cr_assert_eq(seen.n, 8);
	snprintf(body, sizeof(body), line, 0u);
	snprintf(want, sizeof(want), "refreshed %s", body);
	assert_seen(2, key, klen, want);
	k2len = coturn_key(k2, REALM, "alice", 5, a.session, "traffic");
	assert_seen(3, k2, k2len, "rcvp=13, rcvb=1572, sentp=12, sentb=1536");
	k2len = coturn_key(k2, REALM, "alice", 5, a.session, "traffic/peer");
	assert_seen(4, k2, k2len, "rcvp=5, rcvb=500, sentp=6, sentb=600");
	assert_seen(5, key, klen, "deleted");
	k2len = coturn_key(k2, REALM, "alice", 5, a.session, "total_traffic");
	assert_seen(6, k2, k2len, "rcvp=13, rcvb=1572, sentp=12, sentb=1536");
	k2len =
	    coturn_key(k2, REALM, "alice", 5, a.session, "total_traffic/peer");
	assert_seen(7, k2, k2len, "rcvp=5, rcvb=500, sentp=6, sentb=600");
	cr_assert_eq(key_ttl(key, klen), -2, "the status key is gone");
	cr_assert_eq(stats().status_sent, 2 + 2 + 7);
	cr_assert_eq(stats().status_dropped, 0);
}

Test(redis, status_deleted_by_expiry_tls_and_ipv6)
{
	struct auth_redis_alloc a = udp_alloc();
	char key[256], want[256];
	size_t klen;

	subscribe();
	a.session = 1;
	a.type = "TLS/TCP";
	a.local = "[::1]:5349";
	a.remote = "[2001:db8::7]:50000";
	auth_redis_alloc_status(t.r, &a);
	a.ssl = "TLSv1.3";
	a.cipher = "TLS_AES_256_GCM_SHA384";
	a.ev = AUTH_REDIS_ALLOC_REFRESHED;
	auth_redis_alloc_status(t.r, &a);
	a.ev = AUTH_REDIS_ALLOC_DELETED; /* expired: no "refreshed" first */
	auth_redis_alloc_status(t.r, &a);
	pump(&seen.n, 7, 2000);
	cr_assert_eq(seen.n, 7);
	klen = coturn_key(key, REALM, "alice", 5, 1, "status");
	cr_assert_str_eq(key,
			 "turn/realm/" REALM
			 "/user/alice/allocation/000000000000000001/status");
	/* a TLS version and cipher nobody told us */
	assert_seen(0, key, klen,
		    "new lifetime=600, type=TLS/TCP, local=[::1]:5349, "
		    "remote=[2001:db8::7]:50000, ssl=UNKNOWN, cipher=UNKNOWN");
	snprintf(want, sizeof(want),
		 "refreshed lifetime=600, type=TLS/TCP, local=[::1]:5349, "
		 "remote=[2001:db8::7]:50000, ssl=TLSv1.3, "
		 "cipher=TLS_AES_256_GCM_SHA384");
	assert_seen(1, key, klen, want);
	assert_seen(4, key, klen, "deleted");
	cr_assert_eq(stats().status_sent, 2 + 2 + 6);
}

Test(redis, status_keys_are_coturns_for_any_username_bytes)
{
	static const char nul[] = "nul\0byte";
	static const struct {
		const char *u;
		size_t len;
	} users[] = {
		{ "1700000000:frank", 16 },
		{ "a b\r\nDEL canary\r\n", 17 },
		{ "%s%s%n", 6 },
		{ "*1\r\n$8\r\nFLUSHALL\r\n", 18 },
		{ nul, sizeof(nul) - 1 },
	};
	struct auth_redis_alloc a = udp_alloc();
	char key[256];
	size_t i, klen;

	set("canary", "alive");
	subscribe();
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		a.user = users[i].u;
		a.ulen = users[i].len;
		a.session = i + 1;
		auth_redis_alloc_status(t.r, &a);
	}
	pump(&seen.n, (unsigned)i, 2000);
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		klen = coturn_key(key, REALM, users[i].u, users[i].len, i + 1,
				  "status");
		assert_seen((unsigned)i, key, klen,
			    "new lifetime=600, type=UDP, local=127.0.0.1:3478, "
			    "remote=192.0.2.7:50000, ssl=NONE, cipher=NONE");
		cr_assert_gt(key_ttl(key, klen), 0, "user %zu's key", i);
	}
	assert_value("canary", 6, "alive");
	cr_assert(auth_redis_connected(t.r), "protocol still in sync");
}

Test(redis, status_without_realm_and_long_session_ids)
{
	struct auth_redis_alloc a = udp_alloc();
	char key[256];
	size_t klen;

	subscribe();
	a.realm = "";
	a.session = UINT64_MAX;
	a.local = NULL;
	a.type = "DTLS";
	auth_redis_alloc_status(t.r, &a);
	pump(&seen.n, 1, 2000);
	klen = coturn_key(key, "", "alice", 5, UINT64_MAX, "status");
	cr_assert_str_eq(key, "turn/user/alice/allocation/"
			      "18446744073709551615/status");
	assert_seen(0, key, klen,
		    "new lifetime=600, type=DTLS, local=, "
		    "remote=192.0.2.7:50000, ssl=UNKNOWN, cipher=UNKNOWN");
}

Test(redis_down, status_dropped_and_counted_while_down)
{
	struct auth_redis_cfg cfg;
	struct auth_redis_alloc a = udp_alloc();
	struct answer dummy = { 0 };
	char key[256];
	size_t klen;

	test_cfg(&cfg); /* nothing listens on t.port yet */
	store_open(&cfg);
	auth_redis_alloc_status(t.r, &a);
	a.ev = AUTH_REDIS_ALLOC_DELETED;
	auth_redis_alloc_status(t.r, &a);
	cr_assert_eq(stats().status_sent, 0);
	cr_assert_eq(stats().status_dropped, 2 + 6);
	wait_calls(&dummy, 1, 200); /* backoff timers run; nothing queued */
	cr_assert_eq(stats().status_dropped, 8);

	redis_start();
	cr_assert(wait_connected(1500));
	subscribe();
	a.ev = AUTH_REDIS_ALLOC_NEW;
	auth_redis_alloc_status(t.r, &a);
	pump(&seen.n, 1, 2000);
	klen = coturn_key(key, REALM, "alice", 5, a.session, "status");
	cr_assert_gt(key_ttl(key, klen), 0, "sent once Redis is up");
	cr_assert_eq(stats().status_sent, 2);

	redis_kill();
	wait_calls(&dummy, 1, 300); /* the store notices */
	cr_assert(!auth_redis_connected(t.r));
	a.ev = AUTH_REDIS_ALLOC_REFRESHED;
	auth_redis_alloc_status(t.r, &a);
	cr_assert_eq(stats().status_dropped, 8 + 2);
	cr_assert_eq(stats().status_sent, 2);
}

Test(redis, status_bounded_while_redis_is_stuck)
{
	struct auth_redis_cfg cfg;
	struct auth_redis_alloc a = udp_alloc();
	struct answer dummy = { 0 };
	unsigned i;

	auth_redis_free(t.r);
	test_cfg(&cfg);
	cfg.status_max_inflight = 10;
	store_open(&cfg);
	cr_assert(wait_connected(2000));
	kill(t.pid, SIGSTOP);
	for (i = 0; i < 8; i++) {
		a.session = i + 1;
		auth_redis_alloc_status(t.r, &a);
		wait_calls(&dummy, 1, 20); /* written, never answered */
	}
	cr_assert_eq(stats().status_sent, 10, "5 events of 2 commands");
	cr_assert_eq(stats().status_dropped, 6, "3 events dropped whole");
	kill(t.pid, SIGCONT);
	wait_calls(&dummy, 1, 300); /* the answers come */
	auth_redis_alloc_status(t.r, &a);
	cr_assert_eq(stats().status_sent, 12, "room again once answered");
}

/* ---- realm options (turnadmin -g) ------------------------------------- */

static void limits_open(unsigned refresh_ms, const char *realm)
{
	struct auth_redis_cfg cfg;

	auth_redis_free(t.r);
	test_cfg(&cfg);
	cfg.realm = realm;
	cfg.limits_refresh_ms = refresh_ms;
	store_open(&cfg);
	cr_assert(wait_connected(2000));
}

/* Drive the loop ms milliseconds, then read the options. */
static bool limits_after(unsigned ms, struct auth_realm_limits *l)
{
	struct answer dummy = { 0 };

	wait_calls(&dummy, 1, ms);
	return auth_redis_realm_limits(t.r, l);
}

Test(redis, realm_limits_read_on_connect_and_refreshed)
{
	struct auth_realm_limits l;

	set("turn/realm/" REALM "/max-bps", "100000");
	set("turn/realm/" REALM "/user-quota", "1");
	set("turn/realm/" REALM "/total-quota", "50");
	set("turn/realm/other.realm/user-quota", "7");
	limits_open(300, REALM);
	cr_assert(limits_after(100, &l), "read at once on connect");
	cr_assert(l.has_max_bps && l.has_user_quota && l.has_total_quota);
	cr_assert_eq(l.max_bps, 100000);
	cr_assert_eq(l.user_quota, 1);
	cr_assert_eq(l.total_quota, 50);

	/* changed, removed, nonsense: seen at the next read */
	set("turn/realm/" REALM "/user-quota", "3");
	set("turn/realm/" REALM "/total-quota", "10k");
	{
		const char *argv[2] = { "DEL", "turn/realm/" REALM "/max-bps" };
		size_t len[2] = { 3, strlen(argv[1]) };

		cmd(2, argv, len);
	}
	cr_assert(limits_after(700, &l));
	cr_assert(!l.has_max_bps, "a deleted key is gone");
	cr_assert_eq(l.max_bps, 0);
	cr_assert(l.has_user_quota);
	cr_assert_eq(l.user_quota, 3);
	cr_assert(!l.has_total_quota, "\"10k\" is not a number");

	/* Redis gone: the last values stay */
	redis_kill();
	cr_assert(limits_after(700, &l));
	cr_assert_eq(l.user_quota, 3);
}

Test(redis, realm_limits_none_without_realm_or_keys)
{
	struct auth_realm_limits l;

	set("turn/realm/" REALM "/user-quota", "1");
	cr_assert(!limits_after(100, &l), "no realm configured: not read");
	cr_assert(!l.has_user_quota && !l.user_quota);
	limits_open(60000, "empty.realm");
	cr_assert(!limits_after(100, &l), "a realm without options");
}
