/* Producer -> consumers fan-out (see router.h). The packet is parsed once by
 * the producer; each consumer writes its own copy into the batch. Of a
 * simulcast producer, each consumer takes only its layer (and switches
 * layers at keyframes: consumer_simulcast.c). */
#include "rtc/router.h"

#include "rtc/consumer.h"
#include "rtc/producer.h"

void router_route_rtp(struct producer *p, const struct rtc_packet *pkt, uint64_t now_us)
{
    struct list *pos, *tmp;
    if (p->n_layers > 1) {
        list_for_each_safe(pos, tmp, &p->consumers)
            consumer_simulcast_send(list_entry(pos, struct consumer, producer_link), pkt, now_us);
        return;
    }
    list_for_each_safe(pos, tmp, &p->consumers)
        consumer_send_rtp(list_entry(pos, struct consumer, producer_link), pkt, now_us);
}
