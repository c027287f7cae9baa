/*
 * stun.h — the STUN codec (RFC 8489, RFC 5780, RFC 8656 attributes, RFC 3489
 * backwards compatibility), ChannelData framing and RFC 7983 demultiplexing.
 *
 * Pure: bytes in, struct or error out. No socket, clock, log or global state.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |0 0|     STUN Message Type     |         Message Length        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         Magic Cookie                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     Transaction ID (96 bits)                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Message Type:  M11..M7 C1 M6..M4 C0 M3..M0  (RFC 8489 §5)
 *
 *  Attribute:     Type (16) | Length (16) | Value, padded to 4 bytes
 */
#ifndef TERN_STUN_STUN_H
#define TERN_STUN_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sa.h"

#define STUN_HEADER_SIZE     20
#define STUN_MAGIC_COOKIE    0x2112A442u
#define STUN_TID_SIZE	     12
#define STUN_FINGERPRINT_XOR 0x5354554Eu
/* Most attributes one decoded message keeps; more makes the message invalid. */
#define STUN_MAX_ATTRS 48
/* Most unknown comprehension-required attributes reported in a 420. */
#define STUN_MAX_UNKNOWN 16
/* Largest message we build or accept on a stream. */
#define STUN_MAX_MSG 65535

enum stun_class {
	STUN_CLASS_REQUEST = 0,
	STUN_CLASS_INDICATION = 1,
	STUN_CLASS_SUCCESS = 2,
	STUN_CLASS_ERROR = 3,
};

enum stun_method {
	STUN_METHOD_BINDING = 0x001,
	/* RFC 8656 */
	STUN_METHOD_ALLOCATE = 0x003,
	STUN_METHOD_REFRESH = 0x004,
	STUN_METHOD_SEND = 0x006,
	STUN_METHOD_DATA = 0x007,
	STUN_METHOD_CREATE_PERMISSION = 0x008,
	STUN_METHOD_CHANNEL_BIND = 0x009,
	/* RFC 6062 */
	STUN_METHOD_CONNECT = 0x00a,
	STUN_METHOD_CONNECTION_BIND = 0x00b,
	STUN_METHOD_CONNECTION_ATTEMPT = 0x00c,
};

enum stun_attr_type {
	/* RFC 8489 comprehension-required */
	STUN_ATTR_MAPPED_ADDRESS = 0x0001,
	STUN_ATTR_RESPONSE_ADDRESS = 0x0002, /* RFC 3489, obsolete */
	STUN_ATTR_CHANGE_REQUEST = 0x0003,   /* RFC 5780 */
	STUN_ATTR_SOURCE_ADDRESS = 0x0004,   /* RFC 3489, obsolete */
	STUN_ATTR_CHANGED_ADDRESS = 0x0005,  /* RFC 3489, obsolete */
	STUN_ATTR_USERNAME = 0x0006,
	STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
	STUN_ATTR_ERROR_CODE = 0x0009,
	STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
	STUN_ATTR_CHANNEL_NUMBER = 0x000C,   /* RFC 8656 */
	STUN_ATTR_LIFETIME = 0x000D,	     /* RFC 8656 */
	STUN_ATTR_XOR_PEER_ADDRESS = 0x0012, /* RFC 8656 */
	STUN_ATTR_DATA = 0x0013,	     /* RFC 8656 */
	STUN_ATTR_REALM = 0x0014,
	STUN_ATTR_NONCE = 0x0015,
	STUN_ATTR_XOR_RELAYED_ADDRESS = 0x0016,	     /* RFC 8656 */
	STUN_ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017, /* RFC 8656 */
	STUN_ATTR_EVEN_PORT = 0x0018,		     /* RFC 8656 */
	STUN_ATTR_REQUESTED_TRANSPORT = 0x0019,	     /* RFC 8656 */
	STUN_ATTR_DONT_FRAGMENT = 0x001A,	     /* RFC 8656 */
	STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
	STUN_ATTR_PASSWORD_ALGORITHM = 0x001D,
	STUN_ATTR_USERHASH = 0x001E,
	STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	STUN_ATTR_RESERVATION_TOKEN = 0x0022, /* RFC 8656 */
	STUN_ATTR_PADDING = 0x0026,	      /* RFC 5780 */
	STUN_ATTR_RESPONSE_PORT = 0x0027,     /* RFC 5780 */
	STUN_ATTR_PRIORITY = 0x0024,	      /* RFC 8445 */
	STUN_ATTR_USE_CANDIDATE = 0x0025,     /* RFC 8445 */
	STUN_ATTR_CONNECTION_ID = 0x002A,     /* RFC 6062 */
	/* comprehension-optional */
	STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY = 0x8000, /* RFC 8656 */
	STUN_ATTR_ADDRESS_ERROR_CODE = 0x8001,	      /* RFC 8656 */
	STUN_ATTR_PASSWORD_ALGORITHMS = 0x8002,
	STUN_ATTR_ALTERNATE_DOMAIN = 0x8003,
	STUN_ATTR_ICMP = 0x8004, /* RFC 8656 */
	STUN_ATTR_SOFTWARE = 0x8022,
	STUN_ATTR_ALTERNATE_SERVER = 0x8023,
	STUN_ATTR_FINGERPRINT = 0x8028,
	STUN_ATTR_ICE_CONTROLLED = 0x8029,  /* RFC 8445 */
	STUN_ATTR_ICE_CONTROLLING = 0x802A, /* RFC 8445 */
	STUN_ATTR_RESPONSE_ORIGIN = 0x802B, /* RFC 5780 */
	STUN_ATTR_OTHER_ADDRESS = 0x802C,   /* RFC 5780 */
};

/* RFC 8489 §18.5 password algorithms. */
enum stun_pwalg {
	STUN_PWALG_MD5 = 0x0001,
	STUN_PWALG_SHA256 = 0x0002,
};

/* Fixed value sizes: USERHASH (RFC 8489 §14.4), RESERVATION-TOKEN (RFC 8656
 * §18.10), MESSAGE-INTEGRITY (§14.5) and the MESSAGE-INTEGRITY-SHA256 we send
 * (§14.6; receivers accept 16-32 bytes in steps of 4). */
#define STUN_USERHASH_SIZE 32
#define STUN_TOKEN_SIZE	   8
#define STUN_MI_SIZE	   20
#define STUN_MI256_SIZE	   32

/* RFC 5780 §7.2 CHANGE-REQUEST flags. */
#define STUN_CHANGE_IP	 0x4u
#define STUN_CHANGE_PORT 0x2u

/* Is the attribute type comprehension-required (0x0000-0x7FFF)? */
static inline bool stun_attr_required(uint16_t type)
{
	return type < 0x8000;
}

/* Message type from method and class, and back (RFC 8489 §5). */
uint16_t stun_type(uint16_t method, enum stun_class cls);
uint16_t stun_type_method(uint16_t type);
enum stun_class stun_type_class(uint16_t type);

/* One attribute of a decoded message; `val` points into the message buffer. */
struct stun_attr {
	uint16_t type;
	uint16_t len;	 /* value length, without padding */
	uint16_t offset; /* of the attribute header from message start */
	const uint8_t *val;
};

/*
 * A decoded message. It points into the buffer it was decoded from, which
 * the caller keeps alive and unchanged while the struct is used.
 */
struct stun_msg {
	const uint8_t *buf; /* whole message, header included */
	size_t len;	    /* 20 + header length */
	uint16_t type;
	uint16_t method;
	enum stun_class cls;
	uint32_t cookie; /* as received */
	bool rfc3489;	 /* cookie was not the magic cookie (RFC 8489 §12) */
	uint8_t tid[STUN_TID_SIZE];
	unsigned nattrs;
	struct stun_attr attrs[STUN_MAX_ATTRS];
	/* Indexes into attrs[], or -1 when absent. */
	int mi;	   /* MESSAGE-INTEGRITY */
	int mi256; /* MESSAGE-INTEGRITY-SHA256 */
	int fp;	   /* FINGERPRINT (verified by decode) */
	/* Comprehension-required attributes this codec does not know (the
	 * caller answers a request carrying any with 420, RFC 8489 §6.3.1). */
	unsigned nunknown;
	uint16_t unknown[STUN_MAX_UNKNOWN];
};

/* Decode flags. */
#define STUN_DECODE_ALLOW_RFC3489                                              \
	0x1u /* accept a Binding request without the                           \
		magic cookie (RFC 8489 §12) */

/*
 * Decode the STUN message that fills buf[0..len) exactly (a datagram, or one
 * frame cut out of a stream by stun_frame_len).
 *
 * Rules (RFC 8489):
 *  - first two bits zero, length a multiple of 4 and equal to len - 20,
 *    the magic cookie (unless ALLOW_RFC3489 and the message is a Binding
 *    request), every attribute's length inside the message;
 *  - len at most STUN_MAX_MSG (so attribute offsets fit in 16 bits; no UDP
 *    datagram is longer), at most STUN_MAX_ATTRS attributes kept;
 *  - only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are kept after
 *    MESSAGE-INTEGRITY, only FINGERPRINT after MESSAGE-INTEGRITY-SHA256
 *    (§14.5, §14.6: anything else after them is ignored: not in attrs[],
 *    not in unknown[]);
 *  - MESSAGE-INTEGRITY is 20 bytes, MESSAGE-INTEGRITY-SHA256 16 to 32 bytes
 *    in steps of 4, FINGERPRINT 4 bytes;
 *  - FINGERPRINT, when present, must be last and must verify (§14.7);
 *  - unknown comprehension-required attributes are listed in msg->unknown
 *    (each type once, at most STUN_MAX_UNKNOWN).
 *
 * Single pass, no allocation, no copy: attrs[] point into buf.
 * Returns 0, EBADMSG when the bytes are not a well-formed STUN message, or
 * EINVAL when msg or buf is NULL. On error *msg is undefined.
 */
int stun_msg_decode(struct stun_msg *msg, const uint8_t *buf, size_t len,
		    unsigned flags);

/* Quick test: could buf be a STUN message (at least a header, first two bits
 * zero, length a multiple of 4, magic cookie)? Used by demultiplexers before
 * a full decode. */
bool stun_msg_is_stun(const uint8_t *buf, size_t len);

/* First attribute of this type, or NULL. */
const struct stun_attr *stun_msg_attr(const struct stun_msg *msg,
				      uint16_t type);

/*
 * Typed readers. Each returns 0, or EBADMSG when the value is malformed for
 * its type (wrong length, bad family, over the RFC's size limit), or EINVAL
 * for a NULL argument. Pointers they return point into the message buffer.
 */

/* MAPPED-ADDRESS, ALTERNATE-SERVER, RESPONSE-ORIGIN, OTHER-ADDRESS and the
 * RFC 3489 address attributes (RFC 8489 §14.1). */
int stun_attr_addr(const struct stun_attr *a, struct sa *out);
/* XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS (§14.2): the
 * port is XORed with the cookie's top half, IPv4 with the cookie, IPv6 with
 * cookie and transaction id. */
int stun_attr_xaddr(const struct stun_attr *a, const struct stun_msg *msg,
		    struct sa *out);
/* ERROR-CODE (§14.8): class*100 + number (300-699) and the reason phrase
 * (not NUL-terminated). */
int stun_attr_errcode(const struct stun_attr *a, uint16_t *code,
		      const char **reason, size_t *reason_len);
/* UNKNOWN-ATTRIBUTES (§14.13): up to max types into out, the number written
 * in *n. */
int stun_attr_unknown(const struct stun_attr *a, uint16_t *out, size_t max,
		      size_t *n);
/* USERNAME, REALM, NONCE, SOFTWARE (<= 763 bytes, what §14.3, §14.9, §14.10,
 * §14.14 require a receiver to parse), ALTERNATE-DOMAIN (<= 255 bytes,
 * §14.16): the text, not NUL-terminated; UTF-8 is not checked. */
int stun_attr_text(const struct stun_attr *a, const char **s, size_t *n);
/* LIFETIME, and any 32-bit value. */
int stun_attr_u32(const struct stun_attr *a, uint32_t *v);
/* CHANGE-REQUEST (RFC 5780 §7.2): STUN_CHANGE_IP / STUN_CHANGE_PORT bits. */
int stun_attr_change_request(const struct stun_attr *a, uint32_t *flags);
/* RESPONSE-PORT (RFC 5780 §7.5). */
int stun_attr_response_port(const struct stun_attr *a, uint16_t *port);
/* CHANNEL-NUMBER (RFC 8656 §18.1); any 16-bit value, range checked by TURN. */
int stun_attr_channel(const struct stun_attr *a, uint16_t *ch);
/* REQUESTED-TRANSPORT (RFC 8656 §18.8): the protocol number (17, 6). */
int stun_attr_transport(const struct stun_attr *a, uint8_t *proto);
/* REQUESTED-ADDRESS-FAMILY / ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.6,
 * 18.11): AF_INET or AF_INET6 (wire values 0x01, 0x02). A well-formed value
 * naming another family gives EAFNOSUPPORT, so TURN can answer 440 rather
 * than 400 (RFC 8656 §7.2). */
int stun_attr_family(const struct stun_attr *a, int *family);
/* EVEN-PORT (RFC 8656 §18.7): the R bit. */
int stun_attr_even_port(const struct stun_attr *a, bool *reserve);
/* PASSWORD-ALGORITHM (§14.12): the algorithm number. Parameters must be
 * empty for MD5 and SHA-256. */
int stun_attr_pwalg(const struct stun_attr *a, uint16_t *alg);
/* PASSWORD-ALGORITHMS (§14.11): up to max algorithm numbers into out. */
int stun_attr_pwalgs(const struct stun_attr *a, uint16_t *out, size_t max,
		     size_t *n);
/* USERHASH (§14.4): exactly 32 bytes. */
int stun_attr_userhash(const struct stun_attr *a, const uint8_t **hash);
/* RESERVATION-TOKEN (RFC 8656 §18.10): exactly 8 bytes. */
int stun_attr_token(const struct stun_attr *a, const uint8_t **token);
/* ICMP (RFC 8656 §18.13): ICMP type, code and error data. */
int stun_attr_icmp(const struct stun_attr *a, uint8_t *type, uint8_t *code,
		   uint32_t *data);
/* ADDRESS-ERROR-CODE (RFC 8656 §18.12): family and code. */
int stun_attr_addr_errcode(const struct stun_attr *a, int *family,
			   uint16_t *code, const char **reason,
			   size_t *reason_len);

/*
 * Integrity (RFC 8489 §14.5, §14.6). key is the short-term password or the
 * long-term key (MD5(user:realm:pass) or SHA-256 of it, §9.2.2).
 * Returns 0 when the attribute is present and matches, ENOENT when absent,
 * EACCES when it does not match, ENOMEM when OpenSSL fails, EINVAL when msg
 * is NULL. A NULL key with keylen 0 is the empty key. Comparison is
 * constant-time. MESSAGE-INTEGRITY-SHA256 compares as many bytes as the
 * attribute carries (16-32, §14.6).
 */
int stun_msg_check_mi(const struct stun_msg *msg, const uint8_t *key,
		      size_t keylen);
int stun_msg_check_mi256(const struct stun_msg *msg, const uint8_t *key,
			 size_t keylen);

/*
 * Encoder. Writes into a caller buffer; any failure (no room, bad argument)
 * sets a sticky error that stun_enc_finish reports, so a handler can add
 * attributes one after another and check once.
 */
struct stun_enc {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
	uint8_t tid[STUN_TID_SIZE];
	uint32_t cookie;
};

/* Start a message. */
void stun_enc_init(struct stun_enc *e, uint8_t *buf, size_t cap,
		   uint16_t method, enum stun_class cls,
		   const uint8_t tid[STUN_TID_SIZE]);
/* Start a reply to msg: same method and transaction id, the given class; an
 * RFC 3489 request gets its own cookie field back (RFC 8489 §12.2). */
void stun_enc_reply(struct stun_enc *e, uint8_t *buf, size_t cap,
		    const struct stun_msg *req, enum stun_class cls);

/* Raw attribute (DATA, USERHASH, RESERVATION-TOKEN, DONT-FRAGMENT with
 * val NULL and len 0, ...); the value is padded with zeros to 4 bytes. */
void stun_enc_attr(struct stun_enc *e, uint16_t type, const void *val,
		   size_t len);
void stun_enc_u32(struct stun_enc *e, uint16_t type, uint32_t v);
/* Text attributes (USERNAME < 509 bytes, REALM, NONCE, SOFTWARE <= 509
 * bytes, ALTERNATE-DOMAIN <= 255 bytes; longer is EINVAL): s of n bytes. */
void stun_enc_text(struct stun_enc *e, uint16_t type, const char *s, size_t n);
void stun_enc_addr(struct stun_enc *e, uint16_t type, const struct sa *a);
void stun_enc_xaddr(struct stun_enc *e, uint16_t type, const struct sa *a);
/* ERROR-CODE; reason NULL takes stun_reason(code). */
void stun_enc_errcode(struct stun_enc *e, uint16_t code, const char *reason);
void stun_enc_unknown(struct stun_enc *e, const uint16_t *types, size_t n);
void stun_enc_change_request(struct stun_enc *e, uint32_t flags);
void stun_enc_channel(struct stun_enc *e, uint16_t ch);
void stun_enc_transport(struct stun_enc *e, uint8_t proto);
void stun_enc_family(struct stun_enc *e, uint16_t type, int family);
void stun_enc_pwalgs(struct stun_enc *e, const uint16_t *algs, size_t n);
void stun_enc_pwalg(struct stun_enc *e, uint16_t alg);
void stun_enc_addr_errcode(struct stun_enc *e, int family, uint16_t code,
			   const char *reason);
void stun_enc_even_port(struct stun_enc *e, bool reserve);
void stun_enc_response_port(struct stun_enc *e, uint16_t port);
void stun_enc_icmp(struct stun_enc *e, uint8_t type, uint8_t code,
		   uint32_t data);
/* PADDING (RFC 5780 §7.6): n zero bytes. */
void stun_enc_padding(struct stun_enc *e, size_t n);

/* MESSAGE-INTEGRITY (HMAC-SHA1, 20 bytes) over the message so far, with the
 * header length counting the attribute (§14.5). */
void stun_enc_mi(struct stun_enc *e, const uint8_t *key, size_t keylen);
/* MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256, 32 bytes) likewise (§14.6). */
void stun_enc_mi256(struct stun_enc *e, const uint8_t *key, size_t keylen);
/* FINGERPRINT: CRC-32 of the message so far XOR 0x5354554E (§14.7). */
void stun_enc_fingerprint(struct stun_enc *e);

/* The CRC-32 of ISO 3309 / ITU-T V.42 (zlib's crc32) of n bytes; the
 * FINGERPRINT value is this XOR STUN_FINGERPRINT_XOR (§14.7). */
uint32_t stun_crc32(const uint8_t *p, size_t n);

/* Finish: set the header length. Returns 0 with the message length in *len,
 * or the sticky error (ENOSPC: the buffer or STUN_MAX_MSG is exceeded;
 * EINVAL: a bad argument; ENOMEM: OpenSSL failed). */
int stun_enc_finish(struct stun_enc *e, size_t *len);

/* The RFC 8489 §14.8 / RFC 8656 §19 reason phrase for an error code, or
 * "Error" for codes without one. */
const char *stun_reason(uint16_t code);
/* Names for logs: "Binding", "XOR-MAPPED-ADDRESS"; "0x1234" style otherwise
 * is the caller's business, these return NULL for unknown values. */
const char *stun_method_name(uint16_t method);
const char *stun_attr_name(uint16_t type);

/*
 * ChannelData (RFC 8656 §12.4):
 *
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Channel Number        |            Length             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  /                       Application Data                        /
 *
 * Over UDP the datagram may carry padding after Length bytes; over TCP and
 * TLS the message is padded to a multiple of 4 (§12.5).
 */
#define STUN_CHDATA_HDR	 4
#define STUN_CHANNEL_MIN 0x4000
#define STUN_CHANNEL_MAX 0x4FFF
/* RFC 5766 §11 allowed 0x4000-0x7FFF; RFC 8656 §12 gave 0x5000-0x7FFF to
 * RFC 7983 demultiplexing. Still what coturn and its clients use. */
#define STUN_CHANNEL_MAX_RFC5766 0x7FFF

/* Parse a ChannelData datagram: channel number (0x4000-0x7FFF is accepted
 * here; the TURN layer checks the bound range), and the data inside buf.
 * Returns 0 or EBADMSG (too short, length past the datagram). */
int stun_chdata_decode(const uint8_t *buf, size_t len, uint16_t *ch,
		       const uint8_t **data, size_t *dlen);
/* Write the 4-byte header in front of dlen bytes of data. */
void stun_chdata_header(uint8_t hdr[STUN_CHDATA_HDR], uint16_t ch,
			uint16_t dlen);
/* Padding a stream transport adds after ChannelData of dlen bytes. */
static inline size_t stun_chdata_stream_pad(size_t dlen)
{
	return (4 - (dlen & 3)) & 3;
}

/*
 * Stream framing for TCP, TLS (RFC 8489 §6.2.2, RFC 8656 §12.5): given the
 * bytes received so far, how long is the frame at the start?
 *
 * Returns 0 and the frame length in *frame (a STUN message: 20 + length; a
 * ChannelData message: 4 + length rounded up to 4) when it is known (it may
 * still exceed avail: wait for more); EAGAIN when fewer than 4 bytes are
 * there; EBADMSG when the first byte is neither STUN (0-3) nor ChannelData
 * (0x40-0x7F, the whole RFC 5766 channel space) as soon as that byte is
 * there, or a STUN length is not a multiple of 4. Framing only cuts
 * lengths: whether a channel number is acceptable is TURN's to decide.
 */
int stun_frame_len(const uint8_t *buf, size_t avail, size_t *frame);

/* Accept ChannelData with a first byte up to 0x7F: the RFC 5766 channel
 * range 0x4000-0x7FFF that coturn's clients use (RFC 8656 §12 narrowed it
 * to 0x4000-0x4FFF). Without the flag 0x50-0x7F is garbage. */
#define STUN_FRAME_RFC5766 0x1u

/* stun_frame_len with flags (STUN_FRAME_RFC5766). */
int stun_frame_len_flags(const uint8_t *buf, size_t avail, size_t *frame,
			 unsigned flags);

/* RFC 7983 / RFC 9443 first-byte demultiplexing. */
enum stun_demux {
	STUN_DEMUX_STUN,    /* 0-3 */
	STUN_DEMUX_ZRTP,    /* 16-19 */
	STUN_DEMUX_DTLS,    /* 20-63 */
	STUN_DEMUX_CHANNEL, /* 64-79: TURN ChannelData */
	STUN_DEMUX_RTP,	    /* 128-191: RTP / RTCP */
	STUN_DEMUX_QUIC,    /* 64-127 outside the TURN channel range, and
			       192-255: QUIC (RFC 9443) */
	STUN_DEMUX_UNKNOWN, /* anything else */
};
enum stun_demux stun_demux(uint8_t first);

#endif
