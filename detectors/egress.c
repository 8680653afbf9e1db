/* egress.c - where the workload talks to (`detectors.egress`, kind egress).
 * Per (workload, destination) it keeps the last contact, a ring of the last
 * inter-arrival times and an EWMA of bytes out. After learning it raises:
 * a destination never contacted (egress.new_destination), a new destination
 * whose name imitates a usual one or a well-known brand (egress.lookalike:
 * same homoglyph skeleton, or Damerau-Levenshtein distance <= 2), regular
 * contact to a destination first seen after learning (egress.beacon: the
 * coefficient of variation of the inter-arrival times is low, which stays
 * true under +-10-20% jitter), and a transfer far above the destination's
 * usual bytes (egress.exfil). Periodic traffic to destinations learned as
 * normal (health checks, metrics pushes) is not beaconing by design.
 * A destination with too little history of its own (a new one above all) is
 * judged against the workload's usual bytes out per contact, kept per
 * workload: 850 MB to a never-seen host is exfiltration, not a new name.
 * A destination that already took transfers of that size (the nightly
 * backup to object storage) is not judged on its mean alone: a transfer
 * must also be more than twice its largest so far. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "detectors/dutil.h"
#include "detectors/match.h"

#define EG_RING    16
#define EG_USUAL   256
#define EG_DOMAIN  64

struct eg_dest {
    int64_t last;
    float ia[EG_RING];          /* seconds between contacts */
    uint8_t ia_n, ia_head;
    bool beacon_alerted;
    struct bl_ewma bytes;
    float peak;                 /* the largest transfer ever seen to it, bytes */
};

struct eg_ctx {
    int64_t beacon_min;         /* options */
    double beacon_max_cv;
    int64_t beacon_min_interval_ms;
    double spike_factor;
    uint64_t spike_min_bytes;
    struct bl_table *dests;
    struct bl_table *workloads;  /* workload -> struct bl_ewma of bytes out per contact */
    int64_t first_ts;
    unsigned nusual;
    char usual[EG_USUAL][EG_DOMAIN];   /* registrable domains learned as normal */
};

static const struct conf_option eg_options[] = {
    { "beacon_min", CONF_INT, "8", offsetof(struct eg_ctx, beacon_min), 4, EG_RING,
      "inter-arrival times to one destination (first seen after learning) needed before "
      "judging regularity" },
    { "beacon_max_cv", CONF_DOUBLE, "0.25", offsetof(struct eg_ctx, beacon_max_cv), 0, 0,
      "coefficient of variation (stddev/mean) at or below which contact is beaconing" },
    { "beacon_min_interval", CONF_DURATION, "5s", offsetof(struct eg_ctx, beacon_min_interval_ms), 0, 0,
      "faster periodic contact is a stream, not a beacon" },
    { "spike_factor", CONF_DOUBLE, "10", offsetof(struct eg_ctx, spike_factor), 0, 0,
      "bytes out in one transfer above this multiple of the usual per contact (of the "
      "destination, or of the workload for a new one) is exfiltration" },
    { "spike_min_bytes", CONF_SIZE, "10485760", offsetof(struct eg_ctx, spike_min_bytes), 0, 0,
      "smaller transfers (default 10MiB) are never exfiltration" },
    { 0 }
};

static const char *const eg_brands[] = {
    "google.com", "gmail.com", "paypal.com", "microsoft.com", "microsoftonline.com", "office.com",
    "live.com", "outlook.com", "apple.com", "icloud.com", "amazon.com", "amazonaws.com",
    "github.com", "gitlab.com", "cloudflare.com", "facebook.com", "okta.com", "slack.com",
    "dropbox.com", "docker.io", "docker.com", "npmjs.org", "pypi.org", "azure.com", "stripe.com",
    "salesforce.com", "atlassian.net", NULL
};

static void usual_add(struct eg_ctx *c, struct span dom)
{
    if (!dom.len || dom.len >= EG_DOMAIN || c->nusual >= EG_USUAL)
        return;
    for (unsigned i = 0; i < c->nusual; i++)
        if (span_eq_cstr(dom, c->usual[i]))
            return;
    memcpy(c->usual[c->nusual], dom.p, dom.len);
    c->usual[c->nusual][dom.len] = '\0';
    c->nusual++;
}

/* Is dom an imitation of known (and not known itself)? */
static bool looks_like(struct span dom, const char *known)
{
    struct span k = span_cstr(known);
    if (match_ieq(dom, known))
        return false;
    struct span a = match_label(dom), b = match_label(k);
    if (b.len < 4 || match_ieq(a, "www"))
        return false;
    char sa[EG_DOMAIN], sb[EG_DOMAIN];
    match_skeleton(a, sa, sizeof(sa));
    match_skeleton(b, sb, sizeof(sb));
    if (strcmp(sa, sb) == 0)
        return !match_ieq(a, known) && !(a.len == b.len && match_edit_distance(a, b, 0) == 0);
    unsigned max = b.len >= 8 ? 2 : b.len >= 5 ? 1 : 0;
    unsigned dist = match_edit_distance(a, b, max);
    return dist >= 1 && dist <= max;
}

/* Combosquatting with a homoglyph: a hyphen- or dot-separated word of the
 * host name (update-check.cdn-g00gle.com -> "g00gle") that reads as the
 * known domain's name once look-alike characters are folded, without being
 * that name. A plain "google" inside another domain is left alone: too many
 * honest names contain a brand. */
static bool token_imitates(struct span host, const char *known)
{
    struct span b = match_label(span_cstr(known));
    if (b.len < 4)
        return false;
    char sb[EG_DOMAIN], st[EG_DOMAIN];
    match_skeleton(b, sb, sizeof(sb));
    size_t end = host.len;
    while (end > 0 && host.p[end - 1] != '.')   /* the TLD is no word of the name */
        end--;
    for (size_t i = 0; i < end;) {
        size_t j = i;
        while (j < end && host.p[j] != '.' && host.p[j] != '-')
            j++;
        struct span tok = span_make(host.p + i, j - i);
        if (tok.len >= 4 && tok.len < EG_DOMAIN) {
            match_skeleton(tok, st, sizeof(st));
            char lb[EG_DOMAIN];
            size_t n = b.len < sizeof(lb) - 1 ? b.len : sizeof(lb) - 1;
            memcpy(lb, b.p, n);
            lb[n] = 0;
            if (strcmp(st, sb) == 0 && !match_ieq(tok, lb))
                return true;
        }
        i = j + 1;
    }
    return false;
}

static const char *lookalike_of(const struct eg_ctx *c, struct span dom, struct span host)
{
    for (unsigned i = 0; i < c->nusual; i++)
        if (match_ieq(dom, c->usual[i]))
            return NULL;
    for (unsigned i = 0; eg_brands[i]; i++)
        if (match_ieq(dom, eg_brands[i]))
            return NULL;
    for (unsigned i = 0; i < c->nusual; i++)
        if (looks_like(dom, c->usual[i]))
            return c->usual[i];
    for (unsigned i = 0; eg_brands[i]; i++)
        if (looks_like(dom, eg_brands[i]))
            return eg_brands[i];
    for (unsigned i = 0; eg_brands[i]; i++)
        if (token_imitates(host, eg_brands[i]))
            return eg_brands[i];
    return NULL;
}

static void eg_alert(struct detector *d, const struct record *r, struct alert *a, const char *rule,
                     enum severity sev, enum stage st, const char *const attack[3], struct span wl,
                     struct span dst)
{
    dutil_alert(a, r, rule, "egress", sev, st, attack);
    a->entity.dst_host = dst;
    a->entity.user = record_str(r, RK_USER);
    (void)wl;
    (void)d;
    alert_evidence(a, r->raw);
}

static void eg_observe(struct detector *d, const struct record *r)
{
    struct eg_ctx *c = d->ctx;
    struct span dst = record_str(r, RK_DST_HOST);
    if (!dst.len)
        return;
    struct span wl = record_str(r, RK_APP);
    if (!wl.len)
        wl = r->tag;
    int64_t bytes = 0;
    record_int(r, RK_BYTES_OUT, &bytes);
    if (!c->first_ts || r->ts < c->first_ts)
        c->first_ts = r->ts;
    int64_t learn = dutil_learning_ns(d);
    bool learned = r->ts - c->first_ts >= learn;
    struct span dom = match_domain(dst);
    char key[BASELINE_KEY_BUF];
    struct span k = dutil_pair(d->vg->budget, key, wl, dst);
    struct alert a;
    /* The workload's usual bytes per contact, as it was before this one. */
    struct bl_ewma wl_bytes = { 0, 0, 0 };
    struct bl_head *wh = bl_lookup(c->workloads, wl, r->ts, false, false);
    if (wh)
        wl_bytes = *(struct bl_ewma *)bl_value(wh);
    bool big = learned && bytes > 0 && (uint64_t)bytes >= c->spike_min_bytes && wl_bytes.n >= 20 &&
               (double)bytes > c->spike_factor * (wl_bytes.mean > 1 ? wl_bytes.mean : 1) &&
               bl_ewma_z(&wl_bytes, (double)bytes, 20) > 4;
    struct bl_head *h = bl_lookup(c->dests, k, r->ts, false, true);
    if (!h) {
        if (!learned) {
            usual_add(c, dom);
        } else {
            const char *like = lookalike_of(c, dom, dst);
            if (big) {
                static const char *const att[3] = { "T1048", "T1567" };
                eg_alert(d, r, &a, "egress.exfil", SEV_HIGH, STAGE_EXFILTRATION, att, wl, dst);
                alert_printf(&a, "%.*s sent %.1f MB to %.*s, a destination never contacted before, "
                             "in one transfer (usual %.1f KB per contact over %u contacts)%s%s",
                             DSPAN(wl, 64), (double)bytes / 1e6, DSPAN(dst, 128), wl_bytes.mean / 1e3,
                             wl_bytes.n, like ? "; a look-alike of " : "", like ? like : "");
            } else if (like) {
                static const char *const att[3] = { "T1583.001", "T1071.001" };
                eg_alert(d, r, &a, "egress.lookalike", SEV_HIGH, STAGE_COMMAND_AND_CONTROL, att, wl, dst);
                alert_printf(&a, "%.*s contacted %.*s, a look-alike of %s (%u usual destination domains)",
                             DSPAN(wl, 64), DSPAN(dst, 128), like, c->nusual);
            } else {
                /* a first contact is a novelty (a release talks to a new
                 * service): an observation, no technique claimed */
                static const char *const att[3] = { NULL };
                eg_alert(d, r, &a, "egress.new_destination", SEV_LOW, STAGE_COMMAND_AND_CONTROL, att, wl, dst);
                a.novelty = true;
                alert_printf(&a, "%.*s contacted %.*s for the first time (%zu destinations known after %lldh of learning)",
                             DSPAN(wl, 64), DSPAN(dst, 128), bl_table_count(c->dests),
                             (long long)((r->ts - c->first_ts) / NS_PER_HOUR));
            }
            alert_emit(d->vg, &a);
        }
        h = bl_lookup(c->dests, k, r->ts, true, true);
        if (!h)
            return;
    }
    struct eg_dest *v = bl_value(h);
    bool new_since_learning = h->first_seen - c->first_ts >= learn;
    if (v->last && r->ts > v->last) {
        v->ia[v->ia_head] = (float)((double)(r->ts - v->last) / NS_PER_SEC);
        v->ia_head = (uint8_t)((v->ia_head + 1) % EG_RING);
        if (v->ia_n < EG_RING)
            v->ia_n++;
    }
    v->last = r->ts;
    if (new_since_learning && v->ia_n >= c->beacon_min) {
        double sum = 0, sq = 0;
        for (unsigned i = 0; i < v->ia_n; i++)
            sum += v->ia[i];
        double mean = sum / v->ia_n;
        for (unsigned i = 0; i < v->ia_n; i++)
            sq += (v->ia[i] - mean) * (v->ia[i] - mean);
        double cv = mean > 0 ? sqrt(sq / v->ia_n) / mean : 1;
        if (cv <= c->beacon_max_cv && mean * 1000 >= (double)c->beacon_min_interval_ms) {
            if (!v->beacon_alerted) {
                static const char *const att[3] = { "T1071", "T1573", "T1029" };
                char hhmm[6];
                match_hhmm(h->first_seen, hhmm);
                eg_alert(d, r, &a, "egress.beacon", SEV_HIGH, STAGE_COMMAND_AND_CONTROL, att, wl, dst);
                alert_printf(&a, "%.*s beacons to %.*s every %.0fs (jitter %.0f%% over the last %u contacts; "
                             "destination first seen at %s, after learning)",
                             DSPAN(wl, 64), DSPAN(dst, 128), mean, cv * 100, v->ia_n, hhmm);
                alert_emit(d->vg, &a);
                v->beacon_alerted = true;
            }
        } else if (cv > 2 * c->beacon_max_cv) {
            v->beacon_alerted = false;
        }
    }
    if (bytes > 0) {
        double mean = v->bytes.mean;
        bool own = v->bytes.n >= 10;   /* enough history of its own, else the workload's */
        if (learned && (double)bytes > 2.0 * v->peak &&
            (own ? (uint64_t)bytes >= c->spike_min_bytes &&
                       (double)bytes > c->spike_factor * (mean > 1 ? mean : 1) &&
                       bl_ewma_z(&v->bytes, (double)bytes, 10) > 4
                 : big && v->bytes.n > 0)) {
            /* the channel is unknown: not T1041 (over the C2 channel) */
            static const char *const att[3] = { "T1048", "T1567" };
            eg_alert(d, r, &a, "egress.exfil", SEV_HIGH, STAGE_EXFILTRATION, att, wl, dst);
            alert_printf(&a, "%.*s sent %.1f MB to %.*s in one transfer (usual %.1f KB over %u transfers)",
                         DSPAN(wl, 64), (double)bytes / 1e6, DSPAN(dst, 128), mean / 1e3, v->bytes.n);
            alert_emit(d->vg, &a);
        }
        h = bl_lookup(c->dests, k, r->ts, false, false);
        if (h) {
            struct eg_dest *e = bl_value(h);
            bl_ewma_add(&e->bytes, (double)bytes, 0.05);
            if ((float)bytes > e->peak)
                e->peak = (float)bytes;
        }
        wh = bl_lookup(c->workloads, wl, r->ts, true, true);
        if (wh) {
            struct bl_ewma *e = bl_value(wh);
            bl_ewma_add(e, (double)bytes, e->n < 100 ? 1.0 / (e->n + 1) : 0.01);
        }
    }
}

static int eg_init(struct detector *d)
{
    struct eg_ctx *c = d->ctx;
    c->dests = bl_table_new(d->vg->budget, "egress.dests", sizeof(struct eg_dest), 0);
    c->workloads = bl_table_new(d->vg->budget, "egress.workloads", sizeof(struct bl_ewma), 0);
    return c->dests && c->workloads ? 0 : -1;
}

static void eg_destroy(struct detector *d)
{
    bl_table_free(((struct eg_ctx *)d->ctx)->dests);
    bl_table_free(((struct eg_ctx *)d->ctx)->workloads);
}

static int eg_snapshot(struct detector *d, FILE *f, bool save)
{
    struct eg_ctx *c = d->ctx;
    const struct dutil_field fields[] = { DUTIL_FIELD(c->first_ts), DUTIL_FIELD(c->nusual), DUTIL_FIELD(c->usual) };
    struct bl_table *const tables[] = { c->dests, c->workloads };
    return dutil_snapshot(f, save, fields, DUTIL_COUNT(fields), tables, DUTIL_COUNT(tables));
}

static int eg_save(struct detector *d, FILE *f)
{
    return eg_snapshot(d, f, true);
}

static int eg_load(struct detector *d, FILE *f)
{
    if (eg_snapshot(d, f, false) < 0)
        return -1;
    struct eg_ctx *c = d->ctx;
    if (c->nusual > EG_USUAL)
        return -1;
    for (unsigned i = 0; i < EG_USUAL; i++)
        c->usual[i][EG_DOMAIN - 1] = '\0';
    return 0;
}

const struct detector_plugin detector_egress = {
    .name = "egress",
    .options = eg_options,
    .ctx_size = sizeof(struct eg_ctx),
    .kinds = KIND_BIT(KIND_EGRESS),
    .init = eg_init,
    .observe = eg_observe,
    .save = eg_save,
    .load = eg_load,
    .destroy = eg_destroy,
    .snapshot_version = 3,   /* 2: per-workload bytes; 3: peak transfer per destination */
};
