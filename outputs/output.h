/* output.h - the output interface and the delivery core around it.
 * A plugin (a row of outputs/registry.c, chosen by `outputs[].type`) only
 * sends batches. The core (outputs/output.c) does the rest, the same for all:
 * matching tags, batching (max_events / max_bytes / max_delay), compression,
 * the in-memory queue, spilling to the disk buffer (outputs/spool.c), retries
 * with backoff and jitter (outputs/retry.c), ordering, and backpressure.
 * One batch is in flight per output at a time, so delivery is in order. */
#ifndef VIGIL_OUTPUT_H
#define VIGIL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "outputs/batch.h"
#include "sidecar/record.h"

struct vigil;
struct module_entry;
struct output;
struct spool;
struct event;

enum output_status {
    OUTPUT_OK,      /* delivered (acknowledged where the protocol acks) */
    OUTPUT_RETRY,   /* not delivered now: the core retries it later, in order */
    OUTPUT_REJECT,  /* refused for good (e.g. HTTP 400): counted and logged, dropped */
};

struct output_plugin {
    const char *name;                   /* value of `type:` in YAML */
    const struct conf_option *options;  /* {0}-terminated, plugin options only */
    size_t ctx_size;                    /* the core callocs ctx and fills in the options */
    int default_format;                 /* enum output_format when `format:` is absent */
    int default_compression;            /* enum output_compression when absent */
    /* The compressions it carries, bits 1 << enum output_compression: any
     * other is refused when the configuration is loaded (--validate too). */
    unsigned compressions;
    /* The msgpack wire version (docs/wire-format.md) when `wire_version:` is
     * absent: 2 where vigil owns the framing (file, tcp, http); 0 = version
     * 1 only (its peers read plain msgpack entries, or it re-frames them). */
    int wire_version;
    /* Where it sends, from its options (ctx as loaded, before init): with
     * the type, the identity that lets a renamed output adopt the disk
     * buffer its former name left (outputs/output.c). NULL = none. */
    void (*destination)(const void *ctx, char *dst, size_t cap);
    /* Checks options, opens what it needs (connections may come later).
     * May adjust out->conf->common (the batch writer is made after init).
     * Returns -1 after logging why: vigil does not start. */
    int (*init)(struct output *out);
    /* Starts sending b; calls output_done(out, b, status) exactly once, now or
     * later from the event loop. b stays owned by the core. */
    void (*flush)(struct output *out, struct batch *b);
    /* Optional: encodes each record into the batch itself instead of the
     * core's `format` (see batch_writer_set_encoder); -1 on ENOMEM only. */
    int (*encode)(struct output *out, struct buf *b, const struct record *r);
    /* Optional: stop is coming; close connections politely. */
    void (*shutdown)(struct output *out);
    void (*destroy)(struct output *out);  /* frees what init made; the core frees ctx */
};

/* events, rejected, dropped and possibly_lost count events; retries and
 * errors count failed sends; bytes_raw / bytes_wire are before / after
 * compression of the delivered batches (for batches replayed from the disk
 * buffer both are the wire size). possibly_lost: events counted in `events`
 * that went to a receiver without acknowledgement over a connection that
 * later failed (tcp with ack: false). */
struct output_stats {
    uint64_t events, batches, bytes_raw, bytes_wire, retries, rejected, dropped,
             spooled_batches, errors, possibly_lost;
    uint64_t buffer_write_errors;       /* disk buffer appends failed (write or fdatasync) */
};

struct output {
    const struct output_plugin *plugin;
    struct output_conf *conf;
    const char *name;                   /* == conf->name */
    void *ctx;                          /* == conf->ctx */
    struct vigil *vg;
    size_t index;
    /* delivery core state (outputs/output.c) */
    struct batch_writer *writer;
    uint64_t open_first_seq;            /* first seq in the open batch, 0 = none */
    int64_t open_since_ms;
    struct batch *queue_head, *queue_tail;  /* closed, waiting, oldest first */
    size_t queue_bytes;
    struct batch *inflight;
    struct spool *spool;                /* disk buffer, NULL for memory */
    struct event *timer;                /* max_delay and retry wakeups */
    bool blocked;                       /* full: asked the pipeline to pause */
    bool healthy;
    int64_t failing_since_ms;           /* first failed attempt of the current run, 0 = ok */
    char last_error[256];
    struct output_stats stats;
    /* private to outputs/output.c */
    bool busy;                          /* plugin->flush has inflight, no output_done yet */
    bool inflight_spooled;              /* inflight is also the disk buffer's oldest batch */
    bool inflight_unspooled;            /* drop_oldest removed its disk copy: keep it out */
    bool in_kick;                       /* the send loop is on the stack */
    bool stopped;                       /* outputs_shutdown ran: send nothing more */
    bool inited;                        /* plugin->init succeeded: destroy is due */
    size_t queue_count;
    uint64_t next_batch_id;
    uint64_t rng;                       /* retry jitter state */
    int64_t timer_at_ms;                /* when the armed timer fires, 0 = not armed */
    int64_t last_error_log_ms;
};

/* The plugin's report for a batch given to flush(). */
void output_done(struct output *out, struct batch *b, enum output_status st);
/* Plugins log through this so every line names the output. */
void output_log(const struct output *out, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets out->last_error (shown by /healthz) and logs it at warn, rate-limited. */
void output_error(struct output *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Core entry points used by the pipeline and main. */
int outputs_init(struct vigil *vg);                   /* every configured output */
bool output_matches(const struct output *out, struct span tag);
void output_add(struct output *out, const struct record *r);
/* Closes open batches and sends them (flush_interval tick, stop). */
void outputs_flush(struct vigil *vg);
/* Lowest seq any output still holds only in memory; UINT64_MAX when none. */
uint64_t outputs_pending_seq(struct vigil *vg);
/* True when every output has nothing queued or in flight (stop may exit).
 * After outputs_shutdown: nothing is left in memory only (what is in flight
 * but also in the disk buffer counts as saved). */
bool outputs_idle(struct vigil *vg);
/* Bytes waiting: memory queue, open batch and disk buffer. */
uint64_t output_buffered_bytes(const struct output *out);
/* Stop: whatever is still in memory goes to the disk buffer when there is one. */
void outputs_shutdown(struct vigil *vg);
void outputs_free(struct vigil *vg);

/* Every output type (outputs/registry.c), NULL-terminated; a row may be in a
 * module (sidecar/module.h). */
extern const struct module_entry *const output_types[];
/* The plugin of type name: NULL when unknown (err empty) or when its module
 * cannot be loaded (err says why). err may be NULL. */
const struct output_plugin *output_plugin_find(const char *name, char *err, size_t cap);

#endif
