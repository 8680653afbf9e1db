/* auth_guess.c - password guessing: brute force (one source, many failures),
 * spraying (one source, many users), distributed guessing (one user, many
 * sources), scans (one source, many connections without an attempt) and
 * the success that follows failures from the same source or network.
 *
 * Counts are sliding windows in event time; a record counts record.repeat
 * times, a line marked `dup` (another line of the same attempt counts it) not
 * at all. An IPv6 source counts as its /64: addresses inside one are one
 * attacker's to choose from.
 *
 * One alert per episode (auth.h, struct auth_episode), and three lines at
 * most for one source's brute force, spraying and scan together (struct
 * auth_burst: a bot that guesses many names trips both): a line when the
 * windowed count first reaches a threshold, an update when it grows tenfold
 * or turns more severe (it reaches accounts that log in here), and a summary
 * when the burst is over, while lines are left. Severity follows
 * what is targeted: names that never logged in here (admin, test, oracle:
 * what every internet-facing sshd sees all day) are low from one source, and
 * an observation (info) when many sources each try a few; names that log in
 * here are medium, and several of them, or a privileged one, high. Guessing
 * from many sources at an account that only ever logs in by key is one level
 * lower. */
#include "detectors/auth.h"

#include <string.h>

#include "sidecar/vigil.h"

enum episode_kind { EP_BRUTE, EP_SPRAY, EP_SCAN, EP_DIST };
enum episode_phase { PH_START, PH_UPDATE, PH_END };

static const struct {
    const char *rule;
    const char *attack;
    enum stage stage;
    const char *what;
} kinds[] = {
    [EP_BRUTE] = { "auth.bruteforce", "T1110.001", STAGE_CREDENTIAL_ACCESS, "brute force" },
    [EP_SPRAY] = { "auth.spray", "T1110.003", STAGE_CREDENTIAL_ACCESS, "password spraying" },
    [EP_SCAN] = { "auth.scan", "T1046", STAGE_DISCOVERY, "scan" },
    [EP_DIST] = { "auth.distributed", "T1110.001", STAGE_CREDENTIAL_ACCESS,
                  "distributed guessing" },
};

static void keep(char *dst, uint32_t *len, size_t cap, struct span s)
{
    size_t n = s.len < cap ? s.len : cap;
    if (n)
        memcpy(dst, s.p, n);
    *len = (uint32_t)n;
}

void auth_duration(char *out, size_t cap, int64_t ms)
{
    if (ms % (3600 * 1000) == 0)
        snprintf(out, cap, "%lldh", (long long)(ms / (3600 * 1000)));
    else if (ms % (60 * 1000) == 0)
        snprintf(out, cap, "%lldm", (long long)(ms / (60 * 1000)));
    else
        snprintf(out, cap, "%llds", (long long)(ms / 1000));
}

static double ramp(double v, double from, double to)
{
    if (v <= from)
        return 0;
    return v >= to ? 1 : (v - from) / (to - from);
}

static const struct auth_rule_conf *conf_of(struct auth_ctx *x, enum episode_kind k)
{
    switch (k) {
    case EP_BRUTE: return &x->bruteforce;
    case EP_SPRAY: return &x->spray;
    case EP_SCAN: return &x->scan;
    default: return &x->distributed;
    }
}

/* What the failures' user name is here, from one lookup of the users table:
 * whether it logged in here (a real account, not a bot's guess), and always
 * by key (a password guessed for it opens nothing unless the account has one
 * sshd accepts, which it never used). */
struct name_facts {
    bool known, key_only;
};

static struct name_facts name_facts(struct detector *d, struct span user, uint64_t uh,
                                    int64_t now)
{
    struct bl_head *h = user.len ? bl_lookup_h(auth_of(d)->users, user, uh, now, false, false)
                                 : NULL;
    const struct auth_user *u = h ? bl_value(h) : NULL;
    return (struct name_facts){ u && u->logins > 0,
                                u && u->logins > 0 && u->key_logins > 0 && u->pw_logins == 0 };
}

/* Entries of d seen within window_ns, without adding one. */
static unsigned distinct_within(const struct bl_distinct *d, int64_t now, int64_t window_ns)
{
    unsigned n = 0;
    for (int i = 0; i < BL_DISTINCT; i++)
        n += d->when[i] && d->when[i] >= now - window_ns;
    return n;
}

static bool episode_over(const struct auth_episode *e, int64_t gap_ns, int64_t now)
{
    return e->start && (now - e->last > gap_ns || now - e->start >= NS_PER_DAY);
}

static void hhmm(int64_t ts, char out[6])
{
    int64_t m = (ts / (60 * NS_PER_SEC)) % (24 * 60);
    if (m < 0)
        m += 24 * 60;
    snprintf(out, 6, "%02d:%02d", (int)(m / 60), (int)(m % 60));
}

/* One line of an episode. r is the record that made it (NULL for the summary
 * a tick writes); key the source or user it is about. */
static void episode_alert(struct detector *d, enum episode_kind k, enum episode_phase ph,
                          const struct auth_episode *e, const struct record *r, struct span key,
                          struct span latest, uint32_t count, int64_t now)
{
    struct auth_ctx *x = auth_of(d);
    const struct auth_rule_conf *rc = conf_of(x, k);
    struct record none;
    if (!r) {
        memset(&none, 0, sizeof(none));
        none.ts = now;
        r = &none;
    }
    struct alert a;
    char win[32], t0[6], t1[6];
    auth_duration(win, sizeof(win), rc->window_ms);
    auth_alert_init(&a, r, kinds[k].rule, (enum severity)e->sev, kinds[k].stage);
    if (r == &none)
        a.entity.host = span_cstr(d->vg->hostname);
    a.unthrottled = true;           /* this file keeps it to three lines an episode */
    a.attack[0] = kinds[k].attack;
    if (k == EP_DIST)
        a.entity.user = key;
    else
        a.entity.src_ip = key;
    double thr = (double)rc->threshold;
    a.score = 0.4 + 0.2 * (e->sev >= SEV_MEDIUM) + 0.2 * (e->sev >= SEV_HIGH) +
              0.2 * ramp(e->total, thr, 10 * thr);
    const char *known = e->known ? ", against accounts that log in here" : "";
    hhmm(e->start, t0);
    hhmm(e->last, t1);
    if (ph == PH_END) {
        alert_printf(&a, "%s %s %.*s ended: %u %s from %s to %s%s", kinds[k].what,
                     k == EP_DIST ? "against" : "from", (int)key.len, key.p, e->total,
                     k == EP_SCAN ? "bare connections" : "failed logins", t0, t1, known);
        alert_emit(d->vg, &a);
        return;
    }
    const char *upd = ph == PH_UPDATE ? "goes on: " : "";
    switch (k) {
    case EP_BRUTE:
        alert_printf(&a, "%s%u failed logins from %.*s within %s (threshold %lld)", upd, count,
                     (int)key.len, key.p, win, (long long)rc->threshold);
        break;
    case EP_SPRAY:
        alert_printf(&a, "%s%.*s failed logins for %s%u distinct users within %s (threshold "
                     "%lld)", upd, (int)key.len, key.p, count >= BL_DISTINCT ? "at least " : "",
                     count, win, (long long)rc->threshold);
        break;
    case EP_SCAN:
        alert_printf(&a, "%s%.*s opened SSH connections without trying to log in (weight %u "
                     "within %s, threshold %lld)", upd, (int)key.len, key.p, count, win,
                     (long long)rc->threshold);
        break;
    case EP_DIST:
        alert_printf(&a, "%s%s%u distinct sources failed to log in as %.*s within %s "
                     "(threshold %lld)", upd, count >= BL_DISTINCT ? "at least " : "", count,
                     (int)key.len, key.p, win, (long long)rc->threshold);
        break;
    }
    if (ph == PH_UPDATE)
        alert_printf(&a, ", %u since %s", e->total, t0);
    if (latest.len)
        alert_printf(&a, ", latest %s %.*s", k == EP_DIST ? "from" : k == EP_SCAN ? "reason"
                     : "for user", (int)latest.len, latest.p);
    alert_printf(&a, "%s", known);
    alert_emit(d->vg, &a);
}

/* The episodes of one source (brute force, spraying, scan) or of one user
 * (distributed) and their shared state (auth.h, struct auth_burst). */
struct burst {
    struct auth_episode *ep[3];
    size_t n;
    struct auth_burst *st;
    int64_t gap_ns;                 /* the longest window of its rules */
};

/* Open while one of its episodes is, or a later one would still count the
 * events of the last (spraying counts users over an hour, brute force
 * failures over ten minutes). */
static bool burst_open(const struct burst *b, int64_t now)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->ep[i]->start)
            return true;
    return b->st->last && now - b->st->last <= b->gap_ns;
}

/* Writes the burst's summary if a line is left, and starts it afresh. */
static void burst_end(struct detector *d, const struct burst *b, struct span key)
{
    struct auth_burst *st = b->st;
    if (st->ended.start && st->lines < 3)
        episode_alert(d, (enum episode_kind)st->ended_kind, PH_END, &st->ended, NULL, key,
                      SPAN_NULL, 0, st->ended.last);
    memset(st, 0, sizeof(*st));
}

/* Ends e and keeps it for the burst's summary when it wrote a line. An
 * episode a day old ends its burst at once: a botnet that never stops gets
 * a summary and a new start a day. */
static void episode_close(struct detector *d, enum episode_kind k, struct auth_episode *e,
                          const struct burst *b, struct span key)
{
    bool day = e->last - e->start >= NS_PER_DAY;
    if (e->lines) {
        b->st->ended = *e;
        b->st->ended_kind = (uint8_t)k;
    }
    memset(e, 0, sizeof(*e));
    if (day) {
        for (size_t i = 0; i < b->n; i++)
            memset(b->ep[i], 0, sizeof(*b->ep[i]));
        burst_end(d, b, key);
    }
}

/* Ends the burst when it is over at now. */
static void burst_settle(struct detector *d, const struct burst *b, struct span key, int64_t now)
{
    if (b->st->last && !burst_open(b, now))
        burst_end(d, b, key);
}

/* One line of e in its burst; `start` when e wrote none yet. */
static void burst_line(struct detector *d, enum episode_kind k, struct auth_episode *e,
                       const struct burst *b, const struct record *r, struct span key,
                       struct span latest, uint32_t count)
{
    e->lines++;
    b->st->lines++;
    if (e->sev > b->st->sev)
        b->st->sev = e->sev;
    episode_alert(d, k, e->lines == 1 ? PH_START : PH_UPDATE, e, r, key, latest, count, r->ts);
}

/* Advances an episode by n events whose windowed count is now `count`, at
 * severity sev. Its burst writes the first start, growth tenfold as its
 * second line, and any line that raises the burst's severity, three at
 * most: a second rule tripping at the same severity adds nothing. */
static void episode_step(struct detector *d, enum episode_kind k, struct auth_episode *e,
                         const struct burst *b, const struct record *r, struct span key,
                         struct span latest, uint32_t count, uint32_t n, enum severity sev,
                         bool known)
{
    const struct auth_rule_conf *rc = conf_of(auth_of(d), k);
    struct auth_burst *st = b->st;
    int64_t now = r->ts, gap = rc->window_ms * 1000000LL;
    uint32_t thr = (uint32_t)rc->threshold;
    if (episode_over(e, gap, now))
        episode_close(d, k, e, b, key);
    burst_settle(d, b, key, now);
    if (now > st->last)
        st->last = now;
    if (!e->start) {
        if (count < thr)
            return;
        *e = (struct auth_episode){ .start = now, .last = now, .total = count, .peak = count,
                                    .sev = (uint8_t)sev, .known = known };
        if (st->lines == 0 || (st->lines < 3 && (uint8_t)sev > st->sev))
            burst_line(d, k, e, b, r, key, latest, count);
        return;
    }
    if (now > e->last)
        e->last = now;
    e->total = e->total > UINT32_MAX - n ? UINT32_MAX : e->total + n;
    if (count > e->peak)
        e->peak = count;
    e->known |= known;
    bool grew = e->lines == 1 && st->lines == 1 && e->total >= 10ULL * thr;
    if ((uint8_t)sev > e->sev)
        e->sev = (uint8_t)sev;
    if (st->lines < 3 && (grew || e->sev > st->sev))
        burst_line(d, k, e, b, r, key, latest, count);
}

static int64_t longest(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static struct burst src_burst(struct auth_ctx *x, struct auth_fail_src *fs)
{
    int64_t gap = longest(longest(x->bruteforce.window_ms, x->spray.window_ms),
                          x->scan.window_ms) * 1000000LL;
    return (struct burst){ { &fs->brute, &fs->spray, &fs->scan }, 3, &fs->burst, gap };
}

static struct burst user_burst(struct auth_ctx *x, struct auth_fail_user *fu)
{
    return (struct burst){ { &fu->distributed }, 1, &fu->burst,
                           x->distributed.window_ms * 1000000LL };
}

/* What a tick may have to do for an entry: close an episode, or end a burst
 * that wrote lines (its summary, its severity). A burst that wrote nothing
 * ends as well when the next event settles it: the tick need not visit it. */
static bool src_pending(const struct auth_fail_src *fs)
{
    return fs->brute.start || fs->spray.start || fs->scan.start || fs->burst.lines ||
           fs->burst.ended.start;
}

static bool user_pending(const struct auth_fail_user *fu)
{
    return fu->distributed.start || fu->burst.lines || fu->burst.ended.start;
}

/* Counts n failures at now for the user of hash uh (0: none) into fs. */
static void count_failure(struct auth_ctx *x, struct auth_fail_src *fs, int64_t now, uint32_t n,
                          uint64_t uh, bool known)
{
    int64_t keep_ns = x->after_failures.window_ms * 1000000LL;
    int64_t spray_ns = x->spray.window_ms * 1000000LL;
    if (fs->last_fail && now - fs->last_fail > keep_ns)
        fs->since = 0;
    fs->since = fs->since > UINT32_MAX - n ? UINT32_MAX : fs->since + n;
    if (now > fs->last_fail)
        fs->last_fail = now;
    bl_window_add(&fs->fails, now, x->bruteforce.window_ms * 1000000LL, n);
    if (uh)
        bl_distinct_add(&fs->users, uh, now, spray_ns);
    if (known)
        bl_distinct_add(&fs->known_users, uh, now, spray_ns);
}

/* How long a first failure is remembered: while it could still count for a
 * rule (a window) or for the success that follows it. */
static int64_t once_keep_ns(const struct auth_ctx *x)
{
    int64_t w = x->bruteforce.window_ms > x->spray.window_ms ? x->bruteforce.window_ms
                                                              : x->spray.window_ms;
    if (x->after_failures.window_ms > w)
        w = x->after_failures.window_ms;
    return w * 1000000LL;
}

/* The auth_fail_src of a failing source, or NULL while the source is on its
 * first failure (kept in fail_once, where it cannot reach any threshold):
 * the second failure creates the entry and replays the first into it. */
static struct bl_head *src_entry(struct detector *d, struct span key, uint64_t kh, int64_t now,
                                 uint32_t n, uint64_t uh, bool known)
{
    struct auth_ctx *x = auth_of(d);
    struct bl_head *h = bl_lookup_h(x->fail_src, key, kh, now, false, true);
    if (h)
        return h;
    bool alone = n < (uint64_t)x->bruteforce.threshold && x->spray.threshold > 1;
    struct bl_head *o = bl_lookup_h(x->fail_once, key, kh, now, alone, true);
    struct auth_fail_once *first = o ? bl_value(o) : NULL;
    bool fresh = !first || !first->when || now - first->when > once_keep_ns(x);
    if (alone && fresh) {
        if (first)
            *first = (struct auth_fail_once){ now, uh, n, known, { 0 } };
        return NULL;
    }
    /* at the cap it counts as seen as often as its failures so far */
    uint64_t seen = (uint64_t)n + (first && !fresh ? first->n : 0);
    h = bl_lookup_seen(x->fail_src, key, kh, now, seen > UINT32_MAX ? UINT32_MAX : (uint32_t)seen);
    if (h && first && !fresh)
        count_failure(x, bl_value(h), first->when, first->n, first->user_hash, first->known);
    if (h && first)
        first->when = 0;
    return h;
}

void auth_on_failure(struct detector *d, const struct record *r, struct span user,
                     struct span src, uint32_t n)
{
    struct auth_ctx *x = auth_of(d);
    struct bl_budget *b = d->vg->budget;
    int64_t now = r->ts;
    int64_t keep_ns = x->after_failures.window_ms * 1000000LL;
    int64_t spray_ns = x->spray.window_ms * 1000000LL;
    /* each entity is hashed once and looked up once per table */
    uint64_t uh = user.len ? bl_hash(b, user) : 0;
    struct name_facts nf = name_facts(d, user, uh, now);
    bool known = nf.known;
    bool priv = known && auth_privileged(d, user, NULL);
    char kb[64], nb[64];
    struct span key = auth_src_key(src, kb, sizeof(kb));
    uint64_t kh = src.len ? bl_hash(b, key) : 0;
    struct span net = auth_src_net(src, nb, sizeof(nb));
    uint64_t nh = net.len ? bl_hash(b, net) : 0;
    struct bl_head *h;
    /* the source tables are large (every bot address): their misses overlap */
    if (src.len) {
        bl_prefetch(x->fail_src, kh);
        bl_prefetch(x->fail_once, kh);
    }
    if (net.len)
        bl_prefetch(x->fail_net, nh);

    if (src.len && (h = src_entry(d, key, kh, now, n, uh, known))) {
        struct auth_fail_src *fs = bl_value(h);
        struct burst bu = src_burst(x, fs);
        count_failure(x, fs, now, n, uh, known);
        if (user.len)
            keep(fs->last_user, &fs->last_user_len, sizeof(fs->last_user), user);
        uint32_t cnt = bl_window_count(&fs->fails, now, x->bruteforce.window_ms * 1000000LL);
        unsigned users = user.len ? distinct_within(&fs->users, now, spray_ns) : 0;
        unsigned kusers = distinct_within(&fs->known_users, now, spray_ns);
        if (x->bruteforce.enabled) {
            uint32_t thr = (uint32_t)x->bruteforce.threshold;
            enum severity sev = !kusers ? SEV_LOW
                              : priv || cnt >= 5ULL * thr ? SEV_HIGH : SEV_MEDIUM;
            episode_step(d, EP_BRUTE, &fs->brute, &bu, r, key, user, cnt, n, sev, kusers > 0);
        }
        if (x->spray.enabled && user.len) {
            enum severity sev = kusers >= 2 || (kusers && priv) ? SEV_HIGH
                              : kusers ? SEV_MEDIUM : SEV_LOW;
            episode_step(d, EP_SPRAY, &fs->spray, &bu, r, key, user, users, n, sev, kusers > 0);
        }
        if (src_pending(fs))
            bl_mark(x->fail_src, h);
    }
    if (net.len && (h = bl_lookup_h(x->fail_net, net, nh, now, true, true))) {
        struct auth_fail_net *fn = bl_value(h);
        if (fn->last_fail && now - fn->last_fail > keep_ns)
            fn->since = 0;
        fn->since = fn->since > UINT32_MAX - n ? UINT32_MAX : fn->since + n;
        if (now > fn->last_fail)
            fn->last_fail = now;
    }
    if (user.len && (h = bl_lookup_h(x->fail_user, user, uh, now, true, true))) {
        struct auth_fail_user *fu = bl_value(h);
        if (fu->last_fail && now - fu->last_fail > keep_ns)
            fu->since = 0;
        fu->since = fu->since > UINT32_MAX - n ? UINT32_MAX : fu->since + n;
        if (now > fu->last_fail)
            fu->last_fail = now;
        if (src.len)
            keep(fu->last_src, &fu->last_src_len, sizeof(fu->last_src), src);
        bl_window_add(&fu->fails, now, x->bruteforce.window_ms * 1000000LL, n);
        unsigned srcs = src.len ? bl_distinct_add(&fu->srcs, kh, now,
                                                  x->distributed.window_ms * 1000000LL) : 0;
        if (x->distributed.enabled) {
            /* many internet sources on a name that never logged in here is
             * the background every sshd sees: an observation. On a real
             * account it is an attack, one level lower when the account
             * only ever logs in by key. */
            enum severity sev = priv ? SEV_HIGH : known ? SEV_MEDIUM : SEV_INFO;
            if (known && sev > SEV_LOW && nf.key_only)
                sev--;
            struct burst bu = user_burst(x, fu);
            episode_step(d, EP_DIST, &fu->distributed, &bu, r, user, src, srcs, n, sev, known);
        }
        if (user_pending(fu))
            bl_mark(x->fail_user, h);
    }
}

/* Broken banners and failed key exchanges are what port scanners and
 * vulnerability probes leave; a plain close may be a health check. */
static uint32_t scan_weight(struct span reason)
{
    static const char *const probes[] = { "kex_exchange_identification", "banner_exchange",
                                          "bad_protocol_version", "no_identification",
                                          "unable_to_negotiate", "dispatch_fatal", NULL };
    for (size_t i = 0; probes[i]; i++)
        if (span_eq_cstr(reason, probes[i]))
            return 4;
    return 1;
}

void auth_on_scan(struct detector *d, const struct record *r, struct span src)
{
    struct auth_ctx *x = auth_of(d);
    char kb[64];
    struct span key = auth_src_key(src, kb, sizeof(kb));
    uint64_t kh = bl_hash(d->vg->budget, key);
    struct bl_head *h = bl_lookup_h(x->fail_src, key, kh, r->ts, true, true);
    if (!h)
        return;
    struct auth_fail_src *fs = bl_value(h);
    /* a first failure waiting in fail_once moves into the entry the scan made */
    struct bl_head *o = bl_lookup_h(x->fail_once, key, kh, r->ts, false, false);
    struct auth_fail_once *first = o ? bl_value(o) : NULL;
    if (first && first->when && r->ts - first->when <= once_keep_ns(x))
        count_failure(x, fs, first->when, first->n, first->user_hash, first->known);
    if (first)
        first->when = 0;
    struct span reason = record_str(r, RK_REASON);
    uint32_t w = scan_weight(reason);
    uint32_t cnt = bl_window_add(&fs->scans, r->ts, x->scan.window_ms * 1000000LL, w);
    struct burst bu = src_burst(x, fs);
    episode_step(d, EP_SCAN, &fs->scan, &bu, r, key, reason, cnt, w, SEV_LOW, false);
    if (src_pending(fs))
        bl_mark(x->fail_src, h);
}

struct tick_arg {
    struct detector *d;
    int64_t now;
};

static void close_if_over(struct detector *d, enum episode_kind k, struct auth_episode *e,
                          const struct burst *b, struct span key, int64_t now)
{
    if (episode_over(e, conf_of(auth_of(d), k)->window_ms * 1000000LL, now))
        episode_close(d, k, e, b, key);
}

/* The tick visits only the entries a failure or scan left with work pending
 * (marked), and keeps them marked while they have: a bot's address that
 * failed once costs the tick nothing. */
static bool tick_src(struct bl_head *h, void *arg)
{
    struct tick_arg *t = arg;
    struct auth_fail_src *fs = bl_value(h);
    struct burst bu = src_burst(auth_of(t->d), fs);
    close_if_over(t->d, EP_BRUTE, &fs->brute, &bu, bl_key(h), t->now);
    close_if_over(t->d, EP_SPRAY, &fs->spray, &bu, bl_key(h), t->now);
    close_if_over(t->d, EP_SCAN, &fs->scan, &bu, bl_key(h), t->now);
    burst_settle(t->d, &bu, bl_key(h), t->now);
    return src_pending(fs);
}

static bool tick_user(struct bl_head *h, void *arg)
{
    struct tick_arg *t = arg;
    struct auth_fail_user *fu = bl_value(h);
    struct burst bu = user_burst(auth_of(t->d), fu);
    close_if_over(t->d, EP_DIST, &fu->distributed, &bu, bl_key(h), t->now);
    burst_settle(t->d, &bu, bl_key(h), t->now);
    return user_pending(fu);
}

void auth_guess_tick(struct detector *d, int64_t now)
{
    struct auth_ctx *x = auth_of(d);
    struct tick_arg t = { d, now };
    bl_table_foreach_marked(x->fail_src, tick_src, &t);
    bl_table_foreach_marked(x->fail_user, tick_user, &t);
}

uint32_t auth_on_success_failures(struct detector *d, const struct record *r, struct span user,
                                  struct span src)
{
    struct auth_ctx *x = auth_of(d);
    int64_t now = r->ts;
    int64_t keep_ns = x->after_failures.window_ms * 1000000LL;
    uint32_t from_src = 0, from_net = 0, for_user = 0;
    char kb[64], nb[64];
    struct bl_head *h;
    struct span key = auth_src_key(src, kb, sizeof(kb));
    uint64_t kh = src.len ? bl_hash(d->vg->budget, key) : 0;
    if (src.len && (h = bl_lookup_h(x->fail_src, key, kh, now, false, false))) {
        struct auth_fail_src *fs = bl_value(h);
        if (now - fs->last_fail <= keep_ns)
            from_src = fs->since;
        fs->since = 0;
    }
    if (src.len && (h = bl_lookup_h(x->fail_once, key, kh, now, false, false))) {
        struct auth_fail_once *first = bl_value(h);
        if (first->when && now - first->when <= keep_ns)
            from_src += first->n;
        first->when = 0;
    }
    struct span net = auth_src_net(src, nb, sizeof(nb));
    if (net.len && (h = bl_lookup(x->fail_net, net, now, false, false))) {
        struct auth_fail_net *fn = bl_value(h);
        if (now - fn->last_fail <= keep_ns)
            from_net = fn->since;
        fn->since = 0;
    }
    if (user.len && (h = bl_lookup(x->fail_user, user, now, false, false))) {
        struct auth_fail_user *fu = bl_value(h);
        if (now - fu->last_fail <= keep_ns)
            for_user = fu->since;
        fu->since = 0;
    }
    /* Failures for this name from anywhere are the internet's background
     * noise; only those from this source or its network make the success
     * suspect. A key login is not what guessed passwords open: behind a
     * shared NAT address, bots' guesses at other names tell nothing about
     * it, so it counts at most the failures there were for its own name. */
    uint32_t failures = from_src > from_net ? from_src : from_net;
    if (auth_method_is_key(record_str(r, RK_METHOD))) {
        failures = failures < for_user ? failures : for_user;
        from_src = from_src < for_user ? from_src : for_user;
    }
    if (!x->after_failures.enabled || failures < (uint64_t)x->after_failures.threshold)
        return failures;

    struct alert a;
    char win[32];
    bool cracked = from_src >= (uint64_t)x->bruteforce.threshold;
    auth_alert_init(&a, r, "auth.success_after_failures", cracked ? SEV_HIGH : SEV_MEDIUM,
                    STAGE_INITIAL_ACCESS);
    a.entity.user = user;
    a.entity.src_ip = src;
    a.attack[0] = "T1110";
    a.attack[1] = "T1078";
    a.score = cracked ? 0.85 : 0.6;
    auth_duration(win, sizeof(win), x->after_failures.window_ms);
    alert_printf(&a, "login for %.*s from %.*s succeeded after %u failures within %s from this "
                 "source or its network (%u from this source, %u for this user from anywhere)",
                 (int)user.len, user.p, (int)src.len, src.p, failures, win, from_src, for_user);
    if (cracked)
        alert_printf(&a, ": the source was brute forcing");
    alert_emit(d->vg, &a);
    return failures;
}
