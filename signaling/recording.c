/* Recording control (see recording.h). Everything here runs on the control
 * thread; the media plane does the writing on its own thread and only hears
 * commands (start, stop, which video, which audio). The store's row is
 * committed before anyone is told a recording started, and finished before
 * anyone is told it stopped. */
#include "recording.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sabaq/error.h"
#include "lesson.h"
#include "participant.h"
#include "recording_store.h"
#include "rights.h"
#include "signaling.h"
#include "stage.h"
#include "store.h"
#include "timeline.h"


/* One lesson's recording state: l->recording, owned by the lesson. */
struct recording_state {
    bool active;
    struct recording_row row;      /* the running one, or the last one (row.id 0: none yet) */
    char dir[4096];                /* where its files are */
    struct timeline *timeline;     /* owned; NULL when not recording or the file failed */
    bool timeline_failed;          /* logged once per recording */
    uint32_t video;                /* the producer given to set_video, 0 for none */
    uint32_t *audio;               /* owned: the audio producers added */
    size_t n_audio, cap_audio;
    bool auto_started;             /* auto_record fired in this lesson session */
    char reason[16];               /* why the last one stopped, "" when none has */
};

static void stage_changed(void *ctx, struct lesson *l, uint32_t producer_id);

static struct recording_state *state_of(struct lesson *l)
{
    if (!l->recording && (l->recording = calloc(1, sizeof(*l->recording))))
        stage_listen(l, stage_changed, NULL);
    return l->recording;
}

/* ---- what people see ---------------------------------------------------- */

json_t *recording_status(const struct lesson *l)
{
    const struct recording_state *r = l->recording;
    bool active = r && r->active;
    json_t *o = json_object();
    json_object_set_new(o, "active", json_boolean(active));
    json_object_set_new(o, "recording", active ? json_integer(r->row.id) : json_null());
    json_object_set_new(o, "since_ms", active ? json_integer(r->row.started_ms) : json_null());
    json_object_set_new(o, "reason", !active && r && r->reason[0] ? json_string(r->reason)
                                                                   : json_null());
    return o;
}

/* `recording` to every member; `with_req` gets its copy with req. */
static void announce(struct lesson *l, struct participant *with_req, json_t *req)
{
    json_t *m = message_new("recording", NULL);
    json_t *status = recording_status(l);
    json_object_update(m, status);
    json_decref(status);
    for (struct participant *p = l->members; p; p = p->next_in_lesson) {
        if (p == with_req && req) {
            json_t *copy = json_copy(m);
            json_object_set(copy, "req", req);
            participant_send(p, copy);
        } else {
            participant_send(p, json_incref(m));
        }
    }
    json_decref(m);
}

static void reply_status(struct participant *p, json_t *req)
{
    json_t *m = message_new("recording", req);
    json_t *status = recording_status(p->lesson);
    json_object_update(m, status);
    json_decref(status);
    participant_send(p, m);
}

/* ---- the timeline ------------------------------------------------------- */

static void timeline_write(struct lesson *l, const json_t *event)
{
    struct recording_state *r = l->recording;
    if (!r || !r->active || !r->timeline || !event)
        return;
    if (timeline_append(r->timeline, l->sig->now_ms, event) < 0 && !r->timeline_failed) {
        r->timeline_failed = true;
        signaling_log(l->sig, "recording %lld: cannot write its timeline (%s)",
                      (long long)r->row.id, strerror(errno));
    }
}

void recording_note(struct lesson *l, const json_t *msg)
{
    if (!l || !l->recording || !l->recording->active)
        return;
    json_t *e = timeline_event_of(msg);
    timeline_write(l, e);
    json_decref(e);
}

/* The stage as the lesson's `stage` message says it: {participant, mid, source}. */
static void note_stage(struct lesson *l)
{
    json_t *e = stage_describe(l);
    if (!e)
        return;
    json_object_set_new(e, "type", json_string("stage"));
    timeline_write(l, e);
    json_decref(e);
}

/* The first lines: who is there, the stage, raised hands. */
static void note_start(struct lesson *l)
{
    json_t *people = json_array();
    for (struct participant *p = l->members; p; p = p->next_in_lesson)
        json_array_append_new(people, participant_describe(p));
    json_t *e = json_pack("{s:s, s:s, s:s, s:I, s:o}", "type", "start", "lesson", l->id,
                          "title", l->def.title, "started_ms",
                          (json_int_t)l->recording->row.started_ms, "participants", people);
    timeline_write(l, e);
    json_decref(e);
    for (struct participant *p = l->members; p; p = p->next_in_lesson)
        if (p->hand_raised) {
            json_t *h = json_pack("{s:s, s:s, s:b}", "type", "hand", "participant", p->id,
                                  "raised", 1);
            timeline_write(l, h);
            json_decref(h);
        }
    note_stage(l);
}

/* ---- the media plane: video follows the stage, audio every producer ---- */

/* The file is WebM, whose video is VP8: an H.264 stage (OBS over WHIP) is
 * not recorded (the file shows nothing until a VP8 stage comes back); the
 * audio goes on. */
static bool is_recordable_video(const struct lesson *l, uint32_t producer_id)
{
    for (const struct participant *p = l->members; p; p = p->next_in_lesson)
        for (size_t i = 0; i < p->pub.n_producers; i++)
            if (p->pub.producers[i].id == producer_id)
                return p->pub.producers[i].track.codec != SDP_CODEC_H264;
    return true;
}

static void set_video(struct lesson *l, uint32_t producer_id)
{
    struct recording_state *r = l->recording;
    struct signaling *s = l->sig;
    if (producer_id && !is_recordable_video(l, producer_id)) {
        signaling_log(s, "recording %lld: the stage (producer %u) is H.264, which WebM cannot "
                         "hold: no video until the stage is VP8 again",
                      (long long)r->row.id, (unsigned)producer_id);
        producer_id = 0;
    }
    if (r->video == producer_id)
        return;
    r->video = producer_id;
    int rc = s->media->recording_set_video(s->media_arg, (uint32_t)r->row.id, producer_id);
    if (rc < 0)
        signaling_log(s, "recording %lld: the media plane refused video producer %u: %s",
                      (long long)r->row.id, (unsigned)producer_id, sq_strerror(rc));
}

static void stage_changed(void *ctx, struct lesson *l, uint32_t producer_id)
{
    (void)ctx;
    if (!l->recording || !l->recording->active)
        return;
    set_video(l, producer_id);
    note_stage(l);
}

static bool is_live_audio(struct lesson *l, uint32_t id)
{
    for (struct participant *p = l->members; p; p = p->next_in_lesson)
        for (size_t i = 0; i < p->pub.n_producers; i++)
            if (p->pub.producers[i].id == id && p->pub.producers[i].track.kind == SDP_KIND_AUDIO)
                return true;
    return false;
}

static bool has_audio(const struct recording_state *r, uint32_t id)
{
    for (size_t i = 0; i < r->n_audio; i++)
        if (r->audio[i] == id)
            return true;
    return false;
}

static void add_audio(struct lesson *l, uint32_t id)
{
    struct recording_state *r = l->recording;
    struct signaling *s = l->sig;
    if (r->n_audio == r->cap_audio) {
        size_t cap = r->cap_audio ? r->cap_audio * 2 : 8;
        uint32_t *a = realloc(r->audio, cap * sizeof(*a));
        if (!a)
            return;
        r->audio = a;
        r->cap_audio = cap;
    }
    int rc = s->media->recording_add_audio(s->media_arg, (uint32_t)r->row.id, id);
    if (rc < 0) {
        signaling_log(s, "recording %lld: the media plane refused audio producer %u: %s",
                      (long long)r->row.id, (unsigned)id, sq_strerror(rc));
        return;
    }
    r->audio[r->n_audio++] = id;
}

/* Audio producers that are gone leave the mix; new ones join it. */
static void sync_audio(struct lesson *l)
{
    struct recording_state *r = l->recording;
    struct signaling *s = l->sig;
    for (size_t i = 0; i < r->n_audio;) {
        if (is_live_audio(l, r->audio[i])) {
            i++;
            continue;
        }
        /* Its producer may be closed already: the media plane drops it either way. */
        s->media->recording_remove_audio(s->media_arg, (uint32_t)r->row.id, r->audio[i]);
        r->audio[i] = r->audio[--r->n_audio];
    }
    for (struct participant *p = l->members; p; p = p->next_in_lesson)
        for (size_t i = 0; i < p->pub.n_producers; i++) {
            const struct producer_ref *ref = &p->pub.producers[i];
            if (ref->track.kind == SDP_KIND_AUDIO && !has_audio(r, ref->id))
                add_audio(l, ref->id);
        }
}

/* ---- start and stop ----------------------------------------------------- */

bool recording_dir(struct store *st, const struct recording_row *row, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", store_dir(st), row->path);
    return n > 0 && (size_t)n < cap;
}

/* mkdir -p for the folders under the data directory. */
static int make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* 0, or a negative code with a sentence in *why. */
static int start(struct lesson *l, const char **why)
{
    struct signaling *s = l->sig;
    struct recording_state *r = l->recording;
    struct recording_row row;
    if (!s->store) {
        *why = "this server runs without a store";
        return -SQ_ESTATE;
    }
    if (recording_store_insert(s->store, l->id, (int64_t)s->now_ms, &row) < 0) {
        *why = "the store failed";
        return -SQ_EIO;
    }
    if (!recording_dir(s->store, &row, r->dir, sizeof(r->dir)) || make_dirs(r->dir) != 0) {
        signaling_log(s, "recording: cannot make the folder %s: %s", r->dir, strerror(errno));
        recording_store_delete(s->store, row.id);
        *why = "its folder could not be made (see the server log)";
        return -SQ_EIO;
    }
    int rc = s->media->recording_start(s->media_arg, (uint32_t)row.id, r->dir);
    if (rc < 0) {
        signaling_log(s, "recording: the media plane refused to record lesson %s: %s", l->id,
                      sq_strerror(rc));
        recording_store_delete(s->store, row.id);
        rmdir(r->dir);
        *why = rc == -SQ_EUNSUPPORTED ? "this server cannot record yet"
                                      : "the media plane refused (see the server log)";
        return rc;
    }
    r->row = row;
    r->active = true;
    r->reason[0] = '\0';
    r->video = 0;
    r->n_audio = 0;
    r->timeline_failed = false;
    if (!(r->timeline = timeline_open(r->dir, s->now_ms)))
        signaling_log(s, "recording %lld: cannot open its timeline in %s: %s",
                      (long long)row.id, r->dir, strerror(errno));
    set_video(l, stage_producer(l));
    sync_audio(l);
    note_start(l);
    signaling_log(s, "recording %lld of lesson %s started in %s", (long long)row.id, l->id,
                  r->dir);
    return 0;
}

static int64_t file_size(const char *dir, const char *name, int64_t *mtime_ms)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (stat(path, &st) != 0)
        return 0;
    if (mtime_ms)
        *mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    return (int64_t)st.st_size;
}

/* Stops the running recording: the media plane finishes the file, the row
 * is finished (state "finished" or "failed"), and everyone is told why. */
static void stop(struct lesson *l, const char *reason, bool failed, bool tell_media)
{
    struct signaling *s = l->sig;
    struct recording_state *r = l->recording;
    if (!r || !r->active)
        return;
    if (tell_media)
        s->media->recording_stop(s->media_arg, (uint32_t)r->row.id);
    json_t *e = json_pack("{s:s, s:s}", "type", "stop", "reason", reason);
    timeline_write(l, e);
    json_decref(e);
    timeline_close(r->timeline);
    r->timeline = NULL;
    r->active = false;
    snprintf(r->reason, sizeof(r->reason), "%s", reason);
    r->row.stopped_ms = (int64_t)s->now_ms;
    r->row.duration_ms = r->row.stopped_ms - r->row.started_ms;
    r->row.bytes = file_size(r->dir, RECORDING_FILE, NULL);
    snprintf(r->row.state, sizeof(r->row.state), "%s", failed ? "failed" : "finished");
    snprintf(r->row.reason, sizeof(r->row.reason), "%s", reason);
    if (s->store && recording_store_finish(s->store, &r->row) < 0)
        signaling_log(s, "recording %lld: the store failed to mark it %s", (long long)r->row.id,
                      r->row.state);
    r->video = 0;
    r->n_audio = 0;
    signaling_log(s, "recording %lld of lesson %s stopped (%s) after %lld ms", (long long)r->row.id,
                  l->id, reason, (long long)r->row.duration_ms);
}

void recording_handle_start(struct participant *p, json_t *msg, json_t *req)
{
    (void)msg;
    if (!rights_allow(p, RIGHT_RECORD)) {
        rights_refuse(p, RIGHT_RECORD, "recording_start", req);
        return;
    }
    struct lesson *l = p->lesson;
    struct recording_state *r = state_of(l);
    if (!r) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "recording_start", req, "out of memory");
        return;
    }
    if (r->active) {   /* already recording: say so, nothing changes */
        reply_status(p, req);
        return;
    }
    const char *why = "";
    if (start(l, &why) < 0) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "recording_start", req,
                               "the recording could not start: %s", why);
        return;
    }
    announce(l, p, req);
}

void recording_handle_stop(struct participant *p, json_t *msg, json_t *req)
{
    (void)msg;
    if (!rights_allow(p, RIGHT_RECORD)) {
        rights_refuse(p, RIGHT_RECORD, "recording_stop", req);
        return;
    }
    struct lesson *l = p->lesson;
    if (!l->recording || !l->recording->active) {
        reply_status(p, req);
        return;
    }
    stop(l, "stopped", false, true);
    announce(l, p, req);
}

/* ---- producers, auto_record --------------------------------------------- */

static bool staff_publishes(const struct lesson *l)
{
    for (const struct participant *p = l->members; p; p = p->next_in_lesson)
        if (rights_is_staff(p) && p->pub.n_producers)
            return true;
    return false;
}

void recording_sync(struct lesson *l)
{
    if (!l)
        return;
    if (l->recording && l->recording->active) {
        sync_audio(l);
        return;
    }
    if (!l->def.auto_record || !l->sig->store || l->def.ended_ms || !staff_publishes(l))
        return;
    struct recording_state *r = state_of(l);
    if (!r || r->auto_started)
        return;
    r->auto_started = true;   /* once, even when it fails: no retry storm */
    const char *why = "";
    if (start(l, &why) < 0) {
        signaling_log(l->sig, "lesson %s: auto_record could not start: %s", l->id, why);
        return;
    }
    announce(l, NULL, NULL);
}

/* ---- the media plane's word, the lesson's end, a restart ---------------- */

static const char *stop_reason(const struct sfu_event *ev)
{
    static const char *const known[] = {"stopped", "disk_full", "write_error"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strncmp(ev->detail, known[i], sizeof(ev->detail)) == 0)
            return known[i];
    return ev->value < 0 ? "write_error" : "stopped";
}

void recording_media_stopped(struct signaling *s, const struct sfu_event *ev)
{
    for (struct lesson *l = s->lessons; l; l = l->next) {
        struct recording_state *r = l->recording;
        if (!r || r->row.id != (int64_t)ev->id)
            continue;
        if (r->active) {   /* the media plane stopped it by itself: an error */
            const char *reason = stop_reason(ev);
            signaling_log(s, "recording %u of lesson %s stopped by the media plane: %s",
                          (unsigned)ev->id, l->id, reason);
            stop(l, reason, ev->value < 0, false);
            announce(l, NULL, NULL);
        }
        break;
    }
    /* The file is complete now: its final size goes into the row. */
    struct recording_row row;
    if (!s->store || recording_store_get(s->store, (int64_t)ev->id, &row) < 0)
        return;
    char dir[4096];
    if (!recording_dir(s->store, &row, dir, sizeof(dir)) || strcmp(row.state, "recording") == 0)
        return;
    row.bytes = file_size(dir, RECORDING_FILE, NULL);
    recording_store_finish(s->store, &row);
    signaling_log(s, "recording %lld of lesson %s is complete: %lld bytes (%s)",
                  (long long)row.id, row.lesson, (long long)row.bytes, stop_reason(ev));
}

void recording_lesson_free(struct lesson *l)
{
    struct recording_state *r = l->recording;
    if (!r)
        return;
    stop(l, "stopped", false, true);
    stage_unlisten(l, stage_changed, NULL);
    free(r->audio);
    free(r);
    l->recording = NULL;
}

struct recover_list {
    struct recording_row *rows;    /* owned */
    size_t n, cap;
};

static void collect(const struct recording_row *row, void *arg)
{
    struct recover_list *c = arg;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct recording_row *rows = realloc(c->rows, cap * sizeof(*rows));
        if (!rows)
            return;
        c->rows = rows;
        c->cap = cap;
    }
    c->rows[c->n++] = *row;
}

/* The file's size and last write stand for where the crash cut it. */
static int recover_one(struct store *st, struct recording_row *r)
{
    char dir[4096];
    int64_t mtime = 0;
    r->bytes = recording_dir(st, r, dir, sizeof(dir)) ? file_size(dir, RECORDING_FILE, &mtime)
                                                      : 0;
    r->stopped_ms = mtime > r->started_ms ? mtime : r->started_ms;
    r->duration_ms = r->stopped_ms - r->started_ms;
    snprintf(r->state, sizeof(r->state), "crashed");
    snprintf(r->reason, sizeof(r->reason), "crash");
    return recording_store_finish(st, r);
}

int recording_recover(struct store *st)
{
    /* Read first, then update: no writes under a running SELECT. */
    struct recover_list c = {NULL, 0, 0};
    int rc = recording_store_open_rows(st, collect, &c);
    int n = 0;
    for (size_t i = 0; rc >= 0 && i < c.n; i++)
        if (recover_one(st, &c.rows[i]) == 0)
            n++;
    free(c.rows);
    return rc < 0 ? rc : n;
}
