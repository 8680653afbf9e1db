/* pipeline.h - input -> parser -> merge -> detectors -> router -> outputs, in
 * that fixed order, synchronously for each line: one record, reused, no
 * malloc, unless the event-time merge (sidecar/merge.h) must hold a copy
 * while another source with unread bytes may have an earlier record.
 *
 * At-least-once: every record gets a sequence number. An output accepts a
 * record when it was delivered or written to its disk buffer; outputs report
 * the lowest sequence they still hold in memory (output_pending_seq). A source
 * may commit an offset once every record read before it has been accepted by
 * every output it matched: sources mark (seq, offset) after each read and
 * pipeline_safe_offset() returns the newest such offset that is safe. A
 * record held by the merge has no sequence number yet: the offset marked is
 * then the one before the source's oldest held record. */
#ifndef VIGIL_PIPELINE_H
#define VIGIL_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "sidecar/multiline.h"
#include "sidecar/record.h"
#include "sidecar/span.h"

struct vigil;
struct input;

#define SOURCE_MARKS 64
#define SOURCE_EXTRA 4

/* One followed stream (a file). Owned by its input; the pipeline reads it. */
struct source {
    struct input *in;
    struct span path;            /* borrowed from the input, stable while open */
    void *parser_state;          /* in->parser.plugin->state_size bytes, or NULL */
    bool parser_busy;            /* the parser (or the multiline join) holds lines not yet emitted */
    struct ml_event ml;          /* the pending multiline event (inputs[].multiline, not cri/docker) */
    int64_t held_since_ms;       /* with multiline: when the last line was held (timeout) */
    /* Fields the input knows beside the line (journal: unit, level), added
     * to the line's record after parsing; borrowed for pipeline_line(). */
    struct span extra_key[SOURCE_EXTRA], extra_val[SOURCE_EXTRA];
    unsigned nextra;
    uint64_t safe_offset;        /* end of the last line after which the parser was idle */
    uint64_t committed;          /* last offset handed to the checkpoint */
    uint64_t last_end;           /* end offset of the last line fed to the parser */
    struct { uint64_t seq, offset; } marks[SOURCE_MARKS];
    unsigned mark_head, mark_n;  /* ring of marks, oldest at head */
    /* The event-time merge's view of the source (sidecar/merge.c). */
    struct merge_item *mq_head, *mq_tail;   /* records held, oldest first */
    struct merge_chunk *mq_chead, *mq_ctail; /* the memory they sit in, oldest first */
    size_t mq_n, mq_bytes;
    int64_t mq_head_key;         /* order key of mq_head: the heap reads it here, not
                                  * in the held copy, which is rarely in cache */
    int64_t mq_key;              /* order key of the newest record taken */
    bool mq_keyed;               /* mq_key is set: a record was taken */
    bool mq_timed;               /* one of them had its time in the line */
    bool unread;                 /* the input has bytes of it not read yet */
    bool blocking;               /* unread and nothing held: others wait for it */
    bool parked;                 /* not read on until the merge wakes its input */
    uint64_t mq_order;           /* when the merge first saw it (last tie-breaker) */
    size_t heap_pos;             /* index + 1 in the merge's heap, 0 when not in it */
};

/* Sets up the source's parser state. The caller then sets safe_offset and
 * committed to the offset reading starts at. Returns -1 on allocation failure. */
int source_init(struct source *s, struct input *in, struct span path);
/* Flushes held parser state through the pipeline, then frees it. */
void source_fini(struct vigil *vg, struct source *s);

#define LINE_TRUNCATED 0x1u       /* the line was cut at max_line_bytes */

/* Runs one line (no newline; a trailing \r is kept) through the pipeline.
 * end_offset is the source offset just past the line and its newline.
 * The line is borrowed for the duration of the call only. */
void pipeline_line(struct vigil *vg, struct source *s, struct span line, uint64_t end_offset,
                   unsigned flags);
/* Emits what the source's parser holds (EOF after rotation, idle timeout),
 * and delivers what the merge holds of it. */
void pipeline_source_flush(struct vigil *vg, struct source *s);
/* Notes that everything before s->safe_offset has been submitted. Call after
 * each read chunk. */
void pipeline_mark(struct vigil *vg, struct source *s);
/* The newest offset of s that every output has accepted. */
uint64_t pipeline_safe_offset(struct vigil *vg, struct source *s);

/* The stages after the event-time merge: sequence number, detectors, router,
 * outputs. Called by sidecar/merge.c only. */
void pipeline_deliver(struct vigil *vg, struct source *s, struct record *r);

/* Runs an already-built record (alerts) through router -> outputs. */
void pipeline_emit(struct vigil *vg, struct record *r);

/* Backpressure: outputs call these; inputs see vg->paused. */
void pipeline_pause(struct vigil *vg, const char *why);
void pipeline_resume(struct vigil *vg);


#endif
