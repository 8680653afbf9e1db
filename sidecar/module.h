/* module.h - inputs and outputs built as loadable modules.
 * An input or output whose libraries are heavy (librdkafka, libnats,
 * OpenSSL, protobuf-c, libsystemd) is built as vigil-<module>.so and opened
 * with dlopen() only when a configuration names its type, so a vigil that
 * tails files into a file maps none of those libraries. The registries
 * (outputs/registry.c, sidecar/inputs/registry.c) stay tables: a row names
 * the module and the plugin struct it exports. A program that links the
 * plugin in (the unit tests do) finds it through `linked` instead.
 *
 * Where a module is looked for, first found wins:
 *   $VIGIL_MODULE_DIR            when set, the only place (tests)
 *   <dir of the binary>/modules  a build tree (build/vigil, build/modules/)
 *   <dir of the binary>/../lib/vigil   an install, wherever its prefix
 *   VIGIL_LIBDIR                 $(PREFIX)/lib/vigil, compiled in */
#ifndef VIGIL_MODULE_H
#define VIGIL_MODULE_H

#include <stddef.h>

#ifndef VIGIL_LIBDIR
#define VIGIL_LIBDIR "/usr/local/lib/vigil"
#endif

/* Every module exports this string; a module of another version is refused
 * (the plugin structs it fills in may differ). */
#define MODULE_VERSION_SYMBOL "vigil_module_version"

struct module_entry {
    const char *name;       /* the `type:` of the configuration */
    const char *module;     /* NULL: linked into vigil; else vigil-<module>.so */
    const char *symbol;     /* the plugin struct the module exports */
    const void *linked;     /* the plugin when it is linked in, else NULL */
};

/* The plugin of e: the linked one, or the module's symbol, opening the
 * module the first time (it stays open). NULL with the reason in err (the
 * path tried and the dlerror() text) when the module cannot be loaded. */
const void *module_plugin(const struct module_entry *e, char *err, size_t cap);

/* The row of table (NULL-terminated) for type name, NULL when unknown. */
const struct module_entry *module_entry_find(const struct module_entry *const *table,
                                             const char *name);

#endif
