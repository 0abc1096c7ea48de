/* Deleting a recording: the one path that staff's DELETE
 * (http_recordings.c) and retention (recording_retention.c) both take.
 * The order keeps a crash from ever showing half a recording:
 *   1. rename <data-dir>/recordings/<lesson>/<id> to <id>.deleting (atomic:
 *      from here on the files are no longer served);
 *   2. delete the row (from here on it is no longer listed);
 *   3. remove the files and the folder.
 * A crash after 1 leaves a folder named <id>.deleting: the start-up sweep
 * deletes its row if it is still there and removes it. Nothing else is ever
 * removed by guessing: only folders of exactly that name, under a lesson's
 * folder of recordings. */
#ifndef SIGNALING_RECORDING_DELETE_H
#define SIGNALING_RECORDING_DELETE_H

#include <stddef.h>
#include <stdio.h>

struct recording_row;
struct store;

#define RECORDING_DELETING_SUFFIX ".deleting"

/* Deletes recording r (as read from the store). 0 when it is gone; 1 when
 * it is gone from the list and the server but some of its files could not
 * be removed (the sweep at the next start-up tries again; why says what);
 * -SQ_ESTATE while it is being written; -SQ_EINVAL when its row names a
 * folder other than its own; -SQ_EIO when nothing could be done (nothing
 * changed; why says what). */
int recording_delete(struct store *st, const struct recording_row *r, char *why, size_t cap);

/* At start-up: finishes deletions a crash interrupted (see above). Lines go
 * to log (may be NULL). How many, or -SQ_EIO when the recordings folder
 * cannot be read. */
int recording_delete_sweep(struct store *st, FILE *log);

#endif
