/*
 * conf_hint.c — libconfig's syntax errors reported with a guess at their
 * cause ("text values ... go in double quotes"), from the line libconfig
 * names and the last non-blank line before it.
 */
#include "relay/conf_priv.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HINT_QUOTES                                                            \
	"text values such as names and addresses go in double quotes, e.g. "   \
	"level = \"info\";"
#define HINT_COMMA                                                             \
	"the entries of a list are separated by ',', e.g. "                    \
	"listen = ( { ... }, { ... } );"
#define HINT_TRAILING "the last entry of a list has no ',' after it"
#define HINT_EOF                                                               \
	"the file ends inside a group, list or string: a closing '}', ')' or " \
	"'\"' is missing"

/* Copy line n (from 1) of text into buf, without its newline. */
static bool get_line(const char *text, unsigned n, char *buf, size_t size)
{
	size_t len;

	for (unsigned i = 1; i < n; i++) {
		text = strchr(text, '\n');
		if (!text)
			return false;
		text++;
	}
	len = strcspn(text, "\n");
	if (len >= size)
		len = size - 1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return true;
}

static bool blank(const char *l)
{
	l += strspn(l, " \t\r");
	return !*l || *l == '#' || (l[0] == '/' && l[1] == '/');
}

/* Nothing but blank lines and comments from line n on: libconfig reached
 * the end of the file with a group, list or string still open. */
static bool at_end(const char *text, unsigned n)
{
	char buf[256];

	for (; get_line(text, n, buf, sizeof(buf)); n++)
		if (!blank(buf))
			return false;
	return true;
}

/* After the setting name that starts line l, or NULL if none does. */
static const char *name_end(const char *l)
{
	l += strspn(l, " \t");
	if (!isalpha((unsigned char)*l) && *l != '*')
		return NULL;
	while (*l && (isalnum((unsigned char)*l) || strchr("-_*", *l)))
		l++;
	return l;
}

/* "level = info;", "address = 127.0.0.1;", "level = 'info';" */
static bool bare_value(const char *l)
{
	const char *p = strpbrk(l, "=:");
	char word[64];
	size_t n = 0;

	if (!p)
		return false;
	p += 1 + strspn(p + 1, " \t");
	if (*p == '\'')
		return true;
	while (n + 1 < sizeof(word) &&
	       (isalnum((unsigned char)p[n]) || (p[n] && strchr(".:-_", p[n]))))
		n++;
	memcpy(word, p, n);
	word[n] = '\0';
	if (!n || !strcasecmp(word, "true") || !strcasecmp(word, "false"))
		return false;
	return isalpha((unsigned char)word[0]) || strchr(word, ':') ||
	       (strchr(word, '.') && strchr(word, '.') != strrchr(word, '.'));
}

static char first_char(const char *l)
{
	return l[strspn(l, " \t\r")];
}

static char last_char(const char *l)
{
	size_t n = strcspn(l, "#");

	while (n && strchr(" \t\r", l[n - 1]))
		n--;
	return n ? l[n - 1] : '\0';
}

static bool closes_then_opens(const char *l)
{
	const char *p = strchr(l, '}');

	return p && first_char(p + 1) == '{';
}

static bool comma_then_close(const char *l)
{
	const char *p = strchr(l, ',');

	return p && first_char(p + 1) == ')';
}

/* "ports.udp = 3478;" */
static bool dotted_name(const char *l)
{
	const char *p = name_end(l);

	return p && *p == '.' && name_end(p + 1);
}

/* "udp 3478;", "ports { ... };" */
static bool missing_equals(const char *l)
{
	const char *p = name_end(l);

	if (!p)
		return false;
	p += strspn(p, " \t");
	return *p && (strchr("{(\"[", *p) || isalnum((unsigned char)*p));
}

static const char *line_hint(const char *l)
{
	if (bare_value(l))
		return HINT_QUOTES;
	if (dotted_name(l))
		return "a name cannot contain '.'; nest a group instead, e.g. "
		       "ports = { udp = 3478; };";
	if (missing_equals(l))
		return "put '=' between a name and its value, e.g. udp = "
		       "3478;";
	if (strstr(l, ";;"))
		return "one ';' ends a setting";
	if (closes_then_opens(l))
		return HINT_COMMA;
	if (comma_then_close(l))
		return HINT_TRAILING;
	return NULL;
}

/* A guess at the cause of a libconfig syntax error reported at `line`, from
 * that line and the last non-blank line before it; NULL when unsure. */
static const char *syntax_hint(const char *text, unsigned line)
{
	char cur[256], prev[256] = "";
	const char *hint;

	if (!line || at_end(text, line))
		return HINT_EOF;
	get_line(text, line, cur, sizeof(cur));
	hint = line_hint(cur);
	if (hint)
		return hint;
	for (unsigned n = line - 1; n > 0; n--)
		if (get_line(text, n, prev, sizeof(prev)) && !blank(prev))
			break;
	if (first_char(cur) == '{' && last_char(prev) == '}')
		return HINT_COMMA;
	if (first_char(cur) == ')' && last_char(prev) == ',')
		return HINT_TRAILING;
	return NULL;
}

static const char *syntax_what(const char *text)
{
	if (strcmp(text, "duplicate setting name") == 0)
		return "a setting appears twice in the same group";
	if (strcmp(text, "cannot open include file") == 0)
		return "cannot open the @include file";
	if (strcmp(text, "mismatched element type in array") == 0)
		return "the elements of an array must all have the same type";
	return "syntax error";
}

int conf_syntax_error(struct loader *ld, const config_t *lc)
{
	char buf[PATH_MAX];
	const char *file =
	    conf_show_file(ld, config_error_file(lc), buf, sizeof(buf));
	const char *text = config_error_text(lc) ? config_error_text(lc) : "?";
	const char *what = syntax_what(text), *hint = NULL;
	int line = config_error_line(lc);
	char *body = NULL;
	int rc;

	if (config_error_type(lc) == CONFIG_ERR_FILE_IO)
		return conf_fail_at(ld, ld->path, 0,
				    "cannot read (libconfig: %s)", text);
	if (strcmp(what, "syntax error") == 0 && conf_slurp(file, &body) == 0)
		hint = syntax_hint(body, line > 0 ? (unsigned)line : 0);
	rc = conf_fail_at(ld, file, line > 0 ? (unsigned)line : 0,
			  "%s (libconfig: %s)%s%s", what, text,
			  hint ? "; hint: " : "", hint ? hint : "");
	free(body);
	return rc;
}
