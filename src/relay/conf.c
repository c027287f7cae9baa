/*
 * conf.c — ternd's configuration loader; see conf.h.
 *
 * One table (conf_opts.c) lists every setting: its dotted name, its type,
 * its range and its default. Loading parses the file with libconfig, scans
 * its text for what libconfig 1.5 lets by (conf_lex.c), walks the parsed
 * file in file order and looks each setting up in the table, so a typo is
 * an error instead of a silently ignored line, and the first problem
 * reported is the first in the file. The checks that involve several
 * settings run after the walk (conf_check.c), then the TLS files are tried
 * with OpenSSL (conf_cert.c) so a bad certificate stops the start and not
 * the first handshake. This file holds the entry, the messages every step
 * reports through and the file helpers.
 *
 * etc/ternd.conf and ternd.conf(5) document the same table; the unit tests
 * hold both to it through config_option_name().
 */
#include "relay/conf_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- messages ----------------------------------------------------------- */

static int vfail_at(struct loader *ld, const char *file, unsigned line,
		    const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* A file name as libconfig reports it: @include names come relative to the
 * include folder, which is the main file's folder. */
const char *conf_show_file(const struct loader *ld, const char *f, char *buf,
			   size_t size)
{
	if (!f || strcmp(f, ld->path) == 0 || f[0] == '/')
		return f ? f : ld->path;
	snprintf(buf, size, "%s/%s", ld->dir, f);
	return buf;
}

static int vfail_at(struct loader *ld, const char *file, unsigned line,
		    const char *fmt, va_list ap)
{
	char msg[1024];

	if (!ld->err || !ld->errlen)
		return EINVAL;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Values are quoted back verbatim; keep the report on one line. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (line)
		snprintf(ld->err, ld->errlen, "%s:%u: %s", file, line, msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", file, msg);
	return EINVAL;
}

int conf_fail_at(struct loader *ld, const char *file, unsigned line,
		 const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail_at(ld, file, line, fmt, ap);
	va_end(ap);
	return rc;
}

/* Report against setting s ("FILE:LINE: ..."), or the file alone when the
 * value came from a default (s == NULL). Returns EINVAL. */
int conf_fail(struct loader *ld, const config_setting_t *s, const char *fmt,
	      ...)
{
	char buf[PATH_MAX];
	const char *file;
	unsigned line = 0;
	va_list ap;
	int rc;

	file = conf_show_file(ld, s ? config_setting_source_file(s) : NULL, buf,
			      sizeof(buf));
	if (s)
		line = config_setting_source_line(s);
	va_start(ap, fmt);
	rc = vfail_at(ld, file, line, fmt, ap);
	va_end(ap);
	return rc;
}

int conf_nomem(struct loader *ld)
{
	conf_fail(ld, NULL, "out of memory");
	return ENOMEM;
}

/* ---- files -------------------------------------------------------------- */

/*
 * 0 when path names a regular file this process can open for reading, or the
 * errno that says why not; EINVAL for anything but a regular file. A FIFO or
 * a device (tls.certificate = "/dev/zero") is refused before it is opened:
 * opening or reading one could block the start for ever.
 */
int conf_readable_file(const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st) != 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (!S_ISREG(st.st_mode))
		return EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

const char *conf_file_error(int e)
{
	return e == EINVAL ? "not a regular file" : strerror(e);
}

/* Read a whole file into a NUL-terminated buffer. Returns 0 or an errno. */
int conf_slurp(const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;
	int rc = 0;

	if (!f)
		return errno;
	do {
		if (cap - len < 4096) {
			nb = realloc(buf, cap + 65536);
			if (!nb) {
				rc = ENOMEM;
				break;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (!rc && ferror(f))
		rc = EIO;
	fclose(f);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* ---- loading ------------------------------------------------------------ */

/* The file must be a readable regular file; its folder anchors relative
 * paths and @include. */
static int open_check(struct loader *ld)
{
	char *real, *slash;
	int e;

	e = conf_readable_file(ld->path);
	real = e ? NULL : realpath(ld->path, NULL);
	if (!e && !real)
		e = errno;
	if (e) {
		conf_fail_at(ld, ld->path, 0, "cannot read: %s",
			     conf_file_error(e));
		return e;
	}
	slash = strrchr(real, '/');
	slash[slash == real] = '\0'; /* "/a/t.conf" -> "/a"; "/t.conf" -> "/" */
	ld->dir = real;
	return 0;
}

static int new_config(struct loader *ld)
{
	ld->cfg = calloc(1, sizeof(*ld->cfg));
	if (!ld->cfg)
		return conf_nomem(ld);
	ld->cfg->path = strdup(ld->path);
	if (!ld->cfg->path)
		return conf_nomem(ld);
	return conf_set_defaults(ld);
}

static int parse(struct loader *ld, config_t *lc)
{
	if (config_read_file(lc, ld->path) != CONFIG_TRUE)
		return conf_syntax_error(ld, lc);
	return conf_scan_files(ld, lc);
}

/* workers = 0: one per CPU ternd may run on (its affinity: taskset, a
 * container's cpuset), not per online CPU: more workers than CPUs only
 * take turns on them. */
static void resolve_workers(struct ternd_config *c)
{
	cpu_set_t set;
	long n;

	if (c->workers)
		return;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else /* more CPUs than a cpu_set_t holds */
		n = sysconf(_SC_NPROCESSORS_ONLN);
	c->workers = n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (unsigned)n;
}

int config_load(struct ternd_config **cfgp, const char *path, char *err,
		size_t errlen)
{
	struct loader ld = { .path = path, .err = err, .errlen = errlen };
	config_t lc;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!cfgp || !path) {
		if (err && errlen)
			snprintf(err, errlen, "config_load: no file given");
		return EINVAL;
	}
	rc = open_check(&ld);
	if (rc)
		return rc;
	config_init(&lc);
	config_set_include_dir(&lc, ld.dir);
	rc = new_config(&ld);
	if (!rc)
		rc = parse(&ld, &lc);
	if (!rc)
		rc = conf_walk(&ld, config_root_setting(&lc), NULL, NULL);
	if (!rc)
		rc = conf_check_settings(&ld);
	if (!rc)
		rc = conf_check_tls(&ld);
	if (!rc) {
		resolve_workers(ld.cfg);
		*cfgp = ld.cfg;
		ld.cfg = NULL;
	}
	config_destroy(&lc);
	config_free(ld.cfg);
	free(ld.lsrc);
	free(ld.usrc);
	free(ld.files);
	free(ld.dir);
	return rc;
}

void config_free(struct ternd_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->software);
	free(cfg->log_file);
	free(cfg->run_user);
	free(cfg->run_group);
	free(cfg->alternate_server_str);
	free(cfg->admin_host);
	if (cfg->admin_token)
		OPENSSL_cleanse(cfg->admin_token, strlen(cfg->admin_token));
	free(cfg->admin_token);
	free(cfg->admin_token_file);
	free(cfg->listen);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->tls_ciphers);
	free(cfg->realm);
	for (size_t i = 0; i < cfg->nusers; i++) {
		free(cfg->users[i].name);
		if (cfg->users[i].password)
			OPENSSL_cleanse(cfg->users[i].password,
					strlen(cfg->users[i].password));
		free(cfg->users[i].password);
		free(cfg->users[i].key);
	}
	free(cfg->users);
	for (size_t i = 0; i < cfg->nsecrets; i++) {
		OPENSSL_cleanse(cfg->secrets[i], strlen(cfg->secrets[i]));
		free(cfg->secrets[i]);
	}
	free(cfg->secrets);
	OPENSSL_cleanse(cfg->nonce_secret, sizeof(cfg->nonce_secret));
	free(cfg->redis_host);
	free(cfg->redis_password);
	free(cfg->relay_addrs);
	free(cfg->advertise);
	free(cfg->discover);
	cidr_set_reset(&cfg->peer_allow);
	cidr_set_reset(&cfg->peer_deny);
	free(cfg);
}
