/*
 * cursor.h — bounded byte cursors for reading and writing wire formats.
 *
 * Every read checks what is left before it touches a byte, so a parser built
 * on `struct cur` cannot run past its buffer. Bytes are read one by one and
 * assembled in network order: no pointer is ever cast to a wider type.
 *
 * `struct wbuf` is the writing side: writes past the capacity set a sticky
 * `overflow` flag and write nothing, so an encoder can write a whole message
 * and check once at the end.
 */
#ifndef TERN_BASE_CURSOR_H
#define TERN_BASE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
	const uint8_t *pos;
	const uint8_t *end;
};

static inline struct cur cur_make(const uint8_t *buf, size_t len)
{
	struct cur c = { buf, buf + len };
	return c;
}

static inline size_t cur_left(const struct cur *c)
{
	return (size_t)(c->end - c->pos);
}

/* Each reader returns false, consuming nothing, when too few bytes are left. */
static inline bool cur_u8(struct cur *c, uint8_t *v)
{
	if (cur_left(c) < 1)
		return false;
	*v = c->pos[0];
	c->pos += 1;
	return true;
}

static inline bool cur_u16(struct cur *c, uint16_t *v)
{
	if (cur_left(c) < 2)
		return false;
	*v = (uint16_t)((c->pos[0] << 8) | c->pos[1]);
	c->pos += 2;
	return true;
}

static inline bool cur_u32(struct cur *c, uint32_t *v)
{
	if (cur_left(c) < 4)
		return false;
	*v = ((uint32_t)c->pos[0] << 24) | ((uint32_t)c->pos[1] << 16) |
	     ((uint32_t)c->pos[2] << 8) | (uint32_t)c->pos[3];
	c->pos += 4;
	return true;
}

/* Point *p at the next n bytes and step over them. */
static inline bool cur_take(struct cur *c, size_t n, const uint8_t **p)
{
	if (cur_left(c) < n)
		return false;
	*p = c->pos;
	c->pos += n;
	return true;
}

static inline bool cur_copy(struct cur *c, void *dst, size_t n)
{
	if (cur_left(c) < n)
		return false;
	memcpy(dst, c->pos, n);
	c->pos += n;
	return true;
}

static inline bool cur_skip(struct cur *c, size_t n)
{
	if (cur_left(c) < n)
		return false;
	c->pos += n;
	return true;
}

/* Unaligned big-endian loads and stores on bytes the caller has bounded. */
static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

struct wbuf {
	uint8_t *buf;
	size_t len;
	size_t cap;
	bool overflow;
};

static inline void wbuf_init(struct wbuf *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->len = 0;
	w->cap = cap;
	w->overflow = false;
}

/* Reserve n bytes and return where they start, or NULL (and overflow). */
static inline uint8_t *wbuf_reserve(struct wbuf *w, size_t n)
{
	uint8_t *p;

	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

static inline void wbuf_u8(struct wbuf *w, uint8_t v)
{
	uint8_t *p = wbuf_reserve(w, 1);
	if (p)
		p[0] = v;
}

static inline void wbuf_u16(struct wbuf *w, uint16_t v)
{
	uint8_t *p = wbuf_reserve(w, 2);
	if (p)
		put_be16(p, v);
}

static inline void wbuf_u32(struct wbuf *w, uint32_t v)
{
	uint8_t *p = wbuf_reserve(w, 4);
	if (p)
		put_be32(p, v);
}

static inline void wbuf_bytes(struct wbuf *w, const void *src, size_t n)
{
	uint8_t *p = wbuf_reserve(w, n);
	if (p && n)
		memcpy(p, src, n);
}

static inline void wbuf_zero(struct wbuf *w, size_t n)
{
	uint8_t *p = wbuf_reserve(w, n);
	if (p && n)
		memset(p, 0, n);
}

#endif
