/* fuzz_docker.c - libFuzzer target for the docker parser with a json inner parser
 * and a small max_line_bytes, so joining and cutting partials are reached. */
#include "tests/fuzz/fuzz_parser.h"

#include "sidecar/parsers/container.h"

extern const struct parser_plugin parser_docker;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct container_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.inner = size && (data[0] & 1) ? "json" : "logfmt";
    fuzz_parser_run(&parser_docker, &ctx, 512, data, size);
    return 0;
}
