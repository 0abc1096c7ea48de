/* The recording's mixer: sums with a soft limiter, silence when nobody
 * speaks, and an Opus packet for every 20 ms step. */
#include "test.h"

#include <math.h>
#include <opus/opus.h>

#include "record/audio_mix.h"

static void fill(int16_t *b, int16_t v)
{
    for (int i = 0; i < AUDIO_BLOCK; i++)
        b[i] = v;
}

TEST(audio_mix_passes_quiet_sums_unchanged)
{
    struct audio_mix m;
    int16_t a[AUDIO_BLOCK], b[AUDIO_BLOCK], out[AUDIO_BLOCK];
    uint8_t pkt[AUDIO_MIX_PACKET_MAX];
    ASSERT_EQ(0, audio_mix_init(&m));
    for (int i = 0; i < AUDIO_BLOCK; i++) {
        a[i] = (int16_t)(1000 * sin(i * 0.05));
        b[i] = (int16_t)(-2500 + i);
    }
    audio_mix_begin(&m);
    audio_mix_add(&m, a);
    audio_mix_add(&m, b);
    ASSERT(audio_mix_finish(&m, out, pkt, sizeof(pkt)) > 0);
    for (int i = 0; i < AUDIO_BLOCK; i++)
        ASSERT_EQ(a[i] + b[i], out[i]);
    audio_mix_destroy(&m);
}

TEST(audio_mix_limits_loud_sums_without_wrapping)
{
    struct audio_mix m;
    int16_t loud[AUDIO_BLOCK], quiet_neg[AUDIO_BLOCK], out[AUDIO_BLOCK];
    uint8_t pkt[AUDIO_MIX_PACKET_MAX];
    ASSERT_EQ(0, audio_mix_init(&m));
    fill(loud, 30000);
    /* Three voices at +30000: a plain int16 sum would wrap to negative. */
    audio_mix_begin(&m);
    audio_mix_add(&m, loud);
    audio_mix_add(&m, loud);
    audio_mix_add(&m, loud);
    ASSERT(audio_mix_finish(&m, out, pkt, sizeof(pkt)) > 0);
    for (int i = 0; i < AUDIO_BLOCK; i++) {
        ASSERT(out[i] > (int16_t)AUDIO_MIX_KNEE);
        ASSERT(out[i] <= 32767);
    }
    /* And the negative side, symmetric. */
    fill(quiet_neg, -30000);
    audio_mix_begin(&m);
    audio_mix_add(&m, quiet_neg);
    audio_mix_add(&m, quiet_neg);
    ASSERT(audio_mix_finish(&m, out, pkt, sizeof(pkt)) > 0);
    for (int i = 0; i < AUDIO_BLOCK; i++) {
        ASSERT(out[i] < -(int16_t)AUDIO_MIX_KNEE);
        ASSERT(out[i] >= -32767);
    }
    audio_mix_destroy(&m);
}

TEST(audio_mix_limiter_is_monotonic_and_continuous_at_the_knee)
{
    int16_t prev = audio_mix_limit(0);
    for (float x = 1; x < 200000; x += 7) {
        int16_t y = audio_mix_limit(x);
        ASSERT(y >= prev);
        ASSERT_EQ(-y, audio_mix_limit(-x));
        prev = y;
    }
    ASSERT_EQ((int16_t)AUDIO_MIX_KNEE, audio_mix_limit(AUDIO_MIX_KNEE));
    ASSERT(audio_mix_limit(AUDIO_MIX_KNEE + 100) - (int16_t)AUDIO_MIX_KNEE >= 99);
    ASSERT(audio_mix_limit(1e9f) <= 32767);
}

TEST(audio_mix_encodes_silence_when_nobody_speaks)
{
    struct audio_mix m;
    int16_t out[AUDIO_BLOCK], dec[AUDIO_BLOCK];
    uint8_t pkt[AUDIO_MIX_PACKET_MAX];
    int err;
    ASSERT_EQ(0, audio_mix_init(&m));
    OpusDecoder *d = opus_decoder_create(48000, 1, &err);
    ASSERT(d != NULL);
    for (int step = 0; step < 10; step++) {
        audio_mix_begin(&m);
        int n = audio_mix_finish(&m, out, pkt, sizeof(pkt));
        ASSERT(n > 0);
        for (int i = 0; i < AUDIO_BLOCK; i++)
            ASSERT_EQ(0, out[i]);
        ASSERT_EQ(AUDIO_BLOCK, opus_decode(d, pkt, n, dec, AUDIO_BLOCK, 0));
        for (int i = 0; i < AUDIO_BLOCK; i++)
            ASSERT(dec[i] > -64 && dec[i] < 64);
    }
    ASSERT(m.preskip > 0);
    opus_decoder_destroy(d);
    audio_mix_destroy(&m);
}

TEST(audio_mix_output_decodes_to_the_mixed_tones)
{
    /* 440 Hz + 660 Hz, 1 s: the decoded mix carries energy of both. */
    struct audio_mix m;
    int16_t a[AUDIO_BLOCK], b[AUDIO_BLOCK], dec[AUDIO_BLOCK];
    uint8_t pkt[AUDIO_MIX_PACKET_MAX];
    int err;
    ASSERT_EQ(0, audio_mix_init(&m));
    OpusDecoder *d = opus_decoder_create(48000, 1, &err);
    double energy = 0;
    for (int step = 0; step < 50; step++) {
        for (int i = 0; i < AUDIO_BLOCK; i++) {
            double t = (step * AUDIO_BLOCK + i) / 48000.0;
            a[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * t));
            b[i] = (int16_t)(8000 * sin(2 * M_PI * 660 * t));
        }
        audio_mix_begin(&m);
        audio_mix_add(&m, a);
        audio_mix_add(&m, b);
        int n = audio_mix_finish(&m, NULL, pkt, sizeof(pkt));
        ASSERT(n > 0 && n <= AUDIO_MIX_PACKET_MAX);
        ASSERT_EQ(AUDIO_BLOCK, opus_decode(d, pkt, n, dec, AUDIO_BLOCK, 0));
        if (step >= 10)
            for (int i = 0; i < AUDIO_BLOCK; i++)
                energy += (double)dec[i] * dec[i];
    }
    double rms = sqrt(energy / (40.0 * AUDIO_BLOCK));
    /* Two 8000-peak sines: RMS ~8000 (each 5657). */
    ASSERT(rms > 5000 && rms < 11000);
    opus_decoder_destroy(d);
    audio_mix_destroy(&m);
}
