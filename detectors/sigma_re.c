/* sigma_re.c - opens libpcre2-8 on first use (see sigma_re.h). */
#include "detectors/sigma_re.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static struct sigma_re_lib re_lib;
static bool re_loaded;

/* Symbol names: pcre2.h maps each function to its _8 variant. */
#define RE_SYM(field, fn) { offsetof(struct sigma_re_lib, field), #fn "_8" }
static const struct {
    size_t off;
    const char *name;
} re_syms[] = {
    RE_SYM(compile, pcre2_compile),
    RE_SYM(get_error_message, pcre2_get_error_message),
    RE_SYM(jit_compile, pcre2_jit_compile),
    RE_SYM(code_free, pcre2_code_free),
    RE_SYM(match_data_create, pcre2_match_data_create),
    RE_SYM(match_data_free, pcre2_match_data_free),
    RE_SYM(match_context_create, pcre2_match_context_create),
    RE_SYM(match_context_free, pcre2_match_context_free),
    RE_SYM(set_match_limit, pcre2_set_match_limit),
    RE_SYM(set_depth_limit, pcre2_set_depth_limit),
    RE_SYM(match, pcre2_match),
};

const struct sigma_re_lib *sigma_re_lib(char *err, size_t cap)
{
    if (re_loaded)
        return &re_lib;
    void *h = dlopen(SIGMA_RE_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        if (err && cap)
            snprintf(err, cap, "cannot load %s: %s", SIGMA_RE_LIBRARY, why ? why : "dlopen failed");
        return NULL;
    }
    struct sigma_re_lib lib;
    for (size_t i = 0; i < sizeof(re_syms) / sizeof(re_syms[0]); i++) {
        void *f = dlsym(h, re_syms[i].name);
        if (!f) {
            if (err && cap)
                snprintf(err, cap, "%s has no %s", SIGMA_RE_LIBRARY, re_syms[i].name);
            dlclose(h);
            return NULL;
        }
        /* a function pointer stored through its bytes: dlsym returns void * */
        memcpy((char *)&lib + re_syms[i].off, &f, sizeof(f));
    }
    re_lib = lib;
    re_loaded = true;
    return &re_lib;
}

const struct sigma_re_lib *sigma_re_loaded(void)
{
    return re_loaded ? &re_lib : NULL;
}
