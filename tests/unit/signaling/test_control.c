/* Lesson control (control.c): the lobby, lock, remove / re-admit, end. */
#include "test.h"

#include <stdlib.h>

#include "lesson_helpers.h"
#include "signaling/access.h"
#include "signaling/roster.h"

static void sendf(struct fixture *f, struct fake_conn *c, const char *type, const char *who)
{
    char frame[160];
    snprintf(frame, sizeof(frame), "{\"type\":\"%s\",\"participant\":\"%s\",\"req\":1}", type,
             who);
    harness_send(&f->h, c, frame);
}

/* The `queue` of the last `lobby` message pending on c (consumed), size or -1. */
static long lobby_size(struct fake_conn *c)
{
    json_t *m = NULL, *last = NULL;
    while ((m = harness_next_of(c, "lobby"))) {
        json_decref(last);
        last = m;
    }
    long n = last ? (long)json_array_size(json_object_get(last, "queue")) : -1;
    json_decref(last);
    return n;
}

TEST(lobby_students_wait_until_admitted_and_staff_see_the_queue)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, true, 500, false, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    struct fake_conn *a = lh_joined(&f, "assistant", "A");   /* staff skip the lobby */
    ASSERT(t && a);
    fixture_drain(t);
    char *tok = lh_token(&f, "student", 0, NULL);
    struct fake_conn *s = lh_join(&f, tok, "Dana", NULL);
    json_t *w = harness_next_of(s, "lobby_wait");
    ASSERT(w);
    char id[16];
    snprintf(id, sizeof(id), "%s", js(w, "participant"));
    json_decref(w);
    ASSERT_EQ(1, lobby_size(t));
    ASSERT(!lh_has(t, "participant_joined"));   /* not in the lesson yet */
    harness_send(&f.h, s, "{\"type\":\"publish\",\"sdp\":\"v=0\"}");
    ASSERT_STR_EQ("not_joined", lh_error(s));
    harness_send(&f.h, s, "{\"type\":\"join\",\"token\":\"x\"}");
    ASSERT_STR_EQ("already_joined", lh_error(s));
    sendf(&f, a, "lobby_admit", "p99");
    ASSERT_STR_EQ("not_found", lh_error(a));
    sendf(&f, a, "lobby_admit", id);
    ASSERT_STR_EQ("lobby_admit", lh_field(a, "ok", "ref"));
    json_t *j = harness_next_of(s, "joined");
    ASSERT(j);
    ASSERT_STR_EQ(id, js(j, "participant"));
    json_decref(j);
    json_t *pj = harness_next_of(t, "participant_joined");
    ASSERT(pj);
    ASSERT_STR_EQ("Dana", js(json_object_get(pj, "participant"), "name"));
    json_decref(pj);
    ASSERT_EQ(0, lobby_size(t));
    harness_send(&f.h, s, "{\"type\":\"lobby_admit_all\"}");
    ASSERT_STR_EQ("admit", lh_field(s, "error", "right"));
    free(tok);
    fixture_free(&f);
}

TEST(lobby_admit_all_admits_in_order_while_seats_last)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, true, 3, false, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    char *tok = lh_token(&f, "student", 0, NULL);
    struct fake_conn *s1 = lh_join(&f, tok, "S1", NULL);
    struct fake_conn *s2 = lh_join(&f, tok, "S2", NULL);
    struct fake_conn *s3 = lh_join(&f, tok, "S3", NULL);
    fixture_drain(t);
    harness_send(&f.h, t, "{\"type\":\"lobby_admit_all\"}");
    ASSERT(lh_has(s1, "joined") && lh_has(s2, "joined") && !lh_has(s3, "joined"));
    ASSERT_EQ(1, fixture_count(t, "error"));
    ASSERT_EQ(1, lobby_size(t));   /* 3 seats: the teacher and two; S3 still waits */
    ASSERT(strstr(t->msgs[t->n - 1], "lesson_full"));
    free(tok);
    fixture_free(&f);
}

TEST(locked_lesson_refuses_new_students_and_only_the_teacher_locks)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    struct fake_conn *a = lh_joined(&f, "assistant", "A");
    harness_send(&f.h, a, "{\"type\":\"lesson_lock\"}");
    ASSERT_STR_EQ("lock", lh_field(a, "error", "right"));
    harness_send(&f.h, t, "{\"type\":\"lesson_lock\",\"locked\":\"yes\"}");
    ASSERT_STR_EQ("bad_message", lh_error(t));
    harness_send(&f.h, t, "{\"type\":\"lesson_lock\",\"locked\":true}");
    ASSERT_STR_EQ("lesson_lock", lh_field(t, "ok", "ref"));
    json_t *st = harness_next_of(a, "lesson_state");
    ASSERT(st && json_is_true(json_object_get(json_object_get(st, "lesson"), "locked")));
    json_decref(st);
    char *tok = lh_token(&f, "student", 0, NULL);
    struct fake_conn *s = lh_join(&f, tok, "Late", NULL);
    ASSERT_STR_EQ("lesson_locked", lh_error(s));
    ASSERT(lh_joined(&f, "assistant", "A2"));   /* staff still get in */
    harness_send(&f.h, t, "{\"type\":\"lesson_lock\",\"locked\":false}");
    s = lh_join(&f, tok, "Late", NULL);
    ASSERT(lh_has(s, "joined"));
    free(tok);
    fixture_free(&f);
}

TEST(removed_person_cannot_rejoin_with_the_same_link_until_readmitted)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, true));
    struct roster_row row = {.name = "Dana"};
    int64_t entry;
    ASSERT_EQ(0, roster_add(f.st, f.def.id, &row, 1, FIXTURE_T0, &entry));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    struct fake_conn *a = lh_joined(&f, "assistant", "A");
    char *tok = lh_token(&f, "student", entry, NULL);
    struct fake_conn *s = lh_join(&f, tok, NULL, NULL);
    ASSERT(lh_has(s, "joined"));
    char id[16];
    snprintf(id, sizeof(id), "%s", s->p->id);
    sendf(&f, s, "participant_remove", t->p->id);
    ASSERT_STR_EQ("remove", lh_field(s, "error", "right"));
    sendf(&f, a, "participant_remove", t->p->id);
    ASSERT_STR_EQ("bad_message", lh_error(a));   /* a teacher cannot be removed */
    fixture_drain(t);
    sendf(&f, a, "participant_remove", id);
    ASSERT_STR_EQ("participant_remove", lh_field(a, "ok", "ref"));
    ASSERT_STR_EQ("removed", lh_error(s));
    ASSERT(s->closed);
    json_t *left = harness_next_of(t, "participant_left");
    ASSERT(left);
    ASSERT_STR_EQ("removed", js(left, "reason"));
    ASSERT_STR_EQ(id, js(left, "id"));
    json_decref(left);
    struct fake_conn *again = lh_join(&f, tok, NULL, NULL);
    ASSERT_STR_EQ("removed", lh_error(again));
    /* After a restart too: the removal of a personal link is stored. */
    bool used, removed;
    ASSERT_EQ(0, access_link_state(f.st, f.def.id, "r1", &used, &removed));
    ASSERT(removed);
    sendf(&f, a, "participant_readmit", id);
    ASSERT_STR_EQ("participant_readmit", lh_field(a, "ok", "ref"));
    struct fake_conn *back = lh_join(&f, tok, NULL, NULL);
    ASSERT(lh_has(back, "joined"));
    free(tok);
    fixture_free(&f);
}

TEST(removed_holder_of_a_shared_link_is_known_by_resume)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    char *tok = lh_token(&f, "student", 0, NULL);
    struct fake_conn *s = lh_join(&f, tok, "Mallory", NULL);
    json_t *j = harness_next_of(s, "joined");
    char resume[32], id[16];
    snprintf(resume, sizeof(resume), "%s", js(j, "resume"));
    snprintf(id, sizeof(id), "%s", js(j, "participant"));
    json_decref(j);
    sendf(&f, t, "participant_remove", id);
    struct fake_conn *again = lh_join(&f, tok, "Mallory", resume);
    ASSERT_STR_EQ("removed", lh_error(again));
    /* The lobby message lists the removed, so staff can let them back. */
    json_t *lobby = NULL, *m;
    while ((m = harness_next_of(t, "lobby"))) {
        json_decref(lobby);
        lobby = m;
    }
    ASSERT(lobby);
    ASSERT_STR_EQ(id, js(json_array_get(json_object_get(lobby, "removed"), 0), "participant"));
    json_decref(lobby);
    sendf(&f, t, "lobby_admit", id);   /* lobby_admit of a removed id re-admits */
    ASSERT_STR_EQ("lobby_admit", lh_field(t, "ok", "ref"));
    struct fake_conn *back = lh_join(&f, tok, "Mallory", resume);
    ASSERT(lh_has(back, "joined"));
    free(tok);
    fixture_free(&f);
}

TEST(lesson_end_sends_everyone_away_and_later_joins_get_lesson_ended)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, true, 500, false, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    struct fake_conn *a = lh_joined(&f, "assistant", "A");
    struct fake_conn *s = lh_joined(&f, "student", "S");   /* waits in the lobby */
    ASSERT(t && a && !s);
    harness_send(&f.h, a, "{\"type\":\"lesson_end\"}");
    ASSERT_STR_EQ("end_lesson", lh_field(a, "error", "right"));
    harness_send(&f.h, t, "{\"type\":\"lesson_end\",\"req\":5}");
    json_t *e = harness_next_of(t, "lesson_ended");
    ASSERT(e && ji(e, "req") == 5);
    json_decref(e);
    ASSERT(lh_has(a, "lesson_ended") && a->closed && t->closed);
    struct fake_conn *waiting = &f.h.conns[f.h.n_conns - 1];
    ASSERT(lh_has(waiting, "lesson_ended") && waiting->closed);
    struct lesson_def d;
    ASSERT_EQ(0, lesson_store_get(f.st, f.def.id, &d));
    ASSERT(d.ended_ms != 0);
    char *tok = lh_token(&f, "teacher", 0, NULL);
    struct fake_conn *late = lh_join(&f, tok, "T", NULL);
    ASSERT_STR_EQ("lesson_ended", lh_error(late));
    free(tok);
    fixture_free(&f);
}
