/* The `layers` message (see layers.h). */
#include "layers.h"

#include "participant.h"

void layers_changed(struct signaling *s, uint32_t producer_id, uint32_t mask)
{
    for (struct participant *p = s->participants; p; p = p->next) {
        for (size_t i = 0; i < p->pub.n_producers; i++) {
            const struct producer_ref *r = &p->pub.producers[i];
            if (r->id != producer_id)
                continue;
            if (p->state != PARTICIPANT_JOINED || r->track.n_rids == 0)
                return;
            json_t *active = json_array();
            for (uint8_t k = 0; k < r->track.n_rids && k < 32; k++)
                if (mask & (1u << k))
                    json_array_append_new(active, json_string(r->track.rids[k].id));
            json_t *m = message_new("layers", NULL);
            json_object_set_new(m, "mid", json_string(r->track.mid));
            json_object_set_new(m, "active", active);
            signaling_log(s, "participant %s video (mid %s): layers wanted 0x%x", p->id,
                          r->track.mid, (unsigned)mask);
            participant_send(p, m);
            return;
        }
    }
}
