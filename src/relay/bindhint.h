/*
 * bindhint.h — what to tell an operator when ternd cannot bind an address:
 * who holds a port in use, the capability a low port needs, and what an
 * address that is not on this host usually means (1:1 NAT).
 */
#ifndef TERN_RELAY_BINDHINT_H
#define TERN_RELAY_BINDHINT_H

#include <stddef.h>

#include "base/sa.h"

/*
 * Write a hint for bind() failing with rc on a (type SOCK_DGRAM or
 * SOCK_STREAM) into buf: a sentence beginning "; " to follow the error
 * text, or "" when there is nothing to add. For EADDRINUSE it reads
 * /proc/net and /proc/PID/fd to name the holder when it can.
 */
void bind_hint(char *buf, size_t size, int rc, int type, const struct sa *a);

/*
 * Can every relay address be bound (UDP, any port)? Relay sockets are
 * opened per allocation, long after start; an address not on this host
 * would only show as 508s. Returns 0, or the errno with one line in err
 * naming the address and the hint.
 */
int bind_check_relay(const struct sa *addrs, size_t n, char *err,
		     size_t errlen);

#endif
