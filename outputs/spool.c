/* spool.c - the disk buffer (see spool.h for the layout).
 * Segments are numbered; the oldest one is read from `rd_off` on, the newest
 * one is appended to. A consumed segment is deleted (or, when it is also the
 * one being written, truncated to zero), so the folder holds only what is
 * still owed to the output. Counting and sizes are rebuilt at open from the
 * record headers; only the newest segment is checked record by record (a
 * crash can only have damaged its tail), older ones are checked when read. */
#include "outputs/spool.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "sidecar/fsutil.h"
#include "sidecar/limits.h"
#include "sidecar/log.h"
#include "sidecar/clock.h"

static const unsigned char spool_magic[4] = { 'V', 'G', 'B', '1' };

struct seg {
    uint64_t no;
    uint64_t size;
};

struct spool {
    char *dir;
    char *name;
    uint64_t max_bytes;
    struct seg *segs;     /* oldest first; the last one is written */
    size_t nsegs, segcap;
    uint64_t rd_off;      /* in segs[0] */
    uint64_t bytes, count;
    int wfd;              /* the last segment, O_APPEND */
    bool sync;            /* fdatasync each append before it counts (buffer.fsync: batch) */
    uint64_t write_errors; /* failed appends (write or fdatasync) */
    struct log_limit write_log;  /* a full disk fails every append: one line per 10 s */
};

struct rec_header {
    uint32_t len, crc, n_events;
    uint8_t format, compression;
};

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void seg_path(const struct spool *s, uint64_t no, char *out, size_t cap)
{
    snprintf(out, cap, "%s/seg-%020" PRIu64 ".vgb", s->dir, no);
}

/* crc32 of the header fields after the crc, then of the payload. */
static uint32_t rec_crc(const unsigned char *hdr, const unsigned char *payload, size_t len)
{
    uLong c = crc32(0L, Z_NULL, 0);
    c = crc32(c, hdr + 12, SPOOL_RECORD_HEADER - 12);
    while (len) {
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        c = crc32(c, payload, n);
        payload += n;
        len -= n;
    }
    return (uint32_t)c;
}

static int read_full(int fd, void *buf, size_t n, off_t off)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t r = pread(fd, p, n, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
        off += r;
    }
    return 0;
}

/* Reads the header at off of an open segment of the given size. Returns 0,
 * or -1 when there is no sane header (damage). */
static int header_read(int fd, uint64_t off, uint64_t size, struct rec_header *h,
                       unsigned char raw[SPOOL_RECORD_HEADER])
{
    if (size - off < SPOOL_RECORD_HEADER || read_full(fd, raw, SPOOL_RECORD_HEADER, (off_t)off) < 0)
        return -1;
    if (memcmp(raw, spool_magic, 4) != 0)
        return -1;
    h->len = get32(raw + 4);
    h->crc = get32(raw + 8);
    h->n_events = get32(raw + 12);
    h->format = raw[16];
    h->compression = raw[17];
    if (h->len > BATCH_MAX_BYTES_CAP * 2u || h->len > size - off - SPOOL_RECORD_HEADER)
        return -1;
    return 0;
}

/* Reads and checks the record at off; *payload is malloc'd. -1 on damage. */
static int record_read(int fd, uint64_t off, uint64_t size, struct rec_header *h,
                       unsigned char **payload)
{
    unsigned char raw[SPOOL_RECORD_HEADER];
    *payload = NULL;
    if (header_read(fd, off, size, h, raw) < 0)
        return -1;
    unsigned char *p = malloc(h->len ? h->len : 1);
    if (!p)
        return -1;
    if (read_full(fd, p, h->len, (off_t)(off + SPOOL_RECORD_HEADER)) < 0 ||
        rec_crc(raw, p, h->len) != h->crc) {
        free(p);
        return -1;
    }
    *payload = p;
    return 0;
}

static int seg_push(struct spool *s, uint64_t no, uint64_t size)
{
    if (s->nsegs == s->segcap) {
        size_t cap = s->segcap ? s->segcap * 2 : 16;
        struct seg *n = realloc(s->segs, cap * sizeof(*n));
        if (!n)
            return -1;
        s->segs = n;
        s->segcap = cap;
    }
    s->segs[s->nsegs++] = (struct seg){ no, size };
    return 0;
}

static int seg_cmp(const void *a, const void *b)
{
    const struct seg *x = a, *y = b;
    return x->no < y->no ? -1 : x->no > y->no;
}

static int open_write_seg(struct spool *s)
{
    char path[PATH_MAX_BYTES];
    seg_path(s, s->segs[s->nsegs - 1].no, path, sizeof(path));
    s->wfd = fs_open_state(path, O_WRONLY | O_APPEND | O_CREAT);
    if (s->wfd < 0) {
        log_error("%s: disk buffer: cannot open segment \"%s\"", s->name, path);
        return -1;
    }
    /* a new file is durable once its folder entry is */
    if (s->sync && fs_sync_dir(path) < 0) {
        close(s->wfd);
        s->wfd = -1;
        return -1;
    }
    return 0;
}

/* Starts a new newest segment. */
static int new_write_seg(struct spool *s)
{
    uint64_t no = s->nsegs ? s->segs[s->nsegs - 1].no + 1 : 1;
    if (s->wfd >= 0) {
        close(s->wfd);        /* with sync, every append was synced already */
        s->wfd = -1;
    }
    if (seg_push(s, no, 0) < 0)
        return -1;
    return open_write_seg(s);
}

/* Atomic but not fsynced: a read.pos older than the last pop after a power
 * loss only means batches sent again, never lost. */
static int pos_save(struct spool *s)
{
    char path[PATH_MAX_BYTES], line[64];
    snprintf(path, sizeof(path), "%s/read.pos", s->dir);
    int n = snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 "\n", s->segs[0].no, s->rd_off);
    if (fs_write_atomic(path, line, (size_t)n, false) < 0) {
        log_error("%s: disk buffer: read position not saved in \"%s\"", s->name, path);
        return -1;
    }
    return 0;
}

/* Recounts the records of every segment from their headers. A bad header in
 * the newest segment cuts it there (a crash mid-write); in an older one it
 * ends that segment's count (the damage is reported when it is read). */
static int scan(struct spool *s)
{
    s->bytes = s->count = 0;
    for (size_t i = 0; i < s->nsegs; i++) {
        char path[PATH_MAX_BYTES];
        seg_path(s, s->segs[i].no, path, sizeof(path));
        int fd = fs_open_state(path, O_RDWR);
        if (fd < 0) {
            log_error("%s: disk buffer: cannot open segment \"%s\"", s->name, path);
            return -1;
        }
        bool last = i + 1 == s->nsegs;
        uint64_t off = i == 0 ? s->rd_off : 0, size = s->segs[i].size;
        while (off < size) {
            struct rec_header h;
            unsigned char raw[SPOOL_RECORD_HEADER], *payload = NULL;
            int bad = last ? record_read(fd, off, size, &h, &payload)
                           : header_read(fd, off, size, &h, raw);
            free(payload);
            if (bad) {
                if (last) {
                    log_warn("%s: disk buffer: \"%s\": damaged or incomplete record at offset %" PRIu64
                             " (%" PRIu64 " bytes dropped), cut off", s->name, path, off, size - off);
                    if (ftruncate(fd, (off_t)off) < 0)
                        log_error("%s: disk buffer: truncate(\"%s\"): %s", s->name, path, strerror(errno));
                    s->segs[i].size = off;
                }
                break;
            }
            off += SPOOL_RECORD_HEADER + h.len;
            s->count++;
        }
        s->bytes += off - (i == 0 ? s->rd_off : 0);
        close(fd);
    }
    return 0;
}

struct spool *spool_open(const char *dir, uint64_t max_bytes, bool sync, const char *name)
{
    struct spool *s = calloc(1, sizeof(*s));
    DIR *d = NULL;
    if (!s)
        goto fail;
    s->wfd = -1;
    s->max_bytes = max_bytes;
    s->sync = sync;
    s->dir = strdup(dir);
    s->name = strdup(name);
    if (!s->dir || !s->name)
        goto fail;
    if (fs_private_dir(dir) < 0) {
        log_error("%s: disk buffer: no usable folder \"%s\"", name, dir);
        goto fail;
    }
    d = opendir(dir);
    if (!d) {
        log_error("%s: disk buffer: opendir(\"%s\"): %s", name, dir, strerror(errno));
        goto fail;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        uint64_t no;
        char tail[8];
        if (sscanf(de->d_name, "seg-%20" SCNu64 ".%7s", &no, tail) != 2 || strcmp(tail, "vgb") != 0)
            continue;
        char path[PATH_MAX_BYTES];
        struct stat st;
        seg_path(s, no, path, sizeof(path));
        if (lstat(path, &st) < 0)
            continue;
        if (!S_ISREG(st.st_mode)) {
            /* a symlink or FIFO planted under a segment's name is never
             * followed: left alone and skipped */
            log_warn("%s: disk buffer: \"%s\" is not a regular file, skipped", name, path);
            continue;
        }
        if (seg_push(s, no, (uint64_t)st.st_size) < 0)
            goto fail;
    }
    closedir(d);
    d = NULL;
    if (s->nsegs)
        qsort(s->segs, s->nsegs, sizeof(*s->segs), seg_cmp);

    /* where the last run stopped reading */
    char path[PATH_MAX_BYTES];
    snprintf(path, sizeof(path), "%s/read.pos", dir);
    char *pos = NULL;
    size_t poslen;
    uint64_t pos_no = 0, pos_off = 0;
    if (fs_read_state(path, 64, &pos, &poslen, NULL) == 0 &&
        sscanf(pos, "%" SCNu64 " %" SCNu64, &pos_no, &pos_off) != 2)
        pos_no = pos_off = 0;
    free(pos);
    while (s->nsegs > 1 && s->segs[0].no < pos_no) {
        /* consumed before the last stop but not yet deleted */
        seg_path(s, s->segs[0].no, path, sizeof(path));
        unlink(path);
        memmove(s->segs, s->segs + 1, --s->nsegs * sizeof(*s->segs));
    }
    if (s->nsegs && s->segs[0].no == pos_no && pos_off <= s->segs[0].size)
        s->rd_off = pos_off;
    if (s->nsegs == 0 ? new_write_seg(s) < 0 : open_write_seg(s) < 0)
        goto fail;
    if (scan(s) < 0)
        goto fail;
    if (s->count)
        log_info("%s: disk buffer: %" PRIu64 " batches (%" PRIu64 " bytes) left by the last run, sent first",
                 name, s->count, s->bytes);
    return s;
fail:
    if (d)
        closedir(d);
    spool_close(s);
    return NULL;
}

void spool_close(struct spool *s)
{
    if (!s)
        return;
    if (s->wfd >= 0) {
        if (fs_sync(s->wfd, true) < 0)
            log_error("%s: disk buffer: fdatasync: %s", s->name, strerror(errno));
        close(s->wfd);
    }
    free(s->segs);
    free(s->dir);
    free(s->name);
    free(s);
}

bool spool_fits(const struct spool *s, size_t len)
{
    return s->bytes + SPOOL_RECORD_HEADER + len <= s->max_bytes;
}

/* A failed append: logged (the same error once per 10 s: a full disk fails
 * every append), the segment cut back so nothing half-written stays. */
static int append_failed(struct spool *s, struct seg *w, const char *op, int err)
{
    char path[PATH_MAX_BYTES];
    seg_path(s, w->no, path, sizeof(path));
    s->write_errors++;
    /* a full disk fails every append: say so once per 10 s, not per batch
     * (the output's backpressure or drop counters tell the rest) */
    log_limited(&s->write_log, err, LOG_ERROR, NULL, "%s: disk buffer: %s(\"%s\"): %s", s->name, op,
                path, strerror(err));
    if (ftruncate(s->wfd, (off_t)w->size) < 0)
        log_error("%s: disk buffer: ftruncate(\"%s\"): %s", s->name, path, strerror(errno));
    return -1;
}

int spool_append(struct spool *s, const struct batch *b)
{
    if (!spool_fits(s, b->len))
        return 1;
    if (b->len > UINT32_MAX)
        return -1;
    struct seg *w = &s->segs[s->nsegs - 1];
    if (w->size >= SPOOL_SEGMENT_BYTES && !(s->nsegs == 1 && s->rd_off >= w->size)) {
        if (new_write_seg(s) < 0)
            return -1;
        w = &s->segs[s->nsegs - 1];
    }
    unsigned char hdr[SPOOL_RECORD_HEADER] = { 0 };
    memcpy(hdr, spool_magic, 4);
    put32(hdr + 4, (uint32_t)b->len);
    put32(hdr + 12, b->n_events);
    hdr[16] = b->format;
    hdr[17] = b->compression;
    put32(hdr + 8, rec_crc(hdr, b->data, b->len));
    struct iovec iov[2] = { { hdr, sizeof(hdr) }, { b->data, b->len } };
    size_t total = sizeof(hdr) + b->len, done = 0;
    while (done < total) {
        ssize_t n = writev(s->wfd, iov, 2);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return append_failed(s, w, "write", n < 0 ? errno : EIO);
        done += (size_t)n;
        /* advance the iovecs past what was written */
        for (int i = 0; i < 2; i++) {
            size_t k = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;
            iov[i].iov_base = (char *)iov[i].iov_base + k;
            iov[i].iov_len -= k;
            n -= (ssize_t)k;
        }
    }
    /* the batch counts as accepted once it is on disk: a failed fdatasync
     * is a failed append (the batch stays in memory and is tried again) */
    if (s->sync && fs_sync(s->wfd, true) < 0)
        return append_failed(s, w, "fdatasync", errno);
    assert(s->bytes + total <= s->max_bytes);
    w->size += total;
    s->bytes += total;
    s->count++;
    return 0;
}

/* Drops the rest of the oldest segment after damage was found in it. */
static void skip_segment(struct spool *s)
{
    char path[PATH_MAX_BYTES];
    seg_path(s, s->segs[0].no, path, sizeof(path));
    if (s->nsegs == 1) {
        if (ftruncate(s->wfd, 0) < 0)
            log_error("%s: disk buffer: ftruncate(\"%s\"): %s", s->name, path, strerror(errno));
        s->segs[0].size = 0;
    } else {
        unlink(path);
        memmove(s->segs, s->segs + 1, --s->nsegs * sizeof(*s->segs));
    }
    s->rd_off = 0;
    pos_save(s);
    scan(s);
}

struct batch *spool_peek(struct spool *s)
{
    while (s->count) {
        struct seg *g = &s->segs[0];
        if (s->rd_off >= g->size) {
            if (s->nsegs == 1)
                return NULL;
            skip_segment(s);
            continue;
        }
        char path[PATH_MAX_BYTES];
        seg_path(s, g->no, path, sizeof(path));
        int fd = fs_open_state(path, O_RDONLY);
        if (fd < 0) {
            log_error("%s: disk buffer: cannot open segment \"%s\"", s->name, path);
            return NULL;
        }
        struct rec_header h;
        unsigned char *payload;
        int bad = record_read(fd, s->rd_off, g->size, &h, &payload);
        close(fd);
        if (bad) {
            log_warn("%s: disk buffer: \"%s\": damaged record at offset %" PRIu64
                     ", the rest of this segment (%" PRIu64 " bytes) is skipped",
                     s->name, path, s->rd_off, g->size - s->rd_off);
            skip_segment(s);
            continue;
        }
        struct batch *b = calloc(1, sizeof(*b));
        if (!b) {
            free(payload);
            return NULL;
        }
        b->data = payload;
        b->len = b->raw_len = h.len;
        b->n_events = h.n_events;
        b->format = h.format;
        b->compression = h.compression;
        return b;
    }
    return NULL;
}

int64_t spool_pop(struct spool *s)
{
    if (!s->count)
        return -1;
    struct seg *g = &s->segs[0];
    char path[PATH_MAX_BYTES];
    seg_path(s, g->no, path, sizeof(path));
    int fd = fs_open_state(path, O_RDONLY);
    struct rec_header h;
    unsigned char raw[SPOOL_RECORD_HEADER];
    int bad = fd < 0 || header_read(fd, s->rd_off, g->size, &h, raw) < 0;
    if (fd >= 0)
        close(fd);
    if (bad) {
        skip_segment(s);
        return 0;
    }
    uint64_t rec = SPOOL_RECORD_HEADER + (uint64_t)h.len;
    assert(s->count > 0 && s->bytes >= rec);
    s->rd_off += rec;
    s->bytes -= rec;
    s->count--;
    if (s->rd_off >= g->size) {
        if (s->nsegs > 1) {
            unlink(path);
            memmove(s->segs, s->segs + 1, --s->nsegs * sizeof(*s->segs));
        } else {
            /* the only segment, fully read: empty it rather than grow forever */
            if (ftruncate(s->wfd, 0) < 0)
                log_error("%s: disk buffer: ftruncate(\"%s\"): %s", s->name, path, strerror(errno));
            g->size = 0;
        }
        s->rd_off = 0;
    }
    pos_save(s);
    return h.n_events;
}

uint64_t spool_bytes(const struct spool *s)
{
    return s->bytes;
}

uint64_t spool_count(const struct spool *s)
{
    return s->count;
}

uint64_t spool_write_errors(const struct spool *s)
{
    return s->write_errors;
}

int spool_sync(struct spool *s)
{
    if (s->wfd >= 0 && fs_sync(s->wfd, true) < 0) {
        log_error("%s: disk buffer: fdatasync: %s", s->name, strerror(errno));
        return -1;
    }
    return 0;
}
