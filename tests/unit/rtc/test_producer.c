/* Producer without a network: SSRC learning from mid/rid/repaired-rid, and
 * the receive statistics behind receiver reports (RFC 3550 A.3, A.8). */
#include "test.h"

#include "sabaq/error.h"
#include "sabaq/rtp.h"
#include "rtc/producer.h"
#include "rtc/transport.h"

#define EXT_MID 4
#define EXT_RID 10
#define EXT_RRID 11

struct fixture {
    struct rtc_env env;
    struct transport t;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->t.env = &f->env;
    list_init(&f->t.producers);
    list_init(&f->t.consumers);
    list_init(&f->t.core_link);
    list_init(&f->t.handshake_link);
}

static struct sdp_track video(uint8_t n_rids)
{
    struct sdp_track t = {0};
    strcpy(t.mid, "v");
    t.kind = SDP_KIND_VIDEO;
    t.payload_type = 100;
    t.rtx_payload_type = 101;
    t.clock_rate = 90000;
    t.ext.mid = EXT_MID;
    t.ext.rid = EXT_RID;
    t.ext.repaired_rid = EXT_RRID;
    t.n_rids = n_rids;
    strcpy(t.rids[0].id, "q");
    strcpy(t.rids[1].id, "h");
    return t;
}

static size_t packet(uint8_t *buf, struct rtp_packet *rtp, uint32_t ssrc, uint8_t pt,
                     const char *mid, const char *rid, bool repaired, uint16_t seq, uint32_t ts)
{
    struct rtp_ext_element ext[2];
    size_t n = 0;
    if (mid)
        ext[n++] = (struct rtp_ext_element){EXT_MID, (uint8_t)strlen(mid), (const uint8_t *)mid};
    if (rid)
        ext[n++] = (struct rtp_ext_element){repaired ? EXT_RRID : EXT_RID, (uint8_t)strlen(rid),
                                            (const uint8_t *)rid};
    struct rtp_header h = {.payload_type = pt, .seq = seq, .timestamp = ts, .ssrc = ssrc};
    int hl = rtp_header_write(buf, 200, &h, ext, n);
    memset(buf + hl, 0xAB, 20);
    rtp_packet_parse(rtp, buf, (size_t)hl + 20);
    return (size_t)hl + 20;
}

TEST(producer_learns_ssrc_of_each_rid_and_its_rtx)
{
    struct fixture f;
    struct producer *p;
    struct rtp_packet rtp;
    uint8_t buf[256];
    bool is_rtx = false;
    fixture_init(&f);
    struct sdp_track t = video(2);
    ASSERT_EQ(0, producer_create(&p, &f.t, 1, &t, 0));
    ASSERT_EQ(2, p->n_layers);
    /* A rid the offer did not list and a packet of another mid are not
     * this producer's. */
    packet(buf, &rtp, 0x400, 100, "v", "x", false, 1, 0);
    ASSERT(producer_learn_ssrc(&f.t, &rtp, &is_rtx) == NULL);
    packet(buf, &rtp, 0x300, 100, "w", "q", false, 1, 0);
    ASSERT(producer_learn_ssrc(&f.t, &rtp, &is_rtx) == NULL);
    /* No header extensions at all: nothing to learn from. */
    packet(buf, &rtp, 0x301, 100, NULL, NULL, false, 1, 0);
    ASSERT(producer_learn_ssrc(&f.t, &rtp, &is_rtx) == NULL);

    packet(buf, &rtp, 0x100, 100, "v", "q", false, 1, 0);
    ASSERT(producer_learn_ssrc(&f.t, &rtp, &is_rtx) == p);
    ASSERT(!is_rtx);
    ASSERT_EQ(0x100, p->layers[0].ssrc);
    packet(buf, &rtp, 0x200, 100, "v", "h", false, 1, 0);
    ASSERT(producer_learn_ssrc(&f.t, &rtp, &is_rtx) == p);
    ASSERT_EQ(0x200, p->layers[1].ssrc);
    packet(buf, &rtp, 0x201, 101, "v", "h", true, 1, 0);
    ASSERT(producer_learn_ssrc(&f.t, &rtp, &is_rtx) == p);
    ASSERT(is_rtx);
    ASSERT_EQ(0x201, p->layers[1].rtx_ssrc);
    packet(buf, &rtp, 0x101, 101, "v", "q", true, 1, 0);
    ASSERT(producer_learn_ssrc(&f.t, &rtp, &is_rtx) == p);
    ASSERT(is_rtx);
    ASSERT_EQ(0x101, p->layers[0].rtx_ssrc);
    ASSERT(transport_find_producer(&f.t, 0x101, &is_rtx) == p && is_rtx);
    ASSERT(transport_find_producer(&f.t, 0x100, &is_rtx) == p && !is_rtx);
    ASSERT(transport_find_producer(&f.t, 0x200, &is_rtx) == p && !is_rtx);
    /* Every SSRC is bound: nothing more to learn. */
    packet(buf, &rtp, 0x500, 100, "v", "q", false, 1, 0);
    ASSERT(producer_learn_ssrc(&f.t, &rtp, &is_rtx) == NULL);
    producer_free(p);
}

TEST(producer_without_rids_learns_any_ssrc_with_its_mid)
{
    struct fixture f;
    struct producer *p;
    struct rtp_packet rtp;
    uint8_t buf[256];
    bool is_rtx;
    fixture_init(&f);
    struct sdp_track t = video(0);
    ASSERT_EQ(0, producer_create(&p, &f.t, 1, &t, 0));
    /* Wrong payload type for the media stream. */
    packet(buf, &rtp, 0x500, 96, "v", NULL, false, 1, 0);
    ASSERT(producer_learn_ssrc(&f.t, &rtp, &is_rtx) == NULL);
    packet(buf, &rtp, 0x500, 100, "v", NULL, false, 1, 0);
    ASSERT(producer_learn_ssrc(&f.t, &rtp, &is_rtx) == p);
    ASSERT_EQ(0x500, p->layers[0].ssrc);
    producer_free(p);
}

TEST(producer_report_block_counts_loss_and_jitter)
{
    struct fixture f;
    struct producer *p;
    struct rtp_packet rtp;
    struct rtcp_report_block rb;
    uint8_t buf[256];
    fixture_init(&f);
    struct sdp_track t = video(0);
    t.ssrc = 0x700;
    ASSERT_EQ(0, producer_create(&p, &f.t, 1, &t, 0));
    ASSERT_EQ(0, producer_report_blocks(p, 0, &rb, 1));
    /* Seqs 65530 .. 65539 (wrapping), 65533 and 65534 lost, steady 10 ms
     * spacing: no jitter. */
    for (uint16_t i = 0; i < 10; i++) {
        if (i == 3 || i == 4)
            continue;
        uint16_t seq = (uint16_t)(65530 + i);
        size_t len = packet(buf, &rtp, 0x700, 100, NULL, NULL, false, seq, 900u * i);
        producer_receive_rtp(p, buf, len, &rtp, false, 1000000 + 10000ull * i);
    }
    ASSERT_EQ(1, producer_report_blocks(p, 2000000, &rb, 1));
    ASSERT_EQ(0x700, rb.ssrc);
    ASSERT_EQ(2, rb.cumulative_lost);
    ASSERT_EQ(2 * 256 / 10, rb.fraction_lost);
    ASSERT_EQ(0x10000u + 3, rb.highest_seq);
    ASSERT_EQ(0, rb.jitter);
    ASSERT_EQ(0, rb.last_sr);
    /* Next interval: one more packet arriving 5 ms late, none lost. */
    size_t len = packet(buf, &rtp, 0x700, 100, NULL, NULL, false, 4, 900u * 10);
    producer_receive_rtp(p, buf, len, &rtp, false, 1000000 + 10000ull * 10 + 5000);
    struct rtcp_sender_report sr = {.ssrc = 0x700, .ntp_time = 0x0000123456780000ull};
    producer_on_sender_report(p, &sr, 2500000);
    ASSERT_EQ(1, producer_report_blocks(p, 3000000, &rb, 1));
    ASSERT_EQ(0, rb.fraction_lost);
    ASSERT_EQ(2, rb.cumulative_lost);
    ASSERT_EQ(450 / 16, rb.jitter);    /* |D| = 450 units at 90 kHz, J += D/16 */
    ASSERT_EQ(0x12345678u, rb.last_sr);
    ASSERT_EQ(32768, rb.delay_since_last_sr);
    producer_free(p);
}
