/* buf.h - the one growable byte buffer: encoders, the alert stream, the
 * checkpoint's text form and the config's expansion all append to it.
 * Part of vigil's base layer (README, Layout): it uses nothing above it. */
#ifndef VIGIL_BUF_H
#define VIGIL_BUF_H

#include <stddef.h>

struct buf {
    unsigned char *p;
    size_t len, cap;
};

/* Makes room for more bytes after len (capacity doubles from 4 KiB).
 * Return -1 only on allocation failure; b is then unchanged. */
int buf_reserve(struct buf *b, size_t more);
int buf_append(struct buf *b, const void *p, size_t n);
/* Appends n bytes and keeps a NUL after them (not counted in len), so p can
 * be read as a C string. */
int buf_append_str(struct buf *b, const char *s, size_t n);
void buf_free(struct buf *b);

#endif
