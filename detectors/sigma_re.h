/* sigma_re.h - PCRE2 for the `re` modifier of Sigma rules, opened with
 * dlopen() when the first regular expression is compiled: a vigil whose
 * rules have none (the default) does not map libpcre2-8. */
#ifndef VIGIL_SIGMA_RE_H
#define VIGIL_SIGMA_RE_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stddef.h>

#define SIGMA_RE_LIBRARY "libpcre2-8.so.0"

/* The PCRE2 functions sigma_match.c calls, by the types pcre2.h declares. */
struct sigma_re_lib {
    __typeof__(pcre2_compile) *compile;
    __typeof__(pcre2_get_error_message) *get_error_message;
    __typeof__(pcre2_jit_compile) *jit_compile;
    __typeof__(pcre2_code_free) *code_free;
    __typeof__(pcre2_match_data_create) *match_data_create;
    __typeof__(pcre2_match_data_free) *match_data_free;
    __typeof__(pcre2_match_context_create) *match_context_create;
    __typeof__(pcre2_match_context_free) *match_context_free;
    __typeof__(pcre2_set_match_limit) *set_match_limit;
    __typeof__(pcre2_set_depth_limit) *set_depth_limit;
    __typeof__(pcre2_match) *match;
};

/* The library, opened the first time (it stays open). NULL with the reason
 * in err when it cannot be loaded; err may be NULL. */
const struct sigma_re_lib *sigma_re_lib(char *err, size_t cap);
/* The library if it was opened already, else NULL (opens nothing). */
const struct sigma_re_lib *sigma_re_loaded(void);

#endif
