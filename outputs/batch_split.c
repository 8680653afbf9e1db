/* batch_split.c - a batch's events grouped by tag (batch_split.h). */
#include "outputs/batch_split.h"

#include <lz4frame.h>
#include <msgpack.h>
#include <string.h>

#include "conf/conf.h"
#include "outputs/batch_read.h"

static int buf_write(void *data, const char *p, size_t n)
{
    return buf_append(data, p, n);
}

/* The group of tag, made when new. NULL on allocation failure. */
static struct batch_group *group_of(struct batch_split *s, const char *tag, size_t len)
{
    if (len > TAG_MAX_BYTES)
        len = TAG_MAX_BYTES;
    for (size_t i = 0; i < s->n; i++)
        if (s->g[i].tag_len == len && memcmp(s->g[i].tag, tag, len) == 0)
            return &s->g[i];
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        struct batch_group *g = realloc(s->g, cap * sizeof(*g));
        if (!g)
            return NULL;
        memset(g + s->cap, 0, (cap - s->cap) * sizeof(*g));
        s->g = g;
        s->cap = cap;
    }
    struct batch_group *g = &s->g[s->n++];
    memcpy(g->tag, tag, len);
    g->tag_len = len;
    g->data.len = 0;
    g->n_events = 0;
    return g;
}

/* One entry appended to its group as [tag, EventTime, record]. */
static int split_entry(void *arg, const struct batch_entry *e)
{
    struct batch_split *s = arg;
    struct batch_group *g = group_of(s, e->tag.p, e->tag.len);
    if (!g) {
        s->rc = -2;
        return 1;
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, &g->data, buf_write);
    int64_t sec = e->ts / 1000000000LL, nsec = e->ts % 1000000000LL;
    if (nsec < 0) {
        sec--;
        nsec += 1000000000LL;
    }
    unsigned char t[8];
    for (int i = 0; i < 4; i++) {
        t[i] = (unsigned char)((uint64_t)sec >> (24 - 8 * i));
        t[4 + i] = (unsigned char)((uint64_t)nsec >> (24 - 8 * i));
    }
    int rc = msgpack_pack_array(&pk, 3);
    rc |= msgpack_pack_str_with_body(&pk, e->tag.p, e->tag.len);
    rc |= msgpack_pack_ext_with_body(&pk, t, 8, 0);
    rc |= msgpack_pack_object(&pk, *e->record);
    if (rc) {
        s->rc = -2;
        return 1;
    }
    g->n_events++;
    return 0;
}

/* JSON lines {"ts":..,"tag":"...",...}: grouped by the tag as written. */
static int split_json(struct batch_split *s, const unsigned char *p, size_t len)
{
    static const char key[] = "\"tag\":\"";
    size_t i = 0;
    while (i < len) {
        const unsigned char *nl = memchr(p + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - p) + 1 : len;
        const unsigned char *line = p + i;
        size_t n = end - i;
        const unsigned char *k = memmem(line, n, key, sizeof(key) - 1);
        if (!k)
            return -1;
        const unsigned char *t = k + sizeof(key) - 1, *q = t;
        while (q < line + n && *q != '"')
            q += *q == '\\' ? 2 : 1;
        if (q >= line + n)
            return -1;
        struct batch_group *g = group_of(s, (const char *)t, (size_t)(q - t));
        if (!g || buf_append(&g->data, line, n) < 0)
            return -2;
        g->n_events++;
        i = end;
    }
    return 0;
}

/* Replaces g's bytes by one LZ4 frame of them, as the batch writer makes. */
static int frame_lz4(struct batch_split *s, struct batch_group *g)
{
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.frameInfo.contentSize = g->data.len;
    s->plain.len = 0;
    if (buf_append(&s->plain, g->data.p, g->data.len) < 0)
        return -2;
    size_t cap = LZ4F_compressFrameBound(s->plain.len, &prefs);
    g->data.len = 0;
    if (buf_reserve(&g->data, cap) < 0)
        return -2;
    size_t n = LZ4F_compressFrame(g->data.p, cap, s->plain.p, s->plain.len, &prefs);
    if (LZ4F_isError(n))
        return -2;
    g->data.len = n;
    return 0;
}

int batch_split_by_tag(struct batch_split *s, const struct batch *b)
{
    s->n = 0;
    s->rc = 0;
    if (b->format == OUTPUT_FORMAT_JSON && b->compression == OUTPUT_COMPRESS_NONE)
        return split_json(s, b->data, b->len);
    if (b->format != OUTPUT_FORMAT_MSGPACK)
        return -1;
    struct batch_read_stats st;
    int rc = batch_read(b->data, b->len, split_entry, NULL, s, &st);
    if (s->rc)
        return s->rc;
    if (rc != 0)
        return rc < 0 ? -2 : -1;
    for (size_t i = 0; b->compression == OUTPUT_COMPRESS_LZ4 && i < s->n; i++)
        if ((rc = frame_lz4(s, &s->g[i])) < 0)
            return rc;
    return 0;
}

void batch_split_free(struct batch_split *s)
{
    for (size_t i = 0; i < s->cap; i++)
        buf_free(&s->g[i].data);
    free(s->g);
    buf_free(&s->plain);
    memset(s, 0, sizeof(*s));
}
