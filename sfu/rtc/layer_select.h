/* Which simulcast layer one subscriber should get (pure: no packets, no
 * clock, no allocation). Inputs are the layers of one producer in quality
 * order (lowest first) with their measured bitrates and frame sizes, the
 * bandwidth share this video may use and the size the subscriber shows it
 * at; the output is the highest layer that fits both.
 *
 * Size: a layer is big enough when shown with object-fit "contain" it is
 * not scaled up (its width or its height reaches the view's); the lowest
 * such layer caps the choice (none big enough: the top layer). A layer
 * whose size is not known yet is never the cap. A 0x0 view means "not
 * shown": nothing is chosen.
 *
 * Bandwidth, with hysteresis so a subscriber does not flap between layers:
 *   down  at once, as soon as the layer in use no longer fits the share;
 *   up    only to a layer that has fitted with LAYER_SELECT_UP_HEADROOM_PCT
 *         of its bitrate for LAYER_SELECT_UP_HOLD_US without a break (a
 *         first choice needs the headroom but no waiting).
 * A size change alone takes effect at once: the per-layer timers measure
 * bandwidth only. No layer fits: nothing is chosen. */
#ifndef SABAQ_RTC_LAYER_SELECT_H
#define SABAQ_RTC_LAYER_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LAYER_SELECT_MAX 3
#define LAYER_SELECT_UNLIMITED UINT64_MAX /* no estimate yet: bandwidth is no limit */
#define LAYER_SELECT_UP_HEADROOM_PCT 110
#define LAYER_SELECT_UP_HOLD_US 2500000

struct layer_select_layer {
    uint64_t bitrate_bps;        /* measured (or last known); 0 = unknown, fits anything */
    uint16_t width, height;      /* from its keyframes; 0 = unknown */
    uint64_t fits_since_us;      /* in/out, the caller keeps it: since when it has fitted
                                  * with headroom (0 = it does not) */
};

struct layer_select_input {
    uint64_t share_bps;          /* bandwidth for this video, or LAYER_SELECT_UNLIMITED */
    bool has_view;               /* false: the size it is shown at is unknown, no cap */
    uint16_t view_width, view_height;
    int current;                 /* the index chosen last time, -1 for none */
};

/* The index in layers[0..n) to send (n <= LAYER_SELECT_MAX), or -1 for
 * nothing; updates each layer's fits_since_us. */
int layer_select(struct layer_select_layer *layers, size_t n, const struct layer_select_input *in,
                 uint64_t now_us);

/* The size cap alone: the index of the lowest layer big enough for the view
 * (n - 1 when none is, or when there is no view). */
int layer_select_size_cap(const struct layer_select_layer *layers, size_t n,
                          const struct layer_select_input *in);

static inline bool layer_select_is_hidden(const struct layer_select_input *in)
{
    return in->has_view && (in->view_width == 0 || in->view_height == 0);
}

#endif
