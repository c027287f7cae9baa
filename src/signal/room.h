/*
 * room.h — the signaling protocol of the classic WebRTC chat sample, as
 * pure state: who is connected, under which name, and for each text message
 * received what to send to whom. No socket, no clock (now is a parameter),
 * no log; the caller frames the outputs (ws.h) and sends them.
 *
 * Messages (JSON text, one per WebSocket text message):
 *   server -> new connection   {"type":"id","id":N}, with "token":T
 *                              from sig_room_join_token (tern-signal's
 *                              session token for /turn-credentials)
 *   client                     {"type":"username","name":S,...}
 *   server -> that client      {"type":"rejectusername","name":S2,"id":N}
 *                              (only when S was taken: S2 is S and a number)
 *   server -> everyone         {"type":"userlist","users":[S,...]}
 *                              (after a name is set and after a leave)
 *   client                     {"type":"message","text":T,...}
 *   server -> everyone         the same with "name" set to the sender's
 *                              name, tags stripped from T, and "date"
 *                              (ms since 1970, from now) if it had none
 *   client                     {"type":X,"target":S,...}, any other X:
 *                              passed on untouched to the user named S
 *                              (dropped if nobody is), or to everyone
 *                              when there is no target (or "")
 *   server -> sender           {"type":"error","code":C,"reason":R} for
 *                              bad input, C one of "too-big", "bad-json",
 *                              "not-object", "no-type", "bad-name",
 *                              "bad-text", "bad-target", "no-name"; R a
 *                              sentence
 */
#ifndef TERN_SIGNAL_ROOM_H
#define TERN_SIGNAL_ROOM_H

#include <stddef.h>
#include <stdint.h>

/* One text to send: to a connection id; text (not NUL-counted in len) is
 * owned by the outbox and shared between the sends of one broadcast. */
struct sig_send {
	uint64_t to;
	const char *text;
	size_t len;
};

/* What one call asks the caller to send, in order. Initialise with
 * sig_outbox_init; sig_outbox_clear frees it all (and makes it empty). */
struct sig_outbox {
	struct sig_send *v;
	size_t n, cap;
	char **texts;
	size_t ntexts, ctexts;
};

void sig_outbox_init(struct sig_outbox *o);
void sig_outbox_clear(struct sig_outbox *o);

/* Caps: connections in the room, bytes of a name as asked (a taken name
 * then grows by the digits of a counter), bytes of one message. */
struct sig_room_limits {
	size_t max_users;
	size_t max_name;
	size_t max_message;
};

struct sig_room;

/* A room with these caps (every one at least 1). Returns 0, EINVAL or
 * ENOMEM; *rp is set only on 0. */
int sig_room_alloc(struct sig_room **rp, const struct sig_room_limits *lim);

/* Free the room and its connections. Accepts NULL. */
void sig_room_free(struct sig_room *r);

/* A new connection: its id (1, 2, 3... never reused) in *idp, and its
 * {"type":"id"} in out. Returns 0, ENOSPC (the room is full: nothing is
 * added; close the connection, e.g. with 1013) or ENOMEM. */
int sig_room_join(struct sig_room *r, uint64_t *idp, struct sig_outbox *out);

/* The same, with "token":token in the id message when token is not NULL
 * (tern-signal's per-connection session token; copied). */
int sig_room_join_token(struct sig_room *r, const char *token, uint64_t *idp,
			struct sig_outbox *out);

/* Connection id is gone: a fresh userlist to everyone left. Returns 0,
 * ENOENT (no such connection) or ENOMEM. */
int sig_room_leave(struct sig_room *r, uint64_t id, struct sig_outbox *out);

/*
 * One text message from connection from, received at now_ms (ms since
 * 1970). Appends what to send to out; bad input appends an error message
 * to the sender and still returns 0. Returns ENOENT (no such connection)
 * or ENOMEM. The room keeps nothing of text.
 */
int sig_room_input(struct sig_room *r, uint64_t from, const char *text,
		   size_t len, uint64_t now_ms, struct sig_outbox *out);

/* Connections in the room. */
size_t sig_room_count(const struct sig_room *r);

/* The name of a connection, NULL if it has none or does not exist. */
const char *sig_room_name(const struct sig_room *r, uint64_t id);

/* Strip HTML tags as the sample does (JavaScript
 * s.replace(/(<([^>]+)>)/ig, "")): every "<", one or more bytes other than
 * ">", then ">", is removed. In place; returns the new length. */
size_t sig_strip_tags(char *s, size_t len);

#endif
