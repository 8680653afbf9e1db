/* checkpoint.c - the file input's state file, one text line per file:
 *
 *   vigil-checkpoint 2
 *   DEV INODE FP_LEN FP_HASH OFFSET SEEN TAIL_LEN TAIL_HASH PATH
 *   end COUNT HASH
 *
 * PATH is escaped (%XX for bytes <= 0x20, '%' and DEL) so a line is always
 * nine fields. Version 1 files (no TAIL_LEN TAIL_HASH) are still read. The trailer's HASH (FNV-1a 64 of every byte before "end")
 * catches truncated, zeroed and garbage files: anything that does not parse
 * completely is set aside, because a wrong offset loses lines silently. */
#include "sidecar/inputs/checkpoint.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sidecar/buf.h"
#include "sidecar/fsutil.h"
#include "sidecar/hash.h"
#include "sidecar/limits.h"
#include "sidecar/log.h"

#define CKPT_MAGIC     "vigil-checkpoint"
/* the largest file a full table can produce: every path %-escaped (3 bytes
 * a byte) plus its numbers; anything bigger is not ours */
#define CKPT_FILE_MAX  ((size_t)INPUT_MAX_FILES * (PATH_MAX_BYTES * 3 + 160) + 256)

static uint64_t fnv64(const char *p, size_t n)
{
    return hash_fnv1a(p, n, HASH_FNV_INIT);
}

void ckpt_table_init(struct ckpt_table *t, size_t max)
{
    memset(t, 0, sizeof(*t));
    t->max = max ? max : INPUT_MAX_FILES;
}

static void entry_free(struct ckpt_entry *e)
{
    if (e) {
        free(e->path);
        free(e);
    }
}

void ckpt_table_free(struct ckpt_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        entry_free(t->v[i]);
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

struct ckpt_entry *ckpt_find(const struct ckpt_table *t, uint64_t dev, uint64_t ino)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i]->dev == dev && t->v[i]->ino == ino)
            return t->v[i];
    return NULL;
}

bool ckpt_path_known(const struct ckpt_table *t, const char *path)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i]->path, path) == 0)
            return true;
    return false;
}

void ckpt_remove(struct ckpt_table *t, struct ckpt_entry *e)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i] == e) {
            t->v[i] = t->v[--t->n];
            entry_free(e);
            return;
        }
}

int ckpt_set_path(struct ckpt_entry *e, const char *path)
{
    if (e->path && strcmp(e->path, path) == 0)
        return 0;
    char *p = strdup(path);
    if (!p)
        return -1;
    free(e->path);
    e->path = p;
    return 0;
}

static struct ckpt_entry *table_push(struct ckpt_table *t)
{
    if (t->n == t->max) {
        /* full: drop the row of a closed file seen longest ago */
        size_t victim = t->n;
        for (size_t i = 0; i < t->n; i++)
            if (!t->v[i]->owner && (victim == t->n || t->v[i]->seen < t->v[victim]->seen))
                victim = i;
        if (victim == t->n)
            return NULL;
        ckpt_remove(t, t->v[victim]);
    }
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        struct ckpt_entry **nv = realloc(t->v, nc * sizeof(*nv));
        if (!nv)
            return NULL;
        t->v = nv;
        t->cap = nc;
    }
    struct ckpt_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    t->v[t->n++] = e;
    return e;
}

struct ckpt_entry *ckpt_add(struct ckpt_table *t, uint64_t dev, uint64_t ino, const char *path)
{
    struct ckpt_entry *e = table_push(t);
    if (!e)
        return NULL;
    e->dev = dev;
    e->ino = ino;
    e->seen = (int64_t)time(NULL);
    if (ckpt_set_path(e, path) < 0) {
        ckpt_remove(t, e);
        return NULL;
    }
    return e;
}

/* --- text form --- */

/* Appends and remembers an allocation failure, so formatting checks once. */
static void sb_put(struct buf *b, bool *oom, const char *s, size_t n)
{
    if (!*oom && buf_append_str(b, s, n) < 0)
        *oom = true;
}

char *ckpt_format(const struct ckpt_table *t, size_t *len)
{
    static const char hex[] = "0123456789ABCDEF";
    struct buf b = { 0 };
    bool oom = false;
    char tmp[192];
    snprintf(tmp, sizeof(tmp), "%s %d\n", CKPT_MAGIC, CKPT_VERSION);
    sb_put(&b, &oom, tmp, strlen(tmp));
    for (size_t i = 0; i < t->n; i++) {
        const struct ckpt_entry *e = t->v[i];
        snprintf(tmp, sizeof(tmp), "%" PRIu64 " %" PRIu64 " %" PRIu32 " %016" PRIx64 " %" PRIu64
                 " %" PRId64 " %" PRIu32 " %016" PRIx64 " ", e->dev, e->ino, e->fp_len, e->fp_hash,
                 e->offset, e->seen, e->tail_len, e->tail_hash);
        sb_put(&b, &oom, tmp, strlen(tmp));
        for (const unsigned char *s = (const unsigned char *)e->path; *s; s++) {
            if (*s <= 0x20 || *s == '%' || *s == 0x7f) {
                char esc[3] = { '%', hex[*s >> 4], hex[*s & 15] };
                sb_put(&b, &oom, esc, 3);
            } else {
                sb_put(&b, &oom, (const char *)s, 1);
            }
        }
        sb_put(&b, &oom, "\n", 1);
    }
    if (oom) {
        free(b.p);
        return NULL;
    }
    snprintf(tmp, sizeof(tmp), "end %zu %016" PRIx64 "\n", t->n, fnv64((const char *)b.p, b.len));
    sb_put(&b, &oom, tmp, strlen(tmp));
    if (oom) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return (char *)b.p;
}

/* Parses an unsigned decimal (or hex) field ending at a space or the line end. */
static int field_u64(const char **pp, const char *end, int base, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;
    size_t digits = 0;
    while (p < end && *p != ' ' && *p != '\n') {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            return -1;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)d;
        p++;
        if (++digits > 20)
            return -1;
    }
    if (digits == 0)
        return -1;
    *out = v;
    *pp = p;
    return 0;
}

static int expect_space(const char **pp, const char *end)
{
    if (*pp >= end || **pp != ' ')
        return -1;
    (*pp)++;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int parse_entry(struct ckpt_table *t, const char *p, const char *eol, int version)
{
    uint64_t dev, ino, fplen, fph, off, seen, tlen = 0, th = 0;
    if (field_u64(&p, eol, 10, &dev) || expect_space(&p, eol) ||
        field_u64(&p, eol, 10, &ino) || expect_space(&p, eol) ||
        field_u64(&p, eol, 10, &fplen) || expect_space(&p, eol) ||
        field_u64(&p, eol, 16, &fph) || expect_space(&p, eol) ||
        field_u64(&p, eol, 10, &off) || expect_space(&p, eol) ||
        field_u64(&p, eol, 10, &seen) || expect_space(&p, eol))
        return -1;
    if (version >= 2 && (field_u64(&p, eol, 10, &tlen) || expect_space(&p, eol) ||
                         field_u64(&p, eol, 16, &th) || expect_space(&p, eol)))
        return -1;
    if (fplen > CKPT_FP_BYTES || seen > INT64_MAX || tlen > CKPT_TAIL_BYTES || tlen > off)
        return -1;
    size_t n = (size_t)(eol - p);
    if (n == 0 || n > PATH_MAX_BYTES * 3)
        return -1;
    char path[PATH_MAX_BYTES * 3 + 1];
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c == 0x7f)
            return -1;
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval(p[i + 1]), lo = hexval(p[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (unsigned char)(hi << 4 | lo);
            if (c == 0)
                return -1;
            i += 2;
        }
        path[o++] = (char)c;
    }
    path[o] = '\0';
    if (o >= PATH_MAX_BYTES)
        return -1;
    struct ckpt_entry *e = ckpt_add(t, dev, ino, path);
    if (!e)
        return -1;
    e->fp_len = (uint32_t)fplen;
    e->fp_hash = fph;
    e->offset = off;
    e->seen = (int64_t)seen;
    e->tail_len = (uint32_t)tlen;
    e->tail_hash = th;
    return 0;
}

int ckpt_parse(struct ckpt_table *t, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    const char *eol = memchr(p, '\n', len);
    char head[64];
    int version;
    if (!eol)
        return -1;
    for (version = CKPT_VERSION; version >= 1; version--) {
        int hl = snprintf(head, sizeof(head), "%s %d", CKPT_MAGIC, version);
        if (eol - p == hl && memcmp(p, head, (size_t)hl) == 0)
            break;
    }
    if (version < 1)
        return -1;
    p = eol + 1;
    while (p < end) {
        eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            goto fail;
        if (eol - p >= 4 && memcmp(p, "end ", 4) == 0) {
            uint64_t count, hash;
            uint64_t want = fnv64(text, (size_t)(p - text));
            const char *q = p + 4;
            if (field_u64(&q, eol, 10, &count) || expect_space(&q, eol) ||
                field_u64(&q, eol, 16, &hash) || q != eol || eol + 1 != end)
                goto fail;
            if (count != t->n || hash != want)
                goto fail;
            return 0;
        }
        if (parse_entry(t, p, eol, version) < 0)
            goto fail;
        p = eol + 1;
    }
fail:
    ckpt_table_free(t);
    return -1;
}

int ckpt_load(struct ckpt_table *t, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    int64_t mtime = 0;
    int r = fs_read_state(path, CKPT_FILE_MAX, &text, &len, &mtime);
    if (r == 1)
        return 0;
    if (r == 0 && ckpt_parse(t, text, len) == 0) {
        t->saved_at = mtime;
        free(text);
        return 0;
    }
    free(text);
    fs_set_aside(path, "tail: checkpoint file", r == 0 ? "damaged" : "unreadable or not a regular file");
    return 0;
}

void ckpt_expire(struct ckpt_table *t, int64_t now, int64_t max_age)
{
    for (size_t i = 0; i < t->n;) {
        struct ckpt_entry *e = t->v[i];
        if (!e->owner && now - e->seen > max_age)
            ckpt_remove(t, e);        /* moves the last row to i */
        else
            i++;
    }
}

int ckpt_save(struct ckpt_table *t, const char *path)
{
    char dir[PATH_MAX_BYTES];
    const char *slash = strrchr(path, '/');
    size_t len = 0;
    if (!slash || (size_t)(slash - path) >= sizeof(dir))
        goto fail;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    if (dir[0] == '\0')
        strcpy(dir, "/");
    if (fs_private_dir(dir) < 0)
        goto fail;
    char *text = ckpt_format(t, &len);
    if (!text)
        goto fail;
    uint64_t h = fnv64(text, len);
    if (h == t->saved_hash) {
        free(text);                   /* nothing moved: spare the disk an fsync */
        return 0;
    }
    /* fsynced file and folder: a commit survives a power loss, and a failed
     * fsync is a failed save (retried at the next flush) */
    int rc = fs_write_atomic(path, text, len, true);
    free(text);
    if (rc < 0)
        goto fail;
    t->saved_hash = h;
    return 0;
fail:;
    const char *kv[] = { "file", path, NULL };
    log_limited(&t->save_log, errno, LOG_ERROR, kv, "tail: writing checkpoint failed: %s", strerror(errno));
    return -1;
}
