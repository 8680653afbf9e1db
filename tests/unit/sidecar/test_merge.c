/* test_merge.c - the event-time merge: records of several sources leave in
 * event-time order whatever order the sources are read in, each source keeps
 * its own order, ties never depend on which source was read first, an untimed
 * source never waits, and a source that holds too much is parked and woken.
 * The pipeline's delivery is stubbed: the test sees what leaves, in order. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/inputs/input.h"
#include "sidecar/merge.h"
#include "sidecar/pipeline.h"
#include "sidecar/vigil.h"

static char out[64][32];
static unsigned nout;
static unsigned wakes;
static void (*check)(const struct record *r);   /* looks at every record that leaves */

void pipeline_deliver(struct vigil *vg, struct source *s, struct record *r)
{
    (void)vg;
    (void)s;
    if (check)
        check(r);
    if (nout < 64)
        snprintf(out[nout], sizeof(out[0]), "%.*s", (int)r->raw.len, r->raw.p);
    nout++;
}

void pipeline_mark(struct vigil *vg, struct source *s)
{
    (void)vg;
    (void)s;
}

static void wake(struct input *in, struct source *s)
{
    (void)in;
    (void)s;
    wakes++;
}

static const struct input_plugin plugin = { .name = "t", .wake = wake };

struct rig {
    struct vigil vg;
    struct input in[3];
    struct source src[3];
    char arena[RECORD_ARENA_MIN];
    struct record r;
};

static void rig_init(struct rig *g, const char *const names[3])
{
    memset(g, 0, sizeof(*g));
    nout = wakes = 0;
    check = NULL;
    record_init(&g->r, g->arena, sizeof(g->arena));
    for (int i = 0; i < 3; i++) {
        g->in[i].plugin = &plugin;
        g->in[i].name = span_cstr(names[i]);
        g->in[i].tag = g->in[i].name;
        g->src[i].in = &g->in[i];
        g->src[i].path = span_cstr("/x.log");
    }
}

/* A record of source i at second t (t < 0: no time in the line); the raw line
 * is built in a scratch buffer that is overwritten right after, as the
 * tailer's read buffer would be. */
static void push(struct rig *g, int i, long t, const char *text)
{
    static char scratch[64];
    record_reset(&g->r);
    snprintf(scratch, sizeof(scratch), "%s", text);
    g->r.raw = span_cstr(scratch);
    g->r.ts = t < 0 ? 999 : t * 1000000000LL;
    g->r.ts_from_line = t >= 0;
    record_add_str(&g->r, SPAN_LIT("msg"), g->r.raw);
    merge_push(&g->vg, &g->src[i], &g->r);
    memset(scratch, 'X', sizeof(scratch) - 1);
}

static void expect_out(const char *const *want, unsigned n)
{
    cr_assert_eq(nout, n, "%u records out, want %u", nout, n);
    for (unsigned i = 0; i < n; i++)
        cr_expect_str_eq(out[i], want[i], "record %u", i);
}

/* Source 0 read to its end first, then source 1: the detectors still see
 * them interleaved by time, and nothing leaves while source 1 is unread. */
Test(merge, sources_read_one_after_the_other_leave_in_time_order)
{
    static const char *const names[3] = { "auth", "api", "shell" };
    struct rig g;
    rig_init(&g, names);
    merge_source_unread(&g.vg, &g.src[0], true);
    merge_source_unread(&g.vg, &g.src[1], true);
    push(&g, 0, 10, "a10");
    push(&g, 0, 30, "a30");
    push(&g, 0, 50, "a50");
    cr_expect_eq(nout, 0, "api may still have an earlier record");
    merge_source_unread(&g.vg, &g.src[0], false);
    cr_expect_eq(nout, 0);
    push(&g, 1, 20, "b20");
    push(&g, 1, 40, "b40");
    merge_source_unread(&g.vg, &g.src[1], false);
    static const char *const want[] = { "a10", "b20", "a30", "b40", "a50" };
    expect_out(want, 5);
    cr_expect_eq(g.vg.merge.held, 0);
    cr_expect_eq(g.vg.merge.held_bytes, 0);
    merge_fini(&g.vg);
}

/* A record earlier than the one before it in its own file, or with no time,
 * keeps its place in its file; ties between files go by input name, not by
 * which file was read first. */
Test(merge, own_order_kept_and_ties_by_name)
{
    static const char *const names[3] = { "zeta", "alpha", "mid" };
    for (int first = 0; first < 2; first++) {
        struct rig g;
        rig_init(&g, names);
        merge_source_unread(&g.vg, &g.src[0], true);
        merge_source_unread(&g.vg, &g.src[1], true);
        for (int k = 0; k < 2; k++) {
            int i = k ^ first;
            if (i == 0) {
                push(&g, 0, 10, "z10");
                push(&g, 0, 5, "z5-late");      /* backwards: stays after z10 */
                push(&g, 0, -1, "z-untimed");   /* no time: stays after too */
                push(&g, 0, 20, "z20");
            } else {
                push(&g, 1, 10, "a10");
                push(&g, 1, 20, "a20");
            }
            merge_source_unread(&g.vg, &g.src[i], false);
        }
        static const char *const want[] = { "a10", "z10", "z5-late", "z-untimed", "a20", "z20" };
        expect_out(want, 6);
        merge_fini(&g.vg);
    }
}

/* A file whose lines carry no time is not ordered: it never waits, and once
 * it has shown that, it never holds the others back. */
Test(merge, an_untimed_source_neither_waits_nor_blocks)
{
    static const char *const names[3] = { "plain", "api", "x" };
    struct rig g;
    rig_init(&g, names);
    merge_source_unread(&g.vg, &g.src[0], true);
    merge_source_unread(&g.vg, &g.src[1], true);
    push(&g, 0, -1, "p1");
    cr_expect_eq(nout, 1, "no time, no wait");
    push(&g, 1, 10, "b10");
    cr_expect_eq(nout, 2, "the untimed source, though unread, holds nothing back");
    merge_fini(&g.vg);
}

/* A source far ahead of an unread one is parked once it holds its share, and
 * woken when it has drained; a live source at its end never delays another. */
Test(merge, a_source_ahead_is_parked_and_woken)
{
    static const char *const names[3] = { "a", "b", "c" };
    struct rig g;
    rig_init(&g, names);
    merge_source_unread(&g.vg, &g.src[0], true);
    merge_source_unread(&g.vg, &g.src[1], true);
    char text[16];
    for (int k = 0; k < MERGE_AHEAD_RECORDS; k++) {
        cr_assert(!merge_source_ahead(&g.vg, &g.src[0]), "record %d", k);
        snprintf(text, sizeof(text), "a%d", k);
        push(&g, 0, 1000 + k, text);
    }
    cr_expect(merge_source_ahead(&g.vg, &g.src[0]), "ahead: not read further");
    cr_expect(g.src[0].parked);
    cr_expect_eq(nout, 0);
    cr_expect_eq(wakes, 0);
    push(&g, 1, 5, "b5");
    merge_source_unread(&g.vg, &g.src[1], false);
    cr_expect_eq(nout, 1 + MERGE_AHEAD_RECORDS, "b at its end: everything leaves");
    cr_expect_str_eq(out[0], "b5");
    cr_expect_eq(wakes, 1, "the parked source was woken");
    cr_expect(!g.src[0].parked);
    /* live: both at their end, a new line of either leaves at once */
    merge_source_unread(&g.vg, &g.src[0], false);
    nout = 0;
    push(&g, 1, 6, "b6");
    cr_expect_eq(nout, 1);
    merge_fini(&g.vg);
}

/* Closing a source delivers what it holds first (oldest of all first). */
Test(merge, draining_a_source_before_it_closes)
{
    static const char *const names[3] = { "a", "b", "c" };
    struct rig g;
    rig_init(&g, names);
    for (int i = 0; i < 3; i++)
        merge_source_unread(&g.vg, &g.src[i], true);
    push(&g, 0, 30, "a30");
    push(&g, 1, 20, "b20");
    cr_expect_eq(nout, 0, "c is unread");
    cr_expect_eq(merge_safe_offset(&g.src[0], 77), 0, "held: commit stops before it");
    merge_forget(&g.vg, &g.src[0]);
    static const char *const want[] = { "b20", "a30" };
    expect_out(want, 2);
    cr_expect_eq(merge_safe_offset(&g.src[0], 77), 77);
    cr_expect_eq(g.vg.merge.blocking, 2, "b (unread, emptied) and c");
    merge_release_all(&g.vg);
    merge_fini(&g.vg);
}

/* A held record is a copy: its raw line, its fields' keys and values (slices
 * of the line, unescaped text in the record's arena, or strings of the
 * parser's own) are intact when it leaves, after the buffers they came from
 * were overwritten, across many records and one larger than the rest. */
static unsigned checked;

static void check_fields(const struct record *r)
{
    unsigned n;
    cr_assert(r->raw.len >= 9 && sscanf(r->raw.p, "id=%6u", &n) == 1, "raw %.*s", (int)r->raw.len,
              r->raw.p);
    for (size_t i = 9; i < r->raw.len; i++)
        cr_assert_eq(r->raw.p[i], 'x', "raw byte %zu of record %u", i, n);
    char want[16];
    cr_assert_eq(r->nfields, 3);
    cr_assert(span_eq_cstr(r->fields[0].key, "id"));
    cr_assert(span_eq(r->fields[0].v.s, span_make(r->raw.p + 3, 6)));
    snprintf(want, sizeof(want), "a%06u", n);
    cr_assert(span_eq_cstr(r->fields[1].key, "id"));
    cr_assert(span_eq_cstr(r->fields[1].v.s, want), "arena value of record %u", n);
    cr_assert(span_eq_cstr(r->fields[2].key, "dyn"), "parser's key of record %u", n);
    cr_assert_eq(r->fields[2].type, FT_STR);
    snprintf(want, sizeof(want), "d%06u", n);
    cr_assert(span_eq_cstr(r->fields[2].v.s, want), "parser's value of record %u", n);
    cr_assert_eq(record_str(r, RK_MSG).len, 0);
    checked++;
}

Test(merge, held_copies_keep_every_string)
{
    static const char *const names[3] = { "a", "b", "c" };
    static char line[200000], key[8], val[8];
    struct rig g;
    rig_init(&g, names);
    check = check_fields;
    checked = 0;
    for (int i = 0; i < 3; i++)
        merge_source_unread(&g.vg, &g.src[i], true);
    for (unsigned k = 0; k < 2000; k++) {
        int i = k % 2;
        size_t len = k == 777 ? sizeof(line) - 1 : 9 + k % 50;   /* one larger than a chunk */
        record_reset(&g.r);
        snprintf(line, sizeof(line), "id=%06u", k);
        memset(line + 9, 'x', len - 9);
        g.r.raw = span_make(line, len);
        g.r.ts = (int64_t)(k / 2) * 1000000000LL;
        g.r.ts_from_line = true;
        record_add_str(&g.r, SPAN_LIT("id"), span_make(line + 3, 6));
        char a[8];
        snprintf(a, sizeof(a), "a%06u", k);
        record_add_str(&g.r, span_make(line, 2), record_copy(&g.r, a, 7));
        snprintf(key, sizeof(key), "dyn");
        snprintf(val, sizeof(val), "d%06u", k);
        record_add_str(&g.r, span_make(key, 3), span_make(val, 7));
        merge_push(&g.vg, &g.src[i], &g.r);
        memset(line, 'Y', len);
        memset(key, 'Y', sizeof(key));
        memset(val, 'Y', sizeof(val));
        memset(g.arena, 'Y', sizeof(g.arena));
    }
    cr_expect_eq(checked, 0, "c is unread: all held");
    cr_expect_eq(g.vg.merge.held, 2000);
    for (int i = 0; i < 3; i++)
        merge_source_unread(&g.vg, &g.src[i], false);
    cr_expect_eq(checked, 2000);
    cr_expect_eq(g.vg.merge.held_bytes, 0);
    merge_fini(&g.vg);
}

/* A record that would leave within its own push goes as it is, after the
 * held records before it, without a copy; when another source empties on
 * the way and may still hold an earlier record, it is held as before. */
static const struct record *pushed;
static char uncopied[64][32];
static unsigned nuncopied;

static void note_uncopied(const struct record *r)
{
    if (r == pushed && nuncopied < 64)
        snprintf(uncopied[nuncopied++], sizeof(uncopied[0]), "%.*s", (int)r->raw.len, r->raw.p);
}

Test(merge, a_record_leaving_in_its_own_push_is_not_copied)
{
    static const char *const names[3] = { "auth", "api", "shell" };
    struct rig g;
    rig_init(&g, names);
    pushed = &g.r;
    nuncopied = 0;
    check = note_uncopied;
    merge_source_unread(&g.vg, &g.src[0], true);
    merge_source_unread(&g.vg, &g.src[1], true);
    push(&g, 0, 10, "a10");
    push(&g, 0, 30, "a30");
    push(&g, 1, 20, "b20");    /* a10 leaves, then b20 itself */
    cr_expect_eq(g.vg.merge.held, 1, "only a30 is held");
    push(&g, 1, 40, "b40");    /* a30 leaves, auth is empty again: b40 waits */
    cr_expect_eq(g.vg.merge.held, 1, "b40 is held");
    merge_source_unread(&g.vg, &g.src[0], false);
    merge_source_unread(&g.vg, &g.src[1], false);
    static const char *const want[] = { "a10", "b20", "a30", "b40" };
    expect_out(want, 4);
    cr_assert_eq(nuncopied, 1);
    cr_expect_str_eq(uncopied[0], "b20");
    cr_expect_eq(g.vg.merge.held, 0);
    merge_fini(&g.vg);
}
