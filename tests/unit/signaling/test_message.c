/* Message helpers: the field checks join relies on and the error replies. */
#include "test.h"

#include <stdlib.h>

#include "signaling/message.h"

TEST(lesson_ids_are_short_and_plain)
{
    ASSERT(message_is_lesson_id("math-7b"));
    ASSERT(message_is_lesson_id("A_z-09"));
    ASSERT(!message_is_lesson_id(""));
    ASSERT(!message_is_lesson_id("a b"));
    ASSERT(!message_is_lesson_id("a/b"));
    ASSERT(!message_is_lesson_id("\xd0\xb0"));
    char id[66];
    memset(id, 'x', 64);
    id[64] = '\0';
    ASSERT(message_is_lesson_id(id));
    id[64] = 'x';
    id[65] = '\0';
    ASSERT(!message_is_lesson_id(id));
}

TEST(utf8_length_counts_code_points_and_refuses_controls)
{
    size_t n = 0;
    ASSERT(message_utf8_length("Aigerim", &n));
    ASSERT_EQ(7, n);
    ASSERT(message_utf8_length("\xd0\x90\xd0\xb9\xd0\xb3\xd0\xb5\xd1\x80\xd0\xb8\xd0\xbc", &n));
    ASSERT_EQ(7, n);   /* "Айгерим" */
    ASSERT(message_utf8_length("\xf0\x9f\x98\x80", &n));
    ASSERT_EQ(1, n);
    ASSERT(!message_utf8_length("a\tb", &n));
    ASSERT(!message_utf8_length("a\x7f", &n));
}

TEST(error_message_has_code_text_ref_and_req)
{
    json_t *req = json_string("r1");
    json_t *m = message_error_new(MESSAGE_ERR_BAD_SDP, "no m= line", "publish", req);
    char *s = json_dumps(m, JSON_COMPACT);
    ASSERT_STR_EQ("{\"type\":\"error\",\"req\":\"r1\",\"code\":\"bad_sdp\","
                  "\"message\":\"no m= line\",\"ref\":\"publish\"}", s);
    free(s);
    json_decref(m);
    json_decref(req);
    ASSERT_STR_EQ("too_large", message_error_code(MESSAGE_ERR_TOO_LARGE));
    ASSERT_STR_EQ("already_joined", message_error_code(MESSAGE_ERR_ALREADY_JOINED));
}
