/* merge.c - the event-time merge of sources (see merge.h).
 * Each source keeps a FIFO of held records (one copy each, strings included,
 * so the read buffer can move on); the sources holding records sit in a
 * binary heap by the key of their oldest one. A record leaves when no source
 * with unread bytes is empty, that is when every source that may still
 * produce an earlier record has shown its next one.
 * The copies are carved one after the other from the source's chunks and
 * leave in that same order, so a chunk is reused as soon as its last record
 * left: no malloc or free per record. */
#include "sidecar/merge.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/inputs/input.h"
#include "sidecar/limits.h"
#include "sidecar/log.h"
#include "sidecar/pipeline.h"
#include "sidecar/vigil.h"

/* A chunk holds a few dozen typical records: large enough that a malloc per
 * chunk does not show, small enough to mix with the detectors' allocations
 * (64 KiB chunks measured 3 MiB more peak RSS with all detectors on the
 * mixed bench file, 16 KiB none). A larger record gets a chunk of its own. */
#define MERGE_CHUNK_BYTES  (16u * 1024)
/* Emptied chunks kept for the next records, freed when nothing is held and
 * no source has unread bytes (a live sidecar at the end of its files). */
#define MERGE_SPARE_CHUNKS 8

struct merge_chunk {
    struct merge_chunk *next;
    size_t cap, used;            /* bytes of data */
    size_t live;                 /* records in it not released yet */
    char data[];
};

struct merge_item {
    struct merge_item *next;
    int64_t next_key;            /* next's key: read with next, so a release
                                  * does not touch the next copy (out of cache) */
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
    struct field fields[];       /* nfields, then the raw line, the record's
                                  * arena and the other strings */
};

_Static_assert(offsetof(struct merge_chunk, data) % alignof(struct merge_item) == 0,
               "held records are carved aligned from a chunk");

static size_t align_item(size_t n)
{
    const size_t a = alignof(struct merge_item);
    return (n + a - 1) / a * a;
}

/* Room for size bytes at the end of s's newest chunk, or in a new one. */
static void *chunk_alloc(struct merge *m, struct source *s, size_t size)
{
    struct merge_chunk *c = s->mq_ctail;
    if (!c || c->cap - c->used < size) {
        if (size <= MERGE_CHUNK_BYTES && m->spare) {
            c = m->spare;
            m->spare = c->next;
            m->nspare--;
        } else {
            size_t cap = size > MERGE_CHUNK_BYTES ? size : MERGE_CHUNK_BYTES;
            c = malloc(sizeof(*c) + cap);
            if (!c)
                return NULL;
            c->cap = cap;
        }
        c->next = NULL;
        c->used = 0;
        c->live = 0;
        if (s->mq_ctail)
            s->mq_ctail->next = c;
        else
            s->mq_chead = c;
        s->mq_ctail = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    c->live++;
    return p;
}

static void spare_free(struct merge *m)
{
    for (struct merge_chunk *c = m->spare, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    m->spare = NULL;
    m->nspare = 0;
}

/* The oldest record of s left (it sits in s's oldest chunk): that chunk is
 * emptied with its last one, and kept for reuse or freed. */
static void chunk_release(struct merge *m, struct source *s)
{
    struct merge_chunk *c = s->mq_chead;
    if (--c->live)
        return;
    s->mq_chead = c->next;
    if (!s->mq_chead)
        s->mq_ctail = NULL;
    if (c->cap == MERGE_CHUNK_BYTES && m->nspare < MERGE_SPARE_CHUNKS) {
        c->next = m->spare;
        m->spare = c;
        m->nspare++;
    } else {
        free(c);
    }
}

static int span_cmp(struct span a, struct span b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

/* Heap order: key, then input name, path and opening order, so a tie never
 * depends on where an input sits in the configuration. */
static bool key_before(int64_t ka, const struct source *a, int64_t kb, const struct source *b)
{
    if (ka != kb)
        return ka < kb;
    int c = span_cmp(a->in->name, b->in->name);
    if (!c)
        c = span_cmp(a->path, b->path);
    return c ? c < 0 : a->mq_order < b->mq_order;
}

static bool head_before(const struct source *a, const struct source *b)
{
    return key_before(a->mq_head_key, a, b->mq_head_key, b);
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

/* Where the strings of a record go in its copy: those inside the raw line
 * or the record's arena keep their place in the copies of these (the arena
 * copied right after the raw line); a known key's static name is kept as it
 * is; any other (a key the parser names, a static value) is copied after. */
struct item_copy {
    const char *raw, *arena, *names;
    size_t raw_len, arena_len, names_len;
};

#define AT_KEEP SIZE_MAX          /* NULL or static: the pointer is kept */
#define AT_COPY (SIZE_MAX - 1)    /* copied after the raw line and arena */

/* s lies within [base, base + n): its offset there, else SIZE_MAX. */
static inline size_t span_offset(struct span s, const char *base, size_t n)
{
    size_t off = (size_t)((uintptr_t)s.p - (uintptr_t)base);
    return off <= n && s.len <= n - off ? off : SIZE_MAX;
}

/* Where s goes: its offset in the copied raw line + arena, or AT_*. */
static inline size_t span_where(const struct item_copy *c, struct span s, bool key)
{
    if (!s.p)
        return AT_KEEP;
    size_t off = span_offset(s, c->raw, c->raw_len);
    if (off != SIZE_MAX)
        return off;
    off = span_offset(s, c->arena, c->arena_len);
    if (off != SIZE_MAX)
        return c->raw_len + off;
    if (key && span_offset(s, c->names, c->names_len) != SIZE_MAX)
        return AT_KEEP;
    return AT_COPY;
}

/* s in the copy, by where it goes; a copy is written at *at. */
static inline const char *span_put(char *base, char **at, struct span s, size_t where)
{
    if (where == AT_KEEP)
        return s.p;
    if (where != AT_COPY)
        return base + where;
    char *p = *at;
    for (size_t i = 0; i < s.len; i++)   /* keys and short values: no call */
        p[i] = s.p[i];
    *at = p + s.len;
    return p;
}

static struct merge_item *item_new(struct merge *m, struct source *s, const struct record *r)
{
    size_t raw_len = r->raw.p ? r->raw.len : 0;
    struct span names = rkey_static_names();
    /* an empty range matches nothing: its base is one past any string */
    struct item_copy c = { .raw = raw_len ? r->raw.p : (const char *)UINTPTR_MAX,
                           .raw_len = raw_len,
                           .arena = r->arena_used ? r->arena : (const char *)UINTPTR_MAX,
                           .arena_len = r->arena_used,
                           .names = names.p, .names_len = names.len };
    /* each string classified once: where its key and value go */
    size_t where[2 * RECORD_MAX_FIELDS];
    uint32_t n = r->nfields;
    size_t host_at = span_where(&c, r->host, false);
    size_t bytes = raw_len + r->arena_used + (host_at == AT_COPY ? r->host.len : 0);
    for (uint32_t i = 0; i < n; i++) {
        const struct field *f = &r->fields[i];
        size_t k = span_where(&c, f->key, true);
        size_t v = f->type == FT_STR ? span_where(&c, f->v.s, false) : AT_KEEP;
        where[2 * i] = k;
        where[2 * i + 1] = v;
        bytes += (k == AT_COPY ? f->key.len : 0) + (v == AT_COPY ? f->v.s.len : 0);
    }
    size_t size = align_item(sizeof(struct merge_item) + n * sizeof(struct field) + bytes);
    struct merge_item *it = chunk_alloc(m, s, size);
    if (!it)
        return NULL;
    it->next = NULL;
    it->size = size;
    it->ts = r->ts;
    it->read_ts = r->read_ts;
    it->parse_error = r->parse_error;
    it->repeat = r->repeat;
    it->nfields = n;
    it->kind = r->kind;
    it->ts_from_line = r->ts_from_line;
    it->truncated = r->truncated;
    it->overflow = r->overflow;
    memcpy(it->known, r->known, sizeof(it->known));
    char *base = (char *)&it->fields[n];
    char *at = base + raw_len + r->arena_used;
    if (raw_len)
        memcpy(base, r->raw.p, raw_len);
    if (r->arena_used)
        memcpy(base + raw_len, r->arena, r->arena_used);
    it->raw = span_make(r->raw.p ? base : NULL, r->raw.len);
    it->host = span_make(span_put(base, &at, r->host, host_at), r->host.len);
    memcpy(it->fields, r->fields, n * sizeof(struct field));
    for (uint32_t i = 0; i < n; i++) {
        struct field *d = &it->fields[i];
        if (where[2 * i] != AT_KEEP)
            d->key.p = span_put(base, &at, d->key, where[2 * i]);
        if (where[2 * i + 1] != AT_KEEP)
            d->v.s.p = span_put(base, &at, d->v.s, where[2 * i + 1]);
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
    if (s->mq_head)
        s->mq_head_key = it->next_key;
    else
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
    chunk_release(m, s);
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
    if (!m->held && !m->blocking)
        spare_free(m);
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

/* r of s (which holds nothing) when no other source blocks: held, it would
 * leave in this same push after the held records that come before it, unless
 * one of their sources empties and blocks on the way. So those leave now and
 * r goes after them as it is, without being copied; true when r went. */
static bool deliver_in_turn(struct vigil *vg, struct source *s, struct record *r, int64_t key)
{
    struct merge *m = &vg->merge;
    size_t self = s->blocking ? 1u : 0u;
    if (s->mq_n || m->releasing || m->blocking != self)
        return false;
    m->releasing = true;
    while (m->nheap && m->blocking == self &&
           key_before(m->heap[0]->mq_head_key, m->heap[0], key, s))
        release_one(vg);
    m->releasing = false;
    if (m->blocking != self)
        return false;            /* another source emptied: r waits for it, held */
    pipeline_deliver(vg, s, r);
    if (m->nheap)
        release(vg, false, NULL);
    else if (!m->held && !m->blocking)
        spare_free(m);
    return true;
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
    if (deliver_in_turn(vg, s, r, key))
        return;
    struct merge_item *it = out_init(m) < 0 || heap_reserve(m) < 0 ? NULL : item_new(m, s, r);
    if (!it) {
        log_warn("merge: out of memory; a record goes out of event-time order");
        pipeline_deliver(vg, s, r);
        return;
    }
    it->key = key;
    it->safe_before = s->safe_offset;
    if (s->mq_tail) {
        s->mq_tail->next = it;
        s->mq_tail->next_key = key;
    } else {
        s->mq_head = it;
        s->mq_head_key = key;
    }
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
        for (struct merge_chunk *c = s->mq_chead, *next; c; c = next) {
            next = c->next;
            free(c);
        }
        s->mq_chead = s->mq_ctail = NULL;
        s->mq_head = s->mq_tail = NULL;
        s->mq_n = s->mq_bytes = 0;
        s->heap_pos = 0;
    }
    spare_free(m);
    free(m->heap);
    free(m->out);
    free(m->out_arena);
    memset(m, 0, sizeof(*m));
}
