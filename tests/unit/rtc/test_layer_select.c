/* Simulcast layer choice (pure): bandwidth down is immediate, up waits for
 * the hysteresis, the rendered size caps, hidden gets nothing. */
#include "test.h"

#include "rtc/layer_select.h"

#define S 1000000ull             /* one second in us */

/* q 320x180 @150k, h 640x360 @500k, f 1280x720 @1.5M */
static void ladder(struct layer_select_layer *l)
{
    memset(l, 0, 3 * sizeof(*l));
    l[0] = (struct layer_select_layer){150000, 320, 180, 0};
    l[1] = (struct layer_select_layer){500000, 640, 360, 0};
    l[2] = (struct layer_select_layer){1500000, 1280, 720, 0};
}

static int pick(struct layer_select_layer *l, struct layer_select_input *in, uint64_t share,
                uint64_t now)
{
    in->share_bps = share;
    in->current = layer_select(l, 3, in, now);
    return in->current;
}

TEST(layer_select_without_estimate_or_size_takes_the_top)
{
    struct layer_select_layer l[3];
    struct layer_select_input in = {.current = -1};
    ladder(l);
    ASSERT_EQ(2, pick(l, &in, LAYER_SELECT_UNLIMITED, 1 * S));
}

TEST(layer_select_bandwidth_drop_goes_down_at_once)
{
    struct layer_select_layer l[3];
    struct layer_select_input in = {.current = -1};
    ladder(l);
    ASSERT_EQ(2, pick(l, &in, 3000000, 10 * S));
    /* 1.4 Mbit/s no longer carries f (1.5): h at once, the same instant. */
    ASSERT_EQ(1, pick(l, &in, 1400000, 10 * S));
    ASSERT_EQ(0, pick(l, &in, 400000, 10 * S + 1));
    /* Exactly the layer's bitrate still fits (down uses no headroom). */
    ASSERT_EQ(0, pick(l, &in, 150000, 10 * S + 2));
    ASSERT_EQ(-1, pick(l, &in, 149999, 10 * S + 3));
}

TEST(layer_select_bandwidth_rise_goes_up_after_hysteresis)
{
    struct layer_select_layer l[3];
    struct layer_select_input in = {.current = -1};
    ladder(l);
    ASSERT_EQ(0, pick(l, &in, 200000, 1 * S));
    /* Room for f from t = 2 s on: not at 2 s, not at 4.4 s, at 4.5 s. */
    ASSERT_EQ(0, pick(l, &in, 2000000, 2 * S));
    ASSERT_EQ(0, pick(l, &in, 2000000, 3 * S));
    ASSERT_EQ(0, pick(l, &in, 2000000, 4 * S + 400000));
    ASSERT_EQ(2, pick(l, &in, 2000000, 4 * S + 500000));
}

TEST(layer_select_up_needs_headroom_without_a_break)
{
    struct layer_select_layer l[3];
    struct layer_select_input in = {.current = -1};
    ladder(l);
    ASSERT_EQ(1, pick(l, &in, 1000000, 1 * S));
    /* 1.6 Mbit/s carries f but not with 10 % headroom (1.65): never up. */
    for (uint64_t t = 2; t < 20; t++)
        ASSERT_EQ(1, pick(l, &in, 1600000, t * S));
    /* 1.7 is enough, but a dip after 2 s starts the wait again. */
    ASSERT_EQ(1, pick(l, &in, 1700000, 20 * S));
    ASSERT_EQ(1, pick(l, &in, 1700000, 22 * S));
    ASSERT_EQ(1, pick(l, &in, 1000000, 22 * S + 100000));
    ASSERT_EQ(1, pick(l, &in, 1700000, 22 * S + 200000));
    ASSERT_EQ(1, pick(l, &in, 1700000, 24 * S));
    ASSERT_EQ(2, pick(l, &in, 1700000, 24 * S + 700000));
}

TEST(layer_select_first_choice_needs_headroom_but_no_wait)
{
    struct layer_select_layer l[3];
    struct layer_select_input in = {.current = -1};
    ladder(l);
    ASSERT_EQ(1, pick(l, &in, 1500000, 1 * S)); /* f fits only without headroom */
    in.current = -1;
    ASSERT_EQ(2, pick(l, &in, 1650000, 2 * S));
}

TEST(layer_select_rendered_size_caps)
{
    struct layer_select_layer l[3];
    struct layer_select_input in = {.current = -1, .has_view = true};
    ladder(l);
    in.view_width = 320;
    in.view_height = 180;
    ASSERT_EQ(0, pick(l, &in, LAYER_SELECT_UNLIMITED, 1 * S));
    /* A little larger than q: h, not scaled up (once the bandwidth has
     * carried h for the hysteresis time). */
    in.view_width = 400;
    in.view_height = 225;
    ASSERT_EQ(1, pick(l, &in, 10000000, 5 * S));
    /* A square tile shows 16:9 letterboxed: q's width is enough. */
    in.view_width = 320;
    in.view_height = 320;
    ASSERT_EQ(0, pick(l, &in, 10000000, 6 * S));
    /* Larger than every layer: the top. */
    in.view_width = 1920;
    in.view_height = 1080;
    ASSERT_EQ(2, pick(l, &in, 10000000, 7 * S));
    /* Bandwidth still caps below the size. */
    ASSERT_EQ(1, pick(l, &in, 600000, 8 * S));
}

TEST(layer_select_size_change_takes_effect_at_once)
{
    struct layer_select_layer l[3];
    struct layer_select_input in = {.current = -1, .has_view = true, .view_width = 320,
                                    .view_height = 180};
    ladder(l);
    ASSERT_EQ(0, pick(l, &in, 5000000, 1 * S));
    ASSERT_EQ(0, pick(l, &in, 5000000, 5 * S));
    /* Enlarged after the bandwidth has carried f for seconds: no wait. */
    in.view_width = 1280;
    in.view_height = 720;
    ASSERT_EQ(2, pick(l, &in, 5000000, 5 * S + 1));
    in.view_width = 640;
    in.view_height = 360;
    ASSERT_EQ(1, pick(l, &in, 5000000, 5 * S + 2));
}

TEST(layer_select_hidden_gets_nothing)
{
    struct layer_select_layer l[3];
    struct layer_select_input in = {.current = 2, .has_view = true};
    ladder(l);
    ASSERT_EQ(-1, pick(l, &in, LAYER_SELECT_UNLIMITED, 1 * S));
    in.view_width = 320;
    ASSERT_EQ(-1, pick(l, &in, LAYER_SELECT_UNLIMITED, 1 * S)); /* 320x0 */
    in.view_height = 180;
    ASSERT_EQ(0, pick(l, &in, LAYER_SELECT_UNLIMITED, 1 * S));
}

TEST(layer_select_unknown_sizes_do_not_cap)
{
    struct layer_select_layer l[3];
    struct layer_select_input in = {.current = -1, .has_view = true, .view_width = 320,
                                    .view_height = 180};
    ladder(l);
    l[0].width = l[0].height = 0;
    l[1].width = l[1].height = 0;
    /* Only f's size is known, and f covers the view. */
    ASSERT_EQ(2, layer_select_size_cap(l, 3, &in));
    l[1].width = 640;
    l[1].height = 360;
    ASSERT_EQ(1, layer_select_size_cap(l, 3, &in));
}
