/* conf.c - loads vigil.yaml with libfyaml and checks it against the option
 * tables of the core (conf/sections.c) and of every plugin.
 * The walk never stops at the first problem: each error is printed as
 * `FILE:LINE:COL: PATH: message` and counted, the walk goes on, and only at the
 * end does a non-zero count turn into -1 with everything freed. PATH is built
 * as the walk descends (`outputs[1].batch.max_bytes`). Input bytes are checked
 * for UTF-8 before libfyaml sees them: it loops forever on `%` followed by an
 * invalid byte. */
#include "conf/conf.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libfyaml.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detectors/detector.h"
#include "outputs/output.h"
#include "sidecar/buf.h"
#include "sidecar/inputs/input.h"
#include "sidecar/line_filter.h"
#include "sidecar/module.h"
#include "sidecar/multiline.h"
#include "sidecar/log.h"
#include "sidecar/parsers/parser.h"

#define CONF_MAX_BYTES   (4u * 1024 * 1024)   /* a bigger config is refused */
#define CONF_MAX_DEPTH   32                   /* nested collections */
#define CONF_MAX_TOKENS  50000                /* lines with content + flow [ { , */
#define CONF_VALUE_MAX   (64u * 1024)         /* one value after ${VAR} expansion */
#define CONF_SECRET_MAX  (64u * 1024)         /* first line of a secret_file */
#define CONF_MAX_ERRORS  100                  /* printed; the rest are only counted */
#define CONF_MAX_ITEMS   1024                 /* inputs, outputs */
#define CONF_TABLE_MAX   128                  /* rows in one option table */
#define CONF_PATH_BYTES  512                  /* "outputs[3].batch.max_bytes": key paths in errors */

struct loader {
    const char *name;                 /* file name used in messages */
    FILE *errf;
    struct fy_diag *diag;
    int nerr;
    char path[CONF_PATH_BYTES];       /* option path of the node being walked */
    size_t plen;
};

struct pos {
    int line, col;                    /* 1-based; 0 = unknown */
};

/* ---- positions, paths, messages ----------------------------------------- */

static void diag_discard_cb(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag; (void)user; (void)buf; (void)len;
}

/* Scalars carry a mark (0-based); mappings and sequences have no public mark
 * getter in libfyaml 0.7.12, so a node report on the collecting diag is used
 * to learn where they start (first key, `{`, or first `-`). */
static struct pos node_pos(struct loader *ld, struct fy_node *n)
{
    struct pos p = { 0, 0 };
    if (!n)
        return p;
    if (fy_node_get_type(n) == FYNT_SCALAR) {
        struct fy_token *t = fy_node_get_scalar_token(n);
        const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
        enum fy_node_style st = fy_node_get_style(n);
        /* an empty plain value has no place of its own: the caller falls back to its key */
        if (!m || (st == FYNS_PLAIN && fy_node_get_scalar_length(n) == 0))
            return p;
        p.line = m->line + 1;
        p.col = m->column + 1;
        /* quoted scalars and aliases are marked after the quote or '*': point at it */
        if ((st == FYNS_SINGLE_QUOTED || st == FYNS_DOUBLE_QUOTED || st == FYNS_ALIAS) && p.col > 1)
            p.col--;
        return p;
    }
    fy_diag_reset_error(ld->diag);
    fy_diag_node_report(ld->diag, n, FYET_ERROR, "%s", "here");
    void *it = NULL;
    struct fy_diag_error *e;
    while ((e = fy_diag_errors_iterate(ld->diag, &it)) != NULL) {
        p.line = e->line;
        p.col = e->column;
    }
    fy_diag_reset_error(ld->diag);
    return p;
}

static void report(struct loader *ld, struct pos p, const char *msg)
{
    ld->nerr++;
    if (!ld->errf)
        return;
    if (ld->nerr > CONF_MAX_ERRORS) {
        if (ld->nerr == CONF_MAX_ERRORS + 1)
            fprintf(ld->errf, "%s: too many errors, the rest are not shown\n", ld->name);
        return;
    }
    if (p.line <= 0) {
        p.line = 1;
        p.col = 1;
    }
    fprintf(ld->errf, "%s:%d:%d: %s%s%s\n", ld->name, p.line, p.col, ld->path,
            ld->plen ? ": " : "", msg);
}

/* Reports at `at`, or at `fallback` when `at` has no position (an empty value). */
static void lerr(struct loader *ld, struct fy_node *at, struct fy_node *fallback, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void lerr(struct loader *ld, struct fy_node *at, struct fy_node *fallback, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct pos p = node_pos(ld, at);
    if (p.line == 0)
        p = node_pos(ld, fallback);
    report(ld, p, msg);
}

static size_t path_key(struct loader *ld, const char *key)
{
    size_t old = ld->plen;
    int w = snprintf(ld->path + old, sizeof(ld->path) - old, "%s%s", old ? "." : "", key);
    if (w > 0)
        ld->plen = old + (size_t)w < sizeof(ld->path) ? old + (size_t)w : sizeof(ld->path) - 1;
    return old;
}

static size_t path_index(struct loader *ld, size_t i)
{
    size_t old = ld->plen;
    int w = snprintf(ld->path + old, sizeof(ld->path) - old, "[%zu]", i);
    if (w > 0)
        ld->plen = old + (size_t)w < sizeof(ld->path) ? old + (size_t)w : sizeof(ld->path) - 1;
    return old;
}

static void path_pop(struct loader *ld, size_t old)
{
    ld->plen = old;
    ld->path[old] = 0;
}

/* User text for a message: escaped and cut. */
static const char *shown(const char *s, size_t len, char *buf, size_t cap)
{
    log_escape(buf, cap, s, len, '\'');
    return buf;
}

/* ---- scalars ------------------------------------------------------------ */

static bool is_null(struct fy_node *n)
{
    if (!n)
        return true;
    if (fy_node_get_type(n) != FYNT_SCALAR || fy_node_get_style(n) != FYNS_PLAIN)
        return false;
    size_t len;
    const char *s = fy_node_get_scalar(n, &len);
    return len == 0 || (len == 1 && s[0] == '~') ||
           (len == 4 && (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 || memcmp(s, "NULL", 4) == 0));
}

static bool is_alias(struct fy_node *n)
{
    return n && fy_node_get_type(n) == FYNT_SCALAR && fy_node_get_style(n) == FYNS_ALIAS;
}

static bool var_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 255 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!(ch == '_' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
            return false;
    }
    return true;
}

/* ${VAR} and ${VAR:-default} (default also when VAR is empty); `$${` is a
 * literal `${`. ${tag} is not an environment variable but a placeholder the
 * outputs fill per event (kafka topic, nats subject): it is kept as written.
 * Returns a new string (free it), or NULL after reporting. */
static char *expand(struct loader *ld, struct fy_node *at, struct fy_node *key, const char *s, size_t len)
{
    struct buf d = { 0 };
    char q[160];
    if (buf_append_str(&d, "", 0) < 0)
        goto oom;
    for (size_t i = 0; i < len;) {
        if (s[i] == '$' && i + 2 < len && s[i + 1] == '$' && s[i + 2] == '{') {
            if (buf_append_str(&d, "${", 2) < 0)
                goto oom;
            i += 3;
            continue;
        }
        if (!(s[i] == '$' && i + 1 < len && s[i + 1] == '{')) {
            size_t j = i + 1;
            while (j < len && s[j] != '$')
                j++;
            if (buf_append_str(&d, s + i, j - i) < 0)
                goto oom;
            i = j;
            continue;
        }
        const char *in = s + i + 2;
        if (len - (i + 2) >= 4 && memcmp(in, "tag}", 4) == 0) {
            if (buf_append_str(&d, "${tag}", 6) < 0)
                goto oom;
            i += 6;
            continue;
        }
        const char *close = memchr(in, '}', len - (i + 2));
        if (!close) {
            lerr(ld, at, key, "unterminated '${' in '%s'", shown(s, len, q, sizeof(q)));
            goto fail;
        }
        size_t inlen = (size_t)(close - in), namelen = inlen;
        const char *def = NULL;
        size_t deflen = 0;
        for (size_t k = 0; k + 1 < inlen; k++)
            if (in[k] == ':' && in[k + 1] == '-') {
                namelen = k;
                def = in + k + 2;
                deflen = inlen - k - 2;
                break;
            }
        if (!var_name_ok(in, namelen)) {
            lerr(ld, at, key, "bad variable reference '${%s}' (expected ${NAME} or ${NAME:-default})",
                 shown(in, inlen, q, sizeof(q)));
            goto fail;
        }
        char name[256];
        memcpy(name, in, namelen);
        name[namelen] = 0;
        const char *val = getenv(name);
        if (val && (*val || !def)) {
            if (buf_append_str(&d, val, strlen(val)) < 0)
                goto oom;
        } else if (def) {
            if (buf_append_str(&d, def, deflen) < 0)
                goto oom;
        } else {
            lerr(ld, at, key, "environment variable %s is not set (use ${%s:-default} for a default)", name, name);
            goto fail;
        }
        if (d.len > CONF_VALUE_MAX) {
            lerr(ld, at, key, "value is longer than %u bytes after expansion", CONF_VALUE_MAX);
            goto fail;
        }
        i = (size_t)(close - s) + 1;
    }
    return (char *)d.p;
oom:
    lerr(ld, at, key, "out of memory");
fail:
    free(d.p);
    return NULL;
}

/* The expanded text of scalar n (free it), or NULL after reporting. */
static char *scalar_text(struct loader *ld, struct fy_node *key, struct fy_node *n)
{
    size_t len = 0;
    const char *s = n ? fy_node_get_scalar(n, &len) : "";
    if (is_alias(n)) {
        lerr(ld, n, key, "anchors and aliases are not supported");
        return NULL;
    }
    if (!s) {
        s = "";
        len = 0;
    }
    if (memchr(s, 0, len)) {
        lerr(ld, n, key, "value contains a NUL byte");
        return NULL;
    }
    if (is_null(n))
        len = 0;
    return expand(ld, n, key, s, len);
}

/* A key as a C string (free it), or NULL when it is not a plain scalar. */
static char *key_text(struct fy_node *k)
{
    size_t len;
    if (!k || fy_node_get_type(k) != FYNT_SCALAR || is_alias(k))
        return NULL;
    const char *s = fy_node_get_scalar(k, &len);
    if (!s || memchr(s, 0, len))
        return NULL;
    return strndup(s, len);
}

/* ---- the typed walk ----------------------------------------------------- */

/* Called for every key before the table is looked at: returns true when it
 * took the key (then the table is not consulted). */
typedef bool (*key_hook)(struct loader *ld, const char *key, struct fy_node *k, struct fy_node *v, void *arg);

static void walk_map(struct loader *ld, struct fy_node *map, const struct conf_option *t, void *base,
                     const struct conf_option *ignore, key_hook hook, void *arg, bool lax);

static const char *expected(const struct conf_option *o)
{
    switch (o->type) {
    case CONF_STR: return "expected a string";
    case CONF_SECRET: return "expected a string or {secret_file: PATH}";
    case CONF_INT: return "expected an integer";
    case CONF_BOOL: return "expected true or false";
    case CONF_SIZE: return "expected a size like 1MiB";
    case CONF_DURATION: return "expected a duration like 5s";
    case CONF_DOUBLE: return "expected a number";
    case CONF_ENUM: return "expected one of its names";
    case CONF_STRLIST: return "expected a string or a list of strings";
    case CONF_STRMAP: return "expected a mapping of strings";
    case CONF_SECTION: return "expected a mapping";
    case CONF_END: break;
    }
    return "unexpected value";
}

static void set_scalar(struct loader *ld, const struct conf_option *o, void *base, struct fy_node *k,
                       struct fy_node *v, const char *text)
{
    char err[512];
    if (conf_option_set(o, base, text, err, sizeof(err)) < 0)
        lerr(ld, v, k, "%s", err);
}

/* First line of a {secret_file: PATH}, or NULL after reporting. */
static char *secret_file_read(struct loader *ld, struct fy_node *k, struct fy_node *map)
{
    char *path = NULL, *line = NULL, q[160];
    struct fy_node *pv = NULL;
    int fd = -1;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it)) != NULL) {
        char *ks = key_text(fy_node_pair_key(p));
        if (ks && strcmp(ks, "secret_file") == 0) {
            pv = fy_node_pair_value(p);
        } else {
            lerr(ld, fy_node_pair_key(p), map, "unknown key '%s' (expected secret_file)",
                 ks ? shown(ks, strlen(ks), q, sizeof(q)) : "?");
            free(ks);
            return NULL;
        }
        free(ks);
    }
    size_t old = path_key(ld, "secret_file");
    if (!pv || is_null(pv) || fy_node_get_type(pv) != FYNT_SCALAR) {
        lerr(ld, pv, map, "expected a file name");
        goto out;
    }
    path = scalar_text(ld, k, pv);
    if (!path)
        goto out;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        lerr(ld, pv, k, "open(\"%s\"): %s", shown(path, strlen(path), q, sizeof(q)), strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        lerr(ld, pv, k, "\"%s\" is not a regular file", shown(path, strlen(path), q, sizeof(q)));
        goto out;
    }
    line = malloc(CONF_SECRET_MAX + 1);
    if (!line)
        goto out;
    size_t n = 0;
    while (n < CONF_SECRET_MAX + 1) {
        ssize_t r = read(fd, line + n, CONF_SECRET_MAX + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            lerr(ld, pv, k, "read(\"%s\"): %s", shown(path, strlen(path), q, sizeof(q)), strerror(errno));
            free(line);
            line = NULL;
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    char *nl = memchr(line, '\n', n);
    size_t ll = nl ? (size_t)(nl - line) : n;
    if (ll > CONF_SECRET_MAX) {
        lerr(ld, pv, k, "the first line of \"%s\" is longer than %u bytes", shown(path, strlen(path), q, sizeof(q)),
             CONF_SECRET_MAX);
        free(line);
        line = NULL;
        goto out;
    }
    if (ll > 0 && line[ll - 1] == '\r')
        ll--;
    if (memchr(line, 0, ll)) {
        lerr(ld, pv, k, "\"%s\" contains a NUL byte", shown(path, strlen(path), q, sizeof(q)));
        free(line);
        line = NULL;
        goto out;
    }
    line[ll] = 0;
out:
    if (fd >= 0)
        close(fd);
    free(path);
    path_pop(ld, old);
    return line;
}

static void set_value(struct loader *ld, const struct conf_option *o, void *base, struct fy_node *k,
                      struct fy_node *v)
{
    void *fp = (char *)base + o->offset;
    enum fy_node_type nt = v ? fy_node_get_type(v) : FYNT_SCALAR;
    char *text = NULL;
    if (is_alias(v)) {
        lerr(ld, v, k, "anchors and aliases are not supported");
        return;
    }
    switch (o->type) {
    case CONF_SECTION:
        if (is_null(v))
            return;
        if (nt != FYNT_MAPPING) {
            lerr(ld, v, k, "expected a mapping");
            return;
        }
        walk_map(ld, v, o->sub, fp, NULL, NULL, NULL, false);
        return;
    case CONF_STRLIST: {
        struct conf_strlist *l = fp;
        if (is_null(v)) {
            conf_strlist_free(l);
            return;
        }
        if (nt == FYNT_SCALAR) {
            if ((text = scalar_text(ld, k, v)) != NULL)
                set_scalar(ld, o, base, k, v, text);
            free(text);
            return;
        }
        if (nt != FYNT_SEQUENCE) {
            lerr(ld, v, k, "%s", expected(o));
            return;
        }
        conf_strlist_free(l);
        void *it = NULL;
        struct fy_node *item;
        for (size_t i = 0; (item = fy_node_sequence_iterate(v, &it)) != NULL; i++) {
            size_t old = path_index(ld, i);
            if (fy_node_get_type(item) != FYNT_SCALAR || is_null(item)) {
                lerr(ld, item, k, "expected a string");
            } else if ((text = scalar_text(ld, k, item)) != NULL) {
                if (conf_strlist_add(l, text) < 0)
                    lerr(ld, item, k, "out of memory");
                free(text);
            }
            path_pop(ld, old);
        }
        return;
    }
    case CONF_STRMAP: {
        struct conf_strmap *m = fp;
        if (is_null(v)) {
            conf_strmap_free(m);
            return;
        }
        if (nt != FYNT_MAPPING) {
            lerr(ld, v, k, "%s", expected(o));
            return;
        }
        conf_strmap_free(m);
        void *it = NULL;
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(v, &it)) != NULL) {
            struct fy_node *mk = fy_node_pair_key(p), *mv = fy_node_pair_value(p);
            char *ks = key_text(mk);
            if (!ks) {
                lerr(ld, mk, v, "keys must be strings");
                continue;
            }
            size_t old = path_key(ld, ks);
            if (mv && fy_node_get_type(mv) != FYNT_SCALAR) {
                lerr(ld, mv, mk, "expected a string");
            } else if ((text = scalar_text(ld, mk, mv)) != NULL) {
                if (conf_strmap_set(m, ks, text) < 0)
                    lerr(ld, mv, mk, "out of memory");
                free(text);
            }
            path_pop(ld, old);
            free(ks);
        }
        return;
    }
    case CONF_SECRET:
        if (nt == FYNT_MAPPING) {
            if ((text = secret_file_read(ld, k, v)) != NULL)
                set_scalar(ld, o, base, k, v, text);
            free(text);
            return;
        }
        /* fall through */
    default:
        if (nt != FYNT_SCALAR && o->type == CONF_ENUM) {
            char names[256];
            size_t nl = 0;
            names[0] = 0;
            for (int i = 0; o->enums && o->enums[i]; i++) {
                int w = snprintf(names + nl, sizeof(names) - nl, "%s%s", i ? ", " : "", o->enums[i]);
                if (w < 0 || (size_t)w >= sizeof(names) - nl)
                    break;
                nl += (size_t)w;
            }
            lerr(ld, v, k, "expected one of %s", names);
            return;
        }
        if (nt != FYNT_SCALAR) {
            lerr(ld, v, k, "%s", expected(o));
            return;
        }
        if (is_null(v) && (o->type == CONF_STR || o->type == CONF_SECRET) && !o->def &&
            !(o->flags & CONF_REQUIRED)) {
            char **sp = fp;
            free(*sp);
            *sp = NULL;
            return;
        }
        if ((text = scalar_text(ld, k, v)) != NULL)
            set_scalar(ld, o, base, k, v, text);
        free(text);
        return;
    }
}

static size_t table_len(const struct conf_option *t)
{
    size_t n = 0;
    while (t && t[n].key)
        n++;
    return n;
}

/* Sets every key of map from table t into base. Keys in `ignore` are skipped
 * silently (another pass handles them); with lax, unknown keys are skipped
 * too. Missing required keys of t are reported at the mapping. */
static void walk_map(struct loader *ld, struct fy_node *map, const struct conf_option *t, void *base,
                     const struct conf_option *ignore, key_hook hook, void *arg, bool lax)
{
    unsigned char seen[CONF_TABLE_MAX] = { 0 };
    size_t nt = table_len(t);
    char q[160];
    assert(nt <= CONF_TABLE_MAX);
    void *it = NULL;
    struct fy_node_pair *p;
    while (map && (p = fy_node_mapping_iterate(map, &it)) != NULL) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        char *ks = key_text(k);
        if (!ks) {
            if (!lax)
                lerr(ld, k, map, "keys must be plain strings");
            continue;
        }
        if (hook && hook(ld, ks, k, v, arg)) {
            free(ks);
            continue;
        }
        const struct conf_option *o = conf_option_find(t, ks);
        if (o) {
            seen[o - t] = 1;
            size_t old = path_key(ld, o->key);
            set_value(ld, o, base, k, v);
            path_pop(ld, old);
        } else if (!lax && !(ignore && conf_option_find(ignore, ks))) {
            lerr(ld, k, map, "unknown key '%s'", shown(ks, strlen(ks), q, sizeof(q)));
        }
        free(ks);
    }
    for (size_t i = 0; i < nt; i++)
        if ((t[i].flags & CONF_REQUIRED) && !seen[i])
            lerr(ld, map, NULL, "missing required key '%s'", t[i].key);
}

/* Notes the nodes of some keys as the walk passes them; takes `take`. */
#define NOTES_MAX 6            /* keys noted per map: an output notes the most, 6 */
struct notes {
    const char *keys[NOTES_MAX];
    struct fy_node *k[NOTES_MAX], *v[NOTES_MAX];
    const char *take;
};

static bool notes_hook(struct loader *ld, const char *key, struct fy_node *k, struct fy_node *v, void *arg)
{
    struct notes *nt = arg;
    (void)ld;
    for (int i = 0; i < NOTES_MAX && nt->keys[i]; i++)
        if (strcmp(nt->keys[i], key) == 0) {
            nt->k[i] = k;
            nt->v[i] = v;
        }
    return nt->take && strcmp(nt->take, key) == 0;
}

/* Allocates ctx for a plugin's options and fills their defaults. */
static void *plugin_ctx_new(struct loader *ld, const struct conf_option *opts, size_t size, struct fy_node *at)
{
    char err[256];
    void *ctx = calloc(1, size ? size : 1);
    if (!ctx) {
        lerr(ld, at, NULL, "out of memory");
        return NULL;
    }
    if (opts && size && conf_options_defaults(opts, ctx, err, sizeof(err)) < 0)
        lerr(ld, at, NULL, "%s", err);
    return ctx;
}

/* Scalar form of a table whose required keys can only come in a mapping. */
static void required_absent(struct loader *ld, const struct conf_option *t, struct fy_node *at, struct fy_node *fb)
{
    for (size_t i = 0; t && t[i].key; i++)
        if (t[i].flags & CONF_REQUIRED)
            lerr(ld, at, fb, "missing required key '%s'", t[i].key);
}

#define KNOWN_LIST(buf, table)                                                              \
    do {                                                                                    \
        size_t kl_ = 0;                                                                     \
        (buf)[0] = 0;                                                                       \
        for (size_t i_ = 0; (table)[i_]; i_++) {                                            \
            int w_ = snprintf((buf) + kl_, sizeof(buf) - kl_, "%s%s", i_ ? ", " : "",       \
                              (table)[i_]->name);                                           \
            if (w_ < 0 || (size_t)w_ >= sizeof(buf) - kl_)                                  \
                break;                                                                      \
            kl_ += (size_t)w_;                                                              \
        }                                                                                   \
        if (kl_ == 0)                                                                       \
            snprintf((buf), sizeof(buf), "none");                                           \
    } while (0)

static bool name_ok(const char *s)
{
    if (!*s || s[0] == '.')
        return false;
    for (; *s; s++)
        if (!(*s == '_' || *s == '-' || *s == '.' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

/* ---- inputs ------------------------------------------------------------- */

static const struct conf_option parser_type_options[] = {
    { "type", CONF_STR, NULL, offsetof(struct parser_conf, type), 1, 64, "parser name", .flags = CONF_REQUIRED },
    { 0 }
};

static void load_parser(struct loader *ld, struct parser_conf *pc, struct fy_node *k, struct fy_node *v)
{
    char known[512], q[160];
    struct fy_node *type_node = v;
    bool is_map = v && fy_node_get_type(v) == FYNT_MAPPING;
    size_t old = path_key(ld, "parser");
    if (k) {
        if (is_map) {
            struct notes nt = { .keys = { "type" } };
            walk_map(ld, v, parser_type_options, pc, NULL, notes_hook, &nt, true);
            type_node = nt.v[0];
            if (!nt.k[0])
                goto out;             /* reported as missing */
        } else {
            set_value(ld, &parser_type_options[0], pc, k, v);
        }
    }
    if (!pc->type)
        goto out;
    pc->plugin = parser_plugin_find(pc->type);
    if (!pc->plugin) {
        KNOWN_LIST(known, parser_plugins);
        lerr(ld, type_node, k, "unknown parser '%s' (known: %s)", shown(pc->type, strlen(pc->type), q, sizeof(q)),
             known);
        goto out;
    }
    if (pc->plugin->ctx_size)
        pc->ctx = plugin_ctx_new(ld, pc->plugin->options, pc->plugin->ctx_size, v);
    if (is_map)
        walk_map(ld, v, pc->ctx ? pc->plugin->options : NULL, pc->ctx, parser_type_options, NULL, NULL, false);
    else
        required_absent(ld, pc->plugin->options, v, k);
out:
    path_pop(ld, old);
}

static void check_name(struct loader *ld, const char *what, const char *name, struct fy_node *at,
                       struct fy_node *fb, const char *const *prev, size_t nprev)
{
    char q[160];
    size_t old = path_key(ld, "name");
    if (!name_ok(name)) {
        lerr(ld, at, fb, "'%s' may only contain letters, digits, '_', '-' and '.' (not first)",
             shown(name, strlen(name), q, sizeof(q)));
    } else {
        for (size_t j = 0; j < nprev; j++)
            if (prev[j] && strcmp(prev[j], name) == 0) {
                lerr(ld, at, fb, "duplicate %s name '%s' (also %ss[%zu])", what, name, what, j);
                break;
            }
    }
    path_pop(ld, old);
}

static void load_input(struct loader *ld, struct vigil_conf *c, size_t idx, struct fy_node *n)
{
    struct input_conf *in = &c->inputs[idx];
    char err[256], known[512], q[160];
    if (conf_options_defaults(conf_input_common_options, in, err, sizeof(err)) < 0) {
        lerr(ld, n, NULL, "%s", err);
        return;
    }
    if (!n || fy_node_get_type(n) != FYNT_MAPPING) {
        lerr(ld, n, NULL, "expected a mapping (one input)");
        return;
    }
    struct notes nt = { .keys = { "name", "type", "parser" }, .take = "parser" };
    walk_map(ld, n, conf_input_common_options, in, NULL, notes_hook, &nt, true);
    if (in->name) {
        const char *prev[CONF_MAX_ITEMS];
        for (size_t j = 0; j < idx; j++)
            prev[j] = c->inputs[j].name;
        check_name(ld, "input", in->name, nt.v[0], nt.k[0], prev, idx);
        if (!in->tag && !(in->tag = strdup(in->name)))
            lerr(ld, n, NULL, "out of memory");
    }
    char why[PATH_MAX + 256];
    in->plugin = in->type ? input_plugin_find(in->type, why, sizeof(why)) : NULL;
    if (!in->plugin && in->type && why[0]) {
        size_t old = path_key(ld, "type");
        lerr(ld, nt.v[1], n, "input type '%s': %s", in->type, why);
        path_pop(ld, old);
    } else if (!in->plugin && in->type) {
        KNOWN_LIST(known, input_types);
        size_t old = path_key(ld, "type");
        lerr(ld, nt.v[1], n, "unknown input type '%s' (known: %s)", shown(in->type, strlen(in->type), q, sizeof(q)),
             known);
        path_pop(ld, old);
    } else if (in->plugin) {
        in->ctx = plugin_ctx_new(ld, in->plugin->options, in->plugin->ctx_size, n);
        walk_map(ld, n, in->ctx ? in->plugin->options : NULL, in->ctx, conf_input_common_options, NULL, NULL, false);
    }
    load_parser(ld, &in->parser, nt.k[2], nt.v[2]);
    if (multiline_check(&in->multiline, err, sizeof(err)) < 0) {
        size_t old = path_key(ld, "multiline");
        lerr(ld, n, NULL, "%s", err);
        path_pop(ld, old);
    }
    const struct conf_strlist *lists[2] = { &in->include_lines, &in->exclude_lines };
    static const char *const keys[2] = { "include_lines", "exclude_lines" };
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            if (line_filter_check(lists[l]->v[i], err, sizeof(err)) < 0) {
                size_t old = path_key(ld, keys[l]);
                lerr(ld, n, NULL, "%s", err);
                path_pop(ld, old);
            }
}

/* ---- outputs ------------------------------------------------------------ */

static void load_output(struct loader *ld, struct vigil_conf *c, size_t idx, struct fy_node *n)
{
    struct output_conf *out = &c->outputs[idx];
    char err[256], known[512], q[160], a[32], b[32];
    if (conf_options_defaults(conf_output_common_options, out, err, sizeof(err)) < 0) {
        lerr(ld, n, NULL, "%s", err);
        return;
    }
    if (!n || fy_node_get_type(n) != FYNT_MAPPING) {
        lerr(ld, n, NULL, "expected a mapping (one output)");
        return;
    }
    struct notes nt = { .keys = { "name", "type", "format", "compression", "retry", "queue_max_bytes" } };
    walk_map(ld, n, conf_output_common_options, out, NULL, notes_hook, &nt, true);
    if (out->name) {
        const char *prev[CONF_MAX_ITEMS];
        for (size_t j = 0; j < idx; j++)
            prev[j] = c->outputs[j].name;
        check_name(ld, "output", out->name, nt.v[0], nt.k[0], prev, idx);
    }
    char why[PATH_MAX + 256];
    out->plugin = out->type ? output_plugin_find(out->type, why, sizeof(why)) : NULL;
    if (!out->plugin && out->type && why[0]) {
        size_t old = path_key(ld, "type");
        lerr(ld, nt.v[1], n, "output type '%s': %s", out->type, why);
        path_pop(ld, old);
    } else if (!out->plugin && out->type) {
        KNOWN_LIST(known, output_types);
        size_t old = path_key(ld, "type");
        lerr(ld, nt.v[1], n, "unknown output type '%s' (known: %s)",
             shown(out->type, strlen(out->type), q, sizeof(q)), known);
        path_pop(ld, old);
    } else if (out->plugin) {
        if (!nt.k[2])
            out->common.format = out->plugin->default_format;
        if (!nt.k[3])
            out->common.compression = out->plugin->default_compression;
        else if (out->plugin->compressions &&
                 !(out->plugin->compressions & (1u << out->common.compression))) {
            /* an option accepted and ignored would be a promise not kept */
            static const char *const zn[] = { "none", "lz4", "gzip" };
            char ok[32] = "";
            for (int z = 0; z < 3; z++)
                if (out->plugin->compressions & (1u << z))
                    snprintf(ok + strlen(ok), sizeof(ok) - strlen(ok), "%s%s", ok[0] ? ", " : "", zn[z]);
            size_t old = path_key(ld, "compression");
            lerr(ld, nt.v[3], n, "output type %s does not support compression %s (supported: %s)",
                 out->plugin->name, zn[out->common.compression % 3], ok);
            path_pop(ld, old);
        }
        if (!out->common.wire_version) {
            out->common.wire_version = out->plugin->wire_version ? out->plugin->wire_version : 1;
        } else if (out->common.wire_version > 1 && out->plugin->wire_version == 0) {
            /* its peers read plain msgpack entries: a promise it cannot keep */
            size_t old = path_key(ld, "wire_version");
            lerr(ld, n, NULL, "output type %s ships what its peers read: wire_version 1 only",
                 out->plugin->name);
            path_pop(ld, old);
        }
        out->ctx = plugin_ctx_new(ld, out->plugin->options, out->plugin->ctx_size, n);
        walk_map(ld, n, out->ctx ? out->plugin->options : NULL, out->ctx, conf_output_common_options, NULL, NULL,
                 false);
    }
    const struct output_common *cm = &out->common;
    if (cm->retry.initial_ms > cm->retry.max_ms) {
        conf_format_duration(cm->retry.initial_ms, a, sizeof(a));
        conf_format_duration(cm->retry.max_ms, b, sizeof(b));
        size_t old = path_key(ld, "retry");
        lerr(ld, nt.v[4], n, "initial (%s) is longer than max (%s)", a, b);
        path_pop(ld, old);
    }
    if (cm->queue_max_bytes < cm->batch.max_bytes) {
        conf_format_size(cm->queue_max_bytes, a, sizeof(a));
        conf_format_size(cm->batch.max_bytes, b, sizeof(b));
        size_t old = path_key(ld, "queue_max_bytes");
        lerr(ld, nt.v[5], n, "%s cannot hold one batch (batch.max_bytes is %s)", a, b);
        path_pop(ld, old);
    }
}

/* ---- detectors ---------------------------------------------------------- */

static const struct conf_option detector_enabled_options[] = {
    { "enabled", CONF_BOOL, "true", offsetof(struct detector_conf, enabled), 0, 0, "run this detector" },
    { 0 }
};

static void detectors_defaults(struct loader *ld, struct detectors_conf *dc)
{
    size_t n = 0;
    while (detector_plugins[n])
        n++;
    dc->d = n ? calloc(n, sizeof(*dc->d)) : NULL;
    if (n && !dc->d) {
        lerr(ld, NULL, NULL, "out of memory");
        return;
    }
    dc->n = n;
    for (size_t i = 0; i < n; i++) {
        struct detector_conf *d = &dc->d[i];
        d->plugin = detector_plugins[i];
        d->enabled = true;
        d->ctx = plugin_ctx_new(ld, d->plugin->options, d->plugin->ctx_size, NULL);
    }
}

static bool detector_hook(struct loader *ld, const char *key, struct fy_node *k, struct fy_node *v, void *arg)
{
    struct detectors_conf *dc = arg;
    char known[512], q[160];
    bool on;
    if (conf_option_find(conf_detectors_options, key))
        return false;
    struct detector_conf *d = NULL;
    for (size_t i = 0; i < dc->n; i++)
        if (strcmp(dc->d[i].plugin->name, key) == 0)
            d = &dc->d[i];
    if (!d) {
        KNOWN_LIST(known, detector_plugins);
        lerr(ld, k, NULL, "unknown detector '%s' (known: %s)", shown(key, strlen(key), q, sizeof(q)), known);
        return true;
    }
    size_t old = path_key(ld, d->plugin->name);
    enum fy_node_type nt = v ? fy_node_get_type(v) : FYNT_SCALAR;
    if (is_null(v)) {
        /* `name:` alone: defaults */
    } else if (nt == FYNT_MAPPING) {
        walk_map(ld, v, detector_enabled_options, d, NULL, NULL, NULL, true);
        walk_map(ld, v, d->ctx ? d->plugin->options : NULL, d->ctx, detector_enabled_options, NULL, NULL, false);
    } else if (nt == FYNT_SCALAR && !is_alias(v) && conf_parse_bool(fy_node_get_scalar0(v), &on) == 0) {
        d->enabled = on;
    } else {
        lerr(ld, v, k, "expected a mapping of options, or true/false");
    }
    path_pop(ld, old);
    return true;
}

/* ---- the document ------------------------------------------------------- */

static size_t seq_len(struct fy_node *n)
{
    size_t cnt = 0;
    void *it = NULL;
    while (fy_node_sequence_iterate(n, &it))
        cnt++;
    return cnt;
}

static void load_list(struct loader *ld, struct vigil_conf *c, struct fy_node *k, struct fy_node *v, bool inputs)
{
    const char *what = inputs ? "inputs" : "outputs";
    size_t old = path_key(ld, what);
    if (is_null(v))
        goto out;
    if (fy_node_get_type(v) != FYNT_SEQUENCE) {
        lerr(ld, v, k, "expected a sequence (one `- name: ...` item per %s)", inputs ? "input" : "output");
        goto out;
    }
    size_t n = seq_len(v);
    if (n > CONF_MAX_ITEMS) {
        lerr(ld, v, k, "more than %d %s", CONF_MAX_ITEMS, what);
        goto out;
    }
    if (n == 0)
        goto out;
    if (inputs)
        c->inputs = calloc(n, sizeof(*c->inputs));
    else
        c->outputs = calloc(n, sizeof(*c->outputs));
    if (inputs ? !c->inputs : !c->outputs) {
        lerr(ld, v, k, "out of memory");
        goto out;
    }
    void *it = NULL;
    struct fy_node *item;
    for (size_t i = 0; (item = fy_node_sequence_iterate(v, &it)) != NULL && i < n; i++) {
        size_t o2 = path_index(ld, i);
        if (inputs) {
            c->ninputs = i + 1;
            load_input(ld, c, i, item);
        } else {
            c->noutputs = i + 1;
            load_output(ld, c, i, item);
        }
        path_pop(ld, o2);
    }
out:
    path_pop(ld, old);
}

static void load_section(struct loader *ld, const char *name, const struct conf_option *t, void *base,
                         struct fy_node *k, struct fy_node *v, key_hook hook, void *arg)
{
    size_t old = path_key(ld, name);
    if (is_null(v))
        ;
    else if (fy_node_get_type(v) != FYNT_MAPPING)
        lerr(ld, v, k, "expected a mapping");
    else
        walk_map(ld, v, t, base, NULL, hook, arg, false);
    path_pop(ld, old);
}

static void load_root(struct loader *ld, struct vigil_conf *c, struct fy_node *root)
{
    char err[256], q[160];
    if (conf_options_defaults(conf_service_options, &c->service, err, sizeof(err)) < 0 ||
        conf_options_defaults(conf_alerts_options, &c->alerts, err, sizeof(err)) < 0 ||
        conf_options_defaults(conf_detectors_options, &c->detectors, err, sizeof(err)) < 0) {
        lerr(ld, NULL, NULL, "%s", err);
        return;
    }
    detectors_defaults(ld, &c->detectors);
    if (root && fy_node_get_type(root) != FYNT_MAPPING) {
        lerr(ld, root, NULL, "expected a mapping with service, inputs, alerts, detectors, outputs");
        return;
    }
    void *it = NULL;
    struct fy_node_pair *p;
    while (root && (p = fy_node_mapping_iterate(root, &it)) != NULL) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        char *ks = key_text(k);
        if (!ks)
            lerr(ld, k, root, "keys must be plain strings");
        else if (strcmp(ks, "service") == 0)
            load_section(ld, ks, conf_service_options, &c->service, k, v, NULL, NULL);
        else if (strcmp(ks, "alerts") == 0)
            load_section(ld, ks, conf_alerts_options, &c->alerts, k, v, NULL, NULL);
        else if (strcmp(ks, "detectors") == 0)
            load_section(ld, ks, conf_detectors_options, &c->detectors, k, v, detector_hook, &c->detectors);
        else if (strcmp(ks, "inputs") == 0)
            load_list(ld, c, k, v, true);
        else if (strcmp(ks, "outputs") == 0)
            load_list(ld, c, k, v, false);
        else
            lerr(ld, k, root, "unknown key '%s' (sections: service, inputs, alerts, detectors, outputs)",
                 shown(ks, strlen(ks), q, sizeof(q)));
        free(ks);
    }
    if (c->ninputs == 0) {
        size_t old = path_key(ld, "inputs");
        lerr(ld, root, NULL, "at least one input is required");
        path_pop(ld, old);
    }
    if (!c->service.hostname) {
        char host[256] = "";
        if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
            snprintf(host, sizeof(host), "localhost");
        c->service.hostname = strdup(host);
    }
}

/* Offset of the first byte that is not valid UTF-8 or is NUL, or len. */
static size_t utf8_check(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char ch = s[i];
        if (ch == 0)
            return i;
        if (ch < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned cp, min;
        if ((ch & 0xe0) == 0xc0) {
            need = 2; cp = ch & 0x1f; min = 0x80;
        } else if ((ch & 0xf0) == 0xe0) {
            need = 3; cp = ch & 0x0f; min = 0x800;
        } else if ((ch & 0xf8) == 0xf0) {
            need = 4; cp = ch & 0x07; min = 0x10000;
        } else {
            return i;
        }
        if (len - i < need)
            return i;
        for (size_t j = 1; j < need; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += need;
    }
    return len;
}

/* libfyaml 0.7.12 has a depth limit (64) but reports it only after scanning
 * ahead: 4 MB of `[` took 1.4 GB, and 4 MB of `- 1` lines or `1,` items
 * 300-700 MB, before any error. It has no node limit. So the bytes are
 * pre-scanned here, with bounded work and no allocation: flow nesting (`[`,
 * `{`) and block nesting (indentation levels) against CONF_MAX_DEPTH, and
 * lines with content plus flow indicators (an upper bound of the nodes)
 * against CONF_MAX_TOKENS. Quoted scalars (which may contain brackets),
 * comments and block scalars (`|`, `>`) are skipped as YAML does. Returns
 * NULL and the position of the first excess, or an error message. */
struct prescan {
    size_t depth;                       /* flow nesting */
    size_t items;
    int indents[CONF_MAX_DEPTH + 1];    /* block indentation levels */
    size_t nindent;
};

static const char *prescan(const char *s, size_t len, struct pos *at)
{
    static char msg[96];
    struct prescan ps = { .depth = 0 };
    struct pos p = { 1, 1 };
    size_t i = 0;
    int block_scalar = -1;      /* indentation of the line that opened a | or > scalar */
    while (i < len) {
        /* one line: its indentation first */
        int indent = 0;
        while (i + (size_t)indent < len && s[i + (size_t)indent] == ' ')
            indent++;
        size_t ls = i + (size_t)indent;
        bool blank = ls >= len || s[ls] == '\n' || s[ls] == '\r' || s[ls] == '#';
        if (block_scalar >= 0 && (blank || indent > block_scalar)) {
            while (i < len && s[i] != '\n')
                i++;
            i++;
            p.line++;
            continue;
        }
        block_scalar = -1;
        i = ls;
        p.col = indent + 1;
        if (!blank && ps.depth == 0) {
            /* block nesting: pop deeper levels, push a new one */
            while (ps.nindent && ps.indents[ps.nindent - 1] > indent)
                ps.nindent--;
            if (!ps.nindent || ps.indents[ps.nindent - 1] < indent) {
                if (ps.nindent == CONF_MAX_DEPTH) {
                    *at = p;
                    snprintf(msg, sizeof(msg), "nested deeper than %d levels", CONF_MAX_DEPTH);
                    return msg;
                }
                ps.indents[ps.nindent++] = indent;
            }
        }
        if (!blank && ++ps.items > CONF_MAX_TOKENS)
            goto too_many;
        bool at_start = true;   /* a quote here opens a quoted scalar */
        char last = 0;          /* last significant byte of the line */
        while (i < len && s[i] != '\n') {
            char c = s[i];
            if (c == '#' && (at_start || i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
                while (i < len && s[i] != '\n')
                    i++;
                break;
            }
            if ((c == '"' || c == '\'') && at_start) {
                /* a quoted scalar, maybe over several lines */
                char q = c;
                for (i++, p.col++; i < len; i++, p.col++) {
                    if (s[i] == '\n') {
                        p.line++;
                        p.col = 0;
                    } else if (q == '"' && s[i] == '\\') {
                        i++;
                        p.col++;
                    } else if (s[i] == q) {
                        if (q == '\'' && i + 1 < len && s[i + 1] == '\'') {
                            i++;
                            p.col++;
                            continue;
                        }
                        break;
                    }
                }
                i++;
                p.col++;
                at_start = false;
                last = q;
                continue;
            }
            if (c == '[' || c == '{') {
                if (++ps.depth + ps.nindent > CONF_MAX_DEPTH) {
                    *at = p;
                    snprintf(msg, sizeof(msg), "nested deeper than %d levels", CONF_MAX_DEPTH);
                    return msg;
                }
                if (++ps.items > CONF_MAX_TOKENS)
                    goto too_many;
                at_start = true;
            } else if (c == ']' || c == '}') {
                if (ps.depth)
                    ps.depth--;
                at_start = false;
            } else if (c == ',') {
                if (++ps.items > CONF_MAX_TOKENS)
                    goto too_many;
                at_start = ps.depth > 0;
            } else if ((c == ':' || c == '-' || c == '?') &&
                       (i + 1 >= len || s[i + 1] == ' ' || s[i + 1] == '\n' || s[i + 1] == '\r')) {
                at_start = true;
            } else if (c != ' ' && c != '\t' && c != '\r') {
                at_start = false;
            }
            if (c != ' ' && c != '\t' && c != '\r')
                last = c;
            i++;
            p.col++;
        }
        /* `key: |` or `- >-`: the more indented lines that follow are text */
        if (ps.depth == 0) {
            size_t e = i;
            while (e > ls && (s[e - 1] == ' ' || s[e - 1] == '\r' || s[e - 1] == '\t'))
                e--;
            size_t b = e;
            while (b > ls && (s[b - 1] == '-' || s[b - 1] == '+' || (s[b - 1] >= '1' && s[b - 1] <= '9')))
                b--;
            if (b > ls && (s[b - 1] == '|' || s[b - 1] == '>') &&
                (b - 1 == ls || s[b - 2] == ' '))
                block_scalar = indent;
        }
        (void)last;
        i++;
        p.line++;
    }
    return NULL;
too_many:
    *at = p;
    snprintf(msg, sizeof(msg), "more than %d items (lines and flow entries): not a vigil configuration",
             CONF_MAX_TOKENS);
    return msg;
}

/* Prints libfyaml's collected errors (already 1-based); false if there were none. */
static bool report_parse_errors(struct loader *ld)
{
    void *it = NULL;
    struct fy_diag_error *e;
    bool any = false;
    while ((e = fy_diag_errors_iterate(ld->diag, &it)) != NULL) {
        char msg[512];
        if (e->type < FYET_ERROR)
            continue;
        log_escape(msg, sizeof(msg), e->msg ? e->msg : "syntax error", strlen(e->msg ? e->msg : "syntax error"), 0);
        report(ld, (struct pos){ e->line, e->column }, msg);
        any = true;
    }
    fy_diag_reset_error(ld->diag);
    return any;
}

/* Checks the bytes, then builds the document. Returns 0 with *docp (NULL for
 * an empty document) and ld->diag set, or -1 after reporting. */
static int parse_doc(struct loader *ld, const char *buf, size_t len, struct fy_document **docp)
{
    *docp = NULL;
    if (len > CONF_MAX_BYTES) {
        report(ld, (struct pos){ 1, 1 }, "configuration larger than 4 MiB");
        return -1;
    }
    size_t bad = utf8_check((const unsigned char *)buf, len);
    if (bad < len) {
        struct pos p = { 1, 1 };
        for (size_t i = 0; i < bad; i++) {
            if (buf[i] == '\n') {
                p.line++;
                p.col = 1;
            } else {
                p.col++;
            }
        }
        char msg[64];
        snprintf(msg, sizeof(msg), buf[bad] ? "invalid UTF-8 (byte 0x%02x)" : "NUL byte in the configuration",
                 (unsigned char)buf[bad]);
        report(ld, p, msg);
        return -1;
    }
    struct pos at;
    const char *why = prescan(buf, len, &at);
    if (why) {
        report(ld, at, why);
        return -1;
    }
    struct fy_diag_cfg dc;
    fy_diag_cfg_default(&dc);
    dc.fp = NULL;
    dc.output_fn = diag_discard_cb;
    dc.user = NULL;
    dc.colorize = false;
    ld->diag = fy_diag_create(&dc);
    if (!ld->diag) {
        report(ld, (struct pos){ 1, 1 }, "cannot create the YAML diagnostics");
        return -1;
    }
    fy_diag_set_collect_errors(ld->diag, true);
    struct fy_parse_cfg pc = { .flags = FYPCF_QUIET, .diag = ld->diag };
    *docp = len ? fy_document_build_from_string(&pc, buf, len) : NULL;
    /* a document of comments only also ends as NULL, with nothing collected */
    if (!*docp && report_parse_errors(ld))
        return -1;
    fy_diag_reset_error(ld->diag);
    return 0;
}

int conf_load_buffer(struct vigil_conf *c, const char *name, const char *buf, size_t len, FILE *errf)
{
    struct loader ld = { .name = name ? name : "<config>", .errf = errf };
    struct fy_document *doc = NULL;
    memset(c, 0, sizeof(*c));
    c->path = strdup(ld.name);
    if (!c->path) {
        report(&ld, (struct pos){ 1, 1 }, "out of memory");
        goto fail;
    }
    if (parse_doc(&ld, buf, len, &doc) < 0)
        goto fail;
    load_root(&ld, c, doc ? fy_document_root(doc) : NULL);
    if (ld.nerr)
        goto fail;
    fy_document_destroy(doc);
    fy_diag_destroy(ld.diag);
    return 0;
fail:
    if (doc)
        fy_document_destroy(doc);
    if (ld.diag)
        fy_diag_destroy(ld.diag);
    conf_free(c);
    return -1;
}

int conf_load_options(const struct conf_option *t, void *base, const char *name, const char *buf, size_t len,
                      FILE *errf)
{
    struct loader ld = { .name = name ? name : "<config>", .errf = errf };
    struct fy_document *doc = NULL;
    char err[256];
    if (conf_options_defaults(t, base, err, sizeof(err)) < 0) {
        report(&ld, (struct pos){ 1, 1 }, err);
        goto out;
    }
    if (parse_doc(&ld, buf, len, &doc) < 0)
        goto out;
    struct fy_node *root = doc ? fy_document_root(doc) : NULL;
    if (root && fy_node_get_type(root) != FYNT_MAPPING)
        lerr(&ld, root, NULL, "expected a mapping");
    else if (root)
        walk_map(&ld, root, t, base, NULL, NULL, NULL, false);
    else
        walk_map(&ld, NULL, t, base, NULL, NULL, NULL, false);
out:
    if (doc)
        fy_document_destroy(doc);
    if (ld.diag)
        fy_diag_destroy(ld.diag);
    if (ld.nerr) {
        conf_options_free(t, base);
        return -1;
    }
    return 0;
}

int conf_load(struct vigil_conf *c, const char *path, FILE *errf)
{
    char *buf = NULL;
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    memset(c, 0, sizeof(*c));
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (errf)
            fprintf(errf, "%s: open: %s\n", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        if (errf)
            fprintf(errf, "%s: not a regular file\n", path);
        goto fail;
    }
    if ((uint64_t)st.st_size > CONF_MAX_BYTES) {
        if (errf)
            fprintf(errf, "%s: larger than 4 MiB\n", path);
        goto fail;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        goto fail;
    for (;;) {
        ssize_t r = read(fd, buf + len, (size_t)st.st_size + 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            if (errf)
                fprintf(errf, "%s: read: %s\n", path, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > (size_t)st.st_size) {   /* grew while we read: refuse, do not chase */
            if (errf)
                fprintf(errf, "%s: changed while being read\n", path);
            goto fail;
        }
    }
    close(fd);
    fd = -1;
    int rc = conf_load_buffer(c, path, buf, len, errf);
    free(buf);
    return rc;
fail:
    if (fd >= 0)
        close(fd);
    free(buf);
    return -1;
}

void conf_free(struct vigil_conf *c)
{
    if (!c)
        return;
    conf_options_free(conf_service_options, &c->service);
    conf_options_free(conf_alerts_options, &c->alerts);
    for (size_t i = 0; i < c->detectors.n; i++) {
        struct detector_conf *d = &c->detectors.d[i];
        if (d->ctx)
            conf_options_free(d->plugin->options, d->ctx);
        free(d->ctx);
    }
    free(c->detectors.d);
    conf_options_free(conf_detectors_options, &c->detectors);
    for (size_t i = 0; i < c->ninputs; i++) {
        struct input_conf *in = &c->inputs[i];
        if (in->plugin && in->ctx)
            conf_options_free(in->plugin->options, in->ctx);
        free(in->ctx);
        if (in->parser.plugin && in->parser.ctx)
            conf_options_free(in->parser.plugin->options, in->parser.ctx);
        free(in->parser.ctx);
        conf_options_free(conf_input_common_options, in);
    }
    free(c->inputs);
    for (size_t i = 0; i < c->noutputs; i++) {
        struct output_conf *out = &c->outputs[i];
        if (out->plugin && out->ctx)
            conf_options_free(out->plugin->options, out->ctx);
        free(out->ctx);
        conf_options_free(conf_output_common_options, out);
    }
    free(c->outputs);
    free(c->path);
    memset(c, 0, sizeof(*c));
}

/* ---- dump --------------------------------------------------------------- */

/* Prints a table as a sequence item: "- " then its first row, the rest below. */
static void dump_item(FILE *f, const struct conf_option *t, const void *base, int indent,
                      const struct conf_option *skip)
{
    fprintf(f, "%*s- ", indent, "");
    conf_options_dump_one(f, &t[0], base, 0);
    for (const struct conf_option *o = t + 1; o->key; o++)
        if (o != skip)
            conf_options_dump_one(f, o, base, indent + 2);
}

void conf_dump(const struct vigil_conf *c, FILE *f)
{
    fputs("# effective configuration of ", f);
    conf_print_quoted(f, c->path ? c->path : "");
    fputs(" (defaults included, secrets masked)\n", f);
    fputs("service:\n", f);
    conf_options_dump(f, conf_service_options, &c->service, 2);

    fputs(c->ninputs ? "inputs:\n" : "inputs: []\n", f);
    for (size_t i = 0; i < c->ninputs; i++) {
        const struct input_conf *in = &c->inputs[i];
        const struct conf_option *prow = conf_option_find(conf_input_common_options, "parser");
        dump_item(f, conf_input_common_options, in, 2, prow);
        fputs("    parser:\n      type: ", f);
        conf_print_quoted(f, in->parser.type ? in->parser.type : "");
        fputc('\n', f);
        if (in->parser.plugin && in->parser.ctx)
            conf_options_dump(f, in->parser.plugin->options, in->parser.ctx, 6);
        if (in->plugin && in->ctx)
            conf_options_dump(f, in->plugin->options, in->ctx, 4);
    }

    fputs("alerts:\n", f);
    conf_options_dump(f, conf_alerts_options, &c->alerts, 2);

    fputs("detectors:\n", f);
    conf_options_dump(f, conf_detectors_options, &c->detectors, 2);
    for (size_t i = 0; i < c->detectors.n; i++) {
        const struct detector_conf *d = &c->detectors.d[i];
        fprintf(f, "  %s:\n", d->plugin->name);
        conf_options_dump(f, detector_enabled_options, d, 4);
        if (d->ctx)
            conf_options_dump(f, d->plugin->options, d->ctx, 4);
    }

    fputs(c->noutputs ? "outputs:\n" : "outputs: []\n", f);
    for (size_t i = 0; i < c->noutputs; i++) {
        const struct output_conf *out = &c->outputs[i];
        dump_item(f, conf_output_common_options, out, 2, NULL);
        if (out->plugin && out->ctx)
            conf_options_dump(f, out->plugin->options, out->ctx, 4);
    }
}

/* ---- help --------------------------------------------------------------- */

static bool help_one(FILE *f, const char *what, const char *title, const char *name,
                     const struct conf_option *t)
{
    if (what && strcmp(what, name) != 0 && strcmp(what, title) != 0)
        return false;
    fprintf(f, "%s %s:\n", title, name);
    if (t && t->key)
        conf_options_help(f, t, 2);
    else
        fputs("  (no options)\n", f);
    return true;
}

/* The plugin of e for --list-options, loading its module: NULL when `what`
 * does not ask for it, or after printing why the module cannot be loaded. */
static const void *help_load(FILE *f, const char *what, const char *title, const struct module_entry *e,
                             bool *any)
{
    if (what && strcmp(what, e->name) != 0 && strcmp(what, title) != 0)
        return NULL;
    char why[PATH_MAX + 256];
    const void *p = module_plugin(e, why, sizeof(why));
    if (!p) {
        fprintf(f, "%s %s:\n  (%s)\n", title, e->name, why);
        *any = true;
    }
    return p;
}

int conf_help(FILE *f, const char *what)
{
    bool any = false;
    any |= help_one(f, what, "section", "service", conf_service_options);
    any |= help_one(f, what, "section", "alerts", conf_alerts_options);
    any |= help_one(f, what, "section", "detectors", conf_detectors_options);
    any |= help_one(f, what, "inputs", "(every input)", conf_input_common_options);
    for (size_t i = 0; input_types[i]; i++) {
        const struct input_plugin *p = help_load(f, what, "input", input_types[i], &any);
        if (p)
            any |= help_one(f, what, "input", p->name, p->options);
    }
    for (size_t i = 0; parser_plugins[i]; i++)
        any |= help_one(f, what, "parser", parser_plugins[i]->name, parser_plugins[i]->options);
    any |= help_one(f, what, "outputs", "(every output)", conf_output_common_options);
    for (size_t i = 0; output_types[i]; i++) {
        const struct output_plugin *p = help_load(f, what, "output", output_types[i], &any);
        if (p)
            any |= help_one(f, what, "output", p->name, p->options);
    }
    for (size_t i = 0; detector_plugins[i]; i++) {
        if (help_one(f, what, "detector", detector_plugins[i]->name, detector_enabled_options)) {
            any = true;
            if (detector_plugins[i]->options)
                conf_options_help(f, detector_plugins[i]->options, 2);
        }
    }
    return any ? 0 : -1;
}
