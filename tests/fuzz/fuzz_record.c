/* libFuzzer target for the recording's receive side: hostile RTP payloads,
 * sequence numbers, timestamps and arrival times through the jitter buffer,
 * the VP8 frame reassembly and an Opus speaker (decode, concealment, FEC,
 * placement on the timeline). Input: records of
 *   [flags][len lo][len hi][seq delta][ts delta lo][ts delta hi][ms] payload
 * flags bit 0 = marker, bit 1 = audio (else video). Checks that packets
 * leave the jitter buffer in order and frames stay within their bounds. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/audio_source.h"
#include "record/jitter_buffer.h"
#include "record/vp8_frame.h"

#define HDR 7

static struct jitter_buffer jb;
static struct vp8_frame_assembler vp8;
static bool is_ready;

static void drain_video(uint64_t now, uint64_t *last_seq)
{
    struct jitter_packet p;
    struct vp8_frame f;
    bool wants = false;
    while (jitter_buffer_pop(&jb, now, &p) == 1) {
        if (*last_seq && p.ext_seq <= *last_seq)
            abort();
        *last_seq = p.ext_seq;
        if (vp8_frame_push(&vp8, &p, &f, &wants) == 1 && (f.len == 0 || f.len > VP8_FRAME_MAX))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jitter_buffer_config cfg = {.capacity = 64, .max_payload = RECORD_PAYLOAD_MAX,
                                       .max_wait_us = 100000};
    if (!is_ready) {
        if (jitter_buffer_init(&jb, &cfg) < 0 || vp8_frame_init(&vp8) < 0)
            abort();
        is_ready = true;
    }
    jitter_buffer_reset(&jb);
    vp8_frame_reset(&vp8);
    struct audio_source *src = malloc(sizeof(*src));
    if (!src || audio_source_init(src, 1, 0) < 0)
        abort();
    static struct record_packet pkt;
    uint64_t vseq = 0x10000, aseq = 0x10000, now = 1000000, last_seq = 0;
    uint32_t vts = 0, ats = 0;
    int64_t block = 0;
    while (size >= HDR) {
        size_t len = (size_t)data[1] | (size_t)(data[2] & 0x07) << 8;
        bool is_audio = data[0] & 2;
        uint64_t *seq = is_audio ? &aseq : &vseq;
        uint32_t *ts = is_audio ? &ats : &vts;
        *seq += (uint64_t)(int64_t)(int8_t)data[3];
        *ts += (uint32_t)(data[4] | data[5] << 8);
        now += (uint64_t)data[6] * 1000;
        data += HDR;
        size -= HDR;
        if (len > size)
            len = size;
        if (len > RECORD_PAYLOAD_MAX)
            len = RECORD_PAYLOAD_MAX;
        memset(&pkt, 0, offsetof(struct record_packet, payload));
        pkt.producer_id = 1;
        pkt.ext_seq = *seq;
        pkt.rtp_timestamp = *ts;
        pkt.arrival_us = now;
        pkt.marker = data[-HDR] & 1;
        pkt.payload_len = (uint16_t)len;
        memcpy(pkt.payload, data, len);
        data += len;
        size -= len;
        if (is_audio) {
            audio_source_push(src, &pkt);
            audio_source_drain(src, now, 1000000);
            const int16_t *b;
            /* The mixer's clock: one block per 20 ms of arrival time. */
            for (; block < (int64_t)((now - 1000000) / 20000) - 10; block++) {
                (void)audio_source_take(src, block, &b);
                audio_source_advance(src, block);
            }
        } else {
            struct jitter_packet in = {.ext_seq = pkt.ext_seq, .rtp_timestamp = pkt.rtp_timestamp,
                                       .arrival_us = now, .marker = pkt.marker,
                                       .payload = pkt.payload, .payload_len = len};
            jitter_buffer_push(&jb, &in);
            drain_video(now, &last_seq);
        }
    }
    drain_video(UINT64_MAX - 1, &last_seq);
    audio_source_drain(src, UINT64_MAX - 1, 1000000);
    audio_source_destroy(src);
    free(src);
    return 0;
}
