/* pipeline.c - input -> parser -> detectors -> router -> outputs for each line.
 * Everything runs synchronously on one reused record, so a line is a slice of
 * the tailer's read buffer from read to the moment each output has packed it
 * into its batch: no copy and no malloc per line. Offsets become committable
 * through (seq, offset) marks checked against the outputs' lowest pending seq. */
#include "sidecar/pipeline.h"

#include <assert.h>
#include <stdlib.h>
#include <time.h>

#include "detectors/detector.h"
#include "outputs/output.h"
#include "sidecar/inputs/input.h"
#include "sidecar/clock.h"
#include "sidecar/line_filter.h"
#include "sidecar/log.h"
#include "sidecar/merge.h"
#include "sidecar/stats.h"
#include "sidecar/vigil.h"

int source_init(struct source *s, struct input *in, struct span path)
{
    memset(s, 0, sizeof(*s));
    s->in = in;
    s->path = path;
    size_t n = in->parser.plugin ? in->parser.plugin->state_size : 0;
    if (n) {
        s->parser_state = calloc(1, n);
        if (!s->parser_state) {
            log_error("%s: out of memory for parser state", in->conf->name);
            return -1;
        }
    }
    return 0;
}

void source_fini(struct vigil *vg, struct source *s)
{
    if (!s->in)
        return;
    pipeline_source_flush(vg, s);
    merge_forget(vg, s);
    const struct parser_plugin *pp = s->in->parser.plugin;
    if (s->parser_state && pp && pp->state_fini)
        pp->state_fini(&s->in->parser, s->parser_state);
    free(s->parser_state);
    s->parser_state = NULL;
    multiline_event_fini(&s->ml);
    s->in = NULL;
}

/* Sends r to every output whose match globs take its tag. */
static void route(struct vigil *vg, struct record *r, uint64_t mask)
{
    for (size_t i = 0; i < vg->noutputs; i++) {
        struct output *out = vg->outputs[i];
        bool take = i < 64 ? (mask >> i) & 1u : output_matches(out, r->tag);
        if (take)
            output_add(out, r);
    }
}

static uint64_t route_mask_for(struct vigil *vg, struct span tag)
{
    uint64_t m = 0;
    for (size_t i = 0; i < vg->noutputs && i < 64; i++)
        if (output_matches(vg->outputs[i], tag))
            m |= 1ull << i;
    return m;
}

/* The stages after parsing, shared by lines and flushed parser state. */
static void emit_parsed(struct vigil *vg, struct source *s, struct record *r,
                        enum parse_result res)
{
    struct input *in = s->in;
    if (res == PARSE_MALFORMED) {
        in->stats.parse_errors++;
        vg->n.parse_errors++;
    }
    for (unsigned i = 0; i < s->nextra; i++)
        record_add_str(r, s->extra_key[i], s->extra_val[i]);
    merge_push(vg, s, r);
}

void pipeline_deliver(struct vigil *vg, struct source *s, struct record *r)
{
    struct input *in = s->in;
    r->seq = ++vg->seq;
    vg->n.records++;
    STATS_STAGE(vg, PSTAGE_PARSE);
    /* Static fields (service and input `fields:`) go on before routing, so
     * every output ships them; the detectors, which see the record after, key
     * on the parsed fields, not on these. */
    fields_apply(&in->fields, r);
    /* The record is routed before the detectors see it, so the alerts it
     * raises (seq + 1 ...) follow it in every output: sequence numbers grow
     * along each output's queue, which the commit of offsets relies on. */
    if (!in->route_valid) {
        in->route_mask = route_mask_for(vg, r->tag);
        in->route_valid = true;
    }
    route(vg, r, in->route_mask);
    STATS_STAGE(vg, PSTAGE_PACK);
    if (vg->ndetectors)
        detectors_observe(vg, r);
    STATS_STAGE(vg, PSTAGE_DETECT);
}

static void record_prepare(struct vigil *vg, struct source *s, struct record *r)
{
    struct input *in = s->in;
    record_reset(r);
    r->read_ts = vg->read_ns ? vg->read_ns : vigil_wall_ns();
    r->ts = r->read_ts;
    r->tag = in->tag;
    r->input = in->name;
    r->path = s->path;
    r->host = vg->host;
}

/* After a line: where the checkpoint may go, and whether state is held. */
static void settle(struct source *s, enum parse_result res, uint64_t end_offset)
{
    struct input *in = s->in;
    const struct parser_plugin *pp = in->parser.plugin;
    uint64_t from = end_offset;
    bool held = s->ml.held, inner = false;
    if (held)
        from = s->ml.start_off;
    if (pp && pp->holding && pp->holding(&in->parser, s->parser_state, &from))
        inner = true;
    if (res == PARSE_PENDING && !inner) {
        s->parser_busy = true;       /* held, at an offset the parser does not tell */
    } else {
        s->parser_busy = held || inner;
        if (from > s->safe_offset)
            s->safe_offset = from;
    }
    if (in->ml && s->parser_busy)
        s->held_since_ms = vigil_mono_ms();
}

/* Parses text (a line or a joined event) and hands the record on. */
static enum parse_result parse_emit(struct vigil *vg, struct source *s, struct span text, uint64_t off,
                                    bool truncated)
{
    struct record *r = &vg->rec;
    struct input *in = s->in;
    STATS_START(vg);
    record_prepare(vg, s, r);
    r->raw = text;
    r->off = off;
    r->truncated = truncated;
    enum parse_result res = PARSE_OK;
    if (in->parser.plugin && in->parser.plugin->parse)
        res = in->parser.plugin->parse(&in->parser, s->parser_state, r, text);
    switch (res) {
    case PARSE_PENDING:
        STATS_STAGE(vg, PSTAGE_PARSE);
        break;
    case PARSE_SKIP:
        break;
    case PARSE_OK:
    case PARSE_MALFORMED:
        emit_parsed(vg, s, r, res);
        break;
    }
    return res;
}

/* The pipeline's own multiline join (parsers that do not join themselves). */
static void multiline_line(struct vigil *vg, struct source *s, struct span line, uint64_t start,
                           uint64_t end_offset, unsigned flags)
{
    struct ml_event *ev = &s->ml;
    enum parse_result res = PARSE_SKIP;
    if (ev->held && !multiline_continues(s->in->ml, ev, line)) {
        res = parse_emit(vg, s, multiline_text(ev), ev->start_off, ev->cut);
        multiline_reset(ev);
    }
    if (multiline_append(s->in->ml, ev, line, start, (flags & LINE_TRUNCATED) != 0) < 0)
        res = parse_emit(vg, s, line, start, (flags & LINE_TRUNCATED) != 0);   /* no memory: alone */
    settle(s, res, end_offset);
}

void pipeline_line(struct vigil *vg, struct source *s, struct span line, uint64_t end_offset,
                   unsigned flags)
{
    struct record *r = &vg->rec;
    struct input *in = s->in;
    if (in->filter && !line_filter_keep(in->filter, line)) {
        assert(end_offset >= s->last_end);
        s->last_end = end_offset;
        in->stats.lines_filtered++;
        vg->n.lines_filtered++;
        if (!s->parser_busy)
            s->safe_offset = end_offset;
        return;
    }
    /* the input counts its own lines, bytes and truncations (per input) */
    if (flags & LINE_TRUNCATED)
        vg->n.truncated++;
    vg->n.lines++;
    vg->n.bytes += line.len + 1;
    /* offsets only grow within a source (a truncated file gets a new one) */
    assert(end_offset >= s->last_end);
    uint64_t start = s->last_end;
    s->last_end = end_offset;
    if (in->ml && !(in->parser.plugin && in->parser.plugin->joins_multiline)) {
        multiline_line(vg, s, line, start, end_offset, flags);
        return;
    }
    STATS_START(vg);
    record_prepare(vg, s, r);
    r->raw = line;
    r->off = start;
    r->truncated = (flags & LINE_TRUNCATED) != 0;

    enum parse_result res = PARSE_OK;
    if (in->parser.plugin && in->parser.plugin->parse)
        res = in->parser.plugin->parse(&in->parser, s->parser_state, r, line);
    switch (res) {
    case PARSE_PENDING:
        s->parser_busy = true;
        STATS_STAGE(vg, PSTAGE_PARSE);
        return;
    case PARSE_SKIP:
        break;
    case PARSE_OK:
    case PARSE_MALFORMED:
        emit_parsed(vg, s, r, res);
        break;
    }
    if (in->parser.plugin && in->parser.plugin->holding) {
        settle(s, res, end_offset);
        return;
    }
    s->parser_busy = false;
    s->safe_offset = end_offset;
}

void pipeline_source_flush(struct vigil *vg, struct source *s)
{
    struct input *in = s->in;
    if (!in)
        return;
    if (!s->parser_busy) {
        merge_drain_source(vg, s);
        return;
    }
    if (s->ml.held) {
        (void)parse_emit(vg, s, multiline_text(&s->ml), s->ml.start_off, s->ml.cut);
        multiline_reset(&s->ml);
    }
    const struct parser_plugin *pp = in->parser.plugin;
    /* A parser may hold several records (one per container stream): flush
     * until it has nothing left, within a bound in case one never says so. */
    for (int i = 0; pp && pp->flush && i < 64; i++) {
        struct record *r = &vg->rec;
        STATS_START(vg);
        record_prepare(vg, s, r);
        enum parse_result res = pp->flush(&in->parser, s->parser_state, r);
        if (res != PARSE_OK && res != PARSE_MALFORMED)
            break;
        emit_parsed(vg, s, r, res);
    }
    s->parser_busy = false;
    s->safe_offset = s->last_end;
    merge_drain_source(vg, s);
}

void pipeline_mark(struct vigil *vg, struct source *s)
{
    /* records the merge holds have no seq yet: stop before the oldest */
    uint64_t off = merge_safe_offset(s, s->safe_offset);
    unsigned newest = (s->mark_head + s->mark_n + SOURCE_MARKS - 1) % SOURCE_MARKS;
    /* marks are (seq, offset) pairs, both non-decreasing along the ring */
    assert(off >= s->committed);
    assert(!s->mark_n || (vg->seq >= s->marks[newest].seq && off >= s->marks[newest].offset));
    if (s->mark_n && s->marks[newest].offset == off)
        return;
    if (!s->mark_n && s->committed == off)
        return;
    /* When the ring is full the newest mark moves forward instead: commits get
     * coarser while outputs lag, never unsafe. */
    if (s->mark_n == SOURCE_MARKS) {
        s->marks[newest].seq = vg->seq;
        s->marks[newest].offset = off;
        return;
    }
    unsigned slot = (s->mark_head + s->mark_n) % SOURCE_MARKS;
    s->marks[slot].seq = vg->seq;
    s->marks[slot].offset = off;
    s->mark_n++;
}

uint64_t pipeline_safe_offset(struct vigil *vg, struct source *s)
{
    uint64_t pending = outputs_pending_seq(vg);
    while (s->mark_n && s->marks[s->mark_head].seq < pending) {
        assert(s->marks[s->mark_head].offset >= s->committed);   /* commits never go back */
        s->committed = s->marks[s->mark_head].offset;
        s->mark_head = (s->mark_head + 1) % SOURCE_MARKS;
        s->mark_n--;
    }
    return s->committed;
}

void pipeline_emit(struct vigil *vg, struct record *r)
{
    fields_apply(&vg->fields, r);
    r->seq = ++vg->seq;
    vg->n.records++;
    route(vg, r, route_mask_for(vg, r->tag));
}

void pipeline_pause(struct vigil *vg, const char *why)
{
    if (vg->paused)
        return;
    vg->paused = true;
    vg->n.pauses++;
    log_warn("pausing inputs: %s", why);
    for (size_t i = 0; i < vg->ninputs; i++)
        if (vg->inputs[i]->plugin->pause)
            vg->inputs[i]->plugin->pause(vg->inputs[i]);
}

void pipeline_resume(struct vigil *vg)
{
    if (!vg->paused)
        return;
    for (size_t i = 0; i < vg->noutputs; i++)
        if (vg->outputs[i]->blocked)
            return;
    vg->paused = false;
    log_info("resuming inputs");
    for (size_t i = 0; i < vg->ninputs; i++)
        if (vg->inputs[i]->plugin->resume)
            vg->inputs[i]->plugin->resume(vg->inputs[i]);
}
