/* http_api.c - health, metrics and recent alerts over HTTP (http_api.h).
 * Label values come from configuration and detectors, but are escaped as
 * Prometheus requires anyway: a name must never break the exposition. */
#include "sidecar/http_api.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/alert.h"
#include "outputs/output.h"
#include "sidecar/inputs/input.h"
#include "sidecar/log.h"
#include "sidecar/vigil.h"

struct http_api {
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
    int port;
};

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
    metric_head(out, "vigil_input_truncated_total", "counter", "Lines cut at max_line_bytes.");
    for (size_t i = 0; i < vg->ninputs; i++)
        metric_1(out, "vigil_input_truncated_total", "input", vg->inputs[i]->conf->name,
                 vg->inputs[i]->stats.truncated);
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
        { "vigil_output_bytes_total", "counter", "Bytes sent per output (after compression).", offsetof(struct output_stats, bytes_wire) },
        { "vigil_output_retries_total", "counter", "Send attempts that will be retried.", offsetof(struct output_stats, retries) },
        { "vigil_output_rejected_total", "counter", "Events refused for good by the receiver.", offsetof(struct output_stats, rejected) },
        { "vigil_output_dropped_total", "counter", "Events dropped (retries exhausted or drop_oldest).", offsetof(struct output_stats, dropped) },
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
    metric_head(out, "vigil_detector_memory_bytes", "gauge", "Memory held by detector baselines.");
    evbuffer_add_printf(out, "vigil_detector_memory_bytes %" PRIu64 "\n", vg->budget.used);
    metric_head(out, "vigil_detector_memory_max_bytes", "gauge", "detectors.memory_max.");
    evbuffer_add_printf(out, "vigil_detector_memory_max_bytes %" PRIu64 "\n", vg->budget.cap);
    metric_head(out, "vigil_detector_evictions_total", "counter", "Baseline entries evicted at the memory cap.");
    evbuffer_add_printf(out, "vigil_detector_evictions_total %" PRIu64 "\n", vg->budget.evictions);
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
    evbuffer_add_printf(out, "{\"next\":%" PRIu64 ",\"alerts\":[", t->next_id);
    bool comma = false;
    for (uint64_t id = first; t->ring && id <= t->next_id; id++) {
        size_t slot = (size_t)((id - 1) % TELEMETRY_RING);
        if (t->ring[slot].id != id)
            continue;
        if (comma)
            evbuffer_add(out, ",", 1);
        evbuffer_add(out, t->ring[slot].json, t->ring[slot].len);
        comma = true;
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
    if (!h->http)
        goto fail;
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_cb(h->http, "/healthz", healthz_cb, vg);
    evhttp_set_cb(h->http, "/metrics", metrics_cb, vg);
    evhttp_set_cb(h->http, "/alerts", alerts_cb, vg);
    h->sock = evhttp_bind_socket_with_handle(h->http, host, (uint16_t)port);
    if (!h->sock) {
        log_error("service.http: cannot listen on %s", listen);
        goto fail;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(evhttp_bound_socket_get_fd(h->sock), (struct sockaddr *)&ss, &sl) == 0)
        h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    log_info("serving /healthz, /metrics and /alerts on %s:%d", host, h->port);
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
    if (vg->http->http)
        evhttp_free(vg->http->http);
    free(vg->http);
    vg->http = NULL;
}
