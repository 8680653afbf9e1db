/* test_tls.c - outputs/tls.c through the tcp output and a TLS receiver using
 * a test CA made here: a verified round trip, and the handshake failing on a
 * wrong host name or an untrusted CA. */
#include "tests/unit/outputs/net_peer.h"

#include "outputs/tls.h"

extern const struct output_plugin output_tcp;

struct tls_fixture {
    struct net_env env;
    void *ctx;
    struct peer peer;
    char out_path[256];
};

static void tls_setup(struct tls_fixture *f, const char *host, const char *ca)
{
    f->ctx = net_ctx_new(&output_tcp);
    net_env_init(&f->env, &output_tcp, f->ctx, OUTPUT_COMPRESS_LZ4);
    net_make_certs(&f->env);
    snprintf(f->out_path, sizeof(f->out_path), "%s", net_path(&f->env, "got.txt"));
    char cert[256], key[256], port[16], cafile[256];
    snprintf(cert, sizeof(cert), "%s", net_path(&f->env, "pki/server.pem"));
    snprintf(key, sizeof(key), "%s", net_path(&f->env, "pki/server.key"));
    snprintf(cafile, sizeof(cafile), "%s/pki/%s", f->env.dir, ca);
    f->peer = peer_start("tcp_receiver.py", "--out", f->out_path, "--cert", cert, "--key", key,
                         NULL);
    snprintf(port, sizeof(port), "%d", f->peer.port);
    net_opt(output_tcp.options, f->ctx, "host", host);
    net_opt(output_tcp.options, f->ctx, "port", port);
    net_opt(output_tcp.options, f->ctx, "connect_timeout", "3s");
    net_opt(output_tcp.options, f->ctx, "tls.enabled", "true");
    net_opt(output_tcp.options, f->ctx, "tls.ca_file", cafile);
}

static void tls_teardown(struct tls_fixture *f)
{
    output_tcp.destroy(&f->env.out);
    peer_stop(&f->peer);
    net_ctx_free(&output_tcp, f->ctx);
    net_env_fini(&f->env);
}

static void send_one(struct tls_fixture *f, struct batch *b)
{
    cr_assert_eq(output_tcp.init(&f->env.out), 0);
    output_tcp.flush(&f->env.out, b);
    net_run_until_done(&f->env, 1, 5000);
    cr_assert_eq(core.ndone, 1);
}

Test(tls, verified_round_trip_by_name)
{
    struct tls_fixture f;
    tls_setup(&f, "localhost", "ca.pem");
    struct batch *b = net_batch("secure", 0, 2, true);
    send_one(&f, b);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 3);
    cr_assert(strstr(got, net_event_line("secure", 0)), "%s", got);
    cr_assert(strstr(got, net_event_line("secure", 1)), "%s", got);
    free(got);
    net_batch_free(b);
    tls_teardown(&f);
}

Test(tls, verified_round_trip_by_ip_san)
{
    struct tls_fixture f;
    tls_setup(&f, "127.0.0.1", "ca.pem");
    struct batch *b = net_batch("secure", 0, 1, false);
    send_one(&f, b);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    net_batch_free(b);
    tls_teardown(&f);
}

Test(tls, wrong_host_name_fails_the_handshake)
{
    struct tls_fixture f;
    tls_setup(&f, "127.0.0.1", "ca.pem");
    net_opt(output_tcp.options, f.ctx, "tls.server_name", "db.example.com");
    struct batch *b = net_batch("secure", 0, 1, true);
    send_one(&f, b);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert(strstr(core.last_error, "Hostname mismatch") ||
              strstr(core.last_error, "hostname mismatch"), "%s", core.last_error);
    char *got = peer_output(f.out_path, 1);
    cr_assert_eq(count_lines_with(got, "BATCH"), 0, "%s", got);
    free(got);
    net_batch_free(b);
    tls_teardown(&f);
}

Test(tls, untrusted_ca_fails_the_handshake)
{
    struct tls_fixture f;
    tls_setup(&f, "localhost", "other_ca.pem");
    struct batch *b = net_batch("secure", 0, 1, true);
    send_one(&f, b);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert(strstr(core.last_error, "certificate verify failed"), "%s", core.last_error);
    net_batch_free(b);
    tls_teardown(&f);
}

Test(tls, verify_off_accepts_an_untrusted_peer)
{
    struct tls_fixture f;
    tls_setup(&f, "localhost", "other_ca.pem");
    net_opt(output_tcp.options, f.ctx, "tls.verify", "false");
    struct batch *b = net_batch("secure", 0, 1, true);
    send_one(&f, b);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    net_batch_free(b);
    tls_teardown(&f);
}

Test(tls, missing_ca_file_fails_init)
{
    struct tls_fixture f;
    tls_setup(&f, "localhost", "no-such-ca.pem");
    cr_assert_eq(output_tcp.init(&f.env.out), -1);
    tls_teardown(&f);
}
