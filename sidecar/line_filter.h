/* line_filter.h - `include_lines:` / `exclude_lines:` of an input: POSIX
 * extended regexes matched against the raw line before parsing, so a noisy
 * health-check line costs one regexec and nothing downstream. An input with
 * neither has no filter at all (NULL): the line path checks one pointer. */
#ifndef VIGIL_LINE_FILTER_H
#define VIGIL_LINE_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/option.h"
#include "sidecar/span.h"

struct line_filter;

/* Compiles both lists; NULL with *none set when both are empty. NULL with
 * err filled when a regex does not compile. */
struct line_filter *line_filter_new(const struct conf_strlist *include, const struct conf_strlist *exclude,
                                    bool *none, char *err, size_t errlen);
void line_filter_free(struct line_filter *f);
/* True when the line is kept: it matches one include regex (or there are
 * none) and no exclude regex. The line need not be NUL-terminated. */
bool line_filter_keep(const struct line_filter *f, struct span line);
/* 0 when re compiles, else -1 with the reason in err (config checks). */
int line_filter_check(const char *re, char *err, size_t errlen);

#endif
