/* The rights table (docs/protocol.md, "Rights"):
 *   action                         teacher assistant student
 *   publish mic/camera/screen      yes     yes       with the floor, or if the lesson allows
 *   mute one/all, stop video       yes     yes       no
 *   admit, remove                  yes     yes       no
 *   lock, end lesson               yes     no        no
 *   raise/lower own hand           no      no        yes
 *   give/take the floor            yes     yes       no
 *   manage polls, live results     yes     yes       no
 *   chat (public, private to staff) yes    yes       if chat is enabled
 *   delete a message, disable chat yes     yes       no
 *   start/stop recording           yes     yes       no */
#include "rights.h"

#include <string.h>

#include "chat.h"
#include "lesson.h"
#include "participant.h"

static const char *const names[RIGHT_COUNT] = {
    [RIGHT_PUBLISH] = "publish",
    [RIGHT_MUTE_OTHERS] = "mute_others",
    [RIGHT_ADMIT] = "admit",
    [RIGHT_REMOVE] = "remove",
    [RIGHT_LOCK] = "lock",
    [RIGHT_END_LESSON] = "end_lesson",
    [RIGHT_RAISE_HAND] = "raise_hand",
    [RIGHT_GIVE_FLOOR] = "give_floor",
    [RIGHT_MANAGE_POLLS] = "manage_polls",
    [RIGHT_CHAT] = "chat",
    [RIGHT_MODERATE_CHAT] = "moderate_chat",
    [RIGHT_RECORD] = "record",
};

/* Why a student (or an assistant) lacks it, for the error's sentence. */
static const char *const reasons[RIGHT_COUNT] = {
    [RIGHT_PUBLISH] = "students publish only when given the floor",
    [RIGHT_MUTE_OTHERS] = "only the teacher and assistants may mute others",
    [RIGHT_ADMIT] = "only the teacher and assistants may admit people",
    [RIGHT_REMOVE] = "only the teacher and assistants may remove people",
    [RIGHT_LOCK] = "only the teacher may lock the lesson",
    [RIGHT_END_LESSON] = "only the teacher may end the lesson",
    [RIGHT_RAISE_HAND] = "only students raise hands",
    [RIGHT_GIVE_FLOOR] = "only the teacher and assistants give the floor",
    [RIGHT_MANAGE_POLLS] = "only the teacher and assistants manage polls",
    [RIGHT_CHAT] = "the chat is disabled for students",
    [RIGHT_MODERATE_CHAT] = "only the teacher and assistants moderate the chat",
    [RIGHT_RECORD] = "only the teacher and assistants start and stop recording",
};

const char *right_name(enum right r)
{
    return (unsigned)r < RIGHT_COUNT ? names[r] : "unknown";
}

bool rights_is_staff(const struct participant *p)
{
    return strcmp(p->role, "teacher") == 0 || strcmp(p->role, "assistant") == 0;
}

static bool student_allow(const struct participant *p, enum right r)
{
    switch (r) {
    case RIGHT_PUBLISH:
        return p->has_floor || (p->lesson && p->lesson->def.students_publish);
    case RIGHT_RAISE_HAND:
        return true;
    case RIGHT_CHAT:
        return p->lesson && chat_is_enabled(p->lesson);
    default:
        return false;
    }
}

bool rights_allow(const struct participant *p, enum right r)
{
    if (!p || (unsigned)r >= RIGHT_COUNT)
        return false;
    bool teacher = strcmp(p->role, "teacher") == 0;
    if (teacher || strcmp(p->role, "assistant") == 0) {
        switch (r) {
        case RIGHT_RAISE_HAND:
            return false;
        case RIGHT_LOCK:
        case RIGHT_END_LESSON:
            return teacher;
        default:
            return true;
        }
    }
    if (strcmp(p->role, "student") == 0)
        return student_allow(p, r);
    return false;
}

void rights_refuse(struct participant *p, enum right r, const char *ref, json_t *req)
{
    const char *name = right_name(r);
    const char *why = (unsigned)r < RIGHT_COUNT ? reasons[r] : "not allowed";
    char text[256];
    snprintf(text, sizeof(text), "you do not have the \"%s\" right: %s", name, why);
    p->sig->counters.errors[MESSAGE_ERR_FORBIDDEN]++;
    json_t *m = message_error_new(MESSAGE_ERR_FORBIDDEN, text, ref, req);
    json_object_set_new(m, "right", json_string(name));
    participant_send(p, m);
}

json_t *rights_list(const struct participant *p)
{
    json_t *a = json_array();
    for (int r = 0; r < RIGHT_COUNT; r++)
        if (rights_allow(p, (enum right)r))
            json_array_append_new(a, json_string(names[r]));
    return a;
}
