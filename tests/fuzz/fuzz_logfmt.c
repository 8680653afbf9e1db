/* fuzz_logfmt.c - libFuzzer target for the logfmt parser (see fuzz_parser.h). */
#include "tests/fuzz/fuzz_parser.h"

#include "sidecar/parsers/app_kind.h"

extern const struct parser_plugin parser_logfmt;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct app_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    fuzz_parser_run(&parser_logfmt, &ctx, 64 * 1024, data, size);
    return 0;
}
