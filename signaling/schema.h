/* Every module's tables in one call, at start-up (server and CLI) and in
 * tests: staff, lessons, roster, links, chat, polls, attendance. */
#ifndef SIGNALING_SCHEMA_H
#define SIGNALING_SCHEMA_H

struct store;

/* 0, or -SQ_EIO (store_schema has logged which). */
int schema_init(struct store *st);

#endif
