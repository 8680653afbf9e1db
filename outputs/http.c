/* http.c - the `http` output: one POST (or PUT) per batch to `url`.
 * The body is the batch as the core built it: msgpack entries or JSON lines,
 * LZ4-framed (Content-Encoding: lz4) or, with `compression: gzip`, one gzip
 * member made here (Content-Encoding: gzip). The status is the
 * acknowledgement: 2xx = delivered; 429, 5xx, 408, redirects and transport
 * errors = retry, honouring Retry-After (seconds or an HTTP-date) through b->not_before_ms;
 * any other 4xx = rejected for good, logged with the status and the start
 * of the reply body. Uses libevent's evhttp client (outputs/http_client.c);
 * for https its connection is built on an OpenSSL bufferevent (outputs/tls.c).
 * An SSL object cannot be reused after its connection closes, so a closed or
 * failed connection is replaced, not reconnected. Results are reported from
 * our own event, never from inside evhttp's callback, so the core may flush
 * again at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>

#include "outputs/gzip.h"
#include "outputs/http_client.h"
#include "outputs/output.h"
#include "outputs/tls.h"
#include "sidecar/log.h"
#include "sidecar/vigil.h"
#include "sidecar/clock.h"

#define HTTP_RETRY_AFTER_MAX_S 3600          /* longer asks are capped */

enum http_method { HTTP_METHOD_POST, HTTP_METHOD_PUT };

struct http_ctx {
    /* options */
    char *url;
    struct conf_strmap headers;
    int method;                   /* enum http_method */
    int64_t timeout_ms;
    struct tls_conf tls;
    /* parsed url */
    bool https;
    char *host;
    int port;
    char *path;                   /* path and query */
    char host_header[300];
    /* state */
    struct output *out;
    SSL_CTX *ssl_ctx;
    struct evdns_base *dns;
    struct evhttp_connection *conn;
    bool conn_stale;              /* closed or failed: replace before the next request */
    struct batch *inflight;
    struct event *report_ev;      /* delivers `result` outside evhttp's callbacks */
    enum output_status result;
    char error[256];              /* transport error of the request in flight */
    struct gzip_enc gz;           /* compression: gzip */
};

static const char *const http_methods[] = { "POST", "PUT", NULL };

static const struct conf_option http_options[] = {
    { "url", CONF_STR, NULL, offsetof(struct http_ctx, url), 0, 0,
      "http:// or https:// URL batches are sent to", .flags = CONF_REQUIRED },
    { "headers", CONF_STRMAP, NULL, offsetof(struct http_ctx, headers), 0, 0,
      "Extra request headers (e.g. Authorization)" },
    { "method", CONF_ENUM, "POST", offsetof(struct http_ctx, method), 0, 0,
      "POST or PUT", http_methods },
    { "timeout", CONF_DURATION, "30s", offsetof(struct http_ctx, timeout_ms), 1, 0,
      "Time allowed for connecting, sending and the reply" },
    { "tls", CONF_SECTION, NULL, offsetof(struct http_ctx, tls), 0, 0,
      "TLS settings for https URLs", .sub = tls_options },
    { 0 }
};

static const char *http_content_type(int format)
{
    switch (format) {
    case OUTPUT_FORMAT_JSON: return "application/x-ndjson";
    case OUTPUT_FORMAT_TEXT: return "text/plain; charset=utf-8";
    default:                 return "application/vnd.msgpack";
    }
}

static int http_parse_url(struct output *out, struct http_ctx *c)
{
    return http_client_parse_url(out, "http: url", c->url, false, &c->https, &c->port, &c->host,
                                 &c->path, c->host_header, sizeof(c->host_header));
}

static void http_close_cb(struct evhttp_connection *conn, void *arg)
{
    struct http_ctx *c = arg;
    if (conn == c->conn)
        c->conn_stale = true;
}

static int http_conn_new(struct http_ctx *c)
{
    c->conn = http_client_connect(c->out, c->https ? c->ssl_ctx : NULL, &c->tls, c->dns, c->host,
                                  c->port, c->timeout_ms, http_close_cb, c);
    if (!c->conn)
        return -1;
    c->conn_stale = false;
    return 0;
}

static void http_conn_free(struct http_ctx *c)
{
    if (c->conn) {
        struct evhttp_connection *conn = c->conn;
        c->conn = NULL;
        evhttp_connection_free(conn);   /* drops a pending request without its callback */
    }
}

static void http_report_cb(evutil_socket_t fd, short what, void *arg)
{
    struct http_ctx *c = arg;
    (void)fd;
    (void)what;
    struct batch *b = c->inflight;
    if (!b)
        return;
    c->inflight = NULL;
    output_done(c->out, b, c->result);
}

/* Called from evhttp: remember, report from our own event. */
static void http_finish(struct http_ctx *c, enum output_status st)
{
    c->result = st;
    event_active(c->report_ev, EV_TIMEOUT, 0);
}

static void http_error_cb(enum evhttp_request_error e, void *arg)
{
    struct http_ctx *c = arg;
    http_client_error_text(c->conn, e, c->error, sizeof(c->error));
}

/* Seconds of a Retry-After header (delay-seconds or HTTP-date), or -1
 * (absent or junk): one parser for the http and otlp outputs. */
static long http_retry_after(struct evhttp_request *req)
{
    const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), "Retry-After");
    return http_client_retry_after(v, time(NULL), HTTP_RETRY_AFTER_MAX_S);
}

static void http_done_cb(struct evhttp_request *req, void *arg)
{
    struct http_ctx *c = arg;
    struct batch *b = c->inflight;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    if (!b)
        return;
    if (code == 0) {
        c->conn_stale = true;
        output_error(c->out, "http: %s %s:%d: %s", http_methods[c->method], c->host, c->port,
                     c->error[0] ? c->error : "connection failed");
        http_finish(c, OUTPUT_RETRY);
        return;
    }
    if (code >= 200 && code < 300) {
        http_finish(c, OUTPUT_OK);
        return;
    }
    char body[160];
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    unsigned char *p = evbuffer_pullup(in, n < 120 ? (ssize_t)n : 120);
    log_escape(body, sizeof(body), (const char *)p, n < 120 ? n : 120, '"');
    if (code == 429 || code == 408 || code >= 500 || code < 200 || (code >= 300 && code < 400)) {
        long after = http_retry_after(req);
        if (after >= 0)
            b->not_before_ms = vigil_mono_ms() + after * 1000;
        char when[40] = "";
        if (after >= 0)
            snprintf(when, sizeof(when), " after %lds", after);
        output_error(c->out, "http: %s%s: status %d, retry%s: \"%s\"", c->host_header, c->path,
                     code, when, body);
        http_finish(c, OUTPUT_RETRY);
        return;
    }
    output_error(c->out, "http: %s%s: status %d, batch rejected: \"%s\"", c->host_header, c->path,
                 code, body);
    http_finish(c, OUTPUT_REJECT);
}

static int http_init(struct output *out)
{
    struct http_ctx *c = out->ctx;
    c->out = out;
    if (!c->url || !c->url[0]) {
        output_log(out, LOG_ERROR, "http: url is required");
        return -1;
    }
    if (http_parse_url(out, c) < 0)
        return -1;
    for (size_t i = 0; i < c->headers.n; i++) {
        if (!http_client_header_ok(c->headers.k[i], c->headers.v[i])) {
            output_log(out, LOG_ERROR, "http: header \"%s\" has a bad name or value",
                       c->headers.k[i]);
            return -1;
        }
    }
    if (c->timeout_ms <= 0)
        c->timeout_ms = 30000;
    if (c->https && !(c->ssl_ctx = tls_ctx_new(out, &c->tls)))
        return -1;
    if (!c->https && c->tls.enabled) {
        output_log(out, LOG_ERROR, "http: tls.enabled needs an https:// url");
        return -1;
    }
    c->report_ev = event_new(out->vg->base, -1, 0, http_report_cb, c);
    if (!c->report_ev)
        return -1;
    c->dns = evdns_base_new(out->vg->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                               EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    return 0;
}

static void http_flush(struct output *out, struct batch *b)
{
    struct http_ctx *c = out->ctx;
    c->inflight = b;
    c->error[0] = '\0';
    if (c->conn && c->conn_stale)
        http_conn_free(c);
    if (!c->conn && http_conn_new(c) < 0) {
        http_finish(c, OUTPUT_RETRY);
        return;
    }
    struct evhttp_request *req = evhttp_request_new(http_done_cb, c);
    if (!req) {
        http_finish(c, OUTPUT_RETRY);
        return;
    }
    evhttp_request_set_error_cb(req, http_error_cb);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", c->host_header);
    evhttp_add_header(h, "User-Agent", "vigil");
    evhttp_add_header(h, "Content-Type", http_content_type(b->format));
    const void *body = b->data;
    size_t blen = b->len;
    if (b->compression == OUTPUT_COMPRESS_LZ4) {
        evhttp_add_header(h, "Content-Encoding", "lz4");
    } else if (out->conf && out->conf->common.compression == OUTPUT_COMPRESS_GZIP) {
        /* the core leaves gzip to us; a batch replayed from the disk buffer
         * was stored as the writer made it */
        if (gzip_member(&c->gz, b->data, b->len) < 0) {
            evhttp_request_free(req);
            output_error(out, "http: gzip failed");
            http_finish(c, OUTPUT_RETRY);
            return;
        }
        evhttp_add_header(h, "Content-Encoding", "gzip");
        body = c->gz.out.p;
        blen = c->gz.out.len;
    }
    b->wire_len = blen;
    for (size_t i = 0; i < c->headers.n; i++)
        evhttp_add_header(h, c->headers.k[i], c->headers.v[i]);
    if (evbuffer_add(evhttp_request_get_output_buffer(req), body, blen) < 0) {
        evhttp_request_free(req);
        http_finish(c, OUTPUT_RETRY);
        return;
    }
    enum evhttp_cmd_type cmd = c->method == HTTP_METHOD_PUT ? EVHTTP_REQ_PUT : EVHTTP_REQ_POST;
    if (evhttp_make_request(c->conn, req, cmd, c->path) < 0) {
        /* evhttp freed req */
        c->conn_stale = true;
        output_error(out, "http: cannot start a request to %s", c->host_header);
        http_finish(c, OUTPUT_RETRY);
    }
}

static void http_destroy(struct output *out)
{
    struct http_ctx *c = out->ctx;
    if (!c)
        return;
    http_conn_free(c);
    if (c->inflight) {
        struct batch *b = c->inflight;
        c->inflight = NULL;
        output_done(out, b, c->report_ev && event_pending(c->report_ev, EV_TIMEOUT, NULL) ?
                                c->result : OUTPUT_RETRY);
    }
    if (c->report_ev)
        event_free(c->report_ev);
    c->report_ev = NULL;
    if (c->dns)
        evdns_base_free(c->dns, 1);
    c->dns = NULL;
    SSL_CTX_free(c->ssl_ctx);
    c->ssl_ctx = NULL;
    gzip_enc_free(&c->gz);
    free(c->host);
    free(c->path);
    c->host = c->path = NULL;
}

/* Identity of the destination, for the disk buffer (output.h). */
static void http_destination(const void *ctx, char *dst, size_t cap)
{
    const struct http_ctx *c = ctx;
    snprintf(dst, cap, "%s", c->url ? c->url : "");
}

const struct output_plugin output_http = {
    .name = "http",
    .options = http_options,
    .ctx_size = sizeof(struct http_ctx),
    .default_format = OUTPUT_FORMAT_MSGPACK,
    .default_compression = OUTPUT_COMPRESS_LZ4,
    .wire_version = 2,
    .compressions = (1u << OUTPUT_COMPRESS_NONE) | (1u << OUTPUT_COMPRESS_LZ4) | (1u << OUTPUT_COMPRESS_GZIP),
    .destination = http_destination,
    .init = http_init,
    .flush = http_flush,
    .destroy = http_destroy,
};
