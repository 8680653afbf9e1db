/* output.c - the delivery core shared by every output type.
 * Records are encoded straight into the output's open batch; a closed batch
 * waits in a memory queue; one batch at a time is handed to the plugin, so
 * delivery is in order. The order of what an output holds is always
 *     inflight  <  disk buffer  <  memory queue  <  open batch
 * (the disk buffer is empty unless the queue overflowed): once anything is
 * spooled, newer batches go behind it, and when spilling starts the batch in
 * flight is written first, so after a stop the disk buffer replays in order.
 * A batch counts as accepted once delivered or written to the disk buffer;
 * outputs_pending_seq() reports the oldest one that is neither. */
#include "outputs/output.h"

#include <dirent.h>
#include <errno.h>
#include <assert.h>
#include <event2/event.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "outputs/retry.h"
#include "outputs/spool.h"
#include "sidecar/hash.h"
#include "sidecar/limits.h"
#include "sidecar/log.h"
#include "sidecar/pipeline.h"
#include "sidecar/stats.h"
#include "sidecar/vigil.h"
#include "sidecar/clock.h"
#include "sidecar/fsutil.h"

#define ERROR_LOG_INTERVAL_MS 10000

static void kick(struct output *out);
static void arm_timer(struct output *out);

void output_log(const struct output *out, int level, const char *fmt, ...)
{
    if (level < (int)log_threshold)
        return;
    char msg[LOG_LINE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_kv((enum log_level)level, NULL, "output %s: %s", out->name, msg);
}

void output_error(struct output *out, const char *fmt, ...)
{
    char msg[sizeof(out->last_error)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int64_t now = vigil_mono_ms();
    bool same = strcmp(msg, out->last_error) == 0;
    if (!same || now - out->last_error_log_ms >= ERROR_LOG_INTERVAL_MS) {
        output_log(out, LOG_WARN, "%s", msg);
        out->last_error_log_ms = now;
    }
    if (!same)
        memcpy(out->last_error, msg, sizeof(msg));
}

/* ---- limits and helpers ---- */

static uint64_t queue_cap(const struct output *out)
{
    return out->conf->common.queue_max_bytes;   /* never 0: fix_defaults */
}

static uint64_t spool_count_of(const struct output *out)
{
    return out->spool ? spool_count(out->spool) : 0;
}

static void queue_push(struct output *out, struct batch *b)
{
    /* the queue is in the order batches were closed: ids and sequence
     * numbers grow from head to tail */
    assert(!out->queue_tail || (out->queue_tail->id < b->id &&
                                out->queue_tail->last_seq <= b->first_seq));
    b->next = NULL;
    if (out->queue_tail)
        out->queue_tail->next = b;
    else
        out->queue_head = b;
    out->queue_tail = b;
    out->queue_bytes += b->len;
    out->queue_count++;
}

static struct batch *queue_pop(struct output *out)
{
    struct batch *b = out->queue_head;
    if (!b)
        return NULL;
    assert(out->queue_count > 0 && out->queue_bytes >= b->len);
    out->queue_head = b->next;
    if (!out->queue_head)
        out->queue_tail = NULL;
    out->queue_bytes -= b->len;
    out->queue_count--;
    b->next = NULL;
    return b;
}

/* A batch is accepted once delivered or written to the disk buffer: the
 * time from its oldest line's read to then goes to the latency histogram,
 * once per batch. read_ts is vigil_wall_ns (sidecar/clock.h). */
static void observe_latency(struct output *out, struct batch *b)
{
    if (!b->min_read_ts || !out->vg)
        return;
    int64_t ns = vigil_wall_ns() - b->min_read_ts;
    telemetry_latency(&out->vg->telemetry, ns > 0 ? (double)ns / 1e9 : 0.0);
    b->min_read_ts = 0;
}

/* Asks the pipeline to resume once no output is full any more. */
static void unblock(struct output *out)
{
    if (!out->blocked)
        return;
    out->blocked = false;
    struct vigil *vg = out->vg;
    for (size_t i = 0; vg && i < vg->noutputs; i++)
        if (vg->outputs[i] && vg->outputs[i]->blocked)
            return;
    output_log(out, LOG_INFO, "buffer has room again, resuming inputs");
    pipeline_resume(vg);
}

/* spool_append, its failures (write or fsync) counted. */
static int spool_put(struct output *out, const struct batch *b)
{
    int rc = spool_append(out->spool, b);
    if (rc < 0)
        out->stats.buffer_write_errors++;
    return rc;
}

/* Writes the batch in flight and then the queue, oldest first, to the disk
 * buffer while they fit. The batch in flight goes first only when the disk
 * buffer is empty: then it is the oldest thing this output holds. */
static void spill(struct output *out)
{
    if (!out->spool)
        return;
    if (out->inflight && !out->inflight_spooled && !out->inflight_unspooled &&
        spool_count(out->spool) == 0 && (out->queue_head || out->stopped)) {
        if (spool_put(out, out->inflight) != 0)
            return;
        observe_latency(out, out->inflight);
        out->inflight_spooled = true;
        out->stats.spooled_batches++;
    }
    while (out->queue_head) {
        if (spool_put(out, out->queue_head) != 0)
            return;
        observe_latency(out, out->queue_head);
        batch_free(queue_pop(out));
        out->stats.spooled_batches++;
    }
}

/* Removes the oldest batch of the disk buffer for good. */
static bool drop_spooled(struct output *out)
{
    if (out->inflight_spooled) {
        /* its disk copy goes; the batch itself is still being sent */
        spool_pop(out->spool);
        out->inflight_spooled = false;
        out->inflight_unspooled = true;
        if (!spool_count(out->spool))
            return false;
    }
    int64_t n = spool_pop(out->spool);
    if (n < 0)
        return false;
    out->stats.dropped += (uint64_t)n;
    output_log(out, LOG_ERROR, "disk buffer full (on_full: drop_oldest): dropped its oldest batch of %" PRId64 " events",
               n);
    return true;
}

/* Keeps memory under queue_max_bytes: spill to disk, then on_full. */
static void balance(struct output *out)
{
    uint64_t cap = queue_cap(out);
    if (out->spool && (spool_count(out->spool) > 0 || out->queue_bytes > cap))
        spill(out);
    if (out->queue_bytes <= cap) {
        unblock(out);
        return;
    }
    if (out->conf->common.buffer.on_full == ON_FULL_DROP_OLDEST) {
        while (out->queue_bytes > cap && out->spool && drop_spooled(out))
            spill(out);
        while (out->queue_bytes > cap && out->queue_count > 1) {
            struct batch *b = queue_pop(out);
            out->stats.dropped += b->n_events;
            output_log(out, LOG_ERROR, "queue full (on_full: drop_oldest): dropped its oldest batch of %u events",
                       (unsigned)b->n_events);
            batch_free(b);
        }
        if (out->queue_bytes <= cap)
            unblock(out);
        return;
    }
    if (!out->blocked) {
        out->blocked = true;
        output_log(out, LOG_WARN, "%s full, pausing inputs until it drains",
                   out->spool ? "disk buffer" : "queue");
        pipeline_pause(out->vg, out->name);
    }
}

/* ---- batches ---- */

/* Queues the open batch. The caller then kicks, which also applies the
 * memory limit once the send loop has taken what it can. */
static void close_open(struct output *out)
{
    if (!batch_writer_events(out->writer))
        return;
    uint64_t t0 = STATS_NESTED_BEGIN(out->vg);
    struct batch *b = batch_writer_finish(out->writer);
    STATS_NESTED_END(out->vg, PSTAGE_COMPRESS, t0);
    if (!b) {
        output_error(out, "cannot close batch: out of memory");
        return;
    }
    b->id = ++out->next_batch_id;
    out->open_first_seq = 0;
    queue_push(out, b);
}

/* The batch in flight is done with (delivered or given up). */
static void finish_inflight(struct output *out)
{
    /* at most one batch in flight, and not while the plugin still holds it */
    assert(out->inflight && !out->busy);
    assert(!(out->inflight_spooled && out->inflight_unspooled));
    if (out->inflight_spooled)
        spool_pop(out->spool);
    out->inflight_spooled = false;
    out->inflight_unspooled = false;
    batch_free(out->inflight);
    out->inflight = NULL;
}

void output_done(struct output *out, struct batch *b, enum output_status st)
{
    if (b != out->inflight || !out->busy) {
        output_log(out, LOG_ERROR, "output_done for a batch not in flight (ignored)");
        return;
    }
    out->busy = false;
    int64_t now = vigil_mono_ms();
    switch (st) {
    case OUTPUT_OK:
        out->stats.events += b->n_events;
        out->stats.batches++;
        out->stats.bytes_raw += b->raw_len;
        out->stats.bytes_wire += b->wire_len ? b->wire_len : b->len;
        observe_latency(out, b);
        out->healthy = true;
        out->failing_since_ms = 0;
        finish_inflight(out);
        break;
    case OUTPUT_RETRY:
        out->stats.retries++;
        out->stats.errors++;
        out->healthy = false;
        if (!out->failing_since_ms)
            out->failing_since_ms = now;
        if (retry_exhausted(&out->conf->common.retry, b->attempts)) {
            output_log(out, LOG_ERROR, "giving up on a batch after %u attempts: %u events dropped",
                       (unsigned)b->attempts, (unsigned)b->n_events);
            out->stats.dropped += b->n_events;
            finish_inflight(out);
        } else {
            /* The plugin may have asked for later (HTTP Retry-After): keep the later. */
            int64_t at = now + retry_delay_ms(&out->conf->common.retry, b->attempts, &out->rng);
            if (b->not_before_ms < at)
                b->not_before_ms = at;
        }
        break;
    case OUTPUT_REJECT:
    default:
        out->stats.rejected += b->n_events;
        out->stats.errors++;
        output_log(out, LOG_ERROR, "batch rejected by the receiver: %u events dropped",
                   (unsigned)b->n_events);
        finish_inflight(out);
        break;
    }
    if (out->stopped)
        return;
    balance(out);
    kick(out);
}

/* Hands the next batch to the plugin unless one is in flight. Loops because
 * a plugin may finish synchronously (output_done inside flush). */
static void kick(struct output *out)
{
    if (out->in_kick || out->stopped)
        return;
    out->in_kick = true;
    while (!out->busy) {
        if (!out->inflight) {
            if (spool_count_of(out) > 0) {
                struct batch *b = spool_peek(out->spool);
                if (!b && spool_count(out->spool) == 0)
                    continue;   /* only damaged records were left: go on with memory */
                if (!b)
                    break;      /* I/O error, logged: the timer tries again */
                b->id = ++out->next_batch_id;
                out->inflight = b;
                out->inflight_spooled = true;
            } else if (out->queue_head) {
                out->inflight = queue_pop(out);
                out->inflight_spooled = false;
            } else {
                break;
            }
        }
        struct batch *b = out->inflight;
        if (b->not_before_ms > vigil_mono_ms())
            break;
        assert(out->inflight == b && !b->next);
        out->busy = true;
        b->attempts++;
        uint64_t t0 = STATS_NESTED_BEGIN(out->vg);
        out->plugin->flush(out, b);
        STATS_NESTED_END(out->vg, PSTAGE_WRITE, t0);
    }
    out->in_kick = false;
    balance(out);
    arm_timer(out);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct output *out = arg;
    out->timer_at_ms = 0;
    if (batch_writer_events(out->writer) &&
        vigil_mono_ms() >= out->open_since_ms + out->conf->common.batch.max_delay_ms)
        close_open(out);
    kick(out);
    arm_timer(out);
}

/* Arms the timer for the next deadline (open batch age, retry) unless an
 * earlier one is armed already. */
static void arm_timer(struct output *out)
{
    if (!out->timer || out->stopped)
        return;
    int64_t at = INT64_MAX;
    if (batch_writer_events(out->writer))
        at = out->open_since_ms + out->conf->common.batch.max_delay_ms;
    if (out->inflight && !out->busy && out->inflight->not_before_ms < at)
        at = out->inflight->not_before_ms;
    if (!out->inflight && !out->busy && spool_count_of(out) + out->queue_count > 0) {
        int64_t soon = vigil_mono_ms() + 1000;   /* a failed disk read: try again */
        if (soon < at)
            at = soon;
    }
    if (at == INT64_MAX || (out->timer_at_ms && out->timer_at_ms <= at))
        return;
    int64_t d = at - vigil_mono_ms();
    if (d < 0)
        d = 0;
    struct timeval tv = { .tv_sec = d / 1000, .tv_usec = (d % 1000) * 1000 };
    if (event_add(out->timer, &tv) == 0)
        out->timer_at_ms = at;
}

/* ---- entry points ---- */

bool output_matches(const struct output *out, struct span tag)
{
    const struct conf_strlist *m = &out->conf->common.match;
    if (m->n == 0)
        return true;
    char t[TAG_MAX_BYTES + 1];
    size_t n = tag.len < TAG_MAX_BYTES ? tag.len : TAG_MAX_BYTES;
    if (n)
        memcpy(t, tag.p, n);
    t[n] = 0;
    if (memchr(t, 0, n))
        return false;   /* a NUL inside a tag would make fnmatch see less */
    for (size_t i = 0; i < m->n; i++)
        if (fnmatch(m->v[i], t, 0) == 0)
            return true;
    return false;
}

void output_add(struct output *out, const struct record *r)
{
    const struct batch_conf *bc = &out->conf->common.batch;
    bool first = batch_writer_events(out->writer) == 0;
    if (batch_writer_add(out->writer, r) < 0) {
        out->stats.dropped++;
        output_error(out, "out of memory: event dropped");
        return;
    }
    if (first) {
        out->open_first_seq = r->seq;
        out->open_since_ms = vigil_mono_ms();
        arm_timer(out);
    }
    if ((int64_t)batch_writer_events(out->writer) >= bc->max_events ||
        batch_writer_bytes(out->writer) >= bc->max_bytes) {
        close_open(out);
        kick(out);
    }
}

/* Output names become folder names: keep them to one harmless component. */
static void safe_name(char *dst, size_t cap, const char *name)
{
    size_t i = 0;
    for (; name[i] && i + 1 < cap; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || (c == '.' && i > 0);
        dst[i] = ok ? c : '_';
    }
    dst[i] = 0;
}

/* A config built by hand (tests, tools) leaves fields zero: they take the
 * defaults of the option table (conf/sections.c), where they are stated once. */
static void fix_defaults(struct output_common *c)
{
    struct output_conf def;
    char err[200];
    memset(&def, 0, sizeof(def));
    if (conf_options_defaults(conf_output_common_options, &def, err, sizeof(err)) < 0) {
        log_error("output defaults: %s", err);   /* a bad table: caught by the conf tests */
        return;
    }
    const struct output_common *d = &def.common;
    if (c->batch.max_events <= 0)
        c->batch.max_events = d->batch.max_events;
    if (c->batch.max_bytes == 0)
        c->batch.max_bytes = d->batch.max_bytes;
    if (c->batch.max_delay_ms <= 0)
        c->batch.max_delay_ms = d->batch.max_delay_ms;
    if (c->retry.initial_ms <= 0)
        c->retry.initial_ms = d->retry.initial_ms;
    if (c->retry.max_ms < c->retry.initial_ms)
        c->retry.max_ms = c->retry.initial_ms > d->retry.max_ms ? c->retry.initial_ms : d->retry.max_ms;
    if (c->queue_max_bytes == 0)
        c->queue_max_bytes = d->queue_max_bytes;
    if (c->buffer.max_bytes == 0)
        c->buffer.max_bytes = d->buffer.max_bytes;
    conf_options_free(conf_output_common_options, &def);
}

static struct output *output_new(struct vigil *vg, struct output_conf *conf, size_t index)
{
    struct output *out = calloc(1, sizeof(*out));
    if (!out)
        return NULL;
    out->plugin = conf->plugin;
    out->conf = conf;
    out->name = conf->name;
    out->ctx = conf->ctx;
    out->vg = vg;
    out->index = index;
    out->healthy = true;
    out->rng = hash_fnv1a(conf->name, strlen(conf->name), HASH_FNV_INIT) ^ (uint64_t)vigil_mono_ms();
    fix_defaults(&conf->common);
    return out;
}

/* ---- disk buffer identity ----
 * A disk buffer lives in STATE/buffer/NAME. Beside the segments, `output.id`
 * says which output wrote it: its type and destination. When an output is
 * renamed, its former folder has no owner any more; the output that has the
 * same type and destination and no backlog of its own adopts it (the folder
 * is renamed), so its batches are sent first. Any other ownerless folder with
 * batches in it is reported at every start and reload, with what to do. */

#define OUTPUT_ID_FILE "output.id"

static void output_identity(const struct output_conf *conf, char *dst, size_t cap)
{
    char where[PATH_MAX_BYTES] = "";
    if (conf->plugin && conf->plugin->destination && conf->ctx)
        conf->plugin->destination(conf->ctx, where, sizeof(where));
    snprintf(dst, cap, "type=%s\ndestination=%s\n", conf->plugin ? conf->plugin->name : "?", where);
}

/* The identity a buffer folder was written with; "" when none (an older
 * vigil) or unreadable. */
static void read_identity(const char *dir, char *dst, size_t cap)
{
    char path[PATH_MAX_BYTES];
    dst[0] = 0;
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, OUTPUT_ID_FILE) >= sizeof(path))
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, dst, cap - 1);
    close(fd);
    dst[n > 0 ? n : 0] = 0;
}

/* Batches and bytes waiting in the buffer folder dir (0 when there is none);
 * opening it also checks and repairs it, as the owner would. */
static uint64_t buffer_backlog(const char *dir, const char *who, uint64_t *bytes)
{
    struct stat st;
    *bytes = 0;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return 0;
    /* a probe: spool_open's "sent first" note is for the owner to say */
    enum log_level saved = log_threshold;
    if (log_threshold < LOG_WARN)
        log_threshold = LOG_WARN;
    struct spool *sp = spool_open(dir, UINT64_MAX, false, who);
    log_threshold = saved;
    if (!sp)
        return 0;
    uint64_t n = spool_count(sp);
    *bytes = spool_bytes(sp);
    spool_close(sp);
    return n;
}

/* True when folder name belongs to a configured output with a disk buffer. */
static bool buffer_owned(const struct vigil_conf *c, const char *name)
{
    for (size_t i = 0; i < c->noutputs; i++) {
        char mine[128];
        safe_name(mine, sizeof(mine), c->outputs[i].name ? c->outputs[i].name : "");
        if (c->outputs[i].common.buffer.type == BUFFER_DISK && strcmp(mine, name) == 0)
            return true;
    }
    return false;
}

/* Before out opens its own buffer folder dir: adopt the folder of a former
 * output with the same identity when dir holds nothing yet. */
static void buffer_adopt(struct vigil *vg, struct output *out, const char *dir, const char *id)
{
    const char *state = vg->conf->service.state_dir;
    char root[PATH_MAX_BYTES], cand[PATH_MAX_BYTES], found[PATH_MAX_BYTES] = "", theirs[512];
    uint64_t bytes, n;
    if ((size_t)snprintf(root, sizeof(root), "%s/buffer", state) >= sizeof(root))
        return;
    if (buffer_backlog(dir, out->name, &bytes))
        return;     /* its own backlog comes first; a former one is reported later */
    DIR *d = opendir(root);
    if (!d)
        return;
    struct dirent *de;
    int matches = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || buffer_owned(vg->conf, de->d_name))
            continue;
        if ((size_t)snprintf(cand, sizeof(cand), "%s/%s", root, de->d_name) >= sizeof(cand))
            continue;
        read_identity(cand, theirs, sizeof(theirs));
        if (strcmp(theirs, id) != 0)
            continue;
        if (matches++ == 0)
            snprintf(found, sizeof(found), "%s", cand);
    }
    closedir(d);
    if (matches != 1) {
        if (matches > 1)
            output_log(out, LOG_WARN, "%d former disk buffers have this output's type and destination: "
                       "adopting none (see the warnings below)", matches);
        return;
    }
    char who[160];
    snprintf(who, sizeof(who), "output %s (adopting)", out->name);
    n = buffer_backlog(found, who, &bytes);
    rmdir(dir);     /* an empty folder of its own makes way; a non-empty one makes rename fail */
    if (rename(found, dir) < 0) {
        output_log(out, LOG_ERROR, "cannot adopt the disk buffer %s: rename to %s: %s", found, dir,
                   strerror(errno));
        return;
    }
    fs_sync_dir(dir);
    output_log(out, LOG_WARN, "adopted the disk buffer %s of a former output with the same type "
               "and destination: its %" PRIu64 " batches (%" PRIu64 " bytes) are sent first",
               found, n, bytes);
}

/* After every output is set up: a buffer folder without an owner that still
 * holds batches is never left silently. */
static void buffer_report_orphans(struct vigil *vg)
{
    const char *state = vg->conf->service.state_dir;
    char root[PATH_MAX_BYTES], cand[PATH_MAX_BYTES], theirs[512];
    if (!state || !*state || (size_t)snprintf(root, sizeof(root), "%s/buffer", state) >= sizeof(root))
        return;
    DIR *d = opendir(root);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || buffer_owned(vg->conf, de->d_name))
            continue;
        if ((size_t)snprintf(cand, sizeof(cand), "%s/%s", root, de->d_name) >= sizeof(cand))
            continue;
        char who[300];
        snprintf(who, sizeof(who), "disk buffer %s", de->d_name);
        uint64_t bytes, n = buffer_backlog(cand, who, &bytes);
        if (!n)
            continue;
        read_identity(cand, theirs, sizeof(theirs));
        for (char *q = theirs; *q; q++)
            if (*q == '\n')
                *q = ' ';
        char shown[600];
        log_escape(shown, sizeof(shown), theirs, strlen(theirs), '"');
        log_warn("disk buffer %s holds %" PRIu64 " undelivered batches (%" PRIu64 " bytes) of an output "
                 "that no longer exists or no longer has a disk buffer (%s): they are NOT sent. To send "
                 "them, configure an output named %s with buffer.type disk again, or give the output "
                 "that replaced it the same type and destination (it then adopts this buffer); to "
                 "discard them, remove the folder",
                 cand, n, bytes, shown[0] ? shown : "written before vigil recorded output identities",
                 de->d_name);
    }
    closedir(d);
}

static int plugin_encode(void *arg, struct buf *b, const struct record *r)
{
    struct output *out = arg;
    return out->plugin->encode(out, b, r);
}

/* Builds one output; NULL after logging. vg->outputs[index] is set as soon
 * as it exists so that outputs_free can undo a half-built set. */
static int output_setup(struct vigil *vg, size_t i)
{
    struct output_conf *conf = &vg->conf->outputs[i];
    if (!conf->plugin) {
        log_error("output %s: unknown type", conf->name);
        return -1;
    }
    struct output *out = output_new(vg, conf, i);
    if (!out) {
        log_error("output %s: out of memory", conf->name);
        return -1;
    }
    vg->outputs[i] = out;
    vg->noutputs = i + 1;
    if (vg->base) {
        out->timer = event_new(vg->base, -1, 0, timer_cb, out);
        if (!out->timer) {
            output_log(out, LOG_ERROR, "cannot create timer");
            return -1;
        }
    }
    if (conf->common.buffer.type == BUFFER_DISK) {
        const char *state = vg->conf->service.state_dir;
        char name[128], dir[PATH_MAX_BYTES];
        if (!state || !*state) {
            output_log(out, LOG_ERROR, "buffer.type disk needs service.state_dir");
            return -1;
        }
        safe_name(name, sizeof(name), conf->name);
        if ((size_t)snprintf(dir, sizeof(dir), "%s/buffer/%s", state, name) >= sizeof(dir)) {
            output_log(out, LOG_ERROR, "state_dir path too long");
            return -1;
        }
        char who[160], id[PATH_MAX_BYTES + 64], had[512];
        snprintf(who, sizeof(who), "output %s", conf->name);
        output_identity(conf, id, sizeof(id));
        buffer_adopt(vg, out, dir, id);
        out->spool = spool_open(dir, conf->common.buffer.max_bytes,
                                conf->common.buffer.fsync == BUFFER_FSYNC_BATCH, who);
        if (!out->spool)
            return -1;
        read_identity(dir, had, sizeof(had));
        if (strcmp(had, id) != 0) {
            char path[PATH_MAX_BYTES + 16];
            if (had[0] && spool_count(out->spool))
                output_log(out, LOG_WARN, "its disk buffer was written by an output of another type or "
                           "destination: its %" PRIu64 " batches now go to this one",
                           spool_count(out->spool));
            snprintf(path, sizeof(path), "%s/%s", dir, OUTPUT_ID_FILE);
            fs_write_atomic(path, id, strlen(id), true);
        }
    }
    if (out->plugin->init && out->plugin->init(out) < 0)
        return -1;
    out->inited = true;
    /* After init: a plugin may take over a common option (kafka compresses
     * at the broker level and turns the batch compression off). */
    out->writer = batch_writer_new(conf->common.format, conf->common.compression);
    if (!out->writer) {
        output_log(out, LOG_ERROR, "out of memory");
        return -1;
    }
    if (out->plugin->encode)
        batch_writer_set_encoder(out->writer, plugin_encode, out);
    else if (batch_writer_set_wire(out->writer, (int)conf->common.wire_version) < 0) {
        output_log(out, LOG_ERROR, "out of memory");
        return -1;
    }
    if (spool_count_of(out) && out->timer) {
        /* what the last run left is sent first, once the loop runs */
        struct timeval tv = { 0, 0 };
        if (event_add(out->timer, &tv) == 0)
            out->timer_at_ms = vigil_mono_ms();
    }
    return 0;
}

int outputs_init(struct vigil *vg)
{
    size_t n = vg->conf->noutputs;
    vg->noutputs = 0;
    vg->outputs = n ? calloc(n, sizeof(*vg->outputs)) : NULL;
    if (n && !vg->outputs) {
        log_error("outputs: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (output_setup(vg, i) < 0)
            return -1;
    buffer_report_orphans(vg);
    return 0;
}

void outputs_flush(struct vigil *vg)
{
    for (size_t i = 0; i < vg->noutputs; i++) {
        struct output *out = vg->outputs[i];
        if (!out || out->stopped)
            continue;
        close_open(out);
        kick(out);
    }
}

uint64_t outputs_pending_seq(struct vigil *vg)
{
    uint64_t min = UINT64_MAX;
    for (size_t i = 0; i < vg->noutputs; i++) {
        const struct output *out = vg->outputs[i];
        if (!out)
            continue;
        if (out->inflight && !out->inflight_spooled && out->inflight->first_seq &&
            out->inflight->first_seq < min)
            min = out->inflight->first_seq;
        for (const struct batch *b = out->queue_head; b; b = b->next)
            if (b->first_seq && b->first_seq < min)
                min = b->first_seq;
        if (batch_writer_events(out->writer) && out->open_first_seq < min)
            min = out->open_first_seq;
    }
    return min;
}

bool outputs_idle(struct vigil *vg)
{
    for (size_t i = 0; i < vg->noutputs; i++) {
        const struct output *out = vg->outputs[i];
        if (!out)
            continue;
        /* once stopped, a batch in flight that is also on disk is saved:
         * the next run sends it */
        bool inflight = out->inflight && !(out->stopped && out->inflight_spooled);
        if (inflight || out->queue_head || batch_writer_events(out->writer))
            return false;
    }
    return true;
}

void outputs_shutdown(struct vigil *vg)
{
    for (size_t i = 0; i < vg->noutputs; i++) {
        struct output *out = vg->outputs[i];
        if (!out || out->stopped)
            continue;
        close_open(out);
        out->stopped = true;
        if (out->timer)
            event_del(out->timer);
        out->timer_at_ms = 0;
        if (out->spool) {
            bool was_empty = spool_count(out->spool) == 0;
            if (out->inflight && !out->inflight_spooled) {
                if (was_empty && !out->inflight_unspooled) {
                    spill(out);   /* the batch in flight first, then the queue */
                } else if (spool_put(out, out->inflight) == 0) {
                    /* it lost its disk copy to drop_oldest: keep it, out of order */
                    observe_latency(out, out->inflight);
                    out->stats.spooled_batches++;
                }
            }
            spill(out);
            spool_sync(out->spool);
        }
        uint64_t lost = 0;
        for (const struct batch *b = out->queue_head; b; b = b->next)
            lost += b->n_events;
        if (out->inflight && !out->inflight_spooled)
            lost += out->inflight->n_events;
        if (lost)
            output_log(out, LOG_WARN, "stopping with %" PRIu64 " events not delivered%s", lost,
                       out->spool ? " and not saved (disk buffer full)" : " (no disk buffer)");
        if (out->plugin->shutdown)
            out->plugin->shutdown(out);
    }
}

void outputs_free(struct vigil *vg)
{
    for (size_t i = 0; i < vg->noutputs; i++) {
        struct output *out = vg->outputs[i];
        if (!out)
            continue;
        out->stopped = true;
        if (out->inited && out->plugin->destroy)
            out->plugin->destroy(out);
        if (out->timer)
            event_free(out->timer);
        struct batch *b;
        while ((b = queue_pop(out)))
            batch_free(b);
        batch_free(out->inflight);
        batch_writer_free(out->writer);
        spool_close(out->spool);
        free(out);
    }
    free(vg->outputs);
    vg->outputs = NULL;
    vg->noutputs = 0;
}

uint64_t output_buffered_bytes(const struct output *out)
{
    uint64_t n = out->queue_bytes + batch_writer_bytes(out->writer);
    if (out->inflight)
        n += out->inflight->len;
    if (out->spool)
        n += spool_bytes(out->spool);
    return n;
}
