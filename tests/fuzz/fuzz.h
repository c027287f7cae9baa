/*
 * fuzz.h — what the libFuzzer targets in tests/fuzz share: CHECK, which
 * turns a broken promise into a crash libFuzzer reports, and the
 * LeakSanitizer settings of the targets that load libconfig.
 */
#ifndef TERN_FUZZ_H
#define TERN_FUZZ_H

#include <stdlib.h>

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

/*
 * libconfig 1.5 leaks 64 bytes on some syntax errors (a libconfig bug):
 * leaks whose stack holds libconfig.so are suppressed, all others are
 * reported; without print_suppressions=0 LSan lists the suppressions it
 * used after every leak check. Use once, in the target's file.
 */
#define FUZZ_SUPPRESS_LIBCONFIG_LEAKS()                                        \
	const char *__lsan_default_options(void);                              \
	const char *__lsan_default_options(void)                               \
	{                                                                      \
		return "print_suppressions=0";                                 \
	}                                                                      \
	const char *__lsan_default_suppressions(void);                         \
	const char *__lsan_default_suppressions(void)                          \
	{                                                                      \
		return "leak:libconfig.so\n";                                  \
	}

#endif
