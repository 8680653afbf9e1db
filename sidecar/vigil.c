/* vigil.c - building the pipeline from the configuration, running it, and
 * taking it down in the one order that loses nothing: stop reading, let the
 * outputs deliver (or spill to their disk buffer) within the grace period,
 * then commit checkpoints and snapshot baselines. */
#include "sidecar/vigil.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detectors/alert.h"
#include "detectors/detector.h"
#include "outputs/output.h"
#include "sidecar/fsutil.h"
#include "sidecar/http_api.h"
#include "sidecar/line_filter.h"
#include "sidecar/inputs/input.h"
#include "sidecar/log.h"
#include "sidecar/merge.h"
#include "sidecar/multiline.h"
#include "sidecar/pipeline.h"

#define DRAIN_TICK_MS 10

/* The option `max_line_bytes` of an input plugin, found in its table, so the
 * core needs no knowledge of any plugin's struct. */
static size_t input_max_line(const struct input *in)
{
    const struct conf_option *o = in->plugin->options;
    for (; o && o->key; o++)
        if (strcmp(o->key, "max_line_bytes") == 0 && o->type == CONF_SIZE)
            return (size_t) * (const uint64_t *)((const char *)in->ctx + o->offset);
    return LINE_MAX_BYTES_DEFAULT;
}

static int inputs_init(struct vigil *vg)
{
    struct vigil_conf *c = vg->conf;
    vg->inputs = calloc(c->ninputs ? c->ninputs : 1, sizeof(*vg->inputs));
    if (!vg->inputs)
        return -1;
    for (size_t i = 0; i < c->ninputs; i++) {
        struct input_conf *ic = &c->inputs[i];
        struct input *in = calloc(1, sizeof(*in));
        if (!in)
            return -1;
        vg->inputs[vg->ninputs++] = in;
        in->plugin = ic->plugin;
        in->conf = ic;
        in->ctx = ic->ctx;
        in->vg = vg;
        in->index = i;
        in->name = span_cstr(ic->name);
        in->tag = span_cstr(ic->tag ? ic->tag : ic->name);
        in->parser.plugin = ic->parser.plugin;
        in->parser.ctx = ic->parser.ctx;
        in->parser.max_line_bytes = input_max_line(in);
        char ferr[256] = "";
        bool nofilter = true;
        in->filter = line_filter_new(&ic->include_lines, &ic->exclude_lines, &nofilter, ferr, sizeof(ferr));
        if (!in->filter && !nofilter) {
            log_error("inputs.%s: %s", ic->name, ferr);
            return -1;
        }
        bool noml = true;
        in->ml = multiline_new(&ic->multiline, &noml, ferr, sizeof(ferr));
        if (!in->ml && !noml) {
            log_error("inputs.%s: multiline: %s", ic->name, ferr);
            return -1;
        }
        in->parser.ml = in->ml;
        if (fields_add_map(&in->fields, &ic->fields) < 0 || fields_inherit(&in->fields, &vg->fields) < 0) {
            log_error("inputs.%s: too many fields (at most %d)", ic->name, FIELDS_MAX);
            return -1;
        }
        if (in->parser.plugin && in->parser.plugin->init) {
            char err[256] = "";
            if (in->parser.plugin->init(&in->parser, err, sizeof(err)) < 0) {
                log_error("inputs.%s: parser %s: %s", ic->name, in->parser.plugin->name, err);
                in->parser.plugin = NULL;   /* nothing to destroy */
                return -1;
            }
        }
        if (in->plugin->init(in) < 0) {
            log_error("inputs.%s: could not start", ic->name);
            return -1;
        }
    }
    return 0;
}

static size_t arena_size(const struct vigil *vg)
{
    size_t max = LINE_MAX_BYTES_DEFAULT;
    for (size_t i = 0; i < vg->ninputs; i++) {
        if (vg->inputs[i]->parser.max_line_bytes > max)
            max = vg->inputs[i]->parser.max_line_bytes;
        if (vg->inputs[i]->ml && multiline_max_bytes(vg->inputs[i]->ml) > max)
            max = multiline_max_bytes(vg->inputs[i]->ml);
    }
    /* Unescaped strings never outgrow the line; the rest is synthesised text. */
    return 2 * max + RECORD_ARENA_MIN;
}

void vigil_checkpoint(struct vigil *vg)
{
    for (size_t i = 0; i < vg->ninputs; i++) {
        struct input *in = vg->inputs[i];
        if (in->plugin->checkpoint && in->plugin->checkpoint(in) < 0)
            vg->n.checkpoint_errors++;
    }
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct vigil *vg = arg;
    outputs_flush(vg);
    vigil_checkpoint(vg);
    alert_stream_tick(vg);
}

static void snapshot_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    detectors_save(arg);
}

static bool inputs_done(const struct vigil *vg)
{
    for (size_t i = 0; i < vg->ninputs; i++)
        if (!vg->inputs[i]->done)
            return false;
    return true;
}

/* Runs every DRAIN_TICK_MS: in --once mode until the inputs are done, then
 * while stopping until the outputs are idle or the grace period is over. */
static void drain_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct vigil *vg = arg;
    if (!vg->draining) {
        if (vg->once && inputs_done(vg))
            vigil_stop(vg);
        return;
    }
    outputs_flush(vg);
    bool idle = outputs_idle(vg);
    if (!idle && vigil_mono_ms() < vg->drain_deadline_ms)
        return;
    if (!idle)
        log_warn("grace period over with events undelivered: keeping them in the disk buffer");
    outputs_shutdown(vg);
    if (!outputs_idle(vg) && vg->exit_code == 0) {
        log_error("events remain undelivered and have no disk buffer: they will be read again on restart");
        vg->exit_code = 3;
    }
    vigil_checkpoint(vg);
    detectors_save(vg);
    event_del(vg->drain_timer);
    event_base_loopbreak(vg->base);
}

void vigil_stop(struct vigil *vg)
{
    if (vg->draining)
        return;
    vg->draining = true;
    vg->stopping = true;
    for (size_t i = 0; i < vg->ninputs; i++)
        if (vg->inputs[i]->plugin->stop)
            vg->inputs[i]->plugin->stop(vg->inputs[i]);
    /* nothing more will be read: what the merge holds is the rest, in order */
    merge_release_all(vg);
    alert_stream_tick(vg);
    outputs_flush(vg);
    vg->drain_deadline_ms = vigil_mono_ms() + vg->conf->service.grace_period_ms;
    struct timeval tv = { 0, DRAIN_TICK_MS * 1000 };
    event_add(vg->drain_timer, &tv);
}

static struct event *timer_every(struct vigil *vg, int64_t ms, event_callback_fn cb)
{
    struct event *ev = event_new(vg->base, -1, EV_PERSIST, cb, vg);
    if (!ev)
        return NULL;
    struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000) };
    if (ms > 0)
        event_add(ev, &tv);
    return ev;
}

int vigil_init(struct vigil *vg, struct vigil_conf *conf, struct event_base *base, bool once)
{
    memset(vg, 0, sizeof(*vg));
    vg->conf = conf;
    vg->base = base;
    vg->once = once;
    if (conf->service.hostname && *conf->service.hostname)
        snprintf(vg->hostname, sizeof(vg->hostname), "%s", conf->service.hostname);
    else if (gethostname(vg->hostname, sizeof(vg->hostname) - 1) < 0)
        snprintf(vg->hostname, sizeof(vg->hostname), "localhost");
    vg->host = span_cstr(vg->hostname);
    if (conf->service.kubernetes && fields_add_kubernetes(&vg->fields, conf->service.kubernetes_labels_file) < 0)
        goto fail;
    if (fields_add_map(&vg->fields, &conf->service.fields) < 0) {
        log_error("service.fields: too many fields (at most %d)", FIELDS_MAX);
        goto fail;
    }

    if (fs_private_dir(conf->service.state_dir) < 0)
        goto fail;
    vg->alerts = alert_stream_new(vg);
    if (!vg->alerts)
        goto fail;
    if (detectors_init(vg) < 0)
        goto fail;
    detectors_load(vg);
    if (outputs_init(vg) < 0)
        goto fail;
    if (inputs_init(vg) < 0)
        goto fail;
    size_t an = arena_size(vg);
    vg->arena = malloc(an);
    if (!vg->arena)
        goto fail;
    record_init(&vg->rec, vg->arena, an);

    vg->flush_timer = timer_every(vg, conf->service.flush_interval_ms, flush_cb);
    vg->snapshot_timer = timer_every(vg, conf->detectors.snapshot_interval_ms, snapshot_cb);
    vg->drain_timer = event_new(base, -1, EV_PERSIST, drain_cb, vg);
    if (!vg->flush_timer || !vg->snapshot_timer || !vg->drain_timer)
        goto fail;
    if (conf->service.http_listen && http_api_start(vg, conf->service.http_listen) < 0)
        goto fail;
    return 0;
fail:
    return -1;
}

int vigil_start(struct vigil *vg)
{
    for (size_t i = 0; i < vg->ninputs; i++) {
        struct input *in = vg->inputs[i];
        if (in->plugin->start && in->plugin->start(in) < 0) {
            log_error("inputs.%s: could not start reading", in->conf->name);
            return -1;
        }
    }
    if (vg->once) {
        struct timeval tv = { 0, DRAIN_TICK_MS * 1000 };
        event_add(vg->drain_timer, &tv);
    }
    return 0;
}

void vigil_fini(struct vigil *vg)
{
    http_api_free(vg);
    for (size_t i = 0; i < vg->ninputs; i++) {
        struct input *in = vg->inputs[i];
        if (in->plugin->destroy)
            in->plugin->destroy(in);
        if (in->parser.plugin && in->parser.plugin->destroy)
            in->parser.plugin->destroy(&in->parser);
        line_filter_free(in->filter);
        multiline_free(in->ml);
        fields_fini(&in->fields);
        free(in);
    }
    free(vg->inputs);
    vg->inputs = NULL;
    vg->ninputs = 0;
    merge_fini(vg);
    outputs_free(vg);
    detectors_free(vg);
    alert_stream_free(vg->alerts);
    vg->alerts = NULL;
    if (vg->flush_timer)
        event_free(vg->flush_timer);
    if (vg->snapshot_timer)
        event_free(vg->snapshot_timer);
    if (vg->drain_timer)
        event_free(vg->drain_timer);
    free(vg->arena);
    vg->arena = NULL;
    telemetry_free(&vg->telemetry);
    fields_fini(&vg->fields);
}
