/* nats.c - the `nats` output: each batch published to a NATS JetStream
 * stream, with a Nats-Msg-Id so the server drops a retried copy.
 *
 * libnats calls block (connect, stream lookup, publish-and-wait-for-ack), so
 * they run on one publisher thread; the loop hands it the batch in flight and
 * learns the outcome through a pipe. One batch is in flight at a time (the
 * core's rule), so the thread needs no queue. With ${tag} in `subject` the
 * batch is split by tag (outputs/batch_split.c): one message per tag on its
 * own subject, and the batch counts as delivered once every one is
 * acknowledged. The message id is derived from the message's bytes: a batch retried after a lost ack - even by a restarted
 * vigil replaying its disk buffer - carries the same id, and JetStream keeps
 * one copy within the stream's duplicate window. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nats/nats.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outputs/batch_read.h"
#include "outputs/batch_split.h"
#include "outputs/output.h"
#include "sidecar/hash.h"
#include "sidecar/log.h"
#include "sidecar/vigil.h"

struct nats_ctx {
    char *url;
    char *stream;
    char *subject;               /* may hold ${tag} */
    int64_t duplicate_window_ms;
    int64_t timeout_ms;
    char *creds_file;
    char *user;
    char *password;
    char *token;
    char *ca_file;
    char *cert_file;
    char *key_file;
    char *server_name;
    /* runtime, loop side */
    struct output *out;
    int pipefd[2];
    struct event *wake;
    struct batch *cur;
    /* shared with the publisher thread, under mu */
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool job, quit;
    struct nats_part {           /* the messages of the batch in flight */
        const void *data;
        size_t len;
        char subj[512];
        char msgid[64];
    } *parts;
    size_t nparts, parts_cap;
    struct batch_split split;    /* their bytes when split by tag; loop side between jobs */
    char err[256];               /* why the last publish failed */
    /* publisher thread only */
    char thread_err[256];
    natsOptions *opts;
    natsConnection *nc;
    jsCtx *js;
    bool stream_ready;
};

#define O(f) offsetof(struct nats_ctx, f)
static const struct conf_option nats_options[] = {
    { "url", CONF_STR, "nats://127.0.0.1:4222", O(url), 0, 0, "server URL(s), comma-separated; tls:// for TLS" },
    { "stream", CONF_STR, "VIGIL", O(stream), 0, 0, "JetStream stream; created with the subject when missing, else used as is" },
    { "subject", CONF_STR, "vigil.${tag}", O(subject), 0, 0, "subject; ${tag} is each event's tag (a batch is split into one message per tag)" },
    { "duplicate_window", CONF_DURATION, "2m", O(duplicate_window_ms), 1000, 86400000,
      "dedup window of a stream vigil creates" },
    { "timeout", CONF_DURATION, "5s", O(timeout_ms), 100, 600000, "wait for the publish acknowledgement" },
    { "creds_file", CONF_STR, NULL, O(creds_file), 0, 0, "NATS user credentials file (JWT + NKey)" },
    { "user", CONF_STR, NULL, O(user), 0, 0, "user name" },
    { "password", CONF_SECRET, NULL, O(password), 0, 0, "password" },
    { "token", CONF_SECRET, NULL, O(token), 0, 0, "authentication token" },
    { "ca_file", CONF_STR, NULL, O(ca_file), 0, 0, "CA bundle to verify the server (turns TLS on)" },
    { "cert_file", CONF_STR, NULL, O(cert_file), 0, 0, "client certificate" },
    { "key_file", CONF_STR, NULL, O(key_file), 0, 0, "client key" },
    { "server_name", CONF_STR, NULL, O(server_name), 0, 0, "expected host name in the server certificate" },
    { 0 }
};
#undef O

/* Two independent 64-bit hashes of the bytes: 128 bits of id. */
static void batch_msgid(const void *data, size_t len, char *out, size_t cap)
{
    uint64_t a = hash_fnv1a(data, len, HASH_FNV_INIT);
    uint64_t b = hash_keyed(len, 0x9e3779b97f4a7c15ull, data, len);
    snprintf(out, cap, "%016" PRIx64 "%016" PRIx64 "-%zu", a, b, len);
}

/* Result codes sent through the pipe. */
enum { NATS_RES_OK = 'K', NATS_RES_RETRY = 'R' };

/* Thread side: the reason goes to thread_err, copied to err under mu. */
static void thread_fail(struct nats_ctx *n, const char *what, natsStatus s, jsErrCode je)
{
    if (je)
        snprintf(n->thread_err, sizeof(n->thread_err), "%s: %s (JetStream error %d)", what,
                 natsStatus_GetText(s), (int)je);
    else
        snprintf(n->thread_err, sizeof(n->thread_err), "%s: %s", what, natsStatus_GetText(s));
}

static natsStatus ensure_stream(struct nats_ctx *n, jsErrCode *je)
{
    jsStreamInfo *si = NULL;
    natsStatus s = js_GetStreamInfo(&si, n->js, n->stream, NULL, je);
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        return NATS_OK;
    }
    if (s != NATS_NOT_FOUND)
        return s;
    /* The stream takes every subject vigil may derive from its pattern. */
    char subj[512];
    const char *v = strstr(n->subject, "${tag}");
    if (v)
        snprintf(subj, sizeof(subj), "%.*s>", (int)(v - n->subject), n->subject);
    else
        snprintf(subj, sizeof(subj), "%s", n->subject);
    const char *subjects[1] = { subj };
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = n->stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Duplicates = n->duplicate_window_ms * 1000000;
    s = js_AddStream(&si, n->js, &cfg, NULL, je);
    if (s == NATS_OK)
        jsStreamInfo_Destroy(si);
    return s;
}

static bool publish_once(struct nats_ctx *n, const void *data, size_t len, const char *subj,
                         const char *msgid)
{
    natsStatus s;
    jsErrCode je = 0;
    if (!n->nc) {
        s = natsConnection_Connect(&n->nc, n->opts);
        if (s != NATS_OK) {
            thread_fail(n, "connect", s, 0);
            n->nc = NULL;
            return false;
        }
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.Wait = n->timeout_ms;
        s = natsConnection_JetStream(&n->js, n->nc, &jo);
        if (s != NATS_OK) {
            thread_fail(n, "jetstream", s, 0);
            return false;
        }
    }
    if (!n->stream_ready) {
        s = ensure_stream(n, &je);
        if (s != NATS_OK) {
            thread_fail(n, "stream", s, je);
            return false;
        }
        n->stream_ready = true;
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = msgid;
    po.MaxWait = n->timeout_ms;
    jsPubAck *pa = NULL;
    s = js_Publish(&pa, n->js, subj, data, (int)len, &po, &je);
    if (s != NATS_OK) {
        thread_fail(n, "publish", s, je);
        if (s == NATS_NOT_FOUND || je == JSStreamNotFoundErr)
            n->stream_ready = false;
        return false;
    }
    jsPubAck_Destroy(pa);
    return true;
}

static void *publisher(void *arg)
{
    struct nats_ctx *n = arg;
    pthread_mutex_lock(&n->mu);
    for (;;) {
        while (!n->job && !n->quit)
            pthread_cond_wait(&n->cv, &n->mu);
        if (n->quit)
            break;
        /* parts stays untouched by the loop while job is set */
        const struct nats_part *parts = n->parts;
        size_t np = n->nparts;
        pthread_mutex_unlock(&n->mu);
        char res = NATS_RES_OK;
        for (size_t i = 0; i < np && res == NATS_RES_OK; i++)
            if (!publish_once(n, parts[i].data, parts[i].len, parts[i].subj, parts[i].msgid))
                res = NATS_RES_RETRY;
        pthread_mutex_lock(&n->mu);
        n->job = false;
        if (res != NATS_RES_OK)
            memcpy(n->err, n->thread_err, sizeof(n->err));
        if (write(n->pipefd[1], &res, 1) < 0) {
            /* the loop reads the pipe; a full pipe cannot happen with one job */
        }
    }
    pthread_mutex_unlock(&n->mu);
    return NULL;
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct nats_ctx *n = arg;
    char res;
    while (read(fd, &res, 1) == 1) {
        struct batch *b = n->cur;
        if (!b)
            continue;
        n->cur = NULL;
        if (res == NATS_RES_OK) {
            output_done(n->out, b, OUTPUT_OK);
        } else {
            char why[sizeof(n->err)];
            pthread_mutex_lock(&n->mu);
            memcpy(why, n->err, sizeof(why));
            pthread_mutex_unlock(&n->mu);
            output_error(n->out, "nats: %s", why);
            output_done(n->out, b, OUTPUT_RETRY);
        }
    }
}

static int nats_init(struct output *out)
{
    struct nats_ctx *n = out->ctx;
    n->out = out;
    n->pipefd[0] = n->pipefd[1] = -1;
    pthread_mutex_init(&n->mu, NULL);
    pthread_cond_init(&n->cv, NULL);
    int fmt = out->conf ? out->conf->common.format : OUTPUT_FORMAT_MSGPACK;
    int z = out->conf ? out->conf->common.compression : OUTPUT_COMPRESS_NONE;
    if (n->subject && strstr(n->subject, "${tag}") &&
        (fmt == OUTPUT_FORMAT_TEXT || (fmt == OUTPUT_FORMAT_JSON && z != OUTPUT_COMPRESS_NONE))) {
        output_log(out, LOG_ERROR, "nats: a subject with ${tag} needs format msgpack, or json "
                                   "without compression (the batch is split by tag)");
        return -1;
    }
    natsStatus s = natsOptions_Create(&n->opts);
    if (s == NATS_OK)
        s = natsOptions_SetURL(n->opts, n->url);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(n->opts, n->timeout_ms);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(n->opts, -1);
    if (s == NATS_OK && n->creds_file)
        s = natsOptions_SetUserCredentialsFromFiles(n->opts, n->creds_file, NULL);
    if (s == NATS_OK && n->user)
        s = natsOptions_SetUserInfo(n->opts, n->user, n->password ? n->password : "");
    if (s == NATS_OK && n->token)
        s = natsOptions_SetToken(n->opts, n->token);
    if (s == NATS_OK && (n->ca_file || strncmp(n->url, "tls://", 6) == 0)) {
        s = natsOptions_SetSecure(n->opts, true);
        if (s == NATS_OK && n->ca_file)
            s = natsOptions_LoadCATrustedCertificates(n->opts, n->ca_file);
        if (s == NATS_OK && n->cert_file && n->key_file)
            s = natsOptions_LoadCertificatesChain(n->opts, n->cert_file, n->key_file);
        if (s == NATS_OK && n->server_name)
            s = natsOptions_SetExpectedHostname(n->opts, n->server_name);
    }
    if (s != NATS_OK) {
        output_log(out, LOG_ERROR, "nats options: %s", natsStatus_GetText(s));
        return -1;
    }
    if (pipe2(n->pipefd, O_NONBLOCK | O_CLOEXEC) < 0) {
        output_log(out, LOG_ERROR, "pipe: %s", strerror(errno));
        return -1;
    }
    n->wake = event_new(out->vg->base, n->pipefd[0], EV_READ | EV_PERSIST, wake_cb, n);
    if (!n->wake || event_add(n->wake, NULL) < 0)
        return -1;
    if (pthread_create(&n->thread, NULL, publisher, n) != 0) {
        output_log(out, LOG_ERROR, "cannot start the publisher thread");
        return -1;
    }
    n->thread_started = true;
    return 0;
}

/* One message to publish: subject from the pattern and tag (NULL: none). */
static int add_part(struct nats_ctx *n, const void *data, size_t len, const struct span *tag)
{
    if (n->nparts == n->parts_cap) {
        size_t cap = n->parts_cap ? n->parts_cap * 2 : 4;
        struct nats_part *p = realloc(n->parts, cap * sizeof(*p));
        if (!p)
            return -1;
        n->parts = p;
        n->parts_cap = cap;
    }
    struct nats_part *pt = &n->parts[n->nparts++];
    pt->data = data;
    pt->len = len;
    batch_msgid(data, len, pt->msgid, sizeof(pt->msgid));
    const char *v = strstr(n->subject, "${tag}");
    if (v && tag) {
        struct span t = tag->len ? *tag : SPAN_LIT("vigil");
        snprintf(pt->subj, sizeof(pt->subj), "%.*s%.*s%s", (int)(v - n->subject), n->subject,
                 (int)t.len, t.p, v + 6);
        /* Subjects are dot-separated tokens: no spaces or wildcards from a tag. */
        for (char *c = pt->subj; *c; c++)
            if (*c == ' ' || *c == '*' || *c == '>' || (unsigned char)*c < 0x21)
                *c = '_';
    } else {
        snprintf(pt->subj, sizeof(pt->subj), "%s", n->subject);
    }
    return 0;
}

static void nats_flush(struct output *out, struct batch *b)
{
    struct nats_ctx *n = out->ctx;
    pthread_mutex_lock(&n->mu);   /* the thread is idle: no job in flight */
    n->nparts = 0;
    int rc = 0;
    if (strstr(n->subject, "${tag}")) {
        rc = batch_split_by_tag(&n->split, b);
        for (size_t i = 0; rc == 0 && i < n->split.n; i++) {
            struct span t = span_make(n->split.g[i].tag, n->split.g[i].tag_len);
            rc = add_part(n, n->split.g[i].data.p, n->split.g[i].data.len, &t) < 0 ? -2 : 0;
        }
    } else {
        rc = add_part(n, b->data, b->len, NULL) < 0 ? -2 : 0;
    }
    if (rc < 0) {
        pthread_mutex_unlock(&n->mu);
        output_error(out, "nats: %s", rc == -2 ? "out of memory splitting a batch by tag"
                                               : "cannot split the batch by tag");
        output_done(out, b, rc == -2 ? OUTPUT_RETRY : OUTPUT_REJECT);
        return;
    }
    n->cur = b;
    n->job = true;
    pthread_cond_signal(&n->cv);
    pthread_mutex_unlock(&n->mu);
}

static void nats_destroy(struct output *out)
{
    struct nats_ctx *n = out->ctx;
    if (n->thread_started) {
        pthread_mutex_lock(&n->mu);
        n->quit = true;
        pthread_cond_signal(&n->cv);
        pthread_mutex_unlock(&n->mu);
        pthread_join(n->thread, NULL);
    }
    n->cur = NULL;   /* the core owns and frees a batch still in flight */
    if (n->wake)
        event_free(n->wake);
    if (n->js)
        jsCtx_Destroy(n->js);
    if (n->nc) {
        natsConnection_Close(n->nc);
        natsConnection_Destroy(n->nc);
    }
    if (n->opts)
        natsOptions_Destroy(n->opts);
    if (n->pipefd[0] >= 0)
        close(n->pipefd[0]);
    if (n->pipefd[1] >= 0)
        close(n->pipefd[1]);
    pthread_mutex_destroy(&n->mu);
    pthread_cond_destroy(&n->cv);
    free(n->parts);
    n->parts = NULL;
    batch_split_free(&n->split);
}

/* Identity of the destination, for the disk buffer (output.h). */
static void nats_destination(const void *ctx, char *dst, size_t cap)
{
    const struct nats_ctx *c = ctx;
    snprintf(dst, cap, "%s %s %s", c->url ? c->url : "", c->stream ? c->stream : "", c->subject ? c->subject : "");
}

const struct output_plugin output_nats = {
    .name = "nats",
    .options = nats_options,
    .ctx_size = sizeof(struct nats_ctx),
    .default_format = OUTPUT_FORMAT_MSGPACK,
    .default_compression = OUTPUT_COMPRESS_LZ4,
    .compressions = (1u << OUTPUT_COMPRESS_NONE) | (1u << OUTPUT_COMPRESS_LZ4),
    .destination = nats_destination,
    .init = nats_init,
    .flush = nats_flush,
    .destroy = nats_destroy,
};
