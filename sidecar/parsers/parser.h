/* parser.h - the parser interface: bytes of one line in, one record out.
 * A parser plugin is a row of the table in parsers/registry.c, chosen by
 * `inputs[].parser`. Parsers are pure: they never log, never allocate per
 * line, and always leave r->raw set so a line that does not parse is still
 * shipped (with r->parse_error). Multi-line formats (bash `#epoch` lines,
 * zsh continuations, CRI/docker partials) keep per-source state between calls:
 * the core gives each followed file `state_size` zeroed bytes. */
#ifndef VIGIL_PARSER_H
#define VIGIL_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/option.h"
#include "sidecar/record.h"

enum parse_result {
    PARSE_OK,         /* r is filled: emit it */
    PARSE_MALFORMED,  /* r holds the raw line, kind RAW or a best effort, and
                         parse_error: emit it and count it */
    PARSE_PENDING,    /* the line was taken into state; nothing to emit yet */
    PARSE_SKIP,       /* nothing to emit (blank line, flush with nothing held) */
};

struct parser;
struct multiline;

struct parser_plugin {
    const char *name;                   /* value of `parser:` in YAML */
    const struct conf_option *options;  /* {0}-terminated; may be NULL */
    size_t ctx_size;                    /* options struct, filled by the core */
    size_t state_size;                  /* per-source state, zeroed by the core */
    /* After options are set. Returns -1 with a message in err on a bad combination. */
    int (*init)(struct parser *p, char *err, size_t errlen);
    /* r was record_reset() and has raw=line, tag, input, path, host, read_ts and
     * ts=read_ts set. Spans put in r must point into line, into the record arena,
     * or into state (valid until the next call with that state). */
    enum parse_result (*parse)(const struct parser *p, void *state, struct record *r,
                               struct span line);
    /* Optional: emit whatever state holds (end of file, rotation, idle timeout).
     * Returns PARSE_OK with r filled, or PARSE_SKIP. */
    enum parse_result (*flush)(const struct parser *p, void *state, struct record *r);
    /* Optional: frees what parse() allocated inside state (not state itself). */
    void (*state_fini)(const struct parser *p, void *state);
    void (*destroy)(struct parser *p);  /* optional: frees what init made */
    /* Optional: true when state holds lines not yet emitted (even after a
     * line that emitted a record), with *from the source offset before the
     * oldest of them (r->off of its first line): the checkpoint stops there. */
    bool (*holding)(const struct parser *p, const void *state, uint64_t *from);
    /* The parser applies the input's `multiline:` itself (per stream, after
     * joining partial lines); otherwise the pipeline joins before parsing. */
    bool joins_multiline;
};

struct parser {
    const struct parser_plugin *plugin;
    void *ctx;                          /* options (plugin->ctx_size), owned by the conf */
    size_t max_line_bytes;              /* the input's limit, for joined lines */
    const struct multiline *ml;         /* the input's multiline rule, NULL when off */
};

/* The registry: NULL-terminated (parsers/registry.c). */
extern const struct parser_plugin *const parser_plugins[];
const struct parser_plugin *parser_plugin_find(const char *name);

/* Human text for a parse_error reason is the reason itself: parsers set
 * r->parse_error to a static string such as "json: unterminated string". */

#endif
