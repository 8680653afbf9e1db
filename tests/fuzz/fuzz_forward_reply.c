/* fuzz_forward_reply.c - the forward output's reply reader on hostile bytes.
 * The first input byte chooses where the rest is split, so single replies,
 * glued replies and replies cut across reads are all exercised; every reply
 * found is classified and its spans read back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/forward_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(struct span s)
{
    size_t sum = 0;
    for (size_t i = 0; i < s.len; i++)
        sum += (unsigned char)s.p[i];
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct forward_reader r;     /* 64 KiB: not on the stack */
    volatile size_t sink = 0;
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] + 1;
    data++;
    size--;
    forward_reader_init(&r);
    for (size_t at = 0; at < size; at += step) {
        size_t n = size - at < step ? size - at : step;
        if (forward_reader_feed(&r, data + at, n) < 0)
            break;
        struct forward_reply rep;
        enum forward_reply_type t;
        while ((t = forward_reader_next(&r, &rep)) != FORWARD_REPLY_MORE &&
               t != FORWARD_REPLY_ERROR) {
            sink += touch(rep.nonce) + touch(rep.auth) + touch(rep.reason) +
                    touch(rep.server_hostname) + touch(rep.digest) + touch(rep.chunk);
            if (t == FORWARD_REPLY_PONG)
                sink += forward_digest_eq(rep.digest, "00");
        }
        if (t == FORWARD_REPLY_ERROR)
            break;
    }
    forward_reader_fini(&r);
    (void)sink;
    return 0;
}
