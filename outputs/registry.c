/* registry.c - every output type, by the name `outputs[].type` uses. */
#include "outputs/output.h"

#include <string.h>

extern const struct output_plugin output_stdout, output_file, output_tcp, output_http,
    output_forward, output_kafka, output_nats, output_otlp;

const struct output_plugin *const output_plugins[] = {
    &output_stdout, &output_file, &output_tcp, &output_http, &output_forward, &output_kafka,
    &output_nats, &output_otlp,
    NULL
};

const struct output_plugin *output_plugin_find(const char *name)
{
    for (size_t i = 0; output_plugins[i]; i++)
        if (strcmp(output_plugins[i]->name, name) == 0)
            return output_plugins[i];
    return NULL;
}
