/* vec.h — read a test vector from tests/vectors/sdp into a heap string. */
#ifndef TEST_PEER_VEC_H
#define TEST_PEER_VEC_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

static inline char *vec_read(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf = malloc(65536);

	snprintf(path, sizeof(path), "%s/tests/vectors/sdp/%s", TEST_SRCDIR,
		 name);
	f = fopen(path, "rb");
	cr_assert(f && buf, "cannot open %s", path);
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

#endif
