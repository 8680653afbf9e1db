/* otlp.c - the `otlp` output: OpenTelemetry logs over OTLP/HTTP.
 * Each record is encoded as an OTLP LogRecord when it joins a batch (the
 * plugin's encode hook, outputs/otlp_encode.c), so the delivery core batches,
 * retries and spools LogRecords like any other batch; a flush wraps them in
 * one ExportLogsServiceRequest, gzips it when `compression: gzip`, and POSTs
 * it to {endpoint}/v1/logs. The batch's format byte records the encoding it
 * was written in (msgpack = protobuf, json = OTLP/JSON), so a disk buffer
 * left by a run with the other `encoding` is still sent correctly.
 * Replies follow the OTLP/HTTP specification: 2xx = delivered, its
 * partial_success.rejected_log_records counted as rejected and logged, never
 * retried; 429, 502, 503, 504 and transport errors = retry, honouring
 * Retry-After (seconds or an HTTP-date); any other status = rejected for good.
 * The connection is the http output's (outputs/http_client.c): evhttp, with
 * an OpenSSL bufferevent for https, replaced (not reconnected) once closed;
 * results are reported from our own event, never from evhttp's callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ssl.h>

#include "outputs/http_client.h"
#include "outputs/otlp_encode.h"
#include "outputs/output.h"
#include "outputs/tls.h"
#include "sidecar/clock.h"
#include "sidecar/log.h"
#include "sidecar/vigil.h"

#define OTLP_RETRY_AFTER_MAX_S 3600          /* longer asks are capped */
#define OTLP_PATH "/v1/logs"

struct otlp_ctx {
    /* options */
    char *endpoint;
    int encoding;                 /* enum otlp_encoding */
    struct conf_strmap headers;
    char *service_name;
    char *k8s_pod_name, *k8s_namespace_name, *k8s_node_name;
    int64_t timeout_ms;
    struct tls_conf tls;
    /* parsed endpoint */
    bool https, gzip;
    bool common_taken;            /* gzip read from the common options (once) */
    char *host;
    int port;
    char *path;                   /* endpoint path + /v1/logs */
    char host_header[300];
    /* state */
    struct output *out;
    struct otlp_encoder *enc;
    struct buf gz;                /* gzipped request body, reused */
    z_stream z;
    bool z_ready;
    SSL_CTX *ssl_ctx;
    struct evdns_base *dns;
    struct evhttp_connection *conn;
    bool conn_stale;              /* closed or failed: replace before the next request */
    struct batch *inflight;
    struct event *report_ev;      /* delivers `result` outside evhttp's callbacks */
    enum output_status result;
    int64_t rejected;             /* partial success of the batch being reported */
    size_t sent;                  /* bytes of its request body (after gzip) */
    char error[256];              /* transport error of the request in flight */
};

static const char *const otlp_encodings[] = { "protobuf", "json", NULL };

static const struct conf_option otlp_options[] = {
    { "endpoint", CONF_STR, NULL, offsetof(struct otlp_ctx, endpoint), 0, 0,
      "http:// or https:// base URL of the OTLP/HTTP receiver; logs go to {endpoint}/v1/logs",
      .flags = CONF_REQUIRED },
    { "encoding", CONF_ENUM, "protobuf", offsetof(struct otlp_ctx, encoding), 0, 0,
      "protobuf (application/x-protobuf) or json (OTLP/JSON); compression: gzip gzips requests",
      otlp_encodings },
    { "headers", CONF_STRMAP, NULL, offsetof(struct otlp_ctx, headers), 0, 0,
      "Extra request headers, e.g. an API key from ${VAR}; values are masked in --validate",
      .flags = CONF_MASKED },
    { "service_name", CONF_STR, "vigil", offsetof(struct otlp_ctx, service_name), 0, 0,
      "Resource attribute service.name" },
    { "k8s_pod_name", CONF_STR, NULL, offsetof(struct otlp_ctx, k8s_pod_name), 0, 0,
      "Resource attribute k8s.pod.name (default: $POD_NAME when set)" },
    { "k8s_namespace_name", CONF_STR, NULL, offsetof(struct otlp_ctx, k8s_namespace_name), 0, 0,
      "Resource attribute k8s.namespace.name (default: $POD_NAMESPACE when set)" },
    { "k8s_node_name", CONF_STR, NULL, offsetof(struct otlp_ctx, k8s_node_name), 0, 0,
      "Resource attribute k8s.node.name (default: $NODE_NAME when set)" },
    { "timeout", CONF_DURATION, "30s", offsetof(struct otlp_ctx, timeout_ms), 1, 0,
      "Time allowed for connecting, sending and the reply" },
    { "tls", CONF_SECTION, NULL, offsetof(struct otlp_ctx, tls), 0, 0,
      "TLS settings for https endpoints", .sub = tls_options },
    { 0 }
};

/* The encoding a batch was written in (its format byte, see the top). */
static int otlp_batch_encoding(const struct batch *b)
{
    return b->format == OUTPUT_FORMAT_JSON ? OTLP_ENC_JSON : OTLP_ENC_PROTOBUF;
}

static int otlp_parse_endpoint(struct output *out, struct otlp_ctx *c)
{
    char *base = NULL;
    if (http_client_parse_url(out, "otlp: endpoint", c->endpoint, true, &c->https, &c->port,
                              &c->host, &base, c->host_header, sizeof(c->host_header)) < 0) {
        free(base);
        return -1;
    }
    size_t bl = strlen(base);
    c->path = malloc(bl + sizeof(OTLP_PATH));
    if (c->path) {
        memcpy(c->path, base, bl);
        memcpy(c->path + bl, OTLP_PATH, sizeof(OTLP_PATH));
    } else {
        output_log(out, LOG_ERROR, "otlp: out of memory");
    }
    free(base);
    return c->path ? 0 : -1;
}

static void otlp_close_cb(struct evhttp_connection *conn, void *arg)
{
    struct otlp_ctx *c = arg;
    if (conn == c->conn)
        c->conn_stale = true;
}

static int otlp_conn_new(struct otlp_ctx *c)
{
    c->conn = http_client_connect(c->out, c->https ? c->ssl_ctx : NULL, &c->tls, c->dns, c->host,
                                  c->port, c->timeout_ms, otlp_close_cb, c);
    if (!c->conn)
        return -1;
    c->conn_stale = false;
    return 0;
}

static void otlp_conn_free(struct otlp_ctx *c)
{
    if (c->conn) {
        struct evhttp_connection *conn = c->conn;
        c->conn = NULL;
        evhttp_connection_free(conn);   /* drops a pending request without its callback */
    }
}

static void otlp_report_cb(evutil_socket_t fd, short what, void *arg)
{
    struct otlp_ctx *c = arg;
    (void)fd;
    (void)what;
    struct batch *b = c->inflight;
    if (!b)
        return;
    c->inflight = NULL;
    /* output_done may start the next batch at once: read ours first */
    uint64_t n = b->n_events, rejected = c->rejected > 0 ? (uint64_t)c->rejected : 0;
    size_t len = b->len, sent = c->sent;
    enum output_status st = c->result;
    output_done(c->out, b, st);
    if (st == OUTPUT_OK)   /* the core counted the records; the wire had the request */
        c->out->stats.bytes_wire = c->out->stats.bytes_wire - len + sent;
    if (st == OUTPUT_OK && rejected) {
        /* delivered, but the receiver dropped some: they are not "events" */
        if (rejected > n)
            rejected = n;
        c->out->stats.events -= rejected;
        c->out->stats.rejected += rejected;
    }
}

/* Called from evhttp: remember, report from our own event. */
static void otlp_finish(struct otlp_ctx *c, enum output_status st)
{
    c->result = st;
    event_active(c->report_ev, EV_TIMEOUT, 0);
}

static void otlp_error_cb(enum evhttp_request_error e, void *arg)
{
    struct otlp_ctx *c = arg;
    http_client_error_text(c->conn, e, c->error, sizeof(c->error));
}

static bool otlp_retryable(int code)
{
    return code == 429 || code == 502 || code == 503 || code == 504;
}

static void otlp_done_cb(struct evhttp_request *req, void *arg)
{
    struct otlp_ctx *c = arg;
    struct batch *b = c->inflight;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    if (!b)
        return;
    if (code == 0) {
        c->conn_stale = true;
        output_error(c->out, "otlp: POST %s%s: %s", c->host_header, c->path,
                     c->error[0] ? c->error : "connection failed");
        otlp_finish(c, OUTPUT_RETRY);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    const unsigned char *p = evbuffer_pullup(in, -1);
    if (code >= 200 && code < 300) {
        char msg[200], shown[200];
        if (otlp_parse_response(otlp_batch_encoding(b), p, n, &c->rejected, msg,
                                sizeof(msg)) < 0) {
            output_log(c->out, LOG_WARN, "otlp: %s%s: status %d with a reply that is not an "
                       "ExportLogsServiceResponse (taken as delivered)", c->host_header, c->path,
                       code);
        } else if (c->rejected > 0) {
            log_escape(shown, sizeof(shown), msg, strlen(msg), '"');
            output_error(c->out, "otlp: %s%s: partial success: %lld of %u log records "
                         "rejected: \"%s\"", c->host_header, c->path, (long long)c->rejected,
                         (unsigned)b->n_events, shown);
        }
        otlp_finish(c, OUTPUT_OK);
        return;
    }
    char body[160];
    log_escape(body, sizeof(body), (const char *)p, n < 120 ? n : 120, '"');
    if (otlp_retryable(code)) {
        long after = http_client_retry_after(
            evhttp_find_header(evhttp_request_get_input_headers(req), "Retry-After"), time(NULL),
            OTLP_RETRY_AFTER_MAX_S);
        if (after >= 0)
            b->not_before_ms = vigil_mono_ms() + after * 1000;
        char when[40] = "";
        if (after >= 0)
            snprintf(when, sizeof(when), " after %lds", after);
        output_error(c->out, "otlp: %s%s: status %d, retry%s: \"%s\"", c->host_header, c->path,
                     code, when, body);
        otlp_finish(c, OUTPUT_RETRY);
        return;
    }
    output_error(c->out, "otlp: %s%s: status %d, batch rejected: \"%s\"", c->host_header,
                 c->path, code, body);
    otlp_finish(c, OUTPUT_REJECT);
}

static int otlp_encode(struct output *out, struct buf *b, const struct record *r)
{
    struct otlp_ctx *c = out->ctx;
    return otlp_encode_record(c->enc, c->encoding, b, r);
}

/* c->gz = gzip of the request's three parts, at level 1: next to the
 * workload, CPU is dearer than the last percent of bytes. */
static int otlp_gzip(struct otlp_ctx *c, const struct otlp_request *rq)
{
    if (!c->z_ready) {
        if (deflateInit2(&c->z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return -1;
        c->z_ready = true;
    } else if (deflateReset(&c->z) != Z_OK) {
        return -1;
    }
    size_t need = deflateBound(&c->z, (uLong)(rq->head_len + rq->records_len + rq->tail_len)) + 64;
    c->gz.len = 0;
    if (buf_reserve(&c->gz, need) < 0)
        return -1;
    c->z.next_out = c->gz.p;
    c->z.avail_out = (uInt)need;
    const struct { const unsigned char *p; size_t n; int flush; } part[] = {
        { rq->head, rq->head_len, Z_NO_FLUSH },
        { rq->records, rq->records_len, Z_NO_FLUSH },
        { rq->tail, rq->tail_len, Z_FINISH },
    };
    for (size_t i = 0; i < 3; i++) {
        c->z.next_in = (Bytef *)part[i].p;
        c->z.avail_in = (uInt)part[i].n;
        int zr = deflate(&c->z, part[i].flush);
        if (part[i].flush == Z_FINISH ? zr != Z_STREAM_END : (zr != Z_OK || c->z.avail_in))
            return -1;
    }
    c->gz.len = need - c->z.avail_out;
    return 0;
}

static void otlp_destroy(struct output *out);

static int otlp_setup(struct output *out)
{
    struct otlp_ctx *c = out->ctx;
    c->out = out;
    if (!c->endpoint || !c->endpoint[0]) {
        output_log(out, LOG_ERROR, "otlp: endpoint is required");
        return -1;
    }
    if (otlp_parse_endpoint(out, c) < 0)
        return -1;
    for (size_t i = 0; i < c->headers.n; i++) {
        if (!http_client_header_ok(c->headers.k[i], c->headers.v[i])) {
            output_log(out, LOG_ERROR, "otlp: header \"%s\" has a bad name or value",
                       c->headers.k[i]);
            return -1;
        }
    }
    /* The core batches our LogRecords: its format byte only says which
     * encoding; gzip is ours (the whole request), LZ4 is not OTLP. The
     * options are read once: a configuration is started again (reload
     * rollback) with what this changed in it. */
    struct output_common *cm = &out->conf->common;
    if (!c->common_taken) {
        if (cm->compression == OUTPUT_COMPRESS_LZ4) {
            output_log(out, LOG_ERROR, "otlp: compression lz4 is not part of OTLP: use none or "
                                       "gzip");
            return -1;
        }
        if (cm->format != OUTPUT_FORMAT_MSGPACK) {
            output_log(out, LOG_ERROR, "otlp: format does not apply (OTLP log records are sent): "
                                       "use encoding: protobuf or json");
            return -1;
        }
        c->gzip = cm->compression == OUTPUT_COMPRESS_GZIP;
        c->common_taken = true;
    }
    cm->compression = OUTPUT_COMPRESS_NONE;
    cm->format = c->encoding == OTLP_ENC_JSON ? OUTPUT_FORMAT_JSON : OUTPUT_FORMAT_MSGPACK;
    if (c->timeout_ms <= 0)
        c->timeout_ms = 30000;
    if (c->https && !(c->ssl_ctx = tls_ctx_new(out, &c->tls)))
        return -1;
    if (!c->https && c->tls.enabled) {
        output_log(out, LOG_ERROR, "otlp: tls.enabled needs an https:// endpoint");
        return -1;
    }
    struct otlp_resource res = {
        .service_name = c->service_name,
        .host_name = out->vg->hostname,
        .k8s_pod_name = c->k8s_pod_name ? c->k8s_pod_name : getenv("POD_NAME"),
        .k8s_namespace_name = c->k8s_namespace_name ? c->k8s_namespace_name
                                                    : getenv("POD_NAMESPACE"),
        .k8s_node_name = c->k8s_node_name ? c->k8s_node_name : getenv("NODE_NAME"),
    };
    c->enc = otlp_encoder_new(&res);
    c->report_ev = event_new(out->vg->base, -1, 0, otlp_report_cb, c);
    if (!c->enc || !c->report_ev) {
        output_log(out, LOG_ERROR, "otlp: out of memory");
        return -1;
    }
    c->dns = evdns_base_new(out->vg->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                               EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    return 0;
}

/* The core calls destroy only after a successful init: undo a partial one. */
static int otlp_init(struct output *out)
{
    if (otlp_setup(out) == 0)
        return 0;
    otlp_destroy(out);
    return -1;
}

static void otlp_flush(struct output *out, struct batch *b)
{
    struct otlp_ctx *c = out->ctx;
    c->inflight = b;
    c->error[0] = '\0';
    c->rejected = 0;
    c->sent = 0;
    int enc = otlp_batch_encoding(b);
    struct otlp_request rq;
    int rc = otlp_request_parts(c->enc, enc, b->data, b->len, &rq);
    if (rc == -2) {
        output_error(out, "otlp: batch %llu holds no OTLP log records (disk buffer of another "
                     "output type?)", (unsigned long long)b->id);
        otlp_finish(c, OUTPUT_REJECT);
        return;
    }
    if (rc < 0 || (c->gzip && otlp_gzip(c, &rq) < 0)) {
        output_error(out, "otlp: out of memory building a request");
        otlp_finish(c, OUTPUT_RETRY);
        return;
    }
    if (c->conn && c->conn_stale)
        otlp_conn_free(c);
    if (!c->conn && otlp_conn_new(c) < 0) {
        otlp_finish(c, OUTPUT_RETRY);
        return;
    }
    struct evhttp_request *req = evhttp_request_new(otlp_done_cb, c);
    if (!req) {
        otlp_finish(c, OUTPUT_RETRY);
        return;
    }
    evhttp_request_set_error_cb(req, otlp_error_cb);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", c->host_header);
    evhttp_add_header(h, "User-Agent", "vigil");
    evhttp_add_header(h, "Content-Type",
                      enc == OTLP_ENC_JSON ? "application/json" : "application/x-protobuf");
    if (c->gzip)
        evhttp_add_header(h, "Content-Encoding", "gzip");
    for (size_t i = 0; i < c->headers.n; i++)
        evhttp_add_header(h, c->headers.k[i], c->headers.v[i]);
    /* The batch stays the core's until output_done, after the request is
     * over (or freed with the connection): its bytes are sent in place. */
    struct evbuffer *ob = evhttp_request_get_output_buffer(req);
    if (c->gzip ? evbuffer_add(ob, c->gz.p, c->gz.len) < 0
                : evbuffer_add(ob, rq.head, rq.head_len) < 0 ||
                  evbuffer_add_reference(ob, rq.records, rq.records_len, NULL, NULL) < 0 ||
                  evbuffer_add(ob, rq.tail, rq.tail_len) < 0) {
        evhttp_request_free(req);
        otlp_finish(c, OUTPUT_RETRY);
        return;
    }
    c->sent = evbuffer_get_length(ob);
    if (evhttp_make_request(c->conn, req, EVHTTP_REQ_POST, c->path) < 0) {
        /* evhttp freed req */
        c->conn_stale = true;
        output_error(out, "otlp: cannot start a request to %s", c->host_header);
        otlp_finish(c, OUTPUT_RETRY);
    }
}

static void otlp_destroy(struct output *out)
{
    struct otlp_ctx *c = out->ctx;
    if (!c)
        return;
    otlp_conn_free(c);
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
    if (c->z_ready)
        deflateEnd(&c->z);
    c->z_ready = false;
    otlp_encoder_free(c->enc);
    c->enc = NULL;
    buf_free(&c->gz);
    free(c->host);
    free(c->path);
    c->host = c->path = NULL;
}

const struct output_plugin output_otlp = {
    .name = "otlp",
    .options = otlp_options,
    .ctx_size = sizeof(struct otlp_ctx),
    .default_format = OUTPUT_FORMAT_MSGPACK,
    .default_compression = OUTPUT_COMPRESS_NONE,
    .init = otlp_init,
    .encode = otlp_encode,
    .flush = otlp_flush,
    .destroy = otlp_destroy,
};
