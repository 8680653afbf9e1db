/* batch_read_v2.c - the reader of wire format version 2 (wire_v2.h): the
 * content map is turned back into the version 1 entries of the same records,
 * so that everything downstream (batch_read's callbacks, vigil-cat, the
 * by-tag split) reads one form. The content is hostile input: every count is
 * checked against the bytes left before anything is allocated for it, every
 * id against its table, every (offset, length) against its line, and the
 * columns must hold exactly what the shapes ask for. */
#include "outputs/wire_v2.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/batch_read.h"
#include "outputs/mp_write.h"

#define MAX_NEST 64   /* shapes nest no deeper (records: RECORD_MAX_DEPTH) */
#define WIRE2_V1_GROWTH 64   /* version 1 bytes per version 2 content byte, at most */

struct cur {
    const unsigned char *p;
    size_t n, off;
};

static bool rd_be(struct cur *c, unsigned k, uint64_t *v)
{
    if (c->n - c->off < k)
        return false;
    *v = 0;
    for (unsigned i = 0; i < k; i++)
        *v = *v << 8 | c->p[c->off++];
    return true;
}

/* A container header: fix (0x80 map / 0x90 array) */
static bool rd_container(struct cur *c, unsigned fix, uint64_t *n)
{
    if (c->off >= c->n)
        return false;
    unsigned b = c->p[c->off++];
    if ((b & 0xf0) == fix) {
        *n = b & 0x0f;
        return true;
    }
    unsigned b16 = fix == 0x80 ? 0xde : 0xdc;
    if (b == b16)
        return rd_be(c, 2, n);
    if (b == b16 + 1)
        return rd_be(c, 4, n);
    return false;
}

/* An array of n elements of at least one byte each: n cannot exceed what is left. */
static bool rd_array(struct cur *c, uint64_t *n)
{
    return rd_container(c, 0x90, n) && *n <= c->n - c->off;
}

/* str or bin */
static bool rd_bytes(struct cur *c, const unsigned char **p, size_t *len)
{
    if (c->off >= c->n)
        return false;
    unsigned b = c->p[c->off++];
    uint64_t v;
    if ((b & 0xe0) == 0xa0) {
        v = b & 0x1f;
    } else if (b == 0xd9 || b == 0xc4) {
        if (!rd_be(c, 1, &v))
            return false;
    } else if (b == 0xda || b == 0xc5) {
        if (!rd_be(c, 2, &v))
            return false;
    } else if (b == 0xdb || b == 0xc6) {
        if (!rd_be(c, 4, &v))
            return false;
    } else {
        return false;
    }
    if (v > c->n - c->off)
        return false;
    *p = c->p + c->off;
    *len = (size_t)v;
    c->off += (size_t)v;
    return true;
}

static bool rd_nil(struct cur *c)
{
    if (c->off < c->n && c->p[c->off] == 0xc0) {
        c->off++;
        return true;
    }
    return false;
}

static bool rd_int(struct cur *c, int64_t *v)
{
    if (c->off >= c->n)
        return false;
    unsigned b = c->p[c->off++];
    uint64_t u;
    if (b <= 0x7f) {
        *v = b;
        return true;
    }
    if (b >= 0xe0) {
        *v = (int64_t)b - 256;   /* negative fixint */
        return true;
    }
    switch (b) {
    case 0xcc: if (!rd_be(c, 1, &u)) return false; *v = (int64_t)u; return true;
    case 0xcd: if (!rd_be(c, 2, &u)) return false; *v = (int64_t)u; return true;
    case 0xce: if (!rd_be(c, 4, &u)) return false; *v = (int64_t)u; return true;
    case 0xcf: if (!rd_be(c, 8, &u) || u > INT64_MAX) return false; *v = (int64_t)u; return true;
    case 0xd0: if (!rd_be(c, 1, &u)) return false; *v = u < 128 ? (int64_t)u : (int64_t)u - 256; return true;
    case 0xd1: if (!rd_be(c, 2, &u)) return false; *v = (int16_t)u; return true;
    case 0xd2: if (!rd_be(c, 4, &u)) return false; *v = (int32_t)u; return true;
    case 0xd3: if (!rd_be(c, 8, &u)) return false; *v = (int64_t)u; return true;
    default: return false;
    }
}

static bool rd_uint32(struct cur *c, uint32_t *v)
{
    int64_t i;
    if (!rd_int(c, &i) || i < 0 || i > UINT32_MAX)
        return false;
    *v = (uint32_t)i;
    return true;
}

static bool rd_double(struct cur *c, double *d)
{
    uint64_t u;
    if (c->off >= c->n)
        return false;
    unsigned b = c->p[c->off++];
    if (b == 0xcb) {
        if (!rd_be(c, 8, &u))
            return false;
        memcpy(d, &u, sizeof(*d));
        return true;
    }
    if (b == 0xca) {
        if (!rd_be(c, 4, &u))
            return false;
        uint32_t u32 = (uint32_t)u;
        float f;
        memcpy(&f, &u32, sizeof(f));
        *d = f;
        return true;
    }
    return false;
}

struct bytes {
    const unsigned char *p;
    size_t len;
};

struct source {
    struct bytes tag, input, host, path, kind;
    bool has_path;
};

/* A shape, checked once: its codes as ints (the array after its three
 * leading elements), the values it takes from each column. */
struct shape {
    uint32_t flags;
    bool has_pe;
    struct bytes pe;
    uint32_t ntop;
    size_t code0, ncode;            /* in d->codes */
    uint64_t k[4];                  /* ref, int, double, str values per record */
    uint64_t count, base[4];        /* records of it; first value of each column */
    uint64_t rank;                  /* records of it seen so far while rebuilding */
};

enum { COL_REF, COL_INT, COL_DBL, COL_STR };

struct dec {
    struct source *src;
    uint64_t nsrc;
    struct bytes *keys;
    uint64_t nkeys;
    struct shape *shapes;
    uint64_t nshapes;
    uint32_t *codes;                /* all shapes' codes */
    size_t ncodes;
    uint32_t *cls_src, *cls_shape;  /* classes */
    uint64_t ncls;
    uint64_t n;
    int64_t ts_unit;
    uint32_t *rcls, *rest_len;
    int64_t *ts, *ints;
    struct bytes rest, vals;
    uint32_t *ref_gap, *ref_len, *repeat;
    double *dbls;
    struct bytes *strs;
    uint64_t ncol[4], nrepeat;
    uint64_t *rest_off, *val_off;   /* prefix sums of rest_len, ref_len */
    uint64_t *cls_base, *cls_rank;  /* per class: first rest index, records seen */
    struct buf line;                /* the record's line, rebuilt */
};

static void dec_free(struct dec *d)
{
    void *ps[] = { d->src, d->keys, d->shapes, d->codes, d->cls_src, d->cls_shape, d->rcls,
                   d->rest_len, d->ts, d->ints, d->ref_gap, d->ref_len, d->repeat, d->dbls,
                   d->strs, d->rest_off, d->val_off, d->cls_base, d->cls_rank };
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
        free(ps[i]);
    buf_free(&d->line);
}

static void *alloc_n(uint64_t n, size_t size)
{
    return calloc(n ? (size_t)n : 1, size);
}

static const char *rd_sources(struct cur *c, struct dec *d)
{
    if (!rd_array(c, &d->nsrc) || !(d->src = alloc_n(d->nsrc, sizeof(*d->src))))
        return "v2: bad sources";
    for (uint64_t i = 0; i < d->nsrc; i++) {
        uint64_t k;
        struct source *s = &d->src[i];
        if (!rd_array(c, &k) || k != 5 || !rd_bytes(c, &s->tag.p, &s->tag.len) ||
            !rd_bytes(c, &s->input.p, &s->input.len) || !rd_bytes(c, &s->host.p, &s->host.len))
            return "v2: bad source";
        s->has_path = !rd_nil(c);
        if ((s->has_path && !rd_bytes(c, &s->path.p, &s->path.len)) ||
            !rd_bytes(c, &s->kind.p, &s->kind.len))
            return "v2: bad source";
    }
    return NULL;
}

static const char *rd_keys(struct cur *c, struct dec *d)
{
    if (!rd_array(c, &d->nkeys) || !(d->keys = alloc_n(d->nkeys, sizeof(*d->keys))))
        return "v2: bad keys";
    for (uint64_t i = 0; i < d->nkeys; i++)
        if (!rd_bytes(c, &d->keys[i].p, &d->keys[i].len))
            return "v2: bad key";
    return NULL;
}

/* Checks one value's codes at codes[*i..end) and counts its columns. */
static bool check_value(const struct dec *d, const uint32_t *codes, size_t end, size_t *i,
                        struct shape *s, unsigned depth)
{
    if (*i >= end || depth > MAX_NEST)
        return false;
    uint32_t code = codes[(*i)++];
    switch (code) {
    case W2_NIL: case W2_TRUE: case W2_FALSE: return true;
    case W2_REF: case W2_IREF: s->k[COL_REF]++; return true;
    case W2_INT: s->k[COL_INT]++; return true;
    case W2_DOUBLE: s->k[COL_DBL]++; return true;
    case W2_STR: s->k[COL_STR]++; return true;
    case W2_MAP:
    case W2_ARRAY: {
        if (*i >= end)
            return false;
        uint32_t n = codes[(*i)++];
        if (n > end - *i)
            return false;
        for (uint32_t j = 0; j < n; j++) {
            if (code == W2_MAP && (*i >= end || codes[(*i)++] >= d->nkeys))
                return false;
            if (!check_value(d, codes, end, i, s, depth + 1))
                return false;
        }
        return true;
    }
    default: return false;
    }
}

static const char *rd_shapes(struct cur *c, struct dec *d)
{
    if (!rd_array(c, &d->nshapes) || !(d->shapes = alloc_n(d->nshapes, sizeof(*d->shapes))))
        return "v2: bad shapes";
    /* every code is one byte or more: the codes fit in what is left */
    size_t cap = c->n - c->off;
    if (!(d->codes = alloc_n(cap, sizeof(*d->codes))))
        return "out of memory";
    for (uint64_t i = 0; i < d->nshapes; i++) {
        struct shape *s = &d->shapes[i];
        uint64_t n;
        int64_t flags;
        if (!rd_array(c, &n) || n < 3 || !rd_int(c, &flags) || flags < 0 ||
            flags > (W2_F_TRUNCATED | W2_F_REPEAT))
            return "v2: bad shape";
        s->flags = (uint32_t)flags;
        s->has_pe = !rd_nil(c);
        if ((s->has_pe && !rd_bytes(c, &s->pe.p, &s->pe.len)) || !rd_uint32(c, &s->ntop))
            return "v2: bad shape";
        s->code0 = d->ncodes;
        for (uint64_t j = 3; j < n; j++) {
            if (d->ncodes >= cap || !rd_uint32(c, &d->codes[d->ncodes]))
                return "v2: bad shape";
            d->ncodes++;
        }
        s->ncode = d->ncodes - s->code0;
        size_t at = s->code0, end = d->ncodes;
        for (uint32_t j = 0; j < s->ntop; j++) {
            if (at >= end || d->codes[at++] >= d->nkeys)
                return "v2: bad shape key";
            if (!check_value(d, d->codes, end, &at, s, 0))
                return "v2: bad shape value";
        }
        if (at != end)
            return "v2: bad shape length";
    }
    return NULL;
}

/* An array of exactly d->n (want = d->n) or any count (want = UINT64_MAX) of uint32. */
static const char *rd_u32s(struct cur *c, uint64_t want, uint32_t **out, uint64_t *got)
{
    uint64_t n;
    if (!rd_array(c, &n) || (want != UINT64_MAX && n != want) || !(*out = alloc_n(n, sizeof(**out))))
        return "v2: bad column";
    for (uint64_t i = 0; i < n; i++)
        if (!rd_uint32(c, &(*out)[i]))
            return "v2: bad column value";
    if (got)
        *got = n;
    return NULL;
}

static const char *rd_i64s(struct cur *c, uint64_t want, int64_t **out, uint64_t *got)
{
    uint64_t n;
    if (!rd_array(c, &n) || (want != UINT64_MAX && n != want) || !(*out = alloc_n(n, sizeof(**out))))
        return "v2: bad column";
    for (uint64_t i = 0; i < n; i++)
        if (!rd_int(c, &(*out)[i]))
            return "v2: bad column value";
    if (got)
        *got = n;
    return NULL;
}

static const char *rd_classes(struct cur *c, struct dec *d)
{
    if (!rd_array(c, &d->ncls) || !(d->cls_src = alloc_n(d->ncls, sizeof(uint32_t))) ||
        !(d->cls_shape = alloc_n(d->ncls, sizeof(uint32_t))))
        return "v2: bad classes";
    for (uint64_t i = 0; i < d->ncls; i++) {
        uint64_t k;
        if (!rd_array(c, &k) || k != 2 || !rd_uint32(c, &d->cls_src[i]) ||
            !rd_uint32(c, &d->cls_shape[i]) || d->cls_src[i] >= d->nsrc ||
            d->cls_shape[i] >= d->nshapes)
            return "v2: bad class";
    }
    return NULL;
}

static const char *rd_column(struct cur *c, struct dec *d, const char *name)
{
    uint64_t n;
    if (strcmp(name, "sources") == 0)
        return rd_sources(c, d);
    if (strcmp(name, "keys") == 0)
        return rd_keys(c, d);
    if (strcmp(name, "shapes") == 0)
        return rd_shapes(c, d);
    if (strcmp(name, "classes") == 0)
        return rd_classes(c, d);
    if (strcmp(name, "class") == 0)
        return rd_u32s(c, d->n, &d->rcls, NULL);
    if (strcmp(name, "ts") == 0)
        return rd_i64s(c, d->n, &d->ts, NULL);
    if (strcmp(name, "rest_len") == 0)
        return rd_u32s(c, d->n, &d->rest_len, NULL);
    if (strcmp(name, "rest") == 0)
        return rd_bytes(c, &d->rest.p, &d->rest.len) ? NULL : "v2: bad rest";
    if (strcmp(name, "ref_gap") == 0)
        return rd_u32s(c, UINT64_MAX, &d->ref_gap, &d->ncol[COL_REF]);
    if (strcmp(name, "ref_len") == 0)
        return rd_u32s(c, d->ncol[COL_REF], &d->ref_len, NULL) ? "v2: bad ref_len" : NULL;
    if (strcmp(name, "vals") == 0)
        return rd_bytes(c, &d->vals.p, &d->vals.len) ? NULL : "v2: bad vals";
    if (strcmp(name, "ints") == 0)
        return rd_i64s(c, UINT64_MAX, &d->ints, &d->ncol[COL_INT]);
    if (strcmp(name, "repeat") == 0)
        return rd_u32s(c, UINT64_MAX, &d->repeat, &d->nrepeat);
    if (strcmp(name, "doubles") == 0) {
        if (!rd_array(c, &n) || !(d->dbls = alloc_n(n, sizeof(*d->dbls))))
            return "v2: bad doubles";
        for (uint64_t i = 0; i < n; i++)
            if (!rd_double(c, &d->dbls[i]))
                return "v2: bad double";
        d->ncol[COL_DBL] = n;
        return NULL;
    }
    if (strcmp(name, "strs") == 0) {
        if (!rd_array(c, &n) || !(d->strs = alloc_n(n, sizeof(*d->strs))))
            return "v2: bad strs";
        for (uint64_t i = 0; i < n; i++)
            if (!rd_bytes(c, &d->strs[i].p, &d->strs[i].len))
                return "v2: bad str";
        d->ncol[COL_STR] = n;
        return NULL;
    }
    return "v2: unknown key";
}

/* The order the writer uses, and every key exactly once. */
static const char *const col_order[] = { "n", "ts_unit", "sources", "keys", "shapes", "classes",
                                         "class", "ts", "rest_len", "rest", "ref_gap", "ref_len",
                                         "vals", "ints", "doubles", "strs", "repeat" };
#define NCOLS (sizeof(col_order) / sizeof(col_order[0]))

static const char *rd_content(struct cur *c, struct dec *d)
{
    uint64_t nkeys;
    int64_t version;
    const unsigned char *k;
    size_t klen;
    if (!rd_container(c, 0x80, &nkeys) || nkeys != 1 + NCOLS || !rd_bytes(c, &k, &klen) ||
        klen != strlen(WIRE_V2_MAGIC) || memcmp(k, WIRE_V2_MAGIC, klen) != 0 ||
        !rd_int(c, &version))
        return "v2: not a version 2 content map";
    if (version != 2)
        return "v2: unknown wire version";
    for (size_t i = 0; i < NCOLS; i++) {
        if (!rd_bytes(c, &k, &klen) || klen != strlen(col_order[i]) ||
            memcmp(k, col_order[i], klen) != 0)
            return "v2: content keys out of order";
        if (i == 0) {
            int64_t n;
            /* each record takes a byte at least in three columns */
            if (!rd_int(c, &n) || n < 0 || (uint64_t)n > (c->n - c->off) / 3)
                return "v2: bad record count";
            d->n = (uint64_t)n;
            continue;
        }
        if (i == 1) {
            int64_t u;
            if (!rd_int(c, &u) || u < 1 || u > 1000000000 || 1000000000 % u != 0)
                return "v2: bad ts_unit";
            for (int64_t x = u; x > 1; x /= 10)
                if (x % 10)
                    return "v2: bad ts_unit";
            d->ts_unit = u;
            continue;
        }
        const char *why = rd_column(c, d, col_order[i]);
        if (why)
            return why;
    }
    return NULL;
}

/* Prefix sums of len[0..n) into *off (n + 1 entries); false unless they
 * end at total exactly. */
static bool prefix(const uint32_t *len, uint64_t n, uint64_t total, uint64_t **off)
{
    if (!(*off = alloc_n(n + 1, sizeof(**off))))
        return false;
    uint64_t at = 0;
    for (uint64_t i = 0; i < n; i++) {
        (*off)[i] = at;
        at += len[i];   /* n * 2^32 at most: no overflow */
    }
    (*off)[n] = at;
    return at == total;
}

/* Where each shape's values start in each column; the columns must hold
 * exactly what the shapes of the records take. */
static const char *lay_out(struct dec *d)
{
    if (!(d->cls_base = alloc_n(d->ncls, sizeof(uint64_t))) ||
        !(d->cls_rank = alloc_n(d->ncls, sizeof(uint64_t))))
        return "out of memory";
    for (uint64_t i = 0; i < d->n; i++) {
        if (d->rcls[i] >= d->ncls)
            return "v2: record names no class";
        d->shapes[d->cls_shape[d->rcls[i]]].count++;
        d->cls_base[d->rcls[i]]++;
    }
    uint64_t at[4] = { 0 }, reps = 0, base = 0;
    for (uint64_t c = 0; c < d->ncls; c++) {
        uint64_t k = d->cls_base[c];
        d->cls_base[c] = base;
        base += k;
    }
    for (uint64_t s = 0; s < d->nshapes; s++) {
        struct shape *sh = &d->shapes[s];
        for (int col = 0; col < 4; col++) {
            sh->base[col] = at[col];
            /* the sum must stay within the column (count <= n, k small) */
            if (sh->k[col] && sh->count > (d->ncol[col] - at[col]) / sh->k[col])
                return "v2: column shorter than its shapes";
            at[col] += sh->k[col] * sh->count;
        }
        if (sh->flags & W2_F_REPEAT)
            reps += sh->count;
    }
    for (int col = 0; col < 4; col++)
        if (at[col] != d->ncol[col])
            return "v2: column longer than its shapes";
    if (reps != d->nrepeat)
        return "v2: repeat column does not match";
    if (!prefix(d->rest_len, d->n, d->rest.len, &d->rest_off))
        return d->rest_off ? "v2: rest lengths do not add up" : "out of memory";
    if (!prefix(d->ref_len, d->ncol[COL_REF], d->vals.len, &d->val_off))
        return d->val_off ? "v2: reference lengths do not add up" : "out of memory";
    return NULL;
}

/* Canonical decimal: [-]digits, no leading zero (but "0"), no "-0",
 * within int64: the one text of each value the writer references. */
static bool parse_int(const unsigned char *p, size_t n, int64_t *v)
{
    bool neg = n && p[0] == '-';
    size_t i = neg;
    if (i >= n || n - i > 19 || (p[i] == '0' && n - i > 1) || (neg && p[i] == '0'))
        return false;
    uint64_t u = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        u = u * 10 + (uint64_t)(p[i] - '0');   /* 19 digits fit in 64 bits */
    }
    if (u > (uint64_t)INT64_MAX + neg)
        return false;
    *v = neg ? (int64_t)(0 - u) : (int64_t)u;
    return true;
}

struct rebuild {
    size_t start;                   /* where the record starts in out */
    const struct dec *d;
    const struct shape *sh;
    uint64_t rank;
    uint64_t slot[4];               /* next slot of each column within the record */
    struct buf *out;
};

/* The column index of the record's next value of col (lay_out checked
 * that it is inside the column). */
static uint64_t value_at(struct rebuild *b, int col)
{
    const struct shape *sh = b->sh;
    return sh->base[col] + b->slot[col]++ * sh->count + b->rank;
}

static const char *put_value(struct rebuild *b, size_t *i)
{
    const struct dec *d = b->d;
    struct buf *o = b->out;
    uint32_t code = d->codes[(*i)++];
    uint64_t x;
    int64_t v;
    int rc = 0;
    if (o->len - b->start > BATCH_READ_MAX_CONTENT)
        return "v2: record too large";
    switch (code) {
    case W2_NIL: rc = mpb_byte(o, 0xc0); break;
    case W2_TRUE: rc = mpb_byte(o, 0xc3); break;
    case W2_FALSE: rc = mpb_byte(o, 0xc2); break;
    case W2_REF:
        x = value_at(b, COL_REF);
        rc = mpb_str(o, d->vals.p + d->val_off[x], d->ref_len[x]);
        break;
    case W2_IREF:
        x = value_at(b, COL_REF);
        if (!parse_int(d->vals.p + d->val_off[x], d->ref_len[x], &v))
            return "v2: integer reference is not a canonical decimal";
        rc = mpb_int(o, v);
        break;
    case W2_STR:
        x = value_at(b, COL_STR);
        rc = mpb_str(o, d->strs[x].p, d->strs[x].len);
        break;
    case W2_INT:
        x = value_at(b, COL_INT);
        rc = mpb_int(o, d->ints[x]);
        break;
    case W2_DOUBLE:
        x = value_at(b, COL_DBL);
        rc = mpb_double(o, d->dbls[x]);
        break;
    default: {   /* map or array: checked by check_value */
        uint32_t n = d->codes[(*i)++];
        rc = code == W2_MAP ? mpb_map(o, n) : mpb_array(o, n);
        for (uint32_t j = 0; j < n && rc == 0; j++) {
            if (code == W2_MAP) {
                const struct bytes *k = &d->keys[d->codes[(*i)++]];
                rc = mpb_str(o, k->p, k->len);
            }
            const char *why = rc ? NULL : put_value(b, i);
            if (why)
                return why;
        }
    }
    }
    return rc ? "out of memory" : NULL;
}

/* The record's line: its rest with the referenced values put back, each
 * after its gap of rest bytes. */
static const char *put_line(struct dec *d, const struct shape *sh, uint64_t rank, uint64_t ri)
{
    struct buf *l = &d->line;
    const unsigned char *rest = d->rest.p + d->rest_off[ri];
    uint64_t rest_len = d->rest_len[ri], pos = 0;
    l->len = 0;
    for (uint64_t j = 0; j < sh->k[COL_REF]; j++) {
        uint64_t x = sh->base[COL_REF] + j * sh->count + rank;
        if (d->ref_gap[x] > rest_len - pos)
            return "v2: reference gap beyond its line";
        if (buf_append(l, rest + pos, d->ref_gap[x]) < 0 ||
            buf_append(l, d->vals.p + d->val_off[x], d->ref_len[x]) < 0)
            return "out of memory";
        pos += d->ref_gap[x];
    }
    return buf_append(l, rest + pos, rest_len - pos) < 0 ? "out of memory" : NULL;
}

#define PUT_KEY(o, lit) mpb_str((o), lit, sizeof(lit) - 1)

static const char *put_record(struct dec *d, uint64_t i, int64_t ts, uint64_t *rep_i, struct buf *o)
{
    uint32_t cls = d->rcls[i];
    struct shape *sh = &d->shapes[d->cls_shape[cls]];
    const struct source *s = &d->src[d->cls_src[cls]];
    struct rebuild b = { .start = o->len, .d = d, .sh = sh, .rank = sh->rank++, .out = o };
    const char *why = put_line(d, sh, b.rank, d->cls_base[cls] + d->cls_rank[cls]++);
    if (why)
        return why;
    bool trunc = sh->flags & W2_F_TRUNCATED, rep = sh->flags & W2_F_REPEAT;
    uint64_t nmap = 4 + (uint64_t)sh->ntop + s->has_path + sh->has_pe + trunc + rep;
    if (nmap > UINT32_MAX)
        return "v2: record too large";
    int rc = mpb_byte(o, 0x93) | mpb_str(o, s->tag.p, s->tag.len) | mpb_event_time(o, ts) |
             mpb_map(o, (uint32_t)nmap) | PUT_KEY(o, "message") |
             mpb_str(o, d->line.p, d->line.len) | PUT_KEY(o, "kind") |
             mpb_str(o, s->kind.p, s->kind.len) | PUT_KEY(o, "host") |
             mpb_str(o, s->host.p, s->host.len) | PUT_KEY(o, "input") |
             mpb_str(o, s->input.p, s->input.len);
    if (s->has_path)
        rc |= PUT_KEY(o, "path") | mpb_str(o, s->path.p, s->path.len);
    if (sh->has_pe)
        rc |= PUT_KEY(o, "parse_error") | mpb_str(o, sh->pe.p, sh->pe.len);
    if (trunc)
        rc |= PUT_KEY(o, "truncated") | mpb_byte(o, 0xc3);
    if (rep)
        rc |= PUT_KEY(o, "repeat") | mpb_uint(o, d->repeat[(*rep_i)++]);
    if (rc)
        return "out of memory";
    size_t at = sh->code0;
    for (uint32_t j = 0; j < sh->ntop; j++) {
        const struct bytes *k = &d->keys[d->codes[at++]];
        if (mpb_str(o, k->p, k->len) < 0)
            return "out of memory";
        why = put_value(&b, &at);
        if (why)
            return why;
    }
    return NULL;
}

int wire2_is_content(const unsigned char *p, size_t n)
{
    size_t at = 1;
    if (n < 1)
        return 0;
    if (p[0] == 0xde)
        at = 3;
    else if (p[0] == 0xdf)
        at = 5;
    else if ((p[0] & 0xf0) != 0x80)
        return 0;
    size_t m = strlen(WIRE_V2_MAGIC);
    return n >= at + 1 + m && p[at] == (0xa0 | m) && memcmp(p + at + 1, WIRE_V2_MAGIC, m) == 0;
}

const char *wire2_read(const unsigned char *p, size_t n, wire2_entry_fn fn, void *arg, size_t *used)
{
    struct dec d;
    memset(&d, 0, sizeof(d));
    struct cur c = { p, n, 0 };
    struct buf one = { 0 };
    const char *why = rd_content(&c, &d);
    if (!why)
        why = lay_out(&d);
    int64_t ts = 0;
    uint64_t rep_i = 0, total = 0;
    /* Version 1 repeats per record what version 2 holds once: legitimately
     * a few tens of times the content. A content claiming far more is a lie
     * meant to make the reader work (memory stays one record at a time). */
    uint64_t limit = (uint64_t)WIRE2_V1_GROWTH * n + BATCH_READ_MAX_CONTENT;
    for (uint64_t i = 0; !why && i < d.n; i++) {
        /* modulo 2^64, as the writer made the deltas */
        ts = i ? (int64_t)((uint64_t)ts + (uint64_t)d.ts[i]) : d.ts[0];
        one.len = 0;
        why = put_record(&d, i, (int64_t)((uint64_t)ts * (uint64_t)d.ts_unit), &rep_i, &one);
        total += one.len;
        if (!why && total > limit)
            why = "v2: rebuilt entries too large for the content";
        if (!why && fn(arg, one.p, one.len))
            break;
    }
    dec_free(&d);
    buf_free(&one);
    if (!why)
        *used = c.off;
    return why;
}

static int append_cb(void *arg, const unsigned char *entry, size_t len)
{
    return buf_append(arg, entry, len) < 0 ? -1 : 0;
}

const char *wire2_to_v1(const unsigned char *p, size_t n, struct buf *out, size_t *used)
{
    size_t before = out->len;
    const char *why = wire2_read(p, n, append_cb, out, used);
    if (why)
        out->len = before;
    return why;
}
