/*
 * test_config.c — config_load(): the defaults, every setting, one test per
 * error message (with its line number), and etc/ternd.conf and
 * man/ternd.conf.5 held to the loader's table of settings.
 *
 * Each test runs in a scratch folder holding a freshly generated self-signed
 * certificate at tls/ternd.crt and tls/ternd.key, where the default paths
 * point, so the TLS checks run for real.
 */
#include "relay/conf.h"

#include <criterion/criterion.h>
#include <limits.h>
#include <errno.h>
#include <stdbool.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DATA  TEST_SRCDIR "/tests/unit/relay/data/"
#define NOTLS "ports = { tls = 0; dtls = 0; };\n"

static char dir[256]; /* this test's scratch folder, resolved */
static char err[1024];
static struct ternd_config *cfg;

/* dir/name in a rotating static buffer, so a test can hold a few. */
static const char *at(const char *name)
{
	static char bufs[4][512];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static void mkdirs_for(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(tmp, 0700);
		*p = '/';
	}
}

/* Write text to dir/name; returns the path. */
static const char *put(const char *name, const char *text)
{
	const char *path = at(name);
	FILE *f;

	mkdirs_for(path);
	f = fopen(path, "w");
	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
	return path;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	cr_assert_not_null(f, "cannot read %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	cr_assert_not_null(k);
	return k;
}

static void write_key(const char *name, EVP_PKEY *key, const char *pass)
{
	const char *path = at(name);
	FILE *f;

	mkdirs_for(path);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert(PEM_write_PrivateKey(f, key, pass ? EVP_aes_128_cbc() : NULL,
				       (const unsigned char *)pass,
				       pass ? (int)strlen(pass) : 0, NULL,
				       NULL));
	fclose(f);
}

/* A self-signed certificate for key at dir/name. */
static void write_cert(const char *name, EVP_PKEY *key)
{
	const char *path = at(name);
	X509 *x = X509_new();
	X509_NAME *n;
	FILE *f;

	cr_assert_not_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)"tern-test", -1, -1,
				   0);
	X509_set_issuer_name(x, n);
	cr_assert(X509_sign(x, key, EVP_sha256()) > 0);
	mkdirs_for(path);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert(PEM_write_X509(f, x));
	fclose(f);
	X509_free(x);
}

static void make_cert(const char *crt, const char *key)
{
	EVP_PKEY *k = new_key();

	write_cert(crt, k);
	write_key(key, k, NULL);
	EVP_PKEY_free(k);
}

static void setup(void)
{
	char tmpl[] = "/tmp/tern-config-XXXXXX";
	char *real;

	cr_assert_not_null(mkdtemp(tmpl));
	real = realpath(tmpl, NULL);
	cr_assert_not_null(real);
	cr_assert_lt(strlen(real), sizeof(dir));
	strcpy(dir, real);
	free(real);
	make_cert("tls/ternd.crt", "tls/ternd.key");
	err[0] = '\0';
	cfg = NULL;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void teardown(void)
{
	config_free(cfg);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(config, .init = setup, .fini = teardown);

static int load(const char *path)
{
	return config_load(&cfg, path, err, sizeof(err));
}

static int load_text(const char *text)
{
	return load(put("t.conf", text));
}

#define expect_ok(call)                                                        \
	do {                                                                   \
		int rc_ = (call);                                              \
		cr_assert_eq(rc_, 0, "rc %d: %s", rc_, err);                   \
		cr_assert_not_null(cfg);                                       \
	} while (0)

/* The call fails with want and err contains needle; nothing is handed out. */
#define expect_err(call, want, needle)                                         \
	do {                                                                   \
		int rc_ = (call);                                              \
		cr_assert_eq(rc_, (want), "rc %d: %s", rc_, err);              \
		cr_assert_not_null(strstr(err, (needle)),                      \
				   "error was:\n  %s\nwanted:\n  %s", err,     \
				   (needle));                                  \
		cr_assert_null(cfg);                                           \
	} while (0)

#define expect_bad(text, needle) expect_err(load_text(text), EINVAL, needle)

static void assert_addr(const struct sa *a, const char *want)
{
	char buf[SA_STRLEN];

	cr_assert(sa_is_set(a), "address unset, wanted %s", want);
	cr_assert_str_eq(sa_print_addr(a, buf, sizeof(buf)), want);
	cr_assert_eq(sa_port(a), 0);
}

/* ---- defaults and good files ------------------------------------------- */

static unsigned usable_cpus(void)
{
	cpu_set_t set;

	cr_assert_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	return CPU_COUNT(&set) > 256 ? 256 : (unsigned)CPU_COUNT(&set);
}

static void assert_defaults(const struct ternd_config *c)
{
	cr_assert_eq(c->workers, usable_cpus());
	cr_assert_not_null(c->software);
	cr_assert_eq(strncmp(c->software, "tern ", 5), 0, "%s", c->software);
	cr_assert(c->rfc3489);
	cr_assert_eq(c->log_level, LOG_LVL_INFO);
	cr_assert_eq(c->log_target, LOG_TO_STDERR);
	cr_assert_eq(c->nlisten, 2);
	assert_addr(&c->listen[0].addr, "127.0.0.1");
	assert_addr(&c->listen[1].addr, "::1");
	cr_assert(!sa_is_set(&c->listen[0].alt));
	cr_assert(!sa_is_set(&c->listen[1].alt));
	cr_assert_eq(c->udp_port, 3478);
	cr_assert_eq(c->tcp_port, 3478);
	cr_assert_eq(c->tls_port, 5349);
	cr_assert_eq(c->dtls_port, 5349);
	cr_assert_eq(c->alt_port, 3479);
	cr_assert_str_eq(c->tls_cert, at("tls/ternd.crt"));
	cr_assert_str_eq(c->tls_key, at("tls/ternd.key"));
	cr_assert_null(c->tls_ciphers);
	cr_assert(!c->tls_min_13);
	cr_assert_eq(c->max_connections, 4096);
	cr_assert_eq(c->idle_timeout_s, 300);
	cr_assert_eq(c->frame_timeout_s, 10);
	cr_assert_eq(c->handshake_timeout_s, 10);
	cr_assert_eq(c->dtls_max_sessions, 4096);
	cr_assert_eq(c->udp_batch, 32);
	cr_assert_eq(c->log_interval_s, 10);
}

Test(config, empty_file_gives_defaults)
{
	const char *path = put("t.conf", "");

	expect_ok(load(path));
	cr_assert_str_eq(cfg->path, path);
	assert_defaults(cfg);
}

/* taskset -c N ternd, or a container with one CPU: one worker, not one
 * per online CPU (criterion runs each test in its own process) */
Test(config, workers_follow_the_cpu_affinity)
{
	cpu_set_t set;
	int cpu;

	cr_assert_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	for (cpu = 0; !CPU_ISSET(cpu, &set); cpu++)
		;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	cr_assert_eq(sched_setaffinity(0, sizeof(set), &set), 0);
	expect_ok(load_text(""));
	cr_assert_eq(cfg->workers, 1);
}

Test(config, comments_only_file_gives_defaults)
{
	expect_ok(load_text("# nothing\n// still nothing\n/* or here */\n"));
	assert_defaults(cfg);
}

/* The reference file sets every option to its default. It is copied next to
 * a generated certificate, since the real one is made at install time. */
Test(config, reference_file_loads_and_states_the_defaults)
{
	char *text = slurp(TEST_SRCDIR "/etc/ternd.conf");

	expect_ok(load_text(text));
	free(text);
	assert_defaults(cfg);
}

/* "name = " at the start of a line or after a space ("# name = ..."). */
static bool has_setting(const char *text, const char *name)
{
	char want[96];

	snprintf(want, sizeof(want), "%s = ", name);
	for (const char *p = text; (p = strstr(p, want)); p++)
		if (p == text || p[-1] == ' ' || p[-1] == '\n')
			return true;
	return false;
}

/* Every known setting appears in etc/ternd.conf as "name =" (set or
 * commented out), and nothing there is unknown (the load above). */
Test(config, reference_file_shows_every_option)
{
	char *text = slurp(TEST_SRCDIR "/etc/ternd.conf");
	const char *name;

	for (size_t i = 0; (name = config_option_name(i)); i++) {
		const char *dot = strrchr(name, '.');

		cr_expect(has_setting(text, dot ? dot + 1 : name),
			  "etc/ternd.conf lacks '%s'", name);
	}
	free(text);
}

/* Every known setting has its own entry in ternd.conf(5). */
Test(config, man_page_documents_every_option)
{
	char *text = slurp(TEST_SRCDIR "/man/ternd.conf.5");
	const char *name;
	char want[96];
	size_t n = 0;

	for (size_t i = 0; (name = config_option_name(i)); i++, n++) {
		if (strncmp(name, "listen.", 7) == 0)
			snprintf(want, sizeof(want), "\n.BI listen[ n ].%s\n",
				 name + 7);
		else
			snprintf(want, sizeof(want), "\n.B %s\n", name);
		cr_expect_not_null(strstr(text, want),
				   "man/ternd.conf.5 lacks '%s'", want + 1);
	}
	cr_assert_gt(n, 25);
	free(text);
}

Test(config, full_file_sets_every_option)
{
	char *text = slurp(DATA "full.conf");

	make_cert("certs/server.crt", "certs/server.key");
	expect_ok(load_text(text));
	free(text);
	cr_assert_eq(cfg->workers, 3);
	cr_assert_str_eq(cfg->software, "tern-test/1");
	cr_assert(!cfg->rfc3489);
	cr_assert_eq(cfg->log_level, LOG_LVL_DEBUG);
	cr_assert_eq(cfg->log_target, LOG_TO_SYSLOG);
	cr_assert_eq(cfg->nlisten, 3);
	assert_addr(&cfg->listen[0].addr, "192.0.2.10");
	assert_addr(&cfg->listen[0].alt, "192.0.2.11");
	assert_addr(&cfg->listen[1].addr, "2001:db8::10");
	assert_addr(&cfg->listen[1].alt, "2001:db8::11");
	/* IPv4-mapped IPv6 is an IPv4 address */
	assert_addr(&cfg->listen[2].addr, "198.51.100.7");
	cr_assert_eq(sa_family(&cfg->listen[2].addr), AF_INET);
	cr_assert(!sa_is_set(&cfg->listen[2].alt));
	cr_assert_eq(cfg->udp_port, 13478);
	cr_assert_eq(cfg->tcp_port, 13479);
	cr_assert_eq(cfg->tls_port, 15349);
	cr_assert_eq(cfg->dtls_port, 15350);
	cr_assert_eq(cfg->alt_port, 13480);
	cr_assert_str_eq(cfg->tls_cert, at("certs/server.crt"));
	cr_assert_str_eq(cfg->tls_key, at("certs/server.key"));
	cr_assert_str_eq(cfg->tls_ciphers, "ECDHE-ECDSA-AES128-GCM-SHA256:"
					   "ECDHE-RSA-AES128-GCM-SHA256");
	cr_assert(cfg->tls_min_13);
	cr_assert_eq(cfg->max_connections, 100);
	cr_assert_eq(cfg->idle_timeout_s, 60);
	cr_assert_eq(cfg->frame_timeout_s, 5);
	cr_assert_eq(cfg->handshake_timeout_s, 7);
	cr_assert_eq(cfg->dtls_max_sessions, 200);
	cr_assert_eq(cfg->udp_batch, 64);
	cr_assert_eq(cfg->log_interval_s, 30);
}

Test(config, rfc5780_data_file)
{
	expect_ok(load(DATA "rfc5780.conf"));
	cr_assert_eq(cfg->nlisten, 1);
	assert_addr(&cfg->listen[0].addr, "127.0.0.1");
	assert_addr(&cfg->listen[0].alt, "127.0.0.2");
	cr_assert_null(cfg->tls_cert);
	cr_assert_null(cfg->tls_key);
}

Test(config, include_is_relative_to_the_file)
{
	expect_ok(load(DATA "include.conf"));
	cr_assert_eq(cfg->udp_batch, 8);
}

Test(config, tls_off_needs_no_certificate)
{
	remove(at("tls/ternd.crt"));
	remove(at("tls/ternd.key"));
	expect_ok(load_text(NOTLS));
	cr_assert_null(cfg->tls_cert);
	cr_assert_null(cfg->tls_key);
	cr_assert_eq(cfg->tls_port, 0);
	cr_assert_eq(cfg->dtls_port, 0);
}

Test(config, paths_are_relative_to_the_file_not_the_cwd)
{
	cr_assert_eq(chdir(dir), 0);
	put("t.conf", "tls = { certificate = \"tls/../tls/ternd.crt\"; };\n");
	expect_ok(load("t.conf"));
	cr_assert_str_eq(cfg->path, "t.conf");
	cr_assert_str_eq(cfg->tls_cert, at("tls/../tls/ternd.crt"));
	cr_assert_str_eq(cfg->tls_key, at("tls/ternd.key"));
}

Test(config, absolute_paths_are_kept)
{
	char text[2048];

	make_cert("elsewhere/a.crt", "elsewhere/a.key");
	snprintf(text, sizeof(text),
		 "tls = { certificate = \"%s\"; private_key = \"%s\"; };\n",
		 at("elsewhere/a.crt"), at("elsewhere/a.key"));
	expect_ok(load_text(text));
	cr_assert_str_eq(cfg->tls_cert, at("elsewhere/a.crt"));
	cr_assert_str_eq(cfg->tls_key, at("elsewhere/a.key"));
}

Test(config, workers_zero_means_one_per_cpu)
{
	expect_ok(load_text("workers = 0;\n"));
	cr_assert_eq(cfg->workers, usable_cpus());
}

Test(config, workers_explicit)
{
	expect_ok(load_text("workers = 256;\n"));
	cr_assert_eq(cfg->workers, 256);
}

Test(config, empty_software_omits_the_attribute)
{
	expect_ok(load_text("software = \"\";\n"));
	cr_assert_null(cfg->software);
}

Test(config, empty_ciphers_means_openssl_default)
{
	expect_ok(load_text("tls = { ciphers = \"\"; };\n"));
	cr_assert_null(cfg->tls_ciphers);
}

Test(config, int64_literal_is_an_integer)
{
	expect_ok(load_text("limits = { max_connections = 1000000L; };\n"));
	cr_assert_eq(cfg->max_connections, 1000000);
}

Test(config, big_numbers_in_strings_and_comments_are_fine)
{
	expect_ok(load_text("# 99999999999999\n"
			    "software = \"tern 99999999999999\"; /* 1e999 */\n"
			    "limits = { udp_batch = 0x20; };\n"));
	cr_assert_eq(cfg->udp_batch, 32);
}

Test(config, every_limit_accepts_its_bounds)
{
	static const struct {
		const char *name;
		long long lo, hi;
	} lim[] = {
		{ "max_connections", 1, 1000000 },
		{ "idle_timeout", 1, 86400 },
		{ "frame_timeout", 1, 3600 },
		{ "handshake_timeout", 1, 3600 },
		{ "dtls_max_sessions", 1, 1000000 },
		{ "udp_batch", 1, 1024 },
		{ "log_interval", 1, 3600 },
	};
	char text[128], want[128];

	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		long long bad[2] = { lim[i].lo - 1, lim[i].hi + 1 };
		long long good[2] = { lim[i].lo, lim[i].hi };

		for (int j = 0; j < 2; j++) {
			snprintf(text, sizeof(text),
				 "limits = { %s = %lld; };\n", lim[i].name,
				 good[j]);
			expect_ok(load_text(text));
			config_free(cfg);
			cfg = NULL;
			snprintf(text, sizeof(text),
				 "limits = { %s = %lld; };\n", lim[i].name,
				 bad[j]);
			snprintf(want, sizeof(want),
				 "t.conf:1: limits.%s = %lld is out of range "
				 "(%lld-%lld)",
				 lim[i].name, bad[j], lim[i].lo, lim[i].hi);
			expect_bad(text, want);
		}
	}
}

/* ---- the file itself ---------------------------------------------------- */

Test(config, missing_file)
{
	const char *path = at("nope.conf");
	char want[1024];

	expect_err(load(path), ENOENT, "");
	snprintf(want, sizeof(want),
		 "%s: cannot read: No such file or directory", path);
	cr_assert_str_eq(err, want);
}

Test(config, directory_instead_of_file)
{
	expect_err(load(dir), EISDIR, ": cannot read: Is a directory");
}

/* A FIFO would block open() for ever: refused before it is opened. */
Test(config, fifo_instead_of_file)
{
	const char *path = at("fifo.conf");

	unlink(path);
	cr_assert_eq(mkfifo(path, 0600), 0);
	expect_err(load(path), EINVAL, ": cannot read: not a regular file");
	unlink(path);
}

Test(config, syntax_error_data_file)
{
	expect_err(load(DATA "bad-syntax.conf"), EINVAL,
		   "bad-syntax.conf:6: syntax error (libconfig: syntax error); "
		   "hint: the file ends inside a group, list or string");
}

Test(config, syntax_error_unquoted_word)
{
	expect_bad("log = {\n  level = info;\n};\n",
		   "t.conf:2: syntax error (libconfig: syntax error); hint: "
		   "text values such as names and addresses go in double "
		   "quotes");
}

Test(config, syntax_error_unquoted_address)
{
	expect_bad("listen = (\n  { address = 127.0.0.1; }\n);\n",
		   "t.conf:2: syntax error (libconfig: syntax error); hint: "
		   "text values");
}

Test(config, syntax_error_single_quotes)
{
	expect_bad("software = 'x';\n", "t.conf:1: syntax error "
					"(libconfig: syntax error); hint: "
					"text values");
}

Test(config, syntax_error_list_without_commas)
{
	expect_bad(
	    "listen = (\n"
	    "  { address = \"127.0.0.1\"; }\n"
	    "  { address = \"::1\"; }\n"
	    ");\n",
	    "t.conf:3: syntax error (libconfig: syntax error); hint: the "
	    "entries of a list are separated by ','");
}

Test(config, syntax_error_list_without_commas_one_line)
{
	expect_bad(
	    "listen = ( { address = \"::1\"; } { address = \"::2\"; } );\n",
	    "t.conf:1: syntax error (libconfig: syntax error); hint: the "
	    "entries of a list are separated by ','");
}

Test(config, syntax_error_trailing_comma)
{
	expect_bad(
	    "listen = ( { address = \"::1\"; }, );\n",
	    "t.conf:1: syntax error (libconfig: syntax error); hint: the "
	    "last entry of a list has no ',' after it");
}

Test(config, syntax_error_dotted_name)
{
	expect_bad("ports.udp = 3478;\n",
		   "t.conf:1: syntax error (libconfig: syntax error); hint: a "
		   "name cannot contain '.'");
}

Test(config, syntax_error_missing_equals)
{
	expect_bad(
	    "ports = {\n  udp 3478;\n};\n",
	    "t.conf:2: syntax error (libconfig: syntax error); hint: put "
	    "'=' between a name and its value");
}

Test(config, syntax_error_double_semicolon)
{
	expect_bad("workers = 1;;\n", "t.conf:1: syntax error (libconfig: "
				      "syntax error); hint: one ';' ends a "
				      "setting");
}

Test(config, syntax_error_unterminated_string)
{
	expect_bad(
	    "software = \"tern;\nworkers = 1;\n",
	    "t.conf:3: syntax error (libconfig: syntax error); hint: the "
	    "file ends inside a group, list or string");
}

Test(config, duplicate_setting)
{
	expect_bad("workers = 1;\nworkers = 2;\n",
		   "t.conf:2: a setting appears twice in the same group "
		   "(libconfig: duplicate setting name)");
}

Test(config, duplicate_setting_in_group)
{
	expect_bad("ports = {\n  udp = 1;\n  udp = 2;\n};\n",
		   "t.conf:3: a setting appears twice in the same group");
}

Test(config, include_missing)
{
	expect_bad("# x\n@include \"nope.conf\"\n",
		   "t.conf:2: cannot open the @include file (libconfig: cannot "
		   "open include file)");
}

/* An error inside an included file names that file. */
Test(config, error_in_included_file)
{
	char want[1024];

	put("inc.conf", "# limits\nlimits = { udp_batch = 0; };\n");
	snprintf(want, sizeof(want),
		 "%s:2: limits.udp_batch = 0 is out of range (1-1024)",
		 at("inc.conf"));
	expect_bad("@include \"inc.conf\"\n", want);
}

/* libconfig 1.5 would read this as 3478. */
Test(config, integer_that_libconfig_would_wrap)
{
	expect_bad("ports = {\n  udp = 4294970774;\n};\n",
		   "t.conf:2: the integer 4294970774 does not fit in 32 bits; "
		   "libconfig would silently store a different value");
}

Test(config, integer_that_libconfig_would_wrap_in_included_file)
{
	char want[1024];

	put("sub/inc.conf", "limits = {\n  udp_batch = 4294967328;\n};\n");
	snprintf(want, sizeof(want),
		 "%s:2: the integer 4294967328 does not fit in 32 bits",
		 at("sub/inc.conf"));
	expect_bad("workers = 1;\n@include \"sub/inc.conf\"\n", want);
}

Test(config, hex_integer_that_libconfig_would_wrap)
{
	expect_bad("\n\nworkers = 0x100000001;\n",
		   "t.conf:3: the integer 0x100000001 does not fit in 32 bits");
}

Test(config, negative_integer_that_libconfig_would_wrap)
{
	expect_bad("workers = -99999999999999999999999;\n",
		   "t.conf:1: the integer -99999999999999999999999 does not "
		   "fit in 32 bits");
}

/* libconfig 1.5 takes both as the end of the file. */
Test(config, string_never_closed)
{
	expect_bad("workers = 1;\n\"software = 2;\nworkers = 3;\n",
		   "t.conf:2: a string opened here is never closed; libconfig "
		   "would silently ignore the rest of the file");
}

Test(config, comment_never_closed)
{
	expect_bad("workers = 1;\n# a\n/* ports = {\n  udp = 0;\n};\n",
		   "t.conf:3: a /* comment opened here is never closed");
}

/* ---- unknown settings ------------------------------------------------- */

Test(config, unknown_setting_data_file)
{
	expect_err(load(DATA "bad-unknown.conf"), EINVAL,
		   "bad-unknown.conf:7: unknown setting 'ports.udp_prot' (did "
		   "you mean 'udp'?)");
}

Test(config, unknown_setting_without_suggestion)
{
	expect_bad(
	    "workers = 1;\nfrobnicate = 1;\n",
	    "t.conf:2: unknown setting 'frobnicate' (ternd.conf(5) lists "
	    "them all)");
}

Test(config, unknown_setting_one_letter_off)
{
	expect_bad("limits = {\n  max_conections = 10;\n};\n",
		   "t.conf:2: unknown setting 'limits.max_conections' (did you "
		   "mean 'max_connections'?)");
}

Test(config, unknown_setting_in_the_wrong_group)
{
	expect_bad("udp = 3478;\n", "t.conf:1: unknown setting 'udp' (did you "
				    "mean 'ports.udp'?)");
}

Test(config, unknown_setting_part_of_a_name)
{
	expect_bad("tls = {\n  key = \"k.pem\";\n};\n",
		   "t.conf:2: unknown setting 'tls.key' (did you mean "
		   "'private_key'?)");
}

Test(config, unknown_group)
{
	expect_bad(
	    "limit = { udp_batch = 1; };\n",
	    "t.conf:1: unknown setting 'limit' (did you mean 'limits'?)");
}

Test(config, unknown_setting_in_listen_entry)
{
	expect_bad("listen = (\n"
		   "  { address = \"127.0.0.1\"; },\n"
		   "  { adress = \"::1\"; }\n"
		   ");\n",
		   "t.conf:3: unknown setting 'listen[1].adress' (did you mean "
		   "'address'?)");
}

/* ---- types -------------------------------------------------------------- */

Test(config, type_data_file)
{
	expect_err(load(DATA "bad-type.conf"), EINVAL,
		   "bad-type.conf:9: ports.udp must be an integer (got a "
		   "string)");
}

Test(config, type_float_for_integer)
{
	expect_bad("limits = { idle_timeout = 1.5; };\n",
		   "t.conf:1: limits.idle_timeout must be an integer (got a "
		   "float)");
}

Test(config, type_integer_for_boolean)
{
	expect_bad("rfc3489 = 1;\n",
		   "t.conf:1: rfc3489 must be true or false (got an integer)");
}

Test(config, type_number_for_string)
{
	expect_bad("tls = {\n  min_version = 1.3;\n};\n",
		   "t.conf:2: tls.min_version must be a string (got a float); "
		   "put the value in double quotes");
}

Test(config, type_scalar_for_group)
{
	expect_bad("ports = 3478;\n",
		   "t.conf:1: ports must be a group { ... } (got an integer)");
}

Test(config, type_group_for_listen)
{
	expect_bad("listen = { address = \"::1\"; };\n",
		   "t.conf:1: listen must be a list of groups ( { address = "
		   "...; }, ... ) (got a group)");
}

/* libconfig dates a scalar from the token after it, so the string is not
 * the last entry here: before the ')' it would be reported on the ')' line. */
Test(config, type_listen_entry_not_a_group)
{
	expect_bad("listen = (\n"
		   "  { address = \"::1\"; },\n"
		   "  \"127.0.0.1\",\n"
		   "  { address = \"::2\"; }\n"
		   ");\n",
		   "t.conf:3: listen[1] must be a group such as { address = "
		   "\"192.0.2.1\"; } (got a string)");
}

Test(config, type_address_not_a_string)
{
	expect_bad("listen = ( { address = 1; } );\n",
		   "t.conf:1: listen[0].address must be a string (got an "
		   "integer); put the value in double quotes");
}

/* ---- ranges ------------------------------------------------------------- */

Test(config, range_data_file)
{
	expect_err(load(DATA "bad-range.conf"), EINVAL,
		   "bad-range.conf:9: ports.udp = 70000 is not a port number "
		   "(1-65535, or 0 to disable)");
}

Test(config, range_negative_port)
{
	expect_bad("ports = { tcp = -1; };\n",
		   "t.conf:1: ports.tcp = -1 is not a port number (1-65535, or "
		   "0 to disable)");
}

Test(config, range_int64_port)
{
	expect_bad("ports = { tls = 70000L; };\n",
		   "t.conf:1: ports.tls = 70000 is not a port number");
}

Test(config, range_alternate_port_zero)
{
	expect_bad("ports = { alternate = 0; };\n",
		   "t.conf:1: ports.alternate = 0 is not a port number "
		   "(1-65535)");
}

Test(config, range_workers)
{
	expect_bad(
	    "workers = 257;\n",
	    "t.conf:1: workers = 257 is out of range (0-256; 0 = one per CPU "
	    "ternd may run on)");
}

Test(config, software_too_long)
{
	char text[256] = "software = \"";

	memset(text + strlen(text), 'x', 128);
	strcat(text, "\";\n");
	expect_bad(text, "t.conf:1: software is 128 characters long; RFC 8489 "
			 "allows at most 127");
}

Test(config, software_counts_characters_not_bytes)
{
	char text[600] = "software = \"";

	for (int i = 0; i < 127; i++)
		strcat(text, "\xc3\xa9"); /* é: 2 bytes, 1 character */
	strcat(text, "\";\n");
	expect_ok(load_text(text));
	cr_assert_eq(strlen(cfg->software), 254);
}

/* ---- enums -------------------------------------------------------------- */

Test(config, enum_log_level)
{
	expect_bad("log = {\n  level = \"verbose\";\n};\n",
		   "t.conf:2: log.level 'verbose' is not one of error, warn, "
		   "info, debug");
}

Test(config, enum_log_target)
{
	expect_bad("log = { target = \"file\"; };\n",
		   "t.conf:1: log.target 'file' is not one of stderr, syslog");
}

Test(config, enum_tls_min_version)
{
	expect_bad("tls = { min_version = \"1.1\"; };\n",
		   "t.conf:1: tls.min_version '1.1' is not one of 1.2, 1.3");
}

Test(config, message_stays_on_one_line)
{
	expect_bad("log = { level = \"a\\nb\"; };\n",
		   "t.conf:1: log.level 'a?b' is not one of");
	cr_assert_null(strchr(err, '\n'));
}

/* ---- listen ------------------------------------------------------------- */

Test(config, address_data_file)
{
	expect_err(
	    load(DATA "bad-address.conf"), EINVAL,
	    "bad-address.conf:14: listen[1].address '127.0.0.256' is not "
	    "a numeric IPv4 or IPv6 address");
}

Test(config, address_host_name)
{
	expect_bad("listen = ( { address = \"localhost\"; } );\n",
		   "t.conf:1: listen[0].address 'localhost' is not a numeric "
		   "IPv4 or IPv6 address (host names are not resolved)");
}

Test(config, address_missing)
{
	expect_bad("listen = (\n  { address = \"::1\"; },\n  { }\n);\n",
		   "t.conf:3: listen[1] has no address");
}

Test(config, alternate_bad_address)
{
	expect_bad(
	    "listen = ( { address = \"::1\"; alternate = \"::g\"; } );\n",
	    "t.conf:1: listen[0].alternate '::g' is not a numeric IPv4 "
	    "or IPv6 address");
}

Test(config, alternate_other_family)
{
	expect_bad(
	    "listen = (\n"
	    "  { address = \"192.0.2.10\";\n"
	    "    alternate = \"2001:db8::1\"; }\n"
	    ");\n",
	    "t.conf:3: listen[0].alternate '2001:db8::1' is IPv6 but the "
	    "address '192.0.2.10' is IPv4; RFC 5780 needs a second "
	    "address of the same family");
}

Test(config, alternate_same_as_address)
{
	expect_bad("listen = ( { address = \"192.0.2.10\"; alternate = "
		   "\"192.0.2.10\"; } );\n",
		   "t.conf:1: listen[0].alternate '192.0.2.10' is the address "
		   "itself");
}

Test(config, alternate_wildcard)
{
	expect_bad("listen = ( { address = \"192.0.2.10\"; alternate = "
		   "\"0.0.0.0\"; } );\n",
		   "t.conf:1: listen[0].alternate '0.0.0.0' is a wildcard");
}

Test(config, wildcard_address_with_alternate)
{
	expect_bad(
	    "listen = (\n  { address = \"::\";\n    alternate = "
	    "\"2001:db8::2\"; }\n);\n",
	    "t.conf:2: listen[0].address '::' is a wildcard, so it cannot "
	    "have an alternate");
}

Test(config, alternate_needs_udp)
{
	expect_bad(
	    "ports = { udp = 0; };\n"
	    "listen = ( { address = \"192.0.2.10\";\n"
	    "             alternate = \"192.0.2.11\"; } );\n",
	    "t.conf:3: listen[0].alternate needs UDP (RFC 5780 tests run "
	    "over UDP), but ports.udp = 0");
}

Test(config, alternate_port_equals_udp_port)
{
	expect_bad("listen = ( { address = \"192.0.2.10\"; alternate = "
		   "\"192.0.2.11\"; } );\n"
		   "ports = {\n  udp = 3478;\n  alternate = 3478;\n};\n",
		   "t.conf:4: ports.alternate must differ from ports.udp (both "
		   "are 3478): listen[0] has an alternate address");
}

Test(config, alternate_port_equals_udp_port_by_default)
{
	expect_bad("ports = { udp = 3479; };\n"
		   "listen = ( { address = \"192.0.2.10\";\n"
		   "             alternate = \"192.0.2.11\"; } );\n",
		   "t.conf:3: ports.alternate must differ from ports.udp (both "
		   "are 3479)");
}

Test(config, alternate_port_unused_without_alternate)
{
	expect_ok(load_text("ports = { udp = 3479; };\n"));
}

Test(config, alternate_port_equals_dtls_port)
{
	expect_bad(
	    "listen = ( { address = \"192.0.2.10\"; alternate = "
	    "\"192.0.2.11\"; } );\n"
	    "ports = { alternate = 5349; };\n",
	    "t.conf:2: ports.alternate and ports.dtls are both 5349; two "
	    "UDP listeners cannot share a port");
}

Test(config, listen_empty)
{
	expect_bad("workers = 1;\nlisten = ( );\n",
		   "t.conf:2: listen is empty; give at least one entry");
}

Test(config, listen_duplicate_address)
{
	expect_bad("listen = (\n"
		   "  { address = \"::1\"; },\n"
		   "  { address = \"127.0.0.1\"; },\n"
		   "  { address = \"0:0::1\"; }\n"
		   ");\n",
		   "t.conf:4: listen[2].address '::1' (line 4) repeats "
		   "listen[0].address '::1' (line 2)");
}

Test(config, listen_alternate_repeats_another_address)
{
	expect_bad(
	    "listen = (\n"
	    "  { address = \"192.0.2.10\"; alternate = \"192.0.2.11\"; },\n"
	    "  { address = \"192.0.2.11\"; }\n"
	    ");\n",
	    "t.conf:3: listen[1].address '192.0.2.11' (line 3) repeats "
	    "listen[0].alternate '192.0.2.11' (line 2)");
}

Test(config, listen_wildcard_overlaps_specific)
{
	expect_bad("listen = (\n"
		   "  { address = \"127.0.0.1\"; },\n"
		   "  { address = \"::1\"; },\n"
		   "  { address = \"0.0.0.0\"; }\n"
		   ");\n",
		   "t.conf:4: listen[2].address '0.0.0.0' (line 4) and "
		   "listen[0].address '127.0.0.1' (line 2) overlap: a wildcard "
		   "already listens on every IPv4 address");
}

Test(config, listen_wildcards_of_both_families)
{
	expect_ok(load_text("listen = ( { address = \"0.0.0.0\"; }, "
			    "{ address = \"::\"; } );\n"));
	cr_assert_eq(cfg->nlisten, 2);
}

/* ---- ports -------------------------------------------------------------- */

Test(config, all_transports_disabled)
{
	expect_bad("# off\nports = {\n  udp = 0;\n  tcp = 0;\n  tls = 0;\n"
		   "  dtls = 0;\n};\n",
		   "t.conf:2: every transport is disabled (ports.udp, tcp, tls "
		   "and dtls are all 0); enable at least one");
}

Test(config, udp_and_dtls_share_a_port)
{
	expect_bad("ports = {\n  udp = 5349;\n};\n",
		   "t.conf:2: ports.udp and ports.dtls are both 5349; two UDP "
		   "listeners cannot share a port");
}

Test(config, tcp_and_tls_share_a_port)
{
	expect_bad("ports = {\n  tcp = 443;\n  tls = 443;\n};\n",
		   "t.conf:3: ports.tcp and ports.tls are both 443; two TCP "
		   "listeners cannot share a port");
}

/* ---- TLS ---------------------------------------------------------------- */

Test(config, certificate_missing_data_file)
{
	char canon[PATH_MAX], want[PATH_MAX + 256];

	/* The loader resolves paths against the canonical directory of the
	 * file (make distcheck puts ".." in TEST_SRCDIR). */
	cr_assert_not_null(realpath(DATA, canon));
	snprintf(
	    want, sizeof(want),
	    "bad-cert-missing.conf:4: tls.certificate: cannot read "
	    "%s/no-such-dir/ternd.crt: No such file or directory (generate "
	    "one with scripts/gen-cert, or set ports.tls = 0 and "
	    "ports.dtls = 0)",
	    canon);
	expect_err(load(DATA "bad-cert-missing.conf"), EINVAL, want);
}

/* Nothing in the file points at the certificate: no line to give. */
Test(config, certificate_missing_by_default)
{
	char want[1024];
	const char *path = put("t.conf", "");

	remove(at("tls/ternd.crt"));
	snprintf(want, sizeof(want),
		 "%s: tls.certificate (default): cannot read %s: No such file "
		 "or directory (generate one with scripts/gen-cert, or set "
		 "ports.tls = 0 and ports.dtls = 0)",
		 path, at("tls/ternd.crt"));
	expect_err(load(path), EINVAL, "");
	cr_assert_str_eq(err, want);
}

Test(config, dtls_alone_needs_the_certificate)
{
	remove(at("tls/ternd.crt"));
	expect_bad("ports = { tls = 0; };\n",
		   "tls.certificate (default): cannot read");
}

Test(config, private_key_missing)
{
	expect_bad("tls = {\n  private_key = \"nope.key\";\n};\n",
		   "t.conf:2: tls.private_key: cannot read");
	cr_assert_not_null(strstr(err, at("nope.key")), "%s", err);
}

Test(config, certificate_is_a_directory)
{
	expect_bad("tls = { certificate = \"tls\"; };\n",
		   "t.conf:1: tls.certificate: cannot read");
	cr_assert_not_null(strstr(err, ": Is a directory"), "%s", err);
}

/* A device never ends: reading /dev/zero as a certificate would hang. */
Test(config, certificate_is_a_device)
{
	expect_bad("tls = { certificate = \"/dev/zero\"; };\n",
		   "t.conf:1: tls.certificate: cannot read /dev/zero: not a "
		   "regular file");
}

Test(config, certificate_empty_string)
{
	expect_bad("tls = {\n  certificate = \"\";\n};\n",
		   "t.conf:2: tls.certificate is empty, but TLS or DTLS is "
		   "enabled");
}

Test(config, certificate_not_pem)
{
	put("junk.crt", "this is not a certificate\n");
	expect_bad("tls = { certificate = \"junk.crt\"; };\n",
		   "t.conf:1: tls.certificate: ");
	cr_assert_not_null(strstr(err, "junk.crt is not a PEM certificate "
				       "OpenSSL can use (OpenSSL: "),
			   "%s", err);
	cr_assert_not_null(strstr(err, "(OpenSSL: no start line)"), "%s", err);
}

Test(config, private_key_not_pem)
{
	put("junk.key", "this is not a key\n");
	expect_bad("tls = {\n  private_key = \"junk.key\";\n};\n",
		   "t.conf:2: tls.private_key: ");
	cr_assert_not_null(strstr(err,
				  "junk.key is not an unencrypted PEM "
				  "private key OpenSSL can use (OpenSSL: "),
			   "%s", err);
}

Test(config, private_key_of_another_certificate)
{
	EVP_PKEY *other = new_key();

	write_key("other.key", other, NULL);
	EVP_PKEY_free(other);
	expect_bad("tls = {\n  private_key = \"other.key\";\n};\n",
		   "t.conf:2: tls.private_key ");
	cr_assert_not_null(strstr(err, "other.key does not belong to "
				       "tls.certificate "),
			   "%s", err);
	cr_assert_not_null(strstr(err, "(OpenSSL: "), "%s", err);
}

/* An EC key beside an RSA certificate: OpenSSL files them apart and only
 * SSL_CTX_check_private_key() notices. */
Test(config, private_key_of_another_type)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048);

	cr_assert_not_null(rsa);
	write_cert("rsa.crt", rsa);
	EVP_PKEY_free(rsa);
	expect_bad("tls = {\n  certificate = \"rsa.crt\";\n}\n",
		   "t.conf:2: tls.private_key ");
	cr_assert_not_null(strstr(err, "tls/ternd.key does not belong to "
				       "tls.certificate "),
			   "%s", err);
}

/* An encrypted key must fail at once, not wait for a passphrase on the
 * terminal. */
Test(config, private_key_encrypted, .timeout = 10)
{
	EVP_PKEY *k = new_key();

	write_cert("enc.crt", k);
	write_key("enc.key", k, "secret");
	EVP_PKEY_free(k);
	expect_bad("tls = {\n  certificate = \"enc.crt\";\n"
		   "  private_key = \"enc.key\";\n};\n",
		   "t.conf:3: tls.private_key: ");
	cr_assert_not_null(strstr(err, "is not an unencrypted PEM private key"),
			   "%s", err);
}

Test(config, ciphers_unknown)
{
	expect_bad("tls = {\n  ciphers = \"NO-SUCH-CIPHER\";\n};\n",
		   "t.conf:2: tls.ciphers 'NO-SUCH-CIPHER' selects no cipher "
		   "this OpenSSL offers (OpenSSL: ");
}

Test(config, ciphers_checked_even_with_tls_off)
{
	expect_bad(NOTLS "tls = { ciphers = \"NO-SUCH-CIPHER\"; };\n",
		   "t.conf:2: tls.ciphers 'NO-SUCH-CIPHER' selects no cipher");
}

/* ---- the API ------------------------------------------------------------ */

Test(config, failure_leaves_the_pointer_alone)
{
	struct ternd_config *p = (struct ternd_config *)&p;

	cr_assert_eq(
	    config_load(&p, put("t.conf", "workers = -1;\n"), err, sizeof(err)),
	    EINVAL);
	cr_assert_eq(p, (struct ternd_config *)&p);
}

Test(config, null_arguments)
{
	cr_assert_eq(config_load(NULL, "x", err, sizeof(err)), EINVAL);
	cr_assert_eq(config_load(&cfg, NULL, err, sizeof(err)), EINVAL);
	cr_assert_null(cfg);
	config_free(NULL);
}

Test(config, small_error_buffer_truncates)
{
	char small[12];

	cr_assert_eq(config_load(&cfg, put("t.conf", "workers = -1;\n"), small,
				 sizeof(small)),
		     EINVAL);
	cr_assert_eq(strlen(small), sizeof(small) - 1);
	cr_assert_eq(config_load(&cfg, at("t.conf"), NULL, 0), EINVAL);
	cr_assert_null(cfg);
}

/* ---- auth, redis, relay ------------------------------------------------- */

#define ALICE "users = ( { name = \"alice\"; password = \"w\"; } );"

Test(config, turn_off_without_auth)
{
	expect_ok(load_text(NOTLS));
	cr_assert(!cfg->turn);
	cr_assert_eq(cfg->nrelay_addrs, 0);
}

Test(config, turn_on_with_users)
{
	expect_ok(load_text(NOTLS "auth = {\n  realm = \"r\";\n  " ALICE
				  "\n};\nrelay = { allow_peers = [ "
				  "\"127.0.0.1/32\" ]; deny_peers = ( "
				  "\"10.0.0.0/8\" ); };\n"));
	cr_assert(cfg->turn);
	cr_assert(!cfg->rest);
	cr_assert_str_eq(cfg->realm, "r");
	cr_assert_eq(cfg->nusers, 1);
	cr_assert_str_eq(cfg->users[0].name, "alice");
	cr_assert_str_eq(cfg->users[0].password, "w");
	/* relay addresses default to the listen addresses */
	cr_assert_eq(cfg->nrelay_addrs, 2);
	assert_addr(&cfg->relay_addrs[0], "127.0.0.1");
	cr_assert_eq(cfg->peer_allow.n, 1);
	cr_assert_eq(cfg->peer_deny.n, 1);
	cr_assert_eq(cfg->relay_port_min, 49152);
	cr_assert_eq(cfg->lifetime_s, 600);
	cr_assert(cfg->sha256);
}

Test(config, turn_rest_and_key_and_secret)
{
	expect_ok(load_text(
	    NOTLS "auth = { realm = \"r\"; secrets = [ \"a\", \"b\" ];\n"
		  "nonce_secret = \"000102030405060708090a0b0c0d0e0f\"; };\n"
		  "relay = { addresses = [ \"192.0.2.1\", \"::ffff:192.0.2.2\" "
		  "]; };\n"));
	cr_assert(cfg->turn);
	cr_assert(cfg->rest);
	cr_assert_eq(cfg->nsecrets, 2);
	cr_assert_eq(cfg->nonce_secret_len, 16);
	cr_assert_eq(cfg->nonce_secret[15], 0x0f);
	cr_assert_eq(cfg->nrelay_addrs, 2);
	assert_addr(&cfg->relay_addrs[1], "192.0.2.2");
	config_free(cfg);
	cfg = NULL;
	expect_ok(load_text(
	    NOTLS "auth = { realm = \"r\"; users = ( { name = \"k\"; key = "
		  "\"0x0123456789abcdef0123456789ABCDEF\"; } ); };\n"));
	cr_assert_str_eq(cfg->users[0].key, "0123456789abcdef0123456789ABCDEF");
	cr_assert_null(cfg->users[0].password);
}

Test(config, turn_redis_store)
{
	expect_ok(load_text(NOTLS "auth = { realm = \"r\"; store = \"redis\"; "
				  "rest = true; };\nredis = { address = "
				  "\"localhost\"; port = 6380; };\n"));
	cr_assert(cfg->turn);
	cr_assert(cfg->rest);
	cr_assert_eq(cfg->store, CFG_STORE_REDIS);
	cr_assert_eq(cfg->redis_port, 6380);
	/* resolved once at load */
	cr_assert(strcmp(cfg->redis_host, "127.0.0.1") == 0 ||
		  strcmp(cfg->redis_host, "::1") == 0);
}

Test(config, auth_realm_missing)
{
	expect_bad(NOTLS "auth = {\n  " ALICE "\n};\n",
		   "t.conf:2: auth.realm is not set, but TURN is on "
		   "(auth.users)");
}

Test(config, auth_realm_too_long)
{
	char text[512];

	snprintf(text, sizeof(text), "auth = { realm = \"%0128d\"; };\n", 0);
	expect_bad(text, "t.conf:1: auth.realm is 128 characters long");
}

Test(config, auth_store_unknown)
{
	expect_bad("auth = { store = \"ldap\"; };\n",
		   "t.conf:1: auth.store 'ldap' is not one of config, redis");
}

Test(config, auth_user_without_password)
{
	expect_bad("auth = { realm = \"r\";\n users = ( { name = \"a\"; } "
		   "); };\n",
		   "t.conf:2: auth.users[0] 'a' needs either a password or a "
		   "key");
}

Test(config, auth_user_with_password_and_key)
{
	expect_bad("auth = { realm = \"r\";\n users = ( { name = \"a\"; "
		   "password = \"p\"; key = "
		   "\"0123456789abcdef0123456789abcdef\"; } ); };\n",
		   "t.conf:2: auth.users[0] 'a' needs either a password or a "
		   "key (not both)");
}

Test(config, auth_user_without_name)
{
	expect_bad("auth = { realm = \"r\";\n users = ( { password = \"p\"; "
		   "} ); };\n",
		   "t.conf:2: auth.users[0] has no name");
}

Test(config, auth_user_twice)
{
	expect_bad("auth = { realm = \"r\"; users = (\n"
		   " { name = \"a\"; password = \"p\"; },\n"
		   " { name = \"a\"; password = \"q\"; }\n); };\n",
		   "t.conf:3: auth.users[1] repeats the user 'a'");
}

Test(config, auth_user_empty_name)
{
	expect_bad("auth = { users = ( { name = \"\"; } ); };\n",
		   "t.conf:1: auth.users[0].name is empty");
}

Test(config, auth_user_bad_key)
{
	expect_bad("auth = { users = ( { name = \"a\"; key = \"abc\"; } ); "
		   "};\n",
		   "t.conf:1: auth.users[0].key must be 32 hex digits");
}

Test(config, auth_user_not_a_group)
{
	expect_bad("auth = { users = ( \"alice\" ); };\n",
		   "t.conf:1: auth.users[0] must be a group");
}

Test(config, auth_user_unknown_member)
{
	expect_bad("auth = { users = ( { name = \"a\"; pasword = \"p\"; } ); "
		   "};\n",
		   "t.conf:1: unknown setting 'auth.users[0].pasword' (did you "
		   "mean 'password'?)");
}

Test(config, auth_users_and_secrets)
{
	expect_bad("auth = { realm = \"r\"; " ALICE "\n secrets = [ \"s\" ]; "
		   "};\n",
		   "t.conf:2: auth.users and auth.secrets are both set");
}

Test(config, auth_redis_with_users)
{
	expect_bad("auth = { realm = \"r\"; store = \"redis\";\n " ALICE
		   " };\n",
		   "t.conf:2: auth.users is set, but auth.store = \"redis\"");
}

Test(config, auth_rest_without_secrets)
{
	expect_bad("auth = { realm = \"r\";\n rest = true; };\n",
		   "t.conf:2: auth.rest = true needs auth.secrets");
}

Test(config, auth_secret_empty)
{
	expect_bad("auth = { secrets = [ \"\" ]; };\n",
		   "t.conf:1: auth.secrets[0] is empty");
}

Test(config, auth_secret_too_many)
{
	expect_bad("auth = { secrets = [ \"1\", \"2\", \"3\", \"4\", \"5\", "
		   "\"6\", \"7\", \"8\", \"9\" ]; };\n",
		   "t.conf:1: auth.secrets[8]: at most 8 secrets");
}

Test(config, auth_secret_not_a_string)
{
	expect_bad("auth = { secrets = ( 1 ); };\n",
		   "t.conf:1: auth.secrets[0] must be a string (got an "
		   "integer)");
}

Test(config, auth_secrets_not_a_list)
{
	expect_bad("auth = { secrets = \"s\"; };\n",
		   "t.conf:1: auth.secrets must be an array of strings");
}

Test(config, auth_nonce_secret_not_hex)
{
	expect_bad(
	    "auth = { nonce_secret = \"xyz\"; };\n",
	    "t.conf:1: auth.nonce_secret must be \"\" (random per start) "
	    "or 32 to 128 hex digits");
}

Test(config, auth_nonce_lifetime_range)
{
	expect_bad("auth = { nonce_lifetime = 10; };\n",
		   "t.conf:1: auth.nonce_lifetime = 10 is out of range");
}

Test(config, redis_address_does_not_resolve)
{
	expect_bad("auth = { realm = \"r\"; store = \"redis\"; };\n"
		   "redis = { address = \"no-such-host.invalid\"; };\n",
		   "t.conf:2: redis.address 'no-such-host.invalid' does not "
		   "resolve");
}

Test(config, relay_address_not_numeric)
{
	expect_bad("relay = { addresses = [ \"relay.example\" ]; };\n",
		   "t.conf:1: relay.addresses[0] 'relay.example' is not a "
		   "numeric IPv4 or IPv6 address (host names are not "
		   "resolved)");
}

Test(config, relay_address_wildcard)
{
	expect_bad("relay = { addresses = [ \"0.0.0.0\" ]; };\n",
		   "t.conf:1: relay.addresses[0] '0.0.0.0' is a wildcard");
}

Test(config, relay_address_twice)
{
	expect_bad("relay = { addresses = [ \"192.0.2.1\", \"192.0.2.1\" ]; "
		   "};\n",
		   "t.conf:1: relay.addresses[1] '192.0.2.1' is listed twice");
}

Test(config, relay_addresses_from_wildcard_listen)
{
	expect_bad(NOTLS "listen = (\n { address = \"0.0.0.0\"; }\n);\n"
			 "auth = { realm = \"r\"; " ALICE " };\n",
		   "t.conf:3: relay.addresses is empty, so the listen "
		   "addresses relay, but listen[0].address '0.0.0.0' is a "
		   "wildcard");
}

Test(config, relay_wildcard_listen_without_turn_is_fine)
{
	expect_ok(
	    load_text(NOTLS "listen = ( { address = \"0.0.0.0\"; } );\n"));
	cr_assert(!cfg->turn);
}

Test(config, relay_port_range_inverted)
{
	expect_bad("relay = {\n port_min = 50000;\n port_max = 40000;\n};\n",
		   "t.conf:3: relay.port_min (50000) is above relay.port_max "
		   "(40000)");
}

Test(config, relay_lifetime_above_max)
{
	expect_bad("relay = {\n lifetime = 7200;\n};\n",
		   "t.conf:2: relay.lifetime (7200 s) is above "
		   "relay.max_lifetime (3600 s)");
}

Test(config, relay_bad_cidr)
{
	expect_bad("relay = { allow_peers = [ \"10.0.0.0/33\" ]; };\n",
		   "t.conf:1: relay.allow_peers[0] '10.0.0.0/33' is not an "
		   "address or prefix");
	expect_bad("relay = { deny_peers = [ \"nope\" ]; };\n",
		   "t.conf:1: relay.deny_peers[0] 'nope' is not an address");
}

Test(config, relay_max_permissions_range)
{
	expect_bad("relay = { max_permissions = 0; };\n",
		   "t.conf:1: relay.max_permissions = 0 is out of range "
		   "(1-65535)");
}

Test(config, relay_max_channels)
{
	expect_ok(load_text(""));
	cr_assert_eq(cfg->max_channels, 128);
	config_free(cfg);
	cfg = NULL;
	expect_ok(load_text("relay = { max_channels = 2; };\n"));
	cr_assert_eq(cfg->max_channels, 2);
	config_free(cfg);
	cfg = NULL;
	expect_bad("relay = { max_channels = 0; };\n",
		   "t.conf:1: relay.max_channels = 0 is out of range "
		   "(1-16384)");
}

Test(config, relay_rfc5766_channels)
{
	expect_ok(load_text(""));
	cr_assert(!cfg->rfc5766_channels, "RFC 8656 by default");
	config_free(cfg);
	cfg = NULL;
	expect_ok(load_text("relay = { rfc5766_channels = true; };\n"));
	cr_assert(cfg->rfc5766_channels);
	config_free(cfg);
	cfg = NULL;
	expect_bad("relay = { rfc5766_channels = 1; };\n",
		   "t.conf:1: relay.rfc5766_channels must be true or false");
}

Test(config, relay_typo_suggests)
{
	expect_bad("relay = { address = [ ]; };\n",
		   "t.conf:1: unknown setting 'relay.address' (did you mean "
		   "'addresses'?)");
}

/* The shipped file turns TURN on with its example user, on loopback. */
Test(config, reference_file_turns_turn_on)
{
	char *text = slurp(TEST_SRCDIR "/etc/ternd.conf");

	expect_ok(load_text(text));
	free(text);
	cr_assert(cfg->turn);
	cr_assert_str_eq(cfg->realm, "tern.local");
	cr_assert_eq(cfg->nusers, 1);
	cr_assert_str_eq(cfg->users[0].name, "tern");
	cr_assert_eq(cfg->nrelay_addrs, 2);
}

/* ---- admin.token, admin.token_file --------------------------------------- */

Test(config, admin_off_loopback_needs_a_token)
{
	expect_bad("admin = { address = \"0.0.0.0\"; port = 9641; };\n",
		   "t.conf:1: admin.address '0.0.0.0' is not a loopback "
		   "address, and no admin.token_file (or admin.token) is set");
	expect_bad("admin = { address = \"::\"; port = 9641; };\n",
		   "admin.address '::' is not a loopback address");
	expect_ok(load_text("admin = { address = \"::1\"; port = 9641; };\n"));
	config_free(cfg);
	cfg = NULL;
	expect_ok(
	    load_text("admin = { address = \"127.0.0.2\"; port = 1; };\n"));
	config_free(cfg);
	cfg = NULL;
	expect_ok(load_text("admin = { address = \"0.0.0.0\"; port = 9641; "
			    "token = \"0123456789abcdef\"; };\n"));
	cr_assert_str_eq(cfg->admin_token, "0123456789abcdef");
}

Test(config, admin_token_file_first_line)
{
	put("tok", "  \n");
	expect_bad("admin = { port = 9641; token_file = \"tok\"; };\n",
		   "admin.token_file: the token must be 16-256 visible ASCII");
	put("tok", "abcdefghijklmnopqrstuvwxyz\nsecond line\n");
	expect_ok(load_text("admin = { address = \"0.0.0.0\"; port = 9641; "
			    "token_file = \"tok\"; };\n"));
	cr_assert_str_eq(cfg->admin_token, "abcdefghijklmnopqrstuvwxyz");
}

Test(config, admin_token_refusals)
{
	expect_bad("admin = { token = \"short\"; };\n",
		   "t.conf:1: admin.token: the token must be 16-256 visible "
		   "ASCII characters");
	expect_bad("admin = { token = \"0123456789 abcdef\"; };\n",
		   "admin.token: the token must be");
	expect_bad("admin = { token = \"0123456789abcdef\"; token_file = "
		   "\"tok\"; };\n",
		   "admin.token and admin.token_file are both set");
	expect_bad("admin = { token_file = \"missing\"; };\n",
		   "admin.token_file '");
}

Test(config, relay_advertise_pairs_and_bare)
{
	char a[SA_STRLEN];

	expect_ok(load_text(
	    NOTLS "listen = ( { address = \"192.0.2.5\"; },"
		  " { address = \"2001:db8::5\"; } );\n"
		  "relay = { advertise = [ \"203.0.113.10/192.0.2.5\","
		  " \"2001:db8:1::10\" ]; };\n"));
	cr_assert_eq(cfg->nadvertise, 2);
	cr_assert_str_eq(sa_print_addr(&cfg->advertise[0].pub, a, sizeof(a)),
			 "203.0.113.10");
	cr_assert_str_eq(sa_print_addr(&cfg->advertise[0].bound, a, sizeof(a)),
			 "192.0.2.5");
	cr_assert(!sa_is_set(&cfg->advertise[1].bound));
}

Test(config, relay_advertise_bad)
{
	expect_bad("relay = { advertise = [ \"203.0.113.10/24\" ]; };\n",
		   "t.conf:1: relay.advertise[0] '203.0.113.10/24' is not "
		   "\"PUBLIC/PRIVATE\"");
	expect_bad("relay = { advertise = [ \"0.0.0.0/127.0.0.1\" ]; };\n",
		   "must be specific");
	expect_bad("relay = { advertise = [ \"2001:db8::1/127.0.0.1\" ]; };\n",
		   "maps one address family onto the other");
	expect_bad("relay = { advertise = [ \"203.0.113.1/127.0.0.1\", "
		   "\"203.0.113.2/127.0.0.1\" ]; };\n",
		   "relay.advertise[1] '203.0.113.2/127.0.0.1': an earlier "
		   "entry already says");
	expect_bad("relay = { advertise = [ \"203.0.113.1\", "
		   "\"203.0.113.2\" ]; };\n",
		   "already says what to advertise for that family");
	expect_bad("relay = {\n advertise = [ \"203.0.113.1/192.0.2.99\" ];\n"
		   "};\n",
		   "t.conf:2: relay.advertise[0]: 192.0.2.99 is neither a "
		   "listen nor a relay address");
}

Test(config, relay_discover_forms)
{
	char a[SA_STRLEN];

	expect_ok(
	    load_text("relay = { discover = \"stun:192.0.2.7:3479\"; };\n"));
	cr_assert_str_eq(sa_print(&cfg->discover_server, a, sizeof(a)),
			 "192.0.2.7:3479");
	config_free(cfg);
	cfg = NULL;
	expect_ok(load_text("relay = { discover = \"[2001:db8::7]\"; };\n"));
	cr_assert_str_eq(sa_print(&cfg->discover_server, a, sizeof(a)),
			 "[2001:db8::7]:3478");
	config_free(cfg);
	cfg = NULL;
	expect_bad("relay = {\n discover = \"stun:192.0.2.7:99999\";\n};\n",
		   "t.conf:2: relay.discover 'stun:192.0.2.7:99999' is not "
		   "\"stun:HOST[:PORT]\"");
	expect_bad("relay = { discover = \"stun:no-such-host.invalid\"; };\n",
		   "with a host that resolves");
}
