/* Messages between media workers (see worker_mesh.h and rtc/mesh.h). The
 * hooks below run on the sending worker's thread, inside its rtc_core;
 * worker_mesh_drain runs on the receiving one's. Per packet: one copy into
 * a pool buffer (whatever the number of target workers), one ring slot per
 * target, and at most one eventfd write per target per batch. */
#include "io/worker_mesh.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sabaq/error.h"
#include "io/worker_impl.h"

int worker_mesh_init(struct worker_mesh *m, unsigned n)
{
    memset(m, 0, sizeof(*m));
    if (n < 2 || n > MESH_MAX_WORKERS)
        return -SQ_EINVAL;
    m->rings = calloc((size_t)n * n, sizeof(*m->rings));
    if (!m->rings)
        return -SQ_ENOMEM;
    m->n = n;
    for (unsigned from = 0; from < n; from++) {
        for (unsigned to = 0; to < n; to++) {
            if (from != to &&
                spsc_ring_init(worker_mesh_ring(m, from, to), sizeof(struct mesh_msg),
                               WORKER_MESH_RING_CAP) < 0) {
                worker_mesh_destroy(m);
                return -SQ_ENOMEM;
            }
        }
    }
    return 0;
}

void worker_mesh_destroy(struct worker_mesh *m)
{
    if (!m->rings)
        return;
    for (unsigned i = 0; i < m->n * m->n; i++)
        spsc_ring_destroy(&m->rings[i]);
    free(m->rings);
    m->rings = NULL;
}

/* Queues msg for worker `to`; a message carrying a buffer gives up its
 * reference when the ring is full. */
static bool send_to(struct worker *w, unsigned to, const struct mesh_msg *msg)
{
    struct worker_mesh *m = w->mesh;
    if (to >= m->n || to == w->index ||
        spsc_ring_push(worker_mesh_ring(m, w->index, to), msg) < 0) {
        if (msg->buf)
            pkt_buf_release(msg->buf);
        w->drop_mesh++;
        return false;
    }
    w->wake_mask |= 1u << to;
    return true;
}

static unsigned popcount32(uint32_t v)
{
    return (unsigned)__builtin_popcount(v);
}

static void share_rtp(void *arg, uint32_t producer_id, uint32_t workers, const uint8_t *buf,
                      size_t len, uint8_t layer)
{
    struct worker *w = arg;
    workers &= ~(1u << w->index);
    if (!workers)
        return;
    struct pkt_buf *b = len <= PKT_BUF_DATA ? pkt_pool_lend(&w->pool, popcount32(workers)) : NULL;
    if (!b) {
        w->drop_mesh += popcount32(workers);
        return;
    }
    memcpy(b->data, buf, len);
    b->len = (uint16_t)len;
    b->layer = layer;
    struct mesh_msg msg = {.type = MESH_MSG_RTP, .layer = layer, .producer_id = producer_id,
                           .buf = b};
    for (unsigned to = 0; workers; to++, workers >>= 1)
        if ((workers & 1) && send_to(w, to, &msg))
            w->mesh_shared++;
}

static void share_sr(void *arg, uint32_t producer_id, uint32_t workers,
                     const struct rtcp_sender_report *sr)
{
    struct worker *w = arg;
    struct mesh_msg msg = {.type = MESH_MSG_SR, .producer_id = producer_id, .ssrc = sr->ssrc,
                           .rtp_time = sr->rtp_time, .ntp = sr->ntp_time};
    workers &= ~(1u << w->index);
    for (unsigned to = 0; workers; to++, workers >>= 1)
        if (workers & 1)
            send_to(w, to, &msg);
}

static void ask_keyframe(void *arg, unsigned owner, uint32_t producer_id, uint8_t layer)
{
    struct mesh_msg msg = {.type = MESH_MSG_KEYFRAME, .layer = layer, .producer_id = producer_id};
    send_to(arg, owner, &msg);
}

static void report_wanted(void *arg, unsigned owner, uint32_t producer_id, uint8_t layers)
{
    struct mesh_msg msg = {.type = MESH_MSG_WANTED, .layer = layers, .producer_id = producer_id};
    send_to(arg, owner, &msg);
}

/* A buffer holding an address (and maybe a datagram) for one reader. */
static struct pkt_buf *lend_with_addr(struct worker *w, const struct sockaddr_storage *from,
                                      socklen_t from_len)
{
    struct pkt_buf *b = pkt_pool_lend(&w->pool, 1);
    if (!b) {
        w->drop_mesh++;
        return NULL;
    }
    b->len = 0;
    b->from = *from;
    b->from_len = from_len;
    return b;
}

static void forward(void *arg, unsigned worker, const uint8_t *buf, size_t len,
                    const struct sockaddr_storage *from, socklen_t from_len)
{
    struct worker *w = arg;
    if (len > PKT_BUF_DATA) {
        w->drop_mesh++;          /* never: a datagram is at most UDP_RX_BUF */
        return;
    }
    struct pkt_buf *b = lend_with_addr(w, from, from_len);
    if (!b)
        return;
    memcpy(b->data, buf, len);
    b->len = (uint16_t)len;
    struct mesh_msg msg = {.type = MESH_MSG_DATAGRAM, .buf = b};
    send_to(w, worker, &msg);
}

static void claim(void *arg, unsigned worker, const struct sockaddr_storage *from,
                  socklen_t from_len)
{
    struct worker *w = arg;
    struct pkt_buf *b = lend_with_addr(w, from, from_len);
    if (!b)
        return;
    struct mesh_msg msg = {.type = MESH_MSG_CLAIM, .buf = b};
    send_to(w, worker, &msg);
}

const struct mesh_ops worker_mesh_ops = {
    .share_rtp = share_rtp,
    .share_sr = share_sr,
    .ask_keyframe = ask_keyframe,
    .report_wanted = report_wanted,
    .forward = forward,
    .claim = claim,
};

static void run_msg(struct worker *w, unsigned from, struct mesh_msg *msg, uint64_t now)
{
    struct rtc_core *core = w->core;
    struct pkt_buf *b = msg->buf;
    int rc = 0;
    switch (msg->type) {
    case MESH_MSG_RTP:
        rc = rtc_core_mirror_receive(core, msg->producer_id, b->data, b->len, msg->layer, now);
        break;
    case MESH_MSG_DATAGRAM:
        /* Lent to this worker alone: decrypting in place is allowed. */
        rtc_core_receive_forwarded(core, b->data, b->len, &b->from, b->from_len, from, now);
        break;
    case MESH_MSG_SR: {
        struct rtcp_sender_report sr = {.ssrc = msg->ssrc, .ntp_time = msg->ntp,
                                        .rtp_time = msg->rtp_time};
        rc = rtc_core_mirror_sender_report(core, msg->producer_id, &sr, now);
        break;
    }
    case MESH_MSG_KEYFRAME:
        rc = rtc_core_remote_keyframe(core, msg->producer_id, msg->layer, now);
        if (rc == -SQ_ESTATE)
            rc = 0;              /* sent once the SSRC is known */
        break;
    case MESH_MSG_WANTED:
        rc = rtc_core_remote_wanted(core, msg->producer_id, msg->layer, now);
        break;
    case MESH_MSG_CLAIM:
        rc = rtc_core_route_addr(core, &b->from, b->from_len, from, false, now);
        break;
    }
    /* A producer or mirror closed while its messages were on the way. */
    if (rc == -SQ_ENOTFOUND)
        w->drop_mesh++;
    if (b)
        pkt_buf_release(b);
}

bool worker_mesh_drain(struct worker *w, uint64_t now_us, unsigned budget)
{
    struct worker_mesh *m = w->mesh;
    struct mesh_msg msg;
    if (!m)
        return false;
    bool is_left = false;
    /* Round robin over the senders so none is starved by a busy one. */
    unsigned share = budget / (m->n - 1);
    for (unsigned from = 0; from < m->n; from++) {
        if (from == w->index)
            continue;
        struct spsc_ring *r = worker_mesh_ring(m, from, w->index);
        unsigned i = 0;
        for (; i < share && spsc_ring_pop(r, &msg); i++)
            run_msg(w, from, &msg, now_us);
        if (i == share && spsc_ring_len(r))
            is_left = true;
        /* Answer each sender's batch before the next one's. */
        tx_batch_flush(&w->tx);
    }
    return is_left;
}

void worker_mesh_wake(struct worker *w)
{
    uint32_t mask = w->wake_mask;
    w->wake_mask = 0;
    for (unsigned to = 0; mask; to++, mask >>= 1) {
        if (!(mask & 1))
            continue;
        uint64_t one = 1;
        /* EAGAIN: the counter is at its maximum, the target is woken anyway. */
        ssize_t r = write(w->mesh->workers[to]->evfd, &one, sizeof(one));
        (void)r;
    }
}
