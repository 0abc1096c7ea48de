/* bench/load: making the lesson the bots join, through the staff sign-in and
 * POST /api/lessons (see load_lesson.c). */
#ifndef SABAQ_BENCH_LOAD_LESSON_H
#define SABAQ_BENCH_LOAD_LESSON_H

#include <stddef.h>

#include "bot.h"
#include "load_server.h"

/* Fills cfg->lesson, cfg->token_teacher and cfg->token_student. `bin` is the
 * server binary (for `staff add`), `data_dir` the running server's. 0, or -1
 * with a reason in err. */
int load_lesson_create(const struct load_server *srv, const char *bin, const char *data_dir,
                       unsigned max_participants, struct bot_config *cfg, char *err,
                       size_t ecap);

#endif
