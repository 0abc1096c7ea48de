/* Bounded mutex-guarded queue with a wake-up per push (see cmd_queue.h). */
#include "io/cmd_queue.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"

int cmd_queue_init(struct cmd_queue *q, size_t item_size, size_t cap, void (*wake)(void *arg),
                   void *wake_arg)
{
    memset(q, 0, sizeof(*q));
    if (item_size == 0 || cap == 0)
        return -SQ_EINVAL;
    q->items = calloc(cap, item_size);
    if (!q->items)
        return -SQ_ENOMEM;
    if (pthread_mutex_init(&q->mu, NULL) != 0) {
        free(q->items);
        q->items = NULL;
        return -SQ_ENOMEM;
    }
    q->item_size = item_size;
    q->cap = cap;
    q->wake = wake;
    q->wake_arg = wake_arg;
    return 0;
}

void cmd_queue_destroy(struct cmd_queue *q)
{
    if (!q->items)
        return;
    pthread_mutex_destroy(&q->mu);
    free(q->items);
    q->items = NULL;
}

int cmd_queue_push(struct cmd_queue *q, const void *item)
{
    pthread_mutex_lock(&q->mu);
    if (q->n == q->cap) {
        pthread_mutex_unlock(&q->mu);
        return -SQ_ELIMIT;
    }
    size_t tail = (q->head + q->n) % q->cap;
    memcpy(q->items + tail * q->item_size, item, q->item_size);
    q->n++;
    pthread_mutex_unlock(&q->mu);
    /* Woken on every push, not only on empty -> non-empty: the popping side
     * may stop before the queue is empty (a bounded drain per loop turn) and
     * must still hear about the rest. A spare wake-up costs one syscall. */
    if (q->wake)
        q->wake(q->wake_arg);
    return 0;
}

int cmd_queue_pop(struct cmd_queue *q, void *out)
{
    pthread_mutex_lock(&q->mu);
    if (q->n == 0) {
        pthread_mutex_unlock(&q->mu);
        return 0;
    }
    memcpy(out, q->items + q->head * q->item_size, q->item_size);
    q->head = (q->head + 1) % q->cap;
    q->n--;
    pthread_mutex_unlock(&q->mu);
    return 1;
}

size_t cmd_queue_len(struct cmd_queue *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->n;
    pthread_mutex_unlock(&q->mu);
    return n;
}
