/* Mixer and encoder of the recording's audio (see audio_mix.h). */
#include "record/audio_mix.h"

#include <math.h>
#include <opus/opus.h>
#include <string.h>

#include "sabaq/error.h"

#define FULL_SCALE 32767.0f

int audio_mix_init(struct audio_mix *m)
{
    int err;
    memset(m, 0, sizeof(*m));
    m->enc = opus_encoder_create(AUDIO_RATE, 1, OPUS_APPLICATION_VOIP, &err);
    if (!m->enc)
        return err == OPUS_ALLOC_FAIL ? -SQ_ENOMEM : -SQ_EINVAL;
    opus_int32 lookahead = 0;
    if (opus_encoder_ctl(m->enc, OPUS_SET_BITRATE(AUDIO_MIX_BITRATE)) != OPUS_OK ||
        opus_encoder_ctl(m->enc, OPUS_GET_LOOKAHEAD(&lookahead)) != OPUS_OK) {
        audio_mix_destroy(m);
        return -SQ_EINVAL;
    }
    /* The recorder thread shares a core with others: a lower complexity
     * costs little quality for speech and much less CPU. */
    opus_encoder_ctl(m->enc, OPUS_SET_COMPLEXITY(5));
    opus_encoder_ctl(m->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
    m->preskip = lookahead;
    return 0;
}

void audio_mix_destroy(struct audio_mix *m)
{
    if (m->enc)
        opus_encoder_destroy(m->enc);
    m->enc = NULL;
}

void audio_mix_begin(struct audio_mix *m)
{
    memset(m->acc, 0, sizeof(m->acc));
    m->n_inputs = 0;
}

void audio_mix_add(struct audio_mix *m, const int16_t *block)
{
    for (size_t i = 0; i < AUDIO_BLOCK; i++)
        m->acc[i] += (float)block[i];
    m->n_inputs++;
}

int16_t audio_mix_limit(float x)
{
    float a = fabsf(x);
    if (a <= AUDIO_MIX_KNEE)
        return (int16_t)lrintf(x);
    /* Slope 1 at the knee, approaching full scale as the sum grows. */
    const float room = FULL_SCALE - AUDIO_MIX_KNEE;
    float y = AUDIO_MIX_KNEE + room * tanhf((a - AUDIO_MIX_KNEE) / room);
    if (y > FULL_SCALE)
        y = FULL_SCALE;
    return (int16_t)(x < 0 ? -lrintf(y) : lrintf(y));
}

int audio_mix_finish(struct audio_mix *m, int16_t *pcm_out, uint8_t *out, size_t cap)
{
    int16_t pcm[AUDIO_BLOCK];
    if (m->n_inputs == 0)
        memset(pcm, 0, sizeof(pcm));
    else
        for (size_t i = 0; i < AUDIO_BLOCK; i++)
            pcm[i] = audio_mix_limit(m->acc[i]);
    if (pcm_out)
        memcpy(pcm_out, pcm, sizeof(pcm));
    if (cap > AUDIO_MIX_PACKET_MAX)
        cap = AUDIO_MIX_PACKET_MAX;
    opus_int32 n = opus_encode(m->enc, pcm, AUDIO_BLOCK, out, (opus_int32)cap);
    return n < 0 ? -SQ_EINVAL : (int)n;
}
