/* container.c - partial-line joining and the inner parser, for cri and docker.
 * The buffers are the only allocations: one per stream that ever had a
 * partial line, and one inner state per source, never one per line. */
#include "sidecar/parsers/container.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/limits.h"

const struct conf_option container_options[] = {
    { "inner", CONF_STR, "plain", offsetof(struct container_ctx, inner), 0, 0,
      "parser for the application's line inside the runtime framing (json, logfmt, plain, "
      "syslog, auth, shell)" },
    { 0 }
};

static const struct span stream_names[CT__STREAMS] = { SPAN_LIT("stdout"), SPAN_LIT("stderr") };

int container_init(struct parser *p, char *err, size_t errlen)
{
    struct container_ctx *c = p->ctx;
    const char *name = c->inner ? c->inner : "plain";
    const struct parser_plugin *pl = parser_plugin_find(name);
    if (!pl) {
        snprintf(err, errlen, "inner: unknown parser '%s'", name);
        return -1;
    }
    if (strcmp(name, "cri") == 0 || strcmp(name, "docker") == 0) {
        snprintf(err, errlen, "inner: '%s' is a container framing, not an application format",
                 name);
        return -1;
    }
    c->inner_p = (struct parser){ .plugin = pl, .max_line_bytes = p->max_line_bytes };
    if (pl->ctx_size) {
        c->inner_p.ctx = calloc(1, pl->ctx_size);
        if (!c->inner_p.ctx) {
            snprintf(err, errlen, "inner: out of memory");
            return -1;
        }
        if (pl->options && conf_options_defaults(pl->options, c->inner_p.ctx, err, errlen) < 0)
            goto fail;
    }
    if (pl->init && pl->init(&c->inner_p, err, errlen) < 0)
        goto fail;
    return 0;
fail:
    container_destroy(p);
    return -1;
}

void container_destroy(struct parser *p)
{
    struct container_ctx *c = p->ctx;
    if (!c || !c->inner_p.plugin)
        return;
    const struct parser_plugin *pl = c->inner_p.plugin;
    if (pl->destroy && c->inner_p.ctx)
        pl->destroy(&c->inner_p);
    if (c->inner_p.ctx && pl->options)
        conf_options_free(pl->options, c->inner_p.ctx);
    free(c->inner_p.ctx);
    c->inner_p = (struct parser){ 0 };
}

void container_state_fini(const struct parser *p, void *state)
{
    const struct container_ctx *c = p->ctx;
    struct container_state *st = state;
    for (int i = 0; i < CT__STREAMS; i++) {
        free(st->part[i].buf);
        st->part[i] = (struct container_part){ 0 };
        multiline_event_fini(&st->ml[i]);
    }
    if (st->inner_state) {
        if (c->inner_p.plugin && c->inner_p.plugin->state_fini)
            c->inner_p.plugin->state_fini(&c->inner_p, st->inner_state);
        free(st->inner_state);
        st->inner_state = NULL;
    }
}

static size_t line_cap(const struct parser *p)
{
    return p->max_line_bytes ? p->max_line_bytes : LINE_MAX_BYTES_DEFAULT;
}

/* Appends piece to the part, cutting at the cap. Returns -1 without memory. */
static int part_append(const struct parser *p, struct container_part *pt, struct span piece)
{
    size_t cap = line_cap(p);
    if (!pt->buf) {
        pt->buf = malloc(cap);
        if (!pt->buf)
            return -1;
    }
    size_t n = piece.len;
    if (n > cap - pt->len) {
        n = cap - pt->len;
        pt->cut = true;
    }
    if (n)
        memcpy(pt->buf + pt->len, piece.p, n);
    pt->len += n;
    return 0;
}

static enum parse_result oom(struct record *r)
{
    r->kind = KIND_RAW;
    r->parse_error = "container: out of memory joining partial lines";
    return PARSE_MALFORMED;
}

enum parse_result container_hold(const struct parser *p, struct container_state *st,
                                 struct record *r, int stream, struct span piece, int64_t ts,
                                 bool has_ts)
{
    struct container_part *pt = &st->part[stream];
    if (!pt->held) {
        pt->len = 0;
        pt->cut = false;
        pt->ts = ts;
        pt->has_ts = has_ts;
        pt->start_off = r->off;
    }
    if (part_append(p, pt, piece) < 0)
        return oom(r);
    pt->held = true;
    return PARSE_PENDING;
}

static enum parse_result run_inner(const struct parser *p, struct container_state *st,
                                   struct record *r, int stream, struct span line)
{
    const struct container_ctx *c = p->ctx;
    const struct parser_plugin *pl = c->inner_p.plugin;
    void *istate = NULL;
    if (pl->state_size) {
        if (!st->inner_state)
            st->inner_state = calloc(1, pl->state_size);
        if (!st->inner_state)
            return oom(r);
        istate = st->inner_state;
    }
    r->raw = line;
    enum parse_result res = pl->parse(&c->inner_p, istate, r, line);
    if (res == PARSE_OK || res == PARSE_MALFORMED)
        record_add_str(r, SPAN_LIT("stream"), stream_names[stream]);
    return res;
}

/* Emits ev's text as r through the inner parser. */
static enum parse_result ml_emit(const struct parser *p, struct container_state *st, struct record *r,
                                 int stream, struct ml_event *ev)
{
    if (ev->has_ts) {
        r->ts = ev->ts;
        r->ts_from_line = true;
    }
    r->truncated = ev->cut;
    r->off = ev->start_off;
    enum parse_result res = run_inner(p, st, r, stream, multiline_text(ev));
    multiline_reset(ev);
    return res;
}

/* A whole line of stream into its pending multiline event: emits the
 * event it ends, if any. */
static enum parse_result ml_line(const struct parser *p, struct container_state *st, struct record *r,
                                 int stream, struct span line, uint64_t start, int64_t ts, bool has_ts,
                                 bool cut)
{
    struct ml_event *ev = &st->ml[stream];
    enum parse_result res = PARSE_PENDING;
    if (ev->held && !multiline_continues(p->ml, ev, line))
        res = ml_emit(p, st, r, stream, ev);
    bool first = !ev->held;
    if (multiline_append(p->ml, ev, line, start, cut) < 0)
        return res == PARSE_PENDING ? oom(r) : res;
    if (first) {
        ev->ts = ts;
        ev->has_ts = has_ts;
    }
    return res;
}

enum parse_result container_emit(const struct parser *p, struct container_state *st,
                                 struct record *r, int stream, struct span piece, int64_t ts,
                                 bool has_ts)
{
    struct container_part *pt = &st->part[stream];
    struct span line = piece;
    uint64_t start = r->off;
    bool cut = false;
    if (pt->held) {
        if (part_append(p, pt, piece) < 0)
            return oom(r);
        pt->held = false;
        line = span_make(pt->buf, pt->len);
        ts = pt->ts;
        has_ts = pt->has_ts;
        start = pt->start_off;
        cut = pt->cut;
    }
    if (p->ml)
        return ml_line(p, st, r, stream, line, start, ts, has_ts, cut);
    if (cut)
        r->truncated = true;
    if (has_ts) {
        r->ts = ts;
        r->ts_from_line = true;
    }
    return run_inner(p, st, r, stream, line);
}

bool container_holding(const struct parser *p, const void *state, uint64_t *from)
{
    const struct container_state *st = state;
    bool any = false;
    (void)p;
    for (int s = 0; s < CT__STREAMS; s++) {
        if (st->part[s].held && (!any || st->part[s].start_off < *from)) {
            *from = st->part[s].start_off;
            any = true;
        }
        if (st->ml[s].held && (!any || st->ml[s].start_off < *from)) {
            *from = st->ml[s].start_off;
            any = true;
        }
    }
    return any;
}

enum parse_result container_flush(const struct parser *p, void *state, struct record *r)
{
    const struct container_ctx *c = p->ctx;
    struct container_state *st = state;
    for (int s = 0; s < CT__STREAMS; s++) {
        if (!st->part[s].held)
            continue;
        enum parse_result res = container_emit(p, st, r, s, SPAN_NULL, 0, false);
        if (res == PARSE_OK || res == PARSE_MALFORMED)
            return PARSE_OK;
    }
    for (int s = 0; s < CT__STREAMS; s++)
        if (st->ml[s].held) {
            enum parse_result res = ml_emit(p, st, r, s, &st->ml[s]);
            if (res == PARSE_OK || res == PARSE_MALFORMED)
                return PARSE_OK;
        }
    if (st->inner_state && c->inner_p.plugin->flush)
        return c->inner_p.plugin->flush(&c->inner_p, st->inner_state, r) == PARSE_OK ? PARSE_OK
                                                                                   : PARSE_SKIP;
    return PARSE_SKIP;
}
