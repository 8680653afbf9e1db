/* fuzz_conf.c - libFuzzer target for the configuration loader: any bytes go
 * through conf_load_buffer (UTF-8 check, libfyaml, the typed walk, ${VAR}
 * expansion) and conf_free; a success is also dumped, which must not crash.
 * Build with clang-14 -fsanitize=fuzzer,address,undefined, this file and the
 * library sources it needs (conf, sidecar/log, record, inputs, parsers, the
 * output and detector registries and plugins) and libfyaml; link it with
 * tests/fuzz/replay.c instead of -fsanitize=fuzzer to replay seeds. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/conf.h"
#include "sidecar/inputs/file.h"
#include "sidecar/inputs/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stands in for the tailer's row when it is not linked in. */
__attribute__((weak)) const struct input_plugin input_file = {
    .name = "file", .options = file_input_options, .ctx_size = sizeof(struct file_options),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    struct vigil_conf c;
    if (!sink)
        sink = fopen("/dev/null", "w");
    if (conf_load_buffer(&c, "fuzz.yaml", (const char *)data, size, sink) == 0) {
        conf_dump(&c, sink);
        conf_free(&c);
    }
    return 0;
}
