/* detector.h - the detector interface.
 * A detector plugin (a row of detectors/registry.c, configured under
 * `detectors.<name>`) sees every record of the kinds it asks for, after the
 * parser and before the router, keeps bounded baselines (detectors/baseline.h)
 * and raises alerts with alert_emit(). Time is the record's event time, never
 * the wall clock, so a replay with --once raises the same alerts as live. */
#ifndef VIGIL_DETECTOR_H
#define VIGIL_DETECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/option.h"
#include "detectors/alert.h"
#include "sidecar/record.h"

struct vigil;
struct detector;

struct detector_plugin {
    const char *name;                   /* key under `detectors:` */
    const struct conf_option *options;  /* {0}-terminated; `enabled` is added by the core */
    size_t ctx_size;
    unsigned kinds;                     /* KIND_BIT()s of the records it observes */
    int (*init)(struct detector *d);    /* options are in d->ctx; -1 = vigil does not start */
    void (*observe)(struct detector *d, const struct record *r);
    /* Optional: sees every alert emitted that passed the throttle and the
     * per-rule cap, those below alerts.min_severity included; for correlation. */
    void (*on_alert)(struct detector *d, const struct alert *a);
    /* Optional: event time moved to now (ns); for silences and window ends. */
    void (*tick)(struct detector *d, int64_t now);
    /* Optional persistence of baselines; snapshot format is the detector's own,
     * versioned by the core's snapshot header. load returns -1 on anything odd:
     * the core then starts this detector fresh. */
    int (*save)(struct detector *d, FILE *f);
    int (*load)(struct detector *d, FILE *f);
    void (*destroy)(struct detector *d);
    /* Optional: `vigil --validate` prints what the configured ctx would
     * load (rule counts), as YAML comments or extra keys. */
    void (*validate)(const void *ctx, FILE *out);
    uint32_t snapshot_version;          /* bump when save's format changes */
};

struct detector {
    const struct detector_plugin *plugin;
    void *ctx;
    struct vigil *vg;
    bool enabled;
};

extern const struct detector_plugin *const detector_plugins[];

/* Core entry points (detectors/registry.c). detectors_init sets the budget
 * (cap, random seed), creates vg->alerts when NULL and starts every enabled
 * detector on its own copy of the configured ctx; on -1 call detectors_free.
 * detectors_free also frees vg->alerts. Plugins must not hash in init:
 * detectors_load may replace the seed with the one of the snapshots. */
int detectors_init(struct vigil *vg);
void detectors_observe(struct vigil *vg, const struct record *r);
void detectors_on_alert(struct vigil *vg, const struct alert *a);
void detectors_tick(struct vigil *vg, int64_t now);
/* Snapshots every detector to state_dir/baselines/NAME.snap atomically. */
int detectors_save(struct vigil *vg);
/* Loads snapshots; a corrupt or old one is set aside with a warning. */
void detectors_load(struct vigil *vg);
void detectors_free(struct vigil *vg);

#endif
