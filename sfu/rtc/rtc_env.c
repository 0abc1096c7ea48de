/* The shared state of one rtc_core (see rtc_env.h): the event sink and the
 * wall clock for sender reports. */
#include "rtc/rtc_env.h"

#include <string.h>

#include "sabaq/rtcp.h"

void rtc_env_emit(struct rtc_env *e, enum sfu_event_type type, uint32_t id, const char *detail)
{
    struct sfu_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.id = id;
    if (detail) {
        size_t n = strlen(detail);
        if (n >= sizeof(ev.detail))
            n = sizeof(ev.detail) - 1;
        memcpy(ev.detail, detail, n);
    }
    if (e->emit)
        e->emit(e->emit_arg, &ev);
}

uint64_t rtc_env_ntp(const struct rtc_env *e, uint64_t now_us)
{
    return rtcp_ntp_from_unix_us((uint64_t)((int64_t)now_us + e->wallclock_offset_us));
}
