/* incident.c - the attack-chain correlator (`detectors.incident`).
 * It sees every alert (on_alert) and groups them into chains by evidence: an
 * alert naming a user/identity or a source IP joins the live chain that
 * already holds one of them (and adds its other entities to it, so the
 * login's IP and the shell's user end in one chain). An alert naming only the
 * host (egress, app volume) carries no evidence about a person, so it never
 * becomes a stage of a person's chain: it joins the host's own chain, which
 * never raises an incident itself, and a person's incident quotes the host's
 * stages of the same minutes as context.
 * A chain keeps the first alert of each lifecycle stage; stages older than
 * `window` before its newest alert drop out, so its span never exceeds the
 * window. When it reaches min_stages distinct stages, one of them from an
 * alert of at least min_peak severity, it raises one critical
 * `incident.chain` alert telling the story in time order, and re-raises it,
 * extended, each time a new stage joins, never opening a second incident for
 * the same intruder. State is a fixed array of chains (max_chains); when it
 * is full the least valuable chain is dropped: chains without a stage of
 * medium or more first, then single-stage ones, raised incidents last, so a
 * flood of one alert per fake source cannot push out an intruder's chain. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/dutil.h"
#include "detectors/match.h"
#include "sidecar/log.h"

#define INC_KEYS     6
#define INC_KEY_TEXT 48
#define INC_RULE     40

struct inc_step {
    int64_t ts;                 /* first alert of this stage in the chain */
    uint32_t count;             /* alerts of this stage; 0 = stage absent */
    char rule[INC_RULE];
};

struct inc_chain {
    bool used, raised;
    uint8_t peak;               /* highest severity among its alerts */
    bool host_only;             /* keyed by the host alone: alerts without a person */
    uint32_t id;
    int64_t first, last;
    uint8_t nkeys;
    char key[INC_KEYS][INC_KEY_TEXT];   /* "user:alice", "ip:203.0.113.9", "host:web-1" */
    struct inc_step step[STAGE__COUNT];
};

struct inc_ctx {
    uint64_t reserved;                 /* bytes taken from detectors.memory_max */
    int64_t window_ms;          /* options */
    int64_t min_stages;
    int64_t max_chains;
    int min_severity;
    int min_peak;
    struct inc_chain *chains;
    uint32_t next_id;
};

static const char *const inc_severities[] = { "info", "low", "medium", "high", "critical", NULL };

static const struct conf_option inc_options[] = {
    { "window", CONF_DURATION, "6h", offsetof(struct inc_ctx, window_ms), 60000, 30LL * 86400000,
      "alerts of one entity further apart than this do not chain" },
    { "min_stages", CONF_INT, "3", offsetof(struct inc_ctx, min_stages), 2, STAGE__COUNT - 1,
      "distinct lifecycle stages that make an incident" },
    { "max_chains", CONF_INT, "512", offsetof(struct inc_ctx, max_chains), 8, 65536,
      "chains tracked at once; when full, a chain without a stage of medium or more is "
      "dropped first (the least recently active), a raised incident last" },
    { "min_severity", CONF_ENUM, "low", offsetof(struct inc_ctx, min_severity), 0, 0,
      "alerts below this severity do not join chains", inc_severities },
    { "min_peak", CONF_ENUM, "medium", offsetof(struct inc_ctx, min_peak), 0, 0,
      "a chain is an incident only once one of its alerts is this severe: three benign "
      "rarities of one user (a new office, a new API call, a new command) are not an attack",
      inc_severities },
    { 0 }
};

static void key_make(char out[INC_KEY_TEXT], const char *prefix, struct span v)
{
    size_t p = strlen(prefix);
    size_t n = v.len < INC_KEY_TEXT - 1 - p ? v.len : INC_KEY_TEXT - 1 - p;
    memset(out, 0, INC_KEY_TEXT);   /* whole keys go into snapshots: no stray bytes */
    memcpy(out, prefix, p);
    memcpy(out + p, v.p, n);
    out[p + n] = '\0';
}

static bool chain_has(const struct inc_chain *ch, const char *key)
{
    for (unsigned i = 0; i < ch->nkeys; i++)
        if (strcmp(ch->key[i], key) == 0)
            return true;
    return false;
}

static void chain_add_key(struct inc_chain *ch, const char *key)
{
    if (!chain_has(ch, key) && ch->nkeys < INC_KEYS)
        memcpy(ch->key[ch->nkeys++], key, INC_KEY_TEXT);
}

static struct span chain_entity(const struct inc_chain *ch, const char *prefix)
{
    size_t p = strlen(prefix);
    for (unsigned i = 0; i < ch->nkeys; i++)
        if (strncmp(ch->key[i], prefix, p) == 0)
            return span_cstr(ch->key[i] + p);
    return SPAN_NULL;
}

static unsigned chain_stages(const struct inc_chain *ch)
{
    unsigned n = 0;
    for (unsigned s = 1; s < STAGE__COUNT; s++)
        n += ch->step[s].count > 0;
    return n;
}

/* The stages of ch present, in time order (insertion sort of at most
 * STAGE__COUNT); returns how many. */
static unsigned chain_order(const struct inc_chain *ch, unsigned order[STAGE__COUNT])
{
    unsigned n = 0;
    for (unsigned s = 1; s < STAGE__COUNT; s++) {
        if (!ch->step[s].count)
            continue;
        unsigned k = n++;
        while (k > 0 && ch->step[order[k - 1]].ts > ch->step[s].ts) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = s;
    }
    return n;
}

static void story_step(struct alert *a, const struct inc_step *st, enum stage s, bool first)
{
    char hhmm[6];
    match_hhmm(st->ts, hhmm);
    alert_printf(a, "%s %s: %s at %s", first ? "" : ",", stage_name(s), st->rule, hhmm);
    if (st->count > 1)
        alert_printf(a, " (+%u)", st->count - 1);
}

/* The live host-only chain of ch's host, or NULL. */
static const struct inc_chain *host_chain_of(const struct inc_ctx *c, const struct inc_chain *ch,
                                             int64_t win)
{
    if (ch->host_only)
        return NULL;
    for (int64_t i = 0; i < c->max_chains; i++) {
        const struct inc_chain *h = &c->chains[i];
        if (!h->used || !h->host_only || ch->last - h->last > win || h->last - ch->last > win)
            continue;
        for (unsigned k = 0; k < ch->nkeys; k++)
            if (strncmp(ch->key[k], "host:", 5) == 0 && chain_has(h, ch->key[k]))
                return h;
    }
    return NULL;
}

static void raise_incident(struct detector *d, struct inc_chain *ch, const struct alert *trigger)
{
    struct inc_ctx *c = d->ctx;
    struct alert a;
    memset(&a, 0, sizeof(a));
    a.ts = trigger->ts;
    a.rule = "incident.chain";
    a.detector = "incident";
    a.severity = SEV_CRITICAL;
    a.score = 1.0;
    a.stage = trigger->stage;
    a.entity.user = chain_entity(ch, "user:");
    a.entity.src_ip = chain_entity(ch, "ip:");
    a.entity.host = chain_entity(ch, "host:");
    unsigned order[STAGE__COUNT];
    unsigned n = chain_order(ch, order);
    struct span who = a.entity.user.len ? a.entity.user : a.entity.src_ip.len ? a.entity.src_ip : a.entity.host;
    alert_printf(&a, "incident #%u: attack chain of %u stages for %s%.*s", ch->id, n,
                 ch->host_only ? "host " : "", DSPAN(who, 64));
    if (a.entity.user.len && a.entity.src_ip.len)
        alert_printf(&a, " from %.*s", DSPAN(a.entity.src_ip, 64));
    int64_t win_ms = c->window_ms;
    alert_printf(&a, " within %lldm (threshold %lld stages in %lld%s):",
                 (long long)((ch->last - ch->first) / (60 * NS_PER_SEC)), (long long)c->min_stages,
                 (long long)(win_ms % 3600000 ? win_ms / 60000 : win_ms / 3600000),
                 win_ms % 3600000 ? "m" : "h");
    for (unsigned k = 0; k < n; k++)
        story_step(&a, &ch->step[order[k]], (enum stage)order[k], k == 0);
    /* What the host did in the same minutes, quoted, not counted: nothing in
     * those alerts says this person caused them. */
    const struct inc_chain *h = host_chain_of(c, ch, win_ms * 1000000LL);
    if (h) {
        unsigned horder[STAGE__COUNT];
        unsigned hn = chain_order(h, horder), shown = 0;
        for (unsigned k = 0; k < hn; k++) {
            const struct inc_step *st = &h->step[horder[k]];
            if (st->ts < ch->first || st->ts > ch->last)
                continue;
            if (!shown++)
                alert_printf(&a, "; meanwhile on host %.*s (no user):", DSPAN(a.entity.host, 64));
            story_step(&a, st, (enum stage)horder[k], shown == 1);
        }
    }
    /* Borrow the first ATT&CK ids of the trigger for the record. */
    for (int i = 0; i < 4 && trigger->attack[i]; i++)
        a.attack[i] = trigger->attack[i];
    ch->raised = true;
    a.unthrottled = true;   /* raised once per new stage: every update must show */
    alert_emit(d->vg, &a);
}

/* How much a chain is worth keeping when the table is full: raised incidents
 * most, then chains holding an alert of medium or more over several stages
 * (a story), then those with a single stage (one alert per faked source looks
 * like that), then the rest; the least recently active goes first among
 * equals. */
static int chain_rank(const struct inc_chain *ch)
{
    if (ch->raised)
        return 3;
    if (ch->peak < SEV_MEDIUM)
        return 0;
    return chain_stages(ch) > 1 ? 2 : 1;
}

static bool evict_before(const struct inc_chain *a, const struct inc_chain *b)
{
    int ra = chain_rank(a), rb = chain_rank(b);
    return ra != rb ? ra < rb : a->last < b->last;
}

static void inc_on_alert(struct detector *d, const struct alert *a)
{
    struct inc_ctx *c = d->ctx;
    if (!a->rule || strcmp(a->rule, "incident.chain") == 0 || a->stage <= STAGE_NONE ||
        a->stage >= STAGE__COUNT || (int)a->severity < c->min_severity)
        return;
    int64_t win = c->window_ms * 1000000LL;
    char keys[3][INC_KEY_TEXT];
    unsigned nk = 0;
    if (a->entity.user.len)
        key_make(keys[nk++], "user:", a->entity.user);
    else if (a->entity.identity.len)
        key_make(keys[nk++], "user:", a->entity.identity);
    if (a->entity.src_ip.len)
        key_make(keys[nk++], "ip:", a->entity.src_ip);
    char hostkey[INC_KEY_TEXT];
    key_make(hostkey, "host:", a->entity.host.len ? a->entity.host : span_cstr(d->vg->hostname));
    bool host_only = nk == 0;

    struct inc_chain *best = NULL, *victim = NULL;
    for (int64_t i = 0; i < c->max_chains; i++) {
        struct inc_chain *ch = &c->chains[i];
        /* An alert joins only a chain whose newest alert it is within window
         * of, on either side: a week-old alert must not join tonight's chain. */
        if (!ch->used || a->ts - ch->last > win || ch->last - a->ts > win) {
            if (!victim || victim->used)
                victim = ch;
            continue;
        }
        if (!victim || (victim->used && evict_before(ch, victim)))
            victim = ch;
        /* Evidence only: a person's alert joins a person's chain by a shared
         * user or address, a host-only alert only the host's own chain. */
        if (ch->host_only != host_only)
            continue;
        bool hit = false;
        for (unsigned k = 0; k < nk; k++)
            hit |= chain_has(ch, keys[k]);
        if (host_only)
            hit = chain_has(ch, hostkey);
        if (hit && (!best || ch->last > best->last))
            best = ch;
    }
    if (!best) {
        best = victim;
        memset(best, 0, sizeof(*best));
        best->used = true;
        best->host_only = host_only;
        best->id = ++c->next_id;
        best->first = best->last = a->ts;
    }
    for (unsigned k = 0; k < nk; k++)
        chain_add_key(best, keys[k]);
    chain_add_key(best, hostkey);
    if (a->ts > best->last)
        best->last = a->ts;
    struct inc_step *st = &best->step[a->stage];
    bool new_stage = st->count == 0;
    if (new_stage) {
        st->ts = a->ts;
        size_t n = strlen(a->rule);
        n = n < INC_RULE - 1 ? n : INC_RULE - 1;
        memset(st->rule, 0, sizeof(st->rule));
        memcpy(st->rule, a->rule, n);
    }
    st->count++;
    /* Stages that fell out of the window no longer count: the chain's span
     * (first to newest) never exceeds it. */
    int64_t first = best->last;
    for (unsigned s = 1; s < STAGE__COUNT; s++) {
        if (best->step[s].count && best->last - best->step[s].ts > win)
            best->step[s].count = 0;
        if (best->step[s].count && best->step[s].ts < first)
            first = best->step[s].ts;
    }
    best->first = first;
    if ((uint8_t)a->severity > best->peak)
        best->peak = (uint8_t)a->severity;
    /* A host chain is context, never an incident of its own: nothing in it
     * says who did it, and the host's normal noise (new destinations, new
     * message shapes) reaches three stages on its own. */
    if (!best->host_only && (new_stage || !best->raised) &&
        chain_stages(best) >= (unsigned)c->min_stages && best->peak >= c->min_peak)
        raise_incident(d, best, a);
}

static int inc_init(struct detector *d)
{
    struct inc_ctx *c = d->ctx;
    c->reserved = (uint64_t)c->max_chains * sizeof(*c->chains);
    if (bl_budget_reserve(d->vg->budget, c->reserved) < 0) {
        log_error("detectors.incident.max_chains: %lld chains need %llu bytes, more than "
                  "detectors.memory_max leaves", (long long)c->max_chains,
                  (unsigned long long)c->reserved);
        c->reserved = 0;
        return -1;
    }
    c->chains = calloc((size_t)c->max_chains, sizeof(*c->chains));
    return c->chains ? 0 : -1;
}

static void inc_destroy(struct detector *d)
{
    struct inc_ctx *c = d->ctx;
    free(c->chains);
    c->chains = NULL;
    bl_budget_release(d->vg->budget, c->reserved);
    c->reserved = 0;
}

static int inc_save(struct detector *d, FILE *f)
{
    struct inc_ctx *c = d->ctx;
    uint64_t n = (uint64_t)c->max_chains;
    if (fwrite(&n, sizeof(n), 1, f) != 1 || fwrite(&c->next_id, sizeof(c->next_id), 1, f) != 1 ||
        fwrite(c->chains, sizeof(*c->chains), (size_t)n, f) != (size_t)n)
        return -1;
    return 0;
}

static int inc_load(struct detector *d, FILE *f)
{
    struct inc_ctx *c = d->ctx;
    uint64_t n;
    if (fread(&n, sizeof(n), 1, f) != 1 || n != (uint64_t)c->max_chains ||
        fread(&c->next_id, sizeof(c->next_id), 1, f) != 1)
        return -1;
    /* Only the used chains are copied in: an unused one is cleared when it is
     * taken, and leaving it alone keeps its pages out of memory (the array
     * is max_chains x 1.1 KiB, mostly unused). */
    for (uint64_t i = 0; i < n; i++) {
        struct inc_chain ch;
        if (fread(&ch, sizeof(ch), 1, f) != 1)
            return -1;
        if (!ch.used)
            continue;
        ch.nkeys = ch.nkeys > INC_KEYS ? INC_KEYS : ch.nkeys;
        for (unsigned k = 0; k < INC_KEYS; k++)
            ch.key[k][INC_KEY_TEXT - 1] = '\0';
        for (unsigned s = 0; s < STAGE__COUNT; s++)
            ch.step[s].rule[INC_RULE - 1] = '\0';
        c->chains[i] = ch;
    }
    return 0;
}

const struct detector_plugin detector_incident = {
    .name = "incident",
    .options = inc_options,
    .ctx_size = sizeof(struct inc_ctx),
    .kinds = 0,
    .init = inc_init,
    .on_alert = inc_on_alert,
    .save = inc_save,
    .load = inc_load,
    .destroy = inc_destroy,
    .snapshot_version = 3,   /* 2: peak severity; 3: host-only chains */
};
