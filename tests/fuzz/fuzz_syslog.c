/* fuzz_syslog.c - libFuzzer target for the syslog parser (see fuzz_parser.h). */
#include "tests/fuzz/fuzz_parser.h"

extern const struct parser_plugin parser_syslog;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parser_run(&parser_syslog, NULL, 64 * 1024, data, size);
    return 0;
}
