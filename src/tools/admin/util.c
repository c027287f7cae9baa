/*
 * util.c — string lists, secrets read from stdin, hex; see admin.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "tools/admin/admin.h"

int admin_list_add(struct admin_list *l, const char *s, size_t len)
{
	char *c;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	c = malloc(len + 1);
	if (!c)
		return ENOMEM;
	memcpy(c, s, len);
	c[len] = '\0';
	l->v[l->n++] = c;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void admin_list_sort_unique(struct admin_list *l)
{
	size_t i, w = 0;

	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	for (i = 1; i < l->n; i++) {
		if (strcmp(l->v[i], l->v[w]) == 0) {
			admin_secret_free(l->v[i]);
			continue;
		}
		l->v[++w] = l->v[i];
	}
	l->n = w + 1;
}

void admin_list_free(struct admin_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		admin_secret_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

void admin_hex(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void admin_secret_free(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/* getline() on stdin with echo off when it is a terminal. */
static ssize_t read_line(const char *prompt, char **line, size_t *cap)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	ssize_t n;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	n = getline(line, cap, stdin);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return n;
}

int admin_read_secret(const char *prompt, char **out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	errno = 0;
	n = read_line(prompt, &line, &cap);
	if (n < 0) {
		int e = errno ? errno : EINVAL;

		free(line);
		return e;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0 || strlen(line) != (size_t)n) {
		/* empty, or a NUL inside: neither is a usable secret */
		OPENSSL_cleanse(line, cap);
		free(line);
		return EINVAL;
	}
	*out = line;
	return 0;
}

int admin_say(const struct admin_ctx *x, int status, const char *fmt, ...)
{
	va_list ap;

	fputs("tern-admin: ", x->err);
	va_start(ap, fmt);
	vfprintf(x->err, fmt, ap);
	va_end(ap);
	fputc('\n', x->err);
	return status;
}

const char *admin_name_problem(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n)
		return "is empty";
	if (n > max)
		return "is too long";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "contains a control character";
	return NULL;
}
