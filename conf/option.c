/* option.c - the value side of options: scalar syntaxes (sizes, durations,
 * booleans, integers), typed setters with bounds, defaults, freeing, and the
 * YAML dump and help text, all driven by the rows of a conf_option table.
 * Nothing here knows about libfyaml: conf.c walks the YAML and hands each
 * scalar (already ${VAR}-expanded) to conf_option_set(). */
#include "conf/option.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sidecar/log.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)
#define TIB (1024ull * GIB)

#define MS_SEC  1000ll
#define MS_MIN  (60ll * MS_SEC)
#define MS_HOUR (60ll * MS_MIN)
#define MS_DAY  (24ll * MS_HOUR)

static void *field(void *base, const struct conf_option *o)
{
    return (char *)base + o->offset;
}

static const void *cfield(const void *base, const struct conf_option *o)
{
    return (const char *)base + o->offset;
}

static void errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Quotes user text for a message: escaped, cut at 80 bytes. */
static const char *shown(const char *s, char *buf, size_t cap)
{
    log_escape(buf, cap, s, strlen(s), '\'');
    return buf;
}

/* ---- scalar syntaxes ---------------------------------------------------- */

/* Reads "123" or "1.25" at *p: the integer part into *ip, the fraction as
 * digits/10^fdigits. Returns -1 if there is no digit at all or on overflow. */
static int read_decimal(const char **p, uint64_t *ip, uint64_t *frac, uint64_t *fscale)
{
    const char *s = *p;
    uint64_t v = 0, f = 0, sc = 1;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        s++;
        digits++;
    }
    if (*s == '.') {
        s++;
        int fd = 0;
        while (*s >= '0' && *s <= '9') {
            if (sc < 1000000000000ull) {   /* keep 12 fraction digits, ignore the rest */
                f = f * 10 + (unsigned)(*s - '0');
                sc *= 10;
            }
            s++;
            fd++;
        }
        if (fd == 0)
            return -1;
        digits += fd;
    }
    if (digits == 0)
        return -1;
    *p = s;
    *ip = v;
    *frac = f;
    *fscale = sc;
    return 0;
}

/* v * mult + frac * mult / fscale, or -1 on overflow. */
static int scale(uint64_t v, uint64_t frac, uint64_t fscale, uint64_t mult, uint64_t *out)
{
    if (mult && v > UINT64_MAX / mult)
        return -1;
    uint64_t r = v * mult;
    /* frac < fscale <= 10^12 and mult <= 2^40 (TiB) or 86400000 (days): use long double */
    long double fr = (long double)frac * (long double)mult / (long double)fscale;
    uint64_t add = (uint64_t)fr;
    if (r > UINT64_MAX - add)
        return -1;
    *out = r + add;
    return 0;
}

static const char *skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

struct unit {
    const char *name;
    uint64_t mult;
};

static const struct unit size_units[] = {
    { "", 1 }, { "B", 1 },
    { "K", KIB }, { "KB", 1000ull }, { "KiB", KIB },
    { "M", MIB }, { "MB", 1000000ull }, { "MiB", MIB },
    { "G", GIB }, { "GB", 1000000000ull }, { "GiB", GIB },
    { "T", TIB }, { "TB", 1000000000000ull }, { "TiB", TIB },
    { NULL, 0 }
};

int conf_parse_size(const char *s, uint64_t *out)
{
    uint64_t v, f, sc;
    if (!s)
        return -1;
    s = skip_space(s);
    if (*s == '+')
        s++;
    if (read_decimal(&s, &v, &f, &sc) < 0)
        return -1;
    s = skip_space(s);
    size_t ul = strlen(s);
    while (ul > 0 && (s[ul - 1] == ' ' || s[ul - 1] == '\t'))
        ul--;
    for (const struct unit *u = size_units; u->name; u++) {
        /* case-insensitive except that "b" alone is refused: bits are not bytes */
        if (strlen(u->name) == ul && strncasecmp(u->name, s, ul) == 0) {
            if (ul == 1 && s[0] == 'b')
                return -1;
            if (u->mult == 1 && f != 0)
                return -1;             /* "1.5" bytes */
            return scale(v, f, sc, u->mult, out);
        }
    }
    return -1;
}

static const struct unit duration_units[] = {   /* largest first; order is enforced */
    { "d", (uint64_t)MS_DAY }, { "h", (uint64_t)MS_HOUR }, { "m", (uint64_t)MS_MIN },
    { "s", (uint64_t)MS_SEC }, { "ms", 1 }, { NULL, 0 }
};

int conf_parse_duration_ms(const char *s, int64_t *out)
{
    uint64_t total = 0;
    int last = -1;
    if (!s)
        return -1;
    s = skip_space(s);
    if (*s == '+')
        s++;
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    if (*s == 0)
        return -1;
    while (*s && *s != ' ' && *s != '\t') {
        uint64_t v, f, sc, part;
        if (read_decimal(&s, &v, &f, &sc) < 0)
            return -1;
        int ui = -1;
        /* "ms" before "m": the longest unit that matches */
        if (s[0] == 'm' && s[1] == 's')
            ui = 4;
        else
            for (int i = 0; i < 4; i++)
                if (s[0] == duration_units[i].name[0]) {
                    ui = i;
                    break;
                }
        if (ui < 0 || ui <= last)
            return -1;                 /* missing unit, or "1s1h" */
        s += strlen(duration_units[ui].name);
        last = ui;
        if (scale(v, f, sc, duration_units[ui].mult, &part) < 0 || total > (uint64_t)INT64_MAX - part
            || part > (uint64_t)INT64_MAX)
            return -1;
        total += part;
    }
    if (*skip_space(s))
        return -1;
    *out = (int64_t)total;
    return 0;
}

int conf_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "true", "yes", "on", NULL };
    static const char *const no[] = { "false", "no", "off", NULL };
    if (!s)
        return -1;
    for (int i = 0; yes[i]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

int conf_parse_int(const char *s, int64_t *out)
{
    char *end;
    if (!s)
        return -1;
    s = skip_space(s);
    if (!(*s == '-' || *s == '+' || (*s >= '0' && *s <= '9')))
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *skip_space(end))
        return -1;
    *out = v;
    return 0;
}

/* ---- printing values ---------------------------------------------------- */

int conf_format_size(uint64_t v, char *buf, size_t len)
{
    static const struct unit u[] = { { "TiB", TIB }, { "GiB", GIB }, { "MiB", MIB }, { "KiB", KIB } };
    for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
        if (v && v % u[i].mult == 0)
            return snprintf(buf, len, "%" PRIu64 "%s", v / u[i].mult, u[i].name);
    return snprintf(buf, len, "%" PRIu64, v);
}

int conf_format_duration(int64_t ms, char *buf, size_t len)
{
    if (ms == 0)
        return snprintf(buf, len, "0s");
    for (int i = 0; i < 4; i++) {
        int64_t m = (int64_t)duration_units[i].mult;
        if (ms % m == 0)
            return snprintf(buf, len, "%" PRId64 "%s", ms / m, duration_units[i].name);
    }
    return snprintf(buf, len, "%" PRId64 "ms", ms);
}

/* ---- lists and maps ----------------------------------------------------- */

int conf_strlist_add(struct conf_strlist *l, const char *s)
{
    char *c = strdup(s);
    char **nv = c ? realloc(l->v, (l->n + 1) * sizeof(*nv)) : NULL;
    if (!nv) {
        free(c);
        return -1;
    }
    nv[l->n++] = c;
    l->v = nv;
    return 0;
}

void conf_strlist_free(struct conf_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

const char *conf_strmap_get(const struct conf_strmap *m, const char *k)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->k[i], k) == 0)
            return m->v[i];
    return NULL;
}

int conf_strmap_set(struct conf_strmap *m, const char *k, const char *v)
{
    char *cv = strdup(v);
    if (!cv)
        return -1;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->k[i], k) == 0) {
            free(m->v[i]);
            m->v[i] = cv;
            return 0;
        }
    char *ck = strdup(k);
    char **nk = ck ? realloc(m->k, (m->n + 1) * sizeof(*nk)) : NULL;
    if (nk)
        m->k = nk;
    char **nv = nk ? realloc(m->v, (m->n + 1) * sizeof(*nv)) : NULL;
    if (!nv) {
        free(ck);
        free(cv);
        return -1;
    }
    m->v = nv;
    m->k[m->n] = ck;
    m->v[m->n] = cv;
    m->n++;
    return 0;
}

void conf_strmap_free(struct conf_strmap *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->k[i]);
        free(m->v[i]);
    }
    free(m->k);
    free(m->v);
    m->k = m->v = NULL;
    m->n = 0;
}

/* ---- setters ------------------------------------------------------------ */

const struct conf_option *conf_option_find(const struct conf_option *t, const char *key)
{
    for (; t && t->key; t++)
        if (strcmp(t->key, key) == 0)
            return t;
    return NULL;
}

static bool bounded(const struct conf_option *o)
{
    return o->min != 0 || o->max != 0;
}

static void range_text(const struct conf_option *o, char *buf, size_t len)
{
    char a[32], b[32];
    switch (o->type) {
    case CONF_SIZE:
        conf_format_size((uint64_t)o->min, a, sizeof(a));
        conf_format_size((uint64_t)o->max, b, sizeof(b));
        break;
    case CONF_DURATION:
        conf_format_duration(o->min, a, sizeof(a));
        conf_format_duration(o->max, b, sizeof(b));
        break;
    default:
        snprintf(a, sizeof(a), "%" PRId64, o->min);
        snprintf(b, sizeof(b), "%" PRId64, o->max);
        break;
    }
    snprintf(buf, len, "%s..%s", a, o->max > 0 ? b : "");
}

/* max 0 means no upper bound (a row may set only a minimum). */
static bool out_of_range(const struct conf_option *o, int64_t v)
{
    return bounded(o) && (v < o->min || (o->max > 0 && v > o->max));
}

static int set_enum(const struct conf_option *o, void *base, const char *s, char *err, size_t errlen)
{
    char names[256] = "", q[96];
    size_t nl = 0;
    for (int i = 0; o->enums && o->enums[i]; i++) {
        if (strcmp(o->enums[i], s) == 0) {
            *(int *)field(base, o) = i;
            return 0;
        }
        int w = snprintf(names + nl, sizeof(names) - nl, "%s%s", i ? ", " : "", o->enums[i]);
        if (w > 0 && (size_t)w < sizeof(names) - nl)
            nl += (size_t)w;
    }
    errf(err, errlen, "expected one of %s, got '%s'", names, shown(s, q, sizeof(q)));
    return -1;
}

static int set_str(const struct conf_option *o, void *base, const char *s, char *err, size_t errlen)
{
    size_t len = strlen(s);
    if (len == 0 && (o->def || (o->flags & CONF_REQUIRED) || o->min > 0)) {
        errf(err, errlen, "must not be empty");
        return -1;
    }
    if (o->min > 0 && len < (uint64_t)o->min) {
        errf(err, errlen, "must be at least %" PRId64 " bytes long", o->min);
        return -1;
    }
    if (o->max > 0 && len > (uint64_t)o->max) {
        errf(err, errlen, "is %zu bytes long, at most %" PRId64 " allowed", len, o->max);
        return -1;
    }
    char *c = strdup(s);
    if (!c) {
        errf(err, errlen, "out of memory");
        return -1;
    }
    char **dst = field(base, o);
    free(*dst);
    *dst = c;
    return 0;
}

int conf_option_set(const struct conf_option *o, void *base, const char *s, char *err, size_t errlen)
{
    char q[96], r[80];
    switch (o->type) {
    case CONF_STR:
    case CONF_SECRET:
        return set_str(o, base, s, err, errlen);
    case CONF_INT: {
        int64_t v;
        if (conf_parse_int(s, &v) < 0) {
            errf(err, errlen, "expected an integer, got '%s'", shown(s, q, sizeof(q)));
            return -1;
        }
        if (out_of_range(o, v)) {
            range_text(o, r, sizeof(r));
            errf(err, errlen, "%" PRId64 " is out of range %s", v, r);
            return -1;
        }
        *(int64_t *)field(base, o) = v;
        return 0;
    }
    case CONF_BOOL: {
        bool v;
        if (conf_parse_bool(s, &v) < 0) {
            errf(err, errlen, "expected true or false, got '%s'", shown(s, q, sizeof(q)));
            return -1;
        }
        *(bool *)field(base, o) = v;
        return 0;
    }
    case CONF_SIZE: {
        uint64_t v;
        if (conf_parse_size(s, &v) < 0) {
            errf(err, errlen, "expected a size like 1MiB, got '%s'", shown(s, q, sizeof(q)));
            return -1;
        }
        if (bounded(o) && (v < (uint64_t)o->min || (o->max > 0 && v > (uint64_t)o->max))) {
            range_text(o, r, sizeof(r));
            errf(err, errlen, "%s is out of range %s", shown(s, q, sizeof(q)), r);
            return -1;
        }
        *(uint64_t *)field(base, o) = v;
        return 0;
    }
    case CONF_DURATION: {
        int64_t v;
        if (conf_parse_duration_ms(s, &v) < 0) {
            errf(err, errlen, "expected a duration like 5s (units ms, s, m, h, d), got '%s'",
                 shown(s, q, sizeof(q)));
            return -1;
        }
        if (out_of_range(o, v)) {
            range_text(o, r, sizeof(r));
            errf(err, errlen, "%s is out of range %s", shown(s, q, sizeof(q)), r);
            return -1;
        }
        *(int64_t *)field(base, o) = v;
        return 0;
    }
    case CONF_DOUBLE: {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || *skip_space(end) || !isfinite(v)) {
            errf(err, errlen, "expected a number, got '%s'", shown(s, q, sizeof(q)));
            return -1;
        }
        if (bounded(o) && (v < (double)o->min || v > (double)o->max)) {
            range_text(o, r, sizeof(r));
            errf(err, errlen, "%g is out of range %s", v, r);
            return -1;
        }
        *(double *)field(base, o) = v;
        return 0;
    }
    case CONF_ENUM:
        return set_enum(o, base, s, err, errlen);
    case CONF_STRLIST: {
        struct conf_strlist *l = field(base, o);
        conf_strlist_free(l);
        if (conf_strlist_add(l, s) < 0) {
            errf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    case CONF_STRMAP:
        errf(err, errlen, "expected a mapping of strings");
        return -1;
    case CONF_SECTION:
        errf(err, errlen, "expected a mapping");
        return -1;
    case CONF_END:
        break;
    }
    errf(err, errlen, "bad option type");
    return -1;
}

/* ---- defaults and free -------------------------------------------------- */

int conf_options_defaults(const struct conf_option *t, void *base, char *err, size_t errlen)
{
    for (const struct conf_option *o = t; o && o->key; o++) {
        if (o->type == CONF_SECTION) {
            if (conf_options_defaults(o->sub, field(base, o), err, errlen) < 0)
                return -1;
            continue;
        }
        if (!o->def)
            continue;
        char e[200];
        if (o->type == CONF_STRLIST) {
            /* A list default is written "a, b, c" in the table. */
            struct conf_strlist *l = field(base, o);
            conf_strlist_free(l);
            for (const char *p = o->def; *p;) {
                while (*p == ' ')
                    p++;
                size_t n = strcspn(p, ",");
                size_t m = n;
                while (m && p[m - 1] == ' ')
                    m--;
                char item[128];
                if (m >= sizeof(item)) {
                    errf(err, errlen, "default of %s: item too long", o->key);
                    return -1;
                }
                memcpy(item, p, m);
                item[m] = '\0';
                if (m && conf_strlist_add(l, item) < 0) {
                    errf(err, errlen, "out of memory");
                    return -1;
                }
                p += n + (p[n] == ',');
            }
            continue;
        }
        if (conf_option_set(o, base, o->def, e, sizeof(e)) < 0) {
            errf(err, errlen, "default of %s: %s", o->key, e);
            return -1;
        }
    }
    return 0;
}

void conf_options_free(const struct conf_option *t, void *base)
{
    if (!base)
        return;
    for (const struct conf_option *o = t; o && o->key; o++) {
        switch (o->type) {
        case CONF_STR:
        case CONF_SECRET: {
            char **p = field(base, o);
            free(*p);
            *p = NULL;
            break;
        }
        case CONF_STRLIST:
            conf_strlist_free(field(base, o));
            break;
        case CONF_STRMAP:
            conf_strmap_free(field(base, o));
            break;
        case CONF_SECTION:
            conf_options_free(o->sub, field(base, o));
            break;
        default:
            break;
        }
    }
}

/* ---- dump --------------------------------------------------------------- */

/* A YAML double-quoted scalar: always safe, whatever the bytes. */
void conf_print_quoted(FILE *f, const char *s)
{
    size_t len = strlen(s), cap = len * 4 + 8;
    char stackbuf[512];
    char *buf = cap <= sizeof(stackbuf) ? stackbuf : malloc(cap);
    if (!buf) {
        fputs("\"\"", f);
        return;
    }
    log_escape(buf, cap, s, len, '"');
    fprintf(f, "\"%s\"", buf);
    if (buf != stackbuf)
        free(buf);
}

static void print_value(FILE *f, const struct conf_option *o, const void *base)
{
    char b[48];
    const void *p = cfield(base, o);
    switch (o->type) {
    case CONF_STR: {
        const char *s = *(char *const *)p;
        if (s)
            conf_print_quoted(f, s);
        else
            fputs("null", f);
        break;
    }
    case CONF_SECRET:
        fputs(*(char *const *)p ? "\"********\"" : "null", f);
        break;
    case CONF_INT:
        fprintf(f, "%" PRId64, *(const int64_t *)p);
        break;
    case CONF_BOOL:
        fputs(*(const bool *)p ? "true" : "false", f);
        break;
    case CONF_SIZE:
        conf_format_size(*(const uint64_t *)p, b, sizeof(b));
        fputs(b, f);
        break;
    case CONF_DURATION:
        conf_format_duration(*(const int64_t *)p, b, sizeof(b));
        fputs(b, f);
        break;
    case CONF_DOUBLE:
        fprintf(f, "%.17g", *(const double *)p);
        break;
    case CONF_ENUM: {
        int v = *(const int *)p, n = 0;
        while (o->enums && o->enums[n])
            n++;
        if (v >= 0 && v < n)
            fputs(o->enums[v], f);
        else
            fputs("null", f);
        break;
    }
    case CONF_STRLIST: {
        const struct conf_strlist *l = p;
        fputc('[', f);
        for (size_t i = 0; i < l->n; i++) {
            if (i)
                fputs(", ", f);
            conf_print_quoted(f, l->v[i]);
        }
        fputc(']', f);
        break;
    }
    default:
        break;
    }
}

void conf_options_dump_one(FILE *f, const struct conf_option *o, const void *base, int indent)
{
    if (o->type == CONF_SECTION) {
        fprintf(f, "%*s%s:\n", indent, "", o->key);
        conf_options_dump(f, o->sub, cfield(base, o), indent + 2);
        return;
    }
    if (o->type == CONF_STRMAP) {
        const struct conf_strmap *m = cfield(base, o);
        fprintf(f, "%*s%s:%s\n", indent, "", o->key, m->n ? "" : " {}");
        for (size_t i = 0; i < m->n; i++) {
            fprintf(f, "%*s", indent + 2, "");
            conf_print_quoted(f, m->k[i]);
            fputs(": ", f);
            if (o->flags & CONF_MASKED)
                fputs("\"********\"", f);
            else
                conf_print_quoted(f, m->v[i]);
            fputc('\n', f);
        }
        return;
    }
    fprintf(f, "%*s%s: ", indent, "", o->key);
    print_value(f, o, base);
    fputc('\n', f);
}

void conf_options_dump(FILE *f, const struct conf_option *t, const void *base, int indent)
{
    for (const struct conf_option *o = t; o && o->key; o++)
        conf_options_dump_one(f, o, base, indent);
}

/* ---- help --------------------------------------------------------------- */

static const char *type_name(const struct conf_option *o)
{
    static const char *const names[] = {
        [CONF_END] = "?", [CONF_STR] = "string", [CONF_SECRET] = "secret", [CONF_INT] = "integer",
        [CONF_BOOL] = "bool", [CONF_SIZE] = "size", [CONF_DURATION] = "duration",
        [CONF_DOUBLE] = "number", [CONF_ENUM] = "enum", [CONF_STRLIST] = "list",
        [CONF_STRMAP] = "map", [CONF_SECTION] = "section",
    };
    return (unsigned)o->type < sizeof(names) / sizeof(names[0]) ? names[o->type] : "?";
}

void conf_options_help(FILE *f, const struct conf_option *t, int indent)
{
    for (const struct conf_option *o = t; o && o->key; o++) {
        fprintf(f, "%*s%s (%s", indent, "", o->key, type_name(o));
        if (o->type == CONF_ENUM && o->enums) {
            fputs(": ", f);
            for (int i = 0; o->enums[i]; i++)
                fprintf(f, "%s%s", i ? "|" : "", o->enums[i]);
        }
        if (o->flags & CONF_REQUIRED)
            fputs(", required", f);
        else if (o->def)
            fprintf(f, ", default %s", o->def);
        if (bounded(o) && (o->type == CONF_INT || o->type == CONF_SIZE || o->type == CONF_DURATION)) {
            char r[80];
            range_text(o, r, sizeof(r));
            fprintf(f, ", range %s", r);
        }
        fprintf(f, ")%s%s\n", o->help ? ": " : "", o->help ? o->help : "");
        if (o->type == CONF_SECTION)
            conf_options_help(f, o->sub, indent + 2);
    }
}
