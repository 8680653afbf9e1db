/* fields.c - static fields for records and alerts (see fields.h). */
#include "sidecar/fields.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sidecar/log.h"
#include "sidecar/record.h"

static int entry_set(struct fields_entry *arr, size_t *n, size_t cap, const char *key, size_t klen,
                     const char *val, size_t vlen)
{
    struct fields_entry *e = NULL;
    for (size_t i = 0; i < *n; i++)
        if (strlen(arr[i].key) == klen && memcmp(arr[i].key, key, klen) == 0)
            e = &arr[i];
    char *v = strndup(val, vlen);
    if (!v)
        return -1;
    if (e) {
        free(e->val);
        e->val = v;
        return 0;
    }
    if (*n >= cap) {
        free(v);
        return -1;
    }
    char *k = strndup(key, klen);
    if (!k) {
        free(v);
        return -1;
    }
    arr[*n].key = k;
    arr[*n].val = v;
    (*n)++;
    return 0;
}

int fields_set(struct fieldset *fs, const char *key, const char *val)
{
    return entry_set(fs->e, &fs->n, FIELDS_MAX, key, strlen(key), val, strlen(val));
}

int fields_add_map(struct fieldset *fs, const struct conf_strmap *m)
{
    for (size_t i = 0; m && i < m->n; i++)
        if (fields_set(fs, m->k[i], m->v[i]) < 0)
            return -1;
    return 0;
}

/* One value as the kubelet writes it: "..." with Go escapes, or bare. */
static size_t unquote(const char *s, size_t n, char *out)
{
    size_t o = 0;
    if (n < 2 || s[0] != '"' || s[n - 1] != '"') {
        memcpy(out, s, n);
        return n;
    }
    for (size_t i = 1; i + 1 < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 2 < n) {
            c = s[++i];
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
        }
        out[o++] = c;
    }
    return o;
}

void fields_parse_labels(struct fieldset *fs, const char *text, size_t len)
{
    fs->has_labels = true;
    for (size_t i = 0; i < len;) {
        const char *line = text + i;
        const char *nl = memchr(line, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - line) : len - i;
        i += ll + 1;
        const char *eq = memchr(line, '=', ll);
        if (!eq || eq == line)
            continue;
        size_t kl = (size_t)(eq - line), vl = ll - kl - 1;
        char *v = malloc(vl + 1);
        if (!v)
            return;
        size_t n = unquote(eq + 1, vl, v);
        (void)entry_set(fs->labels, &fs->nlabels, FIELDS_MAX_LABELS, line, kl, v, n);
        free(v);
    }
}

static void read_labels(struct fieldset *fs, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        if (errno != ENOENT)
            log_warn("kubernetes: labels file %s: %s", path, strerror(errno));
        return;
    }
    char *b = malloc(FIELDS_LABELS_FILE_MAX);
    size_t len = 0;
    ssize_t r;
    while (b && len < FIELDS_LABELS_FILE_MAX &&
           (r = read(fd, b + len, FIELDS_LABELS_FILE_MAX - len)) > 0)
        len += (size_t)r;
    close(fd);
    if (b)
        fields_parse_labels(fs, b, len);
    free(b);
}

int fields_add_kubernetes(struct fieldset *fs, const char *labels_path)
{
    static const char *const env[][2] = {
        { "POD_NAME", "k8s.pod" }, { "POD_NAMESPACE", "k8s.namespace" }, { "NODE_NAME", "k8s.node" },
        { "POD_IP", "k8s.pod_ip" }, { "POD_SERVICE_ACCOUNT", "k8s.service_account" },
    };
    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
        const char *v = getenv(env[i][0]);
        if (v && *v && fields_set(fs, env[i][1], v) < 0)
            return -1;
    }
    if (!fields_get(fs, "k8s.pod").len)
        log_warn("kubernetes: POD_NAME is not set: records will not name their pod "
                 "(pass it with a fieldRef to metadata.name)");
    if (labels_path && *labels_path)
        read_labels(fs, labels_path);
    return 0;
}

int fields_inherit(struct fieldset *fs, const struct fieldset *a)
{
    struct fieldset own = *fs;
    memset(fs, 0, sizeof(*fs));
    int rc = 0;
    for (size_t i = 0; i < a->n; i++)
        rc |= fields_set(fs, a->e[i].key, a->e[i].val);
    for (size_t i = 0; i < a->nlabels; i++)
        rc |= entry_set(fs->labels, &fs->nlabels, FIELDS_MAX_LABELS, a->labels[i].key,
                        strlen(a->labels[i].key), a->labels[i].val, strlen(a->labels[i].val));
    fs->has_labels = a->has_labels;
    for (size_t i = 0; i < own.n; i++)
        rc |= fields_set(fs, own.e[i].key, own.e[i].val);
    fields_fini(&own);
    return rc ? -1 : 0;
}

struct span fields_get(const struct fieldset *fs, const char *key)
{
    for (size_t i = 0; fs && i < fs->n; i++)
        if (strcmp(fs->e[i].key, key) == 0)
            return span_cstr(fs->e[i].val);
    return SPAN_NULL;
}

void fields_apply(const struct fieldset *fs, struct record *r)
{
    if (!fs)
        return;
    for (size_t i = 0; i < fs->n; i++)
        record_add_str(r, span_cstr(fs->e[i].key), span_cstr(fs->e[i].val));
    if (fs->has_labels && record_open(r, SPAN_LIT("k8s.labels"), FT_MAP) >= 0) {
        for (size_t i = 0; i < fs->nlabels; i++)
            record_add_str(r, span_cstr(fs->labels[i].key), span_cstr(fs->labels[i].val));
        record_close(r);
    }
}

void fields_fini(struct fieldset *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->e[i].key);
        free(fs->e[i].val);
    }
    for (size_t i = 0; i < fs->nlabels; i++) {
        free(fs->labels[i].key);
        free(fs->labels[i].val);
    }
    memset(fs, 0, sizeof(*fs));
}
