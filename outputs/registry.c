/* registry.c - every output type, by the name `outputs[].type` uses.
 * A row with a module is not linked into vigil: its plugin comes from
 * vigil-<module>.so (sidecar/module.h) when a configuration names it. The
 * weak references find the plugin in programs that link it in (tests). */
#include "outputs/output.h"

#include <stddef.h>

#include "sidecar/module.h"

#define WEAK __attribute__((weak))
extern const struct output_plugin output_stdout, output_file;
extern const struct output_plugin output_tcp WEAK, output_http WEAK, output_forward WEAK,
    output_kafka WEAK, output_nats WEAK, output_otlp WEAK;

static const struct module_entry
    o_stdout = { "stdout", NULL, NULL, &output_stdout },
    o_file = { "file", NULL, NULL, &output_file },
    /* OpenSSL (TLS) for all four; otlp also protobuf-c */
    o_tcp = { "tcp", "tcp", "output_tcp", &output_tcp },
    o_http = { "http", "http", "output_http", &output_http },
    o_forward = { "forward", "forward", "output_forward", &output_forward },
    o_otlp = { "otlp", "otlp", "output_otlp", &output_otlp },
    o_kafka = { "kafka", "kafka", "output_kafka", &output_kafka },      /* librdkafka */
    o_nats = { "nats", "nats", "output_nats", &output_nats };           /* libnats */

const struct module_entry *const output_types[] = {
    &o_stdout, &o_file, &o_tcp, &o_http, &o_forward, &o_kafka, &o_nats, &o_otlp,
    NULL
};

const struct output_plugin *output_plugin_find(const char *name, char *err, size_t cap)
{
    if (err && cap)
        err[0] = '\0';
    const struct module_entry *e = module_entry_find(output_types, name);
    return e ? module_plugin(e, err, cap) : NULL;
}
