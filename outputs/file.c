/* file.c - the `file` output: batches appended to files in a folder, one file
 * per output and UTC day (`NAME-YYYYMMDD.lz4`; `.msgpack.gz` with compression
 * gzip, one gzip member per batch, readable by zcat and vigil-cat), and a new numbered file
 * (`NAME-YYYYMMDD-0001.lz4`) whenever rotate_bytes would be passed.
 * Each batch goes out in one write() of the whole frame on an O_APPEND fd, so
 * a reader following the file sees whole frames (or, after a failed write,
 * which is cut back, nothing); vigil-cat resynchronises on anything else. */
#include "outputs/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "outputs/output.h"
#include "sidecar/fsutil.h"
#include "sidecar/limits.h"
#include "sidecar/log.h"
#include "sidecar/clock.h"

static const char *const fsync_names[] = { "always", "batch", "never", "interval", NULL };

#define O(f) offsetof(struct file_output, f)
const struct conf_option file_output_options[] = {
    { "path", CONF_STR, NULL, O(path), 0, 0, "folder the files are written in (created if missing)",
      .flags = CONF_REQUIRED },
    { "rotate_bytes", CONF_SIZE, "0", O(rotate_bytes), 0, 0,
      "start a new numbered file before this size is passed; 0 = one file per day" },
    { "fsync", CONF_ENUM, "batch", O(fsync), 0, 0,
      "always (data, metadata and folder) | batch (data after each batch) | never | interval",
      .enums = fsync_names },
    { "fsync_interval", CONF_DURATION, "1s", O(fsync_interval_ms), 0, 3600000,
      "with fsync: interval, the longest time written data stays unsynced" },
    { 0 }
};
#undef O

static const char *file_ext(const struct output *out)
{
    int z = out->conf->common.compression;
    bool lz4 = z == OUTPUT_COMPRESS_LZ4, gz = z == OUTPUT_COMPRESS_GZIP;
    switch (out->conf->common.format) {
    case OUTPUT_FORMAT_JSON: return lz4 ? ".jsonl.lz4" : gz ? ".jsonl.gz" : ".jsonl";
    case OUTPUT_FORMAT_TEXT: return lz4 ? ".log.lz4" : gz ? ".log.gz" : ".log";
    default: return lz4 ? ".lz4" : gz ? ".msgpack.gz" : ".msgpack";
    }
}

/* The output's name as one harmless file name component. */
static void base_name(const struct output *out, char *dst, size_t cap)
{
    size_t i = 0;
    for (; out->name[i] && i + 1 < cap; i++) {
        char c = out->name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || (c == '.' && i > 0);
        dst[i] = ok ? c : '_';
    }
    dst[i] = 0;
}

static void file_path(const struct output *out, uint32_t day, unsigned seq, char *dst, size_t cap)
{
    const struct file_output *f = out->ctx;
    char base[128];
    base_name(out, base, sizeof(base));
    if (seq)
        snprintf(dst, cap, "%s/%s-%08u-%04u%s", f->path, base, (unsigned)day, seq, file_ext(out));
    else
        snprintf(dst, cap, "%s/%s-%08u%s", f->path, base, (unsigned)day, file_ext(out));
}

/* Highest sequence number already used for day (0 when none). */
static unsigned last_seq(const struct output *out, uint32_t day)
{
    const struct file_output *f = out->ctx;
    char base[128], prefix[160];
    base_name(out, base, sizeof(base));
    int pl = snprintf(prefix, sizeof(prefix), "%s-%08u-", base, (unsigned)day);
    const char *ext = file_ext(out);
    unsigned best = 0;
    DIR *d = opendir(f->path);
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, prefix, (size_t)pl) != 0)
            continue;
        char *end;
        unsigned long n = strtoul(de->d_name + pl, &end, 10);
        if (end != de->d_name + pl + 4 || strcmp(end, ext) != 0)
            continue;
        if (n > best && n < 100000)
            best = (unsigned)n;
    }
    closedir(d);
    return best;
}

static int open_file(struct output *out, uint32_t day, unsigned seq)
{
    struct file_output *f = out->ctx;
    char path[PATH_MAX_BYTES];
    file_path(out, day, seq, path, sizeof(path));
    if (f->fd >= 0) {
        /* with always and batch every batch is synced already */
        if (f->fsync == FILE_FSYNC_INTERVAL && fs_sync(f->fd, true) < 0)
            output_error(out, "fdatasync before rotating: %s", strerror(errno));
        close(f->fd);
        f->fd = -1;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        output_error(out, "open(\"%s\"): %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    f->fd = fd;
    f->day = day;
    f->seq = seq;
    f->size = (uint64_t)st.st_size;
    if (f->fsync == FILE_FSYNC_ALWAYS && fs_sync_dir(path) < 0) {
        output_error(out, "fsync of the folder of \"%s\" failed", path);
        close(f->fd);
        f->fd = -1;
        return -1;
    }
    return 0;
}

static uint32_t today(void)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

/* Makes f->fd the file the next len bytes go to. */
static int pick_file(struct output *out, size_t len)
{
    struct file_output *f = out->ctx;
    uint32_t day = today();
    if (f->fd < 0 || f->day != day) {
        if (open_file(out, day, f->rotate_bytes ? last_seq(out, day) : 0) < 0)
            return -1;
    }
    if (f->rotate_bytes && f->size > 0 && f->size + len > f->rotate_bytes)
        return open_file(out, day, f->seq + 1);
    return 0;
}

static int file_init(struct output *out)
{
    struct file_output *f = out->ctx;
    f->fd = -1;
    if (!f->path || !*f->path) {
        output_log(out, LOG_ERROR, "path: a folder is required");
        return -1;
    }
    if (fs_mkdirs(f->path, 0750) < 0)
        return -1;
    return 0;
}

static void file_flush(struct output *out, struct batch *b)
{
    struct file_output *f = out->ctx;
    const unsigned char *p = b->data;
    size_t left = b->len;
    if (b->compression == OUTPUT_COMPRESS_NONE && out->conf->common.compression == OUTPUT_COMPRESS_GZIP) {
        /* one gzip member per batch: the file is a multi-member gzip stream */
        if (gzip_member(&f->gz, b->data, b->len) < 0) {
            output_error(out, "gzip failed");
            output_done(out, b, OUTPUT_RETRY);
            return;
        }
        p = f->gz.out.p;
        left = f->gz.out.len;
    }
    b->wire_len = left;
    size_t whole = left;
    if (pick_file(out, whole) < 0) {
        output_done(out, b, OUTPUT_RETRY);
        return;
    }
    while (left) {
        ssize_t n = write(f->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            char path[PATH_MAX_BYTES];
            file_path(out, f->day, f->seq, path, sizeof(path));
            output_error(out, "write(\"%s\"): %s", path, n < 0 ? strerror(errno) : "no progress");
            /* never leave half a frame: cut the file back to the last whole one */
            if (ftruncate(f->fd, (off_t)f->size) < 0)
                output_log(out, LOG_ERROR, "ftruncate(\"%s\"): %s", path, strerror(errno));
            output_done(out, b, OUTPUT_RETRY);
            return;
        }
        p += n;
        left -= (size_t)n;
    }
    /* A batch counts as written once the policy's sync succeeded: a failed
     * fsync is a failed write, cut back and retried like one. */
    int64_t now = vigil_mono_ms();
    int rc = 0;
    switch (f->fsync) {
    case FILE_FSYNC_ALWAYS: rc = fs_sync(f->fd, false); break;
    case FILE_FSYNC_BATCH: rc = fs_sync(f->fd, true); break;
    case FILE_FSYNC_INTERVAL:
        if (now - f->last_sync_ms >= f->fsync_interval_ms) {
            rc = fs_sync(f->fd, true);
            f->last_sync_ms = now;
        }
        break;
    default: break;
    }
    if (rc < 0) {
        char path[PATH_MAX_BYTES];
        file_path(out, f->day, f->seq, path, sizeof(path));
        output_error(out, "fsync(\"%s\"): %s", path, strerror(errno));
        if (ftruncate(f->fd, (off_t)f->size) < 0)
            output_log(out, LOG_ERROR, "ftruncate(\"%s\"): %s", path, strerror(errno));
        output_done(out, b, OUTPUT_RETRY);
        return;
    }
    f->size += whole;
    output_done(out, b, OUTPUT_OK);
}

static void file_destroy(struct output *out)
{
    struct file_output *f = out->ctx;
    if (f && f->fd >= 0) {
        if (f->fsync == FILE_FSYNC_INTERVAL && fs_sync(f->fd, true) < 0)
            output_error(out, "fdatasync at stop: %s", strerror(errno));
        close(f->fd);
        f->fd = -1;
    }
    if (f)
        gzip_enc_free(&f->gz);
}

/* Identity of the destination, for the disk buffer (output.h). */
static void file_destination(const void *ctx, char *dst, size_t cap)
{
    const struct file_output *c = ctx;
    snprintf(dst, cap, "%s", c->path ? c->path : "");
}

const struct output_plugin output_file = {
    .name = "file",
    .options = file_output_options,
    .ctx_size = sizeof(struct file_output),
    .default_format = OUTPUT_FORMAT_MSGPACK,
    .default_compression = OUTPUT_COMPRESS_LZ4,
    .wire_version = 2,
    .compressions = (1u << OUTPUT_COMPRESS_NONE) | (1u << OUTPUT_COMPRESS_LZ4) | (1u << OUTPUT_COMPRESS_GZIP),
    .destination = file_destination,
    .init = file_init,
    .flush = file_flush,
    .destroy = file_destroy,
};
