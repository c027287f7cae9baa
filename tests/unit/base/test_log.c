/* test_log.c — level names and the rate limiter's arithmetic. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

Test(log, escape_keeps_printable_ascii_and_escapes_the_rest)
{
	char out[LOG_ESC_SIZE(40)];
	static const char in[] = "ev\"il\\\nFAKE\x01\x7f\xc3\xa9 ok";

	cr_assert_eq(log_escape(out, sizeof(out), in, sizeof(in) - 1),
		     strlen(out));
	cr_assert_str_eq(out, "ev\\\"il\\\\\\x0aFAKE\\x01\\x7f\\xc3\\xa9 ok");
}

Test(log, escape_takes_a_length_and_truncates_on_a_whole_escape)
{
	char out[8];

	cr_assert_eq(log_escape(out, sizeof(out), "ab\0cd", 5), 7);
	cr_assert_str_eq(out, "ab\\x00c");
	cr_assert_eq(log_escape(out, 6, "abc\n", 4), 3);
	cr_assert_str_eq(out, "abc", "no half of \\x0a");
	cr_assert_eq(log_escape(out, 1, "abc", 3), 0);
	cr_assert_str_eq(out, "");
}

/* The lines written to a log file (log_file_open) by fn. */
static void file_lines(void (*fn)(void), char *out, size_t size)
{
	char path[] = "/tmp/tern-test-log.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;
	size_t n;

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(log_file_open(path), 0);
	fn();
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
	unlink(path);
}

static bool json_mode;

static void log_a_newline(void)
{
	log_open(LOG_TO_STDERR, LOG_LVL_INFO, "test");
	log_set_json(json_mode);
	log_info("user=%s", "x\"\nFAKE");
}

Test(log, text_lines_never_carry_a_control_character)
{
	char buf[512];

	json_mode = false;
	file_lines(log_a_newline, buf, sizeof(buf));
	cr_assert_not_null(strstr(buf, "user=x\"\\x0aFAKE\n"), "%s", buf);
	cr_assert_null(strstr(buf, "\nFAKE"), "%s", buf);
}

Test(log, json_lines_escape_the_whole_message)
{
	char buf[512];

	json_mode = true;
	file_lines(log_a_newline, buf, sizeof(buf));
	cr_assert_not_null(strstr(buf, "\"msg\":\"user=x\\\"\\nFAKE\"}\n"),
			   "%s", buf);
}
