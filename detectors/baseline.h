/* baseline.h - bounded, persisted memory of what is normal, for every detector.
 *
 * A bl_table maps an entity key (user, source IP, identity, command, ...) to a
 * fixed-size value chosen by the detector. Keys are told apart over their full
 * length (keyed hash of the whole key, its length, and its first bytes in
 * the tables that keep them for display). All tables draw from one struct
 * bl_budget (detectors.memory_max): at the cap a new key must be admitted,
 * and then evicts the least valuable entry (sampled: oldest last_seen,
 * fewest hits) of the same table, so memory never grows past the cap, keys
 * seen often are not pushed out by keys seen once, and every operation stays
 * O(1). Hashes are keyed with a per-install random seed kept in the
 * snapshot, so an attacker cannot aim collisions at a table.
 *
 * The value types below are plain fixed-size structs meant to be embedded in a
 * detector's value; they take the event time `now` (ns) and never the clock. */
#ifndef VIGIL_BASELINE_H
#define VIGIL_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sidecar/limits.h"
#include "sidecar/span.h"

#define NS_PER_SEC  1000000000LL
#define NS_PER_HOUR (3600LL * NS_PER_SEC)
#define NS_PER_DAY  (24LL * NS_PER_HOUR)

struct bl_budget {
    uint64_t cap;          /* bytes all tables may use together */
    uint64_t used;         /* bytes in use now */
    uint64_t evictions;    /* entries evicted at the cap, all tables */
    uint64_t refused;      /* new keys refused admission at the cap, all tables */
    uint64_t seed;         /* hash key */
    bool sip;              /* hash with SipHash-1-3: baselines loaded from snapshots made
                              before the multiply-mix hash (registry.c) keep their hashes */
    struct bl_table *tables;   /* the tables drawing from it (bl_table_next) */
};

uint64_t bl_hash(const struct bl_budget *b, struct span s);

/* Writes s into out (cap >= 32 bytes) as one part of a composite key: as it
 * is when it fits, else its first bytes, '\x1e' and 16 hex digits of its
 * keyed hash, so composite keys stay distinct over the full length of their
 * parts in a bounded buffer. Returns the bytes written (no NUL). */
size_t bl_key_part(const struct bl_budget *b, char *out, size_t cap, struct span s);

/* Fixed allocations outside tables (template trees, incident chains) count
 * against the same cap: reserve returns -1 when bytes do not fit under it. */
int bl_budget_reserve(struct bl_budget *b, uint64_t bytes);
void bl_budget_release(struct bl_budget *b, uint64_t bytes);

/* ---- entity tables ---- */
/* Every entry starts with this head; the value follows it. A table made with
 * BL_SHOW_KEY also keeps the key's first BASELINE_KEY_BYTES bytes, for the
 * alerts that print it, in front of the head; other tables know a key by its
 * keyed hash and length only (a 64-bit keyed hash: two keys of one length
 * colliding is a 2^-64 event an attacker cannot aim at without the seed). */
struct bl_head {
    uint64_t hash;                   /* keyed hash of the whole key */
    int64_t first_seen, last_seen;   /* event time, ns */
    uint32_t hits;
    uint32_t fulllen;                /* length of the whole key */
    uint32_t idx;                    /* the entry's place in its table */
    uint8_t keylen;                  /* display bytes kept, <= BASELINE_KEY_BYTES (0: none) */
    uint8_t pad[3];
};

struct bl_table;

#define BL_SHOW_KEY     1u   /* keep the key's first bytes for display (bl_key) */
#define BL_NO_ADMISSION 2u   /* at the cap a new key always evicts (short-lived keys) */

/* value_size bytes follow each head; zeroed for new entries. */
struct bl_table *bl_table_new(struct bl_budget *b, const char *name, size_t value_size,
                              unsigned flags);
void bl_table_free(struct bl_table *t);
/* Caps what t may take of the budget (bytes, all its allocations): a table
 * that anyone can fill (first failures of bot addresses) stops growing there
 * and admits within, leaving the rest of the budget to the others. */
void bl_table_limit(struct bl_table *t, uint64_t max_bytes);
/* Finds key; with create, inserts it and sets first_seen. Updates last_seen
 * and hits when touch. When the table cannot grow under the cap, a new key
 * must win admission (baseline.c): it replaces the least valuable of a
 * sample of entries (oldest last_seen, fewest hits) only if it was seen more
 * often than that entry was; else it is refused (counted, NULL returned). So
 * a flood of one-off keys cannot push out keys seen many times. Returns NULL
 * when absent (no create) or refused. The pointer is valid until the next
 * call that may create in this table. */
struct bl_head *bl_lookup(struct bl_table *t, struct span key, int64_t now, bool create, bool touch);
/* The same with hash = bl_hash(budget of t, key) computed once by the caller
 * for all the tables (of one budget) that it looks the same entity up in. */
struct bl_head *bl_lookup_h(struct bl_table *t, struct span key, uint64_t hash, int64_t now,
                            bool create, bool touch);
/* Starts loading the index slot of hash in t ahead of its lookup: the
 * lookups of one record in large tables (cache misses) then wait for memory
 * together, not one after the other. */
void bl_prefetch(const struct bl_table *t, uint64_t hash);
/* Finds or creates key (touching it) for a caller that has seen it `seen`
 * times elsewhere (a source's first failures wait in a smaller table): at the
 * cap it is admitted as a key seen at least that often. */
struct bl_head *bl_lookup_seen(struct bl_table *t, struct span key, uint64_t hash, int64_t now,
                               uint32_t seen);
static inline void *bl_value(struct bl_head *h) { return (void *)(h + 1); }
/* What bl_lookup's touch does, for an entry already found by this record. */
static inline void bl_touch(struct bl_head *h, int64_t now)
{
    if (now > h->last_seen)
        h->last_seen = now;
    if (h->hits < UINT32_MAX)
        h->hits++;
}
/* The display copy of the key (BL_SHOW_KEY tables): its first
 * BASELINE_KEY_BYTES bytes; empty in other tables. */
static inline struct span bl_key(const struct bl_head *h)
{
    return h->keylen ? span_make((const char *)h - BASELINE_KEY_BYTES, h->keylen) : SPAN_NULL;
}
size_t bl_table_count(const struct bl_table *t);
uint64_t bl_table_evictions(const struct bl_table *t);
uint64_t bl_table_refused(const struct bl_table *t);   /* new keys refused admission */
uint64_t bl_table_bytes(const struct bl_table *t);     /* charged to the budget */
const char *bl_table_name(const struct bl_table *t);
/* The tables of a budget: for (t = b->tables; t; t = bl_table_next(t)). */
const struct bl_table *bl_table_next(const struct bl_table *t);
size_t bl_entry_bytes(const struct bl_table *t);      /* memory per entity, all overheads */
/* Calls fn for each entry; bounded by count. */
void bl_table_foreach(struct bl_table *t, void (*fn)(struct bl_head *h, void *arg), void *arg);
/* Marks h as having work pending for a tick (a window to close); entries
 * loaded from a snapshot start marked, a new or evicted entry unmarked.
 * foreach_marked calls fn for the marked entries only, and unmarks those for
 * which fn returns false: a tick costs the pending work, not the table. */
void bl_mark(struct bl_table *t, const struct bl_head *h);
void bl_table_foreach_marked(struct bl_table *t, bool (*fn)(struct bl_head *h, void *arg),
                             void *arg);
/* Binary persistence of the entries (values are copied as bytes: keep them
 * free of pointers). load returns -1 on any inconsistency. */
int bl_table_save(const struct bl_table *t, FILE *f);
int bl_table_load(struct bl_table *t, FILE *f);

/* ---- hour-of-week activity profile (168 counters, decayed by halving) ---- */
struct bl_hours {
    uint16_t h[168];
    uint32_t total;
};
void bl_hours_add(struct bl_hours *p, int64_t now);
/* Share of past activity within +-1 hour of now's hour-of-week (0..1);
 * and whether now's hour-of-day is usual: within +-1h of an hour ever active
 * on any weekday, or inside the span bl_hours_describe reports. */
double bl_hours_share(const struct bl_hours *p, int64_t now);
bool bl_hours_usual(const struct bl_hours *p, int64_t now);
/* "08-19h": the shortest span of hours-of-day holding 95% of the activity;
 * "" when empty. */
void bl_hours_describe(const struct bl_hours *p, char *out, size_t cap);
int bl_hour_of_day(int64_t now);   /* UTC */

/* ---- set of usual values with decay (space-saving top-K) ---- */
#define BL_SET_SLOTS 6
#define BL_SET_TEXT  40
struct bl_set {
    struct {
        uint64_t hash;
        int64_t last;          /* event time of the last sighting */
        float weight;          /* decayed count */
        uint8_t len;
        char text[BL_SET_TEXT];
    } slot[BL_SET_SLOTS];
};
/* Counts value at now (half-life halflife_ns). Returns the weight the value had
 * before this sighting (0 = never seen, or decayed out of the set). */
double bl_set_add(struct bl_set *s, const struct bl_budget *b, struct span value, int64_t now,
                  int64_t halflife_ns);
double bl_set_weight(const struct bl_set *s, const struct bl_budget *b, struct span value,
                     int64_t now, int64_t halflife_ns);
/* "10.0.0.5, 10.8.0.2": heaviest values first, at most n; "" when empty. */
void bl_set_describe(const struct bl_set *s, char *out, size_t cap, unsigned n);
unsigned bl_set_count(const struct bl_set *s);

/* ---- sliding-window counter (ring of buckets) ---- */
#define BL_WIN_BUCKETS 12
struct bl_window {
    int64_t bucket_start;       /* start of the newest bucket, ns */
    uint32_t b[BL_WIN_BUCKETS];
    uint8_t head;
};
/* Adds n at now and returns the count within the last window_ns. */
uint32_t bl_window_add(struct bl_window *w, int64_t now, int64_t window_ns, uint32_t n);
uint32_t bl_window_count(struct bl_window *w, int64_t now, int64_t window_ns);

/* ---- EWMA of mean and variance ---- */
struct bl_ewma {
    double mean, var;
    uint32_t n;
};
void bl_ewma_add(struct bl_ewma *e, double x, double alpha);
/* (x - mean) / stddev, 0 while n < min_n. */
double bl_ewma_z(const struct bl_ewma *e, double x, uint32_t min_n);

/* ---- distinct count (HyperLogLog, 64 registers, ~13% error) ---- */
struct bl_hll {
    uint8_t reg[64];
};
void bl_hll_add(struct bl_hll *h, uint64_t hash);
double bl_hll_count(const struct bl_hll *h);

/* Small exact distinct set for windows ("6 users in 10 min"): remembers up to
 * BL_DISTINCT hashes seen within window_ns, count saturates at BL_DISTINCT. */
#define BL_DISTINCT 16
struct bl_distinct {
    uint64_t hash[BL_DISTINCT];
    int64_t when[BL_DISTINCT];
};
unsigned bl_distinct_add(struct bl_distinct *d, uint64_t hash, int64_t now, int64_t window_ns);

#endif
