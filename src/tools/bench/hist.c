/* hist.c — an HDR-style latency histogram: buckets grow with the value
 * (32 linear steps per power of two), so a percentile costs one pass over
 * 1,400 counters whatever the number of samples, and memory is fixed. */
#include "tools/bench/bench.h"

#include <string.h>

#define HSUB_N (1u << BENCH_HSUB)

static unsigned bin(uint64_t v)
{
	unsigned msb, shift;

	if (v < 2 * HSUB_N)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - BENCH_HSUB;
	if ((shift + 1) * HSUB_N + HSUB_N > BENCH_HBINS)
		return BENCH_HBINS - 1;
	return (shift + 1) * HSUB_N + (unsigned)(v >> shift) - HSUB_N;
}

/* Lowest value of bucket i, and its width. */
static uint64_t bin_low(unsigned i, uint64_t *width)
{
	unsigned shift;

	if (i < 2 * HSUB_N) {
		*width = 1;
		return i;
	}
	shift = i / HSUB_N - 1;
	*width = (uint64_t)1 << shift;
	return (uint64_t)(i % HSUB_N + HSUB_N) << shift;
}

void bench_hist_add(struct bench_hist *h, uint64_t v)
{
	h->c[bin(v)]++;
	h->n++;
	if (v > h->max)
		h->max = v;
}

void bench_hist_merge(struct bench_hist *dst, const struct bench_hist *src)
{
	for (unsigned i = 0; i < BENCH_HBINS; i++)
		dst->c[i] += src->c[i];
	dst->n += src->n;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t bench_hist_quantile(const struct bench_hist *h, double q)
{
	uint64_t want, seen = 0, width, low;

	if (!h->n)
		return 0;
	want = (uint64_t)(q * (double)h->n + 0.999999);
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < BENCH_HBINS; i++) {
		seen += h->c[i];
		if (seen >= want) {
			low = bin_low(i, &width);
			low += width / 2;
			return low < h->max ? low : h->max;
		}
	}
	return h->max;
}
