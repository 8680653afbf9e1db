/* http_api.c - health, metrics and recent alerts over HTTP (http_api.h).
 * Label values come from configuration and detectors, but are escaped as
 * Prometheus requires anyway: a name must never break the exposition.
 *
 * The port may be reachable by hostile clients, so every resource a client
 * can hold is bounded: request head size (HTTP_MAX_HEADER_BYTES, refused with
 * 400 and closed), read/write/idle time (HTTP_TIMEOUT_S), reply size
 * (HTTP_MAX_REPLY_BYTES) and open connections (HTTP_MAX_CONNECTIONS, and at
 * most a quarter of the descriptor limit). evhttp
 * in libevent 2.1 has no connection cap and no hook when it frees a
 * connection, so vigil learns each new connection's socket through the
 * bufferevent it builds for evhttp (evhttp_set_bevcb), remembers it by
 * (fd, device, inode), and counts live ones with fstat: a closed or reused
 * descriptor no longer names the same socket inode. The timeouts restart at
 * every byte, so a client trickling its request head would keep its slot:
 * a connection older than HTTP_MAX_CONN_AGE_S is shut down (shutdown(2) on
 * the socket; evhttp then sees the end and frees it). At the cap, and when
 * accept() fails (EMFILE: out of descriptors), the listener is disabled and a
 * timer enables it again; libevent would otherwise retry accept() in a busy
 * loop. */
#include "sidecar/http_api.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/baseline.h"
#include "detectors/alert.h"
#include "outputs/output.h"
#include "sidecar/clock.h"
#include "sidecar/inputs/input.h"
#include "sidecar/log.h"
#include "sidecar/vigil.h"

#define HTTP_PENDING_MAX 64   /* connections accepted in one loop turn, not yet adopted */

struct http_conn {
    int fd;
    dev_t dev;
    ino_t ino;
    int64_t since_ms;                  /* accepted (monotonic) */
};

struct http_api {
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
    struct evconnlistener *lev;
    struct event *resume;              /* timer: accept again after a pause */
    struct event *adopt;               /* made active by bevcb: learn new sockets */
    struct event *reap;                /* periodic: shuts down connections too old */
    uint64_t n_aged;                   /* connections shut down for their age */
    bool paused;
    struct bufferevent *pending[HTTP_PENDING_MAX];   /* each holds a reference */
    size_t npending;
    struct http_conn conn[HTTP_MAX_CONNECTIONS + HTTP_PENDING_MAX];
    size_t nconn;
    size_t max_conns;                  /* HTTP_MAX_CONNECTIONS, less with few descriptors */
    struct log_limit accept_log;
    uint64_t n_accept_errors;          /* accept() failures (EMFILE...) */
    uint64_t n_cap_pauses;             /* times accept paused at the cap */
    int port;
};

static size_t conn_sweep(struct http_api *h);

/* The listener's error callback gets the listener's user data, which evhttp
 * owns (its own accept callback shares it): the endpoint is found here. One
 * endpoint per process. */
static struct http_api *accept_owner;

static void label(struct evbuffer *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            evbuffer_add_printf(out, "\\%c", *s);
        else if (*s == '\n')
            evbuffer_add(out, "\\n", 2);
        else
            evbuffer_add(out, s, 1);
    }
}

static void metric_head(struct evbuffer *out, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metric_1(struct evbuffer *out, const char *name, const char *lk, const char *lv,
                     uint64_t v)
{
    evbuffer_add_printf(out, "%s{%s=\"", name, lk);
    label(out, lv);
    evbuffer_add_printf(out, "\"} %" PRIu64 "\n", v);
}

int http_api_health(struct vigil *vg, struct evbuffer *out)
{
    int64_t now = vigil_mono_ms();
    int64_t max_age = vg->conf->service.health_max_retry_age_ms;
    int status = 200;
    for (size_t i = 0; i < vg->noutputs; i++) {
        const struct output *o = vg->outputs[i];
        if (o->blocked) {
            evbuffer_add_printf(out, "output %s: buffer full, inputs paused\n", o->name);
            status = 503;
        } else if (o->failing_since_ms && now - o->failing_since_ms > max_age) {
            evbuffer_add_printf(out, "output %s: failing for %" PRId64 "s: %s\n", o->name,
                                (now - o->failing_since_ms) / 1000, o->last_error);
            status = 503;
        }
    }
    if (status == 200)
        evbuffer_add_printf(out, "ok\n");
    return status;
}

void http_api_metrics(struct vigil *vg, struct evbuffer *out)
{
    static const char *const sev[] = { "info", "low", "medium", "high", "critical" };
    metric_head(out, "vigil_input_lines_total", "counter", "Lines read per input.");
    for (size_t i = 0; i < vg->ninputs; i++)
        metric_1(out, "vigil_input_lines_total", "input", vg->inputs[i]->conf->name,
                 vg->inputs[i]->stats.lines);
    metric_head(out, "vigil_input_bytes_total", "counter", "Bytes read per input.");
    for (size_t i = 0; i < vg->ninputs; i++)
        metric_1(out, "vigil_input_bytes_total", "input", vg->inputs[i]->conf->name,
                 vg->inputs[i]->stats.bytes);
    metric_head(out, "vigil_input_files_open", "gauge", "Files followed per input.");
    for (size_t i = 0; i < vg->ninputs; i++)
        metric_1(out, "vigil_input_files_open", "input", vg->inputs[i]->conf->name,
                 vg->inputs[i]->stats.files_open);
    metric_head(out, "vigil_input_files_refused_total", "counter",
                "Paths refused per input (symlink out of the input's folders, /proc, /sys, /dev, not a regular file), once each.");
    for (size_t i = 0; i < vg->ninputs; i++)
        metric_1(out, "vigil_input_files_refused_total", "input", vg->inputs[i]->conf->name,
                 vg->inputs[i]->stats.files_refused);
    metric_head(out, "vigil_input_files_closed_total", "counter",
                "Idle files closed per input and reason (descriptor_budget: reopened by identity when they grow).");
    for (size_t i = 0; i < vg->ninputs; i++) {
        evbuffer_add_printf(out, "vigil_input_files_closed_total{input=\"");
        label(out, vg->inputs[i]->conf->name);
        evbuffer_add_printf(out, "\",reason=\"descriptor_budget\"} %" PRIu64 "\n",
                            vg->inputs[i]->stats.files_parked);
    }
    metric_head(out, "vigil_input_files_reopened_total", "counter", "Closed idle files reopened by path and identity.");
    for (size_t i = 0; i < vg->ninputs; i++)
        metric_1(out, "vigil_input_files_reopened_total", "input", vg->inputs[i]->conf->name,
                 vg->inputs[i]->stats.files_reopened);
    metric_head(out, "vigil_input_truncated_total", "counter", "Lines cut at max_line_bytes.");
    for (size_t i = 0; i < vg->ninputs; i++)
        metric_1(out, "vigil_input_truncated_total", "input", vg->inputs[i]->conf->name,
                 vg->inputs[i]->stats.truncated);
    metric_head(out, "vigil_input_lines_filtered_total", "counter",
                "Lines dropped by include_lines / exclude_lines before parsing.");
    for (size_t i = 0; i < vg->ninputs; i++)
        metric_1(out, "vigil_input_lines_filtered_total", "input", vg->inputs[i]->conf->name,
                 vg->inputs[i]->stats.lines_filtered);
    metric_head(out, "vigil_parse_errors_total", "counter", "Lines shipped raw because they did not parse.");
    for (size_t p = 0; parser_plugins[p]; p++) {
        uint64_t n = 0;
        bool used = false;
        for (size_t i = 0; i < vg->ninputs; i++)
            if (vg->inputs[i]->parser.plugin == parser_plugins[p]) {
                n += vg->inputs[i]->stats.parse_errors;
                used = true;
            }
        if (used)
            metric_1(out, "vigil_parse_errors_total", "parser", parser_plugins[p]->name, n);
    }
    metric_head(out, "vigil_alerts_total", "counter", "Alerts raised per rule and severity.");
    const struct telemetry *t = &vg->telemetry;
    for (size_t i = 0; i < t->nrules; i++)
        for (int s = 0; s < 5; s++)
            if (t->rules[i].by_severity[s]) {
                evbuffer_add_printf(out, "vigil_alerts_total{rule=\"");
                label(out, t->rules[i].rule);
                evbuffer_add_printf(out, "\",severity=\"%s\"} %" PRIu64 "\n", sev[s],
                                    t->rules[i].by_severity[s]);
            }
    metric_head(out, "vigil_alerts_throttled_total", "counter", "Alerts folded into 'repeated N times'.");
    evbuffer_add_printf(out, "vigil_alerts_throttled_total %" PRIu64 "\n", vg->n.alerts_throttled);
    metric_head(out, "vigil_checkpoint_errors_total", "counter", "Checkpoint saves that failed (write or fsync); retried at the next flush.");
    evbuffer_add_printf(out, "vigil_checkpoint_errors_total %" PRIu64 "\n", vg->n.checkpoint_errors);

    struct { const char *name, *type, *help; size_t off; } ocounters[] = {
        { "vigil_output_events_total", "counter", "Events accepted per output.", offsetof(struct output_stats, events) },
        { "vigil_output_batches_total", "counter", "Batches delivered per output.", offsetof(struct output_stats, batches) },
        { "vigil_output_bytes_total", "counter", "Bytes of delivered batches per output as they went on the wire: after compression (gzip, lz4), as forward messages or HTTP bodies; transport headers not counted.", offsetof(struct output_stats, bytes_wire) },
        { "vigil_output_retries_total", "counter", "Send attempts that will be retried.", offsetof(struct output_stats, retries) },
        { "vigil_output_rejected_total", "counter", "Events refused for good by the receiver.", offsetof(struct output_stats, rejected) },
        { "vigil_output_dropped_total", "counter", "Events dropped (retries exhausted or drop_oldest).", offsetof(struct output_stats, dropped) },
        { "vigil_output_possibly_lost_total", "counter", "Events sent without acknowledgement over a connection that then failed (tcp, ack: false): they may not have arrived.", offsetof(struct output_stats, possibly_lost) },
        { "vigil_output_buffer_write_errors_total", "counter", "Disk buffer appends that failed (write or fsync) and were kept in memory.", offsetof(struct output_stats, buffer_write_errors) },
    };
    for (size_t c = 0; c < sizeof(ocounters) / sizeof(ocounters[0]); c++) {
        metric_head(out, ocounters[c].name, ocounters[c].type, ocounters[c].help);
        for (size_t i = 0; i < vg->noutputs; i++)
            metric_1(out, ocounters[c].name, "output", vg->outputs[i]->name,
                     *(const uint64_t *)((const char *)&vg->outputs[i]->stats + ocounters[c].off));
    }
    metric_head(out, "vigil_buffer_bytes", "gauge", "Bytes waiting per output (memory queue and disk buffer).");
    for (size_t i = 0; i < vg->noutputs; i++)
        metric_1(out, "vigil_buffer_bytes", "output", vg->outputs[i]->name,
                 output_buffered_bytes(vg->outputs[i]));
    metric_head(out, "vigil_paused", "gauge", "1 while inputs are paused by backpressure.");
    evbuffer_add_printf(out, "vigil_paused %d\n", vg->paused ? 1 : 0);
    /* vg->budget exists once the detectors started */
    const struct bl_budget none = { 0 }, *bud = vg->budget ? vg->budget : &none;
    metric_head(out, "vigil_detector_memory_bytes", "gauge", "Memory held by detector baselines.");
    evbuffer_add_printf(out, "vigil_detector_memory_bytes %" PRIu64 "\n", bud->used);
    metric_head(out, "vigil_detector_memory_max_bytes", "gauge", "detectors.memory_max.");
    evbuffer_add_printf(out, "vigil_detector_memory_max_bytes %" PRIu64 "\n", bud->cap);
    metric_head(out, "vigil_detector_evictions_total", "counter", "Baseline entries evicted at the memory cap.");
    evbuffer_add_printf(out, "vigil_detector_evictions_total %" PRIu64 "\n", bud->evictions);
    metric_head(out, "vigil_detector_refused_total", "counter",
                "New baseline keys refused admission at the memory cap, per table.");
    for (const struct bl_table *bt = bud->tables; bt; bt = bl_table_next(bt))
        metric_1(out, "vigil_detector_refused_total", "table", bl_table_name(bt),
                 bl_table_refused(bt));
    metric_head(out, "vigil_pipeline_latency_seconds", "histogram",
                "From a line being read to its batch being accepted by an output.");
    uint64_t cum = 0;
    for (int b = 0; b < TELEMETRY_BUCKETS; b++) {
        cum += t->lat_buckets[b];
        evbuffer_add_printf(out, "vigil_pipeline_latency_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                            telemetry_bucket_bounds[b], cum);
    }
    cum += t->lat_buckets[TELEMETRY_BUCKETS];
    evbuffer_add_printf(out, "vigil_pipeline_latency_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
    evbuffer_add_printf(out, "vigil_pipeline_latency_seconds_sum %.6f\n", t->lat_sum);
    evbuffer_add_printf(out, "vigil_pipeline_latency_seconds_count %" PRIu64 "\n", t->lat_count);
    if (vg->http) {
        struct http_api *h = vg->http;
        metric_head(out, "vigil_http_connections", "gauge", "Open connections to service.http.");
        evbuffer_add_printf(out, "vigil_http_connections %zu\n", conn_sweep(h));
        metric_head(out, "vigil_http_accept_paused_total", "counter",
                    "Times service.http stopped accepting for a while, by reason.");
        evbuffer_add_printf(out, "vigil_http_accept_paused_total{reason=\"connection_cap\"} %" PRIu64 "\n",
                            h->n_cap_pauses);
        evbuffer_add_printf(out, "vigil_http_accept_paused_total{reason=\"accept_error\"} %" PRIu64 "\n",
                            h->n_accept_errors);
        metric_head(out, "vigil_http_connections_aged_total", "counter",
                    "Connections shut down for being open longer than 30s.");
        evbuffer_add_printf(out, "vigil_http_connections_aged_total %" PRIu64 "\n", h->n_aged);
    }
}

void http_api_alerts(struct vigil *vg, uint64_t since, unsigned limit, struct evbuffer *out)
{
    const struct telemetry *t = &vg->telemetry;
    uint64_t first = t->next_id > TELEMETRY_RING ? t->next_id - TELEMETRY_RING + 1 : 1;
    if (since >= t->next_id)
        first = t->next_id + 1;   /* nothing newer (since + 1 may wrap) */
    else if (since + 1 > first)
        first = since + 1;
    if (limit && t->next_id >= first && t->next_id - first + 1 > limit)
        first = t->next_id - limit + 1;
    /* The body is built apart so `next` can say where a reply cut at
     * HTTP_MAX_REPLY_BYTES stopped: asking again with since=next goes on. */
    struct evbuffer *body = evbuffer_new();
    uint64_t next = t->next_id;
    bool comma = false, more = false;
    for (uint64_t id = first; body && t->ring && id <= t->next_id; id++) {
        size_t slot = (size_t)((id - 1) % TELEMETRY_RING);
        if (t->ring[slot].id != id)
            continue;
        if (evbuffer_get_length(body) + t->ring[slot].len + 64 > HTTP_MAX_REPLY_BYTES) {
            next = id - 1;
            more = true;
            break;
        }
        if (comma)
            evbuffer_add(body, ",", 1);
        evbuffer_add(body, t->ring[slot].json, t->ring[slot].len);
        comma = true;
    }
    evbuffer_add_printf(out, "{\"next\":%" PRIu64 ",%s\"alerts\":[", next,
                        more ? "\"more\":true," : "");
    if (body) {
        evbuffer_add_buffer(out, body);
        evbuffer_free(body);
    }
    evbuffer_add_printf(out, "]}\n");
}

static void reply(struct evhttp_request *req, int code, const char *ctype, struct evbuffer *body)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
    evhttp_send_reply(req, code, code == 200 ? "OK" : "Service Unavailable", body);
}

static void healthz_cb(struct evhttp_request *req, void *arg)
{
    struct evbuffer *b = evbuffer_new();
    if (!b)
        return;
    int code = http_api_health(arg, b);
    reply(req, code, "text/plain", b);
    evbuffer_free(b);
}

static void metrics_cb(struct evhttp_request *req, void *arg)
{
    struct evbuffer *b = evbuffer_new();
    if (!b)
        return;
    http_api_metrics(arg, b);
    reply(req, 200, "text/plain; version=0.0.4", b);
    evbuffer_free(b);
}

static void alerts_cb(struct evhttp_request *req, void *arg)
{
    struct evkeyvalq q;
    uint64_t since = 0;
    unsigned limit = 100;
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    if (query && evhttp_parse_query_str(query, &q) == 0) {
        const char *s = evhttp_find_header(&q, "since");
        const char *l = evhttp_find_header(&q, "limit");
        if (s)
            since = strtoull(s, NULL, 10);
        if (l)
            limit = (unsigned)strtoul(l, NULL, 10);
        evhttp_clear_headers(&q);
    }
    if (limit == 0 || limit > TELEMETRY_RING)
        limit = TELEMETRY_RING;
    struct evbuffer *b = evbuffer_new();
    if (!b)
        return;
    http_api_alerts(arg, since, limit, b);
    reply(req, 200, "application/json", b);
    evbuffer_free(b);
}

/* ---- connection accounting ---- */

static bool conn_alive(const struct http_conn *c)
{
    struct stat st;
    return fstat(c->fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == c->dev &&
           st.st_ino == c->ino;
}

/* Forgets connections evhttp has closed; returns how many remain open. */
static size_t conn_sweep(struct http_api *h)
{
    size_t o = 0;
    for (size_t i = 0; i < h->nconn; i++)
        if (conn_alive(&h->conn[i]))
            h->conn[o++] = h->conn[i];
    h->nconn = o;
    return h->nconn + h->npending;
}

static void accept_pause(struct http_api *h, int64_t ms)
{
    if (!h->paused && h->lev)
        evconnlistener_disable(h->lev);
    h->paused = true;
    struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
    evtimer_add(h->resume, &tv);
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct http_api *h = arg;
    if (conn_sweep(h) >= h->max_conns) {
        accept_pause(h, HTTP_CAP_RETRY_MS);
        return;
    }
    h->paused = false;
    if (h->lev)
        evconnlistener_enable(h->lev);
}

/* evhttp has set the descriptor of every bufferevent handed out since the
 * last turn: remember the sockets it still owns (callbacks set), and drop our
 * reference (which frees a bufferevent evhttp gave up on in the meantime). */
static void adopt_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct http_api *h = arg;
    for (size_t i = 0; i < h->npending; i++) {
        struct bufferevent *bev = h->pending[i];
        bufferevent_event_cb ecb = NULL;
        bufferevent_getcb(bev, NULL, NULL, &ecb, NULL);
        int s = bufferevent_getfd(bev);
        struct stat st;
        if (ecb && s >= 0 && fstat(s, &st) == 0 &&
            h->nconn < sizeof(h->conn) / sizeof(h->conn[0]))
            h->conn[h->nconn++] = (struct http_conn){ s, st.st_dev, st.st_ino, vigil_mono_ms() };
        bufferevent_decref(bev);
    }
    h->npending = 0;
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct http_api *h = arg;
    int64_t now = vigil_mono_ms();
    conn_sweep(h);
    for (size_t i = 0; i < h->nconn; i++)
        if (now - h->conn[i].since_ms > HTTP_MAX_CONN_AGE_S * 1000LL && h->conn[i].since_ms >= 0) {
            shutdown(h->conn[i].fd, SHUT_RDWR);
            h->conn[i].since_ms = -1;   /* once: evhttp closes it on its next read */
            h->n_aged++;
        }
}

/* Called by evhttp for each accepted connection, before it sets the fd. */
static struct bufferevent *bev_cb(struct event_base *base, void *arg)
{
    struct http_api *h = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return NULL;
    if (h->npending < HTTP_PENDING_MAX) {
        bufferevent_incref(bev);
        h->pending[h->npending++] = bev;
        event_active(h->adopt, EV_TIMEOUT, 0);
    }
    if (h->nconn + h->npending >= h->max_conns &&
        conn_sweep(h) >= h->max_conns) {
        h->n_cap_pauses++;
        accept_pause(h, HTTP_CAP_RETRY_MS);
    }
    return bev;
}

/* accept() failed: out of descriptors (EMFILE, ENFILE) or memory. Waiting is
 * the only cure; retrying at once is what made libevent spin. */
static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
    (void)arg;                  /* evhttp's, not ours */
    int err = EVUTIL_SOCKET_ERROR();
    struct http_api *h = accept_owner;
    if (!h || h->lev != lev) {
        evconnlistener_disable(lev);
        return;
    }
    h->n_accept_errors++;
    log_limited(&h->accept_log, err, LOG_WARN, NULL,
                "service.http: accept() failed: %s; not accepting for %dms",
                strerror(err), HTTP_ACCEPT_RETRY_MS);
    accept_pause(h, HTTP_ACCEPT_RETRY_MS);
}

int http_api_start(struct vigil *vg, const char *listen)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof(host)) {
        log_error("service.http.listen: expected HOST:PORT, got \"%s\"", listen);
        return -1;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = 0;
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {   /* [::1]:2020 */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = 0;
    }
    int port = atoi(colon + 1);
    struct http_api *h = calloc(1, sizeof(*h));
    if (!h)
        return -1;
    vg->http = h;
    h->http = evhttp_new(vg->base);
    h->resume = evtimer_new(vg->base, resume_cb, h);
    h->adopt = event_new(vg->base, -1, 0, adopt_cb, h);
    h->reap = event_new(vg->base, -1, EV_PERSIST, reap_cb, h);
    if (!h->http || !h->resume || !h->adopt || !h->reap)
        goto fail;
    struct timeval every = { 2, 0 };
    event_add(h->reap, &every);
    /* Clients may hold at most a quarter of the descriptors: the rest are
     * for log files, outputs and checkpoints. */
    struct rlimit rl;
    h->max_conns = HTTP_MAX_CONNECTIONS;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur / 4 < h->max_conns)
        h->max_conns = rl.rlim_cur / 4 > 4 ? (size_t)(rl.rlim_cur / 4) : 4;
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_max_headers_size(h->http, HTTP_MAX_HEADER_BYTES);
    evhttp_set_max_body_size(h->http, HTTP_MAX_BODY_BYTES);
    evhttp_set_timeout(h->http, HTTP_TIMEOUT_S);
    evhttp_set_bevcb(h->http, bev_cb, h);
    evhttp_set_cb(h->http, "/healthz", healthz_cb, vg);
    evhttp_set_cb(h->http, "/metrics", metrics_cb, vg);
    if (!vg->conf || vg->conf->service.http_alerts)
        evhttp_set_cb(h->http, "/alerts", alerts_cb, vg);
    h->sock = evhttp_bind_socket_with_handle(h->http, host, (uint16_t)port);
    if (!h->sock) {
        log_error("service.http: cannot listen on %s", listen);
        goto fail;
    }
    h->lev = evhttp_bound_socket_get_listener(h->sock);
    accept_owner = h;
    evconnlistener_set_error_cb(h->lev, accept_error_cb);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(evhttp_bound_socket_get_fd(h->sock), (struct sockaddr *)&ss, &sl) == 0)
        h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    log_info("serving /healthz, /metrics%s on %s:%d",
             !vg->conf || vg->conf->service.http_alerts ? " and /alerts" : "", host, h->port);
    return 0;
fail:
    http_api_free(vg);
    return -1;
}

int http_api_port(const struct vigil *vg)
{
    return vg->http ? vg->http->port : -1;
}

void http_api_free(struct vigil *vg)
{
    if (!vg->http)
        return;
    struct http_api *h = vg->http;
    if (accept_owner == h)
        accept_owner = NULL;
    if (h->http)
        evhttp_free(h->http);   /* frees the listener and every connection */
    adopt_cb(-1, 0, h);         /* drops the references still held */
    if (h->resume)
        event_free(h->resume);
    if (h->adopt)
        event_free(h->adopt);
    if (h->reap)
        event_free(h->reap);
    free(h);
    vg->http = NULL;
}
