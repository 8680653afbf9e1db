/* option.h - options are data: a {0}-terminated table per plugin or section.
 * Each row names a YAML key, its type, default, bounds and the offsetof() of
 * the C field that receives it. conf.c walks YAML against these tables; the
 * same rows give defaults, bounds checks, --validate output and help text.
 *
 * C storage per type:
 *   CONF_STR, CONF_SECRET  char *            (malloc'd; freed by conf_options_free)
 *   CONF_INT               int64_t
 *   CONF_BOOL              bool
 *   CONF_SIZE              uint64_t bytes    ("64KiB", "1MiB", "512", "2GB")
 *   CONF_DURATION          int64_t ms        ("500ms", "1s", "5m", "24h", "7d")
 *   CONF_DOUBLE            double
 *   CONF_ENUM              int (index into `enums`)
 *   CONF_STRLIST           struct conf_strlist  (scalar or sequence of scalars)
 *   CONF_STRMAP            struct conf_strmap   (mapping of scalars)
 *   CONF_SECTION           nested struct at `offset`, described by `sub`
 * CONF_SECRET is a string masked in --validate; it also accepts the mapping
 * {secret_file: PATH}, whose first line becomes the value. */
#ifndef VIGIL_CONF_OPTION_H
#define VIGIL_CONF_OPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum conf_type {
    CONF_END = 0, CONF_STR, CONF_SECRET, CONF_INT, CONF_BOOL, CONF_SIZE, CONF_DURATION,
    CONF_DOUBLE, CONF_ENUM, CONF_STRLIST, CONF_STRMAP, CONF_SECTION
};

#define CONF_REQUIRED 0x1u   /* no default: the key must be present */

struct conf_option {
    const char *key;
    enum conf_type type;
    const char *def;                 /* default, in YAML scalar syntax; NULL = none */
    size_t offset;
    int64_t min, max;                /* INT/SIZE/DURATION bounds; 0,0 = unbounded */
    const char *help;
    const char *const *enums;        /* CONF_ENUM: NULL-terminated names */
    const struct conf_option *sub;   /* CONF_SECTION: the nested table */
    unsigned flags;
};

struct conf_strlist {
    char **v;
    size_t n;
};

struct conf_strmap {
    char **k, **v;
    size_t n;
};

/* Parsers for the scalar syntaxes; 0 on success, -1 on a malformed value. */
int conf_parse_size(const char *s, uint64_t *out);
int conf_parse_duration_ms(const char *s, int64_t *out);
int conf_parse_bool(const char *s, bool *out);
int conf_parse_int(const char *s, int64_t *out);

/* Fills every field of base from the table's defaults. Returns -1 (and writes
 * the reason to err) only when a default itself is malformed (a bug). */
int conf_options_defaults(const struct conf_option *t, void *base, char *err, size_t errlen);
/* Frees the strings, lists and maps the table owns inside base. */
void conf_options_free(const struct conf_option *t, void *base);
/* Prints the effective values as YAML at indent, secrets as "********". */
void conf_options_dump(FILE *f, const struct conf_option *t, const void *base, int indent);
/* Prints one line of help per option (`vigil --list-options`). */
void conf_options_help(FILE *f, const struct conf_option *t, int indent);

#endif
