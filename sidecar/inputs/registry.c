/* registry.c - every input type, by the name `inputs[].type` uses.
 * A row with a module is not linked into vigil: its plugin comes from
 * vigil-<module>.so (sidecar/module.h) when a configuration names it. The
 * weak reference finds the plugin in programs that link it in (tests). */
#include "sidecar/inputs/input.h"

#include <stddef.h>

#include "sidecar/module.h"

extern const struct input_plugin input_file;
extern const struct input_plugin input_journal __attribute__((weak));

static const struct module_entry
    i_file = { "file", NULL, NULL, &input_file },
    i_journal = { "journal", "journal", "input_journal", &input_journal };   /* libsystemd */

const struct module_entry *const input_types[] = {
    &i_file,
    &i_journal,
    NULL
};

const struct input_plugin *input_plugin_find(const char *name, char *err, size_t cap)
{
    if (err && cap)
        err[0] = '\0';
    const struct module_entry *e = module_entry_find(input_types, name);
    return e ? module_plugin(e, err, cap) : NULL;
}
