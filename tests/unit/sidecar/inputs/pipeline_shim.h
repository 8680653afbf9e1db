/* pipeline_shim.h - stands in for the pipeline in tests of the file input.
 * Defines the source_* / pipeline_* / merge_* functions the tailer calls (so
 * the test binary never needs pipeline.o) and records every line with its source path,
 * end offset and flags. Every output "accepts" at once unless shim_lag is set,
 * in which case pipeline_safe_offset() trails by what was read since the last
 * shim_accept(). Also a small harness: a real event_base, a temp folder, and
 * one `file` input built by hand. Include it in exactly one test file. */
#ifndef TEST_PIPELINE_SHIM_H
#define TEST_PIPELINE_SHIM_H

#include <criterion/criterion.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sidecar/inputs/input.h"
#include "sidecar/inputs/tail.h"
#include "sidecar/pipeline.h"
#include "sidecar/vigil.h"

struct shim_line {
    char *p;
    size_t len;
    uint64_t end;
    unsigned flags;
    char *path;
};

static struct shim_line *shim_lines;
static size_t shim_n, shim_cap;
static int shim_sources;          /* source_init minus source_fini */
static size_t shim_flushes;

int source_init(struct source *s, struct input *in, struct span path)
{
    memset(s, 0, sizeof(*s));
    s->in = in;
    s->path = path;
    shim_sources++;
    return 0;
}

void source_fini(struct vigil *vg, struct source *s)
{
    (void)vg;
    (void)s;
    shim_sources--;
}

void pipeline_line(struct vigil *vg, struct source *s, struct span line, uint64_t end_offset,
                   unsigned flags)
{
    (void)vg;
    if (shim_n == shim_cap) {
        shim_cap = shim_cap ? shim_cap * 2 : 1024;
        shim_lines = realloc(shim_lines, shim_cap * sizeof(*shim_lines));
        cr_assert(shim_lines);
    }
    struct shim_line *l = &shim_lines[shim_n++];
    l->p = malloc(line.len + 1);
    memcpy(l->p, line.p, line.len);
    l->p[line.len] = '\0';
    l->len = line.len;
    l->end = end_offset;
    l->flags = flags;
    l->path = strndup(s->path.p, s->path.len);
    s->safe_offset = end_offset;
}

void pipeline_source_flush(struct vigil *vg, struct source *s)
{
    (void)vg;
    (void)s;
    shim_flushes++;
}

void pipeline_mark(struct vigil *vg, struct source *s)
{
    (void)vg;
    (void)s;
}

uint64_t pipeline_safe_offset(struct vigil *vg, struct source *s)
{
    (void)vg;
    return s->safe_offset;
}

/* The event-time merge sits in the pipeline: what the tailer tells it is
 * kept on the source, and nothing is ever ahead. */
void merge_source_unread(struct vigil *vg, struct source *s, bool unread)
{
    (void)vg;
    s->unread = unread;
}

bool merge_source_ahead(struct vigil *vg, struct source *s)
{
    (void)vg;
    (void)s;
    return false;
}

size_t merge_read_budget(const struct vigil *vg, size_t full)
{
    (void)vg;
    return full;
}

static __attribute__((unused)) void shim_reset(void)
{
    for (size_t i = 0; i < shim_n; i++) {
        free(shim_lines[i].p);
        free(shim_lines[i].path);
    }
    shim_n = 0;
}

/* The line i as a C string (lines in tests hold no NUL unless said). */
static __attribute__((unused)) const char *L(size_t i)
{
    cr_assert_lt(i, shim_n, "line %zu asked, %zu collected", i, shim_n);
    return shim_lines[i].p;
}

/* --- harness --- */

struct harness {
    struct event_base *base;
    struct vigil vg;
    struct vigil_conf conf;
    struct input_conf ic;
    struct input in;
    struct file_ctx ctx;
    char dir[256];
    char state[300];
    char *paths[8];
    char *excl[8];
    bool up;
};

static __attribute__((unused)) void h_path(struct harness *h, char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", h->dir, name);
}

/* A fresh temp folder and options with test-friendly timings. */
static __attribute__((unused)) void h_setup(struct harness *h)
{
    memset(h, 0, sizeof(*h));
    strcpy(h->dir, "/tmp/vigil-tail-XXXXXX");
    cr_assert(mkdtemp(h->dir));
    snprintf(h->state, sizeof(h->state), "%s/state", h->dir);
    struct file_options *o = &h->ctx.opt;
    o->read_from = READ_FROM_HEAD;
    o->max_line_bytes = 64 * 1024;
    o->refresh_interval_ms = 100;
    o->poll_interval_ms = 50;
    o->watch = WATCH_AUTO;
    o->partial_timeout_ms = 3600000;
    o->rotate_wait_ms = 0;
}

static __attribute__((unused)) void h_glob(struct harness *h, const char *pattern)
{
    char buf[512];
    h_path(h, buf, sizeof(buf), pattern);
    h->paths[h->ctx.opt.paths.n++] = strdup(buf);
    h->ctx.opt.paths.v = h->paths;
}

static __attribute__((unused)) void h_exclude(struct harness *h, const char *g)
{
    h->excl[h->ctx.opt.exclude.n++] = strdup(g);
    h->ctx.opt.exclude.v = h->excl;
}

/* Builds and starts the input (a restart after h_down keeps the folder). */
static __attribute__((unused)) void h_up(struct harness *h)
{
    if (!h->base)
        h->base = event_base_new();
    h->vg.base = h->base;
    h->vg.conf = &h->conf;
    h->conf.service.state_dir = h->state;
    h->ic.name = "app";
    h->ic.type = "file";
    h->ic.plugin = &input_file;
    h->ic.ctx = &h->ctx;
    memset(&h->in, 0, sizeof(h->in));
    h->in.plugin = &input_file;
    h->in.conf = &h->ic;
    h->in.ctx = &h->ctx;
    h->in.vg = &h->vg;
    cr_assert_eq(input_file.init(&h->in), 0);
    cr_assert_eq(input_file.start(&h->in), 0);
    h->up = true;
}

/* Clean stop: stop, checkpoint, destroy. */
static __attribute__((unused)) void h_down(struct harness *h, bool checkpoint)
{
    if (!h->up)
        return;
    input_file.stop(&h->in);
    if (checkpoint)
        cr_assert_eq(input_file.checkpoint(&h->in), 0);
    input_file.destroy(&h->in);
    h->up = false;
}

static __attribute__((unused)) void h_run(struct harness *h, int ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    event_base_loopexit(h->base, &tv);
    event_base_dispatch(h->base);
}

/* Runs the loop until n lines were collected (or 3 s), then a little more so
 * extra lines would show. */
static __attribute__((unused)) void h_wait_lines(struct harness *h, size_t n)
{
    for (int i = 0; i < 300 && shim_n < n; i++)
        h_run(h, 10);
    h_run(h, 60);
}

static __attribute__((unused)) void h_wait(struct harness *h, bool (*cond)(struct harness *))
{
    for (int i = 0; i < 300 && !cond(h); i++)
        h_run(h, 10);
}

static __attribute__((unused)) void h_teardown(struct harness *h)
{
    h_down(h, false);
    if (h->base)
        event_base_free(h->base);
    for (size_t i = 0; i < h->ctx.opt.paths.n; i++)
        free(h->paths[i]);
    for (size_t i = 0; i < h->ctx.opt.exclude.n; i++)
        free(h->excl[i]);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
    (void)system(cmd);
    shim_reset();
    free(shim_lines);
    shim_lines = NULL;
    shim_cap = 0;
}

static __attribute__((unused)) void fwrite_path(struct harness *h, const char *name, const char *mode, const void *p, size_t n)
{
    char path[512];
    h_path(h, path, sizeof(path), name);
    FILE *f = fopen(path, mode);
    cr_assert(f, "fopen %s", path);
    cr_assert_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

static __attribute__((unused)) void append(struct harness *h, const char *name, const char *s)
{
    fwrite_path(h, name, "a", s, strlen(s));
}

#endif
