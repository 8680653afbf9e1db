/* module.c - opens vigil-<module>.so and finds the plugin it exports. */
#include "sidecar/module.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sidecar/version.h"

enum { MODULE_DIRS = 3 };

/* The directories to look in, in order; returns how many. */
static size_t module_dirs(char dirs[MODULE_DIRS][PATH_MAX])
{
    const char *env = secure_getenv("VIGIL_MODULE_DIR");
    if (env && *env) {
        snprintf(dirs[0], PATH_MAX, "%s", env);
        return 1;
    }
    size_t n = 0;
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash = len > 0 ? memrchr(exe, '/', (size_t)len) : NULL;
    if (slash) {
        *slash = '\0';
        snprintf(dirs[n++], PATH_MAX, "%.*s/modules", PATH_MAX - 16, exe);
        snprintf(dirs[n++], PATH_MAX, "%.*s/../lib/vigil", PATH_MAX - 16, exe);
    }
    snprintf(dirs[n++], PATH_MAX, "%s", VIGIL_LIBDIR);
    return n;
}

/* Opens the module in dir; NULL with err set when it is there but unusable. */
static void *module_open(const char *path, char *err, size_t cap)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(err, cap, "cannot load module %s: %s", path, why ? why : "dlopen failed");
        return NULL;
    }
    const char *v = dlsym(h, MODULE_VERSION_SYMBOL);
    if (!v || strcmp(v, VIGIL_VERSION) != 0) {
        snprintf(err, cap, "module %s is not from vigil %s (it says %.32s)", path, VIGIL_VERSION,
                 v ? v : "nothing");
        dlclose(h);
        return NULL;
    }
    return h;
}

const void *module_plugin(const struct module_entry *e, char *err, size_t cap)
{
    char dummy[1];
    if (!err || !cap) {
        err = dummy;
        cap = sizeof(dummy);
    }
    err[0] = '\0';
    if (e->linked || !e->module)
        return e->linked;
    char dirs[MODULE_DIRS][PATH_MAX], path[PATH_MAX];
    size_t nd = module_dirs(dirs);
    for (size_t i = 0; i < nd; i++) {
        snprintf(path, sizeof(path), "%.*s/vigil-%.32s.so", PATH_MAX - 64, dirs[i], e->module);
        if (access(path, F_OK) != 0)
            continue;
        void *h = module_open(path, err, cap);
        if (!h)
            return NULL;
        const void *p = dlsym(h, e->symbol);
        if (!p)
            snprintf(err, cap, "module %s has no %s", path, e->symbol);
        return p;
    }
    int w = snprintf(err, cap, "module vigil-%s.so not found in", e->module);
    for (size_t i = 0; i < nd && w > 0 && (size_t)w < cap; i++)
        w += snprintf(err + w, cap - (size_t)w, "%s %s", i ? "," : "", dirs[i]);
    return NULL;
}

const struct module_entry *module_entry_find(const struct module_entry *const *table,
                                             const char *name)
{
    for (size_t i = 0; table[i]; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}
