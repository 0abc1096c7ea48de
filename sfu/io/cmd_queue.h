/* A bounded queue of fixed-size items between two threads, with a wake-up
 * after each push: control -> worker commands (the wake writes the worker's
 * eventfd) and worker -> control events (the wake is sfu_config.wake, which
 * calls lws_cancel_service). A mutex guards it: this is the control path,
 * a few items per peer connection, never one per packet. Any number of
 * threads may push; one thread pops. */
#ifndef SABAQ_IO_CMD_QUEUE_H
#define SABAQ_IO_CMD_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct cmd_queue {
    pthread_mutex_t mu;
    uint8_t *items;              /* owned: cap * item_size bytes */
    size_t item_size;
    size_t cap;
    size_t head;                 /* index of the oldest item */
    size_t n;
    void (*wake)(void *arg);     /* called after every successful push, outside the lock */
    void *wake_arg;              /* borrowed */
};

/* 0 or -SQ_ENOMEM / -SQ_EINVAL. `wake` may be NULL. */
int cmd_queue_init(struct cmd_queue *q, size_t item_size, size_t cap, void (*wake)(void *arg),
                   void *wake_arg);
void cmd_queue_destroy(struct cmd_queue *q);

/* Copies `item` in. 0, or -SQ_ELIMIT when the queue is full (nothing woken). */
int cmd_queue_push(struct cmd_queue *q, const void *item);
/* Copies the oldest item out: 1, or 0 when the queue is empty. */
int cmd_queue_pop(struct cmd_queue *q, void *out);
size_t cmd_queue_len(struct cmd_queue *q);

#endif
