/* fsutil.h - the filesystem steps every piece of saved state shares, written
 * once (part of the base layer):
 *   - private folders: created 0700, an existing one of vigil's tightened to
 *     0700, and refused when someone else owns it and others may write in it;
 *   - state files opened without following symlinks and without blocking on
 *     a FIFO, then checked to be regular files owned by vigil's user, so a
 *     file planted in the state folder is refused, never followed;
 *   - files replaced atomically: a fresh temporary file (an old one, or a
 *     symlink or FIFO planted under its name, is unlinked first and the new
 *     one created O_EXCL), fsync, rename over the old one, fsync the folder:
 *     a crash or a power loss leaves the old or the new content, never a mix;
 *   - a damaged state file set aside as PATH.corrupt;
 *   - fsync/fdatasync whose failure is a failed write, with a fault switch for
 *     the tests.
 * Every function logs what failed (with the path) before returning -1. */
#ifndef VIGIL_FSUTIL_H
#define VIGIL_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* mkdir -p with mode for every folder created. 0, or -1 after logging. */
int fs_mkdirs(const char *path, mode_t mode);
/* mkdir -p (0700) of a folder holding state, then: owned by vigil's user ->
 * tightened to 0700 when group or others had access; owned by someone else
 * and writable by group or others -> refused (someone else could plant or
 * swap files in it). 0, or -1 after logging. */
int fs_private_dir(const char *path);

/* Opens an existing state file (flags: O_RDONLY, O_RDWR, O_WRONLY, with
 * O_APPEND and O_CREAT allowed; mode 0600 when created) with O_NOFOLLOW,
 * O_CLOEXEC and, until the checks passed, O_NONBLOCK; then requires a
 * regular file owned by vigil's effective user. Returns the fd, or -1 with
 * errno set (ENOENT when missing: not logged; ELOOP for a symlink, EINVAL
 * for a FIFO, folder or device, EPERM for another owner: logged as refused). */
int fs_open_state(const char *path, int flags);
/* Reads a whole state file of at most max bytes (NUL-terminated, free it).
 * Returns 0, 1 when missing, -1 when unreadable or refused (logged). */
int fs_read_state(const char *path, size_t max, char **out, size_t *len, int64_t *mtime);

/* Atomic replacement, in two steps for writers that stream (fdopen the fd):
 * fs_tmp_create makes a fresh PATH.tmp (0600) and returns its fd (tmp gets
 * its name); fs_tmp_commit syncs it (unless !sync), closes it, renames it
 * over path and syncs the folder. On failure fs_tmp_commit closes the fd and
 * unlinks the temporary file; call fs_tmp_abort to give up before it. */
int fs_tmp_create(const char *path, char *tmp, size_t cap);
int fs_tmp_commit(int fd, const char *tmp, const char *path, bool sync);
void fs_tmp_abort(int fd, const char *tmp);
/* Both steps for data in memory. sync false keeps only the atomicity (the
 * content may be older after a power loss). 0, or -1 after logging. */
int fs_write_atomic(const char *path, const void *data, size_t len, bool sync);
/* fsync of the folder holding path (after a rename or create). 0, or -1
 * after logging. */
int fs_sync_dir(const char *path);
/* Moves a bad state file aside as PATH.corrupt (replacing an older one);
 * `what` names the kind of file in the warning. */
void fs_set_aside(const char *path, const char *what, const char *why);

/* fsync (data true: fdatasync). A failure means written data may not be on
 * disk: the caller treats the write as failed. */
int fs_sync(int fd, bool data_only);
/* Tests only: the next fs_fault_syncs calls of fs_sync fail with EIO. */
extern unsigned fs_fault_syncs;

#endif
