/* test_log.c — level names and the rate limiter's arithmetic. */
#include <criterion/criterion.h>
#include <errno.h>

#include "base/log.h"

Test(log, level_names_round_trip)
{
	enum log_level l;

	cr_assert_eq(log_level_parse("debug", &l), 0);
	cr_assert_eq(l, LOG_LVL_DEBUG);
	cr_assert_str_eq(log_level_name(LOG_LVL_WARN), "warn");
	cr_assert_eq(log_level_parse("verbose", &l), EINVAL);
	cr_assert_eq(log_level_parse(NULL, &l), EINVAL);
}

Test(log, limiter_lets_a_burst_through_per_interval)
{
	struct log_limit lim;

	log_open(LOG_TO_STDERR, LOG_LVL_INFO, "test");
	log_limit_init(&lim, 1000, 3);
	for (int i = 0; i < 10; i++)
		log_limited(&lim, 5000, LOG_LVL_INFO, "message %d", i);
	cr_assert_eq(lim.sent, 3);
	cr_assert_eq(lim.suppressed, 7);
	log_limited(&lim, 6000, LOG_LVL_INFO, "next window");
	cr_assert_eq(lim.sent, 1);
	cr_assert_eq(lim.suppressed, 0);
}

Test(log, limiter_ignores_disabled_levels)
{
	struct log_limit lim;

	log_open(LOG_TO_STDERR, LOG_LVL_WARN, "test");
	log_limit_init(&lim, 1000, 1);
	log_limited(&lim, 1, LOG_LVL_DEBUG, "hidden");
	cr_assert_eq(lim.sent, 0);
	cr_assert_eq(lim.suppressed, 0);
}
