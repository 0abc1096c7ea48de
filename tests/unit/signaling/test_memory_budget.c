/* Memory per participant (issue "Scale": bounded and documented, see
 * README.md "Memory per participant"). The fixed part is computed from the
 * structures each participant owns on the control plane and in the media
 * plane; the crypto state that OpenSSL and libsrtp allocate is measured with
 * mallinfo2() around making it. The budgets here are what README.md states:
 * a structure that grows past them fails this test, so the documentation
 * cannot silently go stale. */
#include "test.h"

#include <malloc.h>
#include <stdint.h>

#include "crypto/srtp_fixture.h"
#include "rtc/bwe.h"
#include "rtc/consumer.h"
#include "rtc/nack_cache.h"
#include "rtc/producer.h"
#include "rtc/transport.h"
#include "rtc/twcc_recorder.h"
#include "sabaq/dtls.h"
#include "sabaq/srtp_session.h"
#include "signaling/participant.h"
#include "signaling/slots.h"
#include "signaling/subscribe.h"

/* Control plane: the participant, its slots, its producers. */
static size_t signaling_bytes(size_t n_speakers, size_t n_producers)
{
    return sizeof(struct participant) + (SUB_FIRST_SPEAKER + n_speakers) * sizeof(struct sub_slot) +
           n_producers * sizeof(struct producer_ref);
}

/* Media plane of someone who only receives: the subscribe transport with
 * its bandwidth estimator, one consumer per slot. */
static size_t receiver_sfu_bytes(size_t n_speakers)
{
    return sizeof(struct transport) + sizeof(struct bwe) +
           (SUB_FIRST_SPEAKER + n_speakers) * sizeof(struct consumer);
}

static size_t heap_now(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

TEST(memory_per_receiving_participant_is_bounded)
{
    size_t sig4 = signaling_bytes(4, 0), sfu4 = receiver_sfu_bytes(4);
    size_t sig16 = signaling_bytes(16, 0), sfu16 = receiver_sfu_bytes(16);
    printf("memory: receiver N=4: signaling %zu + media %zu = %zu bytes; N=16: %zu + %zu = %zu\n",
           sig4, sfu4, sig4 + sfu4, sig16, sfu16, sig16 + sfu16);
    printf("memory: participant %zu, slot %zu, producer_ref %zu, transport %zu, bwe %zu, "
           "consumer %zu, lesson slot state %zu\n",
           sizeof(struct participant), sizeof(struct sub_slot), sizeof(struct producer_ref),
           sizeof(struct transport), sizeof(struct bwe), sizeof(struct consumer),
           sizeof(struct slots_state));
    ASSERT(sig4 + sfu4 <= 20 * 1024);     /* README: about 17 KiB at N = 4 */
    ASSERT(sig16 + sfu16 <= 32 * 1024);   /* about 26 KiB at N = 16 */
    ASSERT(sizeof(struct slots_state) <= 4 * 1024);   /* per lesson, not per person */
}

TEST(memory_of_a_publisher_is_dominated_by_its_video_nack_cache)
{
    /* A mic and a camera: the publish transport (with its transport-cc
     * recorder), two producers, and the camera's retransmission cache:
     * NACK_CACHE_SIZE packets, or 3 x PRODUCER_LAYER_CACHE_SLOTS when
     * simulcast. */
    size_t fixed = sizeof(struct transport) + sizeof(struct twcc_recorder) +
                   2 * sizeof(struct producer) + 2 * sizeof(struct producer_ref);
    size_t cache = NACK_CACHE_SIZE * sizeof(struct nack_cache_slot);
    size_t cache_simulcast = 3 * PRODUCER_LAYER_CACHE_SLOTS * sizeof(struct nack_cache_slot);
    printf("memory: publisher fixed %zu bytes; camera NACK cache %zu (simulcast %zu)\n", fixed,
           cache, cache_simulcast);
    ASSERT(fixed <= 16 * 1024);
    ASSERT(cache <= 800 * 1024);
    ASSERT(cache_simulcast <= 1200 * 1024);
}

/* Heap bytes of an SRTP pair (in + out) for this profile. The first pair
 * pays OpenSSL's and libsrtp's one-time set-up: made and freed once first. */
static size_t srtp_pair_bytes(enum srtp_profile profile)
{
    struct srtp_keys keys = srtp_fixture_keys(profile);
    size_t bytes = 0;
    for (int round = 0; round < 2; round++) {
        size_t before = heap_now();
        struct srtp_in *in = srtp_in_new(&keys);
        struct srtp_out *out = srtp_out_new(&keys);
        bytes = in && out ? heap_now() - before : SIZE_MAX;
        srtp_in_free(in);
        srtp_out_free(out);
    }
    return bytes;
}

TEST(memory_of_the_crypto_state_per_transport_is_measured)
{
    /* SRTP both ways, as a connected transport holds them. */
    size_t srtp_gcm = srtp_pair_bytes(SRTP_PROFILE_AEAD_AES_128_GCM);
    size_t srtp_cm = srtp_pair_bytes(SRTP_PROFILE_AES128_CM_SHA1_80);
    /* A DTLS server connection before its handshake (it lives until the
     * transport connects and is then closed). */
    struct dtls_cert *cert = dtls_cert_generate();
    ASSERT(cert);
    dtls_conn_free(dtls_conn_new(cert, DTLS_ROLE_SERVER));   /* one-time set-up */
    size_t before = heap_now();
    struct dtls_conn *d = dtls_conn_new(cert, DTLS_ROLE_SERVER);
    size_t dtls = heap_now() - before;
    ASSERT(d);
    dtls_conn_free(d);
    dtls_cert_free(cert);
    printf("memory: SRTP in+out %zu bytes (GCM), %zu (CM); a DTLS connection %zu\n", srtp_gcm,
           srtp_cm, dtls);
    ASSERT(srtp_gcm <= 64 * 1024 && srtp_cm <= 64 * 1024);
    ASSERT(dtls <= 256 * 1024);
}
