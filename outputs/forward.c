/* forward.c - the `forward` output: Fluentd forward protocol v1 client.
 * A batch becomes one PackedForward message per run of entries sharing a tag
 * (CompressedPackedForward with `compression: gzip`), each carrying a random
 * chunk id; with require_ack the batch is OK only once the server has acked
 * every chunk on the same connection. Anything else (timeout, a wrong ack,
 * a reset, a failed handshake) closes the connection and reports RETRY, so
 * delivery is at least once. Connection life: CONNECTING -> (HELO_WAIT ->
 * PONG_WAIT when shared_key is set: mutual SHA-512 authentication) -> READY.
 * The pure protocol work (reply reader, digests, encoding) is forward_proto.c.
 * Secrets (shared_key, password) never appear in a log line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "outputs/forward_proto.h"
#include "outputs/output.h"
#include "outputs/tls.h"
#include "sidecar/log.h"
#include "sidecar/vigil.h"

enum forward_state { FWD_IDLE, FWD_CONNECTING, FWD_HELO_WAIT, FWD_PONG_WAIT, FWD_READY };

#define FORWARD_SALT_BYTES 16
#define FORWARD_NONCE_MAX 256

struct forward_ctx {
    /* options */
    char *host;
    int64_t port;
    struct tls_conf tls;
    char *shared_key;
    char *username;
    char *password;
    char *self_hostname;          /* default: vigil's host name */
    bool require_ack;
    uint64_t conn_events, conn_batches;  /* require_ack false: written on this connection */
    int64_t ack_timeout_ms;
    int64_t connect_timeout_ms;
    int64_t write_timeout_ms;
    bool time_as_integer;
    /* state */
    struct output *out;
    SSL_CTX *ssl_ctx;
    struct evdns_base *dns;
    struct bufferevent *bev;
    struct event *timer;          /* handshake deadline, then ack deadline */
    enum forward_state state;
    bool keepalive;               /* from HELO; false: one batch per connection */
    char salt[FORWARD_SALT_BYTES * 2 + 1];
    unsigned char nonce[FORWARD_NONCE_MAX];
    size_t nonce_len;
    struct forward_reader *reader;
    struct forward_encoder enc;
    struct batch *inflight;
    bool sent;                    /* inflight's bytes are queued on this connection */
    bool *acked;                  /* per chunk of inflight */
    size_t nacked;
};

static const struct conf_option forward_options[] = {
    { "host", CONF_STR, NULL, offsetof(struct forward_ctx, host), 0, 0,
      "Fluentd / Fluent Bit host", .flags = CONF_REQUIRED },
    { "port", CONF_INT, "24224", offsetof(struct forward_ctx, port), 1, 65535, "TCP port" },
    { "tls", CONF_SECTION, NULL, offsetof(struct forward_ctx, tls), 0, 0, "TLS settings",
      .sub = tls_options },
    { "shared_key", CONF_SECRET, NULL, offsetof(struct forward_ctx, shared_key), 0, 0,
      "Shared key of the server's security section (enables the handshake)" },
    { "username", CONF_SECRET, NULL, offsetof(struct forward_ctx, username), 0, 0,
      "User for the server's user authentication" },
    { "password", CONF_SECRET, NULL, offsetof(struct forward_ctx, password), 0, 0,
      "Password of username" },
    { "self_hostname", CONF_STR, NULL, offsetof(struct forward_ctx, self_hostname), 0, 0,
      "Host name sent in the handshake (default: this host's name)" },
    { "require_ack", CONF_BOOL, "true", offsetof(struct forward_ctx, require_ack), 0, 0,
      "Wait for the server's ack of every chunk before counting a batch delivered" },
    { "ack_timeout", CONF_DURATION, "30s", offsetof(struct forward_ctx, ack_timeout_ms), 1, 0,
      "Time to wait for acks before resending the batch" },
    { "connect_timeout", CONF_DURATION, "10s", offsetof(struct forward_ctx, connect_timeout_ms),
      1, 0, "Time allowed to connect, including TLS and the handshake" },
    { "write_timeout", CONF_DURATION, "30s", offsetof(struct forward_ctx, write_timeout_ms), 1, 0,
      "Time a batch may take to leave for the kernel" },
    { "time_as_integer", CONF_BOOL, "false", offsetof(struct forward_ctx, time_as_integer), 0, 0,
      "Send whole seconds instead of EventTime (Fluentd v0.12)" },
    { 0 }
};

static struct timeval forward_tv(int64_t ms)
{
    struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
    return tv;
}

static const char *forward_self(const struct forward_ctx *c)
{
    return c->self_hostname && c->self_hostname[0] ? c->self_hostname : c->out->vg->hostname;
}

static void forward_close(struct forward_ctx *c)
{
    c->conn_events = c->conn_batches = 0;
    if (c->bev)
        bufferevent_free(c->bev);
    c->bev = NULL;
    c->state = FWD_IDLE;
    c->sent = false;
    if (c->timer)
        evtimer_del(c->timer);
    if (c->reader)
        forward_reader_reset(c->reader);
    OPENSSL_cleanse(c->nonce, sizeof(c->nonce));
    c->nonce_len = 0;
}

static void forward_report(struct forward_ctx *c, enum output_status st)
{
    struct batch *b = c->inflight;
    if (!b)
        return;
    c->inflight = NULL;
    c->sent = false;
    if (c->timer)
        evtimer_del(c->timer);
    output_done(c->out, b, st);
}

/* why: what went wrong; detail: more text (already escaped) or "". */
static void forward_fail(struct forward_ctx *c, const char *why, const char *detail)
{
    output_error(c->out, "forward: %s:%lld: %s%s", c->host, (long long)c->port, why, detail);
    if (c->conn_events) {
        /* without acks, what this connection carried may not have been read */
        c->out->stats.possibly_lost += c->conn_events;
        output_log(c->out, LOG_WARN,
                   "forward: connection to %s:%lld failed: %llu events in %llu batches written to it "
                   "may be lost (require_ack: false is best-effort; require_ack: true retries them)",
                   c->host, (long long)c->port, (unsigned long long)c->conn_events,
                   (unsigned long long)c->conn_batches);
    }
    forward_close(c);
    forward_report(c, OUTPUT_RETRY);
}

static void forward_arm(struct forward_ctx *c, int64_t ms)
{
    struct timeval tv = forward_tv(ms);
    evtimer_add(c->timer, &tv);
}

static void forward_send(struct forward_ctx *c)
{
    struct evbuffer *o = bufferevent_get_output(c->bev);
    if (evbuffer_add(o, c->enc.wire.data, c->enc.wire.size) < 0) {
        forward_fail(c, "out of memory", "");
        return;
    }
    c->sent = true;
    if (c->require_ack && c->enc.nchunks)
        forward_arm(c, c->ack_timeout_ms);
    bufferevent_enable(c->bev, EV_WRITE);
}

/* The batch is through: keep the connection unless the server said not to. */
static void forward_delivered(struct forward_ctx *c)
{
    if (!c->keepalive)
        forward_close(c);
    forward_report(c, OUTPUT_OK);
}

static void forward_write_cb(struct bufferevent *bev, void *arg)
{
    struct forward_ctx *c = arg;
    if (c->inflight && c->sent && evbuffer_get_length(bufferevent_get_output(bev)) == 0 &&
        (!c->require_ack || c->enc.nchunks == 0)) {
        if (!c->require_ack) {
            c->conn_events += c->inflight->n_events;
            c->conn_batches++;
        }
        forward_delivered(c);
    }
}

static int forward_ping(struct forward_ctx *c, const struct forward_reply *helo)
{
    unsigned char rnd[FORWARD_SALT_BYTES];
    char key_hex[FORWARD_HEX_DIGEST_LEN + 1], pw_hex[FORWARD_HEX_DIGEST_LEN + 1] = "";
    const char *self = forward_self(c);
    const char *user = "";
    if (helo->nonce.len > sizeof(c->nonce))
        return -1;
    memcpy(c->nonce, helo->nonce.p, helo->nonce.len);
    c->nonce_len = helo->nonce.len;
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return -1;
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(c->salt + 2 * i, 3, "%02x", rnd[i]);
    struct span kp[] = { span_cstr(c->salt), span_cstr(self), helo->nonce,
                         span_cstr(c->shared_key) };
    if (forward_sha512_hex(key_hex, kp, 4) < 0)
        return -1;
    if (helo->auth.len) {
        /* The server wants user auth: hex(SHA-512(auth_salt | user | password)). */
        user = c->username ? c->username : "";
        struct span pp[] = { helo->auth, span_cstr(user), span_cstr(c->password) };
        if (forward_sha512_hex(pw_hex, pp, 3) < 0)
            return -1;
    }
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = msgpack_pack_array(&pk, 6);
    rc |= msgpack_pack_str_with_body(&pk, "PING", 4);
    rc |= msgpack_pack_str_with_body(&pk, self, strlen(self));
    rc |= msgpack_pack_str_with_body(&pk, c->salt, strlen(c->salt));
    rc |= msgpack_pack_str_with_body(&pk, key_hex, strlen(key_hex));
    rc |= msgpack_pack_str_with_body(&pk, user, strlen(user));
    rc |= msgpack_pack_str_with_body(&pk, pw_hex, strlen(pw_hex));
    if (!rc)
        rc = bufferevent_write(c->bev, sb.data, sb.size);
    OPENSSL_cleanse(sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    OPENSSL_cleanse(key_hex, sizeof(key_hex));
    OPENSSL_cleanse(pw_hex, sizeof(pw_hex));
    return rc ? -1 : 0;
}

/* Connection usable: send what waits. */
static void forward_ready(struct forward_ctx *c)
{
    c->state = FWD_READY;
    evtimer_del(c->timer);
    output_log(c->out, LOG_DEBUG, "forward: ready on %s:%lld", c->host, (long long)c->port);
    if (c->inflight && !c->sent)
        forward_send(c);
}

static void forward_on_pong(struct forward_ctx *c, const struct forward_reply *r)
{
    char reason[200];
    char want[FORWARD_HEX_DIGEST_LEN + 1];
    if (!r->auth_ok) {
        log_escape(reason, sizeof(reason), r->reason.p, r->reason.len, '"');
        forward_fail(c, "authentication refused by the server: ", reason);
        return;
    }
    /* Mutual auth: only a server knowing shared_key can compute this. */
    struct span sp[] = { span_cstr(c->salt), r->server_hostname,
                         span_make((const char *)c->nonce, c->nonce_len),
                         span_cstr(c->shared_key) };
    if (forward_sha512_hex(want, sp, 4) < 0 || !forward_digest_eq(r->digest, want)) {
        OPENSSL_cleanse(want, sizeof(want));
        forward_fail(c, "server's PONG digest is wrong (not the same shared_key)", "");
        return;
    }
    OPENSSL_cleanse(want, sizeof(want));
    forward_ready(c);
}

static void forward_on_ack(struct forward_ctx *c, const struct forward_reply *r)
{
    if (!c->inflight || !c->sent || !c->require_ack) {
        forward_fail(c, "ack for no pending chunk", "");
        return;
    }
    for (size_t i = 0; i < c->enc.nchunks; i++) {
        if (!c->acked[i] && span_eq_cstr(r->chunk, c->enc.chunks[i])) {
            c->acked[i] = true;
            if (++c->nacked == c->enc.nchunks)
                forward_delivered(c);
            return;
        }
    }
    forward_fail(c, "ack does not match a pending chunk", "");
}

/* Returns false once the connection was closed (stop reading). */
static bool forward_on_reply(struct forward_ctx *c, const struct forward_reply *r)
{
    switch (r->type) {
    case FORWARD_REPLY_HELO:
        if (!c->shared_key) {
            forward_fail(c, "server requires authentication: set shared_key", "");
            return false;
        }
        if (c->state != FWD_HELO_WAIT) {
            forward_fail(c, "unexpected HELO", "");
            return false;
        }
        c->keepalive = r->keepalive;
        if (r->auth.len && (!c->username || !c->username[0])) {
            /* say what is missing rather than send an empty user and be
             * refused with the server's "username/password mismatch" */
            forward_fail(c, "server requires user authentication: set username and password", "");
            return false;
        }
        if (forward_ping(c, r) < 0) {
            forward_fail(c, "cannot build PING", "");
            return false;
        }
        c->state = FWD_PONG_WAIT;
        return true;
    case FORWARD_REPLY_PONG:
        if (c->state != FWD_PONG_WAIT) {
            forward_fail(c, "unexpected PONG", "");
            return false;
        }
        forward_on_pong(c, r);
        return c->bev != NULL;
    case FORWARD_REPLY_ACK:
        forward_on_ack(c, r);
        return c->bev != NULL;
    case FORWARD_REPLY_IGNORED:
    case FORWARD_REPLY_MORE:
        return true;
    case FORWARD_REPLY_BAD:
    case FORWARD_REPLY_ERROR:
        break;
    }
    forward_fail(c, "malformed reply from the server", "");
    return false;
}

static void forward_read_cb(struct bufferevent *bev, void *arg)
{
    struct forward_ctx *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    unsigned char tmp[4096];
    int n;
    while (c->bev == bev && (n = evbuffer_remove(in, tmp, sizeof(tmp))) > 0) {
        if (forward_reader_feed(c->reader, tmp, (size_t)n) < 0) {
            forward_fail(c, "reply larger than 64 KiB", "");
            return;
        }
        struct forward_reply r;
        while (forward_reader_next(c->reader, &r) != FORWARD_REPLY_MORE)
            if (!forward_on_reply(c, &r))
                return;
    }
}

static void forward_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct forward_ctx *c = arg;
    char why[512];
    if (what & BEV_EVENT_CONNECTED) {
        struct timeval wt = forward_tv(c->write_timeout_ms);
        bufferevent_set_timeouts(bev, NULL, &wt);
        bufferevent_enable(bev, EV_READ);
        c->keepalive = true;
        if (c->shared_key) {
            c->state = FWD_HELO_WAIT;       /* the timer set at connect still runs */
            return;
        }
        forward_ready(c);
        return;
    }
    if (what & BEV_EVENT_TIMEOUT) {
        forward_fail(c, c->state == FWD_READY ? "send timed out" : "connect timed out", "");
    } else if (what & BEV_EVENT_EOF) {
        if (c->state == FWD_READY && !c->inflight) {
            forward_close(c);               /* idle close: reconnect when needed */
            return;
        }
        forward_fail(c, c->state == FWD_HELO_WAIT || c->state == FWD_PONG_WAIT
                                  ? "connection closed during the handshake"
                                  : "connection closed by the server", "");
    } else {
        int dnserr = bufferevent_socket_get_dns_error(bev);
        if (dnserr)
            snprintf(why, sizeof(why), "resolve: %s", evutil_gai_strerror(dnserr));
        else
            tls_error_text(bev, why, sizeof(why));
        forward_fail(c, why, "");
    }
}

static void forward_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct forward_ctx *c = arg;
    (void)fd;
    (void)what;
    if (c->state == FWD_CONNECTING)
        forward_fail(c, "connect timed out", "");
    else if (c->state == FWD_HELO_WAIT || c->state == FWD_PONG_WAIT)
        forward_fail(c, c->state == FWD_HELO_WAIT
                                  ? "no HELO from the server (is shared_key set there?)"
                                  : "no PONG from the server", "");
    else if (c->inflight)
        forward_fail(c, "no ack within ack_timeout", "");
}

static int forward_connect(struct forward_ctx *c)
{
    struct event_base *base = c->out->vg->base;
    if (c->ssl_ctx)
        c->bev = tls_bufferevent_new(c->out, base, c->ssl_ctx, &c->tls, c->host);
    else
        c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!c->bev)
        return -1;
    bufferevent_setcb(c->bev, forward_read_cb, forward_write_cb, forward_event_cb, c);
    c->state = FWD_CONNECTING;
    forward_reader_reset(c->reader);
    forward_arm(c, c->connect_timeout_ms);  /* covers TLS and the handshake too */
    bufferevent_socket_connect_hostname(c->bev, c->dns, AF_UNSPEC, c->host, (int)c->port);
    return 0;
}

static int forward_init(struct output *out)
{
    struct forward_ctx *c = out->ctx;
    c->out = out;
    forward_encoder_init(&c->enc);
    if (!c->host || !c->host[0] || c->port < 1 || c->port > 65535) {
        output_log(out, LOG_ERROR, "forward: host and port (1..65535) are required");
        return -1;
    }
    if (out->conf && out->conf->common.compression == OUTPUT_COMPRESS_LZ4) {
        output_log(out, LOG_ERROR, "forward: compression lz4 is not part of the forward "
                                   "protocol: use none or gzip");
        return -1;
    }
    if (out->conf && out->conf->common.format != OUTPUT_FORMAT_MSGPACK) {
        output_log(out, LOG_ERROR, "forward: format must be msgpack");
        return -1;
    }
    if ((c->username || c->password) && !c->shared_key) {
        output_log(out, LOG_ERROR, "forward: username/password need shared_key");
        return -1;
    }
    if (c->password && (!c->username || !c->username[0])) {
        output_log(out, LOG_ERROR, "forward: password is set but username is missing: "
                                   "user authentication needs both");
        return -1;
    }
    if (c->ack_timeout_ms <= 0)
        c->ack_timeout_ms = 30000;
    if (c->connect_timeout_ms <= 0)
        c->connect_timeout_ms = 10000;
    if (c->write_timeout_ms <= 0)
        c->write_timeout_ms = 30000;
    if (c->tls.enabled && !(c->ssl_ctx = tls_ctx_new(out, &c->tls)))
        return -1;
    c->reader = malloc(sizeof(*c->reader));
    c->timer = evtimer_new(out->vg->base, forward_timer_cb, c);
    if (!c->reader || !c->timer) {
        output_log(out, LOG_ERROR, "forward: out of memory");
        return -1;
    }
    forward_reader_init(c->reader);
    c->dns = evdns_base_new(out->vg->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                               EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    return 0;
}

static void forward_flush(struct output *out, struct batch *b)
{
    struct forward_ctx *c = out->ctx;
    if (b->compression == OUTPUT_COMPRESS_LZ4) {
        output_error(out, "forward: batch is LZ4-compressed; the protocol cannot carry it");
        output_done(out, b, OUTPUT_REJECT);
        return;
    }
    struct forward_encode_opts o = {
        /* The core's writer leaves gzip to us: its batches say "none". */
        .gzip = b->compression == OUTPUT_COMPRESS_GZIP ||
                (out->conf && out->conf->common.compression == OUTPUT_COMPRESS_GZIP),
        .chunk = c->require_ack,
        .time_as_integer = c->time_as_integer,
    };
    enum forward_encode_result er = forward_encode(&c->enc, b->data, b->len, &o);
    if (er == FORWARD_ENC_MALFORMED) {
        output_error(out, "forward: batch %llu is not msgpack [tag, time, record] entries",
                     (unsigned long long)b->id);
        output_done(out, b, OUTPUT_REJECT);
        return;
    }
    bool *acked = er == FORWARD_ENC_OK ? calloc(c->enc.nchunks + 1, sizeof(bool)) : NULL;
    if (!acked) {
        output_error(out, "forward: out of memory encoding a batch");
        output_done(out, b, OUTPUT_RETRY);
        return;
    }
    b->wire_len = c->enc.wire.size;     /* what vigil_output_bytes_total counts */
    free(c->acked);
    c->acked = acked;
    c->nacked = 0;
    if (c->enc.nmessages == 0) {            /* nothing to send */
        output_done(out, b, OUTPUT_OK);
        return;
    }
    c->inflight = b;
    c->sent = false;
    if (!c->bev) {
        if (forward_connect(c) < 0)
            forward_fail(c, "cannot create the connection", "");
        return;
    }
    if (c->state == FWD_READY)
        forward_send(c);
}

static void forward_shutdown(struct forward_ctx *c)
{
    if (c->bev && c->ssl_ctx && c->state == FWD_READY) {
        SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
        if (ssl)
            SSL_shutdown(ssl);
    }
    forward_close(c);
}

static void forward_shutdown_cb(struct output *out)
{
    struct forward_ctx *c = out->ctx;
    if (!c->inflight)
        forward_shutdown(c);
}

static void forward_destroy(struct output *out)
{
    struct forward_ctx *c = out->ctx;
    if (!c)
        return;
    forward_close(c);
    forward_report(c, OUTPUT_RETRY);
    if (c->timer)
        event_free(c->timer);
    c->timer = NULL;
    if (c->reader) {
        forward_reader_fini(c->reader);
        free(c->reader);
        c->reader = NULL;
    }
    forward_encoder_fini(&c->enc);
    free(c->acked);
    c->acked = NULL;
    if (c->dns)
        evdns_base_free(c->dns, 1);
    c->dns = NULL;
    SSL_CTX_free(c->ssl_ctx);
    c->ssl_ctx = NULL;
}

/* Identity of the destination, for the disk buffer (output.h). */
static void forward_destination(const void *ctx, char *dst, size_t cap)
{
    const struct forward_ctx *c = ctx;
    snprintf(dst, cap, "%s:%lld", c->host ? c->host : "", (long long)c->port);
}

const struct output_plugin output_forward = {
    .name = "forward",
    .options = forward_options,
    .ctx_size = sizeof(struct forward_ctx),
    .default_format = OUTPUT_FORMAT_MSGPACK,
    .default_compression = OUTPUT_COMPRESS_NONE,
    .compressions = (1u << OUTPUT_COMPRESS_NONE) | (1u << OUTPUT_COMPRESS_GZIP),
    .destination = forward_destination,
    .init = forward_init,
    .flush = forward_flush,
    .shutdown = forward_shutdown_cb,
    .destroy = forward_destroy,
};
