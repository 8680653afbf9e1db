/* fuzz_auth.c - the auth parser on arbitrary bytes, one line per '\n'. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sidecar/parsers/parser.h"

extern const struct parser_plugin parser_auth;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char arena[1 << 16];
    static struct record r;
    struct parser p = { .plugin = &parser_auth, .max_line_bytes = 1 << 20 };
    const char *s = (const char *)data, *end = s + size;
    while (s <= end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        record_init(&r, arena, sizeof(arena));
        r.raw = span_make(s, n);
        r.read_ts = r.ts = 1795687201LL * 1000000000LL;
        parser_auth.parse(&p, NULL, &r, span_make(s, n));
        if (!nl)
            break;
        s = nl + 1;
    }
    return 0;
}
