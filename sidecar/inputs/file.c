/* file.c - the `file` input (the tailer): events and scheduling.
 * Nothing here reads on a timer per file. inotify (folders of the globs, and
 * each open file) and one poll timer for all files only *queue* files; one
 * deferred event drains the queue with a byte budget per file, then yields to
 * the loop so outputs run between reads. While the pipeline is paused the
 * queue waits; resume() restarts it. Idle files therefore cost one fstat and
 * one stat per poll_interval and nothing else.
 *
 * The event-time merge (sidecar/merge.h) is told which files have bytes left
 * (queued: unread; read to the end: not), so it can hold records of one file
 * while another may have earlier ones. A file the merge says is ahead is
 * parked (neither read nor queued) until the merge's wake() queues it again. */
#include "sidecar/inputs/tail.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "sidecar/inputs/input.h"
#include "sidecar/hash.h"
#include "sidecar/limits.h"
#include "sidecar/log.h"
#include "sidecar/merge.h"
#include "sidecar/multiline.h"
#include "sidecar/pipeline.h"
#include "sidecar/vigil.h"

#define DIR_EVENTS  (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR)
#define FILE_EVENTS (IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF)

static unsigned path_bucket(const char *path)
{
    return (unsigned)(hash_fnv1a(path, strlen(path), HASH_FNV_INIT) &
                      (TAIL_HASH_BUCKETS - 1));
}

void tail_path_add(struct tail_input *ti, struct tail_file *tf)
{
    unsigned b = path_bucket(tf->path);
    tf->path_next = ti->path_hash[b];
    ti->path_hash[b] = tf;
}

void tail_path_del(struct tail_input *ti, struct tail_file *tf)
{
    for (struct tail_file **pp = &ti->path_hash[path_bucket(tf->path)]; *pp; pp = &(*pp)->path_next)
        if (*pp == tf) {
            *pp = tf->path_next;
            tf->path_next = NULL;
            return;
        }
}

struct tail_file *tail_path_find(struct tail_input *ti, const char *path)
{
    for (struct tail_file *tf = ti->path_hash[path_bucket(path)]; tf; tf = tf->path_next)
        if (strcmp(tf->path, path) == 0)
            return tf;
    return NULL;
}

static struct tail_file *wd_find(struct tail_input *ti, int wd)
{
    for (struct tail_file *tf = ti->wd_hash[(unsigned)wd & (TAIL_HASH_BUCKETS - 1)]; tf; tf = tf->wd_next)
        if (tf->wd == wd)
            return tf;
    return NULL;
}

void tail_watch_file(struct tail_input *ti, struct tail_file *tf)
{
    if (ti->ifd < 0 || ti->in->vg->once)
        return;
    int wd = inotify_add_watch(ti->ifd, tf->path, FILE_EVENTS);
    if (wd < 0 || wd_find(ti, wd))
        return;                       /* the poll timer still covers it */
    tf->wd = wd;
    unsigned b = (unsigned)wd & (TAIL_HASH_BUCKETS - 1);
    tf->wd_next = ti->wd_hash[b];
    ti->wd_hash[b] = tf;
}

static void wd_unlink(struct tail_input *ti, struct tail_file *tf)
{
    for (struct tail_file **pp = &ti->wd_hash[(unsigned)tf->wd & (TAIL_HASH_BUCKETS - 1)]; *pp;
         pp = &(*pp)->wd_next)
        if (*pp == tf) {
            *pp = tf->wd_next;
            break;
        }
    tf->wd = -1;
}

void tail_unwatch_file(struct tail_input *ti, struct tail_file *tf)
{
    if (tf->wd < 0)
        return;
    int wd = tf->wd;
    wd_unlink(ti, tf);
    inotify_rm_watch(ti->ifd, wd);
}

void tail_watch_dir(struct tail_input *ti, const char *dir)
{
    if (ti->ifd >= 0 && !ti->in->vg->once)
        (void)inotify_add_watch(ti->ifd, dir, DIR_EVENTS);   /* same folder: same watch */
}

void tail_queue(struct tail_input *ti, struct tail_file *tf)
{
    if (tf->queued || ti->stopped)
        return;
    merge_source_unread(ti->vg, &tf->src, true);
    tf->queued = true;
    tf->qnext = NULL;
    if (ti->qtail)
        ti->qtail->qnext = tf;
    else
        ti->qhead = tf;
    ti->qtail = tf;
    if (ti->started && !ti->vg->paused)
        event_active(ti->work_ev, 0, 0);
}

static struct tail_file *queue_pop(struct tail_input *ti)
{
    struct tail_file *tf = ti->qhead;
    if (!tf)
        return NULL;
    ti->qhead = tf->qnext;
    if (!ti->qhead)
        ti->qtail = NULL;
    tf->qnext = NULL;
    tf->queued = false;
    return tf;
}

static bool rotate_done(struct tail_input *ti, struct tail_file *tf, int64_t now)
{
    return tf->rotated && tf->eof && now - tf->last_growth >= ti->opt->rotate_wait_ms;
}

/* A file the merge parked will be queued again: not done yet. */
static bool any_parked(const struct tail_input *ti)
{
    for (const struct tail_file *tf = ti->files; tf; tf = tf->next)
        if (tf->src.parked)
            return true;
    return false;
}

/* --once: every file is at its end; emit what is held and report done. */
static void once_finish(struct tail_input *ti)
{
    for (struct tail_file *tf = ti->files; tf; tf = tf->next)
        if (tf->eof || tf->blocked_by) {
            tail_file_flush_partial(tf);
            if (ti->in->ml) {         /* the last event: nothing more can continue it */
                pipeline_source_flush(ti->vg, &tf->src);
                pipeline_mark(ti->vg, &tf->src);
            }
        }
    ti->in->done = true;
}

static void work_cb(evutil_socket_t fd, short what, void *arg)
{
    struct tail_input *ti = arg;
    (void)fd;
    (void)what;
    if (ti->stopped || ti->vg->stopping)
        return;
    /* one round: each queued file once, so a busy file cannot starve others */
    struct tail_file *last = ti->qtail;
    while (ti->qhead && !ti->vg->paused) {
        struct tail_file *tf = queue_pop(ti);
        bool was_last = tf == last;
        int r = 1;
        if (merge_source_ahead(ti->vg, &tf->src))
            ;                         /* parked: wake() queues it again */
        else if ((r = tail_file_read(tf, merge_read_budget(ti->vg, READ_BUDGET_BYTES))) > 0)
            tail_queue(ti, tf);
        else if (r < 0)
            tail_file_close(tf);
        else
            merge_source_unread(ti->vg, &tf->src, false);
        if (r == 0 && tf->eof) {
            if (tf->successor) {
                struct tail_file *s = tf->successor;
                s->blocked_by = NULL;
                tf->successor = NULL;
                tail_queue(ti, s);
            }
            if (tf->carry_len && ti->opt->partial_timeout_ms == 0 && !ti->vg->once)
                tail_file_flush_partial(tf);
            if (rotate_done(ti, tf, vigil_mono_ms()))
                tail_file_close(tf);
        }
        if (was_last)
            break;
    }
    if (ti->qhead) {
        if (!ti->vg->paused)
            event_active(ti->work_ev, 0, 0);
    } else if (ti->vg->once && !ti->in->done && !any_parked(ti)) {
        once_finish(ti);
    }
}

static void scan_now(struct tail_input *ti)
{
    tail_scan(ti, false);
}

static void poll_cb(evutil_socket_t fd, short what, void *arg)
{
    struct tail_input *ti = arg;
    (void)fd;
    (void)what;
    if (ti->stopped)
        return;
    int64_t now = vigil_mono_ms();
    for (struct tail_file *tf = ti->files, *next; tf; tf = next) {
        next = tf->next;
        tail_check(ti, tf);
        /* a parked file has bytes left to read, whatever its last read said */
        if (tf->src.parked)
            continue;
        if (tf->carry_len && tf->eof && now - tf->partial_since >= ti->opt->partial_timeout_ms)
            tail_file_flush_partial(tf);
        /* a pending multiline event: emitted once no line came for its timeout */
        if (ti->in->ml && tf->src.parser_busy && !tf->carry_len &&
            now - tf->src.held_since_ms >= multiline_timeout_ms(ti->in->ml)) {
            pipeline_source_flush(ti->vg, &tf->src);
            pipeline_mark(ti->vg, &tf->src);
        }
        if (rotate_done(ti, tf, now) && !tf->queued)
            tail_file_close(tf);
    }
    if (ti->scan_pending)
        scan_now(ti);
}

static void scan_cb(evutil_socket_t fd, short what, void *arg)
{
    struct tail_input *ti = arg;
    (void)fd;
    (void)what;
    if (!ti->stopped)
        scan_now(ti);
}

static void inotify_cb(evutil_socket_t fd, short what, void *arg)
{
    struct tail_input *ti = arg;
    char ev[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool rescan = false, all = false;
    (void)what;
    for (;;) {
        ssize_t n = read(fd, ev, sizeof(ev));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (char *p = ev; p < ev + n;) {
            const struct inotify_event *ie = (const struct inotify_event *)p;
            p += sizeof(*ie) + ie->len;
            if (ie->mask & IN_Q_OVERFLOW) {
                rescan = all = true;
                continue;
            }
            struct tail_file *tf = wd_find(ti, ie->wd);
            if (ie->mask & IN_IGNORED) {
                /* the kernel dropped the watch (a parked file deleted): its
                 * number may be given to another file */
                if (tf) {
                    wd_unlink(ti, tf);
                    tail_check(ti, tf);
                }
                continue;
            }
            if (tf)
                tail_check(ti, tf);
            else
                rescan = true;        /* a folder changed: files came or went */
        }
    }
    if (ti->stopped)
        return;
    if (all)
        for (struct tail_file *tf = ti->files, *next; tf; tf = next) {
            next = tf->next;
            tail_check(ti, tf);
        }
    if (rescan || ti->scan_pending)
        scan_now(ti);
}

static struct tail_input *tail_of(struct input *in)
{
    return ((struct file_ctx *)in->ctx)->ti;
}

static void sanitize(char *out, size_t cap, const char *name)
{
    size_t o = 0;
    for (const char *s = name; *s && o + 1 < cap; s++)
        out[o++] = (char)((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                          (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.' ? *s : '_');
    if (o == 0 || out[0] == '.')
        out[o ? 0 : o++] = '_';
    out[o] = '\0';
}

static void file_destroy(struct input *in);

static int file_init(struct input *in)
{
    struct file_ctx *ctx = in->ctx;
    struct vigil *vg = in->vg;
    struct tail_input *ti = calloc(1, sizeof(*ti));
    if (!ti)
        return -1;
    ctx->ti = ti;
    ti->in = in;
    ti->vg = vg;
    ti->opt = &ctx->opt;
    ti->ifd = -1;
    tail_budget_register(1);
    ckpt_table_init(&ti->known, INPUT_MAX_FILES);
    ti->buf_cap = READ_BUF_BYTES;
    ti->buf = malloc(ti->buf_cap);
    if (!ti->buf)
        goto fail;
    const char *sd = vg->conf ? vg->conf->service.state_dir : NULL;
    if (sd && *sd) {
        char name[256];
        sanitize(name, sizeof(name), in->conf && in->conf->name ? in->conf->name : "file");
        size_t n = strlen(sd) + strlen(name) + 32;
        if (!(ti->ckpt_path = malloc(n)))
            goto fail;
        snprintf(ti->ckpt_path, n, "%s/checkpoints/%s.ckpt", sd, name);
        if (ckpt_load(&ti->known, ti->ckpt_path) < 0)
            goto fail;
    }
    if (!vg->once && ti->opt->watch != WATCH_POLL) {
        ti->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (ti->ifd < 0) {
            const char *kv[] = { "input", in->conf ? in->conf->name : "?", NULL };
            log_kv(LOG_WARN, kv, "tail: inotify_init1: %s; polling only", strerror(errno));
        } else if (!(ti->inotify_ev = event_new(vg->base, ti->ifd, EV_READ | EV_PERSIST, inotify_cb, ti))) {
            goto fail;
        }
    }
    ti->work_ev = event_new(vg->base, -1, 0, work_cb, ti);
    ti->poll_ev = event_new(vg->base, -1, EV_PERSIST, poll_cb, ti);
    ti->scan_ev = event_new(vg->base, -1, EV_PERSIST, scan_cb, ti);
    if (!ti->work_ev || !ti->poll_ev || !ti->scan_ev)
        goto fail;
    return 0;
fail:
    file_destroy(in);
    return -1;
}

static struct timeval ms_tv(int64_t ms)
{
    return (struct timeval){ .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
}

static int file_start(struct input *in)
{
    struct tail_input *ti = tail_of(in);
    ti->started = true;
    tail_scan(ti, true);
    if (!in->vg->once) {
        struct timeval poll = ms_tv(ti->opt->poll_interval_ms);
        struct timeval scan = ms_tv(ti->opt->refresh_interval_ms);
        if (ti->inotify_ev)
            event_add(ti->inotify_ev, NULL);
        event_add(ti->poll_ev, &poll);
        event_add(ti->scan_ev, &scan);
    }
    if (ti->qhead && !in->vg->paused)
        event_active(ti->work_ev, 0, 0);
    else if (!ti->qhead && in->vg->once)
        once_finish(ti);
    return 0;
}

static void file_pause(struct input *in)
{
    (void)in;                         /* the read loop checks vg->paused */
}

static void file_resume(struct input *in)
{
    struct tail_input *ti = tail_of(in);
    if (ti && ti->started && !ti->stopped && ti->qhead)
        event_active(ti->work_ev, 0, 0);
}

static int file_checkpoint(struct input *in)
{
    struct tail_input *ti = tail_of(in);
    if (!ti || !ti->ckpt_path)
        return 0;
    for (struct tail_file *tf = ti->files; tf; tf = tf->next)
        tail_file_note(tf);
    ckpt_expire(&ti->known, (int64_t)time(NULL), CKPT_FORGET_SECONDS);
    return ckpt_save(&ti->known, ti->ckpt_path);
}

static void file_wake(struct input *in, struct source *s)
{
    struct tail_input *ti = tail_of(in);
    /* src is embedded in its tail_file */
    struct tail_file *tf = (struct tail_file *)(void *)((char *)s - offsetof(struct tail_file, src));
    if (ti && !ti->stopped)
        tail_queue(ti, tf);
}

static void file_stop(struct input *in)
{
    struct tail_input *ti = tail_of(in);
    if (!ti)
        return;
    ti->stopped = true;
    if (ti->inotify_ev)
        event_del(ti->inotify_ev);
    if (ti->poll_ev)
        event_del(ti->poll_ev);
    if (ti->scan_ev)
        event_del(ti->scan_ev);
    if (ti->work_ev)
        event_del(ti->work_ev);
}

static void file_destroy(struct input *in)
{
    struct file_ctx *ctx = in->ctx;
    struct tail_input *ti = ctx->ti;
    if (!ti)
        return;
    ti->stopped = true;
    while (ti->files)
        tail_file_close(ti->files);
    if (ti->inotify_ev)
        event_free(ti->inotify_ev);
    if (ti->poll_ev)
        event_free(ti->poll_ev);
    if (ti->scan_ev)
        event_free(ti->scan_ev);
    if (ti->work_ev)
        event_free(ti->work_ev);
    if (ti->ifd >= 0)
        close(ti->ifd);
    free(ti->warned);
    tail_guard_free(ti);
    tail_budget_register(-1);
    ckpt_table_free(&ti->known);
    free(ti->ckpt_path);
    free(ti->buf);
    free(ti);
    ctx->ti = NULL;
}

const struct input_plugin input_file = {
    .name = "file",
    .options = file_input_options,
    .ctx_size = sizeof(struct file_ctx),
    .init = file_init,
    .start = file_start,
    .pause = file_pause,
    .resume = file_resume,
    .checkpoint = file_checkpoint,
    .stop = file_stop,
    .wake = file_wake,
    .destroy = file_destroy,
};
