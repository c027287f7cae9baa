/*
 * utf8.h — an incremental UTF-8 check (RFC 3629 §4), fed byte by byte so a
 * text message split across fragments is checked as it arrives (RFC 6455
 * §8.1: fail fast on invalid data). Internal to src/signal.
 */
#ifndef TERN_SIGNAL_UTF8_H
#define TERN_SIGNAL_UTF8_H

#include <stdbool.h>
#include <stdint.h>

/* need: continuation bytes still expected; lo..hi: the range the next one
 * must fall in (narrowed after E0, ED, F0, F4 to refuse overlongs,
 * surrogates and code points above U+10FFFF). */
struct utf8 {
	uint8_t need;
	uint8_t lo;
	uint8_t hi;
};

static inline void utf8_reset(struct utf8 *u)
{
	u->need = 0;
	u->lo = 0x80;
	u->hi = 0xBF;
}

static inline bool utf8_lead(struct utf8 *u, uint8_t b)
{
	u->lo = 0x80;
	u->hi = 0xBF;
	if (b < 0x80)
		return true;
	if (b >= 0xC2 && b <= 0xDF)
		u->need = 1;
	else if (b >= 0xE0 && b <= 0xEF)
		u->need = 2;
	else if (b >= 0xF0 && b <= 0xF4)
		u->need = 3;
	else
		return false; /* 80-C1 (continuation, overlong), F5-FF */
	if (b == 0xE0)
		u->lo = 0xA0; /* overlong 3-byte forms */
	else if (b == 0xED)
		u->hi = 0x9F; /* U+D800..DFFF, surrogates */
	else if (b == 0xF0)
		u->lo = 0x90; /* overlong 4-byte forms */
	else if (b == 0xF4)
		u->hi = 0x8F; /* above U+10FFFF */
	return true;
}

/* One byte; false when the input can no longer be valid UTF-8. */
static inline bool utf8_step(struct utf8 *u, uint8_t b)
{
	if (u->need == 0)
		return utf8_lead(u, b);
	if (b < u->lo || b > u->hi)
		return false;
	u->need--;
	u->lo = 0x80;
	u->hi = 0xBF;
	return true;
}

/* Did the input end on a character boundary? */
static inline bool utf8_complete(const struct utf8 *u)
{
	return u->need == 0;
}

#endif
