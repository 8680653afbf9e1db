/* conf.h - the whole configuration: loading YAML (libfyaml), checking it
 * against the option tables of the core and of every plugin, and freeing it.
 * Nothing starts on a bad config: conf_load either fills *c completely or
 * reports every error as `FILE:LINE:COL: PATH: message` and returns -1. */
#ifndef VIGIL_CONF_H
#define VIGIL_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/option.h"

struct input_plugin;
struct parser_plugin;
struct output_plugin;
struct detector_plugin;

struct service_conf {
    char *state_dir;
    int64_t flush_interval_ms;
    int log_level;                    /* enum log_level */
    int64_t grace_period_ms;          /* stop: time allowed to flush */
    char *hostname;                   /* default: gethostname() */
    char *http_listen;                /* service.http.listen, NULL = off */
    bool http_alerts;                 /* service.http.alerts: serve GET /alerts */
    int64_t health_max_retry_age_ms;
    struct conf_strmap fields;        /* static fields of every record and alert */
    bool kubernetes;                  /* add the pod (Downward API) as k8s.* fields */
    char *kubernetes_labels_file;     /* Downward API labels volume file */
};

enum alert_format { ALERT_FORMAT_TEXT, ALERT_FORMAT_JSON, ALERT_FORMAT_NONE };
enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct alerts_conf {
    int format;                       /* enum alert_format */
    int min_severity;                 /* enum severity */
    int64_t throttle_ms;
    int color;                        /* enum color_mode */
    int64_t evidence_lines;
    char *tag;                        /* tag of alert events, "vigil.alert" */
};

/* The parser of an input: `parser: NAME` or `parser: {type: NAME, ...}`. */
struct parser_conf {
    char *type;
    const struct parser_plugin *plugin;
    void *ctx;                        /* plugin->ctx_size bytes, options filled */
};

/* `multiline:` of an input: consecutive lines joined into one event. */
enum multiline_preset { ML_PRESET_NONE, ML_PRESET_JAVA, ML_PRESET_PYTHON, ML_PRESET_GO, ML_PRESET_RUBY };

struct multiline_conf {
    int preset;                       /* enum multiline_preset */
    char *start;                      /* regex: a line matching it starts an event */
    char *cont;                       /* regex: a line matching it continues one */
    bool indent;                      /* a line starting with a space or tab continues */
    int64_t max_lines;
    uint64_t max_bytes;
    int64_t timeout_ms;               /* a pending event is emitted after this long without a line */
};

struct input_conf {
    char *name;
    char *type;
    char *tag;                        /* default: name */
    const struct input_plugin *plugin;
    void *ctx;                        /* plugin->ctx_size bytes, options filled */
    struct parser_conf parser;
    struct conf_strmap fields;        /* static fields of its records (over service.fields) */
    struct conf_strlist exclude_lines;  /* regexes: matching lines are dropped */
    struct conf_strlist include_lines;  /* regexes: when set, only matching lines are kept */
    struct multiline_conf multiline;
};

enum output_format { OUTPUT_FORMAT_MSGPACK, OUTPUT_FORMAT_JSON, OUTPUT_FORMAT_TEXT };
enum output_compression { OUTPUT_COMPRESS_NONE, OUTPUT_COMPRESS_LZ4, OUTPUT_COMPRESS_GZIP };
enum buffer_type { BUFFER_MEMORY, BUFFER_DISK };
enum on_full { ON_FULL_BLOCK, ON_FULL_DROP_OLDEST };
enum buffer_fsync { BUFFER_FSYNC_BATCH, BUFFER_FSYNC_NEVER };

struct batch_conf {
    int64_t max_events;
    uint64_t max_bytes;
    int64_t max_delay_ms;
};

struct retry_conf {
    int64_t initial_ms;
    int64_t max_ms;
    int64_t max_attempts;             /* 0 = forever */
};

struct buffer_conf {
    int type;                         /* enum buffer_type */
    uint64_t max_bytes;
    int on_full;                      /* enum on_full */
    int fsync;                        /* enum buffer_fsync */
};

/* Options every output has, whatever its type. */
struct output_common {
    struct conf_strlist match;        /* tag globs, default "*" */
    int format;                       /* enum output_format */
    int compression;                  /* enum output_compression */
    int64_t wire_version;             /* msgpack wire version 1 or 2; 0 in YAML = the type's */
    struct batch_conf batch;
    struct retry_conf retry;
    uint64_t queue_max_bytes;
    struct buffer_conf buffer;
};

struct output_conf {
    char *name;
    char *type;
    const struct output_plugin *plugin;
    struct output_common common;
    void *ctx;                        /* plugin->ctx_size bytes, options filled */
};

struct detector_conf {
    const struct detector_plugin *plugin;
    bool enabled;
    void *ctx;                        /* plugin->ctx_size bytes, options filled */
};

struct detectors_conf {
    bool enabled;                     /* master switch; each detector has its own too */
    uint64_t memory_max;
    int64_t learning_period_ms;
    int64_t snapshot_interval_ms;
    struct detector_conf *d;          /* one per registered detector plugin */
    size_t n;
};

struct vigil_conf {
    char *path;
    struct service_conf service;
    struct alerts_conf alerts;
    struct detectors_conf detectors;
    struct input_conf *inputs;
    size_t ninputs;
    struct output_conf *outputs;
    size_t noutputs;
};

/* Loads and checks path. On error prints each problem to errf (one line each,
 * `FILE:LINE:COL: PATH: message`) and returns -1 with *c freed. */
int conf_load(struct vigil_conf *c, const char *path, FILE *errf);
/* The same from a buffer (tests, fuzzing); name is used in messages. */
int conf_load_buffer(struct vigil_conf *c, const char *name, const char *buf, size_t len, FILE *errf);
/* Loads one YAML mapping against one option table into base (zeroed by the
 * caller): defaults, then the document, with the same checks and messages as
 * conf_load. For plugin unit tests. Returns -1 with base's contents freed. */
int conf_load_options(const struct conf_option *t, void *base, const char *name, const char *buf, size_t len,
                      FILE *errf);
void conf_free(struct vigil_conf *c);
/* Prints the effective configuration as YAML, secrets masked. */
void conf_dump(const struct vigil_conf *c, FILE *f);

/* `vigil --list-options [WHAT]`: prints every option with its type, default,
 * range and help, for the core sections and every input, parser, output and
 * detector type; with what set (a section or plugin name, e.g. "file",
 * "outputs", "service"), only the tables of that name. Returns -1 when what
 * names nothing. */
int conf_help(FILE *f, const char *what);

/* Tables of the core sections (conf/sections.c). */
extern const struct conf_option conf_service_options[];
extern const struct conf_option conf_alerts_options[];
extern const struct conf_option conf_detectors_options[];
extern const struct conf_option conf_input_common_options[];
extern const struct conf_option conf_output_common_options[];

#endif
