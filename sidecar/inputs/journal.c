/* journal.c - the `journal` input: the systemd journal through sd-journal.
 * Each entry becomes the line a syslog daemon would have written for it,
 * `<RFC 3339 time of __REALTIME_TIMESTAMP> HOST IDENT[PID]: MESSAGE`, and goes
 * to the configured parser like a line of a file (so `auth` parses sshd, sudo
 * and su entries exactly as from auth.log); the unit and the priority (as
 * `level`) are added to the record.
 *
 * Checkpoint: the cursor. Within a run, entries are numbered 1, 2, ... and
 * that number is the source's "offset" for the pipeline's (seq, offset)
 * marks; a ring keeps the cursor of each marked number, and the checkpoint
 * writes the cursor of the newest number every output has accepted. At
 * start the cursor is sought: when it is gone (the journal was vacuumed)
 * that is reported and reading resumes at the oldest entry after it. */
#include <systemd/sd-journal.h>
/* sd-journal.h brings <syslog.h>, whose LOG_DEBUG and LOG_INFO macros would
 * shadow vigil's log levels */
#undef LOG_DEBUG
#undef LOG_INFO

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/fsutil.h"
#include "sidecar/inputs/input.h"
#include "sidecar/limits.h"
#include "sidecar/log.h"
#include "sidecar/merge.h"
#include "sidecar/multiline.h"
#include "sidecar/pipeline.h"
#include "sidecar/timestamp.h"
#include "sidecar/vigil.h"

#define JOURNAL_BUDGET    512         /* entries per wakeup */
#define JOURNAL_RING      (SOURCE_MARKS + 2)
#define JOURNAL_FIELD_MAX 4096        /* identifier, host, unit: longer is cut */

enum journal_read_from { JOURNAL_TAIL, JOURNAL_HEAD };

struct journal_options {
    char *directory;
    struct conf_strlist files;
    struct conf_strlist matches;
    int read_from;
    uint64_t max_line_bytes;
    int64_t poll_interval_ms;
};

struct journal_mark {
    uint64_t n;
    char *cursor;
};

struct journal_ctx {
    struct journal_options opt;       /* first: the core fills it */
    struct input *in;
    sd_journal *j;
    struct source src;
    struct event *io_ev, *work_ev, *poll_ev;
    char *line;
    size_t line_cap;
    uint64_t n;                       /* entries handed to the pipeline */
    struct journal_mark ring[JOURNAL_RING];
    unsigned ring_head, ring_n;
    char *saved;                      /* cursor last written */
    char *ckpt_path;
    bool started, stopped, parked;
    bool late;                        /* opened after start (the folder appeared): read it all */
};

static const char *const read_from_names[] = { "tail", "head", NULL };

#define O(f) offsetof(struct journal_options, f)
static const struct conf_option journal_options[] = {
    { "directory", CONF_STR, NULL, O(directory), 1, PATH_MAX_BYTES - 1,
      "a journal folder (a mounted /var/log/journal); default: the local journal" },
    { "files", CONF_STRLIST, NULL, O(files), 0, 0, "journal files to read instead of a folder" },
    { "matches", CONF_STRLIST, NULL, O(matches), 0, 0,
      "FIELD=value matches as journalctl takes them: different fields must all match, the same "
      "field any of its values, \"+\" between groups for OR" },
    { "read_from", CONF_ENUM, "tail", O(read_from), 0, 0,
      "where to start without a saved cursor: tail (new entries only) | head", .enums = read_from_names },
    { "max_line_bytes", CONF_SIZE, "64KiB", O(max_line_bytes), 256, LINE_MAX_BYTES_CAP,
      "longer entries are cut, flagged truncated and counted" },
    { "poll_interval", CONF_DURATION, "1s", O(poll_interval_ms), 50, 3600000,
      "how often the journal is checked besides its change notifications" },
    { 0 }
};
#undef O

#define JLOG(c, lv, fmt, ...) do { \
        const char *kv_[] = { "input", (c)->in->conf->name, NULL }; \
        log_kv((lv), kv_, fmt, __VA_ARGS__); \
    } while (0)

/* One field of the current entry without its "NAME=" prefix; empty if absent. */
static struct span field(sd_journal *j, const char *name)
{
    const void *d;
    size_t len, nl = strlen(name);
    if (sd_journal_get_data(j, name, &d, &len) < 0 || len <= nl)
        return SPAN_NULL;
    return span_make((const char *)d + nl + 1, len - nl - 1);
}

static size_t put(char *b, size_t o, size_t cap, struct span s, size_t max)
{
    size_t n = s.len < max ? s.len : max;
    if (n > cap - o)
        n = cap - o;
    memcpy(b + o, s.p, n);
    return o + n;
}

static const char *const level_names[8] = { "emerg", "alert", "crit", "error", "warning", "notice",
                                            "info", "debug" };

/* The line of the current entry; *flags gets LINE_TRUNCATED when cut. */
static struct span entry_line(struct journal_ctx *c, unsigned *flags)
{
    sd_journal *j = c->j;
    uint64_t usec = 0;
    char when[48];
    (void)sd_journal_get_realtime_usec(j, &usec);
    ts_format_rfc3339((int64_t)usec * 1000, 6, when, sizeof(when));
    struct span host = field(j, "_HOSTNAME"), ident = field(j, "SYSLOG_IDENTIFIER");
    struct span pid = field(j, "SYSLOG_PID"), msg = field(j, "MESSAGE");
    if (!ident.len)
        ident = field(j, "_COMM");
    if (!pid.len)
        pid = field(j, "_PID");
    if (!host.len)
        host = c->in->vg->host;
    size_t cap = c->line_cap, o = 0;
    o = put(c->line, o, cap, span_cstr(when), sizeof(when));
    o = put(c->line, o, cap, SPAN_LIT(" "), 1);
    o = put(c->line, o, cap, host, 255);
    o = put(c->line, o, cap, SPAN_LIT(" "), 1);
    o = put(c->line, o, cap, ident.len ? ident : SPAN_LIT("-"), 255);
    if (pid.len) {
        o = put(c->line, o, cap, SPAN_LIT("["), 1);
        o = put(c->line, o, cap, pid, 20);
        o = put(c->line, o, cap, SPAN_LIT("]"), 1);
    }
    o = put(c->line, o, cap, SPAN_LIT(": "), 2);
    size_t before = o;
    o = put(c->line, o, cap, msg, msg.len);
    *flags = o - before < msg.len ? LINE_TRUNCATED : 0;
    /* beside the line: the unit and the level */
    c->src.nextra = 0;
    struct span unit = field(j, "_SYSTEMD_UNIT"), prio = field(j, "PRIORITY");
    if (unit.len) {
        c->src.extra_key[c->src.nextra] = SPAN_LIT("unit");
        c->src.extra_val[c->src.nextra++] = span_make(unit.p, unit.len < JOURNAL_FIELD_MAX ? unit.len : JOURNAL_FIELD_MAX);
    }
    if (prio.len == 1 && prio.p[0] >= '0' && prio.p[0] <= '7') {
        c->src.extra_key[c->src.nextra] = SPAN_LIT("level");
        c->src.extra_val[c->src.nextra++] = span_cstr(level_names[prio.p[0] - '0']);
    }
    return span_make(c->line, o);
}

/* Remembers the cursor of entry c->n for the checkpoint. */
static void ring_note(struct journal_ctx *c)
{
    char *cur = NULL;
    if (sd_journal_get_cursor(c->j, &cur) < 0)
        return;
    if (c->ring_n == JOURNAL_RING) {   /* full: the newest slot moves on (coarser, never unsafe) */
        struct journal_mark *m = &c->ring[(c->ring_head + c->ring_n - 1) % JOURNAL_RING];
        free(m->cursor);
        *m = (struct journal_mark){ c->n, cur };
        return;
    }
    c->ring[(c->ring_head + c->ring_n) % JOURNAL_RING] = (struct journal_mark){ c->n, cur };
    c->ring_n++;
}

/* Reads up to a budget of entries. 1: more may follow, 0: at the end. */
static int read_some(struct journal_ctx *c)
{
    struct vigil *vg = c->in->vg;
    int more = 0;
    merge_source_unread(vg, &c->src, true);
    for (int i = 0; i < JOURNAL_BUDGET; i++) {
        if (vg->paused || c->stopped || vg->stopping)
            return 1;
        int r = sd_journal_next(c->j);
        if (r < 0) {
            JLOG(c, LOG_WARN, "journal: reading: %s", strerror(-r));
            break;
        }
        if (r == 0)
            break;
        unsigned flags;
        struct span line = entry_line(c, &flags);
        c->n++;
        c->in->stats.lines++;
        c->in->stats.bytes += line.len + 1;
        if (flags)
            c->in->stats.truncated++;
        pipeline_line(vg, &c->src, line, c->n, flags);
        c->src.nextra = 0;
        more = i + 1 == JOURNAL_BUDGET;
    }
    ring_note(c);
    pipeline_mark(vg, &c->src);
    if (!more)
        merge_source_unread(vg, &c->src, false);
    return more;
}

static void work_cb(evutil_socket_t fd, short what, void *arg)
{
    struct journal_ctx *c = arg;
    struct vigil *vg = c->in->vg;
    (void)fd;
    (void)what;
    if (c->stopped || vg->stopping || vg->paused || !c->j)
        return;
    if (merge_source_ahead(vg, &c->src)) {
        c->parked = true;             /* wake() reads on */
        return;
    }
    if (read_some(c) > 0) {
        event_active(c->work_ev, 0, 0);
    } else if (vg->once && !c->in->done) {
        pipeline_source_flush(vg, &c->src);
        pipeline_mark(vg, &c->src);
        c->in->done = true;
    }
}

static void io_cb(evutil_socket_t fd, short what, void *arg)
{
    struct journal_ctx *c = arg;
    (void)fd;
    (void)what;
    if (c->j && sd_journal_process(c->j) >= 0 && !c->stopped)
        event_active(c->work_ev, 0, 0);
}

static int journal_open(struct journal_ctx *c);

static void poll_cb(evutil_socket_t fd, short what, void *arg)
{
    struct journal_ctx *c = arg;
    (void)fd;
    (void)what;
    if (c->stopped)
        return;
    if (!c->j) {                      /* the folder may have appeared */
        c->late = true;
        if (journal_open(c) == 0 && c->started)
            event_active(c->work_ev, 0, 0);
        return;
    }
    (void)sd_journal_process(c->j);
    /* a pending multiline event: emitted once no entry came for its timeout */
    struct input *in = c->in;
    if (in->ml && c->src.parser_busy && vigil_mono_ms() - c->src.held_since_ms >= multiline_timeout_ms(in->ml)) {
        pipeline_source_flush(in->vg, &c->src);
        pipeline_mark(in->vg, &c->src);
    }
    event_active(c->work_ev, 0, 0);
}

static int add_matches(struct journal_ctx *c)
{
    for (size_t i = 0; i < c->opt.matches.n; i++) {
        const char *m = c->opt.matches.v[i];
        int r = strcmp(m, "+") == 0 ? sd_journal_add_disjunction(c->j)
                                    : sd_journal_add_match(c->j, m, 0);
        if (r < 0) {
            JLOG(c, LOG_ERROR, "journal: match '%s': %s", m, strerror(-r));
            return -1;
        }
    }
    return 0;
}

/* Positions the journal: after the saved cursor, else per read_from. */
static void journal_seek(struct journal_ctx *c)
{
    if (c->saved) {
        if (sd_journal_seek_cursor(c->j, c->saved) >= 0 && sd_journal_next(c->j) > 0) {
            if (sd_journal_test_cursor(c->j, c->saved) > 0)
                return;               /* at the committed entry: read on after it */
            /* gone (vacuumed, rotated away): the entry found is the oldest
             * after it, and it is unread */
            const char *kv[] = { "input", c->in->conf->name, NULL };
            log_kv(LOG_WARN, kv, "journal: saved cursor no longer in the journal; "
                                 "resuming at the oldest entry after it");
            (void)sd_journal_previous(c->j);
            return;
        }
        (void)sd_journal_seek_head(c->j);
        return;
    }
    if (c->opt.read_from == JOURNAL_HEAD || c->late) {
        (void)sd_journal_seek_head(c->j);
    } else {
        (void)sd_journal_seek_tail(c->j);
        (void)sd_journal_previous(c->j);   /* at the last entry: only newer ones are read */
    }
}

static int journal_open(struct journal_ctx *c)
{
    int r;
    if (c->opt.files.n) {
        const char **f = calloc(c->opt.files.n + 1, sizeof(*f));
        if (!f)
            return -1;
        for (size_t i = 0; i < c->opt.files.n; i++)
            f[i] = c->opt.files.v[i];
        r = sd_journal_open_files(&c->j, f, 0);
        free(f);
    } else if (c->opt.directory) {
        r = sd_journal_open_directory(&c->j, c->opt.directory, 0);
    } else {
        r = sd_journal_open(&c->j, SD_JOURNAL_LOCAL_ONLY);
    }
    if (r < 0) {
        c->j = NULL;
        return r;
    }
    if (add_matches(c) < 0) {
        sd_journal_close(c->j);
        c->j = NULL;
        return -EINVAL;
    }
    journal_seek(c);
    int fd = sd_journal_get_fd(c->j);
    if (fd >= 0 && !c->in->vg->once) {
        c->io_ev = event_new(c->in->vg->base, fd, EV_READ | EV_PERSIST, io_cb, c);
        if (c->io_ev)
            event_add(c->io_ev, NULL);
    }
    return 0;
}

static void load_cursor(struct journal_ctx *c)
{
    char *data = NULL;
    size_t len = 0;
    if (fs_read_state(c->ckpt_path, 4096, &data, &len, NULL) < 0 || !data)
        return;
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\0'))
        len--;
    if (len && memchr(data, '\n', len) == NULL) {
        c->saved = strndup(data, len);
    }
    free(data);
}

static int journal_init(struct input *in)
{
    struct journal_ctx *c = in->ctx;
    c->in = in;
    c->line_cap = (size_t)c->opt.max_line_bytes;
    c->line = malloc(c->line_cap);
    if (!c->line || source_init(&c->src, in, SPAN_NULL) < 0)
        return -1;
    const char *sd = in->vg->conf ? in->vg->conf->service.state_dir : NULL;
    if (sd && *sd) {
        size_t n = strlen(sd) + strlen(in->conf->name) + 32;
        if (!(c->ckpt_path = malloc(n)))
            return -1;
        snprintf(c->ckpt_path, n, "%s/checkpoints/%s.cursor", sd, in->conf->name);
        load_cursor(c);
    }
    c->work_ev = event_new(in->vg->base, -1, 0, work_cb, c);
    c->poll_ev = event_new(in->vg->base, -1, EV_PERSIST, poll_cb, c);
    return c->work_ev && c->poll_ev ? 0 : -1;
}

static int journal_start(struct input *in)
{
    struct journal_ctx *c = in->ctx;
    c->started = true;
    int r = journal_open(c);
    if (r < 0) {
        const char *what = c->opt.directory ? c->opt.directory : c->opt.files.n ? c->opt.files.v[0] : "local journal";
        JLOG(c, in->vg->once ? LOG_ERROR : LOG_WARN, "journal: cannot open %s: %s", what, strerror(-r));
        if (in->vg->once) {
            in->done = true;
            return 0;
        }
    }
    if (!in->vg->once) {
        struct timeval tv = { c->opt.poll_interval_ms / 1000, (c->opt.poll_interval_ms % 1000) * 1000 };
        event_add(c->poll_ev, &tv);
    }
    if (c->j)
        event_active(c->work_ev, 0, 0);
    return 0;
}

static void journal_resume(struct input *in)
{
    struct journal_ctx *c = in->ctx;
    if (c->started && !c->stopped && c->j)
        event_active(c->work_ev, 0, 0);
}

static void journal_wake(struct input *in, struct source *s)
{
    struct journal_ctx *c = in->ctx;
    (void)s;
    c->parked = false;
    journal_resume(in);
}

static int journal_checkpoint(struct input *in)
{
    struct journal_ctx *c = in->ctx;
    if (!c->ckpt_path || !c->src.in)
        return 0;
    uint64_t safe = pipeline_safe_offset(in->vg, &c->src);
    const char *cur = NULL;
    while (c->ring_n && c->ring[c->ring_head].n <= safe) {
        struct journal_mark *m = &c->ring[c->ring_head];
        if (m->cursor) {
            free(c->saved);
            c->saved = m->cursor;     /* moved, not copied */
            m->cursor = NULL;
            cur = c->saved;
        }
        c->ring_head = (c->ring_head + 1) % JOURNAL_RING;
        c->ring_n--;
    }
    if (!cur)
        return 0;
    char dir[PATH_MAX_BYTES];
    snprintf(dir, sizeof(dir), "%s", c->ckpt_path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        (void)fs_mkdirs(dir, 0700);
    }
    return fs_write_atomic(c->ckpt_path, cur, strlen(cur), true);
}

static void journal_stop(struct input *in)
{
    struct journal_ctx *c = in->ctx;
    c->stopped = true;
    if (c->io_ev)
        event_del(c->io_ev);
    if (c->poll_ev)
        event_del(c->poll_ev);
    if (c->work_ev)
        event_del(c->work_ev);
}

static void journal_destroy(struct input *in)
{
    struct journal_ctx *c = in->ctx;
    c->stopped = true;
    source_fini(in->vg, &c->src);
    if (c->io_ev)
        event_free(c->io_ev);
    if (c->poll_ev)
        event_free(c->poll_ev);
    if (c->work_ev)
        event_free(c->work_ev);
    if (c->j)
        sd_journal_close(c->j);
    for (unsigned i = 0; i < JOURNAL_RING; i++)
        free(c->ring[i].cursor);
    free(c->saved);
    free(c->ckpt_path);
    free(c->line);
}

const struct input_plugin input_journal = {
    .name = "journal",
    .options = journal_options,
    .ctx_size = sizeof(struct journal_ctx),
    .init = journal_init,
    .start = journal_start,
    .resume = journal_resume,
    .checkpoint = journal_checkpoint,
    .stop = journal_stop,
    .wake = journal_wake,
    .destroy = journal_destroy,
};
