/* registry.c - every input type, by the name `inputs[].type` uses. */
#include "sidecar/inputs/input.h"

#include <string.h>

extern const struct input_plugin input_file;
extern const struct input_plugin input_journal;

const struct input_plugin *const input_plugins[] = {
    &input_file,
    &input_journal,
    NULL
};

const struct input_plugin *input_plugin_find(const char *name)
{
    for (size_t i = 0; input_plugins[i]; i++)
        if (strcmp(input_plugins[i]->name, name) == 0)
            return input_plugins[i];
    return NULL;
}
