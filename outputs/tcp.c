/* tcp.c - the `tcp` output: batches over a TCP (optionally TLS) stream.
 * Two modes (docs/wire-format.md has the frames, docs/guarantees.md the
 * promises):
 * - `ack: true` (at-least-once): each frame is a 4-byte big-endian length, an
 *   8-byte big-endian frame id, then the batch bytes; the receiver answers
 *   with the 8-byte id once it has taken the batch. Only that answer makes
 *   the batch delivered (OUTPUT_OK); a close, an error or no answer within
 *   ack_timeout makes it OUTPUT_RETRY, sent again on a new connection.
 * - `ack: false` (best-effort, the default for receivers that cannot
 *   answer): a frame is the length then the batch; a batch counts as sent
 *   once every byte has left vigil for the kernel. TCP cannot tell whether
 *   the peer read it, so when a connection fails every event written to it
 *   is counted as possibly lost (vigil_output_possibly_lost_total) and
 *   logged. A close with FIN while idle is a clean end (a peer closing with
 *   unread data resets the connection instead).
 * Any error closes the connection and makes the batch in flight
 * OUTPUT_RETRY; the next flush reconnects. A receiver must drop a frame cut
 * short by a closed connection: the whole batch is sent again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <openssl/ssl.h>
#include <event2/bufferevent_ssl.h>

#include "outputs/output.h"
#include "outputs/tls.h"
#include "sidecar/log.h"
#include "sidecar/vigil.h"

struct tcp_ctx {
    /* options */
    char *host;
    int64_t port;
    struct tls_conf tls;
    int64_t connect_timeout_ms;
    int64_t write_timeout_ms;
    bool ack;
    int64_t ack_timeout_ms;
    /* state */
    struct output *out;
    SSL_CTX *ssl_ctx;
    struct evdns_base *dns;
    struct bufferevent *bev;      /* NULL when not connected */
    bool connected;               /* bev finished connecting (and TLS handshake) */
    struct batch *inflight;       /* handed to flush, not yet reported */
    unsigned char hdr[12];        /* length prefix (and frame id) of inflight */
    bool written;                 /* inflight has left for the kernel (ack: waiting) */
    uint64_t frame_id;            /* id of the last frame sent (ack) */
    uint64_t conn_batches;        /* ack: false: sent on this connection, unconfirmed */
    uint64_t conn_events;
};

static const struct conf_option tcp_options[] = {
    { "host", CONF_STR, NULL, offsetof(struct tcp_ctx, host), 0, 0,
      "Receiver host name or address", .flags = CONF_REQUIRED },
    { "port", CONF_INT, NULL, offsetof(struct tcp_ctx, port), 1, 65535,
      "Receiver TCP port", .flags = CONF_REQUIRED },
    { "tls", CONF_SECTION, NULL, offsetof(struct tcp_ctx, tls), 0, 0,
      "TLS settings", .sub = tls_options },
    { "connect_timeout", CONF_DURATION, "10s", offsetof(struct tcp_ctx, connect_timeout_ms),
      1, 0, "Time allowed to connect (and finish the TLS handshake)" },
    { "write_timeout", CONF_DURATION, "30s", offsetof(struct tcp_ctx, write_timeout_ms),
      1, 0, "Time a batch may take to leave for the kernel" },
    { "ack", CONF_BOOL, "false", offsetof(struct tcp_ctx, ack), 0, 0,
      "true: at-least-once, the receiver answers each frame with its id (docs/wire-format.md); "
      "false: best-effort, what a failed connection held is counted as possibly lost" },
    { "ack_timeout", CONF_DURATION, "30s", offsetof(struct tcp_ctx, ack_timeout_ms), 1, 0,
      "with ack: time allowed for the receiver's answer after a frame is written" },
    { 0 }
};

static struct timeval tcp_tv(int64_t ms)
{
    struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
    return tv;
}

/* ack: false: the connection failed; whatever was written to it may not
 * have been read. Counted and said, never silently claimed as delivered. */
static void tcp_count_unconfirmed(struct tcp_ctx *c, const char *why)
{
    if (!c->conn_events)
        return;
    c->out->stats.possibly_lost += c->conn_events;
    output_log(c->out, LOG_WARN,
               "tcp: connection to %s:%lld failed (%s): %llu events in %llu batches written to it "
               "may be lost (ack: false is best-effort; ack: true retries them)",
               c->host, (long long)c->port, why, (unsigned long long)c->conn_events,
               (unsigned long long)c->conn_batches);
    c->conn_events = c->conn_batches = 0;
}

static void tcp_close(struct tcp_ctx *c)
{
    c->conn_events = c->conn_batches = 0;
    if (c->bev)
        bufferevent_free(c->bev);
    c->bev = NULL;
    c->connected = false;
}

/* Reports the batch in flight, if any. The connection is already closed or
 * idle here: output_done may call flush again at once. */
static void tcp_report(struct tcp_ctx *c, enum output_status st)
{
    struct batch *b = c->inflight;
    if (!b)
        return;
    c->inflight = NULL;
    c->written = false;
    output_done(c->out, b, st);
}

static void tcp_fail(struct tcp_ctx *c, const char *what, const char *why)
{
    output_error(c->out, "tcp: %s %s:%lld: %s", what, c->host, (long long)c->port, why);
    tcp_count_unconfirmed(c, why);
    tcp_close(c);
    tcp_report(c, OUTPUT_RETRY);
}

static void tcp_send(struct tcp_ctx *c)
{
    struct batch *b = c->inflight;
    struct evbuffer *o = bufferevent_get_output(c->bev);
    uint32_t n = (uint32_t)b->len;
    size_t hlen = 4;
    for (int i = 0; i < 4; i++)
        c->hdr[i] = (unsigned char)(n >> (24 - 8 * i));
    if (c->ack) {
        c->frame_id++;
        for (int i = 0; i < 8; i++)
            c->hdr[4 + i] = (unsigned char)(c->frame_id >> (56 - 8 * i));
        hlen = 12;
    }
    c->written = false;
    /* By reference: b stays alive until we report it, and on failure the
     * bufferevent (and these references) are freed before we report. */
    if (evbuffer_add_reference(o, c->hdr, hlen, NULL, NULL) < 0 ||
        evbuffer_add_reference(o, b->data, b->len, NULL, NULL) < 0) {
        tcp_fail(c, "buffer", "out of memory");
        return;
    }
    bufferevent_enable(c->bev, EV_WRITE);
}

static void tcp_write_cb(struct bufferevent *bev, void *arg)
{
    struct tcp_ctx *c = arg;
    if (!c->inflight || c->written || evbuffer_get_length(bufferevent_get_output(bev)) != 0)
        return;
    c->written = true;
    if (c->ack) {
        /* now the answer is due: the read timeout is the ack timeout */
        struct timeval at = tcp_tv(c->ack_timeout_ms), wt = tcp_tv(c->write_timeout_ms);
        bufferevent_set_timeouts(bev, &at, &wt);
        return;
    }
    c->conn_batches++;
    c->conn_events += c->inflight->n_events;
    tcp_report(c, OUTPUT_OK);
}

/* ack: the receiver answers each frame with its 8-byte id. Without ack it
 * sends nothing; reading only notices a close or reset while idle. */
static void tcp_read_cb(struct bufferevent *bev, void *arg)
{
    struct tcp_ctx *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (!c->ack) {
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    unsigned char idb[8];
    if (evbuffer_get_length(in) >= 8) {
        evbuffer_remove(in, idb, 8);
        uint64_t id = 0;
        for (int i = 0; i < 8; i++)
            id = id << 8 | idb[i];
        if (!c->inflight || id != c->frame_id) {
            char why[80];
            snprintf(why, sizeof(why), "unexpected acknowledgement %llu (waiting for %llu)",
                     (unsigned long long)id, (unsigned long long)(c->inflight ? c->frame_id : 0));
            tcp_fail(c, "ack from", why);
            return;
        }
        struct timeval wt = tcp_tv(c->write_timeout_ms);
        bufferevent_set_timeouts(bev, NULL, &wt);
        tcp_report(c, OUTPUT_OK);   /* may send the next frame on this connection */
        return;                     /* one frame in flight: nothing else can be due */
    }
}

static void tcp_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct tcp_ctx *c = arg;
    char why[512];
    if (what & BEV_EVENT_CONNECTED) {
        c->connected = true;
        struct timeval wt = tcp_tv(c->write_timeout_ms);
        bufferevent_set_timeouts(bev, NULL, &wt);
        bufferevent_enable(bev, EV_READ);
        output_log(c->out, LOG_DEBUG, "tcp: connected to %s:%lld%s", c->host,
                   (long long)c->port, c->tls.enabled ? " (tls)" : "");
        if (c->inflight)
            tcp_send(c);
        return;
    }
    const char *stage = c->connected ? "send to" : "connect to";
    if (what & BEV_EVENT_TIMEOUT) {
        tcp_fail(c, c->written ? "ack from" : stage, c->written ? "no acknowledgement in time" : "timed out");
    } else if (what & BEV_EVENT_EOF) {
        if (!c->inflight) {         /* idle clean close: reconnect on the next batch */
            output_log(c->out, LOG_DEBUG, "tcp: %s:%lld closed the connection", c->host,
                       (long long)c->port);
            tcp_close(c);
            return;
        }
        tcp_fail(c, stage, "connection closed by peer");
    } else {
        int dnserr = bufferevent_socket_get_dns_error(bev);
        if (dnserr)
            snprintf(why, sizeof(why), "resolve: %s", evutil_gai_strerror(dnserr));
        else
            tls_error_text(bev, why, sizeof(why));
        tcp_fail(c, stage, why);
    }
}

static int tcp_connect(struct tcp_ctx *c)
{
    struct event_base *base = c->out->vg->base;
    if (c->ssl_ctx)
        c->bev = tls_bufferevent_new(c->out, base, c->ssl_ctx, &c->tls, c->host);
    else
        c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!c->bev)
        return -1;
    bufferevent_setcb(c->bev, tcp_read_cb, tcp_write_cb, tcp_event_cb, c);
    bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
    struct timeval ct = tcp_tv(c->connect_timeout_ms);
    bufferevent_set_timeouts(c->bev, &ct, &ct);
    c->connected = false;
    /* Errors here (even synchronous ones) arrive through the event callback. */
    bufferevent_socket_connect_hostname(c->bev, c->dns, AF_UNSPEC, c->host, (int)c->port);
    return 0;
}

static int tcp_init(struct output *out)
{
    struct tcp_ctx *c = out->ctx;
    c->out = out;
    if (!c->host || !c->host[0] || c->port < 1 || c->port > 65535) {
        output_log(out, LOG_ERROR, "tcp: host and port (1..65535) are required");
        return -1;
    }
    if (c->connect_timeout_ms <= 0)
        c->connect_timeout_ms = 10000;
    if (c->write_timeout_ms <= 0)
        c->write_timeout_ms = 30000;
    if (c->ack_timeout_ms <= 0)
        c->ack_timeout_ms = 30000;
    if (c->tls.enabled && !(c->ssl_ctx = tls_ctx_new(out, &c->tls)))
        return -1;
    c->dns = evdns_base_new(out->vg->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                               EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    return 0;   /* a NULL dns base falls back to blocking resolution */
}

static void tcp_flush(struct output *out, struct batch *b)
{
    struct tcp_ctx *c = out->ctx;
    if (b->len > UINT32_MAX) {
        output_error(out, "tcp: batch of %zu bytes does not fit the 4-byte length", b->len);
        output_done(out, b, OUTPUT_REJECT);
        return;
    }
    c->inflight = b;
    if (!c->bev) {
        if (tcp_connect(c) < 0) {
            tcp_fail(c, "connect to", "cannot create the connection");
            return;
        }
        return;             /* sent from the event callback once connected */
    }
    if (c->connected)
        tcp_send(c);
}

static void tcp_shutdown(struct output *out)
{
    struct tcp_ctx *c = out->ctx;
    if (c->bev && c->connected && !c->inflight && c->ssl_ctx) {
        SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
        if (ssl)
            SSL_shutdown(ssl);  /* a clean close_notify for the receiver */
    }
    if (!c->inflight)
        tcp_close(c);
}

static void tcp_destroy(struct output *out)
{
    struct tcp_ctx *c = out->ctx;
    if (!c)
        return;
    tcp_close(c);
    tcp_report(c, OUTPUT_RETRY);
    if (c->dns)
        evdns_base_free(c->dns, 1);
    c->dns = NULL;
    SSL_CTX_free(c->ssl_ctx);
    c->ssl_ctx = NULL;
}

/* Identity of the destination, for the disk buffer (output.h). */
static void tcp_destination(const void *ctx, char *dst, size_t cap)
{
    const struct tcp_ctx *c = ctx;
    snprintf(dst, cap, "%s:%lld", c->host ? c->host : "", (long long)c->port);
}

const struct output_plugin output_tcp = {
    .name = "tcp",
    .options = tcp_options,
    .ctx_size = sizeof(struct tcp_ctx),
    .default_format = OUTPUT_FORMAT_MSGPACK,
    .default_compression = OUTPUT_COMPRESS_LZ4,
    .wire_version = 2,
    .compressions = (1u << OUTPUT_COMPRESS_NONE) | (1u << OUTPUT_COMPRESS_LZ4),
    .destination = tcp_destination,
    .init = tcp_init,
    .flush = tcp_flush,
    .shutdown = tcp_shutdown,
    .destroy = tcp_destroy,
};
