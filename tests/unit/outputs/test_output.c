/* test_output.c - the delivery core with a fake plugin on a real event_base:
 * batching, one batch in flight, order, retries and backoff, rejection,
 * memory and disk limits (block / drop_oldest), spilling, shutdown to disk
 * and replay after a restart, and the pending sequence the checkpoints use. */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outputs/batch_read.h"
#include "outputs/output.h"
#include "outputs/retry.h"
#include "outputs/spool.h"
#include "sidecar/log.h"
#include "sidecar/pipeline.h"
#include "sidecar/vigil.h"
#include "records.h"

/* ---- the pipeline side, as the core sees it ---- */
static int paused, resumed;
void pipeline_pause(struct vigil *vg, const char *why)
{
    (void)why;
    vg->paused = true;
    paused++;
}
void pipeline_resume(struct vigil *vg)
{
    vg->paused = false;
    resumed++;
}

/* ---- the fake plugin ---- */
enum fake_mode { FAKE_OK, FAKE_HOLD, FAKE_RETRY, FAKE_REJECT };
static struct {
    int mode;
    int retry_left;                 /* FAKE_RETRY: fail this many sends, then OK */
    struct batch *held;             /* FAKE_HOLD: in flight until release() */
    int flushes;
    uint32_t last_attempts;
    uint64_t seqs[256];
    int n;
} fake;

static int seq_cb(void *arg, const struct batch_entry *e)
{
    (void)arg;
    const msgpack_object *msg = &e->record->via.map.ptr[0].val;
    char tmp[128] = { 0 };
    memcpy(tmp, msg->via.str.ptr, msg->via.str.size < 127 ? msg->via.str.size : 127);
    if (fake.n < 256)
        fake.seqs[fake.n] = strtoull(tmp + strlen("GET /api/v1/items/"), NULL, 10);
    fake.n++;
    return 0;
}

static void delivered(struct batch *b)
{
    cr_assert_eq(batch_read(b->data, b->len, seq_cb, NULL, NULL, NULL), 0);
}

static int fake_init(struct output *out)
{
    (void)out;
    return 0;
}

static void fake_flush(struct output *out, struct batch *b)
{
    fake.flushes++;
    fake.last_attempts = b->attempts;
    cr_assert_null(fake.held, "a second batch was handed over while one is in flight");
    switch (fake.mode) {
    case FAKE_HOLD:
        fake.held = b;
        return;
    case FAKE_RETRY:
        if (fake.retry_left > 0) {
            fake.retry_left--;
            output_done(out, b, OUTPUT_RETRY);
            return;
        }
        break;
    case FAKE_REJECT:
        output_done(out, b, OUTPUT_REJECT);
        return;
    }
    delivered(b);
    output_done(out, b, OUTPUT_OK);
}

static const struct output_plugin fake_plugin = {
    .name = "fake", .init = fake_init, .flush = fake_flush,
};

/* ---- harness ---- */
struct h {
    struct vigil vg;
    struct vigil_conf conf;
    struct output_conf oc;
    char *match[2];
};
static char root[64];

static void setup(void)
{
    log_threshold = LOG_OFF;
    strcpy(root, "/tmp/vigil-output-XXXXXX");
    cr_assert(mkdtemp(root));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    system(cmd);
}

TestSuite(output, .init = setup, .fini = teardown);

static void h_conf(struct h *h)
{
    memset(h, 0, sizeof(*h));
    h->vg.base = event_base_new();
    h->vg.conf = &h->conf;
    h->conf.service.state_dir = root;
    h->conf.outputs = &h->oc;
    h->conf.noutputs = 1;
    h->oc.name = "fake";
    h->oc.type = "fake";
    h->oc.plugin = &fake_plugin;
    struct output_common *c = &h->oc.common;
    c->format = OUTPUT_FORMAT_MSGPACK;
    c->compression = OUTPUT_COMPRESS_LZ4;
    c->batch = (struct batch_conf){ .max_events = 4, .max_bytes = 1 << 20, .max_delay_ms = 60000 };
    c->retry = (struct retry_conf){ .initial_ms = 1, .max_ms = 4, .max_attempts = 0 };
    c->queue_max_bytes = 1 << 20;
    c->buffer = (struct buffer_conf){ .type = BUFFER_MEMORY, .max_bytes = 1 << 20,
                                      .on_full = ON_FULL_BLOCK };
}

static struct output *h_start(struct h *h)
{
    cr_assert_eq(outputs_init(&h->vg), 0);
    cr_assert_eq(h->vg.noutputs, 1);
    return h->vg.outputs[0];
}

static void h_stop(struct h *h)
{
    outputs_shutdown(&h->vg);
    outputs_free(&h->vg);
    event_base_free(h->vg.base);
}

static void add(struct output *out, uint64_t from, uint64_t to)
{
    for (uint64_t s = from; s <= to; s++) {
        struct test_rec t;
        output_add(out, test_rec_make(&t, s));
    }
}

/* Runs the loop until fake.n reaches n (bounded, not a timing assertion). */
static void run_until_delivered(struct h *h, int n)
{
    for (int i = 0; i < 25000 && fake.n < n; i++) {
        event_base_loop(h->vg.base, EVLOOP_NONBLOCK);
        usleep(200);
    }
    cr_assert_eq(fake.n, n);
}

static struct output *the_out;
static void release_ok(void)
{
    struct batch *b = fake.held;
    cr_assert(b, "nothing in flight");
    fake.held = NULL;
    delivered(b);
    output_done(the_out, b, OUTPUT_OK);
}

static void assert_seqs(const uint64_t *want, int n)
{
    cr_assert_eq(fake.n, n);
    for (int i = 0; i < n; i++)
        cr_assert_eq(fake.seqs[i], want[i], "event %d: seq %llu, want %llu", i,
                     (unsigned long long)fake.seqs[i], (unsigned long long)want[i]);
}

static void assert_range(uint64_t from, uint64_t to)
{
    cr_assert_eq(fake.n, (int)(to - from + 1));
    for (uint64_t s = from; s <= to; s++)
        cr_assert_eq(fake.seqs[s - from], s);
}

/* ---- tests ---- */

Test(output, batches_close_at_max_events_and_on_flush)
{
    struct h h;
    h_conf(&h);
    struct output *out = h_start(&h);
    add(out, 1, 10);
    cr_assert_eq(fake.flushes, 2);
    cr_assert_eq(outputs_pending_seq(&h.vg), 9);
    cr_assert_not(outputs_idle(&h.vg));
    outputs_flush(&h.vg);
    assert_range(1, 10);
    cr_assert_eq(fake.flushes, 3);
    cr_assert_eq(outputs_pending_seq(&h.vg), UINT64_MAX);
    cr_assert(outputs_idle(&h.vg));
    cr_assert_eq(out->stats.events, 10);
    cr_assert_eq(out->stats.batches, 3);
    cr_assert_gt(out->stats.bytes_raw, out->stats.bytes_wire);
    h_stop(&h);
}

Test(output, batches_close_at_max_bytes)
{
    struct h h;
    h_conf(&h);
    h.oc.common.batch.max_events = 1000;
    h.oc.common.batch.max_bytes = 1;
    struct output *out = h_start(&h);
    add(out, 1, 3);
    cr_assert_eq(fake.flushes, 3);
    assert_range(1, 3);
    h_stop(&h);
}

Test(output, open_batch_closes_after_max_delay)
{
    struct h h;
    h_conf(&h);
    h.oc.common.batch.max_delay_ms = 5;
    struct output *out = h_start(&h);
    add(out, 1, 1);
    cr_assert_eq(fake.flushes, 0);
    run_until_delivered(&h, 1);
    cr_assert_eq(fake.flushes, 1);
    h_stop(&h);
}

Test(output, one_batch_in_flight_and_order_kept)
{
    struct h h;
    h_conf(&h);
    fake.mode = FAKE_HOLD;
    struct output *out = the_out = h_start(&h);
    add(out, 1, 12);
    cr_assert_eq(fake.flushes, 1);
    cr_assert_eq(outputs_pending_seq(&h.vg), 1);
    release_ok();
    cr_assert_eq(fake.flushes, 2);
    cr_assert_eq(outputs_pending_seq(&h.vg), 5);
    release_ok();
    release_ok();
    assert_range(1, 12);
    cr_assert_eq(outputs_pending_seq(&h.vg), UINT64_MAX);
    cr_assert(outputs_idle(&h.vg));
    h_stop(&h);
}

Test(output, retry_with_backoff_then_success_keeps_order)
{
    struct h h;
    h_conf(&h);
    fake.mode = FAKE_RETRY;
    fake.retry_left = 2;
    /* long enough that adding the second batch cannot outlast the first wait
     * (with 1 ms, and even 30 ms with jitter, a loaded ASan build saw a second flush) */
    h.oc.common.retry = (struct retry_conf){ .initial_ms = 250, .max_ms = 500, .max_attempts = 0 };
    struct output *out = h_start(&h);
    add(out, 1, 8);
    cr_assert_eq(fake.flushes, 1);       /* the retry waits for its timer */
    cr_assert_not(out->healthy);
    cr_assert_gt(out->failing_since_ms, 0);
    cr_assert_eq(outputs_pending_seq(&h.vg), 1);
    run_until_delivered(&h, 8);
    assert_range(1, 8);
    cr_assert_eq(out->stats.retries, 2);
    cr_assert_eq(fake.flushes, 4);
    cr_assert(out->healthy);
    cr_assert_eq(out->failing_since_ms, 0);
    h_stop(&h);
}

Test(output, gives_up_after_max_attempts)
{
    struct h h;
    h_conf(&h);
    fake.mode = FAKE_RETRY;
    fake.retry_left = 1000;
    h.oc.common.retry.max_attempts = 3;
    struct output *out = h_start(&h);
    add(out, 1, 4);
    for (int i = 0; i < 5000 && out->stats.dropped < 4; i++) {
        event_base_loop(h.vg.base, EVLOOP_NONBLOCK);
        usleep(200);
    }
    cr_assert_eq(out->stats.dropped, 4);
    cr_assert_eq(fake.flushes, 3);
    cr_assert_eq(fake.last_attempts, 3);
    cr_assert(outputs_idle(&h.vg));
    cr_assert_eq(outputs_pending_seq(&h.vg), UINT64_MAX);
    h_stop(&h);
}

Test(output, rejected_batches_are_counted_and_dropped)
{
    struct h h;
    h_conf(&h);
    fake.mode = FAKE_REJECT;
    struct output *out = h_start(&h);
    add(out, 1, 8);
    cr_assert_eq(out->stats.rejected, 8);
    cr_assert_eq(fake.flushes, 2);
    cr_assert(outputs_idle(&h.vg));
    h_stop(&h);
}

Test(output, stopping_without_disk_buffer_is_not_idle)
{
    struct h h;
    h_conf(&h);
    fake.mode = FAKE_HOLD;
    struct output *out = the_out = h_start(&h);
    add(out, 1, 4);
    cr_assert_not_null(fake.held);
    outputs_shutdown(&h.vg);
    cr_assert_not(outputs_idle(&h.vg), "the batch in flight is in memory only");
    outputs_free(&h.vg);
    event_base_free(h.vg.base);
}

Test(output, full_memory_queue_pauses_inputs_until_it_drains)
{
    struct h h;
    h_conf(&h);
    fake.mode = FAKE_HOLD;
    h.oc.common.queue_max_bytes = 1;
    struct output *out = the_out = h_start(&h);
    add(out, 1, 12);                      /* b1 in flight, b2 and b3 queued */
    cr_assert_eq(paused, 1);
    cr_assert(h.vg.paused);
    cr_assert(out->blocked);
    release_ok();                         /* b2 in flight, b3 still queued */
    cr_assert(h.vg.paused);
    release_ok();                         /* b3 in flight, queue empty */
    cr_assert_not(h.vg.paused);
    cr_assert_eq(resumed, 1);
    release_ok();
    assert_range(1, 12);
    cr_assert_eq(out->stats.dropped, 0);
    h_stop(&h);
}

Test(output, memory_drop_oldest_counts_the_loss)
{
    struct h h;
    h_conf(&h);
    fake.mode = FAKE_HOLD;
    h.oc.common.queue_max_bytes = 1;
    h.oc.common.buffer.on_full = ON_FULL_DROP_OLDEST;
    struct output *out = the_out = h_start(&h);
    add(out, 1, 16);
    cr_assert_eq(paused, 0);
    cr_assert_eq(out->stats.dropped, 8);
    release_ok();
    release_ok();
    static const uint64_t want[] = { 1, 2, 3, 4, 13, 14, 15, 16 };
    assert_seqs(want, 8);
    h_stop(&h);
}

Test(output, slow_output_spills_to_disk_in_order)
{
    struct h h;
    h_conf(&h);
    fake.mode = FAKE_HOLD;
    h.oc.common.queue_max_bytes = 1;
    h.oc.common.buffer.type = BUFFER_DISK;
    struct output *out = the_out = h_start(&h);
    add(out, 1, 20);
    cr_assert_eq(paused, 0);
    cr_assert_eq(out->stats.spooled_batches, 5);   /* the one in flight too */
    cr_assert_eq(spool_count(out->spool), 5);
    cr_assert_null(out->queue_head);
    /* spooled counts as accepted: the checkpoint may move past it */
    cr_assert_eq(outputs_pending_seq(&h.vg), UINT64_MAX);
    add(out, 21, 22);
    cr_assert_eq(outputs_pending_seq(&h.vg), 21);
    outputs_flush(&h.vg);
    cr_assert_eq(outputs_pending_seq(&h.vg), UINT64_MAX);
    for (int i = 0; i < 6; i++)
        release_ok();
    assert_range(1, 22);
    cr_assert_eq(spool_count(out->spool), 0);
    cr_assert_null(fake.held);
    h_stop(&h);
}

Test(output, shutdown_leaves_memory_on_disk_and_restart_replays_once)
{
    struct h h;
    h_conf(&h);
    fake.mode = FAKE_HOLD;
    h.oc.common.buffer.type = BUFFER_DISK;
    struct output *out = the_out = h_start(&h);
    add(out, 1, 10);                      /* b1 in flight, b2 queued, 9-10 open */
    cr_assert_eq(out->stats.spooled_batches, 0);
    cr_assert_not(outputs_idle(&h.vg));
    outputs_shutdown(&h.vg);
    cr_assert_eq(spool_count(out->spool), 3);
    cr_assert(outputs_idle(&h.vg), "everything is saved: the stop is clean");
    outputs_free(&h.vg);
    event_base_free(h.vg.base);
    fake.held = NULL;                     /* the core freed it: the send never finished */

    h_conf(&h);
    fake.mode = FAKE_OK;
    h.oc.common.buffer.type = BUFFER_DISK;
    out = h_start(&h);
    cr_assert_eq(spool_count(out->spool), 3);
    run_until_delivered(&h, 10);
    assert_range(1, 10);
    cr_assert_eq(spool_count(out->spool), 0);
    h_stop(&h);

    h_conf(&h);
    out = h_start(&h);
    (void)out;
    for (int i = 0; i < 20; i++) {
        event_base_loop(h.vg.base, EVLOOP_NONBLOCK);
        usleep(200);
    }
    cr_assert_eq(fake.n, 10, "nothing is sent twice");
    h_stop(&h);
}

/* Adds seq from..to, each read age_ms ago (read_ts is CLOCK_REALTIME). */
static void add_read_ago(struct output *out, uint64_t from, uint64_t to, int64_t age_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    for (uint64_t s = from; s <= to; s++) {
        struct test_rec t;
        struct record *r = test_rec_make(&t, s);
        r->read_ts = now - age_ms * 1000000LL + (int64_t)(s - from);  /* the first is the oldest */
        output_add(out, r);
    }
}

Test(output, pipeline_latency_is_observed_once_per_accepted_batch)
{
    struct h h;
    h_conf(&h);
    struct output *out = h_start(&h);
    add_read_ago(out, 1, 4, 2000);               /* delivered at once */
    const struct telemetry *t = &h.vg.telemetry;
    cr_assert_eq(t->lat_count, 1);
    cr_assert(t->lat_sum >= 1.9 && t->lat_sum < 60, "%f", t->lat_sum);
    cr_assert_eq(t->lat_buckets[TELEMETRY_BUCKETS - 1], 1);   /* in (1s, 5s] */
    add(out, 5, 8);                              /* read time unknown: not observed */
    cr_assert_eq(t->lat_count, 1);
    h_stop(&h);

    /* a batch spilled to the disk buffer is accepted then, not again when replayed */
    h_conf(&h);
    fake.n = 0;
    fake.mode = FAKE_HOLD;
    h.oc.common.queue_max_bytes = 1;
    h.oc.common.buffer.type = BUFFER_DISK;
    out = the_out = h_start(&h);
    add_read_ago(out, 1, 8, 10);
    cr_assert_eq(spool_count(out->spool), 2);
    cr_assert_eq(h.vg.telemetry.lat_count, 2);
    release_ok();
    release_ok();
    cr_assert_eq(fake.n, 8);
    cr_assert_eq(h.vg.telemetry.lat_count, 2);
    cr_assert(h.vg.telemetry.lat_sum < 30);
    h_stop(&h);
}

/* The wire size of a one-event batch, seq 1..9 all encode to the same size. */
static size_t one_event_len(void)
{
    struct batch_writer *w = batch_writer_new(OUTPUT_FORMAT_MSGPACK, OUTPUT_COMPRESS_LZ4);
    struct test_rec t;
    batch_writer_add(w, test_rec_make(&t, 1));
    struct batch *b = batch_writer_finish(w);
    size_t n = b->len;
    batch_free(b);
    batch_writer_free(w);
    return n;
}

Test(output, full_disk_buffer_blocks_then_drains_in_order)
{
    struct h h;
    h_conf(&h);
    fake.mode = FAKE_HOLD;
    size_t rec = one_event_len() + SPOOL_RECORD_HEADER;
    h.oc.common.batch.max_events = 1;
    h.oc.common.queue_max_bytes = 1;
    h.oc.common.buffer = (struct buffer_conf){ .type = BUFFER_DISK, .max_bytes = 2 * rec + rec / 2,
                                               .on_full = ON_FULL_BLOCK };
    struct output *out = the_out = h_start(&h);
    add(out, 1, 5);
    cr_assert_eq(spool_count(out->spool), 2);     /* 1 (in flight) and 2 */
    cr_assert_eq(paused, 1);
    cr_assert_eq(outputs_pending_seq(&h.vg), 3);  /* 3..5 live only in memory */
    for (int i = 0; i < 5; i++)
        release_ok();
    assert_range(1, 5);
    cr_assert_eq(resumed, 1);
    cr_assert_not(h.vg.paused);
    cr_assert_eq(out->stats.dropped, 0);
    h_stop(&h);
}

Test(output, full_disk_buffer_drop_oldest)
{
    struct h h;
    h_conf(&h);
    fake.mode = FAKE_HOLD;
    size_t rec = one_event_len() + SPOOL_RECORD_HEADER;
    h.oc.common.batch.max_events = 1;
    h.oc.common.queue_max_bytes = 1;
    h.oc.common.buffer = (struct buffer_conf){ .type = BUFFER_DISK, .max_bytes = 2 * rec + rec / 2,
                                               .on_full = ON_FULL_DROP_OLDEST };
    struct output *out = the_out = h_start(&h);
    add(out, 1, 5);
    cr_assert_eq(paused, 0);
    cr_assert_eq(out->stats.dropped, 2, "dropped %llu", (unsigned long long)out->stats.dropped);
    for (int i = 0; i < 3; i++)
        release_ok();
    static const uint64_t want[] = { 1, 4, 5 };
    assert_seqs(want, 3);
    h_stop(&h);
}

Test(output, matches_tag_globs)
{
    struct h h;
    h_conf(&h);
    h.match[0] = "app.*";
    h.match[1] = "auth";
    h.oc.common.match = (struct conf_strlist){ h.match, 2 };
    struct output *out = h_start(&h);
    cr_assert(output_matches(out, SPAN_LIT("app.api")));
    cr_assert(output_matches(out, SPAN_LIT("auth")));
    cr_assert_not(output_matches(out, SPAN_LIT("authx")));
    cr_assert_not(output_matches(out, SPAN_LIT("shell.root")));
    cr_assert_not(output_matches(out, span_make("auth\0x", 6)));
    h.oc.common.match.n = 0;
    cr_assert(output_matches(out, SPAN_LIT("anything")));
    h_stop(&h);
}

Test(output, retry_delay_grows_with_jitter_and_caps)
{
    struct retry_conf rc = { .initial_ms = 100, .max_ms = 1000, .max_attempts = 5 };
    uint64_t rng = 42;
    for (int i = 0; i < 200; i++) {
        int64_t d1 = retry_delay_ms(&rc, 1, &rng), d3 = retry_delay_ms(&rc, 3, &rng),
                d9 = retry_delay_ms(&rc, 9, &rng);
        cr_assert(d1 >= 50 && d1 <= 100, "d1 %lld", (long long)d1);
        cr_assert(d3 >= 200 && d3 <= 400, "d3 %lld", (long long)d3);
        cr_assert(d9 >= 500 && d9 <= 1000, "d9 %lld", (long long)d9);
    }
    cr_assert_not(retry_exhausted(&rc, 4));
    cr_assert(retry_exhausted(&rc, 5));
    rc.max_attempts = 0;
    cr_assert_not(retry_exhausted(&rc, 1000000));
}
