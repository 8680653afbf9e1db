/* test_file.c - the file output through the delivery core: the files it
 * writes are read back by an independent reader (python3-lz4 and
 * python3-msgpack, tests/helpers/decode_batches.py) and by batch_read;
 * size rotation; JSON lines without compression. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "outputs/batch_read.h"
#include "outputs/file.h"
#include "outputs/output.h"
#include "sidecar/fsutil.h"
#include "sidecar/log.h"
#include "sidecar/pipeline.h"
#include "sidecar/vigil.h"
#include "records.h"

void pipeline_pause(struct vigil *vg, const char *why)
{
    (void)why;
    vg->paused = true;
}
void pipeline_resume(struct vigil *vg)
{
    vg->paused = false;
}

extern const struct output_plugin output_file;

static char root[64], folder[128];

static void setup(void)
{
    log_threshold = LOG_OFF;
    strcpy(root, "/tmp/vigil-file-XXXXXX");
    cr_assert(mkdtemp(root));
    snprintf(folder, sizeof(folder), "%s/out", root);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    system(cmd);
}

TestSuite(file, .init = setup, .fini = teardown);

struct h {
    struct vigil vg;
    struct vigil_conf conf;
    struct output_conf oc;
    struct file_output fo;
};

static struct output *start(struct h *h, int format, int compression, uint64_t rotate)
{
    memset(h, 0, sizeof(*h));
    h->vg.conf = &h->conf;
    h->conf.outputs = &h->oc;
    h->conf.noutputs = 1;
    h->oc.name = "archive";
    h->oc.type = "file";
    h->oc.plugin = &output_file;
    h->oc.ctx = &h->fo;
    h->fo.path = folder;
    h->fo.rotate_bytes = rotate;
    h->fo.fsync = FILE_FSYNC_BATCH;
    h->oc.common.format = format;
    h->oc.common.compression = compression;
    h->oc.common.batch.max_events = 100;
    cr_assert_eq(outputs_init(&h->vg), 0);
    return h->vg.outputs[0];
}

static void stop(struct h *h)
{
    outputs_flush(&h->vg);
    cr_assert(outputs_idle(&h->vg));
    outputs_shutdown(&h->vg);
    outputs_free(&h->vg);
}

static int list(char names[][256], int max)
{
    DIR *d = opendir(folder);
    cr_assert(d);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.' && n < max)
            snprintf(names[n++], 256, "%s", de->d_name);
    closedir(d);
    return n;
}

static void today(char *out, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y%m%d", &tm);
}

Test(file, python_reads_what_the_file_output_wrote)
{
    struct h h;
    struct output *out = start(&h, OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_LZ4, 0);
    for (uint64_t s = 1; s <= 250; s++) {
        struct test_rec t;
        struct record *r = test_rec_make(&t, s);
        if (s == 7) {
            static const char raw[] = "odd \xff bytes";
            r->raw = span_make(raw, sizeof(raw) - 1);
        }
        output_add(out, r);
    }
    stop(&h);

    char names[8][256], day[16], want[64];
    cr_assert_eq(list(names, 8), 1);
    today(day, sizeof(day));
    snprintf(want, sizeof(want), "archive-%s.lz4", day);
    cr_assert_str_eq(names[0], want);

    char cmd[1024], line[4096];
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 tests/helpers/decode_batches.py '%s/%s'", folder,
             names[0]);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    int n = 0;
    while (fgets(line, sizeof(line), p)) {
        n++;
        char expect[512];
        snprintf(expect, sizeof(expect), "{\"tag\": \"app.api\", \"sec\": %d, \"nsec\": 123, ",
                 1441588984 + n);
        cr_assert(strncmp(line, expect, strlen(expect)) == 0, "line %d: %s", n, line);
        if (n == 7)
            cr_assert(strstr(line, "\"message\": \"odd \\udcff bytes\""), "%s", line);
        else {
            snprintf(expect, sizeof(expect), "\"message\": \"GET /api/v1/items/%d 200 user=alice\"", n);
            cr_assert(strstr(line, expect), "line %d: %s", n, line);
        }
        cr_assert(strstr(line, "\"status\": 200"), "%s", line);
    }
    cr_assert_eq(pclose(p), 0, "the python reader failed");
    cr_assert_eq(n, 250);
}

Test(file, rotates_by_size_into_numbered_files)
{
    struct h h;
    struct output *out = start(&h, OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_LZ4, 1500);
    for (uint64_t s = 1; s <= 300; s++) {
        struct test_rec t;
        output_add(out, test_rec_make(&t, s));
        if (s % 20 == 0)
            outputs_flush(&h.vg);   /* small batches so that several files fill */
    }
    stop(&h);
    char names[64][256], day[16];
    int n = list(names, 64);
    cr_assert_gt(n, 2);
    today(day, sizeof(day));
    /* the day's first file, then -0001, -0002, ... with no gap */
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        char path[512];
        if (i == 0)
            snprintf(path, sizeof(path), "%s/archive-%s.lz4", folder, day);
        else
            snprintf(path, sizeof(path), "%s/archive-%s-%04d.lz4", folder, day, i);
        FILE *f = fopen(path, "rb");
        cr_assert(f, "missing %s", path);
        struct buf b = { 0 };
        buf_reserve(&b, 1 << 16);
        b.len = fread(b.p, 1, b.cap, f);
        fclose(f);
        struct batch_read_stats st;
        cr_assert_eq(batch_read(b.p, b.len, NULL, NULL, NULL, &st), 0, "%s", path);
        cr_assert(b.len <= 1500 || st.frames == 1, "%s is %zu bytes", path, b.len);
        total += st.entries;
        buf_free(&b);
    }
    cr_assert_eq(total, 300);
}

Test(file, json_lines_without_compression)
{
    struct h h;
    struct output *out = start(&h, OUTPUT_FORMAT_JSON, OUTPUT_COMPRESS_NONE, 0);
    for (uint64_t s = 1; s <= 3; s++) {
        struct test_rec t;
        output_add(out, test_rec_make(&t, s));
    }
    stop(&h);
    char names[4][256], day[16], want[64], path[512], text[4096];
    cr_assert_eq(list(names, 4), 1);
    today(day, sizeof(day));
    snprintf(want, sizeof(want), "archive-%s.jsonl", day);
    cr_assert_str_eq(names[0], want);
    snprintf(path, sizeof(path), "%s/%.255s", folder, names[0]);
    FILE *f = fopen(path, "r");
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = 0;
    int lines = 0;
    for (char *p = text; (p = strchr(p, '\n')); p++)
        lines++;
    cr_assert_eq(lines, 3);
    cr_assert(strncmp(text, "{\"ts\":\"2015-09-07T01:23:05.000000123Z\",\"tag\":\"app.api\"", 52) == 0,
              "%s", text);
}

/* fsync: batch. A failed fdatasync is a failed write: the batch is not
 * counted as delivered, the file is cut back, the error counted; the retry
 * writes it once. */
Test(file, failed_fsync_is_a_failed_write)
{
    struct h h;
    struct output *out = start(&h, OUTPUT_FORMAT_JSON, OUTPUT_COMPRESS_NONE, 0);
    for (uint64_t s = 1; s <= 3; s++) {
        struct test_rec t;
        output_add(out, test_rec_make(&t, s));
    }
    fs_fault_syncs = 1;
    outputs_flush(&h.vg);
    cr_assert_eq(fs_fault_syncs, 0);
    cr_assert_eq(out->stats.events, 0);
    cr_assert_eq(out->stats.retries, 1);
    cr_assert_eq(out->stats.errors, 1);
    cr_assert_not_null(out->inflight);
    char names[4][256], path[512];
    cr_assert_eq(list(names, 4), 1);
    snprintf(path, sizeof(path), "%s/%s", folder, names[0]);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_size, 0);
    out->inflight->not_before_ms = 0;   /* retry now rather than after the backoff */
    outputs_flush(&h.vg);
    cr_assert_eq(out->stats.events, 3);
    stop(&h);
    FILE *f = fopen(path, "r");
    cr_assert(f);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof(line), f))
        n++;
    fclose(f);
    cr_assert_eq(n, 3);
}
