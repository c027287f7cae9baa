/*
 * srtp.c — libsrtp2 sessions for DTLS-SRTP (see srtp.h).
 */
#include "peer/srtp.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

struct peer_srtp {
	srtp_t tx, rx;
};

bool peer_srtp_is_rtcp(const uint8_t *data, size_t len)
{
	return len >= 2 && data[1] >= 192 && data[1] <= 223;
}

static void policy(srtp_policy_t *p, enum peer_srtp_profile profile,
		   const uint8_t *key, srtp_ssrc_type_t type)
{
	memset(p, 0, sizeof(*p));
	if (profile == PEER_SRTP_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
	} else {
		srtp_crypto_policy_set_rtp_default(&p->rtp);
		srtp_crypto_policy_set_rtcp_default(&p->rtcp);
	}
	p->ssrc.type = type;
	p->key = (unsigned char *)key;
	/* Wide enough for a burst NACK retransmissions reorder. */
	p->window_size = 1024;
	/* A NACKed packet goes out again with its own sequence number. */
	p->allow_repeat_tx = 1;
}

int peer_srtp_new(struct peer_srtp **sp, const struct peer_srtp_keys *keys)
{
	struct peer_srtp *s;
	srtp_policy_t p;
	uint8_t k[32];

	/* The crypto kernel is set up on the first call; later calls rerun
	 * libsrtp2's self-tests, whose status is not ours to judge (with the
	 * OpenSSL backend it varies by call): srtp_create says whether the
	 * session works. */
	(void)srtp_init();
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	memcpy(k, keys->local, sizeof(k));
	policy(&p, keys->profile, k, ssrc_any_outbound);
	if (srtp_create(&s->tx, &p) != srtp_err_status_ok)
		goto out;
	memcpy(k, keys->remote, sizeof(k));
	policy(&p, keys->profile, k, ssrc_any_inbound);
	if (srtp_create(&s->rx, &p) != srtp_err_status_ok)
		goto out;
	memset(k, 0, sizeof(k));
	*sp = s;
	return 0;
out:
	memset(k, 0, sizeof(k));
	peer_srtp_free(s);
	return EIO;
}

void peer_srtp_free(struct peer_srtp *s)
{
	if (!s)
		return;
	if (s->tx)
		srtp_dealloc(s->tx);
	if (s->rx)
		srtp_dealloc(s->rx);
	free(s);
}

int peer_srtp_protect(struct peer_srtp *s, uint8_t *buf, size_t *len,
		      size_t cap)
{
	int n = (int)*len;
	srtp_err_status_t r;

	if (*len < (peer_srtp_is_rtcp(buf, *len) ? 8u : 12u) ||
	    *len > INT_MAX - PEER_SRTP_TRAILER ||
	    cap < *len + PEER_SRTP_TRAILER)
		return EMSGSIZE;
	if (peer_srtp_is_rtcp(buf, *len))
		r = srtp_protect_rtcp(s->tx, buf, &n);
	else
		r = srtp_protect(s->tx, buf, &n);
	if (r != srtp_err_status_ok)
		return EBADMSG;
	*len = (size_t)n;
	return 0;
}

int peer_srtp_unprotect(struct peer_srtp *s, uint8_t *buf, size_t *len)
{
	int n = (int)*len;
	srtp_err_status_t r;

	if (*len < 12 || *len > INT_MAX)
		return EBADMSG;
	if (peer_srtp_is_rtcp(buf, *len))
		r = srtp_unprotect_rtcp(s->rx, buf, &n);
	else
		r = srtp_unprotect(s->rx, buf, &n);
	if (r == srtp_err_status_replay_fail || r == srtp_err_status_replay_old)
		return EALREADY;
	if (r != srtp_err_status_ok)
		return EBADMSG;
	*len = (size_t)n;
	return 0;
}
