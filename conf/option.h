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
 * {secret_file: PATH}, whose first line becomes the value.
 *
 * Bounds: min/max bound the value of INT, SIZE, DURATION and DOUBLE, and the
 * length in bytes of STR and SECRET. A STR that is required or has a default
 * must not be empty. */
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
#define CONF_MASKED   0x2u   /* CONF_STRMAP: values are secrets, masked in --validate */

struct conf_option {
    const char *key;
    enum conf_type type;
    const char *def;                 /* default, in YAML scalar syntax; NULL = none */
    size_t offset;
    int64_t min, max;                /* INT/SIZE/DURATION bounds; 0,0 = unbounded, max 0 = no upper */
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

/* Sizes: a number with an optional unit B, K/KiB, M/MiB, G/GiB, T/TiB (powers
 * of 1024) or KB, MB, GB, TB (powers of 1000); a bare number is bytes; a
 * fraction ("1.5MiB") is rounded down to whole bytes. Durations: one or more
 * number+unit parts, largest unit first ("1h30m", "1.5s"), units d h m s ms;
 * a unit is required except for "0". Negative values and overflow fail. */

/* Prints v as the largest exact unit ("64KiB", "1000"); returns snprintf's count. */
int conf_format_size(uint64_t v, char *buf, size_t len);
/* Prints ms as the largest exact unit ("5m", "1500ms"). */
int conf_format_duration(int64_t ms, char *buf, size_t len);

/* The row of t named key, or NULL. */
const struct conf_option *conf_option_find(const struct conf_option *t, const char *key);
/* Parses s by o->type, checks bounds and stores it at base + o->offset (what
 * was there is freed: base must be zeroed or filled by these functions). For
 * CONF_STRLIST, s becomes a one-element list. Copies s. Returns 0, or -1 with
 * the reason in err (e.g. "expected a size like 1MiB, got 'x'"); the field is
 * then unchanged. CONF_STRMAP and CONF_SECTION need the YAML walk (conf.c). */
int conf_option_set(const struct conf_option *o, void *base, const char *s, char *err, size_t errlen);

/* Copies s to the end of l. Returns -1 on allocation failure. */
int conf_strlist_add(struct conf_strlist *l, const char *s);
void conf_strlist_free(struct conf_strlist *l);
/* Copies k and v in; a key already present gets the new value. -1 on ENOMEM. */
int conf_strmap_set(struct conf_strmap *m, const char *k, const char *v);
/* The value of k (borrowed), or NULL. */
const char *conf_strmap_get(const struct conf_strmap *m, const char *k);
void conf_strmap_free(struct conf_strmap *m);

/* Prints s as a YAML double-quoted scalar (control bytes and invalid UTF-8 escaped). */
void conf_print_quoted(FILE *f, const char *s);
/* Prints one row of t as conf_options_dump does. */
void conf_options_dump_one(FILE *f, const struct conf_option *o, const void *base, int indent);

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
