/* Deleting recordings and the start-up sweep (see recording_delete.h). Runs
 * on the control thread: unlinking a file of a few hundred MB is a metadata
 * operation of milliseconds, and a recording's folder holds a few files. */
#include "recording_delete.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sabaq/error.h"
#include "message.h"
#include "recording_store.h"
#include "store.h"

/* A recording's folder holds files only; a little depth in case that changes. */
#define TREE_DEPTH 4

/* Removes folder `name` under the open folder parent with everything in it,
 * following no symbolic link (a link is removed, never what it points to).
 * 0, or -1 with errno of the first failure. */
static int remove_tree_at(int parent, const char *name, int depth)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    int rc = 0, first_errno = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (unlinkat(fd, e->d_name, 0) == 0)
            continue;
        if ((errno == EISDIR || errno == EPERM) && depth > 0 &&
            remove_tree_at(fd, e->d_name, depth - 1) == 0)
            continue;
        if (!first_errno)
            first_errno = errno;
        rc = -1;
    }
    closedir(d);   /* closes fd */
    if (unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
        if (!first_errno)
            first_errno = errno;
        rc = -1;
    }
    errno = first_errno;
    return rc;
}

/* Whether name is "<id>.deleting" with id as the store writes it; *id gets it. */
static bool deleting_name(const char *name, int64_t *id)
{
    size_t n = strspn(name, "0123456789");
    if (n < 1 || n > 15 || name[0] == '0' || strcmp(name + n, RECORDING_DELETING_SUFFIX) != 0)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (name[i] - '0');
    *id = v;
    return true;
}

/* Removes <lesson_dir>/<id>.deleting. 0, or -1 with errno. */
static int remove_deleting(const char *lesson_dir, int64_t id)
{
    char name[40];
    snprintf(name, sizeof(name), "%lld%s", (long long)id, RECORDING_DELETING_SUFFIX);
    int lfd = open(lesson_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lfd < 0)
        return -1;
    int rc = remove_tree_at(lfd, name, TREE_DEPTH), saved = errno;
    close(lfd);
    errno = saved;
    return rc;
}

int recording_delete(struct store *st, const struct recording_row *r, char *why, size_t cap)
{
    if (cap)
        why[0] = '\0';
    if (strcmp(r->state, "recording") == 0) {
        snprintf(why, cap, "it is still being written");
        return -SQ_ESTATE;
    }
    /* Never rename a folder the row names unless it is the one the store gave it. */
    char own[160];
    snprintf(own, sizeof(own), "recordings/%s/%lld", r->lesson, (long long)r->id);
    if (!message_is_lesson_id(r->lesson) || strcmp(r->path, own) != 0) {
        snprintf(why, cap, "its row names the folder \"%.100s\", not %s", r->path, own);
        return -SQ_EINVAL;
    }
    char lesson_dir[4200], dir[4300], gone[4400];
    snprintf(lesson_dir, sizeof(lesson_dir), "%s/recordings/%s", store_dir(st), r->lesson);
    snprintf(dir, sizeof(dir), "%s/%lld", lesson_dir, (long long)r->id);
    snprintf(gone, sizeof(gone), "%s%s", dir, RECORDING_DELETING_SUFFIX);
    int rc = rename(dir, gone);
    if (rc != 0 && (errno == ENOTEMPTY || errno == EEXIST)) {
        /* An earlier attempt left <id>.deleting behind: finish it, then again. */
        remove_deleting(lesson_dir, r->id);
        rc = rename(dir, gone);
    }
    bool had_folder = rc == 0;
    if (rc != 0 && errno != ENOENT) {   /* ENOENT: removed by hand, the row goes all the same */
        snprintf(why, cap, "cannot rename %s: %s", dir, strerror(errno));
        return -SQ_EIO;
    }
    if (recording_store_delete(st, r->id) < 0) {
        if (had_folder && rename(gone, dir) != 0) {   /* put it back: nothing changed */
            snprintf(why, cap, "the store failed, and %s stays renamed: %s", gone,
                     strerror(errno));
            return -SQ_EIO;
        }
        snprintf(why, cap, "the store failed");
        return -SQ_EIO;
    }
    if (had_folder && remove_deleting(lesson_dir, r->id) != 0) {
        snprintf(why, cap, "cannot remove %s (the next start-up tries again): %s", gone,
                 strerror(errno));
        return 1;
    }
    return 0;
}

/* One "<id>.deleting" folder under lesson's folder (open as lfd). */
static bool sweep_one(struct store *st, int lfd, const char *lesson, const char *name,
                      int64_t id, FILE *log)
{
    struct recording_row row;
    bool had_row = recording_store_get(st, id, &row) == 0 && strcmp(row.lesson, lesson) == 0;
    if (had_row && recording_store_delete(st, id) < 0) {
        if (log)
            fprintf(log, "recordings: cannot delete the row of recording %lld of lesson %s; "
                         "its folder %s stays\n", (long long)id, lesson, name);
        return false;
    }
    if (remove_tree_at(lfd, name, TREE_DEPTH) != 0) {
        if (log)
            fprintf(log, "recordings: cannot remove %s/recordings/%s/%s: %s\n", store_dir(st),
                    lesson, name, strerror(errno));
        return false;
    }
    if (log)
        fprintf(log, "recordings: finished deleting recording %lld of lesson %s (a deletion "
                     "the server was stopped in)%s\n", (long long)id, lesson,
                had_row ? ", its row too" : "");
    return true;
}

static int sweep_lesson(struct store *st, int top, const char *lesson, FILE *log)
{
    int lfd = openat(top, lesson, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (lfd < 0)
        return 0;
    DIR *d = fdopendir(lfd);
    if (!d) {
        close(lfd);
        return 0;
    }
    int n = 0;
    struct dirent *e;
    int64_t id;
    while ((e = readdir(d))) {
        struct stat sb;
        if (!deleting_name(e->d_name, &id) ||
            fstatat(lfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(sb.st_mode))
            continue;
        if (sweep_one(st, lfd, lesson, e->d_name, id, log))
            n++;
    }
    closedir(d);
    return n;
}

int recording_delete_sweep(struct store *st, FILE *log)
{
    char root[4200];
    snprintf(root, sizeof(root), "%s/recordings", store_dir(st));
    int top = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top < 0)
        return errno == ENOENT ? 0 : -SQ_EIO;
    DIR *d = fdopendir(top);
    if (!d) {
        close(top);
        return -SQ_EIO;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (message_is_lesson_id(e->d_name))
            n += sweep_lesson(st, top, e->d_name, log);
    closedir(d);
    return n;
}
