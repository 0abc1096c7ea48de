/* The recording's timeline (signaling/timeline.c): which messages become
 * events, times relative to the start, and reading the JSON Lines back as
 * one array even when a crash cut the last line. */
#include "test.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "signaling/timeline.h"

static json_t *event_of(const char *text)
{
    json_t *m = json_loads(text, 0, NULL);
    json_t *e = timeline_event_of(m);
    json_decref(m);
    return e;
}

TEST(timeline_keeps_public_chat_and_drops_private_chat)
{
    json_t *e = event_of("{\"type\":\"chat\",\"id\":3,\"from\":\"p2\",\"name\":\"Dana\","
                         "\"role\":\"student\",\"to\":\"all\",\"text\":\"hi\",\"at\":5}");
    ASSERT(e);
    ASSERT_STR_EQ("chat", json_string_value(json_object_get(e, "type")));
    ASSERT_STR_EQ("hi", json_string_value(json_object_get(e, "text")));
    ASSERT(!json_object_get(e, "to") && !json_object_get(e, "at"));
    json_decref(e);
    ASSERT(event_of("{\"type\":\"chat\",\"to\":\"staff\",\"text\":\"secret\"}") == NULL);
    ASSERT(event_of("{\"type\":\"chat\",\"text\":\"no to\"}") == NULL);
}

TEST(timeline_maps_joins_leaves_and_ignores_staff_only_messages)
{
    json_t *e = event_of("{\"type\":\"participant_joined\",\"participant\":{\"id\":\"p4\","
                         "\"name\":\"Erlan\",\"role\":\"student\"}}");
    ASSERT(e);
    ASSERT_STR_EQ("join", json_string_value(json_object_get(e, "type")));
    ASSERT_STR_EQ("p4", json_string_value(json_object_get(e, "id")));
    ASSERT_STR_EQ("Erlan", json_string_value(json_object_get(e, "name")));
    json_decref(e);
    e = event_of("{\"type\":\"participant_left\",\"id\":\"p4\",\"reason\":\"timeout\"}");
    ASSERT(e && strcmp(json_string_value(json_object_get(e, "type")), "leave") == 0);
    json_decref(e);
    ASSERT(event_of("{\"type\":\"participant_joined\",\"participant\":7}") == NULL);
    ASSERT(event_of("{\"type\":\"poll_tally\",\"poll\":1,\"voters\":[]}") == NULL);
    ASSERT(event_of("{\"type\":\"hands\",\"queue\":[]}") == NULL);
    ASSERT(event_of("{\"type\":7}") == NULL);
    ASSERT(event_of("[]") == NULL);
}

TEST(timeline_lines_read_back_as_an_array_without_a_cut_line)
{
    char dir[] = "/tmp/sabaq-timeline-XXXXXX";
    ASSERT(mkdtemp(dir));
    struct timeline *t = timeline_open(dir, 1000);
    ASSERT(t);
    json_t *e = json_pack("{s:s, s:s}", "type", "chat", "text", "line\nbreak");
    ASSERT_EQ(0, timeline_append(t, 1250, e));
    ASSERT_EQ(0, timeline_append(t, 900, e));   /* before the start: t 0, not negative */
    json_decref(e);
    timeline_close(t);
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, TIMELINE_FILE);
    int fd = open(path, O_WRONLY | O_APPEND);
    ASSERT(fd >= 0);
    ASSERT_EQ(14, write(fd, "{\"t\":3,\"type\":", 14));   /* a crash cut this one */
    close(fd);

    char *text = NULL;
    size_t len = 0;
    ASSERT_EQ(0, timeline_read_array(path, &text, &len));
    ASSERT_EQ(strlen(text), len);
    json_t *a = json_loads(text, 0, NULL);
    free(text);
    ASSERT(json_is_array(a));
    ASSERT_EQ(2, json_array_size(a));
    ASSERT_EQ(250, json_integer_value(json_object_get(json_array_get(a, 0), "t")));
    ASSERT_EQ(0, json_integer_value(json_object_get(json_array_get(a, 1), "t")));
    ASSERT_STR_EQ("line\nbreak",
                  json_string_value(json_object_get(json_array_get(a, 0), "text")));
    json_decref(a);

    char missing[160];
    snprintf(missing, sizeof(missing), "%s/nothing.jsonl", dir);
    ASSERT(timeline_read_array(missing, &text, &len) < 0);
    unlink(path);
    rmdir(dir);
}

TEST(timeline_of_an_empty_file_is_an_empty_array)
{
    char dir[] = "/tmp/sabaq-timeline-XXXXXX";
    ASSERT(mkdtemp(dir));
    struct timeline *t = timeline_open(dir, 0);
    ASSERT(t);
    timeline_close(t);
    char path[128], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, TIMELINE_FILE);
    ASSERT_EQ(0, timeline_read_array(path, &text, &len));
    ASSERT_STR_EQ("[]", text);
    free(text);
    unlink(path);
    rmdir(dir);
}
