/* clock.h — time sources. Only the edges (ternd's event loop, tools) read a
 * clock; protocol code is handed `now` as a parameter. */
#ifndef TERN_BASE_CLOCK_H
#define TERN_BASE_CLOCK_H

#include <stdint.h>

/* Milliseconds on a monotonic clock (CLOCK_MONOTONIC). */
uint64_t clock_mono_ms(void);
/* Seconds since the Unix epoch (wall clock: REST expiries, nonces). */
uint64_t clock_wall_s(void);

#endif
