/* tail_guard.c - which paths the file input may read, and opening them.
 * The application container writes the folder vigil reads: a symlink
 * planted there must not make vigil ship its own environment
 * (/proc/self/environ) or a token outside the log folder. So:
 *   - only regular files are read; never anything under /proc, /sys or /dev,
 *     nor on a pseudo filesystem mounted elsewhere (procfs, sysfs, ...);
 *   - follow_symlinks: inside (default) reads a file only if its real path
 *     lies in the real folder of one of the input's globs (or below it) and,
 *     when its name is a symlink, in the real folder that name is in (or
 *     below); none also refuses a name that is itself a symlink; all reads
 *     any target;
 *   - the file is opened by its real path with O_NOFOLLOW | O_NONBLOCK, then
 *     fstat must show the regular file checked a moment before (same dev and
 *     inode) and the kernel's name of the open descriptor must still be
 *     allowed, so a swap between check and open is caught.
 * A refusal is logged once per path (escaped by log_kv) and counted. */
#include "sidecar/inputs/tail.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "sidecar/inputs/input.h"
#include "sidecar/limits.h"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC 0x62656570
#endif

/* Kernel filesystems whose "files" are views of live state: never logs. */
static const unsigned long pseudo_fs[] = {
    PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC, SECURITYFS_MAGIC,
    CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, BPF_FS_MAGIC, CONFIGFS_MAGIC, EFIVARFS_MAGIC,
    PSTOREFS_MAGIC, DEVPTS_SUPER_MAGIC,
};

static const char *const system_dirs[] = { "/proc", "/sys", "/dev", NULL };

static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return path[0] == '/';
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static bool system_path(const char *real)
{
    for (size_t i = 0; system_dirs[i]; i++)
        if (under(real, system_dirs[i]))
            return true;
    return false;
}

static bool inside_bases(const struct tail_input *ti, const char *real)
{
    for (size_t i = 0; i < ti->nbases; i++)
        if (ti->bases[i] && under(real, ti->bases[i]))
            return true;
    return false;
}

/* The fixed leading folder of a glob: the folders before its first
 * wildcard ("/var/log/app/x*.log" -> "/var/log/app", "/var/log/pods/ns_*" +
 * "/0.log" -> "/var/log/pods"); "x.log" -> ".". */
static void glob_base(const char *pat, char *out, size_t cap)
{
    size_t magic = strcspn(pat, "*?[{");
    size_t cut = 0;
    for (size_t i = 0; i < magic; i++)
        if (pat[i] == '/')
            cut = i;
    if (pat[magic] == '\0') {         /* no magic: the folder of the file */
        const char *s = strrchr(pat, '/');
        cut = s ? (size_t)(s - pat) : 0;
    }
    if (cut == 0 && pat[0] == '/')
        cut = 1;                      /* "/x.log": the root */
    if (cut == 0 || cut >= cap) {
        snprintf(out, cap, ".");
        return;
    }
    memcpy(out, pat, cut);
    out[cut] = '\0';
}

void tail_guard_free(struct tail_input *ti)
{
    for (size_t i = 0; i < ti->nbases; i++)
        free(ti->bases[i]);
    free(ti->bases);
    ti->bases = NULL;
    ti->nbases = 0;
}

void tail_guard_bases(struct tail_input *ti)
{
    size_t n = ti->opt->paths.n;
    if (ti->nbases != n) {
        tail_guard_free(ti);
        ti->bases = calloc(n ? n : 1, sizeof(*ti->bases));
        if (!ti->bases)
            return;
        ti->nbases = n;
    }
    for (size_t i = 0; i < n; i++) {
        char base[PATH_MAX_BYTES];
        glob_base(ti->opt->paths.v[i], base, sizeof(base));
        free(ti->bases[i]);
        ti->bases[i] = realpath(base, NULL);   /* NULL while the folder does not exist */
    }
}

static int refuse(struct tail_input *ti, const char *path, const char *why)
{
    if (tail_warn_once(ti, path, why, 0))
        ti->in->stats.files_refused++;
    return TAIL_REFUSED;
}

/* May a file whose real path is real be read? NULL if so, else why not. */
static const char *policy(const struct tail_input *ti, const char *real)
{
    if (system_path(real))
        return "refused: under /proc, /sys or /dev";
    if (ti->opt->follow_symlinks != FOLLOW_ALL && !inside_bases(ti, real))
        return "refused: resolves outside the input's folders (follow_symlinks)";
    return NULL;
}

/* With inside or none, the real path must also lie in the real folder the
 * name was found in: /home/alice/.bash_history may not lead to bob's files,
 * though both are under the glob's folder /home. */
static bool inside_own_folder(const char *path, const char *real)
{
    char dir[PATH_MAX_BYTES], rdir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= sizeof(dir))
        return false;
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (n == 0)
        snprintf(dir, sizeof(dir), "/");
    else {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return realpath(dir, rdir) && under(real, rdir);
}

/* Resolves path and checks it; *st is the lstat of the real path. */
static int check(struct tail_input *ti, const char *path, char *real, struct stat *st)
{
    struct stat lst;
    if (lstat(path, &lst) < 0)
        return -1;
    if (S_ISLNK(lst.st_mode) && ti->opt->follow_symlinks == FOLLOW_NONE)
        return refuse(ti, path, "refused: a symlink (follow_symlinks: none)");
    if (!realpath(path, real))
        return -1;
    const char *why = policy(ti, real);
    if (!why && S_ISLNK(lst.st_mode) && ti->opt->follow_symlinks != FOLLOW_ALL &&
        !inside_own_folder(path, real))
        why = "refused: resolves outside its own folder (follow_symlinks)";
    if (why)
        return refuse(ti, path, why);
    if (lstat(real, st) < 0)
        return -1;
    if (!S_ISREG(st->st_mode))
        return refuse(ti, path, S_ISLNK(st->st_mode) ? "refused: changed while checked"
                                                     : "refused: not a regular file");
    return 0;
}

int tail_guard_check(struct tail_input *ti, const char *path, struct stat *st)
{
    char real[PATH_MAX];
    return check(ti, path, real, st);
}

int tail_guard_open(struct tail_input *ti, const char *path, struct stat *st)
{
    char real[PATH_MAX], fdpath[64], now[PATH_MAX];
    struct stat want;
    struct statfs sfs;
    int r = check(ti, path, real, &want);
    if (r != 0)
        return r;
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
    if (fd < 0)
        return errno == ELOOP ? refuse(ti, path, "refused: changed while checked") : -1;
    const char *why = NULL;
    if (fstat(fd, st) < 0) {
        why = "refused: fstat failed";
    } else if (!S_ISREG(st->st_mode)) {
        why = "refused: not a regular file";
    } else if (st->st_dev != want.st_dev || st->st_ino != want.st_ino) {
        why = "refused: changed while checked";
    } else if (fstatfs(fd, &sfs) == 0) {
        for (size_t i = 0; i < sizeof(pseudo_fs) / sizeof(pseudo_fs[0]); i++)
            if ((unsigned long)sfs.f_type == pseudo_fs[i])
                why = "refused: a kernel pseudo filesystem";
    }
    if (!why) {
        /* The kernel's own name for what we opened: a folder of the real
         * path swapped for a symlink after the check shows here. */
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(fdpath, now, sizeof(now) - 1);
        if (n > 0) {
            now[n] = '\0';
            if (now[0] == '/')
                why = policy(ti, now);
        }
    }
    if (why) {
        close(fd);
        return refuse(ti, path, why);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}
