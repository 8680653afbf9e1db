/* sigma_set.c - a loaded rule set made fast, and evaluated.
 * Index: every literal of every active rule goes into one Aho-Corasick
 * automaton per field (the longest fixed run of each value, lowercased); a
 * rule is "gated" when its condition cannot hold unless one of its literals
 * is in the text (found by evaluating the condition with every gated
 * selection false and the others unknown). Per event: one pass per field
 * value finds the literals present, which name the candidate rules; those
 * and the few ungated rules of the event's source are evaluated, patterns
 * at most once each (epoch stamps instead of clearing per event). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/sigma.h"
#include "conf/option.h"
#include "detectors/sigma_ac.h"

void *sigma_grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *n = realloc(p, c * size);
    if (n)
        *cap = c;
    return n;
}

/* Rule names and ATT&CK ids outlive a rule set: the alert stream keeps
 * pointers to them (throttle, rates) across a SIGHUP reload. */
struct interned {
    struct interned *next;
    char s[];
};

static struct interned *intern_head;

char *sigma_intern(const char *s)
{
    for (struct interned *i = intern_head; i; i = i->next)
        if (strcmp(i->s, s) == 0)
            return i->s;
    size_t n = strlen(s);
    struct interned *i = malloc(sizeof(*i) + n + 1);
    if (!i)
        return NULL;
    memcpy(i->s, s, n + 1);
    i->next = intern_head;
    intern_head = i;
    return i->s;
}

const char *sigma_skip_name(enum sigma_skip s)
{
    static const char *const names[] = {
#define X(id, name) name,
        SIGMA_SKIPS(X)
#undef X
    };
    return s < SK__N ? names[s] : "?";
}

/* ---- index ---- */

/* An item's values are groups of patterns (one per value; several when a
 * modifier gives variants). Group g starts at pattern g and ends before the
 * next pattern that does not continue it. */
static uint32_t group_end(const struct sigma_set *s, const struct sigma_item *it, uint32_t g)
{
    uint32_t e = g + 1;
    while (e < it->np && s->pat[it->p0 + e].cont)
        e++;
    return e;
}

static bool has_lit(const struct sigma_pat *p)
{
    return p->kind == SM_GLOB && p->lit != NULL;
}

/* The shortest literal of group [g, e), 0 when one has none. */
static uint32_t group_min_lit(const struct sigma_set *s, const struct sigma_item *it, uint32_t g, uint32_t e)
{
    uint32_t m = UINT32_MAX;
    for (uint32_t i = g; i < e; i++) {
        const struct sigma_pat *p = &s->pat[it->p0 + i];
        uint32_t n = has_lit(p) ? p->lit_len : 0;
        if (n < m)
            m = n;
    }
    return m == UINT32_MAX ? 0 : m;
}

/* Cannot hold unless one of its literals is in the text: every value has
 * literals (any of them), or one value has (|all). */
static bool item_gated(const struct sigma_set *s, const struct sigma_item *it)
{
    if (!it->np)
        return false;
    for (uint32_t g = 0; g < it->np; g = group_end(s, it, g)) {
        bool lit = group_min_lit(s, it, g, group_end(s, it, g)) > 0;
        if (it->all && lit)
            return true;
        if (!it->all && !lit)
            return false;
    }
    return !it->all;
}

static bool sel_gated(const struct sigma_set *s, const struct sigma_sel *sel)
{
    if (!sel->na)
        return false;
    for (uint32_t a = 0; a < sel->na; a++) {
        const struct sigma_alt *al = &s->alt[sel->a0 + a];
        bool g = false;
        for (uint32_t i = 0; i < al->ni && !g; i++)
            g = item_gated(s, &s->item[al->i0 + i]);
        if (!g)
            return false;
    }
    return true;
}

/* The shortest literal of an item's values (of an |all item: of its best
 * value, and which one): the longer, the rarer. */
static uint32_t item_min_lit(const struct sigma_set *s, const struct sigma_item *it, uint32_t *best_group)
{
    uint32_t m = it->all ? 0 : UINT32_MAX;
    *best_group = 0;
    for (uint32_t g = 0; g < it->np; g = group_end(s, it, g)) {
        uint32_t n = group_min_lit(s, it, g, group_end(s, it, g));
        if (it->all ? n > m : n < m) {
            m = n;
            *best_group = g;
        }
    }
    return m == UINT32_MAX ? 0 : m;
}

static void ungate(struct sigma_pat *p)
{
    free(p->lit);
    p->lit = NULL;
    p->lit_len = 0;
}

/* A map holds only when all its items do, so one gated item is enough to
 * make it a candidate: keep the literals of the item with the longest
 * shortest literal (of an |all item, its longest one) and check the others
 * in full, so common short literals (" -c", "/bin/") do not make every
 * command a candidate. */
static void gates_choose(struct sigma_set *s, const struct sigma_alt *al)
{
    uint32_t best = UINT32_MAX, best_len = 0, best_group = 0;
    for (uint32_t i = 0; i < al->ni; i++) {
        const struct sigma_item *it = &s->item[al->i0 + i];
        uint32_t g;
        uint32_t n = item_gated(s, it) ? item_min_lit(s, it, &g) : 0;
        if (n > best_len) {
            best_len = n;
            best = i;
            best_group = g;
        }
    }
    if (best == UINT32_MAX)
        return;
    for (uint32_t i = 0; i < al->ni; i++) {
        const struct sigma_item *it = &s->item[al->i0 + i];
        if (i != best) {
            for (uint32_t k = 0; k < it->np; k++)
                ungate(&s->pat[it->p0 + k]);
        } else if (it->all) {
            uint32_t e = group_end(s, it, best_group);
            for (uint32_t k = 0; k < it->np; k++)
                if (k < best_group || k >= e)
                    ungate(&s->pat[it->p0 + k]);
        }
    }
}

static int gate_sel(void *arg, uint32_t i)
{
    const struct sigma_set *s = arg;
    return sel_gated(s, &s->sel[i]) ? 0 : 2;
}

int sigma_set_index(struct sigma_set *s)
{
    size_t np = s->npat ? s->npat : 1, nr = s->nrules ? s->nrules : 1;
    s->pat_rule = calloc(np, sizeof(*s->pat_rule));
    s->pat_seen = calloc(np, sizeof(*s->pat_seen));
    s->pat_val = calloc(np, sizeof(*s->pat_val));
    s->pat_hit = calloc(np, sizeof(*s->pat_hit));
    s->rule_seen = calloc(nr, sizeof(*s->rule_seen));
    s->cand = calloc(nr, sizeof(*s->cand));
    s->re_match = sigma_re_scratch_new();
    size_t ni = s->nitem ? s->nitem : 1;
    s->pat_item = calloc(np, sizeof(*s->pat_item));
    s->item_seen = calloc(ni, sizeof(*s->item_seen));
    s->item_gated = calloc(ni, sizeof(*s->item_gated));
    if (!s->pat_item || !s->item_seen || !s->item_gated)
        return -1;
    for (size_t p = 0; p < s->npat; p++)
        if (s->pat[p].field == SF_TYPE)
            ungate(&s->pat[p]);   /* `type: EXECVE` is in every EXECVE event: never a gate */
    for (size_t a = 0; a < s->nalt; a++)
        gates_choose(s, &s->alt[a]);
    for (size_t i = 0; i < s->nitem; i++) {
        const struct sigma_item *it = &s->item[i];
        s->item_gated[i] = !it->all && item_gated(s, it);
        for (uint32_t p = 0; p < it->np; p++)
            s->pat_item[it->p0 + p] = (uint32_t)i;
    }
    if (!s->pat_rule || !s->pat_seen || !s->pat_val || !s->pat_hit || !s->rule_seen || !s->cand || !s->re_match)
        return -1;
    for (size_t k = 0; k < SS__N; k++) {
        s->ungated[k] = calloc(nr, sizeof(uint32_t));
        if (!s->ungated[k])
            return -1;
    }
    for (int k = 0; k < SS__N; k++)
        for (int f = 0; f < SF__N; f++)
            if (!(s->ac[k][f] = sigma_ac_new()))
                return -1;
    for (size_t r = 0; r < s->nrules; r++) {
        struct sigma_rule *ru = &s->rule[r];
        for (uint32_t si = 0; si < ru->ns; si++) {
            const struct sigma_sel *sel = &s->sel[ru->s0 + si];
            for (uint32_t a = 0; a < sel->na; a++) {
                const struct sigma_alt *al = &s->alt[sel->a0 + a];
                for (uint32_t i = 0; i < al->ni; i++) {
                    const struct sigma_item *it = &s->item[al->i0 + i];
                    for (uint32_t p = 0; p < it->np; p++)
                        s->pat_rule[it->p0 + p] = (uint32_t)r;
                }
            }
        }
        ru->gated = sigma_cond_eval(s, ru->c0 + ru->nc - 1, gate_sel, s) == 0;
        if (ru->active && !ru->gated)
            s->ungated[ru->source][s->nungated[ru->source]++] = (uint32_t)r;
    }
    /* literals of active rules: id -> chain of patterns with that literal */
    int32_t *tmp_id = malloc(np * sizeof(*tmp_id));
    if (!tmp_id)
        return -1;
    for (size_t p = 0; p < s->npat; p++) {
        struct sigma_pat *pt = &s->pat[p];
        tmp_id[p] = -1;
        if (pt->kind != SM_GLOB || !pt->lit || !s->rule[s->pat_rule[p]].active)
            continue;
        tmp_id[p] = sigma_ac_add(s->ac[s->rule[s->pat_rule[p]].source][pt->field], pt->lit, pt->lit_len);
        if (tmp_id[p] < 0) {
            free(tmp_id);
            return -1;
        }
    }
    for (int k = 0; k < SS__N; k++)
        for (int f = 0; f < SF__N; f++) {
            size_t n = sigma_ac_count(s->ac[k][f]);
            s->ac_first[k][f] = malloc((n ? n : 1) * sizeof(int32_t));
            if (!s->ac_first[k][f]) {
                free(tmp_id);
                return -1;
            }
            for (size_t i = 0; i < n; i++)
                s->ac_first[k][f][i] = -1;
        }
    for (size_t p = s->npat; p-- > 0;) {
        if (tmp_id[p] < 0)
            continue;
        struct sigma_pat *pt = &s->pat[p];
        int32_t *first = s->ac_first[s->rule[s->pat_rule[p]].source][pt->field];
        pt->lit_next = first[tmp_id[p]];
        first[tmp_id[p]] = (int32_t)p;
    }
    free(tmp_id);
    for (int k = 0; k < SS__N; k++)
        for (int f = 0; f < SF__N; f++)
            if (sigma_ac_build(s->ac[k][f]) < 0)
                return -1;
    return 0;
}

/* ---- evaluation ---- */

struct evalctx {
    struct sigma_set *s;
    const struct sigma_event *ev;
    enum sigma_field field;
    struct span lower[SF__N][SIGMA_MAX_VALUES];
};

static void on_literal(void *arg, int32_t id)
{
    struct evalctx *e = arg;
    struct sigma_set *s = e->s;
    for (int32_t p = s->ac_first[e->ev->source][e->field][id]; p >= 0; p = s->pat[p].lit_next) {
        s->pat_hit[p] = 1;
        s->item_seen[s->pat_item[p]] = s->epoch;
        if (s->pat_seen[p] != s->epoch) {
            s->pat_seen[p] = s->epoch;
            s->pat_val[p] = 2;
        }
        uint32_t r = s->pat_rule[p];
        if (s->rule_seen[r] != s->epoch && s->rule[r].source == e->ev->source) {
            s->rule_seen[r] = s->epoch;
            s->cand[s->ncand++] = r;
        }
    }
}

static bool field_present(const struct sigma_event *ev, uint8_t f)
{
    for (unsigned i = 0; i < ev->nv[f]; i++)
        if (ev->v[f][i].len)
            return true;
    return false;
}

static bool pat_holds(struct evalctx *e, uint32_t pi)
{
    struct sigma_set *s = e->s;
    const struct sigma_pat *p = &s->pat[pi];
    if (p->kind == SM_EXISTS)
        return field_present(e->ev, p->field) == p->want;
    if (p->kind == SM_NULL)
        return !field_present(e->ev, p->field);
    if (s->pat_seen[pi] != s->epoch) {
        s->pat_seen[pi] = s->epoch;
        s->pat_hit[pi] = 0;
        s->pat_val[pi] = 2;
    }
    if (s->pat_val[pi] != 2)
        return s->pat_val[pi];
    bool v = false;
    /* a literal that is not in the text: the pattern cannot hold */
    if (!(p->kind == SM_GLOB && p->lit && !s->pat_hit[pi])) {
        for (unsigned i = 0; i < e->ev->nv[p->field] && !v; i++)
            v = sigma_pat_match(p, e->ev->v[p->field][i], e->lower[p->field][i], s->re_match);
    }
    s->pat_val[pi] = v;
    return v;
}

static int sel_holds(void *arg, uint32_t si)
{
    struct evalctx *e = arg;
    const struct sigma_set *s = e->s;
    const struct sigma_sel *sel = &s->sel[si];
    for (uint32_t a = 0; a < sel->na; a++) {
        const struct sigma_alt *al = &s->alt[sel->a0 + a];
        bool all_items = true;
        for (uint32_t i = 0; i < al->ni && all_items; i++) {
            const struct sigma_item *it = &s->item[al->i0 + i];
            if (s->item_gated[al->i0 + i] && s->item_seen[al->i0 + i] != s->epoch) {
                all_items = false;   /* none of its literals is in the text */
                break;
            }
            bool ok = it->all;
            for (uint32_t g = 0; g < it->np && ok == it->all;) {
                /* a value holds when any of its variants does */
                uint32_t end = group_end(s, it, g);
                bool h = false;
                for (uint32_t k = g; k < end && !h; k++)
                    h = pat_holds(e, it->p0 + k);
                ok = it->all ? h : !h ? ok : true;
                g = end;
            }
            all_items = ok;
        }
        if (all_items)
            return 1;
    }
    return 0;
}

void sigma_eval(struct sigma_set *s, const struct sigma_event *ev, sigma_hit_fn hit, void *arg)
{
    if (!s || ev->source <= SS_NONE || ev->source >= SS__N)
        return;
    if (++s->epoch == 0) {
        memset(s->pat_seen, 0, (s->npat ? s->npat : 1) * sizeof(*s->pat_seen));
        memset(s->rule_seen, 0, (s->nrules ? s->nrules : 1) * sizeof(*s->rule_seen));
        memset(s->item_seen, 0, (s->nitem ? s->nitem : 1) * sizeof(*s->item_seen));
        s->epoch = 1;
    }
    struct evalctx e = { .s = s, .ev = ev };
    size_t need = 0;
    for (int f = 0; f < SF__N; f++)
        for (unsigned i = 0; i < ev->nv[f]; i++)
            need += ev->v[f][i].len;
    if (need > s->lower_cap) {
        char *nb = realloc(s->lower, need);
        if (!nb)
            return;
        s->lower = nb;
        s->lower_cap = need;
    }
    size_t o = 0;
    s->ncand = 0;
    for (int f = 0; f < SF__N; f++) {
        e.field = (enum sigma_field)f;
        for (unsigned i = 0; i < ev->nv[f]; i++) {
            struct span v = ev->v[f][i];
            for (size_t k = 0; k < v.len; k++)
                s->lower[o + k] = (char)tolower((unsigned char)v.p[k]);
            e.lower[f][i] = span_make(s->lower + o, v.len);
            sigma_ac_scan(s->ac[ev->source][f], s->lower + o, v.len, on_literal, &e);
            o += v.len;
        }
    }
    for (size_t k = 0; k < s->nungated[ev->source]; k++) {
        uint32_t r = s->ungated[ev->source][k];
        if (s->rule_seen[r] != s->epoch) {
            s->rule_seen[r] = s->epoch;
            s->cand[s->ncand++] = r;
        }
    }
    for (size_t k = 0; k < s->ncand; k++) {
        const struct sigma_rule *r = &s->rule[s->cand[k]];
        if (r->active && sigma_cond_eval(s, r->c0 + r->nc - 1, sel_holds, &e) == 1)
            hit(arg, r);
    }
}

/* ---- reports ---- */

static const char *const source_names[SS__N] = { "none", "process_creation", "auditd EXECVE", "raw line" };

void sigma_set_counts(const struct sigma_set *s, FILE *f, int indent)
{
    unsigned evaluable = 0, active = 0;
    for (size_t i = 0; i < s->nrules; i++) {
        evaluable++;
        active += s->rule[i].active;
    }
    fprintf(f, "%*sfiles: %u\n", indent, "", s->files);
    fprintf(f, "%*sloaded: %u\n", indent, "", s->loaded);
    fprintf(f, "%*sevaluable: %u\n", indent, "", evaluable);
    for (int k = SS_PROCESS; k < SS__N; k++)
        fprintf(f, "%*s  %s: %u\n", indent, "", source_names[k], s->by_source[k]);
    fprintf(f, "%*sactive: %u\n", indent, "", active);
    fprintf(f, "%*sskipped:\n", indent, "");
    for (int k = 0; k < SK__N; k++)
        if (s->skips[k])
            fprintf(f, "%*s  %s: %u\n", indent, "", sigma_skip_name((enum sigma_skip)k), s->skips[k]);
    fprintf(f, "%*sload_ms: %.1f\n", indent, "", s->load_ms);
}

void sigma_set_report(const struct sigma_set *s, FILE *f)
{
    for (size_t i = 0; i < s->nskipped; i++) {
        const struct sigma_skipped *k = &s->skipped[i];
        fprintf(f, "skip %s ", k->id);
        conf_print_quoted(f, k->title);
        fprintf(f, " [%s] ", sigma_skip_name(k->why));
        conf_print_quoted(f, k->reason);
        fputc('\n', f);
    }
    sigma_set_counts(s, f, 0);
}
