/* fuzz_wire_v2.c - the wire format version 2 reader must survive any bytes:
 * a content map straight (wire2_to_v1, every count, id, gap and length
 * checked), the same bytes as a batch_read stream, and the entries it
 * rebuilds as JSON. Seeds: real version 2 contents (tests/fuzz/corpus/wire_v2). */
#include <stddef.h>
#include <stdint.h>

#include "outputs/batch_read.h"
#include "outputs/wire_v2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int entry_cb(void *arg, const struct batch_entry *e)
{
    struct buf *b = arg;
    b->len = 0;
    batch_entry_to_json(b, e);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf b = { 0 };
    size_t used;
    if (wire2_is_content(data, size))
        wire2_to_v1(data, size, &b, &used);
    b.len = 0;
    batch_read(data, size, entry_cb, NULL, &b, NULL);
    buf_free(&b);
    return 0;
}
