/* why.h — the one way a parser refuses input with a sentence: write the
 * reason into the caller's buffer (when it gave one) and return the error.
 * Inline so that every layer, and every fuzz target that compiles a
 * parser's source alone, has it without linking anything. */
#ifndef TERN_BASE_WHY_H
#define TERN_BASE_WHY_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* The same with the arguments in a va_list, for a parser's own wrapper. */
static inline int why_vfail(int err, char *why, size_t size, const char *fmt,
			    va_list ap) __attribute__((format(printf, 4, 0)));

static inline int why_vfail(int err, char *why, size_t size, const char *fmt,
			    va_list ap)
{
	if (why && size)
		vsnprintf(why, size, fmt, ap);
	return err;
}

static inline int why_fail(int err, char *why, size_t size, const char *fmt,
			   ...) __attribute__((format(printf, 4, 5)));

static inline int why_fail(int err, char *why, size_t size, const char *fmt,
			   ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = why_vfail(err, why, size, fmt, ap);
	va_end(ap);
	return err;
}

#endif
