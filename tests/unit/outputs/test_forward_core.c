/* test_forward_core.c - the forward output under the real delivery core
 * (outputs/output.c): the receiver is down for a while, then comes back on
 * the same port; every event must arrive once, in order, acked. */
#define NET_PEER_REAL_CORE 1
#include "tests/unit/outputs/net_peer.h"

#include "sidecar/log.h"
#include "sidecar/pipeline.h"
#include "records.h"

extern const struct output_plugin output_forward;

void pipeline_pause(struct vigil *vg, const char *why)
{
    (void)why;
    vg->paused = true;
}

void pipeline_resume(struct vigil *vg)
{
    vg->paused = false;
}

Test(forward_core, receiver_down_then_up_every_event_once_in_order)
{
    static struct vigil vg;
    static struct vigil_conf conf;
    static struct output_conf oc;
    char dir[] = "/tmp/vigil-fwdcore-XXXXXX", out_path[128], port[16];
    cr_assert(mkdtemp(dir));
    snprintf(out_path, sizeof(out_path), "%s/got.txt", dir);
    signal(SIGPIPE, SIG_IGN);
    log_threshold = LOG_ERROR;

    /* Learn a free port, then leave it closed: the receiver is down. */
    struct peer p = peer_start("forward_server.py", "--out", out_path, "--shared-key", "k", NULL);
    snprintf(port, sizeof(port), "%d", p.port);
    peer_stop(&p);

    vg.base = event_base_new();
    vg.conf = &conf;
    snprintf(vg.hostname, sizeof(vg.hostname), "e2e-host");
    conf.service.state_dir = dir;
    conf.outputs = &oc;
    conf.noutputs = 1;
    oc.name = (char *)"fwd";
    oc.type = (char *)"forward";
    oc.plugin = &output_forward;
    oc.ctx = net_ctx_new(&output_forward);
    net_opt(output_forward.options, oc.ctx, "host", "127.0.0.1");
    net_opt(output_forward.options, oc.ctx, "port", port);
    net_opt(output_forward.options, oc.ctx, "shared_key", "k");
    net_opt(output_forward.options, oc.ctx, "connect_timeout", "1s");
    oc.common.format = OUTPUT_FORMAT_MSGPACK;
    oc.common.compression = OUTPUT_COMPRESS_GZIP;
    oc.common.batch = (struct batch_conf){ .max_events = 7, .max_bytes = 1 << 20,
                                           .max_delay_ms = 60000 };
    oc.common.retry = (struct retry_conf){ .initial_ms = 20, .max_ms = 100, .max_attempts = 0 };
    oc.common.queue_max_bytes = 1 << 20;
    oc.common.buffer = (struct buffer_conf){ .type = BUFFER_MEMORY, .max_bytes = 1 << 20 };
    cr_assert_eq(outputs_init(&vg), 0);
    struct output *out = vg.outputs[0];

    const int n = 50;
    for (int s = 1; s <= n; s++) {
        struct test_rec t;
        output_add(out, test_rec_make(&t, (uint64_t)s));
    }
    outputs_flush(&vg);
    for (int i = 0; i < 10; i++) {                      /* a few failed attempts */
        struct timeval tv = { 0, 50000 };
        event_base_loopexit(vg.base, &tv);
        event_base_loop(vg.base, 0);
    }
    cr_assert_gt(out->stats.retries, 0, "the receiver was down: retries expected");
    cr_assert_eq(out->stats.events, 0);

    p = peer_start("forward_server.py", "--out", out_path, "--shared-key", "k", "--port", port,
                   NULL);
    int64_t end = net_now_ms() + 10000;
    while (!outputs_idle(&vg) && net_now_ms() < end) {
        struct timeval tv = { 0, 20000 };
        event_base_loopexit(vg.base, &tv);
        event_base_loop(vg.base, 0);
    }
    cr_assert(outputs_idle(&vg), "backlog not drained");
    cr_assert_eq(out->stats.events, (uint64_t)n);
    /* vigil_output_bytes_total counts what went on the wire: gzipped here */
    cr_assert_lt(out->stats.bytes_wire, out->stats.bytes_raw, "wire %llu, raw %llu",
                 (unsigned long long)out->stats.bytes_wire, (unsigned long long)out->stats.bytes_raw);

    char *got = peer_output(out_path, n);
    int expect = 1;
    for (const char *q = got; (q = strstr(q, "items/")) != NULL; q += 6) {
        int s = atoi(q + 6);
        cr_assert_eq(s, expect, "event %d arrived where %d was due:\n%s", s, expect, got);
        expect++;
    }
    cr_assert_eq(expect, n + 1, "%d of %d events arrived", expect - 1, n);
    cr_assert_eq(count_lines_with(got, "MSG mode=CompressedPackedForward"), (n + 6) / 7, "%s", got);
    free(got);

    outputs_shutdown(&vg);
    outputs_free(&vg);
    peer_stop(&p);
    net_ctx_free(&output_forward, oc.ctx);
    event_base_free(vg.base);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
