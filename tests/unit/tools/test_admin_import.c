/*
 * test_admin_import.c — tern-admin import-coturn: coturn's line syntax,
 * option by option mapping into ternd.conf, what is reported as not
 * imported (with its line), and that no secret reaches a diagnostic.
 * (tests/interop/admin/run feeds the output to ternd --check-config and
 * relays through it.)
 */
#include <criterion/criterion.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "tools/admin/admin.h"

static struct admin_import im;

static void fini(void)
{
	admin_import_free(&im);
}

TestSuite(admin_import, .fini = fini);

/* Every output must at least be libconfig (ternd --check-config, in
 * tests/interop/admin/run, checks the settings themselves). */
static void import(const char *text)
{
	config_t cfg;

	cr_assert_eq(admin_import_coturn(&im, text, strlen(text), "/etc/turn"),
		     0);
	cr_assert(im.conf);
	config_init(&cfg);
	cr_assert(config_read_string(&cfg, im.conf), "line %d: %s in:\n%s",
		  config_error_line(&cfg), config_error_text(&cfg), im.conf);
	config_destroy(&cfg);
	for (size_t i = 1; i < im.ndiag; i++)
		cr_assert_leq(im.diag[i - 1].line, im.diag[i].line,
			      "diagnostics in line order");
}

static void has(const char *want)
{
	cr_assert(strstr(im.conf, want), "missing [%s] in:\n%s", want, im.conf);
}

static void lacks(const char *unwanted)
{
	cr_assert_null(strstr(im.conf, unwanted), "unexpected [%s] in:\n%s",
		       unwanted, im.conf);
}

static const struct admin_diag *diag_for(const char *opt, unsigned line)
{
	for (size_t i = 0; i < im.ndiag; i++)
		if (!strcmp(im.diag[i].opt, opt) && im.diag[i].line == line)
			return &im.diag[i];
	return NULL;
}

static void skipped(const char *opt, unsigned line)
{
	const struct admin_diag *d = diag_for(opt, line);

	cr_assert(d, "no diagnostic for %s at line %u", opt, line);
	cr_assert_eq(d->kind, ADMIN_DIAG_SKIP, "%s: %s", opt, d->text);
}

static void no_secret_in_diags(const char *secret)
{
	for (size_t i = 0; i < im.ndiag; i++) {
		cr_assert_null(strstr(im.diag[i].text, secret), "%s: %s",
			       im.diag[i].opt, im.diag[i].text);
		cr_assert_null(strstr(im.diag[i].opt, secret));
	}
}

Test(admin_import, listeners_ports_relay_tls)
{
	import("listening-ip=192.0.2.10\n"
	       "listening-ip=2001:db8::10\n"
	       "listening-ip=192.0.2.10\n" /* twice: once */
	       "listening-port=3480\n"
	       "tls-listening-port=5350\n"
	       "relay-ip=192.0.2.20\n"
	       "min-port=40000\n"
	       "max-port=49999\n"
	       "cert=certs/turn.pem\n"
	       "pkey=/etc/ssl/turn.key\n"
	       "cipher-list=\"ECDHE+AESGCM\"\n"
	       "no-tlsv1_2\n"
	       "max-allocate-lifetime=300\n");
	/* the comma between elements is outside the comment */
	has("{ address = \"192.0.2.10\"; },  # listening-ip, line 1");
	has("{ address = \"2001:db8::10\"; }  # listening-ip, line 2");
	cr_assert_null(
	    strstr(strstr(im.conf, "192.0.2.10") + 1, "\"192.0.2.10\""));
	has("  udp = 3480;  # listening-port, line 4");
	has("  tcp = 3480;");
	has("  tls = 5350;  # tls-listening-port, line 5");
	has("  dtls = 5350;");
	has("\"192.0.2.20\"  # relay-ip, line 6");
	has("  port_min = 40000;");
	has("  port_max = 49999;");
	/* relative to the coturn file's folder, absolute in the output */
	has("  certificate = \"/etc/turn/certs/turn.pem\";");
	has("  private_key = \"/etc/ssl/turn.key\";");
	has("  ciphers = \"ECDHE+AESGCM\";");
	has("  min_version = \"1.3\";");
	has("  lifetime = 300;"); /* may not exceed max_lifetime */
	has("  max_lifetime = 300;");
	has("  rfc5766_channels = true;");
}

Test(admin_import, coturn_line_syntax)
{
	import("# a comment\n"
	       "   \t\n"
	       "realm example.org\n"
	       "lt-cred-mech\n"
	       "user = alice:wonder#land\n" /* '#' inside: part of it */
	       "verbose=false\n"
	       "no-udp off\n"
	       "stale-nonce\n"
	       "fingerprint\r\n");
	has("  realm = \"example.org\";  # realm, line 3");
	has("{ name = \"alice\"; password = \"wonder#land\"; }  # user, "
	    "line 5");
	lacks("level =");
	lacks("udp = 0");
	has("  nonce_lifetime = 600;  # stale-nonce, line 8");
	has("# fingerprint (line 9): nothing to set");
	cr_assert_eq(im.skipped, 0);
}

Test(admin_import, long_term_users_and_keys)
{
	import("realm=example.org\n"
	       "user=bob:0xB70615A74A524BECC6960F540634BB00\n"
	       "user=quote:pa\"ss\\word\n"
	       "user=alice:first\n"
	       "user=alice:second\n"
	       "user=broken\n"
	       "user=carol:0x1234\n");
	has("{ name = \"bob\"; key = \"b70615a74a524becc6960f540634bb00\"; }");
	has("{ name = \"quote\"; password = \"pa\\\"ss\\\\word\"; }");
	has("password = \"pa\\\"ss\\\\word\"; },  # user, line 3");
	has("password = \"second\"; }  # user, line 5\n  );");
	lacks("\"first\"");
	skipped("user", 6);
	skipped("user", 7);
	no_secret_in_diags("first");
}

Test(admin_import, rest_secrets_from_the_file)
{
	import("realm=example.org\n"
	       "use-auth-secret\n"
	       "static-auth-secret=north\n"
	       "static-auth-secret=\"library\"\n"
	       "static-auth-secret=north\n"
	       "lt-cred-mech\n"
	       "user=alice:pw\n");
	has("  secrets = [\n    \"north\",  # static-auth-secret, line 3\n"
	    "    \"library\"  # static-auth-secret, line 4\n  ];");
	lacks("users =");
	skipped("user", 7); /* REST replaces users, in coturn too */
	no_secret_in_diags("north");
}

Test(admin_import, redis_userdb)
{
	import("realm=example.org\n"
	       "lt-cred-mech\n"
	       "redis-userdb=\"ip=10.0.0.7 dbname=2 password=topsecret "
	       "port=6390 connect_timeout=30\"\n"
	       "user=alice:wonderland\n");
	has("  store = \"redis\";  # redis-userdb, line 3");
	has("  rest = false;");
	has("  address = \"10.0.0.7\";");
	has("  port = 6390;");
	has("  password = \"topsecret\";");
	has("  database = 2;");
	has("  timeout = 30;");
	lacks("users =");
	skipped("user", 4);
	cr_assert(
	    strstr(diag_for("user", 4)->text, "tern-admin user add alice"),
	    "%s", diag_for("user", 4)->text);
	no_secret_in_diags("topsecret");
	no_secret_in_diags("wonderland");
}

Test(admin_import, redis_rest)
{
	import("realm=example.org\n"
	       "use-auth-secret\n"
	       "static-auth-secret=logen\n"
	       "redis-userdb=\"ip=127.0.0.1 port=6379\"\n");
	has("  store = \"redis\";");
	has("  rest = true;  # use-auth-secret, line 2");
	lacks("secrets =");
	skipped("static-auth-secret", 3);
	no_secret_in_diags("logen");
}

Test(admin_import, peer_ranges_become_exact_prefixes)
{
	import("allow-loopback-peers\n"
	       "allowed-peer-ip=192.0.2.5\n"
	       "denied-peer-ip=10.0.0.1-10.0.0.6\n"
	       "denied-peer-ip=172.16.0.0-172.31.255.255\n"
	       "denied-peer-ip=fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n"
	       "denied-peer-ip=10.9.9.9-10.0.0.0\n");
	has("\"127.0.0.0/8\",  # allow-loopback-peers, line 1");
	has("\"::1/128\",");
	has("\"192.0.2.5/32\"  # allowed-peer-ip, line 2");
	has("\"10.0.0.1/32\",  # denied-peer-ip, line 3");
	has("\"10.0.0.2/31\",");
	has("\"10.0.0.4/31\",");
	has("\"10.0.0.6/32\",");
	has("\"172.16.0.0/12\",  # denied-peer-ip, line 4");
	has("\"fe80::/10\"  # denied-peer-ip, line 5");
	skipped("denied-peer-ip", 6);
}

Test(admin_import, what_has_no_equivalent_is_listed_with_its_line)
{
	import("alt-tls-listening-port=5350\n"
	       "cli-password=hunter2\n"
	       "frobnicate=1\n"
	       "mobility=false\n" /* turned off: nothing to miss */
	       "web-admin\n"
	       "no-cli\n"
	       "log-file=/var/log/turn.log\n"
	       "pkey-pwd=hunter3\n"
	       "no-auth\n");
	skipped("alt-tls-listening-port", 1);
	skipped("cli-password", 2);
	skipped("frobnicate", 3);
	cr_assert_null(diag_for("mobility", 4));
	skipped("web-admin", 5);
	cr_assert_null(diag_for("no-cli", 6));
	has("# no-cli (line 6): nothing to set");
	skipped("log-file", 7);
	skipped("pkey-pwd", 8);
	skipped("no-auth", 9);
	cr_assert_eq(im.skipped, 7);
	no_secret_in_diags("hunter2");
	no_secret_in_diags("hunter3");
	lacks("hunter");
}

Test(admin_import, stun_only_and_no_credentials_turn_turn_off)
{
	import("realm=example.org\nstun-only\nuser=alice:pw\n");
	lacks("auth =");
	skipped("user", 3);
	admin_import_free(&im);
	import("realm=example.org\n");
	lacks("auth =");
	cr_assert(diag_for("lt-cred-mech", 0));
}

Test(admin_import, general_log_quotas)
{
	import("relay-threads=0\n"
	       "no-software-attribute\n"
	       "no-stun-backward-compatibility\n"
	       "Verbose\n"
	       "syslog\n"
	       "user-quota=99999999\n"
	       "total-quota=1000\n"
	       "max-bps=64000\n"
	       "stale-nonce=5\n"
	       "realm=x\n"
	       "user=a:b\n");
	has("workers = 1;  # relay-threads, line 1");
	has("software = \"\";  # no-software-attribute, line 2");
	has("rfc3489 = false;");
	has("  level = \"debug\";  # Verbose, line 4");
	has("  target = \"syslog\";  # syslog, line 5");
	has("  user_quota = 1000000;"); /* clamped into ternd's range */
	cr_assert_eq(diag_for("user-quota", 6)->kind, ADMIN_DIAG_NOTE);
	has("  max_allocations = 1000;");
	has("  bandwidth = 64000;");
	has("  nonce_lifetime = 30;");
}

Test(admin_import, without_a_realm_or_listeners_or_cert)
{
	import("lt-cred-mech\nuser=a:b\n");
	has("  realm = \"realm-not-set\";");
	cr_assert(diag_for("realm", 0));
	cr_assert(diag_for("listening-ip", 0));
	has("  tls = 0;");
	has("  dtls = 0;");
	lacks("tls = {");
	lacks("listen =");
}

Test(admin_import, nul_bytes_and_odd_input)
{
	const char text[] = "realm=a\0b\nlistening-port=x\nuser\n=\n\"\n";

	cr_assert_eq(admin_import_coturn(&im, text, sizeof(text) - 1, NULL), 0);
	skipped("?", 1);
	skipped("listening-port", 2);
	skipped("user", 3);
}

/* Diagnostics are printed on a terminal: a line without a name gets one,
 * and control bytes of the input (an escape sequence) are not passed on.
 * (Found by tests/fuzz/coturn_import.c.) */
Test(admin_import, diagnostics_are_printable)
{
	const char text[] = "=value\n\x1b[31mred=1\nrealm=x\n";
	const struct admin_diag *d;

	import(text);
	d = diag_for("(no name)", 1);
	cr_assert_not_null(d, "an option named \"(no name)\" on line 1");
	cr_assert_not_null(diag_for("?[31mred", 2));
	for (size_t i = 0; i < im.ndiag; i++)
		for (const char *p = im.diag[i].text; *p; p++)
			cr_assert_geq((unsigned char)*p, 0x20, "%s",
				      im.diag[i].text);
}

Test(admin_import, external_ip_becomes_relay_advertise)
{
	import("listening-ip=10.0.0.1\n"
	       "external-ip=203.0.113.1/10.0.0.1\n"
	       "external-ip=2001:db8::1\n"
	       "external-ip=203.0.113.1/2001:db8::5\n"
	       "external-ip=0.0.0.0\n");
	has("advertise = [");
	has("\"203.0.113.1/10.0.0.1\",  # external-ip, line 2");
	has("\"2001:db8::1\"  # external-ip, line 3");
	skipped("external-ip", 4);
	skipped("external-ip", 5);
}
