/* templates.c - new message shapes (`detectors.templates`), Drain-style.
 * A free-text message (msg, else the raw line) is split on blanks; tokens
 * holding a digit (numbers, IPs, hex ids, UUIDs, times) become "<*>". The
 * parse tree has a fixed depth: the leaf is chosen by (tag, token count,
 * first token), and within a leaf the template with the highest share of
 * equal tokens (its wildcards match anything) wins if it reaches
 * `similarity`; it then absorbs the message (differing positions become
 * "<*>"). Otherwise a new template
 * is made, and after learning that is an alert (app.new_template), at most
 * max_per_hour of them. Templates live in a fixed array (max_templates)
 * chained from a hash of leaves; at the cap the least used of a sample is
 * evicted. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/dutil.h"
#include "detectors/match.h"
#include "sidecar/log.h"

#define TPL_TOKENS 32
#define TPL_TEXT   320
#define TPL_TOKLEN 48
#define TPL_SAMPLE 8

struct tpl {
    uint64_t leaf;
    int64_t first, last;
    uint32_t hits;
    int32_t next;                      /* next template of the same hash bucket, -1 = end */
    uint8_t ntok, used;
    uint16_t off[TPL_TOKENS];
    uint8_t len[TPL_TOKENS];
    char text[TPL_TEXT];               /* tokens back to back */
};

struct tpl_ctx {
    uint64_t reserved;                 /* bytes taken from detectors.memory_max */
    int64_t max_templates;             /* options */
    double similarity;
    int64_t max_per_hour;
    struct tpl *t;
    int32_t *bucket;
    uint32_t nbuckets, ntemplates, cursor;
    int64_t first_ts, hour_start;
    uint32_t hour_alerts;
    uint64_t evictions;
    /* the message being matched */
    struct span tok[TPL_TOKENS];
    unsigned ntok;
    uint8_t need0[TPL_TOKENS + 1];     /* by token count: tokens_needed() before any match */
};

static const struct conf_option tpl_options[] = {
    { "max_templates", CONF_INT, "2000", offsetof(struct tpl_ctx, max_templates), 16, 1000000,
      "templates kept (456 bytes each, outside memory_max); at the cap the least used of a "
      "sample is evicted" },
    { "similarity", CONF_DOUBLE, "0.5", offsetof(struct tpl_ctx, similarity), 0, 0,
      "share (0..1) of a message's tokens equal to a template's (its <*> match anything) for "
      "the message to join that template" },
    { "max_per_hour", CONF_INT, "10", offsetof(struct tpl_ctx, max_per_hour), 0, 100000,
      "new-template alerts per hour of event time at most" },
    { 0 }
};

static const struct span WILD = { "<*>", 3 };

static inline bool is_wild(struct span t)
{
    return t.len == 3 && t.p[0] == '<' && t.p[1] == '*' && t.p[2] == '>';
}

/* Byte classes of the tokenizer: blanks split tokens, digits make a token
 * variable. A table lookup per byte instead of four compares, for the bytes
 * that do not fill a word. */
enum { TC_BLANK = 1, TC_DIGIT = 2 };
static const uint8_t tok_class[256] = {
    ['\t'] = TC_BLANK, [' '] = TC_BLANK,
    ['0'] = TC_DIGIT, ['1'] = TC_DIGIT, ['2'] = TC_DIGIT, ['3'] = TC_DIGIT, ['4'] = TC_DIGIT,
    ['5'] = TC_DIGIT, ['6'] = TC_DIGIT, ['7'] = TC_DIGIT, ['8'] = TC_DIGIT, ['9'] = TC_DIGIT,
};

/* Eight bytes at a time (SWAR) on little-endian machines, where the first
 * blank of a word is its lowest flagged byte: 0x80 marks, per byte, exactly
 * (the low seven bits are added without carries between bytes). */
#define REP8(c) (0x0101010101010101ULL * (uint8_t)(c))

static inline uint64_t zero_bytes(uint64_t x)
{
    return ~(((x & REP8(0x7f)) + REP8(0x7f)) | x) & REP8(0x80);
}

static inline uint64_t blank_bytes(uint64_t x)
{
    return zero_bytes(x ^ REP8(' ')) | zero_bytes(x ^ REP8('\t'));
}

/* '0'..'9': the low seven bits reach 0x30 but not 0x3a, and the top bit is clear */
static inline uint64_t digit_bytes(uint64_t x)
{
    uint64_t low = x & REP8(0x7f);
    return (low + REP8(0x80 - '0')) & ~(low + REP8(0x7f - '9')) & ~x & REP8(0x80);
}

/* Ends the token starting at p[i]: returns its end, sets *digit if it holds one. */
static size_t token_end(const unsigned char *p, size_t i, size_t len, bool *digit)
{
    uint64_t dig = 0;
    uint8_t seen = 0, k;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (i + 8 <= len) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        uint64_t b = blank_bytes(x);
        if (b) {
            dig |= digit_bytes(x) & ((b & (0 - b)) - 1);
            *digit = dig != 0;
            return i + (size_t)__builtin_ctzll(b) / 8;
        }
        dig |= digit_bytes(x);
        i += 8;
    }
#endif
    while (i < len && !((k = tok_class[p[i]]) & TC_BLANK)) {
        seen |= k;
        i++;
    }
    *digit = dig != 0 || (seen & TC_DIGIT);
    return i;
}

static void tokenize(struct tpl_ctx *c, struct span m)
{
    const unsigned char *p = (const unsigned char *)m.p;
    c->ntok = 0;
    size_t i = 0;
    while (i < m.len) {
        while (i < m.len && tok_class[p[i]] == TC_BLANK)
            i++;
        size_t s = i;
        bool digit;
        i = token_end(p, i, m.len, &digit);
        if (i == s)
            break;
        if (c->ntok == TPL_TOKENS) {
            c->tok[TPL_TOKENS - 1] = WILD;   /* the tail is one variable */
            break;
        }
        struct span t = span_make(m.p + s, i - s < TPL_TOKLEN ? i - s : TPL_TOKLEN);
        c->tok[c->ntok++] = digit ? WILD : t;
    }
}

static struct span tpl_tok(const struct tpl *t, unsigned i)
{
    return span_make(t->text + t->off[i], t->len[i]);
}

static void tpl_set(struct tpl *t, const struct span *tok, unsigned n)
{
    char buf[TPL_TEXT];
    size_t o = 0;
    uint16_t off[TPL_TOKENS];
    uint8_t len[TPL_TOKENS];
    for (unsigned i = 0; i < n; i++) {
        size_t l = tok[i].len;
        if (o + l > sizeof(buf))
            l = sizeof(buf) - o;
        memcpy(buf + o, tok[i].p, l);
        off[i] = (uint16_t)o;
        len[i] = (uint8_t)l;
        o += l;
    }
    memcpy(t->text, buf, o);
    memcpy(t->off, off, sizeof(off[0]) * n);
    memcpy(t->len, len, sizeof(len[0]) * n);
    t->ntok = (uint8_t)n;
}

static uint64_t leaf_of(struct detector *d, struct tpl_ctx *c, struct span tag)
{
    char key[BASELINE_KEY_BUF];
    size_t o = 0;
    key[o++] = (char)c->ntok;
    for (unsigned i = 0; i < 1 && i < c->ntok; i++) {
        struct span t = c->tok[i];
        size_t l = t.len < 20 ? t.len : 20;
        memcpy(key + o, t.p, l);
        o += l;
        key[o++] = '\x1f';
    }
    size_t l = bl_key_part(d->vg->budget, key + o, sizeof(key) - o, tag);
    return bl_hash(d->vg->budget, span_make(key, o + l));
}

static void unlink_tpl(struct tpl_ctx *c, int32_t idx)
{
    int32_t *p = &c->bucket[c->t[idx].leaf & (c->nbuckets - 1)];
    while (*p >= 0) {
        if (*p == idx) {
            *p = c->t[idx].next;
            return;
        }
        p = &c->t[*p].next;
    }
}

static int32_t alloc_tpl(struct tpl_ctx *c)
{
    if (c->ntemplates < (uint32_t)c->max_templates)
        return (int32_t)c->ntemplates++;
    int32_t victim = -1;
    for (unsigned k = 0; k < TPL_SAMPLE; k++) {
        int32_t i = (int32_t)(c->cursor++ % (uint32_t)c->max_templates);
        if (victim < 0 || c->t[i].hits < c->t[victim].hits ||
            (c->t[i].hits == c->t[victim].hits && c->t[i].last < c->t[victim].last))
            victim = i;
    }
    unlink_tpl(c, victim);
    c->evictions++;
    return victim;
}

/* The fewest equal tokens whose share beats best_sim and reaches
 * `similarity` (the share computed as below), or ntok + 1 if none does. */
static unsigned tokens_needed(const struct tpl_ctx *c, double best_sim)
{
    /* start just below the answer: the test is monotone in s */
    double lo = best_sim > c->similarity ? best_sim : c->similarity;
    unsigned s = !(lo > 0) ? 0 : lo >= 1 ? c->ntok : (unsigned)(lo * c->ntok);
    s = s ? s - 1 : 0;
    while (s <= c->ntok && !((double)s / c->ntok > best_sim && (double)s / c->ntok >= c->similarity))
        s++;
    return s;
}

static void tpl_observe(struct detector *d, const struct record *r)
{
    struct tpl_ctx *c = d->ctx;
    struct span m = record_str(r, RK_MSG);
    if (!m.len)
        m = r->raw;
    tokenize(c, m);
    if (!c->ntok)
        return;
    if (!c->first_ts || r->ts < c->first_ts)
        c->first_ts = r->ts;
    struct span tag = r->tag;
    uint64_t leaf = leaf_of(d, c, tag);
    int32_t best = -1;
    double best_sim = -1;
    unsigned need = c->need0[c->ntok];
    for (int32_t i = c->bucket[leaf & (c->nbuckets - 1)]; i >= 0; i = c->t[i].next) {
        const struct tpl *t = &c->t[i];
        if (t->leaf != leaf || t->ntok != c->ntok)
            continue;
        /* A template that can no longer beat the best so far, nor reach
         * `similarity`, is left at the first position that shows it: the
         * one chosen (the first of the highest share) is the same. */
        unsigned same = 0, k;
        for (k = 0; k < c->ntok; k++) {
            struct span tt = tpl_tok(t, k);
            /* a position the template already generalised accepts any value */
            same += is_wild(tt) || span_eq(tt, c->tok[k]);
            if (same + (c->ntok - k - 1) < need)
                break;
        }
        if (k < c->ntok)
            continue;
        double sim = (double)same / c->ntok;
        if (sim > best_sim) {
            best_sim = sim;
            best = i;
            need = tokens_needed(c, best_sim);
        }
    }
    if (best >= 0 && best_sim >= c->similarity) {
        struct tpl *t = &c->t[best];
        struct span merged[TPL_TOKENS];
        bool changed = false;
        for (unsigned k = 0; k < c->ntok; k++) {
            merged[k] = tpl_tok(t, k);
            if (!is_wild(merged[k]) && !span_eq(merged[k], c->tok[k])) {
                merged[k] = WILD;
                changed = true;
            }
        }
        if (changed)
            tpl_set(t, merged, c->ntok);
        t->hits++;
        t->last = r->ts;
        return;
    }
    int32_t i = alloc_tpl(c);
    struct tpl *t = &c->t[i];
    memset(t, 0, sizeof(*t));
    t->leaf = leaf;
    t->first = t->last = r->ts;
    t->hits = 1;
    t->used = 1;
    tpl_set(t, c->tok, c->ntok);
    uint32_t b = (uint32_t)(leaf & (c->nbuckets - 1));
    t->next = c->bucket[b];
    c->bucket[b] = i;
    if (r->ts - c->first_ts < dutil_learning_ns(d))
        return;
    int64_t hs = r->ts - r->ts % NS_PER_HOUR;
    if (hs != c->hour_start) {
        c->hour_start = hs;
        c->hour_alerts = 0;
    }
    if (c->hour_alerts >= (uint32_t)c->max_per_hour)
        return;
    c->hour_alerts++;
    /* A new message shape is a novelty of the application, no technique:
     * no ATT&CK id (T1190 would claim an exploit), and an observation
     * unless other signals corroborate it (alert.c). */
    struct alert a;
    dutil_alert(&a, r, "app.new_template", "templates", SEV_LOW, STAGE_INITIAL_ACCESS, NULL);
    a.novelty = true;
    char text[TPL_TEXT + TPL_TOKENS];
    size_t o = 0;
    for (unsigned k = 0; k < t->ntok && o + t->len[k] + 1 < sizeof(text); k++) {
        if (k)
            text[o++] = ' ';
        memcpy(text + o, t->text + t->off[k], t->len[k]);
        o += t->len[k];
    }
    alert_printf(&a, "new message shape in %.*s: \"%.*s\" (%u shapes known after %lldh, %u new this hour)",
                 DSPAN(tag, 64), (int)o, text, c->ntemplates,
                 (long long)((r->ts - c->first_ts) / NS_PER_HOUR), c->hour_alerts);
    alert_evidence(&a, r->raw);
    alert_emit(d->vg, &a);
}

static int tpl_init(struct detector *d)
{
    struct tpl_ctx *c = d->ctx;
    for (unsigned n = 1; n <= TPL_TOKENS; n++) {
        c->ntok = n;
        c->need0[n] = (uint8_t)tokens_needed(c, -1);
    }
    c->ntok = 0;
    c->nbuckets = 16;
    while (c->nbuckets < 2 * (uint64_t)c->max_templates)
        c->nbuckets <<= 1;
    c->reserved = (uint64_t)c->max_templates * sizeof(*c->t) + c->nbuckets * sizeof(*c->bucket);
    if (bl_budget_reserve(d->vg->budget, c->reserved) < 0) {
        log_error("detectors.templates.max_templates: %lld templates need %llu bytes, more than "
                  "detectors.memory_max leaves", (long long)c->max_templates,
                  (unsigned long long)c->reserved);
        c->reserved = 0;
        return -1;
    }
    c->t = calloc((size_t)c->max_templates, sizeof(*c->t));
    c->bucket = malloc(c->nbuckets * sizeof(*c->bucket));
    if (!c->t || !c->bucket)
        return -1;
    memset(c->bucket, 0xff, c->nbuckets * sizeof(*c->bucket));
    return 0;
}

static void tpl_destroy(struct detector *d)
{
    struct tpl_ctx *c = d->ctx;
    free(c->t);
    free(c->bucket);
    bl_budget_release(d->vg->budget, c->reserved);
    c->reserved = 0;
}

static int tpl_save(struct detector *d, FILE *f)
{
    struct tpl_ctx *c = d->ctx;
    uint64_t hdr[3] = { (uint64_t)c->max_templates, c->ntemplates, (uint64_t)c->first_ts };
    if (fwrite(hdr, sizeof(hdr), 1, f) != 1 ||
        fwrite(c->t, sizeof(*c->t), c->ntemplates, f) != c->ntemplates)
        return -1;
    return 0;
}

/* Rebuilds the leaf chains from the templates read back. */
static int tpl_load(struct detector *d, FILE *f)
{
    struct tpl_ctx *c = d->ctx;
    uint64_t hdr[3];
    if (fread(hdr, sizeof(hdr), 1, f) != 1 || hdr[0] != (uint64_t)c->max_templates ||
        hdr[1] > hdr[0] || fread(c->t, sizeof(*c->t), hdr[1], f) != hdr[1])
        return -1;
    c->ntemplates = (uint32_t)hdr[1];
    c->first_ts = (int64_t)hdr[2];
    memset(c->bucket, 0xff, c->nbuckets * sizeof(*c->bucket));
    for (uint32_t i = 0; i < c->ntemplates; i++) {
        struct tpl *t = &c->t[i];
        if (t->ntok > TPL_TOKENS)
            return -1;
        for (unsigned k = 0; k < t->ntok; k++)
            if ((size_t)t->off[k] + t->len[k] > TPL_TEXT)
                return -1;
        uint32_t b = (uint32_t)(t->leaf & (c->nbuckets - 1));
        t->next = c->bucket[b];
        c->bucket[b] = (int32_t)i;
    }
    return 0;
}

const struct detector_plugin detector_templates = {
    .name = "templates",
    .options = tpl_options,
    .ctx_size = sizeof(struct tpl_ctx),
    .kinds = KIND_BIT(KIND_APP) | KIND_BIT(KIND_RAW),
    .init = tpl_init,
    .observe = tpl_observe,
    .save = tpl_save,
    .load = tpl_load,
    .destroy = tpl_destroy,
    .snapshot_version = 1,
};
