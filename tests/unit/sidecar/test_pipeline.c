/* test_pipeline.c - the at-least-once bookkeeping: a source's offset becomes
 * committable only once every output accepted every record read before it,
 * and never while the parser or the event-time merge holds a record. */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/output.h"
#include "sidecar/inputs/input.h"
#include "sidecar/clock.h"
#include "sidecar/merge.h"
#include "sidecar/pipeline.h"
#include "sidecar/vigil.h"

static struct batch *held;      /* the batch the fake output was given */
static unsigned flushes;

static void hold_flush(struct output *out, struct batch *b)
{
    (void)out;
    held = b;
    flushes++;
}

static const struct output_plugin fake_output = {
    .name = "fake", .flush = hold_flush, .default_format = OUTPUT_FORMAT_MSGPACK,
};

/* Lines starting with '#' are held (like bash's #epoch lines). */
static enum parse_result hash_parse(const struct parser *p, void *state, struct record *r,
                                    struct span line)
{
    (void)p;
    (void)state;
    (void)r;
    return line.len && line.p[0] == '#' ? PARSE_PENDING : PARSE_OK;
}

static const struct parser_plugin hash_parser = {
    .name = "hash", .state_size = 8, .parse = hash_parse,
};

struct rig {
    struct event_base *base;
    struct vigil_conf conf;
    struct output_conf oc;
    struct input_conf ic;
    struct input in;
    struct vigil vg;
    struct source src;
    char arena[RECORD_ARENA_MIN];
};

static void rig_init(struct rig *g, bool with_output)
{
    memset(g, 0, sizeof(*g));
    held = NULL;
    flushes = 0;
    g->base = event_base_new();
    g->oc.name = "o";
    g->oc.type = "fake";
    g->oc.plugin = &fake_output;
    g->oc.common.buffer.type = BUFFER_MEMORY;
    g->conf.outputs = &g->oc;
    g->conf.noutputs = with_output ? 1 : 0;
    g->conf.service.state_dir = "/tmp";
    g->vg.conf = &g->conf;
    g->vg.base = g->base;
    record_init(&g->vg.rec, g->arena, sizeof(g->arena));
    cr_assert_eq(outputs_init(&g->vg), 0);
    g->ic.name = "in";
    g->in.conf = &g->ic;
    g->in.name = SPAN_LIT("in");
    g->in.tag = SPAN_LIT("logs");
    g->in.parser.plugin = &hash_parser;
    g->in.vg = &g->vg;
    cr_assert_eq(source_init(&g->src, &g->in, SPAN_LIT("/x.log")), 0);
}

static void rig_fini(struct rig *g)
{
    g->src.parser_busy = false;
    source_fini(&g->vg, &g->src);
    outputs_free(&g->vg);
    event_base_free(g->base);
}

static void line(struct rig *g, const char *text, uint64_t end)
{
    pipeline_line(&g->vg, &g->src, span_cstr(text), end, 0);
}

Test(pipeline, offset_commits_only_after_the_output_accepted)
{
    struct rig g;
    rig_init(&g, true);
    line(&g, "one", 4);
    line(&g, "two", 8);
    line(&g, "three", 14);
    pipeline_mark(&g.vg, &g.src);
    cr_assert_eq(pipeline_safe_offset(&g.vg, &g.src), 0, "nothing is accepted yet");
    outputs_flush(&g.vg);
    cr_assert(held, "the batch went to the output");
    cr_assert_eq(held->n_events, 3);
    cr_assert_eq(pipeline_safe_offset(&g.vg, &g.src), 0, "in flight is not accepted");
    line(&g, "four", 19);
    pipeline_mark(&g.vg, &g.src);
    output_done(g.vg.outputs[0], held, OUTPUT_OK);
    cr_assert_eq(pipeline_safe_offset(&g.vg, &g.src), 14,
                 "the delivered batch commits its lines, the open one does not");
    rig_fini(&g);
}

Test(pipeline, a_retried_batch_keeps_the_offset_back)
{
    struct rig g;
    rig_init(&g, true);
    line(&g, "one", 4);
    pipeline_mark(&g.vg, &g.src);
    outputs_flush(&g.vg);
    cr_assert(held);
    output_done(g.vg.outputs[0], held, OUTPUT_RETRY);
    cr_assert_eq(pipeline_safe_offset(&g.vg, &g.src), 0);
    rig_fini(&g);
}

Test(pipeline, a_record_held_by_the_parser_is_not_committed)
{
    struct rig g;
    rig_init(&g, false);   /* no output: everything emitted is accepted at once */
    line(&g, "a", 2);
    pipeline_mark(&g.vg, &g.src);
    cr_assert_eq(pipeline_safe_offset(&g.vg, &g.src), 2);
    line(&g, "#1764150000", 14);
    pipeline_mark(&g.vg, &g.src);
    cr_assert_eq(pipeline_safe_offset(&g.vg, &g.src), 2,
                 "a timestamp line waiting for its command is not past the commit point");
    line(&g, "ls", 17);
    pipeline_mark(&g.vg, &g.src);
    cr_assert_eq(pipeline_safe_offset(&g.vg, &g.src), 17);
    rig_fini(&g);
}

Test(pipeline, marks_coarsen_instead_of_being_lost_when_outputs_lag)
{
    struct rig g;
    rig_init(&g, true);
    uint64_t off = 0;
    for (int i = 0; i < SOURCE_MARKS * 3; i++) {
        off += 5;
        line(&g, "line", off);
        pipeline_mark(&g.vg, &g.src);
    }
    cr_assert_eq(pipeline_safe_offset(&g.vg, &g.src), 0);
    outputs_flush(&g.vg);
    cr_assert(held);
    output_done(g.vg.outputs[0], held, OUTPUT_OK);
    cr_assert_eq(pipeline_safe_offset(&g.vg, &g.src), off, "every line was delivered");
    rig_fini(&g);
}

/* "T<seconds> text": the time is in the line. */
static enum parse_result time_parse(const struct parser *p, void *state, struct record *r,
                                    struct span line)
{
    (void)p;
    (void)state;
    if (line.len && line.p[0] == 'T') {
        r->ts = strtoll(line.p + 1, NULL, 10) * 1000000000LL;
        r->ts_from_line = true;
    }
    return PARSE_OK;
}

static const struct parser_plugin time_parser = {
    .name = "time", .parse = time_parse,
};

/* With two sources merged in event time, a record the merge holds has no
 * sequence number yet: its source's offset must not pass it, even once the
 * output accepted everything delivered; it becomes committable after it is
 * delivered and accepted. */
Test(pipeline, a_record_held_by_the_merge_is_not_committed)
{
    struct rig g;
    rig_init(&g, true);
    g.in.parser.plugin = &time_parser;
    struct input in2 = g.in;
    in2.name = SPAN_LIT("in2");
    struct source b;
    cr_assert_eq(source_init(&b, &in2, SPAN_LIT("/b.log")), 0);
    merge_source_unread(&g.vg, &g.src, true);
    merge_source_unread(&g.vg, &b, true);
    pipeline_line(&g.vg, &b, SPAN_LIT("T20 b1"), 7, 0);
    pipeline_line(&g.vg, &b, SPAN_LIT("T30 b2"), 14, 0);
    pipeline_mark(&g.vg, &b);
    outputs_flush(&g.vg);
    cr_expect_null(held, "nothing delivered while the other source may have earlier records");
    cr_expect_eq(pipeline_safe_offset(&g.vg, &b), 0);
    line(&g, "T10 a1", 7);     /* delivered: a1; b1, b2 wait for the next of a */
    line(&g, "T25 a2", 14);    /* delivered: b1, a2; b2 waits */
    pipeline_mark(&g.vg, &g.src);
    pipeline_mark(&g.vg, &b);
    outputs_flush(&g.vg);
    cr_assert(held);
    cr_expect_eq(held->n_events, 3);
    output_done(g.vg.outputs[0], held, OUTPUT_OK);
    cr_expect_eq(pipeline_safe_offset(&g.vg, &g.src), 14);
    cr_expect_eq(pipeline_safe_offset(&g.vg, &b), 7, "b2 is still held: only b1 is committable");
    merge_source_unread(&g.vg, &g.src, false);   /* a at its end: b2 leaves */
    held = NULL;
    outputs_flush(&g.vg);
    cr_assert(held);
    cr_expect_eq(held->n_events, 1);
    cr_expect_eq(pipeline_safe_offset(&g.vg, &b), 7, "in flight");
    output_done(g.vg.outputs[0], held, OUTPUT_OK);
    cr_expect_eq(pipeline_safe_offset(&g.vg, &b), 14);
    source_fini(&g.vg, &b);
    rig_fini(&g);
    merge_fini(&g.vg);
}

/* The read time of a line is the time its input read it: the lines one read
 * returned share the time taken for that read (vg->read_ns), and a line fed
 * outside a read (a flush, another input) reads the clock. */
static int64_t seen_read_ts, seen_ts;

static enum parse_result stamp_parse(const struct parser *p, void *state, struct record *r,
                                     struct span text)
{
    (void)p;
    (void)state;
    (void)text;
    seen_read_ts = r->read_ts;
    seen_ts = r->ts;
    return PARSE_OK;
}

static const struct parser_plugin stamp_parser = { .name = "stamp", .parse = stamp_parse };

Test(pipeline, lines_of_one_read_share_its_read_time)
{
    struct rig g;
    rig_init(&g, false);
    g.in.parser.plugin = &stamp_parser;
    g.vg.read_ns = INT64_C(1700000000123456789);
    line(&g, "one", 4);
    cr_expect_eq(seen_read_ts, INT64_C(1700000000123456789));
    cr_expect_eq(seen_ts, seen_read_ts, "no time in the line: the read time");
    line(&g, "two", 8);
    cr_expect_eq(seen_read_ts, INT64_C(1700000000123456789));
    g.vg.read_ns = 0;
    int64_t before = vigil_wall_ns();
    line(&g, "three", 14);
    cr_expect_geq(seen_read_ts, before - 20000000, "outside a read: the clock");
    cr_expect_neq(seen_read_ts, INT64_C(1700000000123456789));
    rig_fini(&g);
}
