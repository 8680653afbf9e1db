/* container.h - what the cri and docker parsers share once they have taken
 * the runtime's framing off a line: joining partial lines and handing the
 * application's line to the `inner` parser.
 *
 * Partials are joined per stream (stdout and stderr pieces may interleave)
 * in a buffer of the input's max_line_bytes, allocated on the first partial
 * and freed by container_state_fini(); a longer line is cut there and marked
 * truncated. The inner parser (any parser but cri and docker, with its
 * default options) gets the unwrapped line as r->raw, so `message` is what
 * the application wrote, and its own per-source state is allocated on first
 * use inside ours. The record gets `stream` on top of the inner fields. */
#ifndef VIGIL_CONTAINER_H
#define VIGIL_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>

#include "sidecar/multiline.h"
#include "sidecar/parsers/parser.h"

enum container_stream { CT_STDOUT, CT_STDERR, CT__STREAMS };

/* Options of cri and docker (one table, container_options). */
struct container_ctx {
    char *inner;                 /* option: name of the inner parser, default plain */
    struct parser inner_p;       /* set by container_init; inner_p.ctx is ours */
};

struct container_part {
    char *buf;                   /* max_line_bytes, malloc'd on first use */
    size_t len;
    int64_t ts;                  /* time of the first piece */
    uint64_t start_off;          /* source offset before the first piece */
    bool has_ts, held, cut;
};

/* Per-source state of cri and docker (the core zeroes it). */
struct container_state {
    struct container_part part[CT__STREAMS];
    struct ml_event ml[CT__STREAMS];   /* pending multiline events, per stream */
    void *inner_state;           /* inner plugin's state_size bytes, calloc'd on first use */
};

extern const struct conf_option container_options[];

/* Looks up and sets up the inner parser. Returns -1 with a reason in err for
 * an unknown or container parser, or when its own init fails. */
int container_init(struct parser *p, char *err, size_t errlen);
/* Frees what container_init made (the inner ctx). */
void container_destroy(struct parser *p);
/* Frees the part buffers and the inner state (the state itself is the core's). */
void container_state_fini(const struct parser *p, void *state);

/* Keeps piece as a partial line of stream (ts of the first piece kept).
 * Returns PARSE_PENDING, or PARSE_MALFORMED with r as a raw record when the
 * buffer cannot be allocated. */
enum parse_result container_hold(const struct parser *p, struct container_state *st,
                                 struct record *r, int stream, struct span piece, int64_t ts,
                                 bool has_ts);
/* The last piece of a line of stream: joins it to what is held, sets r->ts
 * (the first piece's time) and runs the inner parser. Returns its result. */
enum parse_result container_emit(const struct parser *p, struct container_state *st,
                                 struct record *r, int stream, struct span piece, int64_t ts,
                                 bool has_ts);
/* What the state holds (parser_plugin.holding): partial lines and pending
 * multiline events of either stream. */
bool container_holding(const struct parser *p, const void *state, uint64_t *from);
/* Emits one held partial line (then the inner parser's own held state):
 * PARSE_OK with r filled, or PARSE_SKIP when nothing is held. Call it until
 * it returns PARSE_SKIP: stdout and stderr may both hold a line. */
enum parse_result container_flush(const struct parser *p, void *state, struct record *r);

#endif
