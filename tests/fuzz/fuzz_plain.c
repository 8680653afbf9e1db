/* fuzz_plain.c - libFuzzer target for the plain parser (see fuzz_parser.h). */
#include "tests/fuzz/fuzz_parser.h"

extern const struct parser_plugin parser_plain;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parser_run(&parser_plain, NULL, 64 * 1024, data, size);
    return 0;
}
