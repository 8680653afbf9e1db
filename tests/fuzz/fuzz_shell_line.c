/* fuzz_shell_line.c - the shell command-line cutter (detectors/shell_line.c)
 * on arbitrary bytes: the input is copied to a buffer of its exact size (so an
 * over-read is caught), parsed, and every span the result hands out must lie
 * inside the line's own text, every segment's words inside the word table. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/shell_line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const struct shl_line *l, struct span s)
{
    if (!s.len)
        return;
    if (s.p < l->text || s.p + s.len > l->text + sizeof(l->text) || s.len > l->used)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct shl_line l;
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);
    shl_parse(&l, span_make(copy, size));
    if (l.nwords > SHL_MAX_WORDS || l.nsegs > SHL_MAX_SEGS || l.nredirs > SHL_MAX_REDIRS ||
        l.used > sizeof(l.text))
        abort();
    for (unsigned i = 0; i < l.nwords; i++)
        inside(&l, l.word[i]);
    for (unsigned s = 0; s < l.nsegs; s++) {
        const struct shl_seg *g = &l.seg[s];
        if (g->w0 + g->nw > l.nwords || g->a0 + g->na > l.nwords || g->op > SHL_OP_BG ||
            g->parent >= (int)s || g->depth > SHL_MAX_DEPTH)
            abort();
        inside(&l, shl_argv0(&l, s));
        for (unsigned i = 0; i <= g->nw; i++)   /* one past the end is empty */
            inside(&l, shl_arg(&l, s, i));
        if (shl_arg(&l, s, g->nw).len)
            abort();
    }
    for (unsigned i = 0; i < l.nredirs; i++) {
        if (l.redir[i].seg >= l.nsegs || l.redir[i].kind > SHL_R_HERESTR)
            abort();
        inside(&l, l.redir[i].target);
    }
    inside(&l, shl_argv0(&l, l.nsegs));   /* past the last segment: empty, no crash */
    free(copy);
    return 0;
}
