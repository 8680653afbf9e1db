/* wire_v2.h - the columnar batch content of wire format version 2
 * (docs/wire-format.md, section 1b): what is the same for many records
 * (source: tag, input, host, path, kind; keys; record shapes) is written once
 * per batch, raw lines form one column grouped by source, parsed string
 * values that are slices of the line travel as (offset, length), and the
 * other values sit in typed columns. The batch writer (outputs/batch.c) feeds
 * records in and takes the content out; the reader side turns it back into
 * the version 1 entries (outputs/batch_read_v2.c). */
#ifndef VIGIL_WIRE_V2_H
#define VIGIL_WIRE_V2_H

#include <stddef.h>

#include "sidecar/buf.h"
#include "sidecar/record.h"

#define WIRE_V2_MAGIC "vigil_wire"   /* the first key of the content map */

/* Shape codes of a value (docs/wire-format.md). */
enum wire2_code { W2_NIL, W2_TRUE, W2_FALSE, W2_REF, W2_STR, W2_INT, W2_DOUBLE, W2_MAP, W2_ARRAY,
                  W2_IREF, W2__COUNT };
/* Shape flags. */
#define W2_F_TRUNCATED 1u
#define W2_F_REPEAT    2u

struct wire2;

struct wire2 *wire2_new(void);
void wire2_free(struct wire2 *w);
/* Takes r in (copies what it needs). -1 only on allocation failure; the
 * batch is then unchanged. */
int wire2_add(struct wire2 *w, const struct record *r);
/* About how many bytes the content would take now. */
size_t wire2_bytes(const struct wire2 *w);
/* Appends the content of the records added since the last finish to out and
 * empties w. -1 only on allocation failure (w keeps its records). */
int wire2_finish(struct wire2 *w, struct buf *out);

/* Reader: calls fn with each version 1 entry [tag, EventTime, record] of
 * the version 2 content p[0..n) (which starts with the content map), byte
 * for byte what the version 1 writer makes of the same record; the entry is
 * borrowed for the call. fn returns non-zero to stop. *used gets the size of
 * the content map. Returns NULL, or a static reason why the bytes are not a
 * valid content (entries before the damage were delivered), or "out of
 * memory". Memory is one record at a time; the total rebuilt is bounded by
 * the content's size. */
typedef int (*wire2_entry_fn)(void *arg, const unsigned char *entry, size_t len);
const char *wire2_read(const unsigned char *p, size_t n, wire2_entry_fn fn, void *arg, size_t *used);
/* The same, all entries appended to out (left as it was on error). */
const char *wire2_to_v1(const unsigned char *p, size_t n, struct buf *out, size_t *used);
/* True when p[0..n) starts like a version 2 content map. */
int wire2_is_content(const unsigned char *p, size_t n);

#endif
