/* merge.c - the event-time merge of sources (see merge.h).
 * Each source keeps a FIFO of held records (one malloc'd copy each, strings
 * included, so the read buffer can move on); the sources holding records
 * sit in a binary heap by the key of their oldest one. A record leaves when
 * no source with unread bytes is empty, that is when every source that may
 * still produce an earlier record has shown its next one. */
#include "sidecar/merge.h"

#include <stdlib.h>
#include <string.h>

#include "sidecar/inputs/input.h"
#include "sidecar/limits.h"
#include "sidecar/log.h"
#include "sidecar/pipeline.h"
#include "sidecar/vigil.h"

struct merge_item {
    struct merge_item *next;
    int64_t key;
    uint64_t safe_before;        /* the source's safe offset before this record */
    size_t size;                 /* bytes of this allocation */
    struct span raw, host;
    int64_t ts, read_ts;
    const char *parse_error;
    uint32_t repeat, nfields;
    uint8_t kind;
    bool ts_from_line, truncated, overflow;
    int16_t known[RK__COUNT];
    struct field fields[];       /* nfields, then the bytes of every string */
};

static int span_cmp(struct span a, struct span b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

/* Heap order: key, then input name, path and opening order, so a tie never
 * depends on where an input sits in the configuration. */
static bool head_before(const struct source *a, const struct source *b)
{
    int64_t ka = a->mq_head->key, kb = b->mq_head->key;
    if (ka != kb)
        return ka < kb;
    int c = span_cmp(a->in->name, b->in->name);
    if (!c)
        c = span_cmp(a->path, b->path);
    return c ? c < 0 : a->mq_order < b->mq_order;
}

static void heap_set(struct merge *m, size_t i, struct source *s)
{
    m->heap[i] = s;
    s->heap_pos = i + 1;
}

static void heap_up(struct merge *m, size_t i)
{
    struct source *s = m->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!head_before(s, m->heap[p]))
            break;
        heap_set(m, i, m->heap[p]);
        i = p;
    }
    heap_set(m, i, s);
}

static void heap_down(struct merge *m, size_t i)
{
    struct source *s = m->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m->nheap)
            break;
        if (c + 1 < m->nheap && head_before(m->heap[c + 1], m->heap[c]))
            c++;
        if (!head_before(m->heap[c], s))
            break;
        heap_set(m, i, m->heap[c]);
        i = c;
    }
    heap_set(m, i, s);
}

static int heap_reserve(struct merge *m)
{
    if (m->nheap < m->heap_cap)
        return 0;
    size_t nc = m->heap_cap ? 2 * m->heap_cap : 64;
    struct source **h = realloc(m->heap, nc * sizeof(*h));
    if (!h)
        return -1;
    m->heap = h;
    m->heap_cap = nc;
    return 0;
}

/* s holds a record now; heap_reserve() made room. */
static void heap_add(struct merge *m, struct source *s)
{
    heap_set(m, m->nheap++, s);
    heap_up(m, m->nheap - 1);
}

static void heap_remove(struct merge *m, struct source *s)
{
    size_t i = s->heap_pos - 1;
    s->heap_pos = 0;
    struct source *last = m->heap[--m->nheap];
    if (last == s)
        return;
    heap_set(m, i, last);
    if (i > 0 && head_before(last, m->heap[(i - 1) / 2]))
        heap_up(m, i);
    else
        heap_down(m, i);
}

/* A source blocks the merge while it may produce a record and shows none.
 * One whose lines carry no time (seen some, none timed) never does: there is
 * no order to keep with it. */
static void blocking_update(struct merge *m, struct source *s)
{
    bool b = s->unread && s->mq_n == 0 && (s->mq_timed || !s->mq_keyed);
    if (b == s->blocking)
        return;
    s->blocking = b;
    if (b)
        m->blocking++;
    else
        m->blocking--;
}

static void note_source(struct merge *m, struct source *s)
{
    if (!s->mq_order)
        s->mq_order = ++m->opened;
}

/* Non-decreasing within the source: an untimed or backwards record keeps its
 * place after the one before it. */
static int64_t record_key(struct source *s, const struct record *r)
{
    int64_t k = r->ts_from_line ? r->ts : INT64_MIN;
    s->mq_timed |= r->ts_from_line;
    if (s->mq_keyed && k < s->mq_key)
        k = s->mq_key;
    s->mq_key = k;
    s->mq_keyed = true;
    return k;
}

static size_t span_room(struct span s)
{
    return s.p ? s.len : 0;
}

/* A value that is a slice of the line: the held copy keeps it a slice of
 * the held line (no second copy, and the outputs still see a slice). */
static bool span_within(struct span v, struct span line)
{
    return v.p && line.p && v.p >= line.p && v.len <= line.len &&
           (size_t)(v.p - line.p) <= line.len - v.len;
}

static struct span span_put(char **at, struct span s)
{
    if (!s.p)
        return s;
    struct span out = span_make(*at, s.len);
    if (s.len)
        memcpy(*at, s.p, s.len);
    *at += s.len;
    return out;
}

static struct merge_item *item_new(const struct record *r)
{
    size_t bytes = span_room(r->raw) + span_room(r->host);
    for (uint32_t i = 0; i < r->nfields; i++) {
        bytes += span_room(r->fields[i].key);
        if (r->fields[i].type == FT_STR && !span_within(r->fields[i].v.s, r->raw))
            bytes += span_room(r->fields[i].v.s);
    }
    size_t size = sizeof(struct merge_item) + r->nfields * sizeof(struct field) + bytes;
    struct merge_item *it = malloc(size);
    if (!it)
        return NULL;
    it->next = NULL;
    it->size = size;
    it->ts = r->ts;
    it->read_ts = r->read_ts;
    it->parse_error = r->parse_error;
    it->repeat = r->repeat;
    it->nfields = r->nfields;
    it->kind = r->kind;
    it->ts_from_line = r->ts_from_line;
    it->truncated = r->truncated;
    it->overflow = r->overflow;
    memcpy(it->known, r->known, sizeof(it->known));
    char *at = (char *)&it->fields[r->nfields];
    it->raw = span_put(&at, r->raw);
    it->host = span_put(&at, r->host);
    for (uint32_t i = 0; i < r->nfields; i++) {
        struct field f = r->fields[i];
        f.key = span_put(&at, f.key);
        if (f.type == FT_STR && span_within(f.v.s, r->raw))
            f.v.s = span_make(it->raw.p + (f.v.s.p - r->raw.p), f.v.s.len);   /* a slice stays one */
        else if (f.type == FT_STR)
            f.v.s = span_put(&at, f.v.s);
        it->fields[i] = f;
    }
    return it;
}

/* The held copy as a record again (its strings stay in the item). */
static struct record *item_record(struct merge *m, const struct source *s,
                                  const struct merge_item *it)
{
    struct record *r = m->out;
    record_reset(r);
    r->raw = it->raw;
    r->host = it->host;
    r->ts = it->ts;
    r->read_ts = it->read_ts;
    r->parse_error = it->parse_error;
    r->repeat = it->repeat;
    r->kind = it->kind;
    r->ts_from_line = it->ts_from_line;
    r->truncated = it->truncated;
    r->overflow = it->overflow;
    r->tag = s->in->tag;
    r->input = s->in->name;
    r->path = s->path;
    r->nfields = it->nfields;
    memcpy(r->known, it->known, sizeof(r->known));
    memcpy(r->fields, it->fields, it->nfields * sizeof(struct field));
    return r;
}

static bool below_ahead(const struct source *s, unsigned div)
{
    return s->mq_n < MERGE_AHEAD_RECORDS / div && s->mq_bytes < MERGE_AHEAD_BYTES / div;
}

/* Delivers the oldest held record of all. */
static void release_one(struct vigil *vg)
{
    struct merge *m = &vg->merge;
    struct source *s = m->heap[0];
    struct merge_item *it = s->mq_head;
    s->mq_head = it->next;
    if (!s->mq_head)
        s->mq_tail = NULL;
    s->mq_n--;
    s->mq_bytes -= it->size;
    m->held--;
    m->held_bytes -= it->size;
    if (s->mq_n)
        heap_down(m, 0);
    else
        heap_remove(m, s);
    blocking_update(m, s);
    pipeline_deliver(vg, s, item_record(m, s, it));
    free(it);
    pipeline_mark(vg, s);
    if (s->parked && below_ahead(s, 2)) {
        s->parked = false;
        if (s->in->plugin && s->in->plugin->wake)
            s->in->plugin->wake(s->in, s);
    }
}

/* Releases while nothing unread can come before the oldest held record; with
 * `all`, everything; with `until`, until that source holds nothing. */
static void release(struct vigil *vg, bool all, const struct source *until)
{
    struct merge *m = &vg->merge;
    if (m->releasing)
        return;
    m->releasing = true;
    while (m->nheap) {
        bool over = m->held_bytes > MERGE_MAX_BYTES;
        if (until ? until->mq_n == 0 : !all && m->blocking && !over)
            break;
        if (over && m->blocking && !until && !all && m->forced++ == 0)
            log_warn("merge: %u MiB held waiting for other inputs; releasing the oldest "
                     "records before all inputs were read (event-time order is approximate)",
                     (unsigned)(MERGE_MAX_BYTES >> 20));
        release_one(vg);
    }
    m->releasing = false;
}

static int out_init(struct merge *m)
{
    if (m->out)
        return 0;
    m->out = malloc(sizeof(*m->out));
    m->out_arena = malloc(RECORD_ARENA_MIN);
    if (!m->out || !m->out_arena) {
        free(m->out);
        free(m->out_arena);
        m->out = NULL;
        m->out_arena = NULL;
        return -1;
    }
    record_init(m->out, m->out_arena, RECORD_ARENA_MIN);
    return 0;
}

void merge_push(struct vigil *vg, struct source *s, struct record *r)
{
    struct merge *m = &vg->merge;
    note_source(m, s);
    int64_t key = record_key(s, r);
    blocking_update(m, s);               /* it may have just shown it has no time */
    /* Nothing held and no other source waiting to show its next record:
     * this one is the oldest there can be. A record with no time (and none
     * before it in its source) has no place in the order: it goes at once. */
    if (key == INT64_MIN && !s->mq_n) {
        pipeline_deliver(vg, s, r);
        if (m->nheap)
            release(vg, false, NULL);
        return;
    }
    if (!m->nheap && m->blocking == (s->blocking ? 1u : 0u)) {
        pipeline_deliver(vg, s, r);
        return;
    }
    struct merge_item *it = out_init(m) < 0 || heap_reserve(m) < 0 ? NULL : item_new(r);
    if (!it) {
        log_warn("merge: out of memory; a record goes out of event-time order");
        pipeline_deliver(vg, s, r);
        return;
    }
    it->key = key;
    it->safe_before = s->safe_offset;
    if (s->mq_tail)
        s->mq_tail->next = it;
    else
        s->mq_head = it;
    s->mq_tail = it;
    s->mq_n++;
    s->mq_bytes += it->size;
    m->held++;
    m->held_bytes += it->size;
    if (!s->heap_pos)
        heap_add(m, s);
    blocking_update(m, s);
    release(vg, false, NULL);
}

void merge_source_unread(struct vigil *vg, struct source *s, bool unread)
{
    struct merge *m = &vg->merge;
    note_source(m, s);
    if (s->unread == unread)
        return;
    s->unread = unread;
    blocking_update(m, s);
    if (!unread)
        release(vg, false, NULL);
}

bool merge_source_ahead(struct vigil *vg, struct source *s)
{
    (void)vg;
    s->parked = s->mq_n > 0 && !below_ahead(s, 1);
    return s->parked;
}

size_t merge_read_budget(const struct vigil *vg, size_t full)
{
    const struct merge *m = &vg->merge;
    return (m->nheap || m->blocking > 1) && full > MERGE_READ_BYTES ? MERGE_READ_BYTES : full;
}

void merge_drain_source(struct vigil *vg, struct source *s)
{
    if (s->mq_n)
        release(vg, false, s);
}

void merge_forget(struct vigil *vg, struct source *s)
{
    merge_drain_source(vg, s);
    s->unread = false;
    blocking_update(&vg->merge, s);
    s->parked = false;
}

void merge_release_all(struct vigil *vg)
{
    release(vg, true, NULL);
}

uint64_t merge_safe_offset(const struct source *s, uint64_t otherwise)
{
    return s->mq_head ? s->mq_head->safe_before : otherwise;
}

void merge_fini(struct vigil *vg)
{
    struct merge *m = &vg->merge;
    for (size_t i = 0; i < m->nheap; i++) {
        struct source *s = m->heap[i];
        for (struct merge_item *it = s->mq_head, *next; it; it = next) {
            next = it->next;
            free(it);
        }
        s->mq_head = s->mq_tail = NULL;
        s->mq_n = s->mq_bytes = 0;
        s->heap_pos = 0;
    }
    free(m->heap);
    free(m->out);
    free(m->out_arena);
    memset(m, 0, sizeof(*m));
}
