/*
 * sig_protocol.c — libFuzzer target for the signaling protocol
 * (src/signal/room.h): arbitrary messages into a room of a few connections.
 *
 * The input is lines. A line's first byte picks what happens: '+' joins a
 * connection, '-' makes a connection leave (chosen by the second byte), any
 * other byte b sends the rest of the line as a text message from a
 * connection chosen by b: one in the room, or one that is not (ENOENT). Every
 * send goes to a connection in the room and is a JSON object with a string
 * type; names stay unique; the room never holds more than its cap.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "signal/room.h"
#include "fuzz.h"

#define USERS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_out(const struct sig_outbox *o)
{
	json_t *m;

	for (size_t i = 0; i < o->n; i++) {
		m = json_loadb(o->v[i].text, o->v[i].len, 0, NULL);
		CHECK(m && json_is_object(m));
		CHECK(json_is_string(json_object_get(m, "type")));
		json_decref(m);
	}
}

/* The connections in the room, as the target sees them. */
struct live {
	uint64_t id[USERS];
	size_t n;
	uint64_t next;
};

/* Connection (b % (n + 1)): one in the room, or one that is not. */
static uint64_t pick(const struct live *l, uint8_t b)
{
	size_t i = b % (l->n + 1);

	return i < l->n ? l->id[i] : l->next + 7;
}

static bool is_live(const struct live *l, uint64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->id[i] == id)
			return true;
	return false;
}

static void check_names(const struct sig_room *r, const struct live *l)
{
	const char *a, *b;

	for (size_t i = 0; i < l->n; i++)
		for (size_t j = i + 1; j < l->n; j++) {
			a = sig_room_name(r, l->id[i]);
			b = sig_room_name(r, l->id[j]);
			CHECK(!a || !b || strcmp(a, b));
		}
}

static void leave(struct sig_room *r, struct live *l, uint64_t id,
		  struct sig_outbox *o)
{
	int e = sig_room_leave(r, id, o);

	CHECK(e == (is_live(l, id) ? 0 : ENOENT));
	for (size_t i = 0; e == 0 && i < l->n; i++)
		if (l->id[i] == id) {
			l->id[i] = l->id[--l->n];
			break;
		}
}

static void one_line(struct sig_room *r, const uint8_t *p, size_t n,
		     struct live *l, struct sig_outbox *o)
{
	uint64_t id;
	int e;

	if (n == 0)
		return;
	if (p[0] == '+') {
		e = sig_room_join(r, &id, o);
		CHECK(e == 0 || (e == ENOSPC && l->n == USERS));
		if (e == 0) {
			CHECK(id == l->next++);
			l->id[l->n++] = id;
		}
	} else if (p[0] == '-') {
		leave(r, l, pick(l, n > 1 ? p[1] : 0), o);
	} else {
		id = pick(l, p[0]);
		e = sig_room_input(r, id, (const char *)p + 1, n - 1,
				   1700000000000ull, o);
		CHECK(e == (is_live(l, id) ? 0 : ENOENT));
	}
	CHECK(sig_room_count(r) == l->n);
	/* every send goes to a connection that is in the room */
	for (size_t i = 0; i < o->n; i++)
		CHECK(is_live(l, o->v[i].to));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sig_room_limits lim = { USERS, 24, 2048 };
	struct sig_room *r;
	struct sig_outbox o;
	struct live l = { { 0 }, 0, 1 };
	const uint8_t *p = data, *nl, *end = data + size;

	if (size > 16384)
		return 0;
	CHECK(sig_room_alloc(&r, &lim) == 0);
	sig_outbox_init(&o);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		one_line(r, p, (size_t)(nl - p), &l, &o);
		check_out(&o);
		check_names(r, &l);
		sig_outbox_clear(&o);
		p = nl + 1;
	}
	sig_room_free(r);
	return 0;
}
