/* fuzz_parser.h - the body shared by the parser fuzz targets: the input is
 * split at '\n' into lines fed to one parser with one per-source state (so
 * multi-line state is exercised), then flushed until empty and torn down.
 * Each line is copied to an exact-size heap block so ASan sees any read past
 * its end. The record checks its own invariants after every line. */
#ifndef VIGIL_FUZZ_PARSER_H
#define VIGIL_FUZZ_PARSER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/parsers/parser.h"

static char fuzz_arena[64 * 1024];
static struct record fuzz_rec;

static void fuzz_check(const struct record *r)
{
    if (r->nfields > RECORD_MAX_FIELDS || r->open_depth != 0)
        abort();
    for (uint32_t i = 0; i < r->nfields; i++) {
        const struct field *f = &r->fields[i];
        if (f->depth > RECORD_MAX_DEPTH || i + f->size >= r->nfields)
            abort();
        if (f->type == FT_STR && f->v.s.len && !f->v.s.p)
            abort();
        /* touch every byte of string values: ASan catches dangling spans */
        volatile char sink = 0;
        if (f->type == FT_STR)
            for (size_t k = 0; k < f->v.s.len; k++)
                sink ^= f->v.s.p[k];
        (void)sink;
    }
}

/* pl: the parser; ctx: its options (already filled); max_line: the input's limit. */
static void fuzz_parser_run(const struct parser_plugin *pl, void *ctx, size_t max_line,
                            const uint8_t *data, size_t size)
{
    char err[256];
    struct parser p = { pl, ctx, max_line };
    if (pl->init && pl->init(&p, err, sizeof(err)) < 0)
        abort();
    void *state = pl->state_size ? calloc(1, pl->state_size) : NULL;
    size_t off = 0;
    while (off <= size) {
        const uint8_t *nl = memchr(data + off, '\n', size - off);
        size_t n = nl ? (size_t)(nl - (data + off)) : size - off;
        char *line = malloc(n ? n : 1);
        memcpy(line, data + off, n);
        record_init(&fuzz_rec, fuzz_arena, sizeof(fuzz_arena));
        fuzz_rec.raw = span_make(line, n);
        fuzz_rec.read_ts = fuzz_rec.ts = INT64_C(1764151200000000000);
        enum parse_result res = pl->parse(&p, state, &fuzz_rec, span_make(line, n));
        if (res == PARSE_MALFORMED && !fuzz_rec.parse_error)
            abort();
        if (res == PARSE_OK || res == PARSE_MALFORMED)
            fuzz_check(&fuzz_rec);
        free(line);
        off += n + 1;
    }
    if (pl->flush) {
        for (int i = 0; i < 8; i++) {
            record_init(&fuzz_rec, fuzz_arena, sizeof(fuzz_arena));
            if (pl->flush(&p, state, &fuzz_rec) == PARSE_SKIP)
                break;
            fuzz_check(&fuzz_rec);
        }
    }
    if (state && pl->state_fini)
        pl->state_fini(&p, state);
    free(state);
    if (pl->destroy)
        pl->destroy(&p);
}

#endif
