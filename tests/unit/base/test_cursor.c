/* test_cursor.c — the bounded readers never pass the end; the writer's
 * overflow is sticky. */
#include <criterion/criterion.h>

#include "base/cursor.h"

Test(cursor, reads_big_endian_and_stops_at_end)
{
	const uint8_t buf[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
	struct cur c = cur_make(buf, sizeof(buf));
	uint8_t b;
	uint16_t h;
	uint32_t w;

	cr_assert(cur_u8(&c, &b));
	cr_assert_eq(b, 0x01);
	cr_assert(cur_u16(&c, &h));
	cr_assert_eq(h, 0x0203);
	cr_assert(cur_u32(&c, &w));
	cr_assert_eq(w, 0x04050607u);
	cr_assert_eq(cur_left(&c), 0);
	cr_assert_not(cur_u8(&c, &b));
	cr_assert_not(cur_skip(&c, 1));
}

Test(cursor, short_read_consumes_nothing)
{
	const uint8_t buf[] = { 0xAA, 0xBB, 0xCC };
	struct cur c = cur_make(buf, sizeof(buf));
	const uint8_t *p;
	uint32_t w;
	uint8_t out[4];

	cr_assert_not(cur_u32(&c, &w));
	cr_assert_not(cur_take(&c, 4, &p));
	cr_assert_not(cur_copy(&c, out, 4));
	cr_assert_eq(cur_left(&c), 3);
	cr_assert(cur_take(&c, 3, &p));
	cr_assert_eq(p, buf);
}

Test(cursor, writer_overflow_is_sticky)
{
	uint8_t buf[6];
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	wbuf_u32(&w, 0x11223344u);
	cr_assert_not(w.overflow);
	wbuf_u32(&w, 0x55667788u); /* does not fit */
	cr_assert(w.overflow);
	wbuf_u8(&w, 1); /* would fit, but the writer is spent */
	cr_assert_eq(w.len, 4);
	cr_assert_eq(get_be32(buf), 0x11223344u);
}

Test(cursor, writer_helpers)
{
	uint8_t buf[12];
	struct wbuf w;

	wbuf_init(&w, buf, sizeof(buf));
	wbuf_u16(&w, 0xBEEF);
	wbuf_bytes(&w, "ab", 2);
	wbuf_zero(&w, 2);
	wbuf_u8(&w, 7);
	cr_assert_eq(w.len, 7);
	cr_assert_eq(get_be16(buf), 0xBEEF);
	cr_assert_eq(buf[2], 'a');
	cr_assert_eq(buf[4], 0);
	cr_assert_eq(buf[6], 7);
	put_be16(buf, 0x0102);
	cr_assert_eq(buf[0], 1);
}
