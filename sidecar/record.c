/* record.c - the reused record: fields in a flat pre-order tree, known keys
 * indexed for O(1) lookups, strings borrowed or copied into the arena. */
#include "sidecar/record.h"

#include <stdlib.h>

/* The known keys' names, one after the other in one static object: a key
 * set by record_set_*() points in here, so a copy of a record (the merge)
 * tells by one range test that it outlives the line and need not copy it. */
static const struct {
#define X(id, name) char id[sizeof(name)];
    RECORD_KEYS(X)
#undef X
} rkey_text = {
#define X(id, name) name,
    RECORD_KEYS(X)
#undef X
};

static const char *const rkey_names[RK__COUNT] = {
#define X(id, name) rkey_text.id,
    RECORD_KEYS(X)
#undef X
};

static const uint8_t rkey_lens[RK__COUNT] = {
#define X(id, name) sizeof(name) - 1,
    RECORD_KEYS(X)
#undef X
};

static const char *const kind_names[KIND__COUNT] = {
    "raw", "auth", "shell", "app", "audit", "egress", "alert",
};

void record_init(struct record *r, char *arena, size_t cap)
{
    memset(r, 0, sizeof(*r));
    r->arena = arena;
    r->arena_cap = cap;
    record_reset(r);
}

void record_reset(struct record *r)
{
    r->raw = SPAN_NULL;
    r->ts = r->read_ts = 0;
    r->kind = KIND_RAW;
    r->ts_from_line = false;
    r->truncated = false;
    r->parse_error = NULL;
    r->repeat = 1;
    r->seq = 0;
    r->nfields = 0;
    r->open_depth = 0;
    r->overflow = false;
    r->arena_used = 0;
    memset(r->known, 0, sizeof(r->known));
}

/* Known keys in an open-addressed table by a hash of length, first and last
 * byte: about four slots a key, so a lookup, found or not, mostly reads one
 * slot and compares one name. Filled before main from RECORD_KEYS, so a key
 * added there needs nothing here (test_record checks every name round-trips). */
#define RKEY_SLOTS 128
_Static_assert(RKEY_SLOTS >= 2 * RK__COUNT && (RKEY_SLOTS & (RKEY_SLOTS - 1)) == 0,
               "the known-key table stays sparse and a power of two");
#define RKEY_MAX_LEN 11
#define X(id, name) _Static_assert(sizeof(name) - 1 <= RKEY_MAX_LEN, "known key " name " too long");
RECORD_KEYS(X)
#undef X
static uint8_t rkey_slot[RKEY_SLOTS];   /* key id + 1, 0 = empty */

static inline unsigned rkey_hash(const char *p, size_t n)
{
    return ((unsigned)n * 31u + (unsigned char)p[0] * 7u + (unsigned char)p[n - 1]) &
           (RKEY_SLOTS - 1);
}

__attribute__((constructor)) static void rkey_index(void)
{
    for (unsigned k = 0; k < RK__COUNT; k++) {
        unsigned h = rkey_hash(rkey_names[k], rkey_lens[k]);
        while (rkey_slot[h])
            h = (h + 1) & (RKEY_SLOTS - 1);
        rkey_slot[h] = (uint8_t)(k + 1);
    }
}

enum rkey rkey_lookup(struct span name)
{
    if (name.len == 0 || name.len > RKEY_MAX_LEN)
        return RK__NONE;
    for (unsigned h = rkey_hash(name.p, name.len);; h = (h + 1) & (RKEY_SLOTS - 1)) {
        unsigned id = rkey_slot[h];
        if (!id)
            return RK__NONE;
        id--;
        if (rkey_lens[id] != name.len)
            continue;
        /* names of at most 11 bytes: a byte loop, not a call */
        const char *n = rkey_names[id];
        size_t i = 0;
        while (i < name.len && n[i] == name.p[i])
            i++;
        if (i == name.len)
            return (enum rkey)id;
    }
}

struct span rkey_static_names(void)
{
    return span_make((const char *)&rkey_text, sizeof(rkey_text));
}

const char *rkey_name(enum rkey k)
{
    return (k >= 0 && k < RK__COUNT) ? rkey_names[k] : "";
}

const char *record_kind_name(enum record_kind k)
{
    return (unsigned)k < KIND__COUNT ? kind_names[k] : "raw";
}

/* Appends a field at the current depth; bumps the size of every open container.
 * known is the key's id when the caller knows it, RK__NONE to look it up. */
static inline struct field *field_push_k(struct record *r, struct span key, enum field_type t,
                                         int *idx, enum rkey known)
{
    if (r->nfields >= RECORD_MAX_FIELDS) {
        r->overflow = true;
        return NULL;
    }
    struct field *f = &r->fields[r->nfields];
    f->key = key;
    f->type = (uint8_t)t;
    f->depth = r->open_depth;
    f->size = 0;
    *idx = (int)r->nfields++;
    for (unsigned d = 0; d < r->open_depth; d++)
        r->fields[r->open_stack[d]].size++;
    if (r->open_depth == 0) {
        enum rkey k = known != RK__NONE ? known : rkey_lookup(key);
        if (k != RK__NONE)
            r->known[k] = (int16_t)(*idx + 1);
    }
    return f;
}

static inline struct field *field_push(struct record *r, struct span key, enum field_type t,
                                       int *idx)
{
    return field_push_k(r, key, t, idx, RK__NONE);
}

int record_add_str(struct record *r, struct span key, struct span val)
{
    int idx;
    struct field *f = field_push(r, key, FT_STR, &idx);
    if (!f)
        return -1;
    f->v.s = val;
    return idx;
}

int record_add_int(struct record *r, struct span key, int64_t v)
{
    int idx;
    struct field *f = field_push(r, key, FT_INT, &idx);
    if (!f)
        return -1;
    f->v.i = v;
    return idx;
}

int record_add_double(struct record *r, struct span key, double v)
{
    int idx;
    struct field *f = field_push(r, key, FT_DOUBLE, &idx);
    if (!f)
        return -1;
    f->v.d = v;
    return idx;
}

int record_add_bool(struct record *r, struct span key, bool v)
{
    int idx;
    struct field *f = field_push(r, key, FT_BOOL, &idx);
    if (!f)
        return -1;
    f->v.b = v;
    return idx;
}

int record_add_null(struct record *r, struct span key)
{
    int idx;
    return field_push(r, key, FT_NULL, &idx) ? idx : -1;
}

int record_open(struct record *r, struct span key, enum field_type type)
{
    int idx;
    if (r->open_depth >= RECORD_MAX_DEPTH || r->nfields >= RECORD_MAX_FIELDS) {
        r->overflow = true;
        return -1;
    }
    if (!field_push(r, key, type, &idx))
        return -1;
    r->open_stack[r->open_depth++] = (uint16_t)idx;
    return idx;
}

void record_close(struct record *r)
{
    if (r->open_depth > 0)
        r->open_depth--;
}

/* The known-key setters skip the name lookup: they know the id. At the top
 * level (where they are nearly always used) they need no container walk. */
static inline struct field *known_push(struct record *r, enum rkey k, enum field_type t, int *idx)
{
    if (r->open_depth != 0 || r->nfields >= RECORD_MAX_FIELDS)
        return field_push_k(r, span_make(rkey_names[k], rkey_lens[k]), t, idx, k);
    struct field *f = &r->fields[r->nfields];
    f->key = span_make(rkey_names[k], rkey_lens[k]);
    f->type = (uint8_t)t;
    f->depth = 0;
    f->size = 0;
    *idx = (int)r->nfields++;
    r->known[k] = (int16_t)r->nfields;
    return f;
}

int record_set_str(struct record *r, enum rkey k, struct span val)
{
    int idx;
    struct field *f = known_push(r, k, FT_STR, &idx);
    if (!f)
        return -1;
    f->v.s = val;
    return idx;
}

int record_set_int(struct record *r, enum rkey k, int64_t v)
{
    int idx;
    struct field *f = known_push(r, k, FT_INT, &idx);
    if (!f)
        return -1;
    f->v.i = v;
    return idx;
}

int record_set_bool(struct record *r, enum rkey k, bool v)
{
    int idx;
    struct field *f = known_push(r, k, FT_BOOL, &idx);
    if (!f)
        return -1;
    f->v.b = v;
    return idx;
}

const struct field *record_get(const struct record *r, enum rkey k)
{
    if (k < 0 || k >= RK__COUNT || r->known[k] == 0)
        return NULL;
    return &r->fields[r->known[k] - 1];
}

struct span record_str(const struct record *r, enum rkey k)
{
    const struct field *f = record_get(r, k);
    return (f && f->type == FT_STR) ? f->v.s : SPAN_NULL;
}

bool record_int(const struct record *r, enum rkey k, int64_t *out)
{
    const struct field *f = record_get(r, k);
    if (!f)
        return false;
    if (f->type == FT_INT) {
        *out = f->v.i;
        return true;
    }
    if (f->type == FT_DOUBLE) {
        *out = (int64_t)f->v.d;
        return true;
    }
    if (f->type != FT_STR || f->v.s.len == 0 || f->v.s.len > 19)
        return false;
    int64_t v = 0;
    size_t i = 0;
    bool neg = f->v.s.p[0] == '-';
    if (neg)
        i = 1;
    if (i == f->v.s.len)
        return false;
    for (; i < f->v.s.len; i++) {
        char c = f->v.s.p[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *out = neg ? -v : v;
    return true;
}

const struct field *record_find(const struct record *r, struct span key)
{
    for (uint32_t i = 0; i < r->nfields; i++) {
        const struct field *f = &r->fields[i];
        if (f->depth == 0 && span_eq(f->key, key))
            return f;
    }
    return NULL;
}

char *record_alloc(struct record *r, size_t n)
{
    if (n > r->arena_cap - r->arena_used) {
        r->overflow = true;
        return NULL;
    }
    char *p = r->arena + r->arena_used;
    r->arena_used += n;
    return p;
}

struct span record_copy(struct record *r, const char *p, size_t n)
{
    char *d = record_alloc(r, n);
    if (!d)
        return SPAN_NULL;
    if (n)
        memcpy(d, p, n);
    return span_make(d, n);
}
