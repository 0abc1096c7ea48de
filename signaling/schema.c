/* See schema.h. */
#include "schema.h"

#include "access.h"
#include "attendance.h"
#include "chat.h"
#include "lesson_store.h"
#include "poll.h"
#include "recording_store.h"
#include "roster.h"
#include "staff.h"

int schema_init(struct store *st)
{
    int rc;
    if ((rc = staff_init(st)) < 0 || (rc = lesson_store_init(st)) < 0 ||
        (rc = roster_init(st)) < 0 || (rc = access_init(st)) < 0 ||
        (rc = chat_store_init(st)) < 0 || (rc = poll_store_init(st)) < 0 ||
        (rc = attendance_store_init(st)) < 0 || (rc = recording_store_init(st)) < 0)
        return rc;
    return 0;
}
