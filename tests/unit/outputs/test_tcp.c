/* test_tcp.c - the tcp output against a loopback receiver
 * (tests/helpers/tcp_receiver.py) that decodes every frame it gets. */
#include "tests/unit/outputs/net_peer.h"

extern const struct output_plugin output_tcp;

struct tcp_fixture {
    struct net_env env;
    void *ctx;
    struct peer peer;
    char out_path[256];
};

static void tcp_setup(struct tcp_fixture *f, const char *close_after)
{
    f->ctx = net_ctx_new(&output_tcp);
    net_env_init(&f->env, &output_tcp, f->ctx, OUTPUT_COMPRESS_LZ4);
    snprintf(f->out_path, sizeof(f->out_path), "%s", net_path(&f->env, "got.txt"));
    if (close_after)
        f->peer = peer_start("tcp_receiver.py", "--out", f->out_path, "--close-after",
                             close_after, NULL);
    else
        f->peer = peer_start("tcp_receiver.py", "--out", f->out_path, NULL);
    char port[16];
    snprintf(port, sizeof(port), "%d", f->peer.port);
    net_opt(output_tcp.options, f->ctx, "host", "127.0.0.1");
    net_opt(output_tcp.options, f->ctx, "port", port);
    net_opt(output_tcp.options, f->ctx, "connect_timeout", "2s");
}

static void tcp_teardown(struct tcp_fixture *f)
{
    output_tcp.destroy(&f->env.out);
    peer_stop(&f->peer);
    net_ctx_free(&output_tcp, f->ctx);
    net_env_fini(&f->env);
}

Test(tcp, options_have_documented_defaults)
{
    void *ctx = net_ctx_new(&output_tcp);
    size_t off = 0;
    const struct conf_option *o = net_opt_find(output_tcp.options, "tls.verify", &off);
    cr_assert(o);
    cr_assert(*(bool *)((char *)ctx + off), "tls.verify must default to true");
    off = 0;
    o = net_opt_find(output_tcp.options, "tls.min_version", &off);
    cr_assert(o);
    cr_assert_str_eq(o->enums[*(int *)((char *)ctx + off)], "1.2");
    net_ctx_free(&output_tcp, ctx);
}

Test(tcp, init_requires_host_and_port)
{
    void *ctx = net_ctx_new(&output_tcp);
    struct net_env env;
    net_env_init(&env, &output_tcp, ctx, OUTPUT_COMPRESS_LZ4);
    cr_assert_eq(output_tcp.init(&env.out), -1);
    output_tcp.destroy(&env.out);
    net_ctx_free(&output_tcp, ctx);
    net_env_fini(&env);
}

Test(tcp, batches_arrive_framed_and_decodable)
{
    struct tcp_fixture f;
    tcp_setup(&f, NULL);
    cr_assert_eq(output_tcp.init(&f.env.out), 0);
    struct batch *b1 = net_batch("app.web", 0, 3, true);
    struct batch *b2 = net_batch("auth", 3, 2, false);
    output_tcp.flush(&f.env.out, b1);
    net_run_until_done(&f.env, 1, 5000);
    cr_assert_eq(core.ndone, 1);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    cr_assert_eq(core.last_batch, b1);
    output_tcp.flush(&f.env.out, b2);   /* same connection */
    net_run_until_done(&f.env, 2, 5000);
    cr_assert_eq(core.last, OUTPUT_OK);
    char *got = peer_output(f.out_path, 7);
    cr_assert_eq(count_lines_with(got, "BATCH 3\n"), 1, "%s", got);
    cr_assert_eq(count_lines_with(got, "BATCH 2\n"), 1, "%s", got);
    for (int i = 0; i < 3; i++)
        cr_assert(strstr(got, net_event_line("app.web", i)), "missing %d in:\n%s", i, got);
    for (int i = 3; i < 5; i++)
        cr_assert(strstr(got, net_event_line("auth", i)), "missing %d in:\n%s", i, got);
    free(got);
    net_batch_free(b1);
    net_batch_free(b2);
    tcp_teardown(&f);
}

Test(tcp, refused_connection_is_retry)
{
    struct tcp_fixture f;
    tcp_setup(&f, NULL);
    peer_stop(&f.peer);                 /* nobody listens on that port now */
    cr_assert_eq(output_tcp.init(&f.env.out), 0);
    struct batch *b = net_batch("x", 0, 1, true);
    output_tcp.flush(&f.env.out, b);
    net_run_until_done(&f.env, 1, 5000);
    cr_assert_eq(core.ndone, 1);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert(strstr(core.last_error, "refused"), "%s", core.last_error);
    net_batch_free(b);
    tcp_teardown(&f);
}

Test(tcp, reconnects_after_the_receiver_closes)
{
    struct tcp_fixture f;
    tcp_setup(&f, "1");                 /* closes after each frame */
    cr_assert_eq(output_tcp.init(&f.env.out), 0);
    struct batch *b1 = net_batch("t", 0, 1, true);
    struct batch *b2 = net_batch("t", 1, 1, true);
    output_tcp.flush(&f.env.out, b1);
    net_run_until_done(&f.env, 1, 5000);
    cr_assert_eq(core.last, OUTPUT_OK);
    net_run_for(&f.env, 200);           /* the close reaches us while idle */
    /* Whether or not the close was seen yet, b2 must get through in a retry. */
    for (int attempt = 0; attempt < 3; attempt++) {
        int before = core.ndone;
        output_tcp.flush(&f.env.out, b2);
        net_run_until_done(&f.env, before + 1, 5000);
        if (core.last == OUTPUT_OK)
            break;
    }
    cr_assert_eq(core.last, OUTPUT_OK);
    char *got = peer_output(f.out_path, 4);
    cr_assert(strstr(got, net_event_line("t", 0)), "%s", got);
    cr_assert(strstr(got, net_event_line("t", 1)), "%s", got);
    free(got);
    net_batch_free(b1);
    net_batch_free(b2);
    tcp_teardown(&f);
}

Test(tcp, destroy_reports_the_batch_in_flight_once)
{
    struct tcp_fixture f;
    tcp_setup(&f, NULL);
    cr_assert_eq(output_tcp.init(&f.env.out), 0);
    struct batch *b = net_batch("x", 0, 1, true);
    output_tcp.flush(&f.env.out, b);    /* connect not finished: loop not run */
    output_tcp.destroy(&f.env.out);
    cr_assert_eq(core.ndone, 1);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    net_batch_free(b);
    tcp_teardown(&f);                   /* destroy twice is harmless */
    cr_assert_eq(core.ndone, 1);
}
