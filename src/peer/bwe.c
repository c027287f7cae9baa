/* bwe.c — the receive side's loss-based bandwidth estimate (bwe.h). */
#include "peer/bwe.h"

uint64_t bwe_update(struct bwe *b, uint64_t rate_bps, uint8_t lost)
{
	uint64_t cap = rate_bps + rate_bps / 2 + BWE_HEADROOM;

	if (!rate_bps)
		return b->est;
	if (!b->est)
		b->est = cap;
	else if (lost > 256 / 10) /* * (1 - loss / 2), loss = lost / 256 */
		b->est = (rate_bps < b->est ? rate_bps : b->est) *
			 (512u - lost) / 512u;
	else if (lost < 256 / 50)
		b->est += b->est / 20;
	if (b->est > cap)
		b->est = cap;
	if (b->est < BWE_MIN)
		b->est = BWE_MIN;
	return b->est;
}
