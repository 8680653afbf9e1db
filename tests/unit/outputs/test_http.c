/* test_http.c - the http output against a loopback HTTP(S) receiver
 * (tests/helpers/http_receiver.py) that decodes the bodies and can answer
 * errors: 2xx is OK, 5xx and 429 are RETRY (Retry-After honoured), other
 * 4xx REJECT. */
#include "tests/unit/outputs/net_peer.h"

extern const struct output_plugin output_http;

struct http_fixture {
    struct net_env env;
    void *ctx;
    struct peer peer;
    char out_path[256];
};

/* Starts the receiver with extra args (NULL-terminated, at most 8) and points
 * url at it with path. */
static void http_setup(struct http_fixture *f, const char *path, ...)
{
    const char *a[10] = { 0 };
    va_list ap;
    va_start(ap, path);
    for (int i = 0; i < 8 && (a[i] = va_arg(ap, const char *)) != NULL; i++)
        ;
    va_end(ap);
    f->ctx = net_ctx_new(&output_http);
    net_env_init(&f->env, &output_http, f->ctx, OUTPUT_COMPRESS_LZ4);
    snprintf(f->out_path, sizeof(f->out_path), "%s", net_path(&f->env, "got.txt"));
    f->peer = peer_start("http_receiver.py", "--out", f->out_path, a[0], a[1], a[2], a[3], a[4],
                         a[5], a[6], a[7], NULL);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->peer.port, path);
    net_opt(output_http.options, f->ctx, "url", url);
    net_opt(output_http.options, f->ctx, "timeout", "3s");
}

static void http_teardown(struct http_fixture *f)
{
    output_http.destroy(&f->env.out);
    peer_stop(&f->peer);
    net_ctx_free(&output_http, f->ctx);
    net_env_fini(&f->env);
}

static void flush_wait(struct http_fixture *f, struct batch *b, int want)
{
    output_http.flush(&f->env.out, b);
    net_run_until_done(&f->env, want, 8000);
    cr_assert_eq(core.ndone, want);
}

Test(http, post_lz4_msgpack_with_headers)
{
    struct http_fixture f;
    http_setup(&f, "/ingest?src=vigil", NULL);
    net_opt(output_http.options, f.ctx, "headers", "X-Test=abc 123,Authorization=Bearer t0ken");
    cr_assert_eq(output_http.init(&f.env.out), 0);
    struct batch *b1 = net_batch("web", 0, 3, true);
    struct batch *b2 = net_batch("web", 3, 1, false);
    flush_wait(&f, b1, 1);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    flush_wait(&f, b2, 2);                          /* keep-alive connection */
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 6);
    cr_assert_eq(count_lines_with(got, "REQ POST /ingest?src=vigil ctype=application/vnd.msgpack "
                                       "cenc=lz4 xtest=abc 123"), 1, "%s", got);
    cr_assert_eq(count_lines_with(got, "ctype=application/vnd.msgpack cenc=None xtest=abc 123"), 1,
                 "%s", got);
    for (int i = 0; i < 4; i++)
        cr_assert(strstr(got, net_event_line("web", i)), "missing %d:\n%s", i, got);
    free(got);
    net_batch_free(b1);
    net_batch_free(b2);
    http_teardown(&f);
}

Test(http, json_lines_content_type)
{
    struct http_fixture f;
    http_setup(&f, "", NULL);
    cr_assert_eq(output_http.init(&f.env.out), 0);
    static const char body[] = "{\"msg\":\"one\"}\n{\"msg\":\"two\"}\n";
    struct batch b = { .data = (unsigned char *)body, .len = sizeof(body) - 1,
                       .format = OUTPUT_FORMAT_JSON, .compression = OUTPUT_COMPRESS_NONE };
    flush_wait(&f, &b, 1);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 3);
    cr_assert_eq(count_lines_with(got, "REQ POST / ctype=application/x-ndjson cenc=None"), 1, "%s",
                 got);
    cr_assert(strstr(got, "JSON {\"msg\":\"one\"}\nJSON {\"msg\":\"two\"}\n"), "%s", got);
    free(got);
    http_teardown(&f);
}

Test(http, status_500_then_200_is_retry_then_ok)
{
    struct http_fixture f;
    http_setup(&f, "/", "--fail", "1", NULL);
    cr_assert_eq(output_http.init(&f.env.out), 0);
    struct batch *b = net_batch("web", 0, 2, true);
    flush_wait(&f, b, 1);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert(strstr(core.last_error, "status 500"), "%s", core.last_error);
    cr_assert_eq(b->not_before_ms, 0, "no Retry-After: the core's backoff decides");
    flush_wait(&f, b, 2);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 4);
    cr_assert_eq(count_lines_with(got, "status=500"), 1, "%s", got);
    cr_assert_eq(count_lines_with(got, "status=200"), 1, "%s", got);
    cr_assert(strstr(got, net_event_line("web", 1)), "%s", got);
    free(got);
    net_batch_free(b);
    http_teardown(&f);
}

Test(http, status_429_sets_not_before_from_retry_after)
{
    struct http_fixture f;
    http_setup(&f, "/", "--fail", "1", "--fail-status", "429", "--retry-after", "7", NULL);
    cr_assert_eq(output_http.init(&f.env.out), 0);
    struct batch *b = net_batch("web", 0, 1, true);
    int64_t before = net_now_ms();
    flush_wait(&f, b, 1);
    int64_t after = net_now_ms();
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert_geq(b->not_before_ms, before + 7000);
    cr_assert_leq(b->not_before_ms, after + 7000);
    cr_assert(strstr(core.last_error, "retry after 7s"), "%s", core.last_error);
    net_batch_free(b);
    http_teardown(&f);
}

Test(http, retry_after_http_date)
{
    struct http_fixture f;
    http_setup(&f, "/", "--fail", "1", "--fail-status", "503", "--retry-after-date", "30", NULL);
    cr_assert_eq(output_http.init(&f.env.out), 0);
    struct batch *b = net_batch("web", 0, 1, true);
    int64_t before = net_now_ms();
    flush_wait(&f, b, 1);
    int64_t after = net_now_ms();
    cr_assert_eq(core.last, OUTPUT_RETRY);
    /* the date has whole seconds: 29..30 s from when it was made */
    cr_assert_geq(b->not_before_ms, before + 28000, "%lld", (long long)(b->not_before_ms - before));
    cr_assert_leq(b->not_before_ms, after + 30000);
    cr_assert(strstr(core.last_error, "retry after 29s") || strstr(core.last_error, "retry after 30s"),
              "%s", core.last_error);
    net_batch_free(b);
    http_teardown(&f);
}

Test(http, status_400_is_reject)
{
    struct http_fixture f;
    http_setup(&f, "/", "--status", "400", NULL);
    cr_assert_eq(output_http.init(&f.env.out), 0);
    struct batch *b = net_batch("web", 0, 1, true);
    flush_wait(&f, b, 1);
    cr_assert_eq(core.last, OUTPUT_REJECT);
    cr_assert(strstr(core.last_error, "status 400"), "%s", core.last_error);
    cr_assert(strstr(core.last_error, "nope: bad things\\n"), "body, escaped: %s", core.last_error);
    net_batch_free(b);
    http_teardown(&f);
}

Test(http, refused_connection_is_retry)
{
    struct http_fixture f;
    http_setup(&f, "/", NULL);
    peer_stop(&f.peer);
    cr_assert_eq(output_http.init(&f.env.out), 0);
    struct batch *b = net_batch("web", 0, 1, true);
    flush_wait(&f, b, 1);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    net_batch_free(b);
    http_teardown(&f);
}

Test(http, bad_urls_and_headers_fail_init)
{
    static const char *const bad[] = { "ftp://x/", "http://", "not a url",
                                       "http://user:pw@host/" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        void *ctx = net_ctx_new(&output_http);
        struct net_env env;
        net_env_init(&env, &output_http, ctx, OUTPUT_COMPRESS_LZ4);
        net_opt(output_http.options, ctx, "url", bad[i]);
        cr_assert_eq(output_http.init(&env.out), -1, "%s accepted", bad[i]);
        output_http.destroy(&env.out);
        net_ctx_free(&output_http, ctx);
        net_env_fini(&env);
    }
    void *ctx = net_ctx_new(&output_http);
    struct net_env env;
    net_env_init(&env, &output_http, ctx, OUTPUT_COMPRESS_LZ4);
    net_opt(output_http.options, ctx, "url", "http://127.0.0.1:1/");
    net_opt(output_http.options, ctx, "headers", "X-Bad\r\nInjected=1");
    cr_assert_eq(output_http.init(&env.out), -1);
    output_http.destroy(&env.out);
    net_ctx_free(&output_http, ctx);
    net_env_fini(&env);
}

static void https_setup(struct http_fixture *f, const char *host, const char *ca)
{
    f->ctx = net_ctx_new(&output_http);
    net_env_init(&f->env, &output_http, f->ctx, OUTPUT_COMPRESS_LZ4);
    net_make_certs(&f->env);
    snprintf(f->out_path, sizeof(f->out_path), "%s", net_path(&f->env, "got.txt"));
    char cert[256], key[256], cafile[256], url[128];
    snprintf(cert, sizeof(cert), "%s", net_path(&f->env, "pki/server.pem"));
    snprintf(key, sizeof(key), "%s", net_path(&f->env, "pki/server.key"));
    snprintf(cafile, sizeof(cafile), "%s/pki/%s", f->env.dir, ca);
    f->peer = peer_start("http_receiver.py", "--out", f->out_path, "--cert", cert, "--key", key,
                         "--fail", "1", NULL);
    snprintf(url, sizeof(url), "https://%s:%d/bulk", host, f->peer.port);
    net_opt(output_http.options, f->ctx, "url", url);
    net_opt(output_http.options, f->ctx, "timeout", "3s");
    net_opt(output_http.options, f->ctx, "tls.ca_file", cafile);
}

Test(http, https_verified_with_retry_on_a_new_connection)
{
    struct http_fixture f;
    https_setup(&f, "localhost", "ca.pem");
    cr_assert_eq(output_http.init(&f.env.out), 0);
    struct batch *b = net_batch("tls", 0, 2, true);
    flush_wait(&f, b, 1);
    cr_assert_eq(core.last, OUTPUT_RETRY, "the receiver fails the first request");
    flush_wait(&f, b, 2);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 4);
    cr_assert(strstr(got, net_event_line("tls", 0)), "%s", got);
    cr_assert(strstr(got, net_event_line("tls", 1)), "%s", got);
    free(got);
    net_batch_free(b);
    http_teardown(&f);
}

Test(http, https_untrusted_ca_is_retry_with_reason)
{
    struct http_fixture f;
    https_setup(&f, "localhost", "other_ca.pem");
    cr_assert_eq(output_http.init(&f.env.out), 0);
    struct batch *b = net_batch("tls", 0, 1, true);
    flush_wait(&f, b, 1);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert(strstr(core.last_error, "certificate verify failed"), "%s", core.last_error);
    net_run_for(&f.env, 100);
    char *got = peer_output(f.out_path, 0);     /* the handshake failed: no request */
    cr_assert_eq(count_lines_with(got, "REQ"), 0, "%s", got);
    free(got);
    net_batch_free(b);
    http_teardown(&f);
}

Test(http, https_wrong_host_name_is_retry)
{
    struct http_fixture f;
    https_setup(&f, "127.0.0.1", "ca.pem");
    net_opt(output_http.options, f.ctx, "tls.server_name", "elsewhere.example");
    cr_assert_eq(output_http.init(&f.env.out), 0);
    struct batch *b = net_batch("tls", 0, 1, true);
    flush_wait(&f, b, 1);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert(strstr(core.last_error, "mismatch"), "%s", core.last_error);
    net_batch_free(b);
    http_teardown(&f);
}
