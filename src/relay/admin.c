/* admin.c — see admin.h. TODO: being written (no listener yet). */
#include "relay/admin.h"

#include <errno.h>
#include <stdio.h>

int admin_start(struct admin **ap, struct event_base *base,
		const struct ternd_config *cfg, struct worker_pool *pool,
		char *err, size_t errlen)
{
	(void)base;
	(void)pool;
	*ap = NULL;
	if (!cfg->admin_port)
		return 0;
	snprintf(err, errlen, "the admin HTTP listener is not available yet");
	return ENOSYS;
}

void admin_set_cfg(struct admin *a, const struct ternd_config *cfg)
{
	(void)a;
	(void)cfg;
}

void admin_free(struct admin *a)
{
	(void)a;
}
