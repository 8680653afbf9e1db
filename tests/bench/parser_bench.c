/* parser_bench.c - one parser's throughput: parses every line of a file
 * (with one per-file state, as vigil does) `rounds` times and prints lines
 * per CPU-second of this process (CLOCK_PROCESS_CPUTIME_ID, so a busy machine
 * slows the wall clock, not the figure). Built and run by tests/bench/run.sh:
 *   parser_bench auth build/bench/data/auth.log 20
 * Parsers that take options (json, plain...) are not supported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sidecar/parsers/parser.h"

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s PARSER FILE [ROUNDS]\n", argv[0]);
        return 2;
    }
    const struct parser_plugin *pl = parser_plugin_find(argv[1]);
    FILE *f = fopen(argv[2], "rb");
    if (!pl || !f) {
        fprintf(stderr, "parser_bench: no parser %s or no file %s\n", argv[1], argv[2]);
        return 2;
    }
    if (pl->ctx_size) {
        /* its options would need the config code: not measured alone here */
        fprintf(stderr, "parser_bench: parser %s takes options; not supported\n", argv[1]);
        return 2;
    }
    int rounds = argc > 3 ? atoi(argv[3]) : 10;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        return 2;
    fclose(f);
    static char arena[1 << 16];
    static struct record r;
    struct parser p = { .plugin = pl, .max_line_bytes = 1 << 20 };
    void *state = pl->state_size ? calloc(1, pl->state_size) : NULL;
    unsigned long long lines = 0, errors = 0;
    record_init(&r, arena, sizeof(arena));
    double t0 = cpu_now();
    for (int k = 0; k < rounds; k++) {
        const char *s = buf, *end = buf + n;
        while (s < end) {
            const char *nl = memchr(s, '\n', (size_t)(end - s));
            size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
            record_reset(&r);      /* as the pipeline does between lines */
            r.raw = span_make(s, len);
            r.read_ts = r.ts = 1795687201LL * 1000000000LL;
            errors += pl->parse(&p, state, &r, r.raw) == PARSE_MALFORMED;
            lines++;
            s += len + 1;
        }
    }
    double cpu = cpu_now() - t0;
    printf("parser %s: %llu lines in %.3f CPU s = %.2f M lines/CPU-s (%llu malformed)\n", argv[1],
           lines, cpu, cpu > 0 ? (double)lines / cpu / 1e6 : 0.0, errors);
    free(state);
    free(buf);
    return 0;
}
