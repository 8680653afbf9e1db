/* test_forward.c - the forward output against a loopback forward-protocol
 * server (tests/helpers/forward_server.py) that checks the handshake, decodes
 * PackedForward / CompressedPackedForward and acks; plus the pure pieces of
 * outputs/forward_proto.c on fixed bytes. */
#include "tests/unit/outputs/net_peer.h"

#include "outputs/forward_proto.h"

extern const struct output_plugin output_forward;

struct fwd_fixture {
    struct net_env env;
    void *ctx;
    struct peer peer;
    char out_path[256];
};

/* Starts the server with extra args (NULL-terminated, at most 8). */
static void fwd_setup(struct fwd_fixture *f, int compression, ...)
{
    const char *a[10] = { 0 };
    va_list ap;
    va_start(ap, compression);
    for (int i = 0; i < 8 && (a[i] = va_arg(ap, const char *)) != NULL; i++)
        ;
    va_end(ap);
    f->ctx = net_ctx_new(&output_forward);
    net_env_init(&f->env, &output_forward, f->ctx, compression);
    snprintf(f->out_path, sizeof(f->out_path), "%s", net_path(&f->env, "got.txt"));
    f->peer = peer_start("forward_server.py", "--out", f->out_path, a[0], a[1], a[2], a[3], a[4],
                         a[5], a[6], a[7], NULL);
    char port[16];
    snprintf(port, sizeof(port), "%d", f->peer.port);
    net_opt(output_forward.options, f->ctx, "host", "127.0.0.1");
    net_opt(output_forward.options, f->ctx, "port", port);
    net_opt(output_forward.options, f->ctx, "connect_timeout", "3s");
    net_opt(output_forward.options, f->ctx, "ack_timeout", "3s");
}

static void fwd_teardown(struct fwd_fixture *f)
{
    output_forward.destroy(&f->env.out);
    peer_stop(&f->peer);
    net_ctx_free(&output_forward, f->ctx);
    net_env_fini(&f->env);
}

/* Three entries "app" then two "auth": two PackedForward messages. */
static struct batch *two_tag_batch(void)
{
    struct batch *a = net_batch("app", 0, 3, false);
    struct batch *b = net_batch("auth", 3, 2, false);
    a->data = realloc(a->data, a->len + b->len);
    memcpy(a->data + a->len, b->data, b->len);
    a->len += b->len;
    a->n_events += b->n_events;
    net_batch_free(b);
    return a;
}

static void expect_events(const char *got)
{
    for (int i = 0; i < 3; i++)
        cr_assert(strstr(got, net_event_line("app", i)), "missing app %d:\n%s", i, got);
    for (int i = 3; i < 5; i++)
        cr_assert(strstr(got, net_event_line("auth", i)), "missing auth %d:\n%s", i, got);
}

static void send_and_wait(struct fwd_fixture *f, struct batch *b)
{
    cr_assert_eq(output_forward.init(&f->env.out), 0);
    output_forward.flush(&f->env.out, b);
    net_run_until_done(&f->env, 1, 8000);
    cr_assert_eq(core.ndone, 1);
}

Test(forward, packed_forward_with_acks)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, NULL);
    struct batch *b = two_tag_batch();
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 7);
    cr_assert_eq(count_lines_with(got, "MSG mode=PackedForward size=3 chunk=yes events=3 binary=yes"),
                 1, "%s", got);
    cr_assert_eq(count_lines_with(got, "MSG mode=PackedForward size=2 chunk=yes events=2 binary=yes"),
                 1, "%s", got);
    expect_events(got);
    free(got);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, gzip_is_compressed_packed_forward)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_GZIP, NULL);
    struct batch *b = two_tag_batch();
    /* As the core's writer makes it: raw entries marked "none"; gzip is ours. */
    cr_assert_eq(b->compression, OUTPUT_COMPRESS_NONE);
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 7);
    cr_assert_eq(count_lines_with(got, "MSG mode=CompressedPackedForward"), 2, "%s", got);
    expect_events(got);
    free(got);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, shared_key_handshake)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, "--shared-key", "s3cret-key", NULL);
    net_opt(output_forward.options, f.ctx, "shared_key", "s3cret-key");
    struct batch *b = two_tag_batch();
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 8);
    cr_assert_eq(count_lines_with(got, "AUTH ok host=vigil-test-host\n"), 1, "%s", got);
    expect_events(got);
    free(got);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, user_and_password_auth)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, "--shared-key", "k", "--username", "alice", "--password",
              "pw", NULL);
    net_opt(output_forward.options, f.ctx, "shared_key", "k");
    net_opt(output_forward.options, f.ctx, "username", "alice");
    net_opt(output_forward.options, f.ctx, "password", "pw");
    net_opt(output_forward.options, f.ctx, "self_hostname", "web-1");
    struct batch *b = net_batch("x", 0, 1, false);
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 3);
    cr_assert_eq(count_lines_with(got, "AUTH ok host=web-1\n"), 1, "%s", got);
    free(got);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, wrong_password_is_refused)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, "--shared-key", "k", "--username", "alice", "--password",
              "pw", NULL);
    net_opt(output_forward.options, f.ctx, "shared_key", "k");
    net_opt(output_forward.options, f.ctx, "username", "alice");
    net_opt(output_forward.options, f.ctx, "password", "guess");
    struct batch *b = net_batch("x", 0, 1, false);
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert(strstr(core.last_error, "username/password mismatch"), "%s", core.last_error);
    cr_assert_null(strstr(core.last_error, "guess"));
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, missing_username_is_named)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, "--shared-key", "k", "--username", "alice", "--password",
              "pw", NULL);
    net_opt(output_forward.options, f.ctx, "shared_key", "k");
    struct batch *b = net_batch("x", 0, 1, false);
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert(strstr(core.last_error, "server requires user authentication: set username"), "%s",
              core.last_error);
    cr_assert_null(strstr(core.last_error, "mismatch"), "%s", core.last_error);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, wrong_shared_key_is_retry_and_sends_nothing)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, "--shared-key", "right-key", NULL);
    net_opt(output_forward.options, f.ctx, "shared_key", "wrong-key");
    struct batch *b = net_batch("x", 0, 2, false);
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert(strstr(core.last_error, "authentication refused"), "%s", core.last_error);
    cr_assert_null(strstr(core.last_error, "wrong-key"), "a secret reached the log");
    char *got = peer_output(f.out_path, 1);
    cr_assert_eq(count_lines_with(got, "AUTH fail shared_key mismatch"), 1, "%s", got);
    cr_assert_eq(count_lines_with(got, "MSG"), 0, "%s", got);
    free(got);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, server_with_another_key_fails_mutual_auth)
{
    struct fwd_fixture f;
    /* The server accepts our digest but signs its PONG with another key. */
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, "--shared-key", "k", "--pong-key", "impostor", NULL);
    net_opt(output_forward.options, f.ctx, "shared_key", "k");
    struct batch *b = net_batch("x", 0, 1, false);
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert(strstr(core.last_error, "PONG digest"), "%s", core.last_error);
    char *got = peer_output(f.out_path, 1);
    cr_assert_eq(count_lines_with(got, "MSG"), 0, "events sent to an unauthenticated server:\n%s",
                 got);
    free(got);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, server_wanting_auth_without_shared_key)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, "--shared-key", "k", NULL);
    struct batch *b = net_batch("x", 0, 1, false);
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert(strstr(core.last_error, "set shared_key"), "%s", core.last_error);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, missing_ack_is_retry_after_timeout)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, "--no-ack", NULL);
    net_opt(output_forward.options, f.ctx, "ack_timeout", "300ms");
    struct batch *b = net_batch("x", 0, 2, false);
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert(strstr(core.last_error, "no ack"), "%s", core.last_error);
    char *got = peer_output(f.out_path, 3);
    cr_assert_eq(count_lines_with(got, "MSG"), 1, "%s", got);   /* it did arrive, unacked */
    free(got);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, wrong_ack_is_retry)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, "--wrong-ack", NULL);
    struct batch *b = net_batch("x", 0, 1, false);
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    cr_assert(strstr(core.last_error, "does not match"), "%s", core.last_error);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, reset_mid_batch_is_retry_then_delivered)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, "--reset-first", "1", NULL);
    struct batch *b = two_tag_batch();
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_RETRY);
    output_forward.flush(&f.env.out, b);    /* the core's retry */
    net_run_until_done(&f.env, 2, 8000);
    cr_assert_eq(core.ndone, 2);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 10);
    cr_assert_eq(count_lines_with(got, "RESET"), 1, "%s", got);
    expect_events(got);
    free(got);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, without_ack_ok_when_written)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, "--no-ack", NULL);
    net_opt(output_forward.options, f.ctx, "require_ack", "false");
    struct batch *b = net_batch("x", 0, 2, false);
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 3);
    cr_assert_eq(count_lines_with(got, "chunk=no"), 1, "%s", got);
    free(got);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, time_as_integer)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, NULL);
    net_opt(output_forward.options, f.ctx, "time_as_integer", "true");
    struct batch *b = net_batch("x", 7, 1, false);
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 2);
    cr_assert(strstr(got, "x 1700000007 {\"msg\": \"event 7\", \"n\": 7}\n"), "%s", got);
    free(got);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, keepalive_false_reconnects_per_batch)
{
    struct fwd_fixture f;
    fwd_setup(&f, OUTPUT_COMPRESS_NONE, "--shared-key", "k", "--no-keepalive", NULL);
    net_opt(output_forward.options, f.ctx, "shared_key", "k");
    struct batch *b1 = net_batch("x", 0, 1, false), *b2 = net_batch("x", 1, 1, false);
    send_and_wait(&f, b1);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    output_forward.flush(&f.env.out, b2);
    net_run_until_done(&f.env, 2, 8000);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 6);
    cr_assert_eq(count_lines_with(got, "AUTH ok"), 2, "one handshake per connection:\n%s", got);
    free(got);
    net_batch_free(b1);
    net_batch_free(b2);
    fwd_teardown(&f);
}

Test(forward, tls_with_shared_key)
{
    struct fwd_fixture f;
    f.ctx = net_ctx_new(&output_forward);
    net_env_init(&f.env, &output_forward, f.ctx, OUTPUT_COMPRESS_NONE);
    net_make_certs(&f.env);
    snprintf(f.out_path, sizeof(f.out_path), "%s", net_path(&f.env, "got.txt"));
    char cert[256], key[256], ca[256], port[16];
    snprintf(cert, sizeof(cert), "%s", net_path(&f.env, "pki/server.pem"));
    snprintf(key, sizeof(key), "%s", net_path(&f.env, "pki/server.key"));
    snprintf(ca, sizeof(ca), "%s", net_path(&f.env, "pki/ca.pem"));
    f.peer = peer_start("forward_server.py", "--out", f.out_path, "--cert", cert, "--key", key,
                        "--shared-key", "k", NULL);
    snprintf(port, sizeof(port), "%d", f.peer.port);
    net_opt(output_forward.options, f.ctx, "host", "localhost");
    net_opt(output_forward.options, f.ctx, "port", port);
    net_opt(output_forward.options, f.ctx, "shared_key", "k");
    net_opt(output_forward.options, f.ctx, "tls.enabled", "true");
    net_opt(output_forward.options, f.ctx, "tls.ca_file", ca);
    struct batch *b = two_tag_batch();
    send_and_wait(&f, b);
    cr_assert_eq(core.last, OUTPUT_OK, "%s", core.last_error);
    char *got = peer_output(f.out_path, 8);
    expect_events(got);
    free(got);
    net_batch_free(b);
    fwd_teardown(&f);
}

Test(forward, init_rejects_lz4)
{
    void *ctx = net_ctx_new(&output_forward);
    struct net_env env;
    net_env_init(&env, &output_forward, ctx, OUTPUT_COMPRESS_LZ4);
    net_opt(output_forward.options, ctx, "host", "127.0.0.1");
    cr_assert_eq(output_forward.init(&env.out), -1);
    cr_assert_eq(output_forward.default_compression, OUTPUT_COMPRESS_NONE);
    output_forward.destroy(&env.out);
    net_ctx_free(&output_forward, ctx);
    net_env_fini(&env);
}

Test(forward, malformed_batch_is_rejected)
{
    void *ctx = net_ctx_new(&output_forward);
    struct net_env env;
    net_env_init(&env, &output_forward, ctx, OUTPUT_COMPRESS_NONE);
    net_opt(output_forward.options, ctx, "host", "127.0.0.1");
    cr_assert_eq(output_forward.init(&env.out), 0);
    unsigned char junk[] = { 0x93, 0x01, 0x02, 0x03 };     /* tag is not a string */
    struct batch b = { .data = junk, .len = sizeof(junk) };
    output_forward.flush(&env.out, &b);
    cr_assert_eq(core.ndone, 1);
    cr_assert_eq(core.last, OUTPUT_REJECT);
    output_forward.destroy(&env.out);
    net_ctx_free(&output_forward, ctx);
    net_env_fini(&env);
}

/* ---- pure pieces ---- */

static const unsigned char helo_bytes[] = {
    0x92, 0xa4, 'H', 'E', 'L', 'O', 0x83, 0xa5, 'n', 'o', 'n', 'c', 'e', 0xc4, 0x03, 0x01, 0x02,
    0x03, 0xa4, 'a', 'u', 't', 'h', 0xc4, 0x00, 0xa9, 'k', 'e', 'e', 'p', 'a', 'l', 'i', 'v', 'e',
    0xc2,
};
static const unsigned char ack_bytes[] = { 0x81, 0xa3, 'a', 'c', 'k', 0xa3, 'a', 'b', 'c' };

Test(forward_proto, reader_byte_by_byte)
{
    struct forward_reader *r = malloc(sizeof(*r));
    struct forward_reply rep;
    forward_reader_init(r);
    for (size_t i = 0; i < sizeof(helo_bytes) - 1; i++) {
        cr_assert_eq(forward_reader_feed(r, helo_bytes + i, 1), 0);
        cr_assert_eq(forward_reader_next(r, &rep), FORWARD_REPLY_MORE);
    }
    forward_reader_feed(r, helo_bytes + sizeof(helo_bytes) - 1, 1);
    cr_assert_eq(forward_reader_next(r, &rep), FORWARD_REPLY_HELO);
    cr_assert_eq(rep.nonce.len, 3);
    cr_assert_eq(memcmp(rep.nonce.p, "\x01\x02\x03", 3), 0);
    cr_assert_eq(rep.auth.len, 0);
    cr_assert_not(rep.keepalive);
    cr_assert_eq(forward_reader_next(r, &rep), FORWARD_REPLY_MORE);
    forward_reader_fini(r);
    free(r);
}

Test(forward_proto, reader_glued_replies_and_nil)
{
    struct forward_reader *r = malloc(sizeof(*r));
    struct forward_reply rep;
    unsigned char glued[64];
    size_t n = 0;
    memcpy(glued + n, ack_bytes, sizeof(ack_bytes));
    n += sizeof(ack_bytes);
    glued[n++] = 0xc0;                                  /* nil keep-alive */
    memcpy(glued + n, ack_bytes, sizeof(ack_bytes));
    n += sizeof(ack_bytes);
    forward_reader_init(r);
    cr_assert_eq(forward_reader_feed(r, glued, n - 2), 0);
    cr_assert_eq(forward_reader_next(r, &rep), FORWARD_REPLY_ACK);
    cr_assert(span_eq_cstr(rep.chunk, "abc"));
    cr_assert_eq(forward_reader_next(r, &rep), FORWARD_REPLY_IGNORED);
    cr_assert_eq(forward_reader_next(r, &rep), FORWARD_REPLY_MORE);
    cr_assert_eq(forward_reader_feed(r, glued + n - 2, 2), 0);
    cr_assert_eq(forward_reader_next(r, &rep), FORWARD_REPLY_ACK);
    cr_assert(span_eq_cstr(rep.chunk, "abc"));
    forward_reader_fini(r);
    free(r);
}

Test(forward_proto, reader_refuses_garbage_and_huge_headers)
{
    struct forward_reader *r = malloc(sizeof(*r));
    struct forward_reply rep;
    forward_reader_init(r);
    forward_reader_feed(r, "\xc1", 1);
    cr_assert_eq(forward_reader_next(r, &rep), FORWARD_REPLY_ERROR);
    forward_reader_reset(r);
    /* array32 of 2^32-1 elements: waits for bytes, allocates nothing. */
    forward_reader_feed(r, "\xdd\xff\xff\xff\xff", 5);
    cr_assert_eq(forward_reader_next(r, &rep), FORWARD_REPLY_MORE);
    static unsigned char big[FORWARD_REPLY_MAX_BYTES];
    memset(big, 0xc0, sizeof(big));
    cr_assert_eq(forward_reader_feed(r, big, sizeof(big)), -1);
    forward_reader_fini(r);
    free(r);
}

Test(forward_proto, pong_shape_is_checked)
{
    static const unsigned char pong[] = { 0x95, 0xa4, 'P', 'O', 'N', 'G', 0xc3, 0xa0, 0xa3, 's',
                                          'r', 'v', 0xa2, 'd', 'd' };
    struct forward_reader *r = malloc(sizeof(*r));
    struct forward_reply rep;
    forward_reader_init(r);
    forward_reader_feed(r, pong, sizeof(pong));
    cr_assert_eq(forward_reader_next(r, &rep), FORWARD_REPLY_PONG);
    cr_assert(rep.auth_ok);
    cr_assert(span_eq_cstr(rep.server_hostname, "srv"));
    forward_reader_feed(r, "\x92\xa4PONG\xc3", 7);     /* too short */
    cr_assert_eq(forward_reader_next(r, &rep), FORWARD_REPLY_BAD);
    forward_reader_fini(r);
    free(r);
}

Test(forward_proto, sha512_hex_vector)
{
    char hex[FORWARD_HEX_DIGEST_LEN + 1];
    struct span parts[] = { SPAN_LIT("salt"), SPAN_LIT("client.example"),
                            SPAN_LIT("nonce-bytes"), SPAN_LIT("secret") };
    cr_assert_eq(forward_sha512_hex(hex, parts, 4), 0);
    cr_assert_str_eq(hex, "037823a23122591bb2bf7624f5b150de9e1719ced669bf4d50ae9900d8332cc4"
                          "00e929533f727bb4a4259e19e033e6923f6476e2ff497ae96e122ae025a2aeaf");
    cr_assert(forward_digest_eq(span_cstr("037823A23122591BB2BF7624F5B150DE9E1719CED669BF4D50AE99"
                                          "00D8332CC400E929533F727BB4A4259E19E033E6923F6476E2FF49"
                                          "7AE96E122AE025A2AEAF"), hex));
    cr_assert_not(forward_digest_eq(span_cstr("037823"), hex));
}

Test(forward_proto, encoder_groups_tags_and_copies_entries)
{
    struct forward_encoder e;
    struct batch *b = two_tag_batch();
    struct forward_encode_opts o = { .chunk = true };
    forward_encoder_init(&e);
    cr_assert_eq(forward_encode(&e, b->data, b->len, &o), FORWARD_ENC_OK);
    cr_assert_eq(e.nmessages, 2);
    cr_assert_eq(e.nchunks, 2);
    cr_assert_eq(e.nevents, 5);
    cr_assert_eq(strlen(e.chunks[0]), FORWARD_CHUNK_LEN);
    cr_assert_str_neq(e.chunks[0], e.chunks[1]);
    /* The wire holds two msgpack values; the first is [ "app", bin, {size: 3, chunk} ]. */
    msgpack_unpacked u;
    size_t off = 0;
    msgpack_unpacked_init(&u);
    cr_assert_eq(msgpack_unpack_next(&u, e.wire.data, e.wire.size, &off), MSGPACK_UNPACK_SUCCESS);
    cr_assert_eq(u.data.type, MSGPACK_OBJECT_ARRAY);
    cr_assert_eq(u.data.via.array.size, 3);
    cr_assert_eq(u.data.via.array.ptr[1].type, MSGPACK_OBJECT_BIN);
    cr_assert_eq(u.data.via.array.ptr[2].via.map.ptr[0].val.via.u64, 3);
    /* First entry of the stream: [EventTime fixext8, {...}] exactly as in the batch. */
    const unsigned char *s = (const unsigned char *)u.data.via.array.ptr[1].via.bin.ptr;
    cr_assert_eq(s[0], 0x92);
    cr_assert_eq(s[1], 0xd7);
    cr_assert_eq(s[2], 0x00);
    cr_assert_eq(msgpack_unpack_next(&u, e.wire.data, e.wire.size, &off), MSGPACK_UNPACK_SUCCESS);
    cr_assert_eq(off, e.wire.size);
    msgpack_unpacked_destroy(&u);
    forward_encoder_fini(&e);
    net_batch_free(b);
}

/* Two tags alternating event by event, as when two inputs are read at once:
 * one message per tag, each with its events in batch order. */
Test(forward_proto, interleaved_tags_make_one_message_per_tag)
{
    struct forward_encoder e;
    unsigned char *data = NULL;
    size_t len = 0;
    for (int i = 0; i < 100; i++) {
        struct batch *one = net_batch(i % 2 ? "b.tag" : "a.tag", i, 1, false);
        data = realloc(data, len + one->len);
        cr_assert(data);
        memcpy(data + len, one->data, one->len);
        len += one->len;
        net_batch_free(one);
    }
    struct forward_encode_opts o = { .chunk = true, .gzip = true };
    forward_encoder_init(&e);
    cr_assert_eq(forward_encode(&e, data, len, &o), FORWARD_ENC_OK);
    cr_assert_eq(e.nmessages, 2, "%zu messages", e.nmessages);
    cr_assert_eq(e.nchunks, 2);
    cr_assert_eq(e.nevents, 100);
    msgpack_unpacked u;
    size_t off = 0;
    msgpack_unpacked_init(&u);
    for (int m = 0; m < 2; m++) {
        cr_assert_eq(msgpack_unpack_next(&u, e.wire.data, e.wire.size, &off), MSGPACK_UNPACK_SUCCESS);
        const msgpack_object *a = u.data.via.array.ptr;
        cr_assert_eq(a[0].via.str.size, 5);
        cr_assert_eq(memcmp(a[0].via.str.ptr, m ? "b.tag" : "a.tag", 5), 0);
        cr_assert_eq(a[2].via.map.ptr[0].val.via.u64, 50);
        /* gunzip the stream and check the order of its events: m, m+2, m+4, ... */
        unsigned char plain[65536];
        z_stream z = { 0 };
        cr_assert_eq(inflateInit2(&z, 15 + 16), Z_OK);
        z.next_in = (unsigned char *)a[1].via.bin.ptr;
        z.avail_in = a[1].via.bin.size;
        z.next_out = plain;
        z.avail_out = sizeof(plain);
        cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
        size_t plen = sizeof(plain) - z.avail_out, poff = 0;
        inflateEnd(&z);
        msgpack_unpacked ev;
        msgpack_unpacked_init(&ev);
        for (int k = 0; k < 50; k++) {
            cr_assert_eq(msgpack_unpack_next(&ev, (const char *)plain, plen, &poff),
                         MSGPACK_UNPACK_SUCCESS);
            const msgpack_object *rec = &ev.data.via.array.ptr[1];
            cr_assert_eq(rec->via.map.ptr[1].val.via.i64, m + 2 * k);
        }
        cr_assert_eq(poff, plen);
        msgpack_unpacked_destroy(&ev);
    }
    cr_assert_eq(off, e.wire.size);
    msgpack_unpacked_destroy(&u);
    forward_encoder_fini(&e);
    free(data);
}

Test(forward_proto, mp_size_of_each_type)
{
    cr_assert_eq(forward_mp_size((const unsigned char *)"\xd7\x00\x55\xec\xe6\xf8\x00\x00\x00\x7b",
                                 10), 10);
    cr_assert_eq(forward_mp_size((const unsigned char *)"\xc7\x08\x00\x55\xec\xe6\xf8\x00\x00\x00\x7b",
                                 11), 11);
    cr_assert_eq(forward_mp_size((const unsigned char *)"\xd7\x00\x55", 3), 0);
    cr_assert_eq(forward_mp_size((const unsigned char *)"\x92\x01\xa1x", 4), 4);
    cr_assert_eq(forward_mp_size((const unsigned char *)"\x81\xa1k\xcb", 4), 0);
    cr_assert_eq(forward_mp_size((const unsigned char *)"\xc1", 1), -1);
}
