/* The one place Sabaq reads the clock. Protocol code never calls this: it is
 * handed `now_us` by the event loop, which reads the clock once per turn. */
#ifndef SABAQ_CLOCK_H
#define SABAQ_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t sq_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Wall clock for RTCP sender reports (NTP format) and logs. */
static inline uint64_t sq_wallclock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#define SQ_NEVER UINT64_MAX

#endif
