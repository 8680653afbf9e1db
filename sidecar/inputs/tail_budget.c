/* tail_budget.c - more files than descriptors.
 * The file inputs share what sidecar/fdlimit.c leaves for followed files,
 * in equal parts. Past its part an input closes ("parks") the open file that
 * grew least recently among those read to their end; a parked file keeps
 * its offset, carry, inotify watch and checkpoint row, and is checked by
 * stat of its path at every poll. When it grows (or its path changes) it is
 * queued, and the read reopens it by path, checking dev and inode (if the
 * path names another file now, it is looked for by identity in its folder,
 * as a rotated file) and the fingerprint of its first bytes (if they
 * changed, it was truncated: read from 0). Nothing is skipped: a parked file
 * had been read to its end, and its offset is where reading resumes. */
#include "sidecar/inputs/tail.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sidecar/fdlimit.h"
#include "sidecar/inputs/input.h"
#include "sidecar/limits.h"

static size_t live_inputs;           /* file inputs between init and destroy */
static size_t files_budget;          /* fdlimit_files() when the last one started */

void tail_budget_register(int delta)
{
    if (delta > 0) {
        live_inputs++;
        files_budget = fdlimit_files();
    } else if (live_inputs) {
        live_inputs--;
    }
}

size_t tail_budget_share(void)
{
    size_t n = live_inputs ? live_inputs : 1;
    size_t budget = files_budget ? files_budget : fdlimit_files();
    size_t share = budget / n;
    return share ? share : 1;
}

void tail_budget_forget(struct tail_input *ti, struct tail_file *tf)
{
    if (tf->lru_prev)
        tf->lru_prev->lru_next = tf->lru_next;
    else if (ti->lru_head == tf)
        ti->lru_head = tf->lru_next;
    else
        return;                       /* not in the list */
    if (tf->lru_next)
        tf->lru_next->lru_prev = tf->lru_prev;
    else
        ti->lru_tail = tf->lru_prev;
    tf->lru_next = tf->lru_prev = NULL;
}

void tail_budget_touch(struct tail_input *ti, struct tail_file *tf)
{
    if (tf->fd < 0 || ti->lru_tail == tf)
        return;
    tail_budget_forget(ti, tf);
    tf->lru_prev = ti->lru_tail;
    if (ti->lru_tail)
        ti->lru_tail->lru_next = tf;
    else
        ti->lru_head = tf;
    ti->lru_tail = tf;
}

/* Idle: read to its end, nothing queued, not finishing a rotation, not
 * ordered before or after another file. */
static bool parkable(const struct tail_file *tf)
{
    return tf->fd >= 0 && tf->eof && !tf->queued && !tf->rotated && !tf->blocked_by &&
           !tf->successor;
}

bool tail_budget_room(struct tail_input *ti, const struct tail_file *keep)
{
    size_t share = tail_budget_share();
    struct tail_file *tf = ti->lru_head;
    while (ti->nopen >= share && tf) {
        struct tail_file *next = tf->lru_next;
        if (tf != keep && parkable(tf))
            tail_file_park(tf);
        tf = next;
    }
    return ti->nopen < share;
}

void tail_file_park(struct tail_file *tf)
{
    struct tail_input *ti = tf->ti;
    if (tf->fd < 0)
        return;
    tail_file_note(tf);               /* the row's tail hash needs the descriptor */
    tf->park_tail_len = tail_tail_hash(tf->fd, tf->off, &tf->park_tail_hash);
    tail_budget_forget(ti, tf);
    close(tf->fd);
    tf->fd = -1;
    tf->parked = true;
    ti->nopen--;
    ti->in->stats.files_parked++;
}

/* The descriptor of tf's file: by its path, else (renamed) by identity in
 * its folder. */
static int reopen(struct tail_file *tf, struct stat *st)
{
    struct tail_input *ti = tf->ti;
    int fd = tail_guard_open(ti, tf->path, st);
    if (fd >= 0 && st->st_dev == tf->dev && st->st_ino == tf->ino)
        return fd;
    if (fd >= 0)
        close(fd);
    char found[PATH_MAX_BYTES];
    if (tail_find_in_folder(tf->path, tf->dev, tf->ino, found, sizeof(found)) != 0)
        return -1;
    fd = tail_guard_open(ti, found, st);
    if (fd >= 0 && (st->st_dev != tf->dev || st->st_ino != tf->ino)) {
        close(fd);
        return -1;
    }
    if (fd >= 0 && !tf->rotated) {
        /* renamed while parked: finish it like any rotated file */
        tf->rotated = true;
        tf->last_growth = vigil_mono_ms();
        ti->in->stats.rotations++;
        tail_path_del(ti, tf);
        ti->scan_pending = true;
    }
    return fd;
}

int tail_file_unpark(struct tail_file *tf)
{
    struct tail_input *ti = tf->ti;
    struct stat st;
    if (tf->fd >= 0)
        return 0;
    if (!tail_budget_room(ti, tf))
        return 1;
    int fd = reopen(tf, &st);
    if (fd < 0)
        return -1;
    tf->fd = fd;
    tf->parked = false;
    ti->nopen++;
    ti->in->stats.files_reopened++;
    tail_budget_touch(ti, tf);
    uint64_t h;
    /* rewritten while parked (copytruncate): smaller, other first bytes, or
     * other bytes just before our offset (a shared banner) */
    if ((uint64_t)st.st_size < tf->off ||
        (tf->fp_len && (tail_fingerprint(fd, tf->fp_len, &h) < 0 || h != tf->fp_hash)) ||
        (tf->park_tail_len &&
         (tail_tail_hash(fd, tf->off, &h) != tf->park_tail_len || h != tf->park_tail_hash)))
        tail_file_truncated(tf);
    return 0;
}
