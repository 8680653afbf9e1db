/* fuzz_batch_read.c - batch_read and the JSON rendering of what it decodes
 * must survive any bytes (vigil-cat reads files anyone may have damaged). */
#include <stddef.h>
#include <stdint.h>

#include "outputs/batch_read.h"

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
    batch_read(data, size, entry_cb, NULL, &b, NULL);
    buf_free(&b);
    return 0;
}
