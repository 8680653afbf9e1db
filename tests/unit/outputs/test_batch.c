/* test_batch.c - the batch writer: EventTime bytes, record map, JSON and
 * text encoders, LZ4 frames readable by batch_read and by the lz4 CLI. */
#include <criterion/criterion.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "outputs/batch.h"
#include "outputs/batch_read.h"
#include "sidecar/timestamp.h"
#include "records.h"

static const unsigned char golden_time[] = { 0xd7, 0x00, 0x55, 0xec, 0xe6, 0xf8, 0x00, 0x00, 0x00, 0x7b };

Test(batch, event_time_golden_bytes)
{
    struct test_rec t;
    struct record *r = test_rec_make(&t, 0);
    r->ts = 1441588984LL * 1000000000LL + 123;
    r->tag = SPAN_LIT("a");
    struct batch_writer *w = batch_writer_new(OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_NONE);
    cr_assert(w);
    cr_assert_eq(batch_writer_add(w, r), 0);
    struct batch *b = batch_writer_finish(w);
    cr_assert(b);
    /* 0x93 fixarray(3), 0xa1 'a' the tag, then the EventTime */
    cr_assert_eq(b->data[0], 0x93);
    cr_assert_eq(b->data[1], 0xa1);
    cr_assert_eq(b->data[2], 'a');
    cr_assert_arr_eq(b->data + 3, golden_time, sizeof(golden_time));
    cr_assert_eq(b->n_events, 1);
    cr_assert_eq(b->len, b->raw_len);
    batch_free(b);
    batch_writer_free(w);
}

struct collect {
    int n;
    char json[8][2048];
    int64_t ts[8];
};

static int collect_cb(void *arg, const struct batch_entry *e)
{
    struct collect *c = arg;
    if (c->n < 8) {
        struct buf b = { 0 };
        batch_entry_to_json(&b, e);
        cr_assert_lt(b.len, sizeof(c->json[0]));
        memcpy(c->json[c->n], b.p, b.len);
        c->json[c->n][b.len] = 0;
        c->ts[c->n] = e->ts;
        buf_free(&b);
    }
    c->n++;
    return 0;
}

Test(batch, lz4_round_trip_with_nested_fields_and_binary_message)
{
    struct test_rec t;
    struct record *r = test_rec_make(&t, 7);
    static const char raw[] = "bad \xff\xfe bytes\x01 and \"quotes\"";
    r->raw = span_make(raw, sizeof(raw) - 1);
    r->truncated = true;
    r->repeat = 3;
    r->parse_error = "unterminated quote";
    record_open(r, SPAN_LIT("req"), FT_MAP);
    record_add_str(r, SPAN_LIT("path"), SPAN_LIT("/x"));
    record_open(r, SPAN_LIT("tags"), FT_ARRAY);
    record_add_int(r, SPAN_NULL, 1);
    record_add_bool(r, SPAN_NULL, true);
    record_add_null(r, SPAN_NULL);
    record_close(r);
    record_add_double(r, SPAN_LIT("ms"), 1.5);
    record_close(r);
    record_add_str(r, SPAN_LIT("path"), SPAN_LIT("/collides"));

    struct batch_writer *w = batch_writer_new(OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_LZ4);
    cr_assert_eq(batch_writer_add(w, r), 0);
    struct test_rec t2;
    cr_assert_eq(batch_writer_add(w, test_rec_make(&t2, 8)), 0);
    struct batch *b = batch_writer_finish(w);
    cr_assert(b);
    cr_assert_eq(b->compression, OUTPUT_COMPRESS_LZ4);
    cr_assert_eq(b->first_seq, 7);
    cr_assert_eq(b->last_seq, 8);
    cr_assert_eq(b->data[0], 0x04);
    cr_assert_eq(b->data[3], 0x18);

    struct collect c = { 0 };
    struct batch_read_stats st;
    cr_assert_eq(batch_read(b->data, b->len, collect_cb, NULL, &c, &st), 0);
    cr_assert_eq(c.n, 2);
    cr_assert_eq(st.frames, 1);
    cr_assert_eq(c.ts[0], (1441588984LL + 7) * 1000000000LL + 123);
    cr_assert_str_eq(c.json[0],
        "{\"tag\":\"app.api\",\"time\":\"2015-09-07T01:23:11.000000123Z\",\"record\":{"
        "\"message\":\"bad \\u00ff\\u00fe bytes\\u0001 and \\\"quotes\\\"\",\"kind\":\"app\","
        "\"host\":\"web-1\",\"input\":\"app\",\"path\":\"/var/log/app/api.log\","
        "\"parse_error\":\"unterminated quote\",\"truncated\":true,\"repeat\":3,"
        "\"method\":\"GET\",\"status\":200,\"user\":\"alice\","
        "\"req\":{\"path\":\"/x\",\"tags\":[1,true,null],\"ms\":1.5},\"_path\":\"/collides\"}}");
    batch_free(b);
    batch_writer_free(w);
}

Test(batch, message_bytes_stay_intact_in_msgpack)
{
    struct test_rec t;
    struct record *r = test_rec_make(&t, 1);
    static const char raw[] = "nul\0inside \xc3\x28 invalid";
    r->raw = span_make(raw, sizeof(raw) - 1);
    struct batch_writer *w = batch_writer_new(OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_NONE);
    batch_writer_add(w, r);
    struct batch *b = batch_writer_finish(w);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    cr_assert_eq(msgpack_unpack_next(&u, (const char *)b->data, b->len, &off), MSGPACK_UNPACK_SUCCESS);
    const msgpack_object *map = &u.data.via.array.ptr[2];
    cr_assert_eq(map->type, MSGPACK_OBJECT_MAP);
    const msgpack_object *msg = &map->via.map.ptr[0].val;
    cr_assert_eq(msg->type, MSGPACK_OBJECT_STR);
    cr_assert_eq(msg->via.str.size, sizeof(raw) - 1);
    cr_assert_arr_eq(msg->via.str.ptr, raw, sizeof(raw) - 1);
    msgpack_unpacked_destroy(&u);
    batch_free(b);
    batch_writer_free(w);
}

Test(batch, writer_reuses_context_across_batches)
{
    struct batch_writer *w = batch_writer_new(OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_LZ4);
    struct buf all = { 0 };
    for (int i = 0; i < 50; i++) {
        for (int k = 0; k < 10; k++) {
            struct test_rec t;
            batch_writer_add(w, test_rec_make(&t, (uint64_t)(i * 10 + k + 1)));
        }
        cr_assert_eq(batch_writer_events(w), 10);
        struct batch *b = batch_writer_finish(w);
        cr_assert(b);
        cr_assert_eq(batch_writer_events(w), 0);
        cr_assert_eq(batch_writer_bytes(w), 0);
        cr_assert_lt(b->len, b->raw_len);
        buf_append(&all, b->data, b->len);
        batch_free(b);
    }
    cr_assert_null(batch_writer_finish(w));   /* empty: no batch */
    struct batch_read_stats st;
    cr_assert_eq(batch_read(all.p, all.len, NULL, NULL, NULL, &st), 0);
    cr_assert_eq(st.frames, 50);
    cr_assert_eq(st.entries, 500);
    buf_free(&all);
    batch_writer_free(w);
}

Test(batch, lz4_cli_decodes_concatenated_frames)
{
    char dir[] = "/tmp/vigil-batch-XXXXXX";
    cr_assert(mkdtemp(dir));
    char path[256], plain[256], cmd[700];
    snprintf(path, sizeof(path), "%s/b.lz4", dir);
    snprintf(plain, sizeof(plain), "%s/expect", dir);
    FILE *f = fopen(path, "wb"), *p = fopen(plain, "wb");
    struct batch_writer *wz = batch_writer_new(OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_LZ4);
    struct batch_writer *wp = batch_writer_new(OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_NONE);
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 100; k++) {
            struct test_rec t;
            struct record *r = test_rec_make(&t, (uint64_t)(i * 100 + k));
            batch_writer_add(wz, r);
            batch_writer_add(wp, r);
        }
        struct batch *bz = batch_writer_finish(wz), *bp = batch_writer_finish(wp);
        fwrite(bz->data, 1, bz->len, f);
        fwrite(bp->data, 1, bp->len, p);
        batch_free(bz);
        batch_free(bp);
    }
    fclose(f);
    fclose(p);
    snprintf(cmd, sizeof(cmd), "lz4 -dc '%s' | cmp -s - '%s'", path, plain);
    cr_assert_eq(system(cmd), 0, "lz4 -dc output differs from the uncompressed entries");
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    system(cmd);
    batch_writer_free(wz);
    batch_writer_free(wp);
}

Test(batch, json_lines_escape_control_bytes_and_invalid_utf8)
{
    struct test_rec t;
    struct record *r = test_rec_make(&t, 1);
    static const char raw[] = "a\tb\n\x1b[31mred \xe2\x82\xac \xe2\x82 end";
    r->raw = span_make(raw, sizeof(raw) - 1);
    r->nfields = 0;
    r->path = SPAN_NULL;
    struct batch_writer *w = batch_writer_new(OUTPUT_FORMAT_JSON, OUTPUT_COMPRESS_NONE);
    batch_writer_add(w, r);
    batch_writer_add(w, r);
    struct batch *b = batch_writer_finish(w);
    char *s = strndup((const char *)b->data, b->len);
    const char *line = "{\"ts\":\"2015-09-07T01:23:05.000000123Z\",\"tag\":\"app.api\","
                       "\"message\":\"a\\tb\\n\\u001b[31mred \xe2\x82\xac \\u00e2\\u0082 end\","
                       "\"kind\":\"app\",\"host\":\"web-1\",\"input\":\"app\"}\n";
    char expect[1024];
    snprintf(expect, sizeof(expect), "%s%s", line, line);
    cr_assert_str_eq(s, expect);
    free(s);
    batch_free(b);
    batch_writer_free(w);
}

Test(batch, text_lines_escape_control_bytes)
{
    struct test_rec t;
    struct record *r = test_rec_make(&t, 1);
    static const char raw[] = "login\x1b[2J ok\r";
    r->raw = span_make(raw, sizeof(raw) - 1);
    struct buf out = { 0 };
    cr_assert_eq(record_to_text(&out, r), 0);
    cr_assert_eq(out.len, strlen("2015-09-07T01:23:05.000000123Z app.api login\\x1b[2J ok\\r"));
    cr_assert_arr_eq(out.p, "2015-09-07T01:23:05.000000123Z app.api login\\x1b[2J ok\\r", out.len);
    buf_free(&out);
}

Test(batch, rfc3339_round_trip)
{
    char s[TS_RFC3339_MAX];
    int64_t ns;
    ts_format_rfc3339(1441588984LL * 1000000000LL + 123, 9, s, sizeof(s));
    cr_assert_str_eq(s, "2015-09-07T01:23:04.000000123Z");
    cr_assert_eq(ts_parse_rfc3339_str(s, &ns), 0);
    cr_assert_eq(ns, 1441588984LL * 1000000000LL + 123);
    cr_assert_eq(ts_parse_rfc3339_str("2015-09-07T03:23:04+02:00", &ns), 0);
    cr_assert_eq(ns, 1441588984LL * 1000000000LL);
    cr_assert_eq(ts_parse_rfc3339_str("1970-01-01", &ns), 0);
    cr_assert_eq(ns, 0);
    cr_assert_eq(ts_parse_rfc3339_str("2015-13-07T03:23:04Z", &ns), -1);
    cr_assert_eq(ts_parse_rfc3339_str("yesterday", &ns), -1);
    ts_format_rfc3339(-1, 9, s, sizeof(s));
    cr_assert_str_eq(s, "1969-12-31T23:59:59.999999999Z");
}
