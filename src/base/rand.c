/* rand.c — see rand.h. */
#include "base/rand.h"

#include <errno.h>
#include <limits.h>
#include <openssl/rand.h>

int rand_bytes(void *buf, size_t n)
{
	if (n > INT_MAX)
		return EINVAL;
	return RAND_bytes(buf, (int)n) == 1 ? 0 : EIO;
}
