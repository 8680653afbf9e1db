/* input.h - the input interface: where lines come from.
 * An input plugin (a row of inputs/registry.c, chosen by `inputs[].type`)
 * finds sources (files), reads their bytes and hands each complete line to
 * pipeline_line(). It reads only when the pipeline is not paused
 * (backpressure) and does bounded work per wakeup. */
#ifndef VIGIL_INPUT_H
#define VIGIL_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "sidecar/fields.h"
#include "sidecar/span.h"
#include "sidecar/parsers/parser.h"

struct vigil;
struct module_entry;
struct input;
struct source;

struct input_plugin {
    const char *name;                   /* value of `type:` in YAML */
    const struct conf_option *options;
    size_t ctx_size;
    /* Options are in in->ctx. Sets up watches and timers; reads nothing yet. */
    int (*init)(struct input *in);
    /* Begins reading (after every input and output is up). */
    int (*start)(struct input *in);
    /* Backpressure: the pipeline paused or resumed; resume must restart reads. */
    void (*pause)(struct input *in);
    void (*resume)(struct input *in);
    /* Writes this input's checkpoints (offsets already safe, see pipeline.h). */
    int (*checkpoint)(struct input *in);
    /* Stops reading: no more pipeline_line() after it returns. */
    void (*stop)(struct input *in);
    /* Optional: the event-time merge drained a source the input parked
     * (merge_source_ahead() said it was ahead): read it again. */
    void (*wake)(struct input *in, struct source *s);
    void (*destroy)(struct input *in);  /* frees what init made; the core frees ctx */
};

struct input_stats {
    uint64_t lines, bytes, truncated, parse_errors, files_open, rotations, truncations;
    uint64_t files_refused;             /* paths refused (symlink policy, special files), once each */
    uint64_t files_parked;              /* idle files closed for the descriptor budget */
    uint64_t files_reopened;            /* parked files reopened by path and identity */
    uint64_t lines_filtered;            /* dropped by include_lines / exclude_lines */
};

struct input {
    const struct input_plugin *plugin;
    struct input_conf *conf;            /* name, tag, parser conf */
    struct span name, tag;              /* conf->name, conf->tag as spans */
    void *ctx;                          /* == conf->ctx */
    struct parser parser;
    struct vigil *vg;
    size_t index;                       /* position in vg->inputs */
    bool done;                          /* --once: every source read to its end */
    bool route_valid;                   /* route_mask computed (pipeline.c) */
    uint64_t route_mask;                /* outputs (index < 64) matching tag */
    struct input_stats stats;
    struct line_filter *filter;         /* include/exclude_lines, NULL when none */
    struct multiline *ml;               /* multiline rule, NULL when off */
    struct fieldset fields;             /* service.fields + the input's own */
};

/* Every input type (sidecar/inputs/registry.c), NULL-terminated; a row may be
 * in a module (sidecar/module.h). */
extern const struct module_entry *const input_types[];
/* The plugin of type name: NULL when unknown (err empty) or when its module
 * cannot be loaded (err says why). err may be NULL. */
const struct input_plugin *input_plugin_find(const char *name, char *err, size_t cap);

#endif
