/*
 * test_reload.c — reload_keep_fixed(): which settings a reload keeps as
 * they run (each named once), and that everything else comes from the new
 * file; turncfg_realloc(): what a reload carries over (quota, nonce
 * secret); the relay port check that goes with `user`.
 */
#include "relay/reload.h"
#include "relay/turncfg.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* TLS off: these tests need no certificate. */
#define BASE                                                                   \
	"workers = 2;\n"                                                       \
	"ports = { udp = 3478; tcp = 3478; tls = 0; dtls = 0; };\n"

static char dir[64];
static char err[1024];
static char said[1024]; /* the settings named, "a;b;" */

static void warn(void *arg, const char *setting)
{
	(void)arg;
	strncat(said, setting, sizeof(said) - strlen(said) - 2);
	strcat(said, ";");
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-reload.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	said[0] = '\0';
}

static void teardown(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/t.conf", dir);
	unlink(path);
	rmdir(dir);
}

TestSuite(reload, .init = setup, .fini = teardown);

static struct ternd_config *load(const char *text)
{
	struct ternd_config *c = NULL;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/t.conf", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(config_load(&c, path, err, sizeof(err)), 0, "%s", err);
	return c;
}

Test(reload, same_file_names_nothing)
{
	const char *text = BASE "auth = { realm = \"r\"; users = ( { name = "
				"\"a\"; password = \"p\"; } ); };\n";
	struct ternd_config *run = load(text), *next = load(text);

	cr_assert_eq(reload_keep_fixed(next, run, warn, NULL), 0);
	cr_assert_str_empty(said);
	config_free(run);
	config_free(next);
}

Test(reload, restart_only_kept_rest_applied)
{
	struct ternd_config *run =
	    load(BASE "listen = ( { address = \"127.0.0.1\"; } );\n"
		      "user = \"nobody\";\n"
		      "log = { level = \"info\"; };\n"
		      "auth = { realm = \"old\"; users = ( { name = \"a\"; "
		      "password = \"p\"; } ); };\n"
		      "relay = { port_min = 40000; port_max = 41000; };\n");
	struct ternd_config *next = load(
	    "workers = 3;\n"
	    "ports = { udp = 4000; tcp = 3478; tls = 0; dtls = 0; };\n"
	    "listen = ( { address = \"127.0.0.2\"; } );\n"
	    "log = { level = \"debug\"; };\n"
	    "auth = { realm = \"new\"; users = ( { name = \"a\"; "
	    "password = \"p\"; }, { name = \"b\"; password = \"q\"; } ); };\n"
	    "relay = { port_min = 42000; port_max = 43000; "
	    "deny_peers = [ \"10.0.0.0/8\" ]; };\n");
	char a[SA_STRLEN];

	cr_assert_eq(reload_keep_fixed(next, run, warn, NULL), 0);
	cr_assert_str_eq(said, "workers;listen;ports.udp;relay.addresses;"
			       "relay.port_min;relay.port_max;auth.realm;"
			       "user;");
	cr_assert_eq(next->workers, 2);
	cr_assert_eq(next->udp_port, 3478);
	cr_assert_eq(next->nlisten, 1);
	cr_assert_str_eq(sa_print_addr(&next->listen[0].addr, a, sizeof(a)),
			 "127.0.0.1");
	cr_assert_eq(next->nrelay_addrs, 1);
	cr_assert_str_eq(sa_print_addr(&next->relay_addrs[0], a, sizeof(a)),
			 "127.0.0.1");
	cr_assert_eq(next->relay_port_min, 40000);
	cr_assert_eq(next->relay_port_max, 41000);
	cr_assert_str_eq(next->realm, "old");
	cr_assert_str_eq(next->run_user, "nobody");
	cr_assert_neq(next->run_user, run->run_user);
	/* what may change did */
	cr_assert_eq(next->nusers, 2);
	cr_assert_eq(next->log_level, LOG_LVL_DEBUG);
	/* copies, not shared: both free cleanly (ASan) */
	cr_assert_neq(next->realm, run->realm);
	cr_assert_neq(next->listen, run->listen);
	config_free(run);
	config_free(next);
}

/* The file drops every user: TURN stays on (with no credential, every
 * Allocate fails), and the realm is kept without a word of its own. */
Test(reload, turn_off_kept_on)
{
	struct ternd_config *run =
	    load(BASE "auth = { realm = \"r\"; users = ( { name = \"a\"; "
		      "password = \"p\"; } ); };\n");
	struct ternd_config *next = load(BASE);

	cr_assert(!next->turn);
	cr_assert_eq(reload_keep_fixed(next, run, warn, NULL), 0);
	cr_assert_str_eq(said, "relay.addresses;"
			       "auth.users and auth.secrets (TURN on or off);");
	cr_assert(next->turn);
	cr_assert_str_eq(next->realm, "r");
	cr_assert_eq(next->nusers, 0);
	config_free(run);
	config_free(next);
}

/* Redis connection settings count only with store = "redis". */
Test(reload, redis_settings)
{
	const char *redis =
	    BASE "auth = { realm = \"r\"; store = \"redis\"; };\n";
	struct ternd_config *run, *next;
	char text[512];

	run = load(redis);
	snprintf(text, sizeof(text),
		 "%sredis = { port = 6380; status = true; };\n", redis);
	next = load(text);
	cr_assert_eq(reload_keep_fixed(next, run, warn, NULL), 0);
	cr_assert_str_eq(said, "redis.port;");
	cr_assert_eq(next->redis_port, 6379);
	cr_assert(next->redis_status); /* live */
	config_free(run);
	config_free(next);

	said[0] = '\0';
	run = load(BASE);
	next = load(BASE "redis = { port = 6380; };\n");
	cr_assert_eq(reload_keep_fixed(next, run, warn, NULL), 0);
	cr_assert_str_empty(said);
	config_free(run);
	config_free(next);
}

Test(reload, admin_listener)
{
	struct ternd_config *run = load(BASE "admin = { port = 9641; };\n");
	struct ternd_config *next =
	    load(BASE "admin = { address = \"::1\"; port = 9642; };\n");

	cr_assert_eq(reload_keep_fixed(next, run, warn, NULL), 0);
	cr_assert_str_eq(said, "admin.address and admin.port;");
	cr_assert_eq(next->admin_port, 9641);
	cr_assert_str_eq(next->admin_host, "127.0.0.1");
	cr_assert(sa_equal(&next->admin_addr, &run->admin_addr));
	config_free(run);
	config_free(next);
}

/* turncfg_realloc: the same quota object, the nonce secret in force when
 * the file names none, the file's when it does. */
Test(reload, turncfg_carries_quota_and_secret)
{
	const char *users = "auth = { realm = \"r\"; users = ( { name = \"a\"; "
			    "password = \"p\"; } ); };\n";
	char text[512];
	struct ternd_config *c1, *c2;
	struct turncfg *t1 = NULL, *t2 = NULL, *t3 = NULL;

	snprintf(text, sizeof(text), "%s%s", BASE, users);
	c1 = load(text);
	c2 = load(text);
	cr_assert_eq(turncfg_alloc(&t1, c1, 2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(turncfg_realloc(&t2, c2, 2, t1, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(t2->quota, t1->quota);
	cr_assert_eq(t2->scfg.quota, t1->quota);
	cr_assert_eq(t2->scfg.nonce_secret_len, t1->scfg.nonce_secret_len);
	cr_assert_arr_eq(t2->nonce_secret, t1->nonce_secret,
			 t1->scfg.nonce_secret_len);
	/* commit: t2 owns the quota, t1 can go first */
	turncfg_take_quota(t2, t1);
	turncfg_free(t1);
	config_free(c1);

	snprintf(text, sizeof(text),
		 "%sauth = { realm = \"r\"; nonce_secret = "
		 "\"00112233445566778899aabbccddeeff\"; users = ( { name = "
		 "\"a\"; password = \"p\"; } ); };\n",
		 BASE);
	c1 = load(text);
	cr_assert_eq(turncfg_realloc(&t3, c1, 2, t2, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(t3->scfg.nonce_secret_len, 16);
	cr_assert_eq(t3->nonce_secret[15], 0xff);
	cr_assert_eq(t3->quota, t2->quota);
	/* not committed: t3 borrows, t2 still owns and frees */
	turncfg_free(t3);
	turncfg_free(t2);
	config_free(c1);
	config_free(c2);
}

/* Relay ports are opened after the drop to `user`: below 1024 it could not
 * bind them. */
Test(reload, low_relay_port_with_user)
{
	struct ternd_config *c = NULL;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/t.conf", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(BASE "user = \"nobody\";\n"
		   "auth = { realm = \"r\"; users = ( { name = \"a\"; "
		   "password = \"p\"; } ); };\n"
		   "relay = { port_min = 1000; port_max = 2000; };\n",
	      f);
	fclose(f);
	cr_assert_eq(config_load(&c, path, err, sizeof(err)), EINVAL);
	cr_assert(strstr(err, "t.conf:5: relay.port_min (1000) is below 1024"),
		  "%s", err);
}
