/* fuzz_shell.c - the shell parser on arbitrary bytes, one line per '\n',
 * with its per-source state carried across the lines and flushed at the end. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/parsers/parser.h"

extern const struct parser_plugin parser_shell;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char arena[1 << 16];
    static struct record r;
    struct parser p = { .plugin = &parser_shell, .max_line_bytes = 4096 };
    void *st = calloc(1, parser_shell.state_size);
    if (!st)
        return 0;
    const char *s = (const char *)data, *end = s + size;
    while (s <= end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        record_init(&r, arena, sizeof(arena));
        r.raw = span_make(s, n);
        r.path = SPAN_LIT("/home/fuzz/.zsh_history");
        r.read_ts = r.ts = 1795687201LL * 1000000000LL;
        parser_shell.parse(&p, st, &r, span_make(s, n));
        if (!nl)
            break;
        s = nl + 1;
    }
    record_init(&r, arena, sizeof(arena));
    parser_shell.flush(&p, st, &r);
    parser_shell.state_fini(&p, st);
    free(st);
    return 0;
}
