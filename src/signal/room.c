/*
 * room.c — the chat sample's signaling server as pure state (room.h has
 * the messages). Where the sample misbehaves this does the sensible thing:
 * the sender is the connection the message came on, never the "id" the
 * message claims (an unknown id crashes the sample); unnamed users are left
 * out of the userlist (the sample lists them as null); a user may ask again
 * for the name it has; names lose HTML tags like chat text (the sample's
 * page writes names into innerHTML); bad input is answered with an error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "signal/room.h"

struct conn {
	uint64_t id;
	char *name; /* NULL until a username message */
};

struct sig_room {
	struct sig_room_limits lim;
	struct conn *c; /* in the order they joined */
	size_t n;
	uint64_t next_id;
	uint64_t append; /* the sample's appendToMakeUnique, shared */
};

void sig_outbox_init(struct sig_outbox *o)
{
	memset(o, 0, sizeof(*o));
}

void sig_outbox_clear(struct sig_outbox *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->ntexts; i++)
		free(o->texts[i]);
	free(o->texts);
	free(o->v);
	sig_outbox_init(o);
}

/* Take ownership of text s (freed here on failure). */
static int keep_text(struct sig_outbox *o, char *s)
{
	char **t;
	size_t cap;

	if (o->ntexts == o->ctexts) {
		cap = o->ctexts ? o->ctexts * 2 : 4;
		t = realloc(o->texts, cap * sizeof(*t));
		if (!t) {
			free(s);
			return ENOMEM;
		}
		o->texts = t;
		o->ctexts = cap;
	}
	o->texts[o->ntexts++] = s;
	return 0;
}

static int add_send(struct sig_outbox *o, uint64_t to, const char *s,
		    size_t len)
{
	struct sig_send *v;
	size_t cap;

	if (o->n == o->cap) {
		cap = o->cap ? o->cap * 2 : 8;
		v = realloc(o->v, cap * sizeof(*v));
		if (!v)
			return ENOMEM;
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n].to = to;
	o->v[o->n].text = s;
	o->v[o->n].len = len;
	o->n++;
	return 0;
}

/* Send text s (taken over) to one connection, or to all when to is 0. */
static int send_text(struct sig_room *r, struct sig_outbox *o, uint64_t to,
		     char *s)
{
	size_t len = strlen(s);
	int err = keep_text(o, s);

	if (err || to)
		return err ? err : add_send(o, to, s, len);
	for (size_t i = 0; i < r->n; i++)
		if ((err = add_send(o, r->c[i].id, s, len)) != 0)
			return err;
	return 0;
}

/* Send m (a reference is taken) to one connection, or to all (to 0). */
static int send_json(struct sig_room *r, struct sig_outbox *o, uint64_t to,
		     json_t *m)
{
	char *s;

	if (!m)
		return ENOMEM;
	s = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	if (!s)
		return ENOMEM;
	return send_text(r, o, to, s);
}

static int send_error(struct sig_room *r, struct sig_outbox *o, uint64_t to,
		      const char *code, const char *reason)
{
	return send_json(r, o, to,
			 json_pack("{s:s, s:s, s:s}", "type", "error", "code",
				   code, "reason", reason));
}

static struct conn *find(const struct sig_room *r, uint64_t id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->c[i].id == id)
			return &r->c[i];
	return NULL;
}

static struct conn *find_name(const struct sig_room *r, const char *name,
			      const struct conn *except)
{
	for (size_t i = 0; i < r->n; i++)
		if (&r->c[i] != except && r->c[i].name &&
		    !strcmp(r->c[i].name, name))
			return &r->c[i];
	return NULL;
}

/* {"type":"userlist","users":[...]} to everyone, named users only. */
static int send_userlist(struct sig_room *r, struct sig_outbox *o)
{
	json_t *users = json_array();

	for (size_t i = 0; users && i < r->n; i++)
		if (r->c[i].name &&
		    json_array_append_new(users, json_string(r->c[i].name))) {
			json_decref(users);
			return ENOMEM;
		}
	if (!users)
		return ENOMEM;
	return send_json(
	    r, o, 0,
	    json_pack("{s:s, s:o}", "type", "userlist", "users", users));
}

int sig_room_alloc(struct sig_room **rp, const struct sig_room_limits *lim)
{
	struct sig_room *r;

	if (!rp || !lim || !lim->max_users || !lim->max_name ||
	    !lim->max_message)
		return EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	r->c = calloc(lim->max_users, sizeof(*r->c));
	if (!r->c) {
		free(r);
		return ENOMEM;
	}
	r->lim = *lim;
	r->next_id = 1;
	r->append = 1;
	*rp = r;
	return 0;
}

void sig_room_free(struct sig_room *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->c[i].name);
	free(r->c);
	free(r);
}

int sig_room_join(struct sig_room *r, uint64_t *idp, struct sig_outbox *out)
{
	return sig_room_join_token(r, NULL, idp, out);
}

int sig_room_join_token(struct sig_room *r, const char *token, uint64_t *idp,
			struct sig_outbox *out)
{
	uint64_t id;
	json_t *m;
	int err;

	if (!r || !idp || !out)
		return EINVAL;
	if (r->n >= r->lim.max_users)
		return ENOSPC;
	id = r->next_id;
	m = json_pack("{s:s, s:I}", "type", "id", "id", (json_int_t)id);
	/* the sample's client reads type and id only: an extra field is
	 * ignored there, and a client of tern-signal finds its token */
	if (m && token && json_object_set_new(m, "token", json_string(token)))
		json_decref(m), m = NULL;
	err = send_json(r, out, id, m);
	if (err)
		return err;
	r->next_id++;
	r->c[r->n].id = id;
	r->c[r->n].name = NULL;
	r->n++;
	*idp = id;
	return 0;
}

int sig_room_leave(struct sig_room *r, uint64_t id, struct sig_outbox *out)
{
	struct conn *c;
	size_t i;

	if (!r || !out)
		return EINVAL;
	c = find(r, id);
	if (!c)
		return ENOENT;
	i = (size_t)(c - r->c);
	free(c->name);
	memmove(c, c + 1, (r->n - i - 1) * sizeof(*c));
	r->n--;
	return send_userlist(r, out);
}

size_t sig_room_count(const struct sig_room *r)
{
	return r ? r->n : 0;
}

const char *sig_room_name(const struct sig_room *r, uint64_t id)
{
	const struct conn *c = r ? find(r, id) : NULL;

	return c ? c->name : NULL;
}

size_t sig_strip_tags(char *s, size_t len)
{
	size_t i = 0, w = 0, j;

	while (i < len) {
		if (s[i] == '<' && i + 1 < len && s[i + 1] != '>') {
			j = i + 1;
			while (j < len && s[j] != '>')
				j++;
			if (j == len)
				break; /* no ">" left: nothing more matches */
			i = j + 1;     /* "<...>" removed */
			continue;
		}
		s[w++] = s[i++];
	}
	while (i < len)
		s[w++] = s[i++];
	if (w < len)
		s[w] = '\0';
	return w;
}

/* A copy of a JSON string with the tags stripped; NULL on ENOMEM. */
static char *stripped(json_t *str, size_t *len)
{
	size_t n = json_string_length(str);
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	memcpy(s, json_string_value(str), n);
	s[n] = '\0';
	*len = sig_strip_tags(s, n);
	return s;
}

/* Is the name taken by a connection other than c? */
static bool taken(const struct sig_room *r, const struct conn *c,
		  const char *name)
{
	return find_name(r, name, c) != NULL;
}

/* A name nobody else has: name itself, else name and the shared counter
 * (the sample's appendToMakeUnique), tried until unique. Takes name. */
static char *unique(struct sig_room *r, const struct conn *c, char *name,
		    size_t len)
{
	char *cand = name;

	while (taken(r, c, cand)) {
		if (cand != name)
			free(cand);
		cand = malloc(len + 21);
		if (!cand)
			break;
		snprintf(cand, len + 21, "%s%" PRIu64, name, r->append++);
	}
	if (cand != name)
		free(name);
	return cand;
}

static int on_username(struct sig_room *r, struct conn *c, json_t *m,
		       struct sig_outbox *o)
{
	json_t *v = json_object_get(m, "name");
	char *name;
	size_t len;
	bool changed;
	int err;

	if (!json_is_string(v) || json_string_length(v) > r->lim.max_name)
		return send_error(r, o, c->id, "bad-name",
				  "name must be a string of at most the "
				  "room's name length");
	name = stripped(v, &len);
	if (!name)
		return ENOMEM;
	if (len == 0) {
		free(name);
		return send_error(r, o, c->id, "bad-name",
				  "name is empty (after HTML tags are "
				  "stripped)");
	}
	changed = taken(r, c, name);
	name = unique(r, c, name, len);
	if (!name)
		return ENOMEM;
	free(c->name);
	c->name = name;
	if (changed) {
		err = send_json(r, o, c->id,
				json_pack("{s:s, s:s, s:I}", "type",
					  "rejectusername", "name", name, "id",
					  (json_int_t)c->id));
		if (err)
			return err;
	}
	return send_userlist(r, o);
}

/* Chat: to everyone, sender included, with the sender's name, tags
 * stripped, and the date if the client sent none. */
static int on_message(struct sig_room *r, struct conn *c, json_t *m,
		      uint64_t now_ms, struct sig_outbox *o)
{
	json_t *t = json_object_get(m, "text");
	char *text;
	size_t len;
	int bad = 0;

	if (!c->name)
		return send_error(r, o, c->id, "no-name",
				  "set a username before chatting");
	if (!json_is_string(t))
		return send_error(r, o, c->id, "bad-text",
				  "text must be a string");
	text = stripped(t, &len);
	if (!text)
		return ENOMEM;
	bad |= json_object_set_new(m, "text", json_stringn(text, len));
	free(text);
	bad |= json_object_set_new(m, "name", json_string(c->name));
	if (!json_object_get(m, "date"))
		bad |= json_object_set_new(m, "date",
					   json_integer((json_int_t)now_ms));
	if (bad)
		return ENOMEM;
	return send_json(r, o, 0, json_incref(m));
}

/* Anything else: passed on as received, to the target or to everyone. */
static int on_other(struct sig_room *r, struct conn *c, json_t *m,
		    const char *text, size_t len, struct sig_outbox *o)
{
	json_t *t = json_object_get(m, "target");
	struct conn *to = NULL;
	char *s;

	if (t && !json_is_null(t) && !json_is_string(t))
		return send_error(r, o, c->id, "bad-target",
				  "target must be a user's name");
	if (json_is_string(t) && json_string_length(t) > 0) {
		to = find_name(r, json_string_value(t), NULL);
		if (!to)
			return 0; /* nobody of that name: dropped, as the
				     sample does */
	}
	s = malloc(len + 1);
	if (!s)
		return ENOMEM;
	memcpy(s, text, len);
	s[len] = '\0';
	return send_text(r, o, to ? to->id : 0, s);
}

int sig_room_input(struct sig_room *r, uint64_t from, const char *text,
		   size_t len, uint64_t now_ms, struct sig_outbox *out)
{
	struct conn *c;
	json_error_t jerr;
	json_t *m, *type;
	int err;

	if (!r || !out || (!text && len))
		return EINVAL;
	c = find(r, from);
	if (!c)
		return ENOENT;
	if (len > r->lim.max_message)
		return send_error(r, out, from, "too-big",
				  "message over the size cap");
	m = json_loadb(text ? text : "", len, 0, &jerr);
	if (!m)
		return send_error(r, out, from, "bad-json",
				  "message is not valid JSON");
	type = json_object_get(m, "type");
	if (!json_is_object(m))
		err = send_error(r, out, from, "not-object",
				 "message is not a JSON object");
	else if (!json_is_string(type))
		err = send_error(r, out, from, "no-type",
				 "message has no type, or its type is not a "
				 "string");
	else if (!strcmp(json_string_value(type), "username"))
		err = on_username(r, c, m, out);
	else if (!strcmp(json_string_value(type), "message"))
		err = on_message(r, c, m, now_ms, out);
	else
		err = on_other(r, c, m, text, len, out);
	json_decref(m);
	return err;
}
