/* fuzz_json.c - libFuzzer target for the json parser (see fuzz_parser.h). */
#include "tests/fuzz/fuzz_parser.h"

#include "sidecar/parsers/app_kind.h"

extern const struct parser_plugin parser_json;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct app_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    fuzz_parser_run(&parser_json, &ctx, 64 * 1024, data, size);
    return 0;
}
