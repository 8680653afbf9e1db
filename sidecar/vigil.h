/* vigil.h - struct vigil, the one context passed everywhere.
 * It holds the event loop, the configuration, the instances built from it
 * (inputs, outputs, detectors), the pipeline's reused record and the global
 * counters. There is no global instance: tests can run two pipelines. */
#ifndef VIGIL_VIGIL_H
#define VIGIL_VIGIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "sidecar/clock.h"
#include "sidecar/fields.h"
#include "sidecar/merge.h"
#include "sidecar/record.h"
#include "sidecar/span.h"
#include "sidecar/telemetry.h"

struct bl_budget;

struct event_base;
struct event;
struct input;
struct output;
struct detector;
struct alert_stream;
struct stats;
struct http_api;

struct vigil_counters {
    uint64_t lines, bytes, records, parse_errors, truncated, alerts, alerts_throttled, pauses;
    uint64_t alerts_by_severity[5];
    uint64_t lines_filtered;     /* dropped by include_lines / exclude_lines */
    uint64_t checkpoint_errors;  /* checkpoint saves that failed (retried at the next flush) */
};

struct vigil {
    struct event_base *base;
    struct vigil_conf *conf;
    bool once;                   /* --once: read to EOF, flush, commit, exit */
    bool stopping;               /* a stop signal arrived: no more reads */
    bool paused;                 /* backpressure: inputs must not read */
    char hostname[256];
    struct span host;            /* hostname as a span */
    struct fieldset fields;      /* service.fields (+ the pod): every alert, and records via inputs */

    struct input **inputs;
    size_t ninputs;
    struct output **outputs;
    size_t noutputs;
    struct detector **detectors;
    size_t ndetectors;
    struct alert_stream *alerts;
    struct bl_budget *budget;    /* detectors.memory_max: owned by detectors/registry.c */

    struct record rec;           /* the pipeline's reused record */
    int64_t read_ns;             /* while an input frames what one read returned: when
                                  * it was read (the lines' read time), else 0 */
    char *arena;                 /* rec's scratch */
    uint64_t seq;                /* last sequence number given to a record */
    int64_t event_now;           /* newest event time seen, ns (detector clock) */
    struct merge merge;          /* event-time order across sources */

    struct vigil_counters n;
    struct telemetry telemetry;  /* /metrics and /alerts */
    struct http_api *http;       /* service.http, NULL when off */
    struct stats *stats;         /* --stats: time per stage, NULL when off */
    int exit_code;
    struct event *flush_timer;   /* flush_interval: batches, checkpoints, throttle */
    struct event *snapshot_timer;/* snapshot_interval: baselines */
    struct event *drain_timer;   /* stop: waits for outputs, and --once progress */
    int64_t drain_deadline_ms;
    bool draining;
    bool reloading;              /* the stop is a SIGHUP switch, not an exit */
};


/* Lifecycle (sidecar/vigil.c). vigil_init builds every instance from conf
 * (borrowed; must outlive vg) on base and loads saved state; -1 after
 * logging why. vigil_start begins reading. vigil_stop stops reading and
 * drains: outputs deliver or spill to their disk buffer within the grace
 * period, then checkpoints and baselines are written and the loop exits.
 * vigil_fini frees everything vigil_init made. */
int vigil_init(struct vigil *vg, struct vigil_conf *conf, struct event_base *base, bool once);
int vigil_start(struct vigil *vg);
void vigil_stop(struct vigil *vg);
void vigil_fini(struct vigil *vg);
/* Writes every input's checkpoint (offsets all outputs accepted). */
void vigil_checkpoint(struct vigil *vg);

#endif
