/*
 * coturn_import.c — libFuzzer target for tern-admin import-coturn's reader
 * of coturn's turnserver.conf (src/tools/admin_import.c) and the writer of
 * the ternd.conf it makes (admin_emit.c).
 *
 * Input: a turnserver.conf, any bytes. Seeds: tests/fuzz/corpus/
 * coturn-import, Debian's coturn example file cut into pieces, the files
 * tests/interop/admin imports, and hand-made edge cases (quotes, bare
 * flags, "name value" and "name=value", CR LF, NUL bytes, very long lines).
 *
 * Held to what admin.h and the unit tests promise, for every input:
 *  - the import succeeds (0; ENOMEM cannot happen here) and writes text
 *    of exactly conflen bytes, NUL-terminated;
 *  - that text is libconfig: whatever coturn file goes in, what comes out
 *    parses (ternd --check-config then judges the settings;
 *    tests/interop/admin runs that part with real files);
 *  - every diagnostic names an option, has text without control bytes
 *    (it quotes the input and is printed on a terminal), and a line that
 *    exists in the input (0: the file as a whole); they come in line
 *    order, and `skipped` counts the SKIP ones;
 *  - no secret of the input reaches a diagnostic: the value of every
 *    static-auth-secret and the password of every user= line are looked
 *    for in each diagnostic's text (when its bytes occur nowhere else in
 *    the input, which a diagnostic may quote); where one is found, the
 *    same input with its secrets changed (in the same shape) must give
 *    that diagnostic the same words (so the match is the diagnostic's own
 *    text, not the secret).
 */
#include <libconfig.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/admin/admin.h"
#include "fuzz.h"

FUZZ_SUPPRESS_LIBCONFIG_LEAKS()

static unsigned count_lines(const char *s, size_t len)
{
	unsigned n = len ? 1 : 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n' && i + 1 < len)
			n++;
	return n;
}

/* Where the secret of a line is, the way coturn reads it closely enough
 * for the check: "static-auth-secret=S" (or a space), "user=NAME:PASS";
 * the value may be quoted. Sets *off and returns the length (0: none).
 * Values under 6 bytes are not looked for (they match ordinary words). */
static size_t line_secret(const char *line, size_t len, size_t *off)
{
	static const char *const keys[] = { "static-auth-secret", "user" };
	size_t i, k, v, lead = 0;

	while (lead < len &&
	       (line[lead] == ' ' || line[lead] == '\t' || line[lead] == '-'))
		lead++;
	for (k = 0; k < 2; k++) {
		size_t kl = strlen(keys[k]);
		const char *p = line + lead;
		size_t n = len - lead;

		if (n <= kl || strncmp(p, keys[k], kl) != 0 ||
		    (p[kl] != '=' && p[kl] != ' ' && p[kl] != '\t'))
			continue;
		v = kl + 1;
		while (v < n && (p[v] == ' ' || p[v] == '\t' || p[v] == '"'))
			v++;
		if (k == 1) { /* the password after the first ':' */
			while (v < n && p[v] != ':')
				v++;
			v++;
		}
		for (i = 0; v + i < n; i++) {
			char ch = p[v + i];

			if (ch == '"' || ch == '\r' || ch == ' ' ||
			    ch == '\t' || ch == '#' || ch == '\0')
				break;
		}
		*off = lead + v;
		return i >= 6 ? i : 0;
	}
	return 0;
}

/* Call fn(arg, start, len) for the secret of every line of s. */
static void each_secret(const char *s, size_t len,
			void (*fn)(void *, size_t, size_t), void *arg)
{
	size_t start = 0, end, off, n;

	while (start < len) {
		for (end = start; end < len && s[end] != '\n'; end++)
			;
		n = line_secret(s + start, end - start, &off);
		if (n)
			fn(arg, start + off, n);
		start = end + 1;
	}
}

/* ch moved by one within [lo, hi]. */
static char rot(char ch, char lo, char hi)
{
	return ch == hi ? lo : (char)(ch + 1);
}

/* Change every byte of the secret but keep its shape (hex stays hex, a
 * "0x" key stays a key), so the import judges it as it did: a
 * diagnostic about the secret's form is given again. */
static void mask(void *arg, size_t at, size_t n)
{
	char *p = (char *)arg + at;

	for (size_t i = 0; i < n; i++) {
		char ch = p[i];

		if (i == 1 && p[0] == '0' && (ch == 'x' || ch == 'X'))
			continue;
		if (ch >= '0' && ch <= '9')
			p[i] = rot(ch, '0', '9');
		else if (ch >= 'a' && ch <= 'f')
			p[i] = rot(ch, 'a', 'f');
		else if (ch >= 'A' && ch <= 'F')
			p[i] = rot(ch, 'A', 'F');
		else if (ch >= 'g' && ch <= 'z')
			p[i] = rot(ch, 'g', 'z');
		else if (ch >= 'G' && ch <= 'Z')
			p[i] = rot(ch, 'G', 'Z');
	}
}

struct leak_check {
	const char *text;
	size_t len;
	const struct admin_import *im, *masked;
};

/* A diagnostic may show the secret's bytes only where the same input with
 * every secret changed shows them too (a word of the diagnostic's
 * own text that the secret happens to equal). */
static void no_leak(void *arg, size_t at, size_t n)
{
	const struct leak_check *lc = arg;
	char secret[512];

	if (n >= sizeof(secret))
		n = sizeof(secret) - 1;
	memcpy(secret, lc->text + at, n);
	secret[n] = '\0';
	/* the same bytes elsewhere in the input (a user name, another
	 * option) may be quoted: only a secret found once is looked for */
	if (memmem(lc->text, at + n - 1, secret, n) ||
	    memmem(lc->text + at + 1, lc->len - at - 1, secret, n))
		return;
	for (size_t i = 0; i < lc->im->ndiag; i++) {
		const struct admin_diag *d = &lc->im->diag[i];
		bool also = false;

		if (!strstr(d->text, secret))
			continue;
		for (size_t j = 0; j < lc->masked->ndiag && !also; j++)
			also = lc->masked->diag[j].line == d->line &&
			       !strcmp(lc->masked->diag[j].opt, d->opt) &&
			       strstr(lc->masked->diag[j].text, secret);
		CHECK(also);
	}
}

static void check_no_secret(const struct admin_import *im, const char *text,
			    size_t len)
{
	struct admin_import masked;
	struct leak_check lc = { text, len, im, &masked };
	char *copy = malloc(len ? len : 1);

	CHECK(copy);
	memcpy(copy, text, len);
	each_secret(copy, len, mask, copy);
	CHECK(admin_import_coturn(&masked, copy, len, "/etc/turn") == 0);
	each_secret(text, len, no_leak, &lc);
	admin_import_free(&masked);
	free(copy);
}

/* No control byte: diagnostics are printed on a terminal. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct admin_import im;
	unsigned lines, skips = 0;
	config_t cfg;

	if (size > 64 * 1024)
		return -1; /* a turnserver.conf is a few kB */
	CHECK(admin_import_coturn(&im, text, size, "/etc/turn") == 0);
	CHECK(im.conf && strlen(im.conf) == im.conflen);
	config_init(&cfg);
	CHECK(config_read_string(&cfg, im.conf) == CONFIG_TRUE);
	config_destroy(&cfg);

	lines = count_lines(text, size);
	for (size_t i = 0; i < im.ndiag; i++) {
		const struct admin_diag *d = &im.diag[i];

		CHECK(d->line <= lines);
		CHECK(i == 0 || im.diag[i - 1].line <= d->line);
		CHECK(d->opt[0] && memchr(d->opt, '\0', sizeof(d->opt)));
		CHECK(d->text[0] && memchr(d->text, '\0', sizeof(d->text)));
		CHECK(printable(d->opt) && printable(d->text));
		CHECK(d->kind == ADMIN_DIAG_SKIP || d->kind == ADMIN_DIAG_NOTE);
		skips += d->kind == ADMIN_DIAG_SKIP;
	}
	CHECK(skips == im.skipped);
	check_no_secret(&im, text, size);
	admin_import_free(&im);
	return 0;
}
