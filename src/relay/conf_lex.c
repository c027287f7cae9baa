/*
 * conf_lex.c — a second, small lexer over the configuration's text for what
 * libconfig 1.5 accepts without a word: an integer that does not fit in 32
 * bits (stored wrapped), and a string or comment still open at the end of
 * the file (taken as the end). It runs on the main file and every file it
 * included, after libconfig parsed them.
 */
#include "relay/conf_priv.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Past the string at p, or NULL if the file ends inside it. */
static const char *skip_string(const char *p, unsigned *line)
{
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		*line += *p == '\n';
	}
	return *p ? p + 1 : NULL;
}

/* Past the comment at p, or NULL if the file ends inside a block comment. */
static const char *skip_comment(const char *p, unsigned *line)
{
	if (p[0] == '/' && p[1] == '*') {
		for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
			*line += *p == '\n';
		return *p ? p + 2 : NULL;
	}
	while (*p && *p != '\n')
		p++;
	return p;
}

static bool starts_number(const char *p)
{
	if (*p == '-' || *p == '+')
		p++;
	if (*p == '.')
		p++;
	return isdigit((unsigned char)*p);
}

/* End of a number token; *wraps is set for an integer libconfig would
 * store in 32 bits without complaint although it does not fit. */
static const char *number_end(const char *p, bool *wraps)
{
	const char *s = p;
	bool hex, flt = false;
	char buf[48];
	long long v;

	if (*p == '-' || *p == '+')
		p++;
	hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	for (; isalnum((unsigned char)*p) || *p == '.'; p++) {
		bool exp = !hex && (*p == 'e' || *p == 'E');

		flt |= *p == '.' || exp;
		if (exp && (p[1] == '-' || p[1] == '+'))
			p++;
	}
	*wraps = false;
	if (flt || p[-1] == 'L' || p[-1] == 'l')
		return p;
	if ((size_t)(p - s) >= sizeof(buf)) {
		*wraps = true;
		return p;
	}
	memcpy(buf, s, (size_t)(p - s));
	buf[p - s] = '\0';
	errno = 0;
	v = strtoll(buf, NULL, hex ? 16 : 10);
	*wraps = errno == ERANGE || v > INT_MAX || v < INT_MIN;
	return p;
}

/* Where libconfig 1.5 accepts what it should not. It keeps an integer
 * without an L suffix in an int and wraps what does not fit without a word
 * ("udp = 4294970774;" reads as 3478), and it takes a string or a comment
 * still open at the end of the file as the end of the file. */
static int scan_text(struct loader *ld, const char *file, const char *p)
{
	unsigned line = 1, start;
	const char *q;
	bool wraps;

	while (*p) {
		start = line;
		if (*p == '"' || *p == '#' ||
		    (p[0] == '/' && (p[1] == '/' || p[1] == '*'))) {
			q = *p == '"' ? skip_string(p, &line)
				      : skip_comment(p, &line);
			if (!q)
				return conf_fail_at(
				    ld, file, start,
				    "%s opened here is never "
				    "closed; libconfig would "
				    "silently ignore the rest of "
				    "the file",
				    *p == '"' ? "a string" : "a /* comment");
			p = q;
		} else if (isalpha((unsigned char)*p) || *p == '*') {
			while (isalnum((unsigned char)*p) ||
			       (*p && strchr("-_*", *p)))
				p++;
		} else if (starts_number(p)) {
			q = number_end(p, &wraps);
			if (wraps)
				return conf_fail_at(
				    ld, file, line,
				    "the integer %.*s does not fit "
				    "in 32 bits; libconfig would "
				    "silently store a different "
				    "value",
				    (int)(q - p > 40 ? 40 : q - p), p);
			p = q;
		} else {
			line += *p++ == '\n';
		}
	}
	return 0;
}

static bool file_listed(const struct loader *ld, const char *f)
{
	if (strcmp(f, ld->path) == 0)
		return true;
	for (size_t i = 0; i < ld->nfiles; i++)
		if (strcmp(ld->files[i], f) == 0)
			return true;
	return false;
}

/* List the @include files that settings came from (libconfig has no
 * documented list of the files it read). */
static int list_files(struct loader *ld, const config_setting_t *s)
{
	const char *f = config_setting_source_file(s);
	int n = config_setting_is_aggregate(s) ? config_setting_length(s) : 0;
	const char **nf;
	int rc = 0;

	if (f && !file_listed(ld, f)) {
		nf = realloc(ld->files, (ld->nfiles + 1) * sizeof(*nf));
		if (!nf)
			return conf_nomem(ld);
		ld->files = nf;
		ld->files[ld->nfiles++] = f;
	}
	for (int i = 0; i < n && !rc; i++)
		rc = list_files(ld, config_setting_get_elem(s, i));
	return rc;
}

/* Scan the file and every file it included for what libconfig lets by. */
int conf_scan_files(struct loader *ld, const config_t *lc)
{
	char buf[PATH_MAX];
	int rc = list_files(ld, config_root_setting(lc));

	for (size_t i = 0; i <= ld->nfiles && !rc; i++) {
		const char *f =
		    i ? conf_show_file(ld, ld->files[i - 1], buf, sizeof(buf))
		      : ld->path;
		char *text;

		rc = conf_slurp(f, &text);
		if (rc == ENOMEM)
			return conf_nomem(ld);
		if (rc) /* libconfig just read it; a vanished file is no
			   reason to refuse what it parsed */
			return 0;
		rc = scan_text(ld, f, text);
		free(text);
	}
	return rc;
}
