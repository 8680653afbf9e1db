/* wire_v2.c - the writer of wire format version 2 (wire_v2.h,
 * docs/wire-format.md). A record is taken apart as it comes: its source and
 * its shape (flags, parse error, keys and value types, nested) are looked up
 * in per-batch tables, its line is appended to one buffer, and its values to
 * typed vectors. Finishing lays it all out as one msgpack map: the tables
 * once, then the columns, values of one shape and one slot next to each other
 * so that LZ4 (linked blocks) finds the repeats. Tables are keyed by text from
 * logs: they hash with the keyed hash under a per-writer random key. */
#include "outputs/wire_v2.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "outputs/encode.h"
#include "outputs/mp_write.h"
#include "sidecar/hash.h"

/* A vector of fixed-size items on a struct buf. */
#define VEC_PUSH(b, x) buf_append((b), &(x), sizeof(x))
#define VEC_N(b, T) ((b)->len / sizeof(T))
#define VEC_AT(b, T, i) (((const T *)(const void *)(b)->p)[i])

struct item {
    uint32_t off, len;       /* in the table's bytes */
};

/* Interned byte strings: id = position in items. */
struct itab {
    struct buf bytes;        /* the items back to back */
    struct buf items;        /* struct item */
    uint32_t *slot;          /* open addressing: id + 1, 0 = free */
    uint32_t cap;            /* power of two */
};

struct shape_meta {
    uint32_t nref, nint, ndbl, nstr;
    uint8_t flags;
    uint32_t count;          /* records of this shape in the batch */
    uint32_t first, last;    /* their chain (struct rec.next_same) */
};

struct rec {
    int64_t ts;
    uint32_t cls, shape;     /* class: (source, shape) */
    uint32_t rest_off, rest_len;       /* the line without its references, in lines */
    uint32_t ref0, int0, dbl0, str0;   /* first value of each vector */
    uint32_t repeat;
    uint32_t next_same;      /* next record of the same shape; UINT32_MAX = none */
    uint32_t next_cls;       /* next record of the same class */
};

struct ref {
    uint32_t gap, len;       /* bytes of the rest before it; its length */
    uint32_t val;            /* its bytes: offset in vals */
};

struct cut {
    uint32_t off, len;
};

struct src_cache {
    struct span tag, input, path;   /* pointers stable per input and file */
    uint32_t host_len;
    char host[64];           /* the host is from the line (syslog): its bytes */
    uint8_t kind;
    bool used;
    uint32_t id;
};

#define WIRE2_HINTS 32

/* The last shapes of a source: lines of a file mostly come in a handful
 * of shapes, so a few recent ones found by comparing the signature spare
 * the keyed hash of it and the class lookup. */
struct shape_cache {
    uint32_t src, sig, cls;  /* sig: the shape id; UINT32_MAX = empty */
};

#define WIRE2_SWAYS 8        /* shapes remembered per cache slot */

struct wire2 {
    uint64_t k0, k1;         /* hash key */
    struct shape_cache scache[16][WIRE2_SWAYS];
    uint8_t snext[16];       /* per slot: the way to replace next */
    struct itab src, key, shape, sig, cls;
    struct buf shape_meta;   /* struct shape_meta, by shape id */
    struct buf recs;         /* struct rec */
    struct buf lines;        /* the rests of the lines, in record order */
    struct buf ref;          /* struct ref */
    struct buf vals;         /* the referenced bytes */
    struct buf ints;         /* int64 */
    struct buf dbls;         /* double */
    struct buf strs;         /* literal bytes */
    struct buf stritems;     /* struct item into strs */
    struct buf scratch;      /* signature / item under construction */
    struct buf tmp;          /* shape msgpack under construction */
    struct src_cache cache[16];
    uint32_t ref_end;        /* end of the previous ref of the record */
    uint16_t hints[16][WIRE2_HINTS];   /* per source cache slot: the last gaps */
    uint16_t *hint;          /* the record's */
    uint32_t nel;            /* elements of the shape under construction */
    uint32_t ncut;
    struct cut cut[RECORD_MAX_FIELDS];  /* the record's references, in line order */
    uint8_t codes[RECORD_MAX_FIELDS];   /* the record's value codes, by field */
};

/* ---- interning ---- */

static uint64_t itab_hash(const struct wire2 *w, const void *p, size_t n)
{
    return hash_keyed(w->k0, w->k1, p, n);
}

static void itab_clear(struct itab *t)
{
    t->bytes.len = t->items.len = 0;
    if (t->slot)
        memset(t->slot, 0, t->cap * sizeof(*t->slot));
}

static void itab_free(struct itab *t)
{
    buf_free(&t->bytes);
    buf_free(&t->items);
    free(t->slot);
}

static const unsigned char *itab_get(const struct itab *t, uint32_t id, uint32_t *len)
{
    struct item it = VEC_AT(&t->items, struct item, id);
    *len = it.len;
    return t->bytes.p + it.off;
}

static int itab_grow(const struct wire2 *w, struct itab *t)
{
    uint32_t cap = t->cap ? t->cap * 2 : 64;
    uint32_t *slot = calloc(cap, sizeof(*slot));
    if (!slot)
        return -1;
    size_t n = VEC_N(&t->items, struct item);
    for (size_t id = 0; id < n; id++) {
        uint32_t len;
        const unsigned char *p = itab_get(t, (uint32_t)id, &len);
        uint32_t h = (uint32_t)itab_hash(w, p, len) & (cap - 1);
        while (slot[h])
            h = (h + 1) & (cap - 1);
        slot[h] = (uint32_t)id + 1;
    }
    free(t->slot);
    t->slot = slot;
    t->cap = cap;
    return 0;
}

/* Id of p[0..n), or -1 when absent; *h gets its slot for itab_add. */
static int64_t itab_find(const struct wire2 *w, const struct itab *t, const void *p, size_t n,
                         uint32_t *h)
{
    if (!t->cap)
        return -1;
    uint32_t i = (uint32_t)itab_hash(w, p, n) & (t->cap - 1);
    for (; t->slot[i]; i = (i + 1) & (t->cap - 1)) {
        uint32_t len;
        const unsigned char *q = itab_get(t, t->slot[i] - 1, &len);
        if (len == n && memcmp(q, p, n) == 0)
            return t->slot[i] - 1;
    }
    *h = i;
    return -1;
}

/* Appends p[0..n) as a new item (hashed when the table has slots: hashed
 * says so). Returns its id, -1 on allocation failure (t unchanged). */
static int64_t itab_add(const struct wire2 *w, struct itab *t, const void *p, size_t n, bool hashed)
{
    size_t count = VEC_N(&t->items, struct item);
    if (n > UINT32_MAX / 2 || t->bytes.len > UINT32_MAX / 2 || count >= UINT32_MAX / 2)
        return -1;
    if (hashed && (count + 1) * 2 > t->cap && itab_grow(w, t) < 0)
        return -1;
    struct item it = { (uint32_t)t->bytes.len, (uint32_t)n };
    if (buf_reserve(&t->items, sizeof(it)) < 0 || buf_append(&t->bytes, p, n) < 0)
        return -1;
    VEC_PUSH(&t->items, it);   /* room reserved: cannot fail */
    if (hashed) {
        uint32_t h = 0;
        itab_find(w, t, p, n, &h);   /* absent: the free slot */
        t->slot[h] = (uint32_t)count + 1;
    }
    return (int64_t)count;
}

static int64_t itab_intern(const struct wire2 *w, struct itab *t, const void *p, size_t n)
{
    uint32_t h;
    int64_t id = itab_find(w, t, p, n, &h);
    return id >= 0 ? id : itab_add(w, t, p, n, true);
}

static int w_nil(struct buf *b)
{
    return mpb_byte(b, 0xc0);
}

/* ---- a record's signature: what makes its shape, and its values ---- */

/* memcmp and memcpy without a call for the short values most fields have:
 * two overlapping words cover 4 to 16 bytes */
static inline uint64_t ld64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t ld32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline bool same_bytes(const char *a, const char *b, size_t n)
{
    if (n > 16)
        return memcmp(a, b, n) == 0;
    if (n >= 8)
        return ld64(a) == ld64(b) && ld64(a + n - 8) == ld64(b + n - 8);
    if (n >= 4)
        return ld32(a) == ld32(b) && ld32(a + n - 4) == ld32(b + n - 4);
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static inline void copy_bytes(unsigned char *dst, const char *src, size_t n)
{
    if (n > 16) {
        memcpy(dst, src, n);
    } else if (n >= 8) {
        uint64_t x = ld64(src), y = ld64(src + n - 8);
        memcpy(dst, &x, 8);
        memcpy(dst + n - 8, &y, 8);
    } else if (n >= 4) {
        uint32_t x = ld32(src), y = ld32(src + n - 4);
        memcpy(dst, &x, 4);
        memcpy(dst + n - 4, &y, 4);
    } else if (n >= 2) {
        /* the 1 to 3 bytes between two references of a syslog line */
        uint16_t x, y;
        memcpy(&x, src, 2);
        memcpy(&y, src + n - 2, 2);
        memcpy(dst, &x, 2);
        memcpy(dst + n - 2, &y, 2);
    } else if (n) {
        dst[0] = (unsigned char)src[0];
    }
}

/* Appends into room reserved beforehand (wire2_add reserves per record). */
static inline void put(struct buf *b, const void *p, size_t n)
{
    copy_bytes(b->p + b->len, (const char *)p, n);
    b->len += n;
}

/* buf_reserve, called only when the room is short */
static inline int room(struct buf *b, size_t n)
{
    return b->cap - b->len >= n ? 0 : buf_reserve(b, n);
}

static inline void put_u32(struct buf *s, uint32_t v)
{
    put(s, &v, sizeof(v));
}

#define WIRE2_REACH 256

/* Where in the line, at or after the end of the previous reference, the
 * bytes v[0..n) are, or -1: the value's own pointer when it points there
 * (parsers' spans), else a search (fields mostly follow the line's order;
 * a value found nowhere after travels as a literal). Any place with the same
 * bytes is right: the reader gets the bytes, not the place. */
static int64_t find_elsewhere(const struct wire2 *w, const struct record *r, const char *v, size_t n);

static inline __attribute__((always_inline)) int64_t
find_in_line(const struct wire2 *w, const struct record *r, const char *v, size_t n)
{
    const char *line = r->raw.p;
    size_t len = r->raw.len, from = w->ref_end;
    if (!line || from > len || n > len - from)
        return -1;
    if (v >= line + from && (size_t)(v - line) <= len - n)
        return v - line;
    return find_elsewhere(w, r, v, n);
}

/* find_in_line when v is not a slice of the line there: out of line, as
 * most values are their own slices and pay for no more than the test. */
static __attribute__((noinline)) int64_t find_elsewhere(const struct wire2 *w, const struct record *r,
                                                        const char *v, size_t n)
{
    const char *line = r->raw.p;
    size_t len = r->raw.len, from = w->ref_end;
    if (n == 0)
        return (int64_t)from;
    /* where the same reference of the last record of this source was,
     * relative to the one before it: a JSON key or syslog word apart */
    if (w->ncut < WIRE2_HINTS) {
        size_t g = w->hint[w->ncut];
        if (g <= len - n - from && same_bytes(line + from + g, v, n))
            return (int64_t)(from + g);
    }
    /* the value mostly starts a few bytes on (a JSON key, a word of
     * syslog): look no further than WIRE2_REACH bytes and at no more than
     * 3 candidates, so that a value not in the line (normalised, out of
     * order) costs little and a hostile line cannot make it quadratic */
    const char *p = line + from;
    const char *stop = len - n - from > WIRE2_REACH ? p + WIRE2_REACH : line + len - n;
    for (int tries = 0; tries < 3 && p <= stop; tries++, p++) {
        p = memchr(p, v[0], (size_t)(stop - p) + 1);
        if (!p)
            return -1;
        if (p[n - 1] == v[n - 1] && memcmp(p, v, n) == 0)
            return p - line;
    }
    return -1;
}

/* Canonical decimal of v into out (>= 21 bytes); returns its length. */
static size_t int_text(int64_t v, char *out)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t k = 0;
    if (v < 0)
        out[k++] = '-';
    while (n)
        out[k++] = tmp[--n];
    return k;
}

/* Length of the canonical decimal text of v at p[0..n), or 0 when the
 * digits there (as many as there are) are not exactly that. */
static size_t int_at(const char *p, size_t n, int64_t v)
{
    size_t i = 0;
    uint64_t u = 0, want = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (v < 0) {
        if (n == 0 || p[0] != '-')
            return 0;
        i = 1;
    }
    size_t d0 = i;
    for (; i < n && i - d0 < 19 && p[i] >= '0' && p[i] <= '9'; i++)
        u = u * 10 + (uint64_t)(p[i] - '0');
    size_t digits = i - d0;
    if (digits == 0 || (p[d0] == '0' && digits > 1) || (i < n && p[i] >= '0' && p[i] <= '9'))
        return 0;
    return u == want ? i : 0;
}

/* The value's code; for a reference, its place in *off and length in *n. */
static uint8_t code_of(const struct wire2 *w, const struct record *r, uint32_t i, int64_t *off,
                       size_t *n)
{
    const struct field *f = &r->fields[i];
    char num[24];
    uint8_t c = W2_NIL;
    switch (f->type) {
    case FT_STR:
        *n = f->v.s.len;
        *off = find_in_line(w, r, f->v.s.p, f->v.s.len);
        c = *off >= 0 ? W2_REF : W2_STR;
        break;
    case FT_INT: {
        /* first where the hint says, without writing the text */
        size_t from = w->ref_end;
        if (w->ncut < WIRE2_HINTS && from <= r->raw.len && w->hint[w->ncut] <= r->raw.len - from) {
            size_t at = from + w->hint[w->ncut];
            *n = int_at(r->raw.p + at, r->raw.len - at, f->v.i);
            if (*n) {
                *off = (int64_t)at;
                return W2_IREF;
            }
        }
        *n = int_text(f->v.i, num);
        *off = find_in_line(w, r, num, *n);
        c = *off >= 0 ? W2_IREF : W2_INT;
        break;
    }
    case FT_DOUBLE: return W2_DOUBLE;
    case FT_BOOL: return f->v.b ? W2_TRUE : W2_FALSE;
    case FT_MAP: return W2_MAP;
    case FT_ARRAY: return W2_ARRAY;
    default: return W2_NIL;
    }
    return c;
}

/* The value at line[off..off+len) leaves the line for vals. */
static void push_ref(struct wire2 *w, const struct record *r, int64_t off, size_t len)
{
    struct ref ref = { (uint32_t)off - w->ref_end, (uint32_t)len, (uint32_t)w->vals.len };
    if (w->ncut < WIRE2_HINTS)
        w->hint[w->ncut] = ref.gap < UINT16_MAX ? (uint16_t)ref.gap : 0;
    w->ref_end = (uint32_t)off + (uint32_t)len;
    w->cut[w->ncut].off = (uint32_t)off;
    w->cut[w->ncut++].len = (uint32_t)len;
    put(&w->ref, &ref, sizeof(ref));
    copy_bytes(w->vals.p + w->vals.len, r->raw.p + off, len);
    w->vals.len += len;
}

/* Appends field i's value to the vectors and its type (and children) to the
 * signature. keyed: its children have keys (a map, or the top level). */
static void sig_value(struct wire2 *w, const struct record *r, uint32_t i)
{
    const struct field *f = &r->fields[i];
    int64_t off = -1;
    size_t n = 0;
    uint8_t c = code_of(w, r, i, &off, &n);
    w->codes[i] = c;
    put(&w->scratch, &c, 1);
    switch (c) {
    case W2_REF:
    case W2_IREF:
        push_ref(w, r, off, n);
        return;
    case W2_STR: {
        struct item it = { (uint32_t)w->strs.len, (uint32_t)f->v.s.len };
        put(&w->strs, f->v.s.p, f->v.s.len);
        put(&w->stritems, &it, sizeof(it));
        return;
    }
    case W2_INT: put(&w->ints, &f->v.i, sizeof(f->v.i)); return;
    case W2_DOUBLE: put(&w->dbls, &f->v.d, sizeof(f->v.d)); return;
    case W2_MAP:
    case W2_ARRAY: {
        uint32_t end = encode_field_end(r, i);
        put_u32(&w->scratch, encode_count_children(r, i + 1, end));
        for (uint32_t j = i + 1; j < end; j = encode_field_end(r, j)) {
            if (c == W2_MAP) {
                struct span k = r->fields[j].key;
                put_u32(&w->scratch, (uint32_t)k.len);
                put(&w->scratch, k.p, k.len);
            }
            sig_value(w, r, j);
        }
        return;
    }
    default: return;
    }
}

/* Room for everything one record can add to the vectors, so that the
 * walk appends without checks. -1 on allocation failure. */
static int reserve_for(struct wire2 *w, const struct record *r, size_t pe_len)
{
    size_t keys = 0, strs = 0, nf = r->nfields;
    for (uint32_t j = 0; j < r->nfields; j++) {
        keys += r->fields[j].key.len;
        if (r->fields[j].type == FT_STR)
            strs += r->fields[j].v.s.len;
    }
    return room(&w->scratch, 16 + pe_len + keys + nf * 9) | room(&w->ref, nf * sizeof(struct ref)) |
           room(&w->vals, r->raw.len) | room(&w->strs, strs) |
           room(&w->stritems, nf * sizeof(struct item)) | room(&w->ints, nf * 8) |
           room(&w->dbls, nf * 8) | room(&w->lines, r->raw.len) | room(&w->recs, sizeof(struct rec));
}

/* ---- a new shape: its msgpack form with key ids ---- */

static int64_t key_id(struct wire2 *w, struct span k, bool top)
{
    char tmp[16];
    if (top && encode_header_key(k)) {
        /* the same rename as version 1: "_path" (header keys are short) */
        tmp[0] = '_';
        memcpy(tmp + 1, k.p, k.len);
        return itab_intern(w, &w->key, tmp, k.len + 1);
    }
    return itab_intern(w, &w->key, k.p, k.len);
}

/* One element of the shape under construction (w->tmp), counted. */
static int shape_el(struct wire2 *w, uint64_t v)
{
    w->nel++;
    return mpb_uint(&w->tmp, v);
}

static int shape_value(struct wire2 *w, const struct record *r, uint32_t i, struct shape_meta *m)
{
    uint8_t c = w->codes[i];   /* as sig_value found it */
    int rc = shape_el(w, c);
    m->nref += c == W2_REF || c == W2_IREF;
    m->nstr += c == W2_STR;
    m->nint += c == W2_INT;
    m->ndbl += c == W2_DOUBLE;
    if (c == W2_MAP || c == W2_ARRAY) {
        uint32_t end = encode_field_end(r, i);
        rc |= shape_el(w, encode_count_children(r, i + 1, end));
        for (uint32_t j = i + 1; j < end; j = encode_field_end(r, j)) {
            if (c == W2_MAP) {
                int64_t k = key_id(w, r->fields[j].key, false);
                rc |= k < 0 ? -1 : shape_el(w, (uint64_t)k);
            }
            rc |= shape_value(w, r, j, m);
        }
    }
    return rc;
}

/* The shape's msgpack array into w->tmp: [flags, parse_error|nil, ntop,
 * (key id, value)...]. Counts of values per column into m. */
static int shape_build(struct wire2 *w, const struct record *r, uint8_t flags, struct shape_meta *m)
{
    struct buf *t = &w->tmp;
    t->len = 0;
    w->nel = 0;
    memset(m, 0, sizeof(*m));
    m->flags = flags;
    /* elements first, the array header is put in front at the end */
    int rc = shape_el(w, flags);
    rc |= r->parse_error ? mpb_str(t, r->parse_error, strlen(r->parse_error)) : w_nil(t);
    w->nel++;
    uint32_t top = encode_count_children(r, 0, r->nfields);
    rc |= shape_el(w, top);
    for (uint32_t j = 0; j < r->nfields; j = encode_field_end(r, j)) {
        int64_t k = key_id(w, r->fields[j].key, true);
        rc |= k < 0 ? -1 : shape_el(w, (uint64_t)k);
        rc |= shape_value(w, r, j, m);
    }
    return rc;
}

/* ---- the writer ---- */

struct wire2 *wire2_new(void)
{
    struct wire2 *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    uint64_t k[2];
    if (getrandom(k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        k[0] = (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)w;
        k[1] = (uint64_t)ts.tv_sec * 0x9e3779b97f4a7c15ull;
    }
    w->k0 = k[0];
    w->k1 = k[1];
    memset(w->scache, 0xff, sizeof(w->scache));
    return w;
}

void wire2_free(struct wire2 *w)
{
    if (!w)
        return;
    itab_free(&w->src);
    itab_free(&w->key);
    itab_free(&w->shape);
    itab_free(&w->sig);
    itab_free(&w->cls);
    struct buf *bufs[] = { &w->shape_meta, &w->recs, &w->lines, &w->ref, &w->vals, &w->ints, &w->dbls,
                           &w->strs, &w->stritems, &w->scratch, &w->tmp };
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        buf_free(bufs[i]);
    free(w);
}

static void wire2_clear(struct wire2 *w)
{
    itab_clear(&w->src);
    itab_clear(&w->key);
    itab_clear(&w->shape);
    itab_clear(&w->sig);
    itab_clear(&w->cls);
    w->shape_meta.len = w->recs.len = w->lines.len = w->ref.len = w->vals.len = w->ints.len = 0;
    w->dbls.len = w->strs.len = w->stritems.len = 0;
    memset(w->cache, 0, sizeof(w->cache));
    memset(w->scache, 0xff, sizeof(w->scache));
    memset(w->snext, 0, sizeof(w->snext));
}

static bool span_same(struct span a, struct span b)
{
    return a.p == b.p && a.len == b.len;
}

static size_t cache_index(const struct record *r)
{
    return ((uintptr_t)r->input.p >> 4 ^ (uintptr_t)r->path.p >> 4 ^ r->kind) & 15;
}

static struct src_cache *cache_slot(struct wire2 *w, const struct record *r)
{
    return &w->cache[cache_index(r)];
}

/* The source's msgpack array [tag, input, host, path|nil, kind] interned;
 * the cache skips that for the run of records of one file and host. */
static int64_t source_id(struct wire2 *w, const struct record *r)
{
    struct src_cache *c = cache_slot(w, r);
    if (c->used && c->kind == r->kind && span_same(c->tag, r->tag) &&
        span_same(c->input, r->input) && span_same(c->path, r->path) &&
        c->host_len == r->host.len && (!r->host.len || memcmp(c->host, r->host.p, r->host.len) == 0))
        return c->id;
    const char *kind = record_kind_name((enum record_kind)r->kind);
    struct buf *s = &w->scratch;
    s->len = 0;
    int rc = mpb_array(s, 5) | mpb_str(s, r->tag.p, r->tag.len) | mpb_str(s, r->input.p, r->input.len) |
             mpb_str(s, r->host.p, r->host.len) |
             (span_empty(r->path) ? w_nil(s) : mpb_str(s, r->path.p, r->path.len)) |
             mpb_str(s, kind, strlen(kind));
    if (rc < 0)
        return -1;
    int64_t id = itab_intern(w, &w->src, s->p, s->len);
    if (id >= 0 && r->host.len <= sizeof(c->host)) {
        c->used = true;
        c->kind = r->kind;
        c->tag = r->tag;
        c->input = r->input;
        c->path = r->path;
        c->host_len = (uint32_t)r->host.len;
        if (r->host.len)
            memcpy(c->host, r->host.p, r->host.len);
        c->id = (uint32_t)id;
    }
    return id;
}

int wire2_add(struct wire2 *w, const struct record *r)
{
    /* lengths travel as uint32: a record beyond is not a log line */
    if (r->raw.len > UINT32_MAX / 4 || w->lines.len > UINT32_MAX / 2)
        return -1;
    size_t lens[] = { w->recs.len, w->lines.len, w->ref.len, w->ints.len, w->dbls.len,
                      w->strs.len, w->stritems.len, w->vals.len };
    struct rec rec = { .ts = r->ts, .rest_off = (uint32_t)w->lines.len,
                       .ref0 = (uint32_t)VEC_N(&w->ref, struct ref),
                       .int0 = (uint32_t)VEC_N(&w->ints, int64_t),
                       .dbl0 = (uint32_t)VEC_N(&w->dbls, double),
                       .str0 = (uint32_t)VEC_N(&w->stritems, struct item),
                       .repeat = r->repeat, .next_same = UINT32_MAX, .next_cls = UINT32_MAX };
    int64_t src = source_id(w, r);
    if (src < 0)
        goto fail;
    /* signature: flags, parse error, fields; values go to the vectors */
    uint8_t flags = (uint8_t)((r->truncated ? W2_F_TRUNCATED : 0) | (r->repeat > 1 ? W2_F_REPEAT : 0));
    struct buf *s = &w->scratch;
    s->len = 0;
    w->ref_end = 0;
    w->ncut = 0;
    w->hint = w->hints[cache_index(r)];
    const char *pe = r->parse_error ? r->parse_error : "";
    size_t pe_len = strlen(pe);
    if (reserve_for(w, r, pe_len) < 0)
        goto fail;
    put(s, &flags, 1);
    put_u32(s, r->parse_error ? (uint32_t)pe_len + 1 : 0);
    put(s, pe, pe_len);
    for (uint32_t j = 0; j < r->nfields; j = encode_field_end(r, j)) {
        struct span k = r->fields[j].key;
        put_u32(s, (uint32_t)k.len);
        put(s, k.p, k.len);
        sig_value(w, r, j);
    }
    uint32_t h = 0, len;
    struct shape_cache *ways = w->scache[src & 15];
    int64_t sid = -1, cls = -1;
    for (uint32_t k = 0; k < WIRE2_SWAYS; k++) {
        if (ways[k].src != (uint32_t)src)
            continue;
        const unsigned char *q = itab_get(&w->sig, ways[k].sig, &len);
        if (len == s->len && memcmp(q, s->p, len) == 0) {
            sid = ways[k].sig;
            cls = ways[k].cls;
            break;
        }
    }
    if (sid < 0)
        sid = itab_find(w, &w->sig, s->p, s->len, &h);
    if (sid < 0) {
        /* a new shape: its msgpack array, then the signature that finds it */
        struct shape_meta m;
        if (shape_build(w, r, flags, &m) < 0)
            goto fail;
        m.first = m.last = UINT32_MAX;
        unsigned char hdr[5];
        uint32_t n = w->nel;
        size_t hn = (size_t)(mp_container(hdr, n, 0x90, 0xdc) - hdr);
        size_t shape_items = w->shape.items.len, shape_bytes = w->shape.bytes.len;
        if (buf_reserve(&w->shape_meta, sizeof(m)) < 0 || buf_append(&w->shape.bytes, hdr, hn) < 0)
            goto fail;
        struct item it = { (uint32_t)shape_bytes, (uint32_t)(hn + w->tmp.len) };
        if (buf_append(&w->shape.bytes, w->tmp.p, w->tmp.len) < 0 || VEC_PUSH(&w->shape.items, it) < 0 ||
            (sid = itab_add(w, &w->sig, s->p, s->len, true)) < 0) {
            w->shape.items.len = shape_items;
            w->shape.bytes.len = shape_bytes;
            goto fail;
        }
        VEC_PUSH(&w->shape_meta, m);   /* room reserved */
    }
    rec.shape = (uint32_t)sid;
    if (cls < 0) {
        uint32_t pair[2] = { (uint32_t)src, (uint32_t)sid };
        cls = itab_intern(w, &w->cls, pair, sizeof(pair));
        if (cls < 0)
            goto fail;
        uint8_t *next = &w->snext[src & 15];
        struct shape_cache *sc = &ways[*next];
        *next = (uint8_t)((*next + 1) % WIRE2_SWAYS);
        sc->src = (uint32_t)src;
        sc->sig = (uint32_t)sid;
        sc->cls = (uint32_t)cls;
    }
    rec.cls = (uint32_t)cls;
    /* the rest: the line without its references (in line order, apart) */
    uint32_t at = 0;
    for (uint32_t c = 0; c < w->ncut; c++) {
        put(&w->lines, r->raw.p + at, w->cut[c].off - at);
        at = w->cut[c].off + w->cut[c].len;
    }
    put(&w->lines, r->raw.p + at, r->raw.len - at);
    rec.rest_len = (uint32_t)(w->lines.len - rec.rest_off);
    put(&w->recs, &rec, sizeof(rec));
    return 0;
fail:
    /* back to before the record; sources and keys it added stay (an unused
     * one is harmless) */
    w->recs.len = lens[0];
    w->lines.len = lens[1];
    w->ref.len = lens[2];
    w->ints.len = lens[3];
    w->dbls.len = lens[4];
    w->strs.len = lens[5];
    w->stritems.len = lens[6];
    w->vals.len = lens[7];
    return -1;
}

size_t wire2_bytes(const struct wire2 *w)
{
    return 64 + w->src.bytes.len + w->key.bytes.len + w->shape.bytes.len + w->lines.len +
           w->vals.len + VEC_N(&w->recs, struct rec) * 10 + w->ref.len / 6 + w->ints.len / 2 + w->dbls.len +
           w->strs.len + VEC_N(&w->stritems, struct item) * 2;
}

/* ---- finishing: the content map ---- */

static int put_key(struct buf *o, const char *k)
{
    return mpb_str(o, k, strlen(k));
}

/* Emits a column laid out by shape, then slot, then record (docs). Each
 * emit writes one value into room reserved for the column (bound bytes). */
typedef u8 *(*emit_fn)(const struct wire2 *w, u8 *o, const struct rec *rc, uint32_t slot);

static inline __attribute__((always_inline)) int
emit_column(const struct wire2 *w, struct buf *o, const char *name, uint32_t total, size_t bound,
            size_t meta_off, emit_fn emit, bool as_bin)
{
    if (put_key(o, name) < 0 || buf_reserve(o, bound + 5) < 0)
        return -1;
    u8 *q = o->p + o->len;
    if (as_bin) {
        *q++ = 0xc6;   /* bin 32 */
        q = mp_be32(q, total);
    } else {
        q = mp_container(q, total, 0x90, 0xdc);
    }
    size_t nshapes = VEC_N(&w->shape_meta, struct shape_meta);
    const struct rec *recs = (const struct rec *)(const void *)w->recs.p;
    for (size_t s = 0; s < nshapes; s++) {
        const struct shape_meta *m = &VEC_AT(&w->shape_meta, struct shape_meta, s);
        uint32_t k = *(const uint32_t *)(const void *)((const char *)m + meta_off);
        for (uint32_t j = 0; j < k; j++)
            for (uint32_t i = m->first; i != UINT32_MAX; i = recs[i].next_same)
                q = emit(w, q, &recs[i], j);
    }
    o->len = (size_t)(q - o->p);
    return 0;
}

static u8 *emit_int(const struct wire2 *w, u8 *o, const struct rec *r, uint32_t j)
{
    return mp_int(o, VEC_AT(&w->ints, int64_t, r->int0 + j));
}

static u8 *emit_dbl(const struct wire2 *w, u8 *o, const struct rec *r, uint32_t j)
{
    return mp_double(o, VEC_AT(&w->dbls, double, r->dbl0 + j));
}

static u8 *emit_str(const struct wire2 *w, u8 *o, const struct rec *r, uint32_t j)
{
    struct item it = VEC_AT(&w->stritems, struct item, r->str0 + j);
    return mp_str(o, (const char *)w->strs.p + it.off, it.len);
}

/* Bytes of mp_uint(v). */
static inline size_t uint_size(uint32_t v)
{
    return v < 128 ? 1 : v < 256 ? 2 : v < 65536 ? 3 : 5;
}

/* The three columns of the references (ref_gap, ref_len, vals) in one walk
 * of the records: their sizes are known from the refs beforehand, so each
 * value goes straight to its place in o. Byte for byte what three
 * emit_column calls write. -1 when the refs are not those of the records
 * (the caller then writes the columns one by one) or on allocation failure. */
static int emit_refs(const struct wire2 *w, struct buf *o, uint32_t tref)
{
    size_t nref = VEC_N(&w->ref, struct ref), ngap = 0, nlen = 0, nval = 0;
    const struct ref *refs = (const struct ref *)(const void *)w->ref.p;
    for (size_t i = 0; i < nref; i++) {
        ngap += uint_size(refs[i].gap);
        nlen += uint_size(refs[i].len);
        nval += refs[i].len;
    }
    /* the refs are the shapes' slots, record by record: by construction */
    assert(nref == tref && nval == w->vals.len);
    if (nval > UINT32_MAX)
        return -1;
    /* "ref_gap" [..] "ref_len" [..] "vals" bin */
    if (buf_reserve(o, 8 + 5 + ngap + 8 + 5 + nlen + 5 + 5 + nval) < 0)
        return -1;
    u8 *qg = mp_container(mp_str(o->p + o->len, "ref_gap", 7), tref, 0x90, 0xdc);
    u8 *ql = mp_container(mp_str(qg + ngap, "ref_len", 7), tref, 0x90, 0xdc);
    u8 *qv = mp_str(ql + nlen, "vals", 4);
    *qv++ = 0xc6;   /* bin 32 */
    qv = mp_be32(qv, (uint32_t)nval);
    u8 *end = qv + nval;
    size_t nshapes = VEC_N(&w->shape_meta, struct shape_meta);
    const struct rec *recs = (const struct rec *)(const void *)w->recs.p;
    const char *vals = (const char *)w->vals.p;
    for (size_t s = 0; s < nshapes; s++) {
        const struct shape_meta *m = &VEC_AT(&w->shape_meta, struct shape_meta, s);
        for (uint32_t j = 0; j < m->nref; j++)
            for (uint32_t i = m->first; i != UINT32_MAX; i = recs[i].next_same) {
                struct ref ref = refs[recs[i].ref0 + j];
                qg = mp_uint(qg, ref.gap);
                ql = mp_uint(ql, ref.len);
                copy_bytes(qv, vals + ref.val, ref.len);
                qv += ref.len;
            }
    }
    o->len = (size_t)(end - o->p);
    return 0;
}

static int emit_table(struct buf *o, const char *name, const struct itab *t, bool as_str)
{
    uint32_t n = (uint32_t)VEC_N(&t->items, struct item);
    int rc = put_key(o, name) | mpb_array(o, n);
    for (uint32_t id = 0; id < n && rc == 0; id++) {
        uint32_t len;
        const unsigned char *p = itab_get(t, id, &len);
        rc = as_str ? mpb_str(o, p, len) : buf_append(o, p, len);
    }
    return rc;
}

int wire2_finish(struct wire2 *w, struct buf *o)
{
    size_t before = o->len;
    struct rec *recs = (struct rec *)(void *)w->recs.p;
    uint32_t n = (uint32_t)VEC_N(&w->recs, struct rec);
    size_t nshapes = VEC_N(&w->shape_meta, struct shape_meta);
    uint32_t ncls = (uint32_t)VEC_N(&w->cls.items, struct item);
    struct shape_meta *meta = (struct shape_meta *)(void *)w->shape_meta.p;
    uint32_t *cls_first = malloc((ncls ? ncls : 1) * 2 * sizeof(uint32_t));
    if (!cls_first)
        return -1;
    uint32_t *cls_last = cls_first + (ncls ? ncls : 1);
    memset(cls_first, 0xff, (ncls ? ncls : 1) * 2 * sizeof(uint32_t));
    uint32_t tref = 0, tint = 0, tdbl = 0, tstr = 0, trep = 0;
    for (size_t s = 0; s < nshapes; s++) {
        meta[s].count = 0;
        meta[s].first = meta[s].last = UINT32_MAX;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct rec *r = &recs[i];
        struct shape_meta *m = &meta[r->shape];
        r->next_same = r->next_cls = UINT32_MAX;
        if (m->last == UINT32_MAX)
            m->first = i;
        else
            recs[m->last].next_same = i;
        m->last = i;
        m->count++;
        if (cls_last[r->cls] == UINT32_MAX)
            cls_first[r->cls] = i;
        else
            recs[cls_last[r->cls]].next_cls = i;
        cls_last[r->cls] = i;
        tref += m->nref;
        tint += m->nint;
        tdbl += m->ndbl;
        tstr += m->nstr;
        trep += (m->flags & W2_F_REPEAT) != 0;
    }
    /* times in the largest unit (a power of ten of ns, up to 1 s) that
     * divides them all: lines stamped in ms or s make small deltas */
    int64_t unit = 1000000000;
    for (uint32_t i = 0; i < n && unit > 1; i++)
        while (unit > 1 && recs[i].ts % unit != 0)
            unit /= 10;
    int rc = buf_reserve(o, wire2_bytes(w) + 4 * (size_t)n + 256);
    /* 18 entries; the magic key first so that a reader knows at once */
    rc |= buf_append(o, "\xde\x00\x12", 3);
    rc |= put_key(o, WIRE_V2_MAGIC) | mpb_uint(o, 2) | put_key(o, "n") | mpb_uint(o, n);
    rc |= put_key(o, "ts_unit") | mpb_uint(o, (uint64_t)unit);
    rc |= emit_table(o, "sources", &w->src, false) | emit_table(o, "keys", &w->key, true) |
          emit_table(o, "shapes", &w->shape, false);
    rc |= put_key(o, "classes") | mpb_array(o, ncls);
    for (uint32_t c = 0; c < ncls && rc == 0; c++) {
        uint32_t len;
        const uint32_t *pair = (const uint32_t *)(const void *)itab_get(&w->cls, c, &len);
        rc = mpb_array(o, 2) | mpb_uint(o, pair[0]) | mpb_uint(o, pair[1]);
    }
    rc |= put_key(o, "class") | mpb_array(o, n);
    for (uint32_t i = 0; i < n && rc == 0; i++)
        rc = mpb_uint(o, recs[i].cls);
    rc |= put_key(o, "ts") | mpb_array(o, n);
    for (uint32_t i = 0; i < n && rc == 0; i++)
        rc = mpb_int(o, i ? (int64_t)((uint64_t)(recs[i].ts / unit) - (uint64_t)(recs[i - 1].ts / unit))
                          : recs[i].ts / unit);
    /* rests and their lengths grouped by class (in class id order), record
     * order within: lines alike sit together */
    rc |= put_key(o, "rest_len") | mpb_array(o, n);
    for (uint32_t c = 0; c < ncls && rc == 0; c++)
        for (uint32_t i = cls_first[c]; i != UINT32_MAX && rc == 0; i = recs[i].next_cls)
            rc = mpb_uint(o, recs[i].rest_len);
    rc |= put_key(o, "rest");
    if (rc == 0 && buf_reserve(o, w->lines.len + 5) == 0) {
        unsigned char *q = o->p + o->len;
        *q++ = 0xc6;   /* bin 32 */
        q = mp_be32(q, (uint32_t)w->lines.len);
        for (uint32_t c = 0; c < ncls; c++)
            for (uint32_t i = cls_first[c]; i != UINT32_MAX; i = recs[i].next_cls) {
                memcpy(q, w->lines.p + recs[i].rest_off, recs[i].rest_len);
                q += recs[i].rest_len;
            }
        o->len = (size_t)(q - o->p);
    } else {
        rc = -1;
    }
    if (rc == 0)
        rc = emit_refs(w, o, tref);
    rc |= emit_column(w, o, "ints", tint, 9 * (size_t)tint, offsetof(struct shape_meta, nint),
                      emit_int, false);
    rc |= emit_column(w, o, "doubles", tdbl, 9 * (size_t)tdbl, offsetof(struct shape_meta, ndbl),
                      emit_dbl, false);
    rc |= emit_column(w, o, "strs", tstr, w->strs.len + 5 * (size_t)tstr,
                      offsetof(struct shape_meta, nstr), emit_str, false);
    rc |= put_key(o, "repeat") | mpb_array(o, trep);
    for (uint32_t i = 0; i < n && rc == 0; i++)
        if (meta[recs[i].shape].flags & W2_F_REPEAT)
            rc = mpb_uint(o, recs[i].repeat);
    free(cls_first);
    if (rc < 0) {
        o->len = before;
        return -1;
    }
    wire2_clear(w);
    return 0;
}
