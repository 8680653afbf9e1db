/* buf.c - the growable byte buffer every encoder appends to.
 * Growth doubles, so appends are amortised O(1); a failed allocation leaves
 * the buffer as it was and returns -1. */
#include "outputs/batch.h"

#include <stdlib.h>
#include <string.h>

int buf_reserve(struct buf *b, size_t more)
{
    if (more <= b->cap - b->len)
        return 0;
    if (more > SIZE_MAX / 2 - b->len)
        return -1;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap - b->len < more)
        ncap *= 2;
    unsigned char *p = realloc(b->p, ncap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = ncap;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
