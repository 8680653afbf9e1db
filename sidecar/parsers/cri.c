/* cri.c - `parser: cri`: the CRI log format of containerd and CRI-O
 * (/var/log/pods/.../0.log): `<RFC 3339 nano time> <stdout|stderr> <P|F>
 * <message>`. P marks a partial line (the runtime splits long lines), F the
 * last piece; container.c joins them and runs the `inner` parser on the
 * message. A line without that framing is shipped KIND_RAW. */
#include "sidecar/parsers/container.h"
#include "sidecar/timestamp.h"

static enum parse_result bad_framing(struct record *r)
{
    r->kind = KIND_RAW;
    r->parse_error = "cri: not <time> <stream> <P|F> <message>";
    return PARSE_MALFORMED;
}

static enum parse_result cri_parse(const struct parser *p, void *state, struct record *r,
                                   struct span line)
{
    struct container_state *st = state;
    int64_t ts;
    if (line.len == 0)
        return PARSE_SKIP;
    size_t off = ts_parse_rfc3339(line, &ts);
    if (off == 0 || off >= line.len || line.p[off] != ' ')
        return bad_framing(r);
    struct span rest = span_from(line, off + 1);
    int stream;
    if (span_starts(rest, SPAN_LIT("stdout ")))
        stream = CT_STDOUT;
    else if (span_starts(rest, SPAN_LIT("stderr ")))
        stream = CT_STDERR;
    else
        return bad_framing(r);
    rest = span_from(rest, 7);
    /* The tag is P or F, possibly followed by ':'-separated flags. */
    size_t t = 0;
    while (t < rest.len && rest.p[t] != ' ')
        t++;
    if (t == 0 || (rest.p[0] != 'P' && rest.p[0] != 'F') || (t > 1 && rest.p[1] != ':'))
        return bad_framing(r);
    bool partial = rest.p[0] == 'P';
    struct span msg = span_from(rest, t + 1);
    if (partial)
        return container_hold(p, st, r, stream, msg, ts, true);
    return container_emit(p, st, r, stream, msg, ts, true);
}

const struct parser_plugin parser_cri = {
    .name = "cri",
    .options = container_options,
    .ctx_size = sizeof(struct container_ctx),
    .state_size = sizeof(struct container_state),
    .init = container_init,
    .parse = cri_parse,
    .flush = container_flush,
    .state_fini = container_state_fini,
    .destroy = container_destroy,
    .holding = container_holding,
    .joins_multiline = true,
};
