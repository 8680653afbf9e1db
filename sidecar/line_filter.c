/* line_filter.c - include_lines / exclude_lines (see line_filter.h).
 * regexec with REG_STARTEND (glibc, musl, the BSDs) matches a span in place:
 * no copy of the line, and NUL bytes in it do not end the match early. */
#include "sidecar/line_filter.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>

struct line_filter {
    regex_t *inc, *exc;
    size_t ninc, nexc;
};

static int compile(regex_t *re, const char *s, char *err, size_t errlen)
{
    int rc = regcomp(re, s, REG_EXTENDED | REG_NOSUB);
    if (rc == 0)
        return 0;
    char why[128];
    regerror(rc, re, why, sizeof(why));
    snprintf(err, errlen, "bad regex '%.80s': %s", s, why);
    return -1;
}

int line_filter_check(const char *s, char *err, size_t errlen)
{
    regex_t re;
    if (compile(&re, s, err, errlen) < 0)
        return -1;
    regfree(&re);
    return 0;
}

static int compile_list(regex_t **out, size_t *n, const struct conf_strlist *l, char *err, size_t errlen)
{
    if (!l || !l->n)
        return 0;
    if (!(*out = calloc(l->n, sizeof(regex_t)))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (; *n < l->n; (*n)++)
        if (compile(&(*out)[*n], l->v[*n], err, errlen) < 0)
            return -1;
    return 0;
}

struct line_filter *line_filter_new(const struct conf_strlist *include, const struct conf_strlist *exclude,
                                    bool *none, char *err, size_t errlen)
{
    *none = (!include || !include->n) && (!exclude || !exclude->n);
    if (*none)
        return NULL;
    struct line_filter *f = calloc(1, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (compile_list(&f->inc, &f->ninc, include, err, errlen) < 0 ||
        compile_list(&f->exc, &f->nexc, exclude, err, errlen) < 0) {
        line_filter_free(f);
        return NULL;
    }
    return f;
}

void line_filter_free(struct line_filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->ninc; i++)
        regfree(&f->inc[i]);
    for (size_t i = 0; i < f->nexc; i++)
        regfree(&f->exc[i]);
    free(f->inc);
    free(f->exc);
    free(f);
}

static bool any_match(const regex_t *res, size_t n, struct span line)
{
    static const char empty[1] = "";
    for (size_t i = 0; i < n; i++) {
        regmatch_t m = { .rm_so = 0, .rm_eo = (regoff_t)line.len };
        if (regexec(&res[i], line.p ? line.p : empty, 1, &m, REG_STARTEND) == 0)
            return true;
    }
    return false;
}

bool line_filter_keep(const struct line_filter *f, struct span line)
{
    if (!f)
        return true;
    if (f->ninc && !any_match(f->inc, f->ninc, line))
        return false;
    return !any_match(f->exc, f->nexc, line);
}
