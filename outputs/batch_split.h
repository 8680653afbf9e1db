/* batch_split.h - a batch's events grouped by tag, for outputs whose
 * destination depends on the tag (kafka `topic`, nats `subject` with ${tag}):
 * one group per distinct tag, its events in batch order, encoded as the
 * batch was (msgpack entries, LZ4-framed when the batch was; or JSON lines).
 * Text batches cannot be split (their tag is not delimited): -1. */
#ifndef VIGIL_BATCH_SPLIT_H
#define VIGIL_BATCH_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "outputs/batch.h"
#include "sidecar/limits.h"
#include "sidecar/span.h"

struct batch_group {
    char tag[TAG_MAX_BYTES];      /* msgpack: the tag; JSON: as escaped in the line */
    size_t tag_len;
    struct buf data;              /* the group's bytes, ready to send */
    uint32_t n_events;
};

struct batch_split {
    struct batch_group *g;
    size_t n, cap;                /* groups in use / allocated (reused across batches) */
    struct buf plain;             /* scratch: a group before LZ4 */
    int rc;
};

/* Fills s with b's groups. Returns 0, -1 when b cannot be decoded or split
 * (text format, damaged), -2 on allocation failure. */
int batch_split_by_tag(struct batch_split *s, const struct batch *b);
void batch_split_free(struct batch_split *s);

#endif
