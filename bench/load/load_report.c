/* bench/load: figures from one run and how they are printed (load_report.h). */
#include "load_report.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double pct(double part, double whole)
{
    return whole > 0 ? 100.0 * part / whole : 0;
}

/* p-th percentile of a LOAD_LAT_BUCKET_US histogram, in ms; -1 when empty. */
static double hist_ms(const uint64_t *h, uint64_t total, double p)
{
    uint64_t want = (uint64_t)(p * (double)total), seen = 0;
    if (!total)
        return -1;
    for (unsigned b = 0; b <= LOAD_LAT_BUCKETS; b++) {
        seen += h[b];
        if (seen > want)
            return (b + 0.5) * LOAD_LAT_BUCKET_US / 1000.0;
    }
    return LOAD_LAT_BUCKETS * LOAD_LAT_BUCKET_US / 1000.0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double sorted_pct_ms(const uint64_t *v, size_t n, double p)
{
    if (!n)
        return -1;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i] / 1000.0;
}

static void join_times(struct load_row *row, const struct load_shm *shm, unsigned n)
{
    static uint64_t media[LOAD_MAX_BOTS], sig[LOAD_MAX_BOTS], dtls[LOAD_MAX_BOTS];
    size_t nm = 0, ns = 0, nd = 0;
    for (unsigned i = 0; i < n && i < LOAD_MAX_BOTS; i++) {
        const struct load_bot_times *t = &shm->bots[i];
        if (t->ws_start_us && t->media_us > t->ws_start_us)
            media[nm++] = t->media_us - t->ws_start_us;
        if (t->ws_start_us && t->joined_us > t->ws_start_us)
            sig[ns++] = t->joined_us - t->ws_start_us;
        if (t->ws_start_us && t->sub_up_us > t->ws_start_us)
            dtls[nd++] = t->sub_up_us - t->ws_start_us;
    }
    qsort(dtls, nd, sizeof(dtls[0]), cmp_u64);
    row->dtls50 = sorted_pct_ms(dtls, nd, 0.5);
    row->dtls99 = sorted_pct_ms(dtls, nd, 0.99);
    qsort(media, nm, sizeof(media[0]), cmp_u64);
    qsort(sig, ns, sizeof(sig[0]), cmp_u64);
    row->up = (unsigned)nm;
    row->join50 = sorted_pct_ms(media, nm, 0.5);
    row->join99 = sorted_pct_ms(media, nm, 0.99);
    row->sig50 = sorted_pct_ms(sig, ns, 0.5);
    row->sig99 = sorted_pct_ms(sig, ns, 0.99);
}

static void server_cpu(struct load_row *row, const struct load_run_input *in)
{
    double hz = (double)sysconf(_SC_CLK_TCK), w = row->window_s;
    row->cpu_core_pct = pct((double)(in->after.ticks - in->before.ticks) / hz, w);
    row->n_cores = in->after.n_cores;
    row->cpu_machine_pct = row->n_cores ? row->cpu_core_pct / row->n_cores : 0;
    for (unsigned c = 0; c < row->n_cores && c < in->before.n_cores; c++)
        row->core_busy_pct[c] =
            pct((double)(in->after.core_busy[c] - in->before.core_busy[c]),
                (double)(in->after.core_total[c] - in->before.core_total[c]));
    for (unsigned i = 0; i < in->after.n_threads; i++) {
        const struct load_thread_cpu *a = &in->after.threads[i];
        uint64_t before = 0;
        for (unsigned k = 0; k < in->before.n_threads; k++)
            if (in->before.threads[k].tid == a->tid)
                before = in->before.threads[k].ticks;
        row->threads[row->n_threads] = *a;
        row->thread_pct[row->n_threads++] = pct((double)(a->ticks - before) / hz, w);
    }
    row->rss_mb = in->after.rss_kb / 1024.0;
    row->rss_idle_mb = in->idle.rss_kb / 1024.0;
    row->kb_per_participant =
        in->n ? ((double)in->after.rss_kb - (double)in->idle.rss_kb) / in->n : 0;
}

static void server_traffic(struct load_row *row, const struct load_run_input *in)
{
    const struct load_stats *a = &in->stats_after, *b = &in->stats_before;
    double w = row->window_s, hz = (double)sysconf(_SC_CLK_TCK);
    if (!in->have_stats || w <= 0)
        return;
    row->pps_in = (double)(a->rx_packets - b->rx_packets) / w;
    row->pps_out = (double)(a->tx_packets - b->tx_packets) / w;
    row->mbps_in = (double)(a->rx_bytes - b->rx_bytes) * 8 / w / 1e6;
    row->mbps_out = (double)(a->tx_bytes - b->tx_bytes) * 8 / w / 1e6;
    uint64_t out = a->tx_packets - b->tx_packets;
    row->us_per_packet_out =
        out ? (double)(in->after.ticks - in->before.ticks) / hz * 1e6 / (double)out : 0;
    row->drops = a->drops - b->drops;
    row->nacks = a->nack_received - b->nack_received;
    row->rtx = a->rtx_sent - b->rtx_sent;
    row->plis = a->pli_forwarded - b->pli_forwarded;
}

static void bot_counters(struct load_row *row, const struct load_run_input *in)
{
    static uint64_t lat_v[LOAD_LAT_BUCKETS + 1], lat_a[LOAD_LAT_BUCKETS + 1];
    memset(lat_v, 0, sizeof(lat_v));
    memset(lat_a, 0, sizeof(lat_a));
    uint64_t tx_bytes = 0;
    for (unsigned p = 0; p < in->n_procs; p++) {
        const struct load_counters *c = &in->shm->procs[p];
        row->expected += c->expected;
        row->received += c->received;
        row->decode_errors += c->decode_errors;
        row->audio_decode_errors += c->audio_decode_errors;
        row->size_errors += c->size_errors;
        row->srtp_errors += c->srtp_errors;
        row->vp8_errors += c->vp8_errors + c->malformed;
        row->seq_jumps += c->continuity_errors;
        row->foreign_layer += c->foreign_layer;
        row->frames_decoded += c->frames_decoded;
        row->audio_decoded += c->audio_decoded;
        row->frames_complete += c->frames_complete;
        row->frames_incomplete += c->frames_incomplete;
        row->decoders += c->decoders;
        row->screen_bots += c->screen_bots;
        row->no_camera_bots += c->no_camera_bots;
        row->encode_ms += (double)c->encode_us / 1000.0;
        row->encode_frames += c->encode_frames;
        tx_bytes += c->tx_bytes;
        for (unsigned l = 0; l <= LOAD_LAYERS; l++) {
            row->layer_bots[l] += c->layer_bots[l];
            row->layer_packets[l] += c->layer_packets[l];
        }
        for (unsigned b = 0; b <= LOAD_LAT_BUCKETS; b++) {
            lat_v[b] += c->lat_video[b];
            lat_a[b] += c->lat_audio[b];
            row->lat_v_n += c->lat_video[b];
            row->lat_a_n += c->lat_audio[b];
        }
        row->proc_rx[p] = c->rx_packets;
        row->proc_cpu_ms[p] = c->cpu_us / 1000;
        if (!row->note[0] && c->note[0])
            snprintf(row->note, sizeof(row->note), "%s", c->note);
    }
    if (row->encode_frames)
        row->encode_ms /= (double)row->encode_frames;
    row->tx_mbps = row->window_s > 0 ? (double)tx_bytes * 8 / row->window_s / 1e6 : 0;
    row->loss_pct = row->expected > row->received
                        ? pct((double)(row->expected - row->received), (double)row->expected)
                        : 0;
    row->lat_v50 = hist_ms(lat_v, row->lat_v_n, 0.5);
    row->lat_v99 = hist_ms(lat_v, row->lat_v_n, 0.99);
    row->lat_a50 = hist_ms(lat_a, row->lat_a_n, 0.5);
    row->lat_a99 = hist_ms(lat_a, row->lat_a_n, 0.99);
}

void load_row_make(struct load_row *row, const struct load_run_input *in)
{
    memset(row, 0, sizeof(*row));
    row->n = in->n;
    row->window_s = (double)(in->after.at_us - in->before.at_us) / 1e6;
    row->failed = atomic_load(&((struct load_shm *)in->shm)->ctl.failed);
    row->bots_cpu_pct = in->bots_cpu_pct;
    row->n_procs = in->n_procs;
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fgets(row->loadavg, sizeof(row->loadavg), la))
            row->loadavg[strcspn(row->loadavg, "\n")] = '\0';
        fclose(la);
    }
    server_cpu(row, in);
    server_traffic(row, in);
    bot_counters(row, in);
    join_times(row, in->shm, in->n);
}

static void print_layers(FILE *f, const struct load_row *r, const struct bot_config *cfg)
{
    uint64_t total = 0;
    for (unsigned l = 0; l <= LOAD_LAYERS; l++)
        total += r->layer_packets[l];
    fprintf(f, "  camera layer got   ");
    for (unsigned l = 0; l <= LOAD_LAYERS; l++) {
        if (l == LOAD_LAYERS && !r->layer_bots[l] && !r->layer_packets[l])
            break;
        if (l < LOAD_LAYERS)
            fprintf(f, "%s%ux%u (rid %s): %llu receivers, %.0f%% of packets", l ? "; " : "",
                    cfg->layers[l].width, cfg->layers[l].height, cfg->layers[l].rid,
                    (unsigned long long)r->layer_bots[l], pct((double)r->layer_packets[l],
                                                              (double)total));
        else
            fprintf(f, "; other sizes: %llu receivers", (unsigned long long)r->layer_bots[l]);
    }
    fprintf(f, "\n                     (by the VP8 keyframe size each receiver saw last); "
               "no camera: %llu; screen share reached %llu receivers\n",
            (unsigned long long)r->no_camera_bots, (unsigned long long)r->screen_bots);
}

static void print_server(FILE *f, const struct load_row *r)
{
    fprintf(f, "  server CPU         %.1f%% of one core = %.1f%% of the %u cores; threads:",
            r->cpu_core_pct, r->cpu_machine_pct, r->n_cores);
    for (unsigned i = 0; i < r->n_threads; i++)
        if (r->thread_pct[i] >= 0.05)
            fprintf(f, " %s %.1f%%", r->threads[i].name, r->thread_pct[i]);
    fprintf(f, "\n  machine cores busy");
    for (unsigned c = 0; c < r->n_cores; c++)
        fprintf(f, " cpu%u %.0f%%", c, r->core_busy_pct[c]);
    fprintf(f, " (server + bots + everything else on the machine); load average %s\n",
            r->loadavg);
    fprintf(f, "  server memory      RSS %.1f MB (%.1f MB before anyone joined): %.0f KB per "
               "participant\n", r->rss_mb, r->rss_idle_mb, r->kb_per_participant);
    fprintf(f, "  server traffic     in %.0f pkt/s %.2f Mbit/s, out %.0f pkt/s %.2f Mbit/s; "
               "%.2f us of server CPU per packet sent\n", r->pps_in, r->mbps_in, r->pps_out,
            r->mbps_out, r->us_per_packet_out);
    fprintf(f, "  server feedback    NACKs in %llu, RTX out %llu, PLIs forwarded %llu, "
               "dropped packets %llu\n", (unsigned long long)r->nacks,
            (unsigned long long)r->rtx, (unsigned long long)r->plis,
            (unsigned long long)r->drops);
}

static void print_ms(FILE *f, double v)
{
    if (v < 0)
        fprintf(f, "-");
    else
        fprintf(f, "%.1f", v);
}

void load_row_print(FILE *f, const struct load_row *r, const struct bot_config *cfg)
{
    fprintf(f, "  participants up    %u of %u (%u failed)\n", r->up, r->n, r->failed);
    print_server(f, r);
    fprintf(f, "  receiver loss      %.3f%% (%llu of %llu packets missing, no NACK from bots); "
               "sequence number jumps (> 3000): %llu\n", r->loss_pct,
            (unsigned long long)(r->expected > r->received ? r->expected - r->received : 0),
            (unsigned long long)r->expected, (unsigned long long)r->seq_jumps);
    fprintf(f, "  media latency      video p50 ");
    print_ms(f, r->lat_v50);
    fprintf(f, " ms p99 ");
    print_ms(f, r->lat_v99);
    fprintf(f, " ms (%llu packets); audio p50 ", (unsigned long long)r->lat_v_n);
    print_ms(f, r->lat_a50);
    fprintf(f, " ms p99 ");
    print_ms(f, r->lat_a99);
    fprintf(f, " ms (%llu packets)\n", (unsigned long long)r->lat_a_n);
    fprintf(f, "  join time          WebSocket connect -> media (receivers: first camera "
               "packet; publishers: publish DTLS up) p50 ");
    print_ms(f, r->join50);
    fprintf(f, " ms p99 ");
    print_ms(f, r->join99);
    fprintf(f, " ms\n                     of which -> `joined` p50 ");
    print_ms(f, r->sig50);
    fprintf(f, " ms p99 ");
    print_ms(f, r->sig99);
    fprintf(f, " ms; -> subscribe DTLS up p50 ");
    print_ms(f, r->dtls50);
    fprintf(f, " ms p99 ");
    print_ms(f, r->dtls99);
    fprintf(f, " ms\n");
    fprintf(f, "  decode errors      %llu video + %llu audio (must be 0), %llu size mismatches: "
               "%u receivers decode everything (%llu video frames, %llu audio frames);\n",
            (unsigned long long)r->decode_errors, (unsigned long long)r->audio_decode_errors,
            (unsigned long long)r->size_errors, r->decoders,
            (unsigned long long)r->frames_decoded, (unsigned long long)r->audio_decoded);
    fprintf(f, "                     all receivers verify SRTP, RTP, VP8 descriptor, frame "
               "continuity: %llu SRTP errors, %llu descriptor errors, %llu whole frames, %llu "
               "broken\n", (unsigned long long)r->srtp_errors, (unsigned long long)r->vp8_errors,
            (unsigned long long)r->frames_complete, (unsigned long long)r->frames_incomplete);
    fprintf(f, "  layer integrity    %llu camera packets from another layer than the receiver's "
               "last keyframe (must be 0: they decode to garbage without a decoder error)\n",
            (unsigned long long)r->foreign_layer);
    print_layers(f, r, cfg);
    fprintf(f, "  bots               publishers sent %.2f Mbit/s; VP8 encode %.2f ms per frame "
               "(%llu frames, all layers, once per process); bot processes %.0f%% of one core\n",
            r->tx_mbps, r->encode_ms, (unsigned long long)r->encode_frames, r->bots_cpu_pct);
    fprintf(f, "  bot processes      ");
    for (unsigned p = 0; p < r->n_procs; p++)
        fprintf(f, "%s%s: %.1f s CPU, %llu RTP in the window", p ? "; " : "",
                p ? "receivers" : "publishers", r->proc_cpu_ms[p] / 1000.0,
                (unsigned long long)r->proc_rx[p]);
    fprintf(f, "\n");
    if (r->note[0])
        fprintf(f, "  first problem      %s\n", r->note);
}

void load_table_print(FILE *f, const struct load_row *rows, unsigned n,
                      const struct bot_config *cfg)
{
    fprintf(f, "\n%5s %5s %9s %8s %7s %7s %7s %8s %8s %7s %7s %13s %13s %7s %7s  %s\n", "N", "up",
            "CPU%core", "%cores", "us/pkt", "RSS MB", "KB/part", "pkt/s in", "pkt/s out",
            "Mb/s out", "loss%", "lat p50/p99", "join p50/p99", "decerr", "mixed", "camera layers");
    for (unsigned i = 0; i < n; i++) {
        const struct load_row *r = &rows[i];
        char lat[32], join[32], layers[64];
        snprintf(lat, sizeof(lat), "%.1f/%.1f", r->lat_v50, r->lat_v99);
        snprintf(join, sizeof(join), "%.0f/%.0f", r->join50, r->join99);
        size_t used = 0;
        layers[0] = '\0';
        for (unsigned l = 0; l < LOAD_LAYERS; l++)
            used += (size_t)snprintf(layers + used, sizeof(layers) - used, "%s%s:%llu",
                                     l ? " " : "", cfg->layers[l].rid,
                                     (unsigned long long)r->layer_bots[l]);
        fprintf(f, "%5u %5u %9.1f %8.1f %7.2f %7.1f %7.0f %8.0f %9.0f %8.2f %7.3f %13s %13s %7llu "
                   "%7llu  %s\n",
                r->n, r->up, r->cpu_core_pct, r->cpu_machine_pct, r->us_per_packet_out,
                r->rss_mb, r->kb_per_participant, r->pps_in, r->pps_out, r->mbps_out,
                r->loss_pct, lat, join,
                (unsigned long long)(r->decode_errors + r->audio_decode_errors),
                (unsigned long long)r->foreign_layer, layers);
    }
    fprintf(f, "(latency: video, and join in ms; us/pkt = server CPU time / packets it sent; "
               "KB/part = (RSS - idle RSS) / N;\n mixed = camera packets of a layer the receiver "
               "was not on)\n");
}
