/* test_batch_split.c - a batch of interleaved tags split into one group per
 * tag (kafka topics, nats subjects with ${tag}): each group holds only its
 * tag's events, in batch order, with their exact times, encoded as the batch
 * was (msgpack, LZ4 frame, JSON lines). */
#include <criterion/criterion.h>
#include <string.h>

#include "conf/conf.h"
#include "outputs/batch.h"
#include "outputs/batch_read.h"
#include "outputs/batch_split.h"
#include "records.h"

static struct batch *mixed_batch(int format, int compression, int n)
{
    struct batch_writer *w = batch_writer_new(format, compression);
    cr_assert(w);
    for (int i = 0; i < n; i++) {
        struct test_rec t;
        struct record *r = test_rec_make(&t, (uint64_t)i);
        r->tag = i % 3 == 2 ? SPAN_LIT("b.sys") : SPAN_LIT("a.app");
        cr_assert_eq(batch_writer_add(w, r), 0);
    }
    struct batch *b = batch_writer_finish(w);
    cr_assert(b);
    b->format = (uint8_t)format;
    batch_writer_free(w);
    return b;
}

struct seen {
    const char *tag;
    int n;
    int64_t last_ts;
    bool wrong;
};

static int check_entry(void *arg, const struct batch_entry *e)
{
    struct seen *s = arg;
    if (!span_eq(e->tag, span_cstr(s->tag)) || e->ts <= s->last_ts)
        s->wrong = true;
    s->last_ts = e->ts;
    s->n++;
    return 0;
}

static void check_msgpack(int compression)
{
    struct batch *b = mixed_batch(OUTPUT_FORMAT_MSGPACK, compression, 300);
    struct batch_split s = { 0 };
    cr_assert_eq(batch_split_by_tag(&s, b), 0);
    cr_assert_eq(s.n, 2);
    int total = 0;
    for (size_t i = 0; i < s.n; i++) {
        struct batch_group *g = &s.g[i];
        char tag[64];
        snprintf(tag, sizeof(tag), "%.*s", (int)g->tag_len, g->tag);
        bool lz4 = g->data.len >= 4 && memcmp(g->data.p, "\x04\x22\x4d\x18", 4) == 0;
        cr_assert_eq(lz4, compression == OUTPUT_COMPRESS_LZ4, "group %s", tag);
        struct seen sn = { .tag = tag, .last_ts = INT64_MIN };
        struct batch_read_stats st;
        cr_assert_eq(batch_read(g->data.p, g->data.len, check_entry, NULL, &sn, &st), 0);
        cr_assert_not(sn.wrong, "group %s holds another tag or is out of order", tag);
        cr_assert_eq((uint32_t)sn.n, g->n_events);
        cr_assert_eq(sn.n, strcmp(tag, "b.sys") == 0 ? 100 : 200, "%s: %d", tag, sn.n);
        total += sn.n;
    }
    cr_assert_eq(total, 300);
    /* the splitter is reused batch after batch */
    cr_assert_eq(batch_split_by_tag(&s, b), 0);
    cr_assert_eq(s.n, 2);
    batch_split_free(&s);
    batch_free(b);
}

Test(batch_split, msgpack_by_tag) { check_msgpack(OUTPUT_COMPRESS_NONE); }
Test(batch_split, lz4_by_tag) { check_msgpack(OUTPUT_COMPRESS_LZ4); }

Test(batch_split, json_lines_by_tag)
{
    struct batch *b = mixed_batch(OUTPUT_FORMAT_JSON, OUTPUT_COMPRESS_NONE, 30);
    struct batch_split s = { 0 };
    cr_assert_eq(batch_split_by_tag(&s, b), 0);
    cr_assert_eq(s.n, 2);
    for (size_t i = 0; i < s.n; i++) {
        struct batch_group *g = &s.g[i];
        char want[64];
        snprintf(want, sizeof(want), "\"tag\":\"%.*s\"", (int)g->tag_len, g->tag);
        int lines = 0;
        for (const unsigned char *p = g->data.p; p < g->data.p + g->data.len; lines++) {
            const unsigned char *nl = memchr(p, '\n', (size_t)(g->data.p + g->data.len - p));
            cr_assert(nl);
            cr_assert(memmem(p, (size_t)(nl - p), want, strlen(want)), "%.*s", (int)(nl - p), p);
            p = nl + 1;
        }
        cr_assert_eq((uint32_t)lines, g->n_events);
    }
    cr_assert_eq(s.g[0].n_events + s.g[1].n_events, 30);
    batch_split_free(&s);
    batch_free(b);
}

Test(batch_split, text_cannot_be_split)
{
    struct batch *b = mixed_batch(OUTPUT_FORMAT_TEXT, OUTPUT_COMPRESS_NONE, 3);
    struct batch_split s = { 0 };
    cr_assert_eq(batch_split_by_tag(&s, b), -1);
    batch_split_free(&s);
    batch_free(b);
}
