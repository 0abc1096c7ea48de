/* Hands, floor and mutes (see floor.h). */
#include "floor.h"

#include <stdlib.h>
#include <string.h>

#include "attendance.h"
#include "control.h"
#include "lesson.h"
#include "rights.h"
#include "stage.h"

bool floor_may_send(const struct participant *p, enum sdp_media_kind kind)
{
    if (rights_is_staff(p))
        return true;
    if (!p->lesson || strcmp(p->role, "student") != 0)
        return false;
    if (p->lesson->def.students_publish)
        return true;
    if (!p->has_floor)
        return false;
    return kind == SDP_KIND_AUDIO || p->lesson->def.students_video;
}

void floor_apply(struct participant *p)
{
    struct signaling *s = p->sig;
    for (size_t i = 0; i < p->pub.n_producers; i++) {
        struct producer_ref *r = &p->pub.producers[i];
        bool audio = r->track.kind == SDP_KIND_AUDIO;
        bool paused = !floor_may_send(p, r->track.kind) || (audio ? p->muted_audio
                                                                   : p->muted_video);
        if (paused == r->paused)
            continue;
        if (s->media->producer_set_paused &&
            s->media->producer_set_paused(s->media_arg, r->id, paused) < 0) {
            signaling_log(s, "participant %s: the media plane could not %s producer %u", p->id,
                          paused ? "pause" : "resume", (unsigned)r->id);
            continue;
        }
        r->paused = paused;
        signaling_log(s, "participant %s %s track (mid %s) %s at the server", p->id,
                      audio ? "audio" : "video", r->track.mid, paused ? "paused" : "resumed");
    }
    stage_update(p->lesson);
}

static void send_rights(struct participant *p)
{
    json_t *m = message_new("rights", NULL);
    json_object_set_new(m, "rights", rights_list(p));
    participant_send(p, m);
}

/* ---- hands ------------------------------------------------------------------ */

static int by_since(const void *a, const void *b)
{
    const struct participant *x = *(const struct participant *const *)a;
    const struct participant *y = *(const struct participant *const *)b;
    if (x->hand_since_ms != y->hand_since_ms)
        return x->hand_since_ms < y->hand_since_ms ? -1 : 1;
    /* Same millisecond: the lower participant number raised first. */
    unsigned long nx = strtoul(x->id + 1, NULL, 10), ny = strtoul(y->id + 1, NULL, 10);
    return nx < ny ? -1 : nx > ny;
}

void floor_send_hands(struct lesson *l, struct participant *to)
{
    size_t n = 0, cap = l->n_members + l->n_away;
    struct participant **up = cap ? malloc(cap * sizeof(*up)) : NULL;
    struct participant *lists[2] = {l->members, l->away};
    for (int i = 0; i < 2 && up; i++)
        for (struct participant *m = lists[i]; m; m = m->next_in_lesson)
            if (m->hand_raised && n < cap)
                up[n++] = m;
    if (n)
        qsort(up, n, sizeof(*up), by_since);
    json_t *queue = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(queue, json_pack("{s:s, s:s, s:I}", "participant", up[i]->id,
                                               "name", up[i]->name, "since",
                                               (json_int_t)up[i]->hand_since_ms));
    free(up);
    json_t *m = message_new("hands", NULL);
    json_object_set_new(m, "queue", queue);
    if (to)
        participant_send(to, m);
    else {
        lesson_send_staff(l, m);
        json_decref(m);
    }
}

static void tell_hand(struct participant *t, const char *by)
{
    json_t *m = message_new("hand", NULL);
    json_object_set_new(m, "participant", json_string(t->id));
    json_object_set_new(m, "raised", json_boolean(t->hand_raised));
    if (by)
        json_object_set_new(m, "by", json_string(by));
    lesson_broadcast(t->lesson, NULL, m);
    json_decref(m);
    floor_send_hands(t->lesson, NULL);
}

void floor_handle_hand_raise(struct participant *p, json_t *msg, json_t *req)
{
    (void)msg;
    if (!rights_allow(p, RIGHT_RAISE_HAND)) {
        rights_refuse(p, RIGHT_RAISE_HAND, "hand_raise", req);
        return;
    }
    control_send_ok(p, "hand_raise", req);
    if (p->hand_raised)
        return;
    p->hand_raised = true;
    p->hand_since_ms = p->sig->now_ms;
    attendance_hand_raised(p->lesson, p);
    tell_hand(p, NULL);
}

/* Looks up a present or away member by the "participant" field; NULL after
 * an error reply. */
static struct participant *target(struct participant *p, json_t *msg, const char *ref,
                                  json_t *req)
{
    const char *id = message_string(msg, "participant");
    if (!id) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, ref, req,
                               "\"participant\" must be a participant id such as \"p7\"");
        return NULL;
    }
    struct participant *lists[2] = {p->lesson->members, p->lesson->away};
    for (int i = 0; i < 2; i++)
        for (struct participant *m = lists[i]; m; m = m->next_in_lesson)
            if (strcmp(m->id, id) == 0)
                return m;
    participant_send_error(p, MESSAGE_ERR_NOT_FOUND, ref, req, "%.15s is not in this lesson",
                           id);
    return NULL;
}

/* Own hand without "participant"; someone else's needs give_floor. */
void floor_handle_hand_lower(struct participant *p, json_t *msg, json_t *req)
{
    struct participant *t = p;
    if (json_object_get(msg, "participant")) {
        if (!(t = target(p, msg, "hand_lower", req)))
            return;
    }
    enum right r = t == p ? RIGHT_RAISE_HAND : RIGHT_GIVE_FLOOR;
    if (!rights_allow(p, r)) {
        rights_refuse(p, r, "hand_lower", req);
        return;
    }
    control_send_ok(p, "hand_lower", req);
    if (!t->hand_raised)
        return;
    t->hand_raised = false;
    tell_hand(t, t == p ? NULL : p->id);
}

/* ---- floor ------------------------------------------------------------------ */

static void set_floor(struct participant *p, json_t *msg, json_t *req, const char *ref,
                      bool give)
{
    if (!rights_allow(p, RIGHT_GIVE_FLOOR)) {
        rights_refuse(p, RIGHT_GIVE_FLOOR, ref, req);
        return;
    }
    struct participant *t = target(p, msg, ref, req);
    if (!t)
        return;
    if (strcmp(t->role, "student") != 0) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, ref, req,
                               "only students are given the floor: staff may always speak");
        return;
    }
    control_send_ok(p, ref, req);
    bool hand = t->hand_raised;
    t->has_floor = give;
    if (give) {
        t->hand_raised = false;
        t->muted_audio = t->muted_video = false;
    }
    signaling_log(p->sig, "participant %s %s the floor %s %s", p->id, give ? "gave" : "took",
                  give ? "to" : "from", t->id);
    floor_apply(t);
    json_t *m = message_new("floor", NULL);
    json_object_set_new(m, "participant", json_string(t->id));
    json_object_set_new(m, "floor", json_boolean(give));
    json_object_set_new(m, "by", json_string(p->id));
    lesson_broadcast(p->lesson, NULL, m);
    json_decref(m);
    send_rights(t);
    if (hand)
        tell_hand(t, p->id);
}

void floor_handle_give(struct participant *p, json_t *msg, json_t *req)
{
    set_floor(p, msg, req, "floor_give", true);
}

void floor_handle_take(struct participant *p, json_t *msg, json_t *req)
{
    set_floor(p, msg, req, "floor_take", false);
}

/* ---- mutes ------------------------------------------------------------------- */

static void mute_one(struct participant *t, bool audio, const char *by)
{
    if (audio)
        t->muted_audio = true;
    else
        t->muted_video = true;
    floor_apply(t);
    json_t *m = message_new("muted", NULL);
    json_object_set_new(m, "kind", json_string(audio ? "audio" : "video"));
    json_object_set_new(m, "by", json_string(by));
    participant_send(t, m);
}

/* "audio" -> 1, "video" -> 0, else -1 after a bad_message reply. */
static int read_kind(struct participant *p, json_t *msg, const char *ref, json_t *req)
{
    const char *k = message_string(msg, "kind");
    if (k && strcmp(k, "audio") == 0)
        return 1;
    if (k && strcmp(k, "video") == 0)
        return 0;
    participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, ref, req,
                           "\"kind\" must be \"audio\" or \"video\"");
    return -1;
}

void floor_handle_mute(struct participant *p, json_t *msg, json_t *req)
{
    if (!rights_allow(p, RIGHT_MUTE_OTHERS)) {
        rights_refuse(p, RIGHT_MUTE_OTHERS, "mute", req);
        return;
    }
    struct participant *t = target(p, msg, "mute", req);
    int audio = t ? read_kind(p, msg, "mute", req) : -1;
    if (audio < 0)
        return;
    mute_one(t, audio == 1, p->id);
    control_send_ok(p, "mute", req);
}

void floor_handle_stop_video(struct participant *p, json_t *msg, json_t *req)
{
    if (!rights_allow(p, RIGHT_MUTE_OTHERS)) {
        rights_refuse(p, RIGHT_MUTE_OTHERS, "stop_video", req);
        return;
    }
    struct participant *t = target(p, msg, "stop_video", req);
    if (!t)
        return;
    mute_one(t, false, p->id);
    control_send_ok(p, "stop_video", req);
}

void floor_handle_mute_all(struct participant *p, json_t *msg, json_t *req)
{
    (void)msg;
    if (!rights_allow(p, RIGHT_MUTE_OTHERS)) {
        rights_refuse(p, RIGHT_MUTE_OTHERS, "mute_all", req);
        return;
    }
    for (struct participant *m = p->lesson->members; m; m = m->next_in_lesson)
        if (m != p)
            mute_one(m, true, p->id);
    for (struct participant *m = p->lesson->away; m; m = m->next_in_lesson)
        m->muted_audio = true;
    control_send_ok(p, "mute_all", req);
}

/* Own mic or camera back on at the server, within the rights. */
void floor_handle_unmute(struct participant *p, json_t *msg, json_t *req)
{
    int audio = read_kind(p, msg, "unmute", req);
    if (audio < 0)
        return;
    if (!floor_may_send(p, audio ? SDP_KIND_AUDIO : SDP_KIND_VIDEO)) {
        rights_refuse(p, RIGHT_PUBLISH, "unmute", req);
        return;
    }
    if (audio)
        p->muted_audio = false;
    else
        p->muted_video = false;
    floor_apply(p);
    control_send_ok(p, "unmute", req);
}
