/* test_bwe.c — the receive side's loss-based estimate (bwe.h): it starts
 * at what arrived, grows 5 % an interval without loss but never past 1.5
 * times the rate plus the headroom, holds between 2 and 10 % loss, falls
 * with heavy loss, and never goes below BWE_MIN. */
#include <criterion/criterion.h>

#include "peer/bwe.h"

Test(bwe, nothing_received_nothing_to_say)
{
	struct bwe b = { 0 };

	cr_assert_eq(bwe_update(&b, 0, 0), 0);
	cr_assert_eq(bwe_update(&b, 0, 255), 0);
}

Test(bwe, starts_at_what_arrived_and_grows_without_loss)
{
	struct bwe b = { 0 };
	uint64_t e0, e1;

	e0 = bwe_update(&b, 1000000, 0);
	cr_assert_eq(e0, 1600000); /* 1.5 x 1 Mbit/s + 100 kbit/s */
	/* the sender then sends less (a still picture): the cap follows */
	e1 = bwe_update(&b, 200000, 0);
	cr_assert_eq(e1, 400000);
	/* and more again: 5 % an interval, not a jump to the new cap */
	cr_assert_eq(bwe_update(&b, 1000000, 0), 420000);
	cr_assert_eq(bwe_update(&b, 1000000, 0), 441000);
}

Test(bwe, holds_between_2_and_10_percent)
{
	struct bwe b = { 0 };
	uint64_t e = bwe_update(&b, 500000, 0);

	cr_assert_eq(bwe_update(&b, 500000, 13), e); /* 5 % */
	cr_assert_eq(bwe_update(&b, 500000, 25), e); /* 9.8 % */
}

Test(bwe, falls_with_heavy_loss_to_the_floor)
{
	struct bwe b = { 0 };
	uint64_t e;

	bwe_update(&b, 1000000, 0);
	/* 20 % lost: rate * (1 - 0.1) */
	e = bwe_update(&b, 800000, 51);
	cr_assert_eq(e, 800000ull * (512 - 51) / 512);
	for (int i = 0; i < 50; i++)
		e = bwe_update(&b, e, 128); /* 50 %: each time 3/4 */
	cr_assert_eq(e, BWE_MIN);
}
