/* tail_scan.c - which files to follow, and what happened to them.
 * A scan expands the globs and opens what is new; a check looks at one open
 * file (fstat of its descriptor, stat of its path) and decides: grew (read),
 * shrank or was rewritten (truncated: restart at 0), its path names another
 * file or nothing (rotated or deleted: read to the end, then close). Scans run
 * every refresh_interval and on inotify folder events; checks run on inotify
 * file events and on one poll timer for all files. */
#include "sidecar/hash.h"
#include "sidecar/inputs/tail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sidecar/inputs/input.h"
#include "sidecar/limits.h"
#include "sidecar/log.h"

/* Once per (path, what, error): a later, different failure on the same path
 * (EIO after EACCES) is news and is logged. */
bool tail_warn_once(struct tail_input *ti, const char *path, const char *what, int err)
{
    const char *kv[] = { "input", ti->in->conf ? ti->in->conf->name : "?", "file", path, NULL };
    uint64_t h = hash_fnv1a(path, strlen(path), HASH_FNV_INIT);
    h = hash_fnv1a(what, strlen(what), h);
    h = hash_fnv1a(&err, sizeof(err), h) | 1;   /* 0 = empty slot */
    if (!ti->warned && !(ti->warned = calloc(TAIL_WARNED_MAX, sizeof(*ti->warned))))
        return false;
    size_t i = (size_t)h & (TAIL_WARNED_MAX - 1);
    for (size_t probes = 0; ti->warned[i]; probes++, i = (i + 1) & (TAIL_WARNED_MAX - 1)) {
        if (ti->warned[i] == h)
            return false;
        if (probes == TAIL_WARNED_MAX)
            break;
    }
    if (ti->nwarned < TAIL_WARNED_MAX / 2) {    /* half full at most: probes stay short */
        ti->warned[i] = h;
        ti->nwarned++;
    } else if (!ti->warned_full) {
        ti->warned_full = true;
        log_kv(LOG_WARN, kv, "tail: too many files to warn about each: further ones are counted, not logged");
        return true;
    } else {
        return true;
    }
    if (err)
        log_kv(LOG_WARN, kv, "tail: %s: %s", what, strerror(err));
    else
        log_kv(LOG_WARN, kv, "tail: %s", what);
    return true;
}

bool tail_excluded(const struct file_options *o, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (size_t i = 0; i < o->exclude.n; i++) {
        const char *g = o->exclude.v[i];
        if (fnmatch(g, path, FNM_PATHNAME) == 0 || fnmatch(g, base, 0) == 0)
            return true;
    }
    return false;
}

static struct tail_file *find_by_id(struct tail_input *ti, dev_t dev, ino_t ino)
{
    for (struct tail_file *tf = ti->files; tf; tf = tf->next)
        if (tf->dev == dev && tf->ino == ino)
            return tf;
    return NULL;
}

/* Does tf's path still name tf? If not, it was rotated away or deleted. */
static void check_path(struct tail_input *ti, struct tail_file *tf)
{
    struct stat st;
    if (tf->rotated)
        return;
    if (stat(tf->path, &st) == 0 && st.st_dev == tf->dev && st.st_ino == tf->ino)
        return;
    tf->rotated = true;
    tf->last_growth = vigil_mono_ms();
    ti->in->stats.rotations++;
    tail_path_del(ti, tf);
    ti->scan_pending = true;          /* a new file may be at the path already */
    tail_queue(ti, tf);
}

void tail_check(struct tail_input *ti, struct tail_file *tf)
{
    struct stat st;
    if (tf->fd < 0) {
        /* parked: its path tells whether it grew; a changed path is a
         * rotation, and the read finds the file by identity */
        if (!tf->rotated && stat(tf->path, &st) == 0 && st.st_dev == tf->dev && st.st_ino == tf->ino) {
            if ((uint64_t)st.st_size != tf->off)
                tail_queue(ti, tf);
            return;
        }
        check_path(ti, tf);
        return;
    }
    if (fstat(tf->fd, &st) == 0) {
        uint64_t size = (uint64_t)st.st_size;
        uint64_t h;
        if (size < tf->off) {
            tail_file_truncated(tf);
        } else if (size > tf->off) {
            /* truncated and rewritten past our offset before we looked: the
             * first bytes changed */
            if (tf->fp_len && tail_fingerprint(tf->fd, tf->fp_len, &h) == 0 && h != tf->fp_hash)
                tail_file_truncated(tf);
            else
                tail_queue(ti, tf);
        }
    }
    check_path(ti, tf);
}

/* Opens path unless it is followed already; links it behind the rotated file
 * that had its name, so that one is finished first. */
static void consider(struct tail_input *ti, const char *path, bool initial)
{
    struct stat st;
    if (tail_path_find(ti, path))
        return;
    int r = tail_guard_check(ti, path, &st);
    if (r == -1 && errno != ENOENT)
        tail_warn_once(ti, path, "stat", errno);
    if (r != 0)
        return;
    struct tail_file *tf = find_by_id(ti, st.st_dev, st.st_ino);
    if (tf) {
        if (tf->rotated) {
            /* renamed to a name we follow too: keep following it there */
            char *np = strdup(path);
            if (!np)
                return;
            free(tf->path);
            tf->path = np;
            tf->src.path = span_cstr(np);
            tf->rotated = false;
            tail_path_add(ti, tf);
        }
        return;                       /* else another name (symlink) of a followed file */
    }
    if (ti->nfiles >= INPUT_MAX_FILES) {
        tail_warn_once(ti, path, "too many files followed by this input, skipped", 0);
        return;
    }
    tf = tail_file_open(ti, path, initial);
    if (!tf)
        return;
    for (struct tail_file *old = ti->files; old; old = old->next)
        if (old != tf && old->rotated && !old->successor && strcmp(old->path, path) == 0) {
            old->successor = tf;
            tf->blocked_by = old;
            break;
        }
    tail_queue(ti, tf);
}

static bool has_magic(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == '{')
            return true;
    return false;
}

void tail_scan(struct tail_input *ti, bool initial)
{
    ti->scan_pending = false;
    tail_guard_bases(ti);
    for (struct tail_file *tf = ti->files, *next; tf; tf = next) {
        next = tf->next;
        check_path(ti, tf);
    }
    ti->scan_pending = false;
    char lastdir[PATH_MAX_BYTES] = "";
    for (size_t i = 0; i < ti->opt->paths.n; i++) {
        const char *pat = ti->opt->paths.v[i];
        const char *slash = strrchr(pat, '/');
        if (slash && slash > pat && !has_magic(pat, (size_t)(slash - pat)) &&
            (size_t)(slash - pat) < sizeof(lastdir)) {
            char dir[PATH_MAX_BYTES];
            memcpy(dir, pat, (size_t)(slash - pat));
            dir[slash - pat] = '\0';
            tail_watch_dir(ti, dir);
        }
        glob_t g;
        int r = glob(pat, GLOB_BRACE, NULL, &g);
        if (r == GLOB_NOMATCH)
            continue;
        if (r != 0) {
            tail_warn_once(ti, pat, "glob failed", 0);
            globfree(&g);
            continue;
        }
        for (size_t k = 0; k < g.gl_pathc; k++) {
            const char *path = g.gl_pathv[k];
            if (strlen(path) >= PATH_MAX_BYTES || tail_excluded(ti->opt, path))
                continue;
            const char *s = strrchr(path, '/');
            if (s && s > path && (size_t)(s - path) < sizeof(lastdir) &&
                (strncmp(lastdir, path, (size_t)(s - path)) != 0 || lastdir[s - path] != '\0')) {
                memcpy(lastdir, path, (size_t)(s - path));
                lastdir[s - path] = '\0';
                tail_watch_dir(ti, lastdir);
            }
            consider(ti, path, initial);
        }
        globfree(&g);
    }
    if (initial)
        tail_recover(ti);
}

int tail_find_in_folder(const char *path, dev_t dev, ino_t ino, char *out, size_t cap)
{
    char dir[PATH_MAX_BYTES];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 1;
    if (n >= sizeof(dir))
        return -1;
    if (slash && n == 0)
        n = 1;                        /* "/x.log" */
    memcpy(dir, slash ? path : ".", n);
    dir[n] = '\0';
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int found = -1;
    struct dirent *de;
    struct stat st;
    /* d_ino first (one readdir, no stat per entry), confirmed by fstatat */
    while (found < 0 && (de = readdir(d))) {
        if (de->d_ino != ino || de->d_name[0] == '\0')
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            st.st_dev == dev && st.st_ino == ino &&
            (size_t)snprintf(out, cap, "%s/%s", strcmp(dir, "/") ? dir : "", de->d_name) < cap)
            found = 0;
    }
    closedir(d);
    return found;
}

void tail_recover(struct tail_input *ti)
{
    struct { uint64_t dev, ino, offset; char *path; } want[TAIL_RECOVER_MAX];
    size_t n = 0;
    /* copied first: opening files changes the table */
    for (size_t i = 0; i < ti->known.n && n < TAIL_RECOVER_MAX; i++) {
        const struct ckpt_entry *e = ti->known.v[i];
        if (e->owner || !e->path)
            continue;
        if (!(want[n].path = strdup(e->path)))
            break;
        want[n].dev = e->dev;
        want[n].ino = e->ino;
        want[n].offset = e->offset;
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        char found[PATH_MAX_BYTES];
        struct stat st;
        struct tail_file *tf;
        if (find_by_id(ti, (dev_t)want[i].dev, (ino_t)want[i].ino) ||
            tail_find_in_folder(want[i].path, (dev_t)want[i].dev, (ino_t)want[i].ino, found, sizeof(found)) != 0 ||
            strcmp(found, want[i].path) == 0 ||   /* not renamed: dropped from the config on purpose */
            stat(found, &st) < 0 || (uint64_t)st.st_size <= want[i].offset ||
            ti->nfiles >= INPUT_MAX_FILES ||
            !(tf = tail_file_open_as(ti, found, want[i].path, true))) {
            free(want[i].path);
            continue;
        }
        free(want[i].path);
        if (!tf->ent || tf->off != want[i].offset) {
            /* not the file of the row after all (rewritten): not ours to finish */
            if (tf->ent) {
                tf->ent->owner = NULL;
                ckpt_remove(&ti->known, tf->ent);
                tf->ent = NULL;
            }
            tail_file_close(tf);
            continue;
        }
        /* a rotated file: read to its end, then closed; the file now at its
         * old name waits for it */
        tf->rotated = true;
        tf->last_growth = vigil_mono_ms();
        ti->in->stats.rotations++;
        tail_path_del(ti, tf);
        struct tail_file *cur = tail_path_find(ti, tf->path);
        if (cur && !cur->blocked_by && cur->off == 0 && !cur->eof) {
            cur->blocked_by = tf;
            tf->successor = cur;
        }
        tail_queue(ti, tf);
    }
}
