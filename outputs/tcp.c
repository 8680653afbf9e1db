/* tcp.c - the `tcp` output: batches over a TCP (optionally TLS) stream.
 * Framing: each batch is a 4-byte big-endian length, then the batch bytes.
 * TCP has no acknowledgement: a batch counts as delivered (OUTPUT_OK) once
 * every byte has left vigil's buffer for the kernel (the write callback with
 * the low watermark at 0). Bytes the kernel still held when the connection
 * broke are lost to the peer; the core cannot know. Any error closes the
 * connection and makes the batch OUTPUT_RETRY; the next flush reconnects.
 * A receiver must drop a frame cut short by a closed connection: the whole
 * batch is sent again on the next connection. */
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
    /* state */
    struct output *out;
    SSL_CTX *ssl_ctx;
    struct evdns_base *dns;
    struct bufferevent *bev;      /* NULL when not connected */
    bool connected;               /* bev finished connecting (and TLS handshake) */
    struct batch *inflight;       /* handed to flush, not yet reported */
    unsigned char hdr[4];         /* length prefix of inflight */
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
    { 0 }
};

static struct timeval tcp_tv(int64_t ms)
{
    struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
    return tv;
}

static void tcp_close(struct tcp_ctx *c)
{
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
    output_done(c->out, b, st);
}

static void tcp_fail(struct tcp_ctx *c, const char *what, const char *why)
{
    output_error(c->out, "tcp: %s %s:%lld: %s", what, c->host, (long long)c->port, why);
    tcp_close(c);
    tcp_report(c, OUTPUT_RETRY);
}

static void tcp_send(struct tcp_ctx *c)
{
    struct batch *b = c->inflight;
    struct evbuffer *o = bufferevent_get_output(c->bev);
    uint32_t n = (uint32_t)b->len;
    c->hdr[0] = (unsigned char)(n >> 24);
    c->hdr[1] = (unsigned char)(n >> 16);
    c->hdr[2] = (unsigned char)(n >> 8);
    c->hdr[3] = (unsigned char)n;
    /* By reference: b stays alive until we report it, and on failure the
     * bufferevent (and these references) are freed before we report. */
    if (evbuffer_add_reference(o, c->hdr, 4, NULL, NULL) < 0 ||
        evbuffer_add_reference(o, b->data, b->len, NULL, NULL) < 0) {
        tcp_fail(c, "buffer", "out of memory");
        return;
    }
    bufferevent_enable(c->bev, EV_WRITE);
}

static void tcp_write_cb(struct bufferevent *bev, void *arg)
{
    struct tcp_ctx *c = arg;
    if (c->inflight && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        tcp_report(c, OUTPUT_OK);
}

/* The receiver sends nothing; reading only notices a close while idle. */
static void tcp_read_cb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    evbuffer_drain(in, evbuffer_get_length(in));
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
        tcp_fail(c, stage, "timed out");
    } else if (what & BEV_EVENT_EOF) {
        if (!c->inflight) {         /* idle close: reconnect on the next batch */
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

const struct output_plugin output_tcp = {
    .name = "tcp",
    .options = tcp_options,
    .ctx_size = sizeof(struct tcp_ctx),
    .default_format = OUTPUT_FORMAT_MSGPACK,
    .default_compression = OUTPUT_COMPRESS_LZ4,
    .init = tcp_init,
    .flush = tcp_flush,
    .shutdown = tcp_shutdown,
    .destroy = tcp_destroy,
};
