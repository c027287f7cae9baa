/*
 * targets.c — the list of targets turn-probe checks, one URI and its
 * credentials each.
 */
#include <errno.h>
#include <stdlib.h>

#include "tools/probe/probe.h"

int probe_targets_add(struct probe_targets *l, const struct probe_target *t)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct probe_target *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *t;
	return 0;
}

void probe_targets_free(struct probe_targets *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
