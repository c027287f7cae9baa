/* num.c — see num.h. */
#include "base/num.h"

#include <errno.h>
#include <stdlib.h>

int num_parse(const char *s, double lo, double hi, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *end || *v < lo || *v > hi)
		return EINVAL;
	return 0;
}
