/* codec_vp8.c — VP8 through libvpx: real-time encoder tuned for a call
 * (error resilient, no lag, cpu-used 8), and the decoder. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

#include "peer/codec.h"

struct vp8_enc {
	vpx_codec_ctx_t ctx;
	vpx_codec_enc_cfg_t cfg;
	vpx_image_t img;
};

struct vp8_dec {
	vpx_codec_ctx_t ctx;
};

int vp8_enc_new(struct vp8_enc **ep, unsigned w, unsigned h, unsigned fps,
		unsigned bitrate)
{
	struct vp8_enc *e;
	vpx_codec_enc_cfg_t *c;

	if (!w || !h || w % 2 || h % 2 || !fps || bitrate < 10000)
		return EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return ENOMEM;
	c = &e->cfg;
	if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), c, 0))
		goto fail;
	c->g_w = w;
	c->g_h = h;
	c->g_timebase.num = 1;
	c->g_timebase.den = (int)fps;
	c->rc_target_bitrate = bitrate / 1000;
	c->rc_end_usage = VPX_CBR;
	c->g_lag_in_frames = 0;
	c->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	c->g_threads = 1;
	c->rc_min_quantizer = 2;
	c->rc_max_quantizer = 56;
	c->rc_undershoot_pct = 100;
	c->rc_overshoot_pct = 15;
	c->rc_buf_initial_sz = 500;
	c->rc_buf_optimal_sz = 600;
	c->rc_buf_sz = 1000;
	c->rc_dropframe_thresh = 0;
	/* keyframes on request (PLI/FIR); a safety one every 10 s */
	c->kf_mode = VPX_KF_AUTO;
	c->kf_max_dist = fps * 10;
	if (vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), c, 0))
		goto fail;
	vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, -VP8_SPEED_DEFAULT);
	vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 1);
	vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0);
	vpx_codec_control(&e->ctx, VP8E_SET_TOKEN_PARTITIONS, 0);
	vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, 300);
	*ep = e;
	return 0;
fail:
	free(e);
	return EINVAL;
}

void vp8_enc_free(struct vp8_enc *e)
{
	if (!e)
		return;
	vpx_codec_destroy(&e->ctx);
	free(e);
}

int vp8_enc_set_speed(struct vp8_enc *e, unsigned speed)
{
	if (!speed || speed > VP8_SPEED_MAX)
		return EINVAL;
	return vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, -(int)speed)
		   ? EINVAL
		   : 0;
}

int vp8_enc_set_bitrate(struct vp8_enc *e, unsigned bitrate)
{
	if (bitrate < 10000)
		bitrate = 10000;
	if (e->cfg.rc_target_bitrate == bitrate / 1000)
		return 0;
	e->cfg.rc_target_bitrate = bitrate / 1000;
	return vpx_codec_enc_config_set(&e->ctx, &e->cfg) ? EINVAL : 0;
}

int vp8_enc_encode(struct vp8_enc *e, const struct vimage *img, int64_t pts,
		   bool force_key, uint8_t *out, size_t cap, size_t *len,
		   bool *key)
{
	const vpx_codec_cx_pkt_t *pkt;
	vpx_codec_iter_t it = NULL;
	vpx_image_t *vi = &e->img;
	int err = 0;

	if (img->w != e->cfg.g_w || img->h != e->cfg.g_h)
		return EINVAL;
	memset(vi, 0, sizeof(*vi));
	vpx_img_wrap(vi, VPX_IMG_FMT_I420, img->w, img->h, 1, img->plane[0]);
	vi->planes[0] = img->plane[0];
	vi->planes[1] = img->plane[1];
	vi->planes[2] = img->plane[2];
	vi->stride[0] = (int)img->stride[0];
	vi->stride[1] = (int)img->stride[1];
	vi->stride[2] = (int)img->stride[2];
	if (vpx_codec_encode(&e->ctx, vi, pts, 1,
			     force_key ? VPX_EFLAG_FORCE_KF : 0,
			     VPX_DL_REALTIME))
		return EIO;
	*len = 0;
	*key = false;
	while ((pkt = vpx_codec_get_cx_data(&e->ctx, &it))) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
			continue;
		if (pkt->data.frame.sz > cap - *len) {
			err = ENOSPC;
			continue;
		}
		memcpy(out + *len, pkt->data.frame.buf, pkt->data.frame.sz);
		*len += pkt->data.frame.sz;
		if (pkt->data.frame.flags & VPX_FRAME_IS_KEY)
			*key = true;
	}
	return err;
}

int vp8_dec_new(struct vp8_dec **dp)
{
	struct vp8_dec *d = calloc(1, sizeof(*d));

	if (!d)
		return ENOMEM;
	if (vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), NULL, 0)) {
		free(d);
		return EINVAL;
	}
	*dp = d;
	return 0;
}

void vp8_dec_free(struct vp8_dec *d)
{
	if (!d)
		return;
	vpx_codec_destroy(&d->ctx);
	free(d);
}

int vp8_dec_decode(struct vp8_dec *d, const uint8_t *f, size_t len,
		   struct vimage *img)
{
	vpx_codec_iter_t it = NULL;
	vpx_image_t *vi;

	memset(img, 0, sizeof(*img));
	if (len == 0 || len > UINT32_MAX ||
	    vpx_codec_decode(&d->ctx, f, (unsigned)len, NULL, 0))
		return EBADMSG;
	vi = vpx_codec_get_frame(&d->ctx, &it);
	if (!vi)
		return 0;
	if (vi->fmt != VPX_IMG_FMT_I420)
		return EBADMSG;
	img->w = vi->d_w;
	img->h = vi->d_h;
	for (int i = 0; i < 3; i++) {
		img->plane[i] = vi->planes[i];
		img->stride[i] = (unsigned)vi->stride[i];
	}
	return 0;
}
