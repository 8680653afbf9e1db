/* fsutil.c - private folders, safe opens and atomic replacement of state
 * files (fsutil.h). */
#include "sidecar/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sidecar/limits.h"
#include "sidecar/log.h"

/* A state write that fails (a full disk, EIO) fails again at every flush:
 * each place says so at most once per LOG_LIMIT_INTERVAL_MS, the next line
 * counting what it held back. */
#define FS_WRITE_ERR(...)                                                          \
    do {                                                                           \
        static struct log_limit fs_ll_;                                            \
        log_limited(&fs_ll_, errno, LOG_ERROR, NULL, __VA_ARGS__);                 \
    } while (0)

unsigned fs_fault_syncs;

int fs_sync(int fd, bool data_only)
{
    if (fs_fault_syncs) {
        fs_fault_syncs--;
        errno = EIO;
        return -1;
    }
    return data_only ? fdatasync(fd) : fsync(fd);
}

int fs_mkdirs(const char *path, mode_t mode)
{
    char buf[PATH_MAX_BYTES];
    if (!path || !*path || strlen(path) >= sizeof(buf)) {
        log_error("folder path is empty or too long");
        return -1;
    }
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, mode) < 0 && errno != EEXIST) {
                log_error("mkdir(\"%s\"): %s", buf, strerror(errno));
                return -1;
            }
            *p = c;
            if (c == 0)
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
        log_error("\"%s\" is not a folder", path);
        return -1;
    }
    return 0;
}

int fs_private_dir(const char *path)
{
    if (fs_mkdirs(path, 0700) < 0)
        return -1;
    struct stat st;
    if (lstat(path, &st) < 0) {
        log_error("stat(\"%s\"): %s", path, strerror(errno));
        return -1;
    }
    if (S_ISLNK(st.st_mode) && stat(path, &st) < 0) {
        log_error("stat(\"%s\"): %s", path, strerror(errno));
        return -1;
    }
    if (st.st_uid != geteuid()) {
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
            const char *kv[] = { "path", path, NULL };
            log_kv(LOG_ERROR, kv, "state folder is writable by group or others and owned by uid %u, "
                   "not vigil's uid %u: refusing to keep state there (chown it to vigil or chmod go-w)",
                   (unsigned)st.st_uid, (unsigned)geteuid());
            errno = EPERM;
            return -1;
        }
        return 0;
    }
    if ((st.st_mode & 077) && chmod(path, 0700) < 0) {
        log_error("chmod(\"%s\", 0700): %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The reason a state file is refused, or NULL when it may be used. */
static const char *state_refusal(const struct stat *st)
{
    if (!S_ISREG(st->st_mode)) {
        errno = EINVAL;
        return "not a regular file";
    }
    if (st->st_uid != geteuid()) {
        errno = EPERM;
        return "owned by another user";
    }
    return NULL;
}

static void refused(const char *path, const char *why)
{
    const char *kv[] = { "file", path, "reason", why, NULL };
    log_kv(LOG_ERROR, kv, "state file refused");
}

int fs_open_state(const char *path, int flags)
{
    int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0600);
    if (fd < 0) {
        int err = errno;
        if (err == ELOOP)
            refused(path, "a symbolic link");
        else if (err == ENXIO || err == EISDIR)
            refused(path, "not a regular file");
        else if (err != ENOENT)
            log_error("open(\"%s\"): %s", path, strerror(err));
        errno = err == ENXIO || err == EISDIR ? EINVAL : err;
        return -1;
    }
    struct stat st;
    const char *why = fstat(fd, &st) < 0 ? strerror(errno) : state_refusal(&st);
    if (why) {
        int err = errno;
        refused(path, why);
        close(fd);
        errno = err;
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

int fs_read_state(const char *path, size_t max, char **out, size_t *len, int64_t *mtime)
{
    int fd = fs_open_state(path, O_RDONLY);
    if (fd < 0)
        return errno == ENOENT ? 1 : -1;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > max)
        goto fail;
    buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        goto fail;
    size_t n = 0;
    while (n < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    if (mtime)
        *mtime = (int64_t)st.st_mtime;
    *out = buf;
    *len = n;
    return 0;
fail:
    free(buf);
    close(fd);
    return -1;
}

int fs_sync_dir(const char *path)
{
    char dir[PATH_MAX_BYTES];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fs_sync(fd, false) < 0) {
        FS_WRITE_ERR("fsync(\"%s\"): %s", dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

int fs_tmp_create(const char *path, char *tmp, size_t cap)
{
    if ((size_t)snprintf(tmp, cap, "%s.tmp", path) >= cap) {
        FS_WRITE_ERR("path too long: %s", path);
        return -1;
    }
    /* whatever is there (a leftover, or a symlink or FIFO someone planted)
     * goes: unlink removes a link, never its target */
    if (unlink(tmp) < 0 && errno != ENOENT) {
        FS_WRITE_ERR("unlink(\"%s\"): %s", tmp, strerror(errno));
        return -1;
    }
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        FS_WRITE_ERR("open(\"%s\"): %s", tmp, strerror(errno));
    return fd;
}

void fs_tmp_abort(int fd, const char *tmp)
{
    if (fd >= 0)
        close(fd);
    unlink(tmp);
}

int fs_tmp_commit(int fd, const char *tmp, const char *path, bool sync)
{
    if (sync && fs_sync(fd, false) < 0) {
        FS_WRITE_ERR("fsync(\"%s\"): %s", tmp, strerror(errno));
        goto fail;
    }
    int rc = close(fd);
    fd = -1;
    if (rc < 0) {
        FS_WRITE_ERR("close(\"%s\"): %s", tmp, strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) < 0) {
        FS_WRITE_ERR("rename(\"%s\"): %s", tmp, strerror(errno));
        goto fail;
    }
    /* the rename is durable only once the folder is */
    return sync ? fs_sync_dir(path) : 0;
fail:
    fs_tmp_abort(fd, tmp);
    return -1;
}

int fs_write_atomic(const char *path, const void *data, size_t len, bool sync)
{
    char tmp[PATH_MAX_BYTES];
    int fd = fs_tmp_create(path, tmp, sizeof(tmp));
    if (fd < 0)
        return -1;
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            FS_WRITE_ERR("write(\"%s\"): %s", tmp, n < 0 ? strerror(errno) : "no progress");
            fs_tmp_abort(fd, tmp);
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    return fs_tmp_commit(fd, tmp, path, sync);
}

void fs_set_aside(const char *path, const char *what, const char *why)
{
    char bad[PATH_MAX_BYTES + 16];
    snprintf(bad, sizeof(bad), "%s.corrupt", path);
    const char *kv[] = { "file", path, "reason", why, "moved_to", bad, NULL };
    if (rename(path, bad) == 0) {
        log_kv(LOG_WARN, kv, "%s set aside, starting fresh", what);
        return;
    }
    int err = errno;
    kv[4] = NULL;
    if (unlink(path) == 0)
        log_kv(LOG_WARN, kv, "%s removed (could not be set aside: %s), starting fresh", what,
               strerror(err));
    else
        log_kv(LOG_WARN, kv, "%s could not be set aside (%s), starting without it", what,
               strerror(err));
}
