/* Connection quality reports (quality.h): validate, keep, relay to staff.
 * Time is the signaling core's clock (sig->now_ms), so tests drive it. */
#include "quality.h"

#include <math.h>
#include <string.h>

#include "lesson.h"
#include "message.h"
#include "participant.h"

static const char *const names[] = {NULL, "good", "fair", "poor"};

const char *quality_level_name(enum quality_level q)
{
    return (unsigned)q < sizeof(names) / sizeof(names[0]) ? names[q] : NULL;
}

enum quality_level quality_level_parse(const char *name)
{
    if (!name)
        return QUALITY_UNKNOWN;
    for (size_t i = 1; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i], name) == 0)
            return (enum quality_level)i;
    return QUALITY_UNKNOWN;
}

int quality_should_relay(enum quality_level last, uint64_t last_ms, enum quality_level level,
                         uint64_t now_ms)
{
    if (level == QUALITY_UNKNOWN)
        return 0;
    if (last == QUALITY_UNKNOWN)
        return 1;
    /* A clock that went back (NTP step) must not silence someone for good. */
    uint64_t since = now_ms >= last_ms ? now_ms - last_ms : QUALITY_REFRESH_MS;
    if (since < QUALITY_MIN_GAP_MS)
        return 0;
    return level != last || since >= QUALITY_REFRESH_MS;
}

/* An optional number field in [0, max]: 1 with *out set, 0 absent, -1 bad. */
static int number_field(const json_t *msg, const char *key, double max, double *out)
{
    json_t *v = json_object_get(msg, key);
    if (!v)
        return 0;
    if (!json_is_number(v))
        return -1;
    double d = json_number_value(v);
    if (!isfinite(d) || d < 0 || d > max)
        return -1;
    *out = d;
    return 1;
}

void quality_handle(struct participant *p, json_t *msg, json_t *req)
{
    enum quality_level level = quality_level_parse(message_string(msg, "level"));
    double rtt = 0, loss = 0;
    int has_rtt = number_field(msg, "rtt_ms", QUALITY_RTT_MAX_MS, &rtt);
    int has_loss = number_field(msg, "loss_pct", 100, &loss);
    if (level == QUALITY_UNKNOWN || has_rtt < 0 || has_loss < 0) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "quality", req,
                               "\"level\" must be \"good\", \"fair\" or \"poor\"; \"rtt_ms\" a "
                               "number 0..%d and \"loss_pct\" 0..100 when given",
                               QUALITY_RTT_MAX_MS);
        return;
    }
    uint64_t now = p->sig->now_ms;
    p->quality = (uint8_t)level;
    if (!p->lesson || !quality_should_relay((enum quality_level)p->quality_relayed,
                                            p->quality_relayed_ms, level, now))
        return;
    p->quality_relayed = (uint8_t)level;
    p->quality_relayed_ms = now;
    json_t *out = message_new("participant_quality", NULL);
    json_object_set_new(out, "participant", json_string(p->id));
    json_object_set_new(out, "level", json_string(quality_level_name(level)));
    if (has_rtt > 0)
        json_object_set_new(out, "rtt_ms", json_integer((json_int_t)llround(rtt)));
    if (has_loss > 0)
        json_object_set_new(out, "loss_pct", json_real(round(loss * 10) / 10));
    lesson_send_staff(p->lesson, out);
    json_decref(out);
}
