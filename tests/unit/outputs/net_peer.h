/* net_peer.h - shared by the network output suites: a stand-in for the
 * delivery core (output_done / output_log / output_error record what the
 * plugin reported), loopback peers run as child processes
 * (the scripts in tests/helpers, port read from their first stdout line), a throwaway
 * test PKI, and batches built the way the core builds them.
 * Each suite is its own binary, so these definitions live in one header. */
#ifndef VIGIL_TEST_NET_PEER_H
#define VIGIL_TEST_NET_PEER_H

#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <lz4frame.h>
#include <msgpack.h>

#include "outputs/output.h"
#include "sidecar/vigil.h"

/* ---- the fake core (NET_PEER_REAL_CORE: the suite links outputs/output.c) ---- */
static struct {
    int ndone;
    enum output_status last;
    struct batch *last_batch;
    enum output_status seen[64];
    char last_error[512];
} core;

#ifndef NET_PEER_REAL_CORE
void output_done(struct output *out, struct batch *b, enum output_status st)
{
    (void)out;
    if (core.ndone < 64)
        core.seen[core.ndone] = st;
    core.ndone++;
    core.last = st;
    core.last_batch = b;
}

void output_log(const struct output *out, int level, const char *fmt, ...)
{
    va_list ap;
    (void)out;
    (void)level;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void output_error(struct output *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(core.last_error, sizeof(core.last_error), fmt, ap);
    va_end(ap);
    size_t n = strnlen(core.last_error, sizeof(out->last_error) - 1);
    memcpy(out->last_error, core.last_error, n);
    out->last_error[n] = '\0';
    fprintf(stderr, "error: %s\n", core.last_error);
}
#endif

/* ---- an output instance around a plugin ---- */
struct net_env {
    struct vigil vg;
    struct output_conf oc;
    struct output out;
    char dir[64];                 /* temp dir: certs, peer output */
};

static inline void net_env_init(struct net_env *e, const struct output_plugin *p, void *ctx,
                                int compression)
{
    memset(e, 0, sizeof(*e));
    signal(SIGPIPE, SIG_IGN);
    e->vg.base = event_base_new();
    cr_assert(e->vg.base);
    snprintf(e->vg.hostname, sizeof(e->vg.hostname), "vigil-test-host");
    e->oc.name = (char *)"net.0";
    e->oc.type = (char *)p->name;
    e->oc.plugin = p;
    e->oc.ctx = ctx;
    e->oc.common.compression = compression;
    e->oc.common.format = OUTPUT_FORMAT_MSGPACK;
    e->out.plugin = p;
    e->out.conf = &e->oc;
    e->out.name = e->oc.name;
    e->out.ctx = ctx;
    e->out.vg = &e->vg;
    snprintf(e->dir, sizeof(e->dir), "/tmp/vigil-net-XXXXXX");
    cr_assert(mkdtemp(e->dir));
    memset(&core, 0, sizeof(core));
}

static inline void net_env_fini(struct net_env *e)
{
    char cmd[128];
    event_base_free(e->vg.base);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", e->dir);
}

static inline void net_make_certs(struct net_env *e)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "sh tests/helpers/make_certs.sh '%s/pki'", e->dir);
    cr_assert_eq(system(cmd), 0, "make_certs.sh failed");
}

/* A path inside the env's temp dir (static storage: copy it if kept). */
static inline char *net_path(struct net_env *e, const char *name)
{
    static char buf[4][256];
    static int i;
    char *p = buf[i++ % 4];
    snprintf(p, 256, "%s/%s", e->dir, name);
    return p;
}

static inline int64_t net_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the loop until the plugin reported `want` batches in all, or a
 * generous bound passes (a hang fails the check after, not a timing). */
static inline void net_run_until_done(struct net_env *e, int want, int64_t bound_ms)
{
    int64_t end = net_now_ms() + bound_ms;
    while (core.ndone < want && net_now_ms() < end) {
        struct timeval tv = { 0, 20000 };
        event_base_loopexit(e->vg.base, &tv);
        event_base_loop(e->vg.base, 0);
    }
}

/* Runs the loop for ms (lets callbacks settle). */
static inline void net_run_for(struct net_env *e, int64_t ms)
{
    struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
    event_base_loopexit(e->vg.base, &tv);
    event_base_loop(e->vg.base, 0);
}

/* ---- peers ---- */
struct peer {
    pid_t pid;
    int port;
};

/* Starts /usr/bin/python3 tests/helpers/<script> args... (NULL-terminated). */
static inline struct peer peer_start(const char *script, ...)
{
    const char *argv[32];
    char path[256];
    int n = 0;
    va_list ap;
    snprintf(path, sizeof(path), "tests/helpers/%s", script);
    argv[n++] = "/usr/bin/python3";
    argv[n++] = path;
    va_start(ap, script);
    const char *a;
    while ((a = va_arg(ap, const char *)) && n < 31)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    struct peer p = { 0 };
    p.pid = fork();
    cr_assert(p.pid >= 0);
    if (p.pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    char line[32] = { 0 };
    size_t got = 0;
    while (got < sizeof(line) - 1) {
        ssize_t r = read(fds[0], line + got, 1);
        if (r <= 0 || line[got] == '\n')
            break;
        got++;
    }
    close(fds[0]);
    p.port = atoi(line);
    cr_assert(p.port > 0, "%s did not start", script);
    return p;
}

static inline void peer_stop(struct peer *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        waitpid(p->pid, NULL, 0);
    }
    p->pid = 0;
}

/* Lines the peer wrote to path; waits (bounded) until at least want exist.
 * Returns a malloc'd text (free it). */
static inline char *peer_output(const char *path, int want)
{
    int64_t end = net_now_ms() + 5000;
    for (;;) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = fopen(path, "r");
        if (f) {
            FILE *m = open_memstream(&text, &len);
            int c;
            int lines = 0;
            while ((c = fgetc(f)) != EOF) {
                fputc(c, m);
                lines += c == '\n';
            }
            fclose(f);
            fclose(m);
            if (lines >= want || net_now_ms() > end)
                return text;
            free(text);
        } else if (net_now_ms() > end) {
            return strdup("");
        }
        usleep(20000);
    }
}

static inline int count_lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* ---- batches as the core makes them ---- */

/* n events tagged tag: [tag, EventTime(1700000000+i, 123), {"msg": "event i", "n": i}],
 * LZ4-framed when lz4. Free with net_batch_free. */
static inline struct batch *net_batch(const char *tag, int first, int n, bool lz4)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    for (int i = first; i < first + n; i++) {
        char msg[64];
        unsigned char t[8];
        uint32_t sec = htonl(1700000000u + (uint32_t)i), ns = htonl(123);
        memcpy(t, &sec, 4);
        memcpy(t + 4, &ns, 4);
        int ml = snprintf(msg, sizeof(msg), "event %d", i);
        msgpack_pack_array(&pk, 3);
        msgpack_pack_str_with_body(&pk, tag, strlen(tag));
        msgpack_pack_ext(&pk, 8, 0);
        msgpack_pack_ext_body(&pk, t, 8);
        msgpack_pack_map(&pk, 2);
        msgpack_pack_str_with_body(&pk, "msg", 3);
        msgpack_pack_str_with_body(&pk, msg, (size_t)ml);
        msgpack_pack_str_with_body(&pk, "n", 1);
        msgpack_pack_int(&pk, i);
    }
    struct batch *b = calloc(1, sizeof(*b));
    cr_assert(b);
    b->n_events = (uint32_t)n;
    b->raw_len = sb.size;
    b->format = OUTPUT_FORMAT_MSGPACK;
    if (lz4) {
        LZ4F_preferences_t prefs;
        memset(&prefs, 0, sizeof(prefs));
        prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
        size_t cap = LZ4F_compressFrameBound(sb.size, &prefs);
        b->data = malloc(cap);
        b->len = LZ4F_compressFrame(b->data, cap, sb.data, sb.size, &prefs);
        cr_assert(!LZ4F_isError(b->len));
        b->compression = OUTPUT_COMPRESS_LZ4;
        msgpack_sbuffer_destroy(&sb);
    } else {
        b->data = (unsigned char *)sb.data;   /* sbuffer memory is malloc'd */
        b->len = sb.size;
        b->compression = OUTPUT_COMPRESS_NONE;
    }
    return b;
}

static inline void net_batch_free(struct batch *b)
{
    if (b)
        free(b->data);
    free(b);
}

/* The line the peers print for event i of tag. */
static inline const char *net_event_line(const char *tag, int i)
{
    static char buf[160];
    snprintf(buf, sizeof(buf), "%s %u.000000123 {\"msg\": \"event %d\", \"n\": %d}\n", tag,
             1700000000u + (unsigned)i, i, i);
    return buf;
}

/* ---- options, filled through the plugin's own table (the conf loader's
 * job in vigil), so tests do not depend on the ctx layout ---- */
static inline const struct conf_option *net_opt_find(const struct conf_option *t, const char *key,
                                                     size_t *off)
{
    const char *dot = strchr(key, '.');
    size_t klen = dot ? (size_t)(dot - key) : strlen(key);
    for (; t->key; t++) {
        if (strlen(t->key) != klen || strncmp(t->key, key, klen) != 0)
            continue;
        *off += t->offset;
        if (dot && t->type == CONF_SECTION)
            return net_opt_find(t->sub, dot + 1, off);
        return dot ? NULL : t;
    }
    return NULL;
}

static inline int64_t net_ms(const char *v)
{
    char *end;
    int64_t n = strtoll(v, &end, 10);
    if (strcmp(end, "ms") == 0)
        return n;
    if (strcmp(end, "m") == 0)
        return n * 60000;
    return n * 1000;    /* "s" or bare */
}

static inline void net_opt_set(const struct conf_option *o, char *field, const char *v)
{
    switch (o->type) {
    case CONF_STR:
    case CONF_SECRET:
        free(*(char **)field);
        *(char **)field = v ? strdup(v) : NULL;
        break;
    case CONF_INT:
        *(int64_t *)field = strtoll(v, NULL, 10);
        break;
    case CONF_BOOL:
        *(bool *)field = strcmp(v, "true") == 0;
        break;
    case CONF_DURATION:
        *(int64_t *)field = net_ms(v);
        break;
    case CONF_ENUM:
        for (int i = 0; o->enums[i]; i++)
            if (strcmp(o->enums[i], v) == 0)
                *(int *)field = i;
        break;
    case CONF_STRMAP: {     /* "k1=v1,k2=v2" */
        struct conf_strmap *m = (struct conf_strmap *)field;
        char *copy = strdup(v), *save = NULL;
        for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            if (!eq)
                continue;
            *eq = '\0';
            m->k = realloc(m->k, (m->n + 1) * sizeof(char *));
            m->v = realloc(m->v, (m->n + 1) * sizeof(char *));
            m->k[m->n] = strdup(kv);
            m->v[m->n] = strdup(eq + 1);
            m->n++;
        }
        free(copy);
        break;
    }
    default:
        cr_assert_fail("option type %d not supported by the test helper", o->type);
    }
}

static inline void net_opts_defaults(const struct conf_option *t, void *base)
{
    for (; t->key; t++) {
        if (t->type == CONF_SECTION)
            net_opts_defaults(t->sub, (char *)base + t->offset);
        else if (t->def)
            net_opt_set(t, (char *)base + t->offset, t->def);
    }
}

static inline void net_opt(const struct conf_option *t, void *base, const char *key,
                           const char *v)
{
    size_t off = 0;
    const struct conf_option *o = net_opt_find(t, key, &off);
    cr_assert(o, "no option %s", key);
    net_opt_set(o, (char *)base + off, v);
}

static inline void net_opts_free(const struct conf_option *t, void *base)
{
    for (; t->key; t++) {
        char *f = (char *)base + t->offset;
        if (t->type == CONF_SECTION) {
            net_opts_free(t->sub, f);
        } else if (t->type == CONF_STR || t->type == CONF_SECRET) {
            free(*(char **)f);
            *(char **)f = NULL;
        } else if (t->type == CONF_STRMAP) {
            struct conf_strmap *m = (struct conf_strmap *)f;
            for (size_t i = 0; i < m->n; i++) {
                free(m->k[i]);
                free(m->v[i]);
            }
            free(m->k);
            free(m->v);
            memset(m, 0, sizeof(*m));
        }
    }
}

/* A plugin instance with its ctx allocated and defaulted. */
static inline void *net_ctx_new(const struct output_plugin *p)
{
    void *ctx = calloc(1, p->ctx_size);
    cr_assert(ctx);
    net_opts_defaults(p->options, ctx);
    return ctx;
}

static inline void net_ctx_free(const struct output_plugin *p, void *ctx)
{
    net_opts_free(p->options, ctx);
    free(ctx);
}

#endif
