/* kafka.c - the `kafka` output: batches or single events as Kafka messages,
 * through librdkafka's idempotent producer.
 *
 * A vigil batch is handed to librdkafka as one message (`message: batch`;
 * with ${tag} in `topic`, one message per tag in the batch, each on its own
 * topic, its value the msgpack entries of that tag) or as one message per event (`message: event`, the record alone as msgpack or
 * JSON, keyed by a record field). Delivery reports drive the core: the batch
 * is OK only when every one of its messages was acknowledged (acks=all by
 * default); any failure makes the whole batch RETRY, and the idempotent
 * producer plus the core's ordering keep duplicates to the retried batch.
 * librdkafka runs its own threads; its main queue wakes our loop through a
 * pipe (rd_kafka_queue_io_event_enable), so delivery reports arrive on the
 * loop's thread. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outputs/batch_read.h"
#include "outputs/batch_split.h"
#include "outputs/output.h"
#include "sidecar/log.h"
#include "sidecar/vigil.h"

enum kafka_message { KAFKA_MESSAGE_BATCH, KAFKA_MESSAGE_EVENT };

struct kafka_ctx {
    char *brokers;
    char *topic;                 /* may hold ${tag} */
    char *key;                   /* record field for the message key; "" = none */
    int message;                 /* enum kafka_message */
    char *acks;
    bool idempotence;
    int64_t delivery_timeout_ms;
    int64_t linger_ms;
    struct conf_strmap properties;
    char *sasl_username;
    char *sasl_password;
    /* runtime */
    struct output *out;
    rd_kafka_t *rk;
    rd_kafka_queue_t *mainq;
    int pipefd[2];
    struct event *wake;
    struct event *poll_timer;
    int codec;                   /* enum output_compression moved to the broker level */
    struct batch *cur;           /* batch whose messages are in flight */
    uint64_t gen;                /* tags messages of cur; stale reports are ignored */
    unsigned outstanding;
    bool failed;
    char err[200];
    struct buf scratch;          /* per-event payloads and topic names */
    struct buf topicbuf;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    struct batch_split split;    /* message: batch with ${tag}: one message per tag */
};

static const char *const message_names[] = { "batch", "event", NULL };

#define O(f) offsetof(struct kafka_ctx, f)
static const struct conf_option kafka_options[] = {
    { "brokers", CONF_STR, NULL, O(brokers), 0, 0, "bootstrap brokers, host:port[,host:port...]", .flags = CONF_REQUIRED },
    { "topic", CONF_STR, "vigil.${tag}", O(topic), 0, 0, "topic; ${tag} is replaced by the event's tag" },
    { "key", CONF_STR, "host", O(key), 0, 0, "record field used as message key (message: event); empty for none" },
    { "message", CONF_ENUM, "batch", O(message), 0, 0,
      "batch: one vigil batch per message; event: one event per message", .enums = message_names },
    { "acks", CONF_STR, "all", O(acks), 0, 0, "acks required from the brokers: all, 1 or 0" },
    { "idempotence", CONF_BOOL, "true", O(idempotence), 0, 0, "idempotent producer (no duplicates on producer retries)" },
    { "delivery_timeout", CONF_DURATION, "30s", O(delivery_timeout_ms), 1000, 3600000,
      "after this a message counts as failed and the batch is retried by vigil" },
    { "linger", CONF_DURATION, "5ms", O(linger_ms), 0, 10000, "librdkafka linger.ms" },
    { "sasl_username", CONF_STR, NULL, O(sasl_username), 0, 0, "SASL user (with properties security.protocol / sasl.mechanisms)" },
    { "sasl_password", CONF_SECRET, NULL, O(sasl_password), 0, 0, "SASL password" },
    { "properties", CONF_STRMAP, NULL, O(properties), 0, 0,
      "any other librdkafka property, passed through (e.g. security.protocol: ssl, ssl.ca.location)" },
    { 0 }
};
#undef O

static void finish_if_done(struct kafka_ctx *k)
{
    if (!k->cur || k->outstanding)
        return;
    struct batch *b = k->cur;
    k->cur = NULL;
    if (k->failed) {
        output_error(k->out, "kafka: %s", k->err);
        output_done(k->out, b, OUTPUT_RETRY);
    } else {
        output_done(k->out, b, OUTPUT_OK);
    }
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct kafka_ctx *k = opaque;
    if ((uint64_t)(uintptr_t)m->_private != k->gen || !k->cur)
        return;   /* a report for a batch already given up on */
    if (m->err) {
        k->failed = true;
        snprintf(k->err, sizeof(k->err), "delivery to %s failed: %s",
                 m->rkt ? rd_kafka_topic_name(m->rkt) : "?", rd_kafka_err2str(m->err));
    }
    if (k->outstanding)
        k->outstanding--;
    finish_if_done(k);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    struct kafka_ctx *k = rd_kafka_opaque(rk);
    if (level <= 3)
        output_log(k->out, LOG_WARN, "kafka %s: %s", fac, buf);
    else if (level <= 5)
        output_log(k->out, LOG_DEBUG, "kafka %s: %s", fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    struct kafka_ctx *k = opaque;
    output_error(k->out, "kafka: %s: %s", rd_kafka_err2name(err), reason);
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct kafka_ctx *k = arg;
    char drain[64];
    while (read(fd, drain, sizeof(drain)) > 0)
        ;
    rd_kafka_poll(k->rk, 0);
}

static void poll_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct kafka_ctx *k = arg;
    rd_kafka_poll(k->rk, 0);
}

static int set(struct output *out, rd_kafka_conf_t *c, const char *key, const char *val)
{
    char err[256];
    if (rd_kafka_conf_set(c, key, val, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        output_log(out, LOG_ERROR, "kafka property %s: %s", key, err);
        return -1;
    }
    return 0;
}

static int kafka_init(struct output *out)
{
    struct kafka_ctx *k = out->ctx;
    char err[512], num[32];
    k->out = out;
    k->pipefd[0] = k->pipefd[1] = -1;
    msgpack_sbuffer_init(&k->sb);
    msgpack_packer_init(&k->pk, &k->sb, msgpack_sbuffer_write);
    /* `compression:` means the broker-level codec here: librdkafka compresses
     * whole message sets, which beats framing each message. */
    static const char *const codecs[] = { "none", "lz4", "gzip" };
    k->codec = out->conf->common.compression;
    out->conf->common.compression = OUTPUT_COMPRESS_NONE;
    if (out->conf->common.format == OUTPUT_FORMAT_TEXT && strstr(k->topic, "${tag}")) {
        output_log(out, LOG_ERROR, "kafka: a topic with ${tag} needs format msgpack or json "
                                   "(text lines cannot be split by tag)");
        return -1;
    }

    rd_kafka_conf_t *c = rd_kafka_conf_new();
    snprintf(num, sizeof(num), "%lld", (long long)k->delivery_timeout_ms);
    if (set(out, c, "bootstrap.servers", k->brokers) < 0 || set(out, c, "acks", k->acks) < 0 ||
        set(out, c, "enable.idempotence", k->idempotence ? "true" : "false") < 0 ||
        set(out, c, "compression.codec", codecs[k->codec]) < 0 ||
        set(out, c, "delivery.timeout.ms", num) < 0)
        goto fail_conf;
    snprintf(num, sizeof(num), "%lld", (long long)k->linger_ms);
    if (set(out, c, "linger.ms", num) < 0)
        goto fail_conf;
    if (k->sasl_username && (set(out, c, "sasl.username", k->sasl_username) < 0 ||
                             set(out, c, "sasl.password", k->sasl_password ? k->sasl_password : "") < 0))
        goto fail_conf;
    for (size_t i = 0; i < k->properties.n; i++)
        if (set(out, c, k->properties.k[i], k->properties.v[i]) < 0)
            goto fail_conf;
    rd_kafka_conf_set_opaque(c, k);
    rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    rd_kafka_conf_set_log_cb(c, log_cb);
    rd_kafka_conf_set_error_cb(c, error_cb);
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    if (!k->rk) {
        output_log(out, LOG_ERROR, "kafka: %s", err);
        goto fail_conf;
    }
    if (pipe2(k->pipefd, O_NONBLOCK | O_CLOEXEC) < 0) {
        output_log(out, LOG_ERROR, "pipe: %s", strerror(errno));
        return -1;
    }
    k->mainq = rd_kafka_queue_get_main(k->rk);
    rd_kafka_queue_io_event_enable(k->mainq, k->pipefd[1], "1", 1);
    k->wake = event_new(out->vg->base, k->pipefd[0], EV_READ | EV_PERSIST, wake_cb, k);
    k->poll_timer = event_new(out->vg->base, -1, EV_PERSIST, poll_cb, k);
    if (!k->wake || !k->poll_timer)
        return -1;
    struct timeval tv = { 0, 200 * 1000 };
    event_add(k->wake, NULL);
    event_add(k->poll_timer, &tv);
    return 0;
fail_conf:
    rd_kafka_conf_destroy(c);
    return -1;
}

/* "vigil.${tag}" -> "vigil.app.api". Returns a NUL-terminated topic name. */
static const char *topic_for(struct kafka_ctx *k, struct span tag)
{
    k->topicbuf.len = 0;
    const char *t = k->topic;
    const char *v = strstr(t, "${tag}");
    if (!v)
        return t;
    if (buf_append(&k->topicbuf, t, (size_t)(v - t)) < 0 || buf_append(&k->topicbuf, tag.p, tag.len) < 0 ||
        buf_append(&k->topicbuf, v + 6, strlen(v + 6) + 1) < 0)
        return t;
    /* Kafka topic names allow [a-zA-Z0-9._-]; anything else in a tag becomes '_'. */
    for (size_t i = 0; i + 1 < k->topicbuf.len; i++) {
        char ch = (char)k->topicbuf.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            k->topicbuf.p[i] = '_';
    }
    return (const char *)k->topicbuf.p;
}

static int produce(struct kafka_ctx *k, const char *topic, const void *val, size_t len,
                   const void *key, size_t keylen)
{
    rd_kafka_resp_err_t e = rd_kafka_producev(
        k->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE((void *)val, len),
        RD_KAFKA_V_KEY((void *)key, keylen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE((void *)(uintptr_t)k->gen), RD_KAFKA_V_END);
    if (e) {
        k->failed = true;
        snprintf(k->err, sizeof(k->err), "produce to %s: %s", topic, rd_kafka_err2str(e));
        return -1;
    }
    k->outstanding++;
    return 0;
}

static const msgpack_object *map_get(const msgpack_object *m, const char *key)
{
    if (!m || m->type != MSGPACK_OBJECT_MAP || !key || !*key)
        return NULL;
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object *kk = &m->via.map.ptr[i].key;
        if (kk->type == MSGPACK_OBJECT_STR && kk->via.str.size == kl &&
            memcmp(kk->via.str.ptr, key, kl) == 0)
            return &m->via.map.ptr[i].val;
    }
    return NULL;
}

struct split_state {
    struct kafka_ctx *k;
    int format;
};

static int event_cb(void *arg, const struct batch_entry *e)
{
    struct split_state *s = arg;
    struct kafka_ctx *k = s->k;
    const void *val;
    size_t len;
    if (s->format == OUTPUT_FORMAT_JSON) {
        k->scratch.len = 0;
        if (batch_entry_to_json(&k->scratch, e) < 0)
            return -1;
        val = k->scratch.p;
        len = k->scratch.len;
    } else {
        msgpack_sbuffer_clear(&k->sb);
        msgpack_pack_object(&k->pk, *e->record);
        val = k->sb.data;
        len = k->sb.size;
    }
    const msgpack_object *kv = map_get(e->record, k->key);
    const void *key = NULL;
    size_t keylen = 0;
    if (kv && kv->type == MSGPACK_OBJECT_STR) {
        key = kv->via.str.ptr;
        keylen = kv->via.str.size;
    }
    return produce(k, topic_for(k, e->tag), val, len, key, keylen) < 0 ? -1 : 0;
}

static void kafka_flush(struct output *out, struct batch *b)
{
    struct kafka_ctx *k = out->ctx;
    k->cur = b;
    k->gen++;
    k->outstanding = 0;
    k->failed = false;
    k->err[0] = 0;
    struct split_state s = { .k = k, .format = b->format };
    if (k->message == KAFKA_MESSAGE_EVENT && b->format != OUTPUT_FORMAT_TEXT) {
        if (batch_read(b->data, b->len, event_cb, NULL, &s, NULL) < 0) {
            k->failed = true;
            snprintf(k->err, sizeof(k->err), "cannot decode batch");
        }
    } else if (strstr(k->topic, "${tag}")) {
        /* One message per tag in the batch, each on its tag's topic. */
        int rc = batch_split_by_tag(&k->split, b);
        if (rc < 0) {
            k->failed = true;
            snprintf(k->err, sizeof(k->err), "%s", rc == -2 ? "out of memory splitting a batch by tag"
                                                             : "cannot split batch by tag");
        }
        for (size_t i = 0; rc == 0 && i < k->split.n; i++) {
            const struct batch_group *g = &k->split.g[i];
            if (produce(k, topic_for(k, span_make(g->tag, g->tag_len)), g->data.p, g->data.len,
                        NULL, 0) < 0)
                break;
        }
    } else {
        produce(k, topic_for(k, SPAN_NULL), b->data, b->len, NULL, 0);
    }
    rd_kafka_poll(k->rk, 0);
    finish_if_done(k);
}

static void kafka_shutdown(struct output *out)
{
    struct kafka_ctx *k = out->ctx;
    if (k->rk)
        rd_kafka_flush(k->rk, 2000);
}

static void kafka_destroy(struct output *out)
{
    struct kafka_ctx *k = out->ctx;
    if (k->wake)
        event_free(k->wake);
    if (k->poll_timer)
        event_free(k->poll_timer);
    /* A batch still in flight stays the core's: it was spilled to the disk
     * buffer at shutdown and is freed by the core. */
    k->cur = NULL;
    if (k->mainq)
        rd_kafka_queue_destroy(k->mainq);
    if (k->rk)
        rd_kafka_destroy(k->rk);
    if (k->pipefd[0] >= 0)
        close(k->pipefd[0]);
    if (k->pipefd[1] >= 0)
        close(k->pipefd[1]);
    buf_free(&k->scratch);
    buf_free(&k->topicbuf);
    batch_split_free(&k->split);
    msgpack_sbuffer_destroy(&k->sb);
}

/* Identity of the destination, for the disk buffer (output.h). */
static void kafka_destination(const void *ctx, char *dst, size_t cap)
{
    const struct kafka_ctx *c = ctx;
    snprintf(dst, cap, "%s %s", c->brokers ? c->brokers : "", c->topic ? c->topic : "");
}

const struct output_plugin output_kafka = {
    .name = "kafka",
    .options = kafka_options,
    .ctx_size = sizeof(struct kafka_ctx),
    .default_format = OUTPUT_FORMAT_MSGPACK,
    .default_compression = OUTPUT_COMPRESS_LZ4,
    .compressions = (1u << OUTPUT_COMPRESS_NONE) | (1u << OUTPUT_COMPRESS_LZ4) | (1u << OUTPUT_COMPRESS_GZIP),
    .destination = kafka_destination,
    .init = kafka_init,
    .flush = kafka_flush,
    .shutdown = kafka_shutdown,
    .destroy = kafka_destroy,
};
