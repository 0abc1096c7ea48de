/* Simulcast layer choice for one subscriber (see layer_select.h). Mediasoup
 * and LiveKit choose the same way: the rendered size caps, the bandwidth
 * estimate decides below the cap, downgrades are immediate and upgrades
 * wait until the higher layer has fitted with some headroom for a while. */
#include "rtc/layer_select.h"

int layer_select_size_cap(const struct layer_select_layer *layers, size_t n,
                          const struct layer_select_input *in)
{
    if (n == 0)
        return -1;
    if (!in->has_view)
        return (int)n - 1;
    for (size_t i = 0; i < n; i++) {
        const struct layer_select_layer *l = &layers[i];
        if (l->width && l->height && (l->width >= in->view_width || l->height >= in->view_height))
            return (int)i;
    }
    return (int)n - 1;
}

/* bitrate * pct / 100 <= share, without overflow. */
static bool fits(const struct layer_select_layer *l, uint64_t share_bps, unsigned pct)
{
    if (share_bps == LAYER_SELECT_UNLIMITED)
        return true;
    return l->bitrate_bps / 100 * pct + l->bitrate_bps % 100 * pct / 100 <= share_bps;
}

int layer_select(struct layer_select_layer *layers, size_t n, const struct layer_select_input *in,
                 uint64_t now_us)
{
    if (n > LAYER_SELECT_MAX)
        n = LAYER_SELECT_MAX;
    /* The stability timers run whatever the view, so that enlarging a video
     * can go straight to a layer the bandwidth has carried for a while. */
    for (size_t i = 0; i < n; i++) {
        if (!fits(&layers[i], in->share_bps, LAYER_SELECT_UP_HEADROOM_PCT))
            layers[i].fits_since_us = 0;
        else if (!layers[i].fits_since_us)
            layers[i].fits_since_us = now_us ? now_us : 1;
    }
    if (n == 0 || layer_select_is_hidden(in))
        return -1;
    int cap = layer_select_size_cap(layers, n, in);
    int best = -1;
    for (int i = 0; i <= cap; i++) {
        const struct layer_select_layer *l = &layers[i];
        bool ok;
        if (in->share_bps == LAYER_SELECT_UNLIMITED)
            ok = true;
        else if (i <= in->current)
            ok = fits(l, in->share_bps, 100);
        else if (in->current < 0)
            ok = l->fits_since_us != 0;
        else
            ok = l->fits_since_us && now_us - l->fits_since_us >= LAYER_SELECT_UP_HOLD_US;
        if (ok)
            best = i;
    }
    return best;
}
