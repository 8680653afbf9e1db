/* test_baseline.c - the bounded tables and the small baseline structures. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "detectors/baseline.h"

#define T0 (1795392000LL * NS_PER_SEC)    /* Monday 2026-11-23 00:00:00 UTC */
#define MIN (60 * NS_PER_SEC)

struct val {       /* the size of the auth detector's per-source failure state */
    uint64_t n;
    char pad[336];
};

Test(baseline, hash_is_keyed_by_the_seed)
{
    struct bl_budget a = { .seed = 1 }, b = { .seed = 2 };
    cr_assert_eq(bl_hash(&a, SPAN_LIT("10.0.0.1")), bl_hash(&a, SPAN_LIT("10.0.0.1")));
    cr_assert_neq(bl_hash(&a, SPAN_LIT("10.0.0.1")), bl_hash(&b, SPAN_LIT("10.0.0.1")));
    cr_assert_neq(bl_hash(&a, SPAN_LIT("10.0.0.1")), bl_hash(&a, SPAN_LIT("10.0.0.2")));
}

Test(baseline, lookup_create_touch)
{
    struct bl_budget b = { .cap = 1 << 20, .seed = 7 };
    struct bl_table *t = bl_table_new(&b, "t", sizeof(struct val), BL_SHOW_KEY);
    cr_assert_not_null(t);
    cr_assert_null(bl_lookup(t, SPAN_LIT("alice"), T0, false, true));
    struct bl_head *h = bl_lookup(t, SPAN_LIT("alice"), T0, true, true);
    cr_assert_not_null(h);
    ((struct val *)bl_value(h))->n = 42;
    h = bl_lookup(t, SPAN_LIT("alice"), T0 + MIN, false, true);
    cr_assert_not_null(h);
    cr_assert_eq(((struct val *)bl_value(h))->n, 42);
    cr_assert_eq(h->hits, 2);
    cr_assert_eq(h->first_seen, T0);
    cr_assert_eq(h->last_seen, T0 + MIN);
    cr_assert(span_eq(bl_key(h), SPAN_LIT("alice")));
    /* keys with NUL bytes and over-long keys are fine */
    cr_assert_not_null(bl_lookup(t, span_make("a\0b", 3), T0, true, true));
    cr_assert_null(bl_lookup(t, span_make("a\0c", 3), T0, false, false));
    char longkey[200];
    memset(longkey, 'x', sizeof(longkey));
    h = bl_lookup(t, span_make(longkey, sizeof(longkey)), T0, true, true);
    cr_assert_eq(h->keylen, BASELINE_KEY_BYTES, "only the display copy is cut");
    cr_assert_eq(h->fulllen, sizeof(longkey));
    cr_assert_eq(bl_table_count(t), 3);
    cr_assert_gt(b.used, 0);
    bl_table_free(t);
    cr_assert_eq(b.used, 0);
}

static int ip_key(char *key, size_t cap, uint32_t i)
{
    return snprintf(key, cap, "%u.%u.%u.%u", 1 + (i >> 24), (i >> 16) & 255, (i >> 8) & 255,
                    i & 255);
}

Test(baseline, million_keys_stay_under_the_cap)
{
    struct bl_budget b = { .cap = 64ull << 20, .seed = 99 };
    struct bl_table *t = bl_table_new(&b, "src", sizeof(struct val), 0);
    char key[32];
    /* a hot entry, hit often before the flood, must survive it */
    for (int i = 0; i < 1000; i++)
        bl_lookup(t, SPAN_LIT("10.0.0.5"), T0, true, true);
    uint64_t peak = 0, got = 0;
    for (uint32_t i = 0; i < 1000000; i++) {
        int n = ip_key(key, sizeof(key), i);
        got += bl_lookup(t, span_make(key, (size_t)n), T0 + i * 1000000LL, true, true) != NULL;
        if (b.used > peak)
            peak = b.used;
    }
    cr_assert_leq(peak, b.cap);
    cr_assert_gt(bl_table_refused(t), 0, "one-off keys at the cap are refused");
    cr_assert_eq(got + bl_table_refused(t), 1000000);
    cr_assert_eq(b.refused, bl_table_refused(t));
    cr_assert_eq(b.evictions, bl_table_evictions(t));
    cr_assert_not_null(bl_lookup(t, SPAN_LIT("10.0.0.5"), T0, false, false));
    /* a key that comes back is admitted at its second sighting */
    cr_assert_null(bl_lookup(t, SPAN_LIT("198.51.100.1"), T0 + 2000 * NS_PER_SEC, true, true));
    cr_assert_not_null(bl_lookup(t, SPAN_LIT("198.51.100.1"), T0 + 2001 * NS_PER_SEC, true, true));
    cr_assert_gt(bl_table_evictions(t), 0);
    fprintf(stderr, "baseline: 1M distinct keys, value %zu B: %zu kept, %llu evicted, "
            "%llu refused, peak %llu B of %llu B, %zu B/entity\n", sizeof(struct val),
            bl_table_count(t), (unsigned long long)bl_table_evictions(t),
            (unsigned long long)bl_table_refused(t), (unsigned long long)peak,
            (unsigned long long)b.cap, bl_entry_bytes(t));
    bl_table_free(t);
}

/* Keys seen a thousand times (an admin's usual networks) survive a million
 * one-off keys (a bot's random source addresses) that come days later, when
 * recency alone would rank every one of them above the old keys. */
Test(baseline, one_off_keys_do_not_evict_established_ones)
{
    struct bl_budget b = { .cap = 1ull << 20, .seed = 1234 };
    struct bl_table *t = bl_table_new(&b, "seen", 8, 0);
    char key[32];
    for (int round = 0; round < 1000; round++)
        for (int u = 0; u < 20; u++) {
            int n = snprintf(key, sizeof(key), "10.%d.0.0/24", u);
            cr_assert_not_null(bl_lookup(t, span_make(key, (size_t)n), T0 + round * MIN, true,
                                         true));
        }
    int64_t flood = T0 + 3 * NS_PER_DAY;
    for (uint32_t i = 0; i < 1000000; i++) {
        int n = ip_key(key, sizeof(key), i * 7u);
        bl_lookup(t, span_make(key, (size_t)n), flood + i * 1000000LL, true, true);
        cr_assert_leq(b.used, b.cap);
    }
    for (int u = 0; u < 20; u++) {
        int n = snprintf(key, sizeof(key), "10.%d.0.0/24", u);
        cr_assert_not_null(bl_lookup(t, span_make(key, (size_t)n), flood, false, false),
                           "usual network %s evicted by one-off keys", key);
    }
    cr_assert_gt(bl_table_refused(t), 0);
    /* a newcomer seen a few times still gets in */
    for (int i = 0; i < 3; i++)
        bl_lookup(t, SPAN_LIT("192.0.2.77"), flood + 2000 * NS_PER_SEC + i, true, true);
    cr_assert_not_null(bl_lookup(t, SPAN_LIT("192.0.2.77"), flood, false, false));
    bl_table_free(t);
    cr_assert_eq(b.used, 0);
}

/* A caller that saw a key elsewhere (a source's first failure) has it
 * admitted as a key seen that often. */
Test(baseline, a_key_seen_elsewhere_is_admitted)
{
    struct bl_budget b = { .cap = 256ull << 10, .seed = 78 };
    struct bl_table *t = bl_table_new(&b, "t", 8, 0);
    char key[32];
    uint32_t i = 0;
    while (bl_table_refused(t) == 0) {
        int n = ip_key(key, sizeof(key), i++);
        bl_lookup(t, span_make(key, (size_t)n), T0, true, true);
    }
    struct span k = SPAN_LIT("198.51.100.7");
    cr_assert_null(bl_lookup(t, k, T0, true, true), "seen once: refused");
    struct span k2 = SPAN_LIT("198.51.100.8");
    struct bl_head *h = bl_lookup_seen(t, k2, bl_hash(&b, k2), T0, 2);
    cr_assert_not_null(h, "seen twice elsewhere: admitted over a key seen once");
    cr_assert(bl_lookup(t, k2, T0, false, false) == h);
    bl_table_free(t);
}

/* A week idle halves a victim's hits, so what was common long ago makes
 * room for what is common now. */
Test(baseline, stale_keys_make_room)
{
    struct bl_budget b = { .cap = 256ull << 10, .seed = 77 };
    struct bl_table *t = bl_table_new(&b, "t", 8, 0);
    char key[32];
    uint32_t i = 0;
    while (bl_table_refused(t) == 0) {
        int n = ip_key(key, sizeof(key), i++);
        bl_lookup(t, span_make(key, (size_t)n), T0, true, true);
    }
    /* two months later, a key seen once is worth more than one idle since */
    int64_t later = T0 + 60 * NS_PER_DAY;
    cr_assert_not_null(bl_lookup(t, SPAN_LIT("new"), later, true, true));
    bl_table_free(t);
}

Test(baseline, tables_share_one_budget)
{
    struct bl_budget b = { .cap = 1 << 20, .seed = 5 };
    struct bl_table *big = bl_table_new(&b, "big", 1000, BL_SHOW_KEY);
    struct bl_table *small = bl_table_new(&b, "small", 8, BL_SHOW_KEY);
    char key[32];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(key, sizeof(key), "k%d", i);
        bl_lookup(big, span_make(key, (size_t)n), T0 + i, true, true);
    }
    cr_assert_leq(b.used, b.cap);
    /* the other table keeps its first step and still works */
    for (int i = 0; i < 100; i++) {
        int n = snprintf(key, sizeof(key), "u%d", i);
        cr_assert_not_null(bl_lookup(small, span_make(key, (size_t)n), T0 + i, true, true));
    }
    cr_assert_leq(b.used, b.cap);
    bl_table_free(big);
    bl_table_free(small);
    cr_assert_eq(b.used, 0);
}

/* A table with its own limit stops growing there and admits within; the
 * rest of the budget stays for the other tables. */
Test(baseline, a_limited_table_leaves_the_rest_to_others)
{
    struct bl_budget b = { .cap = 4 << 20, .seed = 5 };
    struct bl_table *bots = bl_table_new(&b, "bots", 24, 0);
    struct bl_table *users = bl_table_new(&b, "users", 1000, 0);
    bl_table_limit(bots, 1 << 20);
    char key[32];
    for (uint32_t i = 0; i < 200000; i++)
        bl_lookup(bots, span_make(key, (size_t)ip_key(key, sizeof(key), i)), T0, true, true);
    cr_assert_leq(bl_table_bytes(bots), 1 << 20);
    cr_assert_gt(bl_table_refused(bots), 0);
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(key, sizeof(key), "user%d", i);
        cr_assert_not_null(bl_lookup(users, span_make(key, (size_t)n), T0, true, true),
                           "user %d found no room", i);
    }
    cr_assert_leq(b.used, b.cap);
    bl_table_free(bots);
    bl_table_free(users);
    cr_assert_eq(b.used, 0);
}

static void count_cb(struct bl_head *h, void *arg)
{
    (void)h;
    (*(int *)arg)++;
}

Test(baseline, foreach_visits_every_entry)
{
    struct bl_budget b = { .cap = 1 << 20, .seed = 3 };
    struct bl_table *t = bl_table_new(&b, "t", 8, BL_SHOW_KEY);
    char key[16];
    for (int i = 0; i < 500; i++)
        bl_lookup(t, span_make(key, (size_t)snprintf(key, sizeof(key), "%d", i)), T0, true, true);
    int n = 0;
    bl_table_foreach(t, count_cb, &n);
    cr_assert_eq(n, 500);
    bl_table_free(t);
}

static struct bl_table *filled(struct bl_budget *b, int n)
{
    struct bl_table *t = bl_table_new(b, "t", sizeof(struct val), BL_SHOW_KEY);
    char key[32];
    for (int i = 0; i < n; i++) {
        int k = snprintf(key, sizeof(key), "user%d", i);
        struct bl_head *h = bl_lookup(t, span_make(key, (size_t)k), T0 + i * MIN, true, true);
        ((struct val *)bl_value(h))->n = (uint64_t)i * 3;
    }
    return t;
}

Test(baseline, save_load_round_trip)
{
    struct bl_budget b = { .cap = 8 << 20, .seed = 11 };
    struct bl_table *t = filled(&b, 300);
    FILE *f = tmpfile();
    cr_assert_eq(bl_table_save(t, f), 0);
    rewind(f);
    struct bl_budget b2 = { .cap = 8 << 20, .seed = 12 };   /* hashes are recomputed */
    struct bl_table *t2 = bl_table_new(&b2, "t", sizeof(struct val), BL_SHOW_KEY);
    cr_assert_eq(bl_table_load(t2, f), 0);
    cr_assert_eq(bl_table_count(t2), 300);
    struct bl_head *h = bl_lookup(t2, SPAN_LIT("user77"), T0, false, false);
    cr_assert_not_null(h);
    cr_assert_eq(((struct val *)bl_value(h))->n, 231);
    cr_assert_eq(h->first_seen, T0 + 77 * MIN);
    cr_assert_eq(h->hits, 1);
    fclose(f);
    bl_table_free(t);
    bl_table_free(t2);
}

Test(baseline, corrupt_or_foreign_snapshot_is_rejected)
{
    struct bl_budget b = { .cap = 8 << 20, .seed = 11 };
    struct bl_table *t = filled(&b, 50);
    FILE *f = tmpfile();
    cr_assert_eq(bl_table_save(t, f), 0);
    long size = ftell(f);
    /* one flipped byte in the middle */
    fseek(f, size / 2, SEEK_SET);
    int c = fgetc(f);
    fseek(f, size / 2, SEEK_SET);
    fputc(c ^ 0x40, f);
    rewind(f);
    struct bl_table *t2 = bl_table_new(&b, "t", sizeof(struct val), BL_SHOW_KEY);
    cr_assert_eq(bl_table_load(t2, f), -1);
    bl_table_free(t2);
    fclose(f);

    /* truncated */
    f = tmpfile();
    bl_table_save(t, f);
    fflush(f);
    cr_assert_eq(ftruncate(fileno(f), size - 20), 0);
    rewind(f);
    t2 = bl_table_new(&b, "t", sizeof(struct val), BL_SHOW_KEY);
    cr_assert_eq(bl_table_load(t2, f), -1);
    bl_table_free(t2);
    fclose(f);

    /* another value layout */
    f = tmpfile();
    bl_table_save(t, f);
    rewind(f);
    t2 = bl_table_new(&b, "t", sizeof(struct val) + 8, BL_SHOW_KEY);
    cr_assert_eq(bl_table_load(t2, f), -1);
    bl_table_free(t2);
    fclose(f);
    bl_table_free(t);
}

Test(baseline, window_counts_and_slides)
{
    struct bl_window w = { 0 };
    int64_t win = 10 * MIN;
    for (int i = 0; i < 5; i++)
        bl_window_add(&w, T0 + i * MIN, win, 1);
    cr_assert_eq(bl_window_count(&w, T0 + 5 * MIN, win), 5);
    cr_assert_eq(bl_window_add(&w, T0 + 6 * MIN, win, 3), 8);   /* repeat counts */
    /* the first failures age out */
    uint32_t later = bl_window_count(&w, T0 + 13 * MIN, win);
    cr_assert(later >= 4 && later <= 5, "got %u", later);
    cr_assert_eq(bl_window_count(&w, T0 + 60 * MIN, win), 0);
    /* an event older than the window is not counted */
    cr_assert_eq(bl_window_add(&w, T0, win, 1), 0);
    /* spread out: never 8 within 10 minutes */
    struct bl_window s = { 0 };
    uint32_t max = 0;
    for (int i = 0; i < 8; i++) {
        uint32_t c = bl_window_add(&s, T0 + i * 4 * MIN, win, 1);
        max = c > max ? c : max;
    }
    cr_assert_leq(max, 3);
}

Test(baseline, decayed_set)
{
    struct bl_budget b = { .seed = 1 };
    struct bl_set s = { 0 };
    int64_t hl = NS_PER_DAY;
    cr_assert_eq(bl_set_add(&s, &b, SPAN_LIT("10.0.0.5"), T0, hl), 0);
    for (int i = 1; i < 10; i++)
        bl_set_add(&s, &b, SPAN_LIT("10.0.0.5"), T0, hl);
    bl_set_add(&s, &b, SPAN_LIT("10.8.0.2"), T0, hl);
    cr_assert_float_eq(bl_set_weight(&s, &b, SPAN_LIT("10.0.0.5"), T0, hl), 10, 1e-6);
    cr_assert_float_eq(bl_set_weight(&s, &b, SPAN_LIT("10.0.0.5"), T0 + NS_PER_DAY, hl), 5, 1e-4);
    cr_assert_eq(bl_set_weight(&s, &b, SPAN_LIT("1.2.3.4"), T0, hl), 0);
    char out[128];
    bl_set_describe(&s, out, sizeof(out), 3);
    cr_assert_str_eq(out, "10.0.0.5, 10.8.0.2");
    cr_assert_eq(bl_set_count(&s), 2);
    /* full: a new value replaces the lightest, never the heavy one */
    char v[16];
    for (int i = 0; i < 10; i++)
        bl_set_add(&s, &b, span_make(v, (size_t)snprintf(v, sizeof(v), "192.0.2.%d", i)),
                   T0 + NS_PER_HOUR, hl);
    cr_assert_eq(bl_set_count(&s), BL_SET_SLOTS);
    cr_assert_gt(bl_set_weight(&s, &b, SPAN_LIT("10.0.0.5"), T0 + NS_PER_HOUR, hl), 9);
    /* decayed out after many half-lives, then replaced */
    for (int i = 0; i < BL_SET_SLOTS; i++)
        bl_set_add(&s, &b, span_make(v, (size_t)snprintf(v, sizeof(v), "198.51.100.%d", i)),
                   T0 + 30 * NS_PER_DAY, hl);
    cr_assert_eq(bl_set_weight(&s, &b, SPAN_LIT("10.0.0.5"), T0 + 30 * NS_PER_DAY, hl), 0);
}

Test(baseline, hours_profile)
{
    struct bl_hours p = { 0 };
    for (int day = 0; day < 10; day++)
        for (int h = 8; h <= 19; h++)
            bl_hours_add(&p, T0 + day * NS_PER_DAY + h * NS_PER_HOUR + 5 * MIN);
    cr_assert(bl_hours_usual(&p, T0 + 11 * NS_PER_DAY + 10 * NS_PER_HOUR));
    cr_assert(bl_hours_usual(&p, T0 + 11 * NS_PER_DAY + 7 * NS_PER_HOUR + 50 * MIN));
    cr_assert_not(bl_hours_usual(&p, T0 + 11 * NS_PER_DAY + 3 * NS_PER_HOUR + 10 * MIN));
    char out[16];
    bl_hours_describe(&p, out, sizeof(out));
    cr_assert_str_eq(out, "08-19h");
    cr_assert_eq(bl_hour_of_day(T0 + 3 * NS_PER_HOUR + 10 * MIN), 3);
    /* Monday 10:00 is busy, Sunday 10:00 never was (days 0-9 hit Sunday once: day 6) */
    cr_assert_gt(bl_hours_share(&p, T0 + 7 * NS_PER_DAY + 10 * NS_PER_HOUR), 0.0);
    struct bl_hours night = { 0 };
    bl_hours_add(&night, T0 + 23 * NS_PER_HOUR);
    bl_hours_add(&night, T0 + NS_PER_DAY + 1 * NS_PER_HOUR);
    bl_hours_describe(&night, out, sizeof(out));
    cr_assert_str_eq(out, "23-01h");
}

Test(baseline, ewma_z)
{
    struct bl_ewma e = { 0 };
    cr_assert_eq(bl_ewma_z(&e, 100, 5), 0);
    for (int i = 0; i < 50; i++)
        bl_ewma_add(&e, 10 + (i % 2 ? 1 : -1), 0.1);
    cr_assert_float_eq(e.mean, 10, 0.6);
    cr_assert_gt(bl_ewma_z(&e, 40, 5), 10);
    cr_assert_lt(fabs(bl_ewma_z(&e, 10, 5)), 1);
    struct bl_ewma flat = { 0 };
    for (int i = 0; i < 20; i++)
        bl_ewma_add(&flat, 5, 0.1);
    cr_assert(isfinite(bl_ewma_z(&flat, 6, 5)));
}

Test(baseline, hll_estimates_distinct)
{
    struct bl_budget b = { .seed = 4 };
    struct bl_hll h = { 0 };
    char k[16];
    for (int rep = 0; rep < 3; rep++)
        for (int i = 0; i < 1000; i++)
            bl_hll_add(&h, bl_hash(&b, span_make(k, (size_t)snprintf(k, sizeof(k), "%d", i))));
    double n = bl_hll_count(&h);
    cr_assert(n > 650 && n < 1350, "estimate %f", n);
    struct bl_hll small = { 0 };
    for (int i = 0; i < 5; i++)
        bl_hll_add(&small, bl_hash(&b, span_make(k, (size_t)snprintf(k, sizeof(k), "%d", i))));
    cr_assert(bl_hll_count(&small) > 4 && bl_hll_count(&small) < 6.5);
}

Test(baseline, distinct_in_window)
{
    struct bl_distinct d = { 0 };
    int64_t win = 10 * MIN;
    unsigned n = 0;
    for (uint64_t i = 1; i <= 5; i++)
        n = bl_distinct_add(&d, i * 7919, T0 + (int64_t)i * MIN, win);
    cr_assert_eq(n, 5);
    cr_assert_eq(bl_distinct_add(&d, 7919, T0 + 6 * MIN, win), 5);   /* same again */
    cr_assert_eq(bl_distinct_add(&d, 99, T0 + 60 * MIN, win), 1);     /* the rest aged out */
    for (uint64_t i = 1; i <= 40; i++)
        n = bl_distinct_add(&d, i, T0 + 61 * MIN, win);
    cr_assert_eq(n, BL_DISTINCT);
}

Test(baseline, fixed_allocations_count_against_the_same_cap)
{
    struct bl_budget b = { .cap = 1000 };
    cr_assert_eq(bl_budget_reserve(&b, 600), 0);
    cr_assert_eq(b.used, 600);
    cr_assert_eq(bl_budget_reserve(&b, 500), -1, "over the cap");
    cr_assert_eq(b.used, 600, "a refused reservation takes nothing");
    bl_budget_release(&b, 600);
    cr_assert_eq(b.used, 0);
    cr_assert_eq(bl_budget_reserve(&b, UINT64_MAX), -1, "no wrap-around");
}

#define ARN_A "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice@corp.example"
#define ARN_M "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/mallory@corp.example"

/* Keys sharing their first BASELINE_KEY_BYTES bytes are two entities, also
 * after a snapshot round trip; only the display copy is cut. */
Test(baseline, keys_are_told_apart_over_their_full_length)
{
    cr_assert_eq(memcmp(ARN_A, ARN_M, BASELINE_KEY_BYTES), 0, "the ARNs share 64 bytes");
    struct bl_budget b = { .cap = 1 << 20, .seed = 7 };
    struct bl_table *t = bl_table_new(&b, "ids", sizeof(struct val), BL_SHOW_KEY);
    struct bl_head *h = bl_lookup(t, SPAN_LIT(ARN_A), T0, true, true);
    ((struct val *)bl_value(h))->n = 1;
    cr_assert_null(bl_lookup(t, SPAN_LIT(ARN_M), T0, false, false), "mallory is not alice");
    /* same length, differing only in the last byte */
    char k1[300], k2[300];
    memset(k1, 'k', sizeof(k1));
    memcpy(k2, k1, sizeof(k2));
    k2[299] = 'z';
    cr_assert_not_null(bl_lookup(t, span_make(k1, sizeof(k1)), T0, true, true));
    cr_assert_null(bl_lookup(t, span_make(k2, sizeof(k2)), T0, false, false));
    h = bl_lookup(t, SPAN_LIT(ARN_M), T0, true, true);
    ((struct val *)bl_value(h))->n = 2;
    cr_assert_eq(bl_table_count(t), 3);
    cr_assert(span_eq(bl_key(h), span_make(ARN_M, BASELINE_KEY_BYTES)));

    FILE *f = tmpfile();
    cr_assert_eq(bl_table_save(t, f), 0);
    rewind(f);
    struct bl_table *t2 = bl_table_new(&b, "ids", sizeof(struct val), BL_SHOW_KEY);
    cr_assert_eq(bl_table_load(t2, f), 0);
    fclose(f);
    h = bl_lookup(t2, SPAN_LIT(ARN_A), T0, false, false);
    cr_assert(h && ((struct val *)bl_value(h))->n == 1);
    h = bl_lookup(t2, SPAN_LIT(ARN_M), T0, false, false);
    cr_assert(h && ((struct val *)bl_value(h))->n == 2);
    cr_assert_null(bl_lookup(t2, span_make(k2, sizeof(k2)), T0, false, false));
    bl_table_free(t2);
    bl_table_free(t);
}

/* A version 1 snapshot (keys cut at 64 bytes, entries of 24 bytes) still
 * loads: short keys as they were, a cut key as a key of 64 bytes. */
Test(baseline, version_1_snapshot_still_loads)
{
    struct bl_budget b = { .cap = 1 << 20, .seed = 7 };
    struct bl_table *t = bl_table_new(&b, "ids", sizeof(struct val), BL_SHOW_KEY);
    FILE *f = tmpfile();
    struct { uint32_t magic, version, head_size, value_size; uint64_t count; } fh =
        { 0x42544c56u, 1, 96, sizeof(struct val), 2 };
    struct { int64_t first, last; uint32_t hits; uint8_t keylen, pad[3]; } e;
    uint64_t sum = 0xcbf29ce484222325ULL;
#define FNV(p, n) do { const unsigned char *c_ = (const void *)(p); \
        for (size_t i_ = 0; i_ < (n); i_++) { sum ^= c_[i_]; sum *= 0x100000001b3ULL; } } while (0)
    fwrite(&fh, sizeof(fh), 1, f);
    const char *keys[2] = { "bob", ARN_A };
    for (int i = 0; i < 2; i++) {
        struct val v = { 0 };
        v.n = 10 + i;
        memset(&e, 0, sizeof(e));
        e.first = T0;
        e.last = T0 + MIN;
        e.hits = 3;
        e.keylen = (uint8_t)(strlen(keys[i]) < 64 ? strlen(keys[i]) : 64);
        FNV(&e, sizeof(e));
        FNV(keys[i], e.keylen);
        FNV(&v, sizeof(v));
        fwrite(&e, sizeof(e), 1, f);
        fwrite(keys[i], 1, e.keylen, f);
        fwrite(&v, sizeof(v), 1, f);
    }
    fwrite(&sum, sizeof(sum), 1, f);
    rewind(f);
    cr_assert_eq(bl_table_load(t, f), 0);
    fclose(f);
    struct bl_head *h = bl_lookup(t, SPAN_LIT("bob"), T0, false, false);
    cr_assert(h && ((struct val *)bl_value(h))->n == 10 && h->hits == 3);
    h = bl_lookup(t, span_make(ARN_A, 64), T0, false, false);
    cr_assert(h && ((struct val *)bl_value(h))->n == 11);
    cr_assert_null(bl_lookup(t, SPAN_LIT(ARN_M), T0, false, false),
                   "the cut key no longer stands for every longer key");
    bl_table_free(t);
}

/* A version 2 snapshot (every entry with its display copy) loads into a
 * table that keeps one and into one that does not; a hash-only table saves
 * and loads (version 3) keys long and short. */
Test(baseline, version_2_snapshot_loads_into_both_kinds_of_table)
{
    struct bl_budget b = { .cap = 1 << 20, .seed = 7 };
    const char *keys[2] = { "bob", ARN_A };
    for (int shown = 0; shown < 2; shown++) {
        struct bl_table *t = bl_table_new(&b, "ids", sizeof(struct val), shown ? BL_SHOW_KEY : 0);
        FILE *f = tmpfile();
        struct { uint32_t magic, version, head_size, value_size; uint64_t count; } fh =
            { 0x42544c56u, 2, 104, sizeof(struct val), 2 };
        struct {
            int64_t first, last;
            uint32_t hits, fulllen;
            uint64_t hash;
            uint8_t keylen, pad[7];
        } e;
        uint64_t sum = 0xcbf29ce484222325ULL;
        fwrite(&fh, sizeof(fh), 1, f);
        for (int i = 0; i < 2; i++) {
            struct val v = { 0 };
            v.n = 20 + i;
            memset(&e, 0, sizeof(e));
            e.first = T0;
            e.last = T0 + MIN;
            e.hits = 5;
            e.fulllen = (uint32_t)strlen(keys[i]);
            e.hash = bl_hash(&b, span_cstr(keys[i]));
            e.keylen = (uint8_t)(strlen(keys[i]) < 64 ? strlen(keys[i]) : 64);
            FNV(&e, sizeof(e));
            FNV(keys[i], e.keylen);
            FNV(&v, sizeof(v));
            fwrite(&e, sizeof(e), 1, f);
            fwrite(keys[i], 1, e.keylen, f);
            fwrite(&v, sizeof(v), 1, f);
        }
        fwrite(&sum, sizeof(sum), 1, f);
        rewind(f);
        cr_assert_eq(bl_table_load(t, f), 0, "shown %d", shown);
        fclose(f);
        struct bl_head *h = bl_lookup(t, SPAN_LIT("bob"), T0, false, false);
        cr_assert(h && ((struct val *)bl_value(h))->n == 20 && h->hits == 5);
        cr_assert(span_eq(bl_key(h), shown ? SPAN_LIT("bob") : SPAN_NULL));
        h = bl_lookup(t, span_cstr(ARN_A), T0, false, false);
        cr_assert(h && ((struct val *)bl_value(h))->n == 21);
        cr_assert_null(bl_lookup(t, span_cstr(ARN_M), T0, false, false));
        /* and through the current format */
        f = tmpfile();
        cr_assert_eq(bl_table_save(t, f), 0);
        rewind(f);
        struct bl_table *t2 = bl_table_new(&b, "ids", sizeof(struct val), shown ? BL_SHOW_KEY : 0);
        cr_assert_eq(bl_table_load(t2, f), 0);
        fclose(f);
        h = bl_lookup(t2, span_cstr(ARN_A), T0, false, false);
        cr_assert(h && ((struct val *)bl_value(h))->n == 21 && h->fulllen == strlen(ARN_A));
        cr_assert_not_null(bl_lookup(t2, SPAN_LIT("bob"), T0, false, false));
        cr_assert_null(bl_lookup(t2, span_cstr(ARN_M), T0, false, false));
        bl_table_free(t2);
        bl_table_free(t);
    }
    cr_assert_eq(b.used, 0);
}

static bool odd_stays(struct bl_head *h, void *arg)
{
    (*(int *)arg)++;
    return ((struct val *)bl_value(h))->n % 2;
}

/* A tick visits the marked entries only, and drops those with nothing left
 * to do; a recycled entry starts unmarked. */
Test(baseline, marked_entries_are_visited_until_done)
{
    struct bl_budget b = { .cap = 1 << 20, .seed = 3 };
    struct bl_table *t = bl_table_new(&b, "t", sizeof(struct val), 0);
    char key[16];
    for (int i = 0; i < 300; i++) {
        int k = snprintf(key, sizeof(key), "%d", i);
        struct bl_head *h = bl_lookup(t, span_make(key, (size_t)k), T0, true, true);
        ((struct val *)bl_value(h))->n = (uint64_t)i;
        if (i % 3 == 0)
            bl_mark(t, h);
    }
    int n = 0;
    bl_table_foreach_marked(t, odd_stays, &n);
    cr_assert_eq(n, 100);
    n = 0;
    bl_table_foreach_marked(t, odd_stays, &n);
    cr_assert_eq(n, 50, "entries done are no longer visited");
    bl_table_free(t);
}

Test(baseline, key_parts_keep_long_values_distinct)
{
    struct bl_budget b = { .seed = 7 };
    char o1[64], o2[64];
    size_t n1 = bl_key_part(&b, o1, sizeof(o1), SPAN_LIT("short"));
    cr_assert(n1 == 5 && memcmp(o1, "short", 5) == 0);
    n1 = bl_key_part(&b, o1, sizeof(o1), SPAN_LIT(ARN_A));
    size_t n2 = bl_key_part(&b, o2, sizeof(o2), SPAN_LIT(ARN_M));
    cr_assert_eq(n1, sizeof(o1));
    cr_assert_eq(n2, sizeof(o2));
    cr_assert_neq(memcmp(o1, o2, n1), 0);
    cr_assert_eq(memcmp(o1, ARN_A, sizeof(o1) - 17), 0, "the part starts as the value");
}

/* The library under test is built with its asserts: releasing more than was
 * reserved is an accounting bug and stops the process. */
Test(baseline, budget_over_release_is_an_assertion, .signal = SIGABRT)
{
    struct bl_budget b = { .cap = 1000 };
    cr_assert_eq(bl_budget_reserve(&b, 100), 0);
    bl_budget_release(&b, 100);
    cr_assert_eq(b.used, 0);
    bl_budget_release(&b, 1);
}
