/* fsutil.c - private folders and atomic replacement of state files. */
#include "sidecar/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sidecar/limits.h"
#include "sidecar/log.h"

int fs_mkdirs(const char *path, mode_t mode)
{
    char buf[PATH_MAX_BYTES];
    if (!path || !*path || strlen(path) >= sizeof(buf)) {
        log_error("state folder path is empty or too long");
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

int fs_sync_dir(const char *path)
{
    char buf[PATH_MAX_BYTES];
    snprintf(buf, sizeof(buf), "%s", path);
    int fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int fs_write_atomic(const char *path, const void *data, size_t len)
{
    char tmp[PATH_MAX_BYTES];
    int fd = -1;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        log_error("path too long: %s", path);
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_error("open(\"%s\"): %s", tmp, strerror(errno));
        goto fail;
    }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_error("write(\"%s\"): %s", tmp, strerror(errno));
            goto fail;
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) < 0) {
        log_error("fsync(\"%s\"): %s", tmp, strerror(errno));
        goto fail;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) < 0) {
        log_error("rename(\"%s\"): %s", tmp, strerror(errno));
        goto fail;
    }
    fs_sync_dir(path);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return -1;
}

void fs_set_aside(const char *path, const char *why)
{
    char bad[PATH_MAX_BYTES];
    snprintf(bad, sizeof(bad), "%s.corrupt", path);
    if (rename(path, bad) == 0)
        log_warn("%s: %s; moved aside to %s, starting fresh", path, why, bad);
    else
        log_warn("%s: %s; starting fresh", path, why);
}
