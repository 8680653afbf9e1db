/* batch_read.h - decoding what vigil ships: a byte stream of concatenated
 * batches (LZ4 frames of msgpack content, or plain msgpack), as found in the
 * file output's files, a TCP capture or an HTTP body. Content of either wire
 * version: version 1 entries as they are, a version 2 map (wire_v2.h) as the
 * version 1 entries of the same records, so callers see one form. A damaged part
 * is reported and skipped: decoding resumes at the next LZ4 frame magic, so
 * one bad frame costs only its own events. Pure code: no logging. */
#ifndef VIGIL_BATCH_READ_H
#define VIGIL_BATCH_READ_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "outputs/batch.h"
#include "sidecar/limits.h"
#include "sidecar/span.h"

/* One decoded entry [tag, time, record]; everything is borrowed for the
 * duration of the callback only. */
struct batch_entry {
    struct span tag;
    int64_t ts;                        /* ns since the epoch */
    const msgpack_object *record;      /* normally a map */
};

/* Returns 0 to go on, anything else to stop reading. */
typedef int (*batch_entry_fn)(void *arg, const struct batch_entry *e);
/* offset: where in the input the damaged part starts; why: static text. */
typedef void (*batch_error_fn)(void *arg, uint64_t offset, const char *why);

struct batch_read_stats {
    uint64_t entries, frames, errors;
};

/* The largest frame content accepted (bigger is treated as damage). */
#define BATCH_READ_MAX_CONTENT (BATCH_MAX_BYTES_CAP + (1u << 20))

/* Decodes data[0..len). on_error may be NULL. st (may be NULL) is filled.
 * Returns 0 when everything decoded, 1 when something was skipped, -1 on
 * allocation failure. */
int batch_read(const void *data, size_t len, batch_entry_fn on_entry, batch_error_fn on_error,
               void *arg, struct batch_read_stats *st);

/* Appends e as one JSON object {"tag":..,"time":RFC3339,"record":{...}} (no
 * newline). Returns -1 only on allocation failure. */
int batch_entry_to_json(struct buf *out, const struct batch_entry *e);
/* Appends any msgpack object as JSON (EventTime ext as an RFC 3339 string,
 * binary as a string with the JSON escapes of sidecar/escape.h). */
int mpobj_to_json(struct buf *out, const msgpack_object *o);

#endif
