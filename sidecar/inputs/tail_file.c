/* tail_file.c - one followed file: where to start, framing its bytes into
 * lines, and finishing it.
 * Bytes are read into the input's shared buffer and lines are handed to the
 * pipeline as slices of it (memchr framing, no copy). Only a line that spans
 * two reads is assembled in the file's carry, which never grows past
 * max_line_bytes: a longer line keeps its first max_line_bytes there and the
 * rest is dropped up to its newline, so its end offset is still exact. */
#include "sidecar/inputs/tail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sidecar/inputs/input.h"
#include "sidecar/limits.h"
#include "sidecar/hash.h"
#include "sidecar/log.h"
#include "sidecar/vigil.h"

int tail_fingerprint(int fd, uint32_t len, uint64_t *hash)
{
    char b[CKPT_FP_BYTES];
    size_t got = 0;
    if (len > sizeof(b))
        return -1;
    while (got < len) {
        ssize_t r = pread(fd, b + got, len - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    *hash = hash_fnv1a(b, len, HASH_FNV_INIT ^ len);
    return 0;
}

uint32_t tail_tail_hash(int fd, uint64_t off, uint64_t *hash)
{
    char b[CKPT_TAIL_BYTES];
    uint32_t len = off < CKPT_TAIL_BYTES ? (uint32_t)off : CKPT_TAIL_BYTES;
    size_t got = 0;
    if (fd < 0 || len == 0)
        return 0;
    while (got < len) {
        ssize_t r = pread(fd, b + got, len - got, (off_t)(off - len + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        got += (size_t)r;
    }
    *hash = hash_fnv1a(b, len, 0x84222325cbf29ce4ull ^ off);
    return len;
}

/* Fingerprints the first min(size, CKPT_FP_BYTES) bytes. */
static void fingerprint_update(struct tail_file *tf, uint64_t size)
{
    uint32_t want = size < CKPT_FP_BYTES ? (uint32_t)size : CKPT_FP_BYTES;
    uint64_t h;
    if (want == tf->fp_len && tf->fp_len)
        return;
    if (tail_fingerprint(tf->fd, want, &h) == 0) {
        tf->fp_len = want;
        tf->fp_hash = h;
    }
}

static void emit(struct tail_file *tf, const char *p, size_t len, uint64_t end, unsigned flags)
{
    struct input *in = tf->ti->in;
    in->stats.lines++;
    if (flags & LINE_TRUNCATED)
        in->stats.truncated++;
    pipeline_line(tf->ti->vg, &tf->src, span_make(p, len), end, flags);
}

/* Appends to the carry, growing it up to max_line_bytes. Returns -1 (and
 * drops the bytes) only when memory ran out. */
static int carry_add(struct tail_file *tf, const char *p, size_t n)
{
    if (tf->carry_len + n > tf->carry_cap) {
        size_t max = (size_t)tf->ti->opt->max_line_bytes;
        size_t nc = tf->carry_cap ? tf->carry_cap : 256;
        while (nc < tf->carry_len + n)
            nc *= 2;
        if (nc > max)
            nc = max;
        char *c = realloc(tf->carry, nc);
        if (!c)
            return -1;
        tf->carry = c;
        tf->carry_cap = nc;
    }
    memcpy(tf->carry + tf->carry_len, p, n);
    tf->carry_len += n;
    return 0;
}

static void carry_clear(struct tail_file *tf)
{
    tf->carry_len = 0;
    tf->partial_since = 0;
    if (tf->carry_cap > 4096) {     /* an idle file keeps at most a small carry */
        free(tf->carry);
        tf->carry = NULL;
        tf->carry_cap = 0;
    }
}

/* Frames buf (n bytes, the file's bytes at tf->off) and advances tf->off. */
static void frame(struct tail_file *tf, const char *buf, size_t n)
{
    const size_t max = (size_t)tf->ti->opt->max_line_bytes;
    const uint64_t base = tf->off;
    const char *p = buf, *end = buf + n;
    tf->off += n;
    tf->nl_before = n && buf[n - 1] == '\n';
    if (tf->carry_len || tf->discard) {
        const char *nl = memchr(p, '\n', n);
        const char *seg_end = nl ? nl : end;
        size_t seg = (size_t)(seg_end - p);
        if (!tf->discard) {
            size_t room = max - tf->carry_len;
            size_t take = seg < room ? seg : room;
            if (carry_add(tf, p, take) < 0 || seg > room)
                tf->discard = true;
        }
        if (!nl) {
            if (tf->carry_len)
                tf->partial_since = vigil_mono_ms();
            return;
        }
        if (tf->carry_len)
            emit(tf, tf->carry, tf->carry_len, base + (uint64_t)(nl - buf) + 1,
                 tf->discard ? LINE_TRUNCATED : 0);
        tf->discard = false;
        carry_clear(tf);
        p = nl + 1;
    }
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        size_t len = (size_t)(nl - p);
        uint64_t eo = base + (uint64_t)(nl - buf) + 1;
        if (len > max)
            emit(tf, p, max, eo, LINE_TRUNCATED);
        else
            emit(tf, p, len, eo, 0);
        p = nl + 1;
    }
    size_t rem = (size_t)(end - p);
    if (rem) {
        if (rem > max) {
            (void)carry_add(tf, p, max);
            tf->discard = true;
        } else if (carry_add(tf, p, rem) < 0) {
            tf->discard = true;
        }
        tf->partial_since = vigil_mono_ms();
    }
}

void tail_file_flush_partial(struct tail_file *tf)
{
    if (!tf->carry_len)
        return;
    emit(tf, tf->carry, tf->carry_len, tf->off, tf->discard ? LINE_TRUNCATED : 0);
    carry_clear(tf);
    pipeline_mark(tf->ti->vg, &tf->src);
}

int tail_file_read(struct tail_file *tf, size_t budget)
{
    struct tail_input *ti = tf->ti;
    size_t done = 0;
    if (tf->blocked_by)
        return 0;
    if (tf->fd < 0) {
        int r = tail_file_unpark(tf);
        if (r != 0)
            return r > 0 ? 1 : -1;    /* no descriptor free yet: later; or gone */
    }
    while (done < budget) {
        if (ti->vg->paused || ti->stopped || ti->vg->stopping)
            return 1;
        /* After a line we read ends at off, the byte before off is that
         * newline: it is read again with the new bytes, and when it is not
         * one, the file was truncated and written past off between two
         * looks (copytruncate): reading on at off would ship half a line. */
        size_t back = tf->nl_before && tf->off ? 1 : 0;
        size_t want = budget - done < ti->buf_cap - back ? budget - done : ti->buf_cap - back;
        ssize_t n = pread(tf->fd, ti->buf, want + back, (off_t)(tf->off - back));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            tail_warn_once(ti, tf->path, "read", errno);
            return -1;
        }
        if (back && n > 0 && ti->buf[0] != '\n') {
            tail_file_truncated(tf);     /* queued again: read from 0 next round */
            return 1;
        }
        n -= n > 0 ? (ssize_t)back : 0;
        if (n == 0) {
            tf->eof = true;
            if (tf->fp_len < CKPT_FP_BYTES)
                fingerprint_update(tf, tf->off);
            return 0;
        }
        tf->eof = false;
        tf->last_growth = vigil_mono_ms();
        tail_budget_touch(ti, tf);
        ti->in->stats.bytes += (uint64_t)n;
        /* one clock read for the lines of this read, not one per line */
        ti->vg->read_ns = vigil_wall_ns();
        frame(tf, ti->buf + back, (size_t)n);
        ti->vg->read_ns = 0;
        pipeline_mark(ti->vg, &tf->src);
        done += (size_t)n;
    }
    return 1;
}

/* Where a newly opened file starts, and its checkpoint row. */
static uint64_t start_offset(struct tail_file *tf, const struct stat *st, bool initial)
{
    uint64_t size = (uint64_t)st->st_size;
    struct tail_input *ti = tf->ti;
    struct ckpt_entry *e = ckpt_find(&ti->known, (uint64_t)tf->dev, (uint64_t)tf->ino);
    uint64_t start;
    if (e && e->owner)
        e = NULL;                       /* cannot happen: the scan matches open files first */
    uint64_t h;
    bool same = e && (e->fp_len == 0 || (tail_fingerprint(tf->fd, e->fp_len, &h) == 0 && h == e->fp_hash));
    /* the first KiB can be a banner every rewrite starts with: the bytes just
     * before the offset must be the ones read too */
    if (same && e->tail_len && e->offset <= size)
        same = tail_tail_hash(tf->fd, e->offset, &h) == e->tail_len && h == e->tail_hash;
    if (same) {
        start = e->offset <= size ? e->offset : 0;
        if (start != e->offset)
            e->tail_len = 0;
    } else if (e) {
        start = 0;                      /* inode reused by another file, or rewritten */
        e->offset = 0;
        e->tail_len = 0;
    } else if (initial && !ckpt_path_known(&ti->known, tf->path) &&
               !(ti->known.saved_at && (int64_t)st->st_mtime >= ti->known.saved_at)) {
        /* never seen, and not written since our last checkpoint (else it may
         * have appeared after that commit, and tail would lose its lines) */
        start = ti->opt->read_from == READ_FROM_HEAD ? 0 : size;
    } else {
        start = 0;                      /* appeared after we started, or while we were down */
    }
    if (!e)
        e = ckpt_add(&ti->known, (uint64_t)tf->dev, (uint64_t)tf->ino, tf->path);
    if (e) {
        e->owner = tf;
        e->offset = start;
        tf->ent = e;
    } else {
        tail_warn_once(ti, tf->path, "no checkpoint row left", 0);
    }
    return start;
}

struct tail_file *tail_file_open_as(struct tail_input *ti, const char *open_path, const char *path,
                                    bool initial)
{
    struct tail_file *tf = NULL;
    struct stat st;
    bool room = tail_budget_room(ti, NULL);
    int fd = tail_guard_open(ti, open_path, &st);
    if (fd < 0) {
        if (fd == -1 && errno != ENOENT)
            tail_warn_once(ti, open_path, "open", errno);
        return NULL;
    }
    tf = calloc(1, sizeof(*tf));
    if (!tf || !(tf->path = strdup(path)))
        goto fail;
    tf->ti = ti;
    tf->fd = fd;
    tf->wd = -1;
    tf->dev = st.st_dev;
    tf->ino = st.st_ino;
    tf->last_growth = vigil_mono_ms();
    fingerprint_update(tf, (uint64_t)st.st_size);
    if (source_init(&tf->src, ti->in, span_cstr(tf->path)) < 0)
        goto fail;
    tf->off = start_offset(tf, &st, initial);
    tf->src.safe_offset = tf->src.committed = tf->off;
    if (tf->ent) {
        tf->ent->fp_len = tf->fp_len;
        tf->ent->fp_hash = tf->fp_hash;
        tf->ent->seen = (int64_t)time(NULL);
        (void)ckpt_set_path(tf->ent, tf->path);
    }
    tf->next = ti->files;
    if (ti->files)
        ti->files->prev = tf;
    ti->files = tf;
    ti->nfiles++;
    ti->nopen++;
    ti->in->stats.files_open++;
    tail_budget_touch(ti, tf);
    tail_path_add(ti, tf);
    if (strcmp(open_path, path) == 0)
        tail_watch_file(ti, tf);      /* (a file found by identity is polled) */
    if (!room)
        tail_file_park(tf);           /* read when its turn comes, by path and identity */
    return tf;
fail:
    if (tf) {
        free(tf->path);
        free(tf);
    }
    close(fd);
    return NULL;
}

struct tail_file *tail_file_open(struct tail_input *ti, const char *path, bool initial)
{
    return tail_file_open_as(ti, path, path, initial);
}

void tail_file_note(struct tail_file *tf)
{
    struct ckpt_entry *e = tf->ent;
    if (!e)
        return;
    uint64_t off = pipeline_safe_offset(tf->ti->vg, &tf->src);
    e->dev = (uint64_t)tf->dev;
    e->ino = (uint64_t)tf->ino;
    e->fp_len = tf->fp_len;
    e->fp_hash = tf->fp_hash;
    if (tf->fd < 0 && off == tf->off && tf->park_tail_len) {
        e->tail_len = tf->park_tail_len;                 /* parked: hashed when closed */
        e->tail_hash = tf->park_tail_hash;
    } else if (off != e->offset || (!e->tail_len && off)) {
        e->tail_len = tail_tail_hash(tf->fd, off, &e->tail_hash);   /* 0 if parked */
    }
    e->offset = off;
    tf->src.committed = off;
    (void)ckpt_set_path(e, tf->path);
}

void tail_file_truncated(struct tail_file *tf)
{
    struct tail_input *ti = tf->ti;
    ti->in->stats.truncations++;
    tail_file_flush_partial(tf);
    tf->discard = false;
    /* The bytes before are gone: the truncated file is a new stream, and
     * offsets of the old one must never be committed for it. */
    pipeline_source_flush(ti->vg, &tf->src);
    pipeline_mark(ti->vg, &tf->src);
    source_fini(ti->vg, &tf->src);
    if (source_init(&tf->src, ti->in, span_cstr(tf->path)) < 0)
        tail_warn_once(ti, tf->path, "parser state after truncation", ENOMEM);
    tf->off = 0;
    tf->src.safe_offset = tf->src.committed = 0;
    tf->fp_len = 0;
    tf->fp_hash = 0;
    struct stat st;
    if (fstat(tf->fd, &st) == 0)
        fingerprint_update(tf, (uint64_t)st.st_size);
    tf->eof = false;
    tail_queue(ti, tf);
}

void tail_file_close(struct tail_file *tf)
{
    struct tail_input *ti = tf->ti;
    struct vigil *vg = ti->vg;
    bool finish = !ti->stopped;
    struct stat st;
    if (finish) {
        tail_file_flush_partial(tf);
        pipeline_source_flush(vg, &tf->src);
        pipeline_mark(vg, &tf->src);
    }
    if (tf->ent) {
        /* a deleted file never comes back: forget it, so a new file that
         * reuses its inode is not mistaken for it */
        bool gone = tf->fd >= 0 ? fstat(tf->fd, &st) == 0 && st.st_nlink == 0
                                : tf->rotated;     /* parked, and not found again */
        if (gone) {
            ckpt_remove(&ti->known, tf->ent);
        } else {
            tail_file_note(tf);
            tf->ent->owner = NULL;
            tf->ent->seen = (int64_t)time(NULL);
        }
        tf->ent = NULL;
    }
    source_fini(vg, &tf->src);
    tail_unwatch_file(ti, tf);
    tail_path_del(ti, tf);
    if (tf->queued) {
        struct tail_file **pp = &ti->qhead, *prev = NULL;
        while (*pp && *pp != tf) {
            prev = *pp;
            pp = &(*pp)->qnext;
        }
        if (*pp) {
            *pp = tf->qnext;
            if (ti->qtail == tf)
                ti->qtail = prev;
        }
    }
    if (tf->successor) {
        tf->successor->blocked_by = NULL;
        if (finish)
            tail_queue(ti, tf->successor);
    }
    if (tf->blocked_by)
        tf->blocked_by->successor = NULL;
    if (tf->prev)
        tf->prev->next = tf->next;
    else
        ti->files = tf->next;
    if (tf->next)
        tf->next->prev = tf->prev;
    ti->nfiles--;
    ti->in->stats.files_open--;
    tail_budget_forget(ti, tf);
    if (tf->fd >= 0) {
        close(tf->fd);
        ti->nopen--;
    }
    free(tf->carry);
    free(tf->path);
    free(tf);
}
