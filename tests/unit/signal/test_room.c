/* test_room.c — the chat sample's signaling protocol, message by message. */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "signal/room.h"

static struct sig_room *room;
static struct sig_outbox out;

static void setup(void)
{
	struct sig_room_limits lim = { 4, 16, 1024 };

	cr_assert_eq(sig_room_alloc(&room, &lim), 0);
	sig_outbox_init(&out);
}

static void teardown(void)
{
	sig_room_free(room);
	sig_outbox_clear(&out);
}

static uint64_t join(void)
{
	uint64_t id = 0;

	sig_outbox_clear(&out);
	cr_assert_eq(sig_room_join(room, &id, &out), 0);
	return id;
}

static void in(uint64_t from, const char *text)
{
	sig_outbox_clear(&out);
	cr_assert_eq(sig_room_input(room, from, text, strlen(text),
				    1700000000123ull, &out),
		     0);
}

/* The i-th send: to whom, and its text equal to want. */
static void sent(size_t i, uint64_t to, const char *want)
{
	cr_assert_lt(i, out.n, "only %zu sends", out.n);
	cr_assert_eq(out.v[i].to, to, "send %zu to %llu", i,
		     (unsigned long long)out.v[i].to);
	cr_assert_eq(out.v[i].len, strlen(out.v[i].text));
	cr_assert_str_eq(out.v[i].text, want);
}

static void error_to(uint64_t to, const char *code)
{
	json_t *m;

	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].to, to);
	m = json_loads(out.v[0].text, 0, NULL);
	cr_assert_not_null(m);
	cr_assert_str_eq(json_string_value(json_object_get(m, "type")),
			 "error");
	cr_assert_str_eq(json_string_value(json_object_get(m, "code")), code,
			 "%s", out.v[0].text);
	cr_assert(json_is_string(json_object_get(m, "reason")));
	json_decref(m);
}

Test(room, id_on_connect, .init = setup, .fini = teardown)
{
	cr_assert_eq(join(), 1);
	sent(0, 1, "{\"type\":\"id\",\"id\":1}");
	cr_assert_eq(out.n, 1);
	cr_assert_eq(join(), 2);
	sent(0, 2, "{\"type\":\"id\",\"id\":2}");
	cr_assert_eq(sig_room_count(room), 2);
}

Test(room, unique_names_share_one_counter, .init = setup, .fini = teardown)
{
	uint64_t a = join(), b = join(), c = join(), d = join();

	in(a, "{\"type\":\"username\",\"name\":\"bob\",\"id\":1}");
	cr_assert_eq(out.n, 4, "the username itself is not forwarded");
	for (size_t i = 0; i < 4; i++)
		sent(i, i + 1, "{\"type\":\"userlist\",\"users\":[\"bob\"]}");
	in(b, "{\"type\":\"username\",\"name\":\"bob\"}");
	sent(0, b, "{\"type\":\"rejectusername\",\"name\":\"bob1\",\"id\":2}");
	sent(1, a, "{\"type\":\"userlist\",\"users\":[\"bob\",\"bob1\"]}");
	cr_assert_eq(out.n, 5);
	in(c, "{\"type\":\"username\",\"name\":\"bob\"}");
	sent(0, c, "{\"type\":\"rejectusername\",\"name\":\"bob2\",\"id\":3}");
	/* one counter for all names: alice gets 3, not 1 */
	in(d, "{\"type\":\"username\",\"name\":\"alice\"}");
	cr_assert_eq(out.n, 4);
	in(a, "{\"type\":\"username\",\"name\":\"alice\"}");
	sent(0, a,
	     "{\"type\":\"rejectusername\",\"name\":\"alice3\",\"id\":1}");
	sent(1, a,
	     "{\"type\":\"userlist\",\"users\":[\"alice3\",\"bob1\",\"bob2\","
	     "\"alice\"]}");
	cr_assert_str_eq(sig_room_name(room, a), "alice3");
	/* asking again for the name one has is no conflict */
	in(d, "{\"type\":\"username\",\"name\":\"alice\"}");
	cr_assert_eq(out.n, 4);
	sent(0, a,
	     "{\"type\":\"userlist\",\"users\":[\"alice3\",\"bob1\",\"bob2\","
	     "\"alice\"]}");
	/* the counter is appended to the name as asked, whatever it is */
	in(d, "{\"type\":\"username\",\"name\":\"bob1\"}");
	sent(0, d, "{\"type\":\"rejectusername\",\"name\":\"bob14\",\"id\":4}");
	/* "bob" is free again (a is alice3): a takes it without a
	 * number; c (bob2) asking for "bob" gets the next count, bob5 */
	in(a, "{\"type\":\"username\",\"name\":\"bob\"}");
	cr_assert_eq(out.n, 4);
	in(c, "{\"type\":\"username\",\"name\":\"bob\"}");
	sent(0, c, "{\"type\":\"rejectusername\",\"name\":\"bob5\",\"id\":3}");
}

Test(room, unnamed_not_listed_and_leave, .init = setup, .fini = teardown)
{
	uint64_t a = join(), b = join(), c = join();

	in(b, "{\"type\":\"username\",\"name\":\"<i>x</i>y\"}");
	sent(0, a, "{\"type\":\"userlist\",\"users\":[\"xy\"]}");
	cr_assert_eq(out.n, 3);
	sig_outbox_clear(&out);
	cr_assert_eq(sig_room_leave(room, b, &out), 0);
	cr_assert_eq(out.n, 2);
	sent(0, a, "{\"type\":\"userlist\",\"users\":[]}");
	sent(1, c, "{\"type\":\"userlist\",\"users\":[]}");
	cr_assert_eq(out.v[0].text, out.v[1].text, "one text, shared");
	cr_assert_eq(sig_room_leave(room, b, &out), ENOENT);
	cr_assert_eq(sig_room_count(room), 2);
	cr_assert_eq(join(), 4, "ids are not reused");
}

Test(room, full_room, .init = setup, .fini = teardown)
{
	uint64_t id;

	for (int i = 0; i < 4; i++)
		join();
	sig_outbox_clear(&out);
	cr_assert_eq(sig_room_join(room, &id, &out), ENOSPC);
	cr_assert_eq(out.n, 0);
	cr_assert_eq(sig_room_count(room), 4);
}

Test(room, chat_broadcast_with_name_stripped, .init = setup, .fini = teardown)
{
	uint64_t a = join(), b = join();

	in(a, "{\"type\":\"username\",\"name\":\"ann\"}");
	in(a, "{\"type\":\"message\",\"text\":\"<b>hi</b> <script>x()"
	      "</script>1 < 2\",\"id\":99,\"date\":5}");
	cr_assert_eq(out.n, 2, "everyone, sender included");
	sent(0, a,
	     "{\"type\":\"message\",\"text\":\"hi x()1 < 2\",\"id\":99,"
	     "\"date\":5,\"name\":\"ann\"}");
	sent(1, b, out.v[0].text);
	/* no date: the room's now */
	in(a, "{\"type\":\"message\",\"text\":\"yo\"}");
	sent(0, a,
	     "{\"type\":\"message\",\"text\":\"yo\",\"name\":\"ann\","
	     "\"date\":1700000000123}");
	/* a client's "name" is replaced by its own */
	in(a, "{\"type\":\"message\",\"text\":\"x\",\"name\":\"eve\","
	      "\"date\":1}");
	sent(0, a,
	     "{\"type\":\"message\",\"text\":\"x\",\"name\":\"ann\","
	     "\"date\":1}");
}

Test(room, routing, .init = setup, .fini = teardown)
{
	uint64_t a = join(), b = join(), c = join();
	const char *offer = "{\"type\":\"video-offer\",\"name\":\"ann\","
			    "\"target\":\"bea\",\"sdp\":{\"type\":\"offer\","
			    "\"sdp\":\"v=0\\r\\n\"}}";
	const char *cand = "{ \"type\" : \"new-ice-candidate\", \"target\": "
			   "\"ann\", \"candidate\": {\"candidate\": "
			   "\"candidate:1 1 udp 1 192.0.2.1 9 typ host\"}}";

	in(a, "{\"type\":\"username\",\"name\":\"ann\"}");
	in(b, "{\"type\":\"username\",\"name\":\"bea\"}");
	/* targeted: to that user only, passed on byte for byte */
	in(a, offer);
	cr_assert_eq(out.n, 1);
	sent(0, b, offer);
	in(b, cand);
	cr_assert_eq(out.n, 1);
	sent(0, a, cand);
	/* nobody of that name: dropped silently */
	in(a, "{\"type\":\"hang-up\",\"name\":\"ann\",\"target\":\"zed\"}");
	cr_assert_eq(out.n, 0);
	/* no target, empty target, null target: everyone, unknown types too */
	in(c, "{\"type\":\"whatever\",\"x\":[1,2]}");
	cr_assert_eq(out.n, 3);
	sent(0, a, "{\"type\":\"whatever\",\"x\":[1,2]}");
	sent(2, c, "{\"type\":\"whatever\",\"x\":[1,2]}");
	in(c, "{\"type\":\"hang-up\",\"target\":\"\"}");
	cr_assert_eq(out.n, 3);
	in(c, "{\"type\":\"hang-up\",\"target\":null}");
	cr_assert_eq(out.n, 3);
}

Test(room, bad_input, .init = setup, .fini = teardown)
{
	uint64_t a = join();
	char big[1100];

	in(a, "not json");
	error_to(a, "bad-json");
	in(a, "{\"type\":\"message\"");
	error_to(a, "bad-json");
	in(a, "{\"type\":\"x\"} trailing");
	error_to(a, "bad-json");
	in(a, "{\"type\":\"x\\u0000\"}");
	error_to(a, "bad-json");
	in(a, "{\"type\":\"\xc0\xaf\"}");
	error_to(a, "bad-json");
	in(a, "42");
	error_to(a, "bad-json");
	in(a, "");
	error_to(a, "bad-json");
	in(a, "[1,2]");
	error_to(a, "not-object");
	in(a, "{\"target\":\"x\"}");
	error_to(a, "no-type");
	in(a, "{\"type\":5}");
	error_to(a, "no-type");
	in(a, "{\"type\":null}");
	error_to(a, "no-type");
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"type\":\"x\"}", 12);
	big[sizeof(big) - 1] = '\0';
	in(a, big);
	error_to(a, "too-big");
	in(a, "{\"type\":\"message\",\"text\":\"early\"}");
	error_to(a, "no-name");
	in(a, "{\"type\":\"username\"}");
	error_to(a, "bad-name");
	in(a, "{\"type\":\"username\",\"name\":7}");
	error_to(a, "bad-name");
	in(a, "{\"type\":\"username\",\"name\":\"\"}");
	error_to(a, "bad-name");
	in(a, "{\"type\":\"username\",\"name\":\"<b></b>\"}");
	error_to(a, "bad-name");
	in(a, "{\"type\":\"username\",\"name\":\"12345678901234567\"}");
	error_to(a, "bad-name");
	cr_assert_null(sig_room_name(room, a));
	in(a, "{\"type\":\"username\",\"name\":\"1234567890123456\"}");
	cr_assert_str_eq(sig_room_name(room, a), "1234567890123456");
	in(a, "{\"type\":\"message\",\"text\":[\"x\"]}");
	error_to(a, "bad-text");
	in(a, "{\"type\":\"message\"}");
	error_to(a, "bad-text");
	in(a, "{\"type\":\"video-offer\",\"target\":5}");
	error_to(a, "bad-target");
	/* unknown connection, bad arguments */
	sig_outbox_clear(&out);
	cr_assert_eq(sig_room_input(room, 77, "{}", 2, 0, &out), ENOENT);
	cr_assert_eq(sig_room_input(room, a, NULL, 2, 0, &out), EINVAL);
	cr_assert_eq(out.n, 0);
}

Test(room, alloc_arguments, .init = setup, .fini = teardown)
{
	struct sig_room *r = NULL;
	struct sig_room_limits lim = { 0, 1, 1 };

	cr_assert_eq(sig_room_alloc(&r, &lim), EINVAL);
	cr_assert_null(r);
	sig_room_free(NULL);
	sig_outbox_clear(NULL);
}

static void strip(const char *in_, const char *want)
{
	char s[128];
	size_t n;

	strcpy(s, in_);
	n = sig_strip_tags(s, strlen(s));
	cr_assert_eq(n, strlen(want), "%s -> %s", in_, s);
	cr_assert(!memcmp(s, want, n), "%s -> %.*s", in_, (int)n, s);
}

Test(room, strip_tags_as_the_sample_regex, .init = setup, .fini = teardown)
{
	/* JavaScript: s.replace(/(<([^>]+)>)/ig, "") */
	strip("<b>bold</b>", "bold");
	strip("a<>b", "a<>b");
	strip("1 < 2", "1 < 2");
	strip("1 < 2 > 0", "1  0");
	strip("<<b>>", ">");
	strip("<a\nhref=x>link</a>", "link");
	strip("x<y", "x<y");
	strip("<", "<");
	strip("", "");
	strip("<<<<", "<<<<");
}

/* tern-signal's session token rides in the id message; the sample's
 * client reads type and id only. */
Test(room, join_token, .init = setup, .fini = teardown)
{
	uint64_t id = 0;
	json_t *m;

	cr_assert_eq(sig_room_join_token(room, "tok-123", &id, &out), 0);
	cr_assert_eq(out.n, 1);
	cr_assert_eq(out.v[0].to, id);
	m = json_loadb(out.v[0].text, out.v[0].len, 0, NULL);
	cr_assert(m);
	cr_assert_str_eq(json_string_value(json_object_get(m, "type")), "id");
	cr_assert_eq(json_integer_value(json_object_get(m, "id")),
		     (json_int_t)id);
	cr_assert_str_eq(json_string_value(json_object_get(m, "token")),
			 "tok-123");
	json_decref(m);
}
