/* baseline.c - bounded entity tables and the small fixed-size structures
 * detectors embed in their values (hour-of-week profile, decayed set, sliding
 * window, EWMA, HyperLogLog, windowed distinct set).
 *
 * A table keeps its entries dense: entry i lives in chunk i / per_chunk, and
 * entries are never deleted, only overwritten in place when evicted. So
 * eviction samples random indexes in [0, count) and foreach is a plain loop.
 * The index is open addressing with linear probing over (entry + 1, hash high
 * bits) slots, load factor <= 3/4, with backward-shift deletion (no
 * tombstones). Every allocation (table struct, index, chunk array, chunks) is
 * charged to the shared budget before it is made; when the next step does not
 * fit, the table stops growing and evicts instead.
 *
 * Memory per entity = entry (sizeof(struct bl_head) = 40 bytes, plus 64 for
 * the display copy in BL_SHOW_KEY tables, + the value, rounded to 8) + index
 * (8-byte slot and 3 bytes of admission sketch at load 3/8..3/4: 15-29
 * bytes, 20 on average) + a chunk pointer share and a mark bit:
 * bl_entry_bytes() returns it.
 *
 * When a table cannot grow, admission decides (TinyLFU, below): the count of
 * a new key's sightings, kept in a small count-min sketch behind a
 * doorkeeper, must beat the hits of the entry it would evict. */
#include "detectors/baseline.h"
#include "sidecar/hash.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- budget; the keyed hash (sidecar/hash.h) with a key derived from its seed ---- */

int bl_budget_reserve(struct bl_budget *b, uint64_t bytes)
{
    if (b->cap && (bytes > b->cap || b->used > b->cap - bytes))
        return -1;
    b->used += bytes;
    return 0;
}

void bl_budget_release(struct bl_budget *b, uint64_t bytes)
{
    /* every release matches a reservation: more would hide a leak elsewhere */
    assert(bytes <= b->used);
    b->used = bytes > b->used ? 0 : b->used - bytes;
}

uint64_t bl_hash(const struct bl_budget *b, struct span s)
{
    uint64_t seed = b ? b->seed : 0;
    if (b && b->sip)
        return hash_keyed(seed, seed ^ 0x9e3779b97f4a7c15ULL, s.p, s.len);
    return hash_keyed_mum(seed, seed ^ 0x9e3779b97f4a7c15ULL, s.p, s.len);
}

size_t bl_key_part(const struct bl_budget *b, char *out, size_t cap, struct span s)
{
    static const char hex[] = "0123456789abcdef";
    if (s.len <= cap) {
        if (s.len)
            memcpy(out, s.p, s.len);
        return s.len;
    }
    size_t keep = cap - 17;
    uint64_t h = bl_hash(b, s);
    memcpy(out, s.p, keep);
    out[keep] = '\x1e';
    for (int i = 0; i < 16; i++)
        out[keep + 1 + (size_t)i] = hex[(h >> (60 - 4 * i)) & 15];
    return cap;
}

/* ---- entity tables ---- */

struct bl_slot {
    uint32_t idx1;      /* entry index + 1; 0 = empty */
    uint32_t h32;       /* high bits of the hash: most probes never touch the entry */
};

struct bl_table {
    struct bl_budget *budget;
    struct bl_table *next;      /* the budget's list of tables */
    char name[32];
    unsigned flags;             /* BL_SHOW_KEY, BL_NO_ADMISSION */
    size_t value_size;
    size_t key_room;            /* BASELINE_KEY_BYTES with BL_SHOW_KEY, else 0 */
    size_t entry_size;          /* display key + head + value, multiple of 8 */
    size_t per_chunk;           /* entries per chunk (power of two) */
    unsigned chunk_shift;
    unsigned char **chunks;
    size_t nchunks, chunks_cap;
    bool held;                  /* the next chunk is charged already (chunk_add) */
    uint64_t *marks;            /* one bit per entry slot of the chunks (bl_mark) */
    struct bl_slot *index;
    size_t index_cap;           /* power of two */
    /* admission sketch, sized with the index: 4 rows of 8-bit counters
     * (count-min, cm_mask + 1 wide) and a doorkeeper of 16 bits per slot */
    uint8_t *cm;
    uint64_t *door;
    size_t cm_mask, door_mask;
    uint64_t sk_adds;           /* sightings since the sketch was last aged */
    size_t count;               /* entries 0..count-1 are live */
    uint64_t evictions, refused;
    uint64_t bytes;             /* charged to the budget */
    uint64_t max_bytes;         /* the table's own limit under the budget, 0 = none */
    uint64_t rng;
};

#define BL_CHUNK_BYTES   (64u * 1024)     /* entries are allocated this much at a time */
#define BL_INDEX_MIN     64
#define BL_SAMPLE        8
#define BL_HIT_CREDIT    NS_PER_HOUR   /* each doubling of hits is worth an hour of recency */
#define BL_CM_ROWS       4
#define BL_IDLE_HALVING  (7 * NS_PER_DAY)  /* a victim's hits count half per idle week */

/* A table may also stop growing at its own limit (bl_table_limit). */
static bool table_may_grow(const struct bl_table *t, uint64_t n)
{
    return !t->max_bytes || t->bytes + n <= t->max_bytes;
}

static bool budget_take(struct bl_budget *b, uint64_t n)
{
    if (b->used + n > b->cap)
        return false;
    b->used += n;
    return true;
}

static void budget_give(struct bl_budget *b, uint64_t n)
{
    b->used = n > b->used ? 0 : b->used - n;
}

static struct bl_head *entry_at(const struct bl_table *t, size_t i)
{
    return (struct bl_head *)(void *)(t->chunks[i >> t->chunk_shift] +
                                      (i & (t->per_chunk - 1)) * t->entry_size + t->key_room);
}

static size_t mark_words(size_t entries)
{
    return (entries + 63) / 64;
}

/* Adds a chunk of entries. hold (bl_table_new): only charge it to the budget,
 * so that a table is never starved by the others; the chunk itself comes at
 * the first insert, so a table that stays empty costs no memory pages. */
static bool chunk_add(struct bl_table *t, bool hold)
{
    size_t cbytes = t->per_chunk * t->entry_size;
    if (t->nchunks == t->chunks_cap) {
        size_t ncap = t->chunks_cap ? t->chunks_cap * 2 : 8;
        size_t owords = mark_words(t->chunks_cap * t->per_chunk);
        size_t nwords = mark_words(ncap * t->per_chunk);
        size_t grow = (ncap - t->chunks_cap) * sizeof(*t->chunks) +
                      (nwords - owords) * sizeof(uint64_t);
        if (!table_may_grow(t, grow + cbytes) || !budget_take(t->budget, grow + cbytes))
            return false;
        budget_give(t->budget, cbytes);
        unsigned char **nc = realloc(t->chunks, ncap * sizeof(*nc));
        if (!nc) {
            budget_give(t->budget, grow);
            return false;
        }
        t->chunks = nc;
        uint64_t *nm = realloc(t->marks, nwords * sizeof(*nm));
        if (!nm) {
            budget_give(t->budget, grow);
            return false;
        }
        memset(nm + owords, 0, (nwords - owords) * sizeof(*nm));
        t->marks = nm;
        t->chunks_cap = ncap;
        t->bytes += grow;
    }
    bool charged = t->held;
    if (!charged && (!table_may_grow(t, cbytes) || !budget_take(t->budget, cbytes)))
        return false;
    if (hold) {
        t->held = true;
        t->bytes += cbytes;
        return true;
    }
    unsigned char *c = calloc(1, cbytes);
    if (!c) {
        if (!charged)
            budget_give(t->budget, cbytes);
        return false;
    }
    t->held = false;
    t->chunks[t->nchunks++] = c;
    if (!charged)
        t->bytes += cbytes;
    return true;
}

static void index_put(struct bl_slot *ix, size_t cap, uint64_t hash, uint32_t idx1)
{
    size_t mask = cap - 1;
    size_t pos = (size_t)hash & mask;
    while (ix[pos].idx1)
        pos = (pos + 1) & mask;
    ix[pos].idx1 = idx1;
    ix[pos].h32 = (uint32_t)(hash >> 32);
}

/* The sketch is sized with the index, 3 bytes per slot: count-min counters
 * (one per row per 4 slots) and a doorkeeper of 16 bits per slot, which
 * keeps one-off keys out of the counters; aged every 4 * count sightings,
 * the doorkeeper stays below a tenth of false positives. It only counts
 * while the table is full, so a new one starts empty. */
static uint64_t sketch_bytes(size_t icap)
{
    return (uint64_t)BL_CM_ROWS * (icap / 4) + (uint64_t)icap * 2;
}

static bool index_grow(struct bl_table *t, size_t ncap)
{
    uint64_t nbytes = (uint64_t)ncap * sizeof(struct bl_slot) + sketch_bytes(ncap);
    /* both arrays exist during the rehash: charge the new one first */
    if (!table_may_grow(t, nbytes) || !budget_take(t->budget, nbytes))
        return false;
    struct bl_slot *nx = calloc(ncap, sizeof(*nx));
    uint8_t *cm = calloc(BL_CM_ROWS, ncap / 4);
    uint64_t *door = calloc(ncap / 4, sizeof(uint64_t));
    if (!nx || !cm || !door) {
        free(nx);
        free(cm);
        free(door);
        budget_give(t->budget, nbytes);
        return false;
    }
    for (size_t i = 0; i < t->count; i++) {
        struct bl_head *h = entry_at(t, i);
        index_put(nx, ncap, h->hash, (uint32_t)(i + 1));
    }
    uint64_t obytes = t->index ? (uint64_t)t->index_cap * sizeof(struct bl_slot) +
                                 sketch_bytes(t->index_cap) : 0;
    free(t->index);
    free(t->cm);
    free(t->door);
    budget_give(t->budget, obytes);
    t->bytes = t->bytes - obytes + nbytes;
    t->index = nx;
    t->index_cap = ncap;
    t->cm = cm;
    t->cm_mask = ncap / 4 - 1;
    t->door = door;
    t->door_mask = ncap * 16 - 1;
    t->sk_adds = 0;
    return true;
}

struct bl_table *bl_table_new(struct bl_budget *b, const char *name, size_t value_size,
                              unsigned flags)
{
    size_t key_room = flags & BL_SHOW_KEY ? BASELINE_KEY_BYTES : 0;
    size_t entry = (key_room + sizeof(struct bl_head) + value_size + 7) & ~(size_t)7;
    if (!b || value_size > BL_CHUNK_BYTES)
        return NULL;
    if (!budget_take(b, sizeof(struct bl_table)))
        return NULL;
    struct bl_table *t = calloc(1, sizeof(*t));
    if (!t) {
        budget_give(b, sizeof(struct bl_table));
        return NULL;
    }
    t->budget = b;
    t->bytes = sizeof(*t);
    snprintf(t->name, sizeof(t->name), "%s", name ? name : "");
    t->flags = flags;
    t->value_size = value_size;
    t->key_room = key_room;
    t->entry_size = entry;
    t->per_chunk = 16;
    t->chunk_shift = 4;
    while (t->per_chunk * 2 * entry <= BL_CHUNK_BYTES) {
        t->per_chunk *= 2;
        t->chunk_shift++;
    }
    t->rng = b->seed ^ 0x2545f4914f6cdd1dULL ^ (uint64_t)(uintptr_t)t;
    if (!t->rng)
        t->rng = 1;
    t->next = b->tables;
    b->tables = t;
    /* the first step is taken now so a table is never starved by the others */
    if (!index_grow(t, BL_INDEX_MIN) || !chunk_add(t, true))
        goto fail;
    return t;
fail:
    bl_table_free(t);
    return NULL;
}

void bl_table_limit(struct bl_table *t, uint64_t max_bytes)
{
    t->max_bytes = max_bytes;
}

void bl_table_free(struct bl_table *t)
{
    if (!t)
        return;
    for (struct bl_table **p = &t->budget->tables; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    for (size_t i = 0; i < t->nchunks; i++)
        free(t->chunks[i]);
    free(t->chunks);
    free(t->marks);
    free(t->index);
    free(t->cm);
    free(t->door);
    budget_give(t->budget, t->bytes);
    free(t);
}

static uint64_t rng_next(struct bl_table *t)
{
    uint64_t x = t->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    t->rng = x;
    return x;
}

static size_t slot_of(const struct bl_table *t, uint64_t hash, size_t idx)
{
    size_t mask = t->index_cap - 1;
    size_t pos = (size_t)hash & mask;
    while (t->index[pos].idx1 != idx + 1)
        pos = (pos + 1) & mask;
    return pos;
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
static void index_del(struct bl_table *t, size_t pos)
{
    size_t mask = t->index_cap - 1;
    size_t hole = pos;
    size_t j = pos;
    for (;;) {
        j = (j + 1) & mask;
        if (!t->index[j].idx1)
            break;
        struct bl_head *h = entry_at(t, t->index[j].idx1 - 1);
        size_t home = (size_t)h->hash & mask;
        /* j may move into hole when its home is not in (hole, j] cyclically */
        bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!between) {
            t->index[hole] = t->index[j];
            hole = j;
        }
    }
    t->index[hole].idx1 = 0;
    t->index[hole].h32 = 0;
}

static int64_t entry_value(const struct bl_head *h)
{
    int lg = 0;
    for (uint32_t n = h->hits; n > 1 && lg < 40; n >>= 1)
        lg++;
    return h->last_seen + (int64_t)lg * BL_HIT_CREDIT;
}

static size_t pick_victim(struct bl_table *t)
{
    size_t best = (size_t)(rng_next(t) % t->count);
    int64_t bestv = entry_value(entry_at(t, best));
    for (int i = 1; i < BL_SAMPLE; i++) {
        size_t c = (size_t)(rng_next(t) % t->count);
        int64_t v = entry_value(entry_at(t, c));
        if (v < bestv) {
            best = c;
            bestv = v;
        }
    }
    return best;
}

/* ---- admission (TinyLFU): a key that is not in a full table is counted in
 * the sketch and replaces the victim only if it was seen more often than
 * the victim was. A one-off key (a bot's random address) is seen once and
 * refused; a key that comes back is admitted at its second sighting over
 * any one-off victim. The victim's hits halve per idle week, so what was
 * common long ago makes room at last. The keyed hash spreads the sketch: an
 * attacker cannot aim at the counters of a key he does not know the hash of. */

static const uint64_t sk_mul[BL_CM_ROWS + 2] = {
    0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL, 0x165667b19e3779f9ULL,
    0xd6e8feb86659fd93ULL, 0xff51afd7ed558ccdULL, 0xc4ceb9fe1a85ec53ULL,
};

static size_t sk_pos(uint64_t hash, int k, size_t mask)
{
    return (size_t)((hash * sk_mul[k]) >> 32) & mask;
}

/* Halves every counter and clears the doorkeeper: recent sightings weigh more. */
static void sketch_age(struct bl_table *t)
{
    size_t n = BL_CM_ROWS * (t->cm_mask + 1);
    for (size_t i = 0; i < n; i++)
        t->cm[i] >>= 1;
    memset(t->door, 0, (t->door_mask + 1) / 8);
    t->sk_adds = 0;
}

/* Counts one sighting of hash; returns its estimated count, this one included. */
static uint32_t sketch_add(struct bl_table *t, uint64_t hash)
{
    size_t d0 = sk_pos(hash, BL_CM_ROWS, t->door_mask);
    size_t d1 = sk_pos(hash, BL_CM_ROWS + 1, t->door_mask);
    uint64_t b0 = 1ull << (d0 & 63), b1 = 1ull << (d1 & 63);
    uint32_t est = 1;
    if (++t->sk_adds >= 4 * (uint64_t)(t->count > 64 ? t->count : 64))
        sketch_age(t);
    if (!(t->door[d0 / 64] & b0) || !(t->door[d1 / 64] & b1)) {
        t->door[d0 / 64] |= b0;
        t->door[d1 / 64] |= b1;
        return est;
    }
    /* seen before: count it (conservative update: only the smallest counters grow) */
    uint8_t *c[BL_CM_ROWS];
    uint8_t min = UINT8_MAX;
    for (int k = 0; k < BL_CM_ROWS; k++) {
        c[k] = &t->cm[(size_t)k * (t->cm_mask + 1) + sk_pos(hash, k, t->cm_mask)];
        if (*c[k] < min)
            min = *c[k];
    }
    for (int k = 0; k < BL_CM_ROWS && min < UINT8_MAX; k++)
        if (*c[k] == min)
            (*c[k])++;
    return est + min + (min < UINT8_MAX);
}

static uint32_t victim_hits(const struct bl_head *h, int64_t now)
{
    int64_t idle = now - h->last_seen;
    int64_t halvings = idle > 0 ? idle / BL_IDLE_HALVING : 0;
    return halvings >= 32 ? 0 : h->hits >> halvings;
}

static void mark_clear(struct bl_table *t, size_t idx)
{
    t->marks[idx / 64] &= ~(1ull << (idx & 63));
}

/* Finds the entry of a key known by its hash, full length and display
 * prefix (shown.len <= BASELINE_KEY_BYTES): the probe every lookup makes,
 * inlined into its callers; creating is insert_hashed's. */
static inline struct bl_head *find_hashed(struct bl_table *t, uint64_t hash, uint32_t fulllen,
                                          struct span shown, int64_t now, bool touch)
{
    uint32_t h32 = (uint32_t)(hash >> 32);
    size_t mask = t->index_cap - 1;
    for (size_t pos = (size_t)hash & mask; t->index[pos].idx1; pos = (pos + 1) & mask) {
        if (t->index[pos].h32 != h32)
            continue;
        struct bl_head *h = entry_at(t, t->index[pos].idx1 - 1);
        if (h->hash == hash && h->fulllen == fulllen &&
            (!t->key_room || (h->keylen == shown.len &&
                              memcmp((const char *)h - t->key_room, shown.p, shown.len) == 0))) {
            if (touch)
                bl_touch(h, now);
            return h;
        }
    }
    return NULL;
}

/* Creates the entry of a key find_hashed did not find. A snapshot being
 * loaded is not subject to admission (`admit` false): it was admitted
 * before. */
static struct bl_head *insert_hashed(struct bl_table *t, uint64_t hash, uint32_t fulllen,
                                     struct span shown, int64_t now, bool touch, bool admit,
                                     uint32_t seen)
{
    bool show = t->key_room != 0;
    size_t idx;
    if (t->count + 1 > t->index_cap / 4 * 3 && !index_grow(t, t->index_cap * 2))
        goto evict;
    if (t->count == t->nchunks * t->per_chunk && !chunk_add(t, false))
        goto evict;
    idx = t->count++;
    goto fill;
evict:
    if (t->count == 0)
        return NULL;
    if (admit && !(t->flags & BL_NO_ADMISSION)) {
        uint32_t est = sketch_add(t, hash);
        if (est > seen)
            seen = est;
        idx = pick_victim(t);
        if (seen <= victim_hits(entry_at(t, idx), now)) {
            t->refused++;
            t->budget->refused++;
            return NULL;
        }
    } else {
        idx = pick_victim(t);
    }
    index_del(t, slot_of(t, entry_at(t, idx)->hash, idx));
    t->evictions++;
    t->budget->evictions++;
fill:;
    struct bl_head *h = entry_at(t, idx);
    memset((char *)h - t->key_room, 0, t->entry_size);
    mark_clear(t, idx);
    h->hash = hash;
    h->first_seen = h->last_seen = now;
    h->hits = touch ? 1 : 0;
    h->fulllen = fulllen;
    h->idx = (uint32_t)idx;
    if (show) {
        h->keylen = (uint8_t)shown.len;
        if (shown.len)
            memcpy((char *)h - t->key_room, shown.p, shown.len);
    }
    index_put(t->index, t->index_cap, hash, (uint32_t)(idx + 1));
    return h;
}

static inline struct bl_head *lookup_hashed(struct bl_table *t, uint64_t hash, uint32_t fulllen,
                                            struct span shown, int64_t now, bool create,
                                            bool touch, bool admit, uint32_t seen)
{
    struct bl_head *h = find_hashed(t, hash, fulllen, shown, now, touch);
    if (h || !create)
        return h;
    return insert_hashed(t, hash, fulllen, shown, now, touch, admit, seen);
}

/* The whole key is hashed and its length compared: two identities that share
 * their first BASELINE_KEY_BYTES bytes (AWS SSO session ARNs do) are two
 * entities. Keys are at most a line long, so the length fits 32 bits. */
struct bl_head *bl_lookup_h(struct bl_table *t, struct span key, uint64_t hash, int64_t now,
                            bool create, bool touch)
{
    if (key.len > UINT32_MAX)
        key.len = UINT32_MAX;
    struct span shown = span_make(key.p, key.len < BASELINE_KEY_BYTES ? key.len : BASELINE_KEY_BYTES);
    return lookup_hashed(t, hash, (uint32_t)key.len, shown, now, create, touch, true, 0);
}

void bl_prefetch(const struct bl_table *t, uint64_t hash)
{
    __builtin_prefetch(&t->index[(size_t)hash & (t->index_cap - 1)]);
}

struct bl_head *bl_lookup_seen(struct bl_table *t, struct span key, uint64_t hash, int64_t now,
                               uint32_t seen)
{
    if (key.len > UINT32_MAX)
        key.len = UINT32_MAX;
    struct span shown = span_make(key.p, key.len < BASELINE_KEY_BYTES ? key.len : BASELINE_KEY_BYTES);
    return lookup_hashed(t, hash, (uint32_t)key.len, shown, now, true, true, true, seen);
}

struct bl_head *bl_lookup(struct bl_table *t, struct span key, int64_t now, bool create, bool touch)
{
    if (key.len > UINT32_MAX)
        key.len = UINT32_MAX;
    struct span shown = span_make(key.p, key.len < BASELINE_KEY_BYTES ? key.len : BASELINE_KEY_BYTES);
    return lookup_hashed(t, bl_hash(t->budget, key), (uint32_t)key.len, shown, now, create, touch,
                         true, 0);
}

size_t bl_table_count(const struct bl_table *t)
{
    return t ? t->count : 0;
}

uint64_t bl_table_evictions(const struct bl_table *t)
{
    return t ? t->evictions : 0;
}

uint64_t bl_table_refused(const struct bl_table *t)
{
    return t ? t->refused : 0;
}

uint64_t bl_table_bytes(const struct bl_table *t)
{
    return t ? t->bytes : 0;
}

const char *bl_table_name(const struct bl_table *t)
{
    return t->name;
}

const struct bl_table *bl_table_next(const struct bl_table *t)
{
    return t->next;
}

size_t bl_entry_bytes(const struct bl_table *t)
{
    /* entry + an index slot and its sketch share at the average load of 9/16
     * + its chunk pointer and mark bit */
    return t->entry_size + (sizeof(struct bl_slot) + 3) * 16 / 9 + sizeof(void *) / t->per_chunk +
           1;
}

void bl_table_foreach(struct bl_table *t, void (*fn)(struct bl_head *h, void *arg), void *arg)
{
    size_t n = t->count;
    for (size_t i = 0; i < n && i < t->count; i++)
        fn(entry_at(t, i), arg);
}

void bl_mark(struct bl_table *t, const struct bl_head *h)
{
    t->marks[h->idx / 64] |= 1ull << (h->idx & 63);
}

/* Walks the mark words: an entry that nothing marked costs a bit, not a
 * cache miss. */
void bl_table_foreach_marked(struct bl_table *t, bool (*fn)(struct bl_head *h, void *arg),
                             void *arg)
{
    size_t words = mark_words(t->count);
    for (size_t w = 0; w < words; w++) {
        uint64_t m = t->marks[w];
        while (m) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(m);
            m &= m - 1;
            if (i < t->count && !fn(entry_at(t, i), arg))
                mark_clear(t, i);
        }
    }
}

/* ---- persistence ---- */

#define BL_TABLE_MAGIC   0x42544c56u   /* "VLTB" */
#define BL_TABLE_VERSION 3u            /* 1: keys cut at 64 bytes, no hash or length;
                                          2: every entry with its display copy;
                                          3: the display copy only in BL_SHOW_KEY tables */

struct bl_file_head {
    uint32_t magic, version;
    uint32_t head_size, value_size;
    uint64_t count;
};

struct bl_file_entry_v1 {
    int64_t first_seen, last_seen;
    uint32_t hits;
    uint8_t keylen;
    uint8_t pad[3];
};

/* A key longer than its display copy, or kept without one, is known by its
 * hash, which depends on the seed: the registry refuses snapshots of another
 * seed, so it holds. */
struct bl_file_entry {
    int64_t first_seen, last_seen;
    uint32_t hits;
    uint32_t fulllen;
    uint64_t hash;
    uint8_t keylen;
    uint8_t pad[7];
};

int bl_table_save(const struct bl_table *t, FILE *f)
{
    struct bl_file_head fh = { BL_TABLE_MAGIC, BL_TABLE_VERSION, (uint32_t)sizeof(struct bl_head),
                               (uint32_t)t->value_size, t->count };
    uint64_t sum = HASH_FNV_INIT;
    if (fwrite(&fh, sizeof(fh), 1, f) != 1)
        return -1;
    for (size_t i = 0; i < t->count; i++) {
        const struct bl_head *h = entry_at(t, i);
        const char *key = (const char *)h - t->key_room;
        struct bl_file_entry e = { h->first_seen, h->last_seen, h->hits, h->fulllen, h->hash,
                                   h->keylen, { 0 } };
        sum = hash_fnv1a(&e, sizeof(e), sum);
        sum = hash_fnv1a(key, h->keylen, sum);
        sum = hash_fnv1a(h + 1, t->value_size, sum);
        if (fwrite(&e, sizeof(e), 1, f) != 1 || fwrite(key, 1, h->keylen, f) != h->keylen ||
            fwrite(h + 1, 1, t->value_size, f) != t->value_size)
            return -1;
    }
    if (fwrite(&sum, sizeof(sum), 1, f) != 1)
        return -1;
    return 0;
}

/* One entry of any version into e (a v1 key is whole as stored: it was cut
 * at 64 bytes when written, and is taken as a key of that length). */
static int read_entry(FILE *f, uint32_t version, struct bl_file_entry *e, uint64_t *sum)
{
    if (version == 1) {
        struct bl_file_entry_v1 e1;
        if (fread(&e1, sizeof(e1), 1, f) != 1)
            return -1;
        *sum = hash_fnv1a(&e1, sizeof(e1), *sum);
        *e = (struct bl_file_entry){ e1.first_seen, e1.last_seen, e1.hits, e1.keylen, 0,
                                     e1.keylen, { 0 } };
        return 0;
    }
    if (fread(e, sizeof(*e), 1, f) != 1)
        return -1;
    *sum = hash_fnv1a(e, sizeof(*e), *sum);
    return 0;
}

/* The display copy is the key's first bytes; version 3 may also store none. */
static bool entry_sane(uint32_t version, const struct bl_file_entry *e)
{
    uint32_t want = e->fulllen < BASELINE_KEY_BYTES ? e->fulllen : BASELINE_KEY_BYTES;
    return e->first_seen <= e->last_seen &&
           (e->keylen == want || (version >= 3 && e->keylen == 0));
}

/* Versions 1 to 3 load into either kind of table: a display copy the table
 * does not keep is dropped (the key's hash stands for it). */
int bl_table_load(struct bl_table *t, FILE *f)
{
    struct bl_file_head fh;
    uint64_t sum = HASH_FNV_INIT;
    unsigned char key[BASELINE_KEY_BYTES];
    if (fread(&fh, sizeof(fh), 1, f) != 1 || fh.magic != BL_TABLE_MAGIC ||
        fh.version < 1 || fh.version > BL_TABLE_VERSION ||
        (fh.version == BL_TABLE_VERSION && fh.head_size != sizeof(struct bl_head)) ||
        fh.value_size != t->value_size || fh.count > (1ull << 32))
        return -1;
    unsigned char *val = malloc(t->value_size ? t->value_size : 1);
    if (!val)
        return -1;
    for (uint64_t i = 0; i < fh.count; i++) {
        struct bl_file_entry e;
        if (read_entry(f, fh.version, &e, &sum) < 0 || !entry_sane(fh.version, &e) ||
            fread(key, 1, e.keylen, f) != e.keylen ||
            fread(val, 1, t->value_size, f) != t->value_size)
            goto fail;
        sum = hash_fnv1a(key, e.keylen, sum);
        sum = hash_fnv1a(val, t->value_size, sum);
        /* a whole key's hash is recomputed: it depends on the seed, not the file */
        struct span k = span_make((const char *)key, e.keylen);
        uint64_t hash = e.fulllen == e.keylen ? bl_hash(t->budget, k) : e.hash;
        struct bl_head *h = lookup_hashed(t, hash, e.fulllen, k, e.last_seen, true, false, false,
                                          0);
        if (!h)
            goto fail;
        h->first_seen = e.first_seen;
        h->last_seen = e.last_seen;
        h->hits = e.hits;
        memcpy(h + 1, val, t->value_size);
        bl_mark(t, h);    /* a tick sees what the entry had pending */
    }
    uint64_t want;
    if (fread(&want, sizeof(want), 1, f) != 1 || want != sum)
        goto fail;
    free(val);
    return 0;
fail:
    free(val);
    return -1;
}

/* ---- hour-of-week profile ---- */

#define BL_HOURS_HALVE_AT 8192   /* total at which all counters halve: recent weeks weigh more */

static int hour_of_week(int64_t now)
{
    int64_t hours = now / NS_PER_HOUR;
    if (now < 0 && now % NS_PER_HOUR)
        hours--;
    int64_t days = hours >= 0 ? hours / 24 : (hours - 23) / 24;
    int dow = (int)(((days + 3) % 7 + 7) % 7);    /* 1970-01-01 was a Thursday; Monday = 0 */
    int hod = (int)(((hours % 24) + 24) % 24);
    return dow * 24 + hod;
}

int bl_hour_of_day(int64_t now)
{
    return hour_of_week(now) % 24;
}

void bl_hours_add(struct bl_hours *p, int64_t now)
{
    int i = hour_of_week(now);
    if (p->h[i] == UINT16_MAX || p->total >= BL_HOURS_HALVE_AT) {
        p->total = 0;
        for (int k = 0; k < 168; k++) {
            p->h[k] /= 2;
            p->total += p->h[k];
        }
    }
    p->h[i]++;
    p->total++;
}

double bl_hours_share(const struct bl_hours *p, int64_t now)
{
    if (!p->total)
        return 0;
    int i = hour_of_week(now);
    uint32_t s = (uint32_t)p->h[(i + 167) % 168] + p->h[i] + p->h[(i + 1) % 168];
    return (double)s / p->total;
}

static void hours_of_day(const struct bl_hours *p, uint32_t day[24])
{
    memset(day, 0, 24 * sizeof(day[0]));
    for (int k = 0; k < 168; k++)
        day[k % 24] += p->h[k];
}

/* The shortest circular run of hours-of-day holding >= 95% of the activity;
 * false when there is none. */
static bool hours_span(const struct bl_hours *p, int *start_out, int *len_out)
{
    uint32_t day[24];
    uint64_t total = 0;
    hours_of_day(p, day);
    for (int k = 0; k < 24; k++)
        total += day[k];
    if (!total)
        return false;
    int best_start = 0, best_len = 25;
    for (int start = 0; start < 24; start++) {
        if (!day[start])
            continue;    /* a tightest run starts on an active hour */
        uint64_t s = 0;
        for (int len = 1; len <= 24 && len < best_len; len++) {
            s += day[(start + len - 1) % 24];
            if (s * 20 >= total * 19) {
                best_len = len;
                best_start = start;
                break;
            }
        }
    }
    *start_out = best_start;
    *len_out = best_len > 24 ? 24 : best_len;
    return true;
}

/* Usual: inside the span that holds the activity ("08-19h" covers 10:00 even
 * if no login happened at 10 yet), or next to an hour that was ever active. */
bool bl_hours_usual(const struct bl_hours *p, int64_t now)
{
    int start, len;
    int hod = bl_hour_of_day(now);
    /* the three hours of day on the seven days first: most logins are usual */
    for (int dow = 0; dow < 7; dow++)
        if (p->h[dow * 24 + hod] || p->h[dow * 24 + (hod + 23) % 24] ||
            p->h[dow * 24 + (hod + 1) % 24])
            return true;
    return hours_span(p, &start, &len) && (hod - start + 24) % 24 < len;
}

void bl_hours_describe(const struct bl_hours *p, char *out, size_t cap)
{
    int start, len;
    if (!cap)
        return;
    out[0] = 0;
    if (hours_span(p, &start, &len))
        snprintf(out, cap, "%02d-%02dh", start, (start + len - 1) % 24);
}

/* ---- decayed set ---- */

static double decayed(float w, int64_t last, int64_t now, int64_t halflife)
{
    if (w <= 0)
        return 0;
    if (halflife <= 0 || now <= last)
        return w;
    return w * exp2(-(double)(now - last) / (double)halflife);
}

static int set_find(const struct bl_set *s, uint64_t hash)
{
    for (int i = 0; i < BL_SET_SLOTS; i++)
        if (s->slot[i].weight > 0 && s->slot[i].hash == hash)
            return i;
    return -1;
}

/* The value found replaces nothing; a new value takes an empty slot or the
 * one with the lowest decayed weight, starting at weight 1 (not inheriting the
 * victim's count as classic space-saving does: here a value seen once must
 * still look rare the next time). */
double bl_set_add(struct bl_set *s, const struct bl_budget *b, struct span value, int64_t now,
                  int64_t halflife_ns)
{
    uint64_t hash = bl_hash(b, value);
    int i = set_find(s, hash);
    if (i >= 0) {
        double prev = decayed(s->slot[i].weight, s->slot[i].last, now, halflife_ns);
        s->slot[i].weight = (float)(prev + 1);
        if (now > s->slot[i].last)
            s->slot[i].last = now;
        return prev;
    }
    int victim = 0;
    double vw = 1e300;
    for (int k = 0; k < BL_SET_SLOTS; k++) {
        double w = decayed(s->slot[k].weight, s->slot[k].last, now, halflife_ns);
        if (w < vw) {
            vw = w;
            victim = k;
        }
    }
    size_t n = value.len < BL_SET_TEXT ? value.len : BL_SET_TEXT;
    s->slot[victim].hash = hash;
    s->slot[victim].last = now;
    s->slot[victim].weight = 1;
    s->slot[victim].len = (uint8_t)n;
    memset(s->slot[victim].text, 0, BL_SET_TEXT);
    if (n)
        memcpy(s->slot[victim].text, value.p, n);
    return 0;
}

double bl_set_weight(const struct bl_set *s, const struct bl_budget *b, struct span value,
                     int64_t now, int64_t halflife_ns)
{
    int i = set_find(s, bl_hash(b, value));
    return i < 0 ? 0 : decayed(s->slot[i].weight, s->slot[i].last, now, halflife_ns);
}

void bl_set_describe(const struct bl_set *s, char *out, size_t cap, unsigned n)
{
    int order[BL_SET_SLOTS];
    int k = 0;
    size_t o = 0;
    if (!cap)
        return;
    out[0] = 0;
    for (int i = 0; i < BL_SET_SLOTS; i++)
        if (s->slot[i].weight > 0)
            order[k++] = i;
    for (int i = 1; i < k; i++)        /* insertion sort, heaviest first */
        for (int j = i; j > 0 && s->slot[order[j]].weight > s->slot[order[j - 1]].weight; j--) {
            int tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    for (int i = 0; i < k && (unsigned)i < n; i++) {
        const char *sep = i ? ", " : "";
        int w = snprintf(out + o, cap - o, "%s%.*s", sep, (int)s->slot[order[i]].len,
                         s->slot[order[i]].text);
        if (w < 0 || (size_t)w >= cap - o)
            break;
        o += (size_t)w;
    }
}

unsigned bl_set_count(const struct bl_set *s)
{
    unsigned n = 0;
    for (int i = 0; i < BL_SET_SLOTS; i++)
        n += s->slot[i].weight > 0;
    return n;
}

/* ---- sliding window ---- */

static int64_t win_width(int64_t window_ns)
{
    int64_t w = window_ns / BL_WIN_BUCKETS;
    return w > 0 ? w : 1;
}

/* Moves the newest bucket forward to now, clearing the buckets it passes.
 * Returns the bucket offset (0 = newest) for now, or -1 when now is older
 * than the window. */
static int win_advance(struct bl_window *w, int64_t now, int64_t window_ns)
{
    int64_t width = win_width(window_ns);
    if (w->bucket_start == 0) {
        w->bucket_start = now - (now % width);
        return 0;
    }
    if (now >= w->bucket_start + width) {
        int64_t steps = (now - w->bucket_start) / width;
        if (steps >= BL_WIN_BUCKETS) {
            memset(w->b, 0, sizeof(w->b));
        } else {
            for (int64_t i = 0; i < steps; i++) {
                w->head = (uint8_t)((w->head + 1) % BL_WIN_BUCKETS);
                w->b[w->head] = 0;
            }
        }
        w->bucket_start += steps * width;
        return 0;
    }
    if (now >= w->bucket_start)
        return 0;
    int64_t back = (w->bucket_start - now + width - 1) / width;
    return back < BL_WIN_BUCKETS ? (int)back : -1;
}

uint32_t bl_window_add(struct bl_window *w, int64_t now, int64_t window_ns, uint32_t n)
{
    int off = win_advance(w, now, window_ns);
    if (off >= 0) {
        uint8_t i = (uint8_t)((w->head + BL_WIN_BUCKETS - off) % BL_WIN_BUCKETS);
        w->b[i] = w->b[i] > UINT32_MAX - n ? UINT32_MAX : w->b[i] + n;
    }
    return bl_window_count(w, now, window_ns);
}

uint32_t bl_window_count(struct bl_window *w, int64_t now, int64_t window_ns)
{
    if (w->bucket_start == 0)
        return 0;
    win_advance(w, now, window_ns);
    uint64_t s = 0;
    for (int i = 0; i < BL_WIN_BUCKETS; i++)
        s += w->b[i];
    return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

/* ---- EWMA ---- */

void bl_ewma_add(struct bl_ewma *e, double x, double alpha)
{
    if (e->n == 0) {
        e->mean = x;
        e->var = 0;
    } else {
        double diff = x - e->mean;
        double incr = alpha * diff;
        e->mean += incr;
        e->var = (1 - alpha) * (e->var + diff * incr);
    }
    if (e->n < UINT32_MAX)
        e->n++;
}

/* The standard deviation is floored at 10% of |mean| (and 1e-6) so a perfectly
 * flat history does not turn the first wobble into an infinite score. */
double bl_ewma_z(const struct bl_ewma *e, double x, uint32_t min_n)
{
    if (e->n < min_n)
        return 0;
    double sd = sqrt(e->var > 0 ? e->var : 0);
    double floor = fabs(e->mean) * 0.1;
    if (sd < floor)
        sd = floor;
    if (sd < 1e-6)
        sd = 1e-6;
    return (x - e->mean) / sd;
}

/* ---- HyperLogLog, 64 registers ---- */

void bl_hll_add(struct bl_hll *h, uint64_t hash)
{
    unsigned idx = (unsigned)(hash & 63);
    uint64_t w = hash >> 6;    /* 58 significant bits */
    uint8_t rho = w ? (uint8_t)(__builtin_clzll(w) - 6 + 1) : 59;
    if (rho > h->reg[idx])
        h->reg[idx] = rho;
}

double bl_hll_count(const struct bl_hll *h)
{
    const double m = 64, alpha = 0.709;
    double sum = 0;
    unsigned zeros = 0;
    for (int i = 0; i < 64; i++) {
        sum += ldexp(1.0, -h->reg[i]);
        zeros += h->reg[i] == 0;
    }
    double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros)
        e = m * log(m / zeros);
    return e;
}

/* ---- windowed distinct ---- */

unsigned bl_distinct_add(struct bl_distinct *d, uint64_t hash, int64_t now, int64_t window_ns)
{
    int found = -1, victim = 0;
    for (int i = 0; i < BL_DISTINCT; i++) {
        if (d->when[i] && d->hash[i] == hash) {
            found = i;
            break;
        }
        if (d->when[i] < d->when[victim])
            victim = i;    /* empty (0) or oldest */
    }
    if (found >= 0) {
        if (now > d->when[found])
            d->when[found] = now;
    } else {
        d->hash[victim] = hash;
        d->when[victim] = now;
    }
    unsigned n = 0;
    for (int i = 0; i < BL_DISTINCT; i++)
        n += d->when[i] && d->when[i] >= now - window_ns;
    return n;
}
