/* test_batch_read.c - decoding concatenated batches: clean input, a damaged
 * frame skipped, a truncated tail, plain msgpack, garbage, and vigil-cat. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/conf.h"
#include "outputs/batch.h"
#include "outputs/batch_read.h"
#include "records.h"

struct seen {
    uint64_t seqs[64];
    int n;
    int errors;
    uint64_t err_off[8];
};

/* The seq is in the message: "GET /api/v1/items/<seq> ..." */
static int seen_cb(void *arg, const struct batch_entry *e)
{
    struct seen *s = arg;
    const msgpack_object *msg = &e->record->via.map.ptr[0].val;
    char tmp[128] = { 0 };
    memcpy(tmp, msg->via.str.ptr, msg->via.str.size < 127 ? msg->via.str.size : 127);
    if (s->n < 64)
        s->seqs[s->n] = strtoull(tmp + strlen("GET /api/v1/items/"), NULL, 10);
    s->n++;
    return 0;
}

static void seen_err(void *arg, uint64_t off, const char *why)
{
    struct seen *s = arg;
    cr_assert(why && *why);
    if (s->errors < 8)
        s->err_off[s->errors] = off;
    s->errors++;
}

/* n_batches frames of per events each, seqs 1.. ; offsets of each frame. */
static void make_stream(struct buf *out, int compression, int n_batches, int per, size_t *offs)
{
    struct batch_writer *w = batch_writer_new(OUTPUT_FORMAT_MSGPACK, compression);
    uint64_t seq = 1;
    for (int i = 0; i < n_batches; i++) {
        for (int k = 0; k < per; k++) {
            struct test_rec t;
            batch_writer_add(w, test_rec_make(&t, seq++));
        }
        struct batch *b = batch_writer_finish(w);
        if (offs)
            offs[i] = out->len;
        buf_append(out, b->data, b->len);
        batch_free(b);
    }
    batch_writer_free(w);
}

Test(batch_read, clean_stream)
{
    struct buf s = { 0 };
    make_stream(&s, OUTPUT_COMPRESS_LZ4, 3, 5, NULL);
    struct seen seen = { 0 };
    struct batch_read_stats st;
    cr_assert_eq(batch_read(s.p, s.len, seen_cb, seen_err, &seen, &st), 0);
    cr_assert_eq(seen.n, 15);
    cr_assert_eq(st.frames, 3);
    for (int i = 0; i < 15; i++)
        cr_assert_eq(seen.seqs[i], (uint64_t)i + 1);
    buf_free(&s);
}

Test(batch_read, corrupt_frame_is_skipped_and_reading_goes_on)
{
    struct buf s = { 0 };
    size_t offs[3];
    make_stream(&s, OUTPUT_COMPRESS_LZ4, 3, 5, offs);
    /* flip a byte inside the second frame's data: checksums catch it */
    s.p[offs[1] + 30] ^= 0x55;
    struct seen seen = { 0 };
    struct batch_read_stats st;
    cr_assert_eq(batch_read(s.p, s.len, seen_cb, seen_err, &seen, &st), 1);
    cr_assert_eq(seen.errors, 1);
    cr_assert_eq(seen.err_off[0], offs[1]);
    cr_assert_eq(seen.n, 10);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(seen.seqs[i], (uint64_t)i + 1);
        cr_assert_eq(seen.seqs[5 + i], (uint64_t)i + 11);
    }
    buf_free(&s);
}

Test(batch_read, truncated_tail_is_reported)
{
    struct buf s = { 0 };
    size_t offs[2];
    make_stream(&s, OUTPUT_COMPRESS_LZ4, 2, 4, offs);
    struct seen seen = { 0 };
    cr_assert_eq(batch_read(s.p, s.len - 7, seen_cb, seen_err, &seen, NULL), 1);
    cr_assert_eq(seen.n, 4);
    cr_assert_eq(seen.errors, 1);
    cr_assert_eq(seen.err_off[0], offs[1]);
    buf_free(&s);
}

Test(batch_read, garbage_between_frames_is_skipped)
{
    struct buf a = { 0 }, s = { 0 };
    make_stream(&a, OUTPUT_COMPRESS_LZ4, 1, 3, NULL);
    buf_append(&s, "garbage!", 8);
    buf_append(&s, a.p, a.len);
    buf_append(&s, "\xc1\xc1\xc1", 3);
    buf_append(&s, a.p, a.len);
    struct seen seen = { 0 };
    cr_assert_eq(batch_read(s.p, s.len, seen_cb, seen_err, &seen, NULL), 1);
    cr_assert_eq(seen.n, 6);
    cr_assert_eq(seen.errors, 2);
    buf_free(&a);
    buf_free(&s);
}

Test(batch_read, plain_msgpack_entries)
{
    struct buf s = { 0 };
    make_stream(&s, OUTPUT_COMPRESS_NONE, 2, 3, NULL);
    struct seen seen = { 0 };
    cr_assert_eq(batch_read(s.p, s.len, seen_cb, seen_err, &seen, NULL), 0);
    cr_assert_eq(seen.n, 6);
    cr_assert_eq(seen.seqs[5], 6);
    buf_free(&s);
}

Test(batch_read, empty_input_is_clean)
{
    struct seen seen = { 0 };
    cr_assert_eq(batch_read("", 0, seen_cb, seen_err, &seen, NULL), 0);
    cr_assert_eq(seen.n, 0);
}

static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(batch_read, vigil_cat_reports_corrupt_frame_and_goes_on)
{
    const char *b = getenv("VIGIL_BUILD");
    char cat[512], path[] = "/tmp/vigil-cat-XXXXXX", cmd[1200], out[8192];
    snprintf(cat, sizeof(cat), "%s/vigil-cat", b ? b : "build");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    struct buf s = { 0 };
    size_t offs[3];
    make_stream(&s, OUTPUT_COMPRESS_LZ4, 3, 2, offs);
    s.p[offs[1] + 25] ^= 0xff;
    cr_assert_eq(write(fd, s.p, s.len), (ssize_t)s.len);
    close(fd);

    snprintf(cmd, sizeof(cmd), "'%s' --count '%s' 2>/dev/null", cat, path);
    cr_assert_eq(run(cmd, out, sizeof(out)), 1);
    cr_assert_str_eq(out, "4\n");
    snprintf(cmd, sizeof(cmd), "'%s' '%s' 2>&1 >/dev/null", cat, path);
    cr_assert_eq(run(cmd, out, sizeof(out)), 1);
    cr_assert(strstr(out, "corrupt LZ4 frame"), "stderr: %s", out);
    snprintf(cmd, sizeof(cmd), "'%s' --tag 'app.*' --since 2015-09-07T01:23:10Z '%s' 2>/dev/null", cat, path);
    cr_assert_eq(run(cmd, out, sizeof(out)), 1);
    cr_assert_str_eq(out,
        "{\"tag\":\"app.api\",\"time\":\"2015-09-07T01:23:10.000000123Z\",\"record\":{\"message\":"
        "\"GET /api/v1/items/6 200 user=alice\",\"kind\":\"app\",\"host\":\"web-1\",\"input\":\"app\","
        "\"path\":\"/var/log/app/api.log\",\"method\":\"GET\",\"status\":200,\"user\":\"alice\"}}\n");
    snprintf(cmd, sizeof(cmd), "'%s' --count --tag 'auth.*' - < '%s' 2>/dev/null", cat, path);
    cr_assert_eq(run(cmd, out, sizeof(out)), 1);
    cr_assert_str_eq(out, "0\n");
    unlink(path);
    buf_free(&s);
}

static int json_len_cb(void *arg, const struct batch_entry *e)
{
    struct buf b = { 0 };
    cr_assert_eq(batch_entry_to_json(&b, e), 0);
    *(size_t *)arg = b.len;
    buf_free(&b);
    return 0;
}

Test(batch_read, container_keys_do_not_blow_up_the_json)
{
    /* [ "t", 0, { {{{...{1:1}...}}}: 1 } ]: maps as keys, 30 deep */
    unsigned char in[128];
    size_t n = 0;
    in[n++] = 0x93;
    in[n++] = 0xa1;
    in[n++] = 't';
    in[n++] = 0x00;
    for (int i = 0; i < 30; i++)
        in[n++] = 0x81;
    in[n++] = 0x01;
    in[n++] = 0x01;
    for (int i = 0; i < 30; i++)
        in[n++] = 0x01;
    size_t len = 0;
    batch_read(in, n, json_len_cb, NULL, &len, NULL);
    cr_assert_gt(len, 0);
    cr_assert_lt(len, 1024, "rendered %zu bytes", len);
}
