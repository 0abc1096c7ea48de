/* bench/load: a bot process. Its media thread runs one epoll loop over every
 * bot's UDP sockets and the eventfd the WebSocket thread (bot_ws.c) rings:
 * it reacts to signaling events (offers, answers), starts bots on the join
 * schedule, fires ICE/DTLS/RTCP timers, lets the media source send what is
 * due and reads datagrams in batches (recvmmsg). It ends when the parent
 * says stop or at its own hard limit, whichever comes first, and leaves its
 * counters in the shared block. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "bot.h"
#include "sabaq/clock.h"
#include "sabaq/dtls.h"

#define BATCH 32
#define TIMER_PERIOD_US 2000u      /* how often every bot's timers are looked at */
#define RTCP_PERIOD_US 1000000u
#define PUB_WAIT_US 15000000u      /* receivers start anyway after this */
#define MAX_NOTES 8                /* problems printed per process */
#define RX_TURN_US 1000u           /* receiver processes: at most one loop turn per ms */

static unsigned notes_printed;

void bot_note(struct bot_proc *p, const char *fmt, ...)
{
    char text[sizeof(p->ctr->note)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (!p->ctr->note[0])
        memcpy(p->ctr->note, text, sizeof(text));
    if (!p->cfg->quiet && notes_printed++ < MAX_NOTES)
        fprintf(stderr, "load: proc %u: %s\n", p->index, text);
}

void bot_fail(struct bot *b, const char *why)
{
    if (b->closed)
        return;
    b->closed = true;
    atomic_store(&b->proc->shm->bots[b->index].failed, 1);
    atomic_fetch_add(&b->proc->shm->ctl.failed, 1);
    bot_note(b->proc, "bot %u failed: %s", b->index, why);
}

void bot_transport_up(struct bot_transport *t, uint64_t now_us)
{
    struct bot *b = t->bot;
    t->next_rtcp_us = now_us + RTCP_PERIOD_US;
    if (!t->is_publish && !b->proc->shm->bots[b->index].sub_up_us)
        b->proc->shm->bots[b->index].sub_up_us = now_us;
    if (!t->is_publish || b->media_up)
        return;
    b->media_up = true;
    b->proc->shm->bots[b->index].media_us = now_us;
    atomic_fetch_add(&b->proc->shm->ctl.media_up, 1);
    atomic_fetch_add(&b->proc->shm->ctl.publishers_up, 1);
}

static void send_json(struct bot *b, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    bot_ws_send(b, text);
}

static int parse_sdp(struct bot *b, const char *text)
{
    const char *why = NULL;
    if (!text || sdp_parse(b->proc->sdp_in, text, strlen(text), &why) != 0) {
        bot_fail(b, why ? why : "server sent SDP that does not parse");
        return -1;
    }
    return 0;
}

static void on_joined(struct bot *b, const char *participant)
{
    snprintf(b->participant, sizeof(b->participant), "%s", participant ? participant : "");
    b->joined = true;
    if (b->role == BOT_RECEIVER)
        return;
    if (bot_transport_open(&b->pub, b, true) != 0 ||
        bot_sdp_publish_offer(b, b->proc->sdp_text, BOT_SDP_TEXT) < 0) {
        bot_fail(b, "cannot make the publish offer");
        return;
    }
    /* The teacher's second video m-line is its screen share: the stage. */
    json_t *msg = json_pack("{s:s,s:s}", "type", "publish", "sdp", b->proc->sdp_text);
    if (b->role == BOT_TEACHER)
        json_object_set_new(msg, "sources", json_pack("{s:s,s:s}", BOT_MID_CAMERA, "camera",
                                                      BOT_MID_SCREEN, "screen"));
    send_json(b, msg);
}

static void on_publish_answer(struct bot *b, const char *sdp, uint64_t now_us)
{
    if (parse_sdp(b, sdp) != 0)
        return;
    if (b->pub.state == TR_NONE && bot_sdp_take_remote(&b->pub, b->proc->sdp_in) != 0) {
        bot_fail(b, "publish answer has no usable candidate");
        return;
    }
    bot_transport_start(&b->pub, now_us);
}

static void on_subscribe_offer(struct bot *b, const char *sdp, int64_t version, uint64_t now_us)
{
    if (parse_sdp(b, sdp) != 0)
        return;
    struct bot_transport probe;
    memset(&probe, 0, sizeof(probe));
    if (bot_sdp_take_remote(&probe, b->proc->sdp_in) != 0) {
        bot_fail(b, "subscribe offer has no usable candidate");
        return;
    }
    /* New ICE credentials: a new subscribe connection (after transport_closed). */
    if (b->sub.fd >= 0 && strcmp(probe.remote_ufrag, b->sub.remote_ufrag) != 0)
        bot_transport_close(&b->sub);
    if (b->sub.fd < 0 && bot_transport_open(&b->sub, b, false) != 0) {
        bot_fail(b, "cannot open the subscribe socket");
        return;
    }
    if (b->sub.state == TR_NONE) {
        b->sub.remote = probe.remote;
        memcpy(b->sub.remote_ufrag, probe.remote_ufrag, sizeof(probe.remote_ufrag));
        memcpy(b->sub.remote_pwd, probe.remote_pwd, sizeof(probe.remote_pwd));
        memcpy(b->sub.remote_fp, probe.remote_fp, sizeof(probe.remote_fp));
    }
    bot_rx_set_tracks(b, b->proc->sdp_in);
    if (bot_sdp_subscribe_answer(b, b->proc->sdp_in, b->proc->sdp_text, BOT_SDP_TEXT) < 0) {
        bot_fail(b, "cannot write the subscribe answer");
        return;
    }
    b->sub_version = version;
    send_json(b, json_pack("{s:s,s:s,s:I}", "type", "subscribe_answer", "sdp",
                           b->proc->sdp_text, "version", (json_int_t)version));
    bot_transport_start(&b->sub, now_us);
}

static void handle_event(struct bot_proc *p, struct bot_event *e, uint64_t now_us)
{
    struct bot *b = &p->bots[e->bot];
    switch (e->type) {
    case EV_JOINED:
        on_joined(b, e->text);
        break;
    case EV_PUBLISH_ANSWER:
        on_publish_answer(b, e->text, now_us);
        break;
    case EV_SUBSCRIBE_OFFER:
        on_subscribe_offer(b, e->text, e->version, now_us);
        break;
    case EV_TRANSPORT_CLOSED:
        bot_note(p, "bot %u: server closed its %s transport", b->index, e->text ? e->text : "?");
        if (e->text && strcmp(e->text, "subscribe") == 0)
            bot_transport_close(&b->sub); /* the next offer opens a new one */
        else
            bot_fail(b, "publish transport closed by the server");
        break;
    case EV_ERROR:
        if (!b->joined)
            bot_fail(b, e->text ? e->text : "join refused");
        else
            bot_note(p, "bot %u: server error %s", b->index, e->text ? e->text : "?");
        break;
    case EV_WS_CLOSED:
        if (atomic_load(&p->shm->ctl.phase) != LOAD_PHASE_STOP)
            bot_fail(b, e->text ? e->text : "websocket closed");
        break;
    }
}

static void drain_events(struct bot_proc *p, uint64_t now_us)
{
    uint64_t count;
    if (read(p->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        return;
    pthread_mutex_lock(&p->lock);
    struct bot_event *e = p->ev_head;
    p->ev_head = p->ev_tail = NULL;
    pthread_mutex_unlock(&p->lock);
    while (e) {
        struct bot_event *next = e->next;
        handle_event(p, e, now_us);
        free(e->text);
        free(e);
        e = next;
    }
}

/* Publishers start at once; receivers once every publisher is up (or after
 * PUB_WAIT_US), paced at join_rate across all processes by their number. */
static void schedule(struct bot_proc *p, uint64_t start_us, uint64_t now_us)
{
    const struct bot_config *c = p->cfg;
    if (!p->pub_ready_us &&
        (atomic_load(&p->shm->ctl.publishers_up) >= 1 + c->n_speakers ||
         now_us - start_us > PUB_WAIT_US)) {
        p->pub_ready_us = now_us;
        for (unsigned i = 0; i < p->n_bots; i++) {
            struct bot *b = &p->bots[i];
            if (b->role == BOT_RECEIVER)
                b->start_at_us = now_us + (uint64_t)(b->index - 1 - c->n_speakers) * 1000000u /
                                              (c->join_rate ? c->join_rate : 1);
        }
    }
    for (unsigned i = 0; i < p->n_bots; i++) {
        struct bot *b = &p->bots[i];
        if (!b->started && b->start_at_us && now_us >= b->start_at_us) {
            b->started = true;
            bot_ws_connect(b);
        }
        if (b->started && !b->media_up && !b->closed &&
            now_us - b->start_at_us > (uint64_t)c->join_timeout_s * 1000000u)
            bot_fail(b, b->joined ? "no media before the join timeout" : "not joined in time");
    }
}

static void timers(struct bot_proc *p, uint64_t now_us)
{
    for (unsigned i = 0; i < p->n_bots; i++) {
        struct bot *b = &p->bots[i];
        bot_transport_timers(&b->pub, now_us);
        bot_transport_timers(&b->sub, now_us);
        if (b->pub.state == TR_UP && now_us >= b->pub.next_rtcp_us) {
            b->pub.next_rtcp_us = now_us + RTCP_PERIOD_US;
            bot_tx_reports(b, now_us);
        }
        bot_twcc_report(b, now_us);
        if (b->sub.state == TR_UP && now_us >= b->sub.next_rtcp_us) {
            b->sub.next_rtcp_us = now_us + RTCP_PERIOD_US;
            bot_rx_reports(b, now_us);
        }
    }
}

static void read_socket(struct bot_transport *t, uint64_t now_us)
{
    static uint8_t bufs[BATCH][2048];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    for (int round = 0; round < 4 && t->fd >= 0; round++) {
        for (int i = 0; i < BATCH; i++) {
            iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
            msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
        }
        int n = recvmmsg(t->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        for (int i = 0; i < n && t->fd >= 0; i++)
            bot_transport_receive(t, bufs[i], msgs[i].msg_len, now_us);
        if (n < BATCH)
            return;
    }
}

static void run(struct bot_proc *p)
{
    const struct bot_config *c = p->cfg;
    uint64_t start = sq_now_us(), end = start + (uint64_t)c->hard_limit_s * 1000000u;
    uint64_t next_timers = 0, next_media = 0;
    struct epoll_event evs[64];
    for (uint64_t now = start; now < end; now = sq_now_us()) {
        if (atomic_load(&p->shm->ctl.phase) == LOAD_PHASE_STOP)
            break;
        drain_events(p, now);
        if (now >= next_timers) {
            schedule(p, start, now);
            timers(p, now);
            next_timers = now + TIMER_PERIOD_US;
        }
        if (now >= next_media)
            next_media = bot_source_tick(p, now);
        uint64_t wake = next_media < next_timers ? next_media : next_timers;
        int ms = wake > now ? (int)((wake - now + 999) / 1000) : 0;
        int n = epoll_wait(p->epfd, evs, 64, ms < 5 ? ms : 5);
        uint64_t turn = sq_now_us();
        for (int i = 0; i < n; i++)
            if (evs[i].data.ptr)
                read_socket(evs[i].data.ptr, turn);
        /* Waking for every datagram of 500 sockets would cost more than the
         * packets: receivers let a millisecond's worth pile up (this adds
         * up to 1 ms, 0.5 on average, to the latency they measure). */
        uint64_t spent = sq_now_us() - turn;
        if (!p->src && spent < RX_TURN_US)
            usleep((useconds_t)(RX_TURN_US - spent));
    }
}

static void init_bots(struct bot_proc *p, unsigned first_receiver, unsigned stride,
                      unsigned n_receivers, bool publishers)
{
    const struct bot_config *c = p->cfg;
    unsigned k = 0;
    uint64_t now = sq_now_us();
    for (unsigned i = 0; publishers && i <= c->n_speakers; i++, k++) {
        struct bot *b = &p->bots[k];
        b->index = i;
        b->role = i == 0 ? BOT_TEACHER : BOT_SPEAKER;
        b->speaker_no = i ? i - 1 : 0;
        b->start_at_us = now + i * 100000u;
    }
    for (unsigned i = 0; i < n_receivers; i++, k++) {
        struct bot *b = &p->bots[k];
        b->index = first_receiver + i * stride;
        b->role = BOT_RECEIVER;
        b->decodes = i < c->decode_sample;
        p->ctr->decoders += b->decodes;
    }
    for (unsigned i = 0; i < p->n_bots; i++) {
        struct bot *b = &p->bots[i];
        b->proc = p;
        b->pub.bot = b->sub.bot = b;
        b->pub.fd = b->sub.fd = -1;
        b->pub.is_publish = true;
        bot_tx_init(b);
    }
    p->ctr->bots = p->n_bots;
}

static int setup(struct bot_proc *p)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    pthread_mutex_init(&p->lock, NULL);
    p->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    p->cert = dtls_cert_generate();
    p->sdp_in = malloc(sizeof(*p->sdp_in));
    p->sdp_out = malloc(sizeof(*p->sdp_out));
    p->sdp_text = malloc(BOT_SDP_TEXT);
    p->bots = calloc(p->n_bots ? p->n_bots : 1, sizeof(*p->bots));
    if (p->event_fd < 0 || p->epfd < 0 || !p->cert || !p->sdp_in || !p->sdp_out ||
        !p->sdp_text || !p->bots || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->event_fd, &ev) != 0)
        return -1;
    return 0;
}

static void teardown(struct bot_proc *p)
{
    bot_ws_stop(p);
    for (unsigned i = 0; p->bots && i < p->n_bots; i++) {
        struct bot *b = &p->bots[i];
        bot_transport_close(&b->pub);
        bot_transport_close(&b->sub);
        bot_rx_free(b);
        bot_tx_free(b);
        bot_twcc_free(b);
    }
    while (p->ev_head) {
        struct bot_event *e = p->ev_head;
        p->ev_head = e->next;
        free(e->text);
        free(e);
    }
    bot_source_free(p->src);
    dtls_cert_free(p->cert);
    free(p->bots);
    free(p->sdp_in);
    free(p->sdp_out);
    free(p->sdp_text);
    if (p->epfd >= 0)
        close(p->epfd);
    if (p->event_fd >= 0)
        close(p->event_fd);
}

int bot_proc_main(const struct bot_config *cfg, struct load_shm *shm, unsigned proc_index,
                  unsigned first_receiver, unsigned stride, unsigned n_receivers,
                  bool publishers)
{
    struct bot_proc p;
    memset(&p, 0, sizeof(p));
    p.index = proc_index;
    p.cfg = cfg;
    p.shm = shm;
    p.ctr = &shm->procs[proc_index];
    p.n_bots = (publishers ? 1 + cfg->n_speakers : 0) + n_receivers;
    p.event_fd = p.epfd = -1;
    srandom((unsigned)(getpid() ^ (pid_t)sq_now_us()));
    int rc = 1;
    if (setup(&p) == 0 && (!publishers || (p.src = bot_source_new(cfg)))) {
        init_bots(&p, first_receiver, stride, n_receivers, publishers);
        if (bot_ws_start(&p) == 0) {
            run(&p);
            for (unsigned i = 0; i < p.n_bots; i++)
                bot_rx_finish(&p.bots[i]);
            rc = 0;
        }
    } else {
        bot_note(&p, "set-up failed (sockets, certificate or encoders)");
    }
    teardown(&p);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    p.ctr->cpu_us = (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
                    (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
    atomic_fetch_add(&shm->ctl.procs_done, 1);
    return rc;
}
