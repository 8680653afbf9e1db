/* registry.c - every detector, by its key under `detectors:`. */
#include "detectors/detector.h"

#include <string.h>

const struct detector_plugin *const detector_plugins[] = {
    NULL
};

const struct detector_plugin *detector_plugin_find(const char *name)
{
    for (size_t i = 0; detector_plugins[i]; i++)
        if (strcmp(detector_plugins[i]->name, name) == 0)
            return detector_plugins[i];
    return NULL;
}
