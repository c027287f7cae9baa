/* rand.h — randomness from OpenSSL's CSPRNG. Transaction ids, nonces, relay
 * ports and secrets all come from here; nothing in tern uses rand(). */
#ifndef TERN_BASE_RAND_H
#define TERN_BASE_RAND_H

#include <stddef.h>
#include <stdint.h>

/* Fill buf with n random bytes. Returns 0 or EIO when the CSPRNG fails. */
int rand_bytes(void *buf, size_t n);

#endif
