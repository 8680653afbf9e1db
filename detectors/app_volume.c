/* app_volume.c - event rate per tag and level (`detectors.app_volume`).
 * Each (tag, level) key, and each tag's total ("*"), counts events per
 * bucket (default one minute). A closed bucket feeds a seasonal baseline: an
 * EWMA of mean and variance per hour-of-week cell (168 cells, used once a
 * cell has enough samples) with a global EWMA as fallback. Empty buckets
 * count as zeros, filled in when the next event or tick arrives. Raised
 * after learning: app.volume_spike (a bucket of the tag's total far above
 * its seasonal mean), app.error_burst (the same for an error-like level, with
 * a lower floor and higher severity) and app.silence (tick: a tag that is usually busy at this hour
 * has been quiet for silence_after). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "detectors/dutil.h"
#include "detectors/match.h"

#define AV_CELLS      168
#define AV_CELL_MIN   8
#define AV_FILL_MAX   (7 * 24 * 60)   /* zero buckets filled per gap at most */

struct av_val {
    int64_t bucket;                  /* start of the open bucket */
    int64_t last_event;
    int64_t spike_bucket;            /* bucket that already alerted */
    uint32_t count;
    bool total, error, silent;
    uint16_t n[AV_CELLS];
    float mean[AV_CELLS], var[AV_CELLS];
    struct bl_ewma all;
};

struct av_ctx {
    int64_t bucket_ms;               /* options */
    double spike_factor;
    int64_t spike_min;
    int64_t error_min;
    int64_t silence_after_ms;
    double silence_min_rate;
    struct bl_table *keys;
    int64_t first_ts;
};

static const struct conf_option av_options[] = {
    { "bucket", CONF_DURATION, "1m", offsetof(struct av_ctx, bucket_ms), 1000, 3600000,
      "counting bucket of the event rate" },
    { "spike_factor", CONF_DOUBLE, "5", offsetof(struct av_ctx, spike_factor), 0, 0,
      "a bucket above this multiple of its seasonal mean (and 6 sigma) is a spike" },
    { "spike_min", CONF_INT, "100", offsetof(struct av_ctx, spike_min), 1, 0,
      "events of a tag in a bucket below which no volume spike is raised" },
    { "error_min", CONF_INT, "20", offsetof(struct av_ctx, error_min), 1, 0,
      "events of an error level (error, fatal, critical...) in a bucket below which no error "
      "burst is raised" },
    { "silence_after", CONF_DURATION, "10m", offsetof(struct av_ctx, silence_after_ms), 60000, 86400000,
      "quiet time after which a usually busy tag is silent" },
    { "silence_min_rate", CONF_DOUBLE, "5", offsetof(struct av_ctx, silence_min_rate), 0, 0,
      "a tag is usually busy (and its silence alerts) only when it averages at least this many "
      "events per bucket at this hour of the week" },
    { 0 }
};

static int hour_of_week(int64_t ts)
{
    /* 1970-01-01 was a Thursday: shift so that cell 0 is Monday 00h. */
    int64_t h = ts / NS_PER_HOUR + 72;
    return (int)(h % AV_CELLS);
}

static void cell_add(struct av_val *v, int64_t bucket, double x)
{
    int c = hour_of_week(bucket);
    if (v->n[c] == 0) {
        v->mean[c] = (float)x;
        v->var[c] = 0;
    } else {
        double a = v->n[c] < 30 ? 1.0 / (v->n[c] + 1) : 0.05;
        double d = x - v->mean[c];
        v->mean[c] = (float)(v->mean[c] + a * d);
        v->var[c] = (float)((1 - a) * (v->var[c] + a * d * d));
    }
    if (v->n[c] < UINT16_MAX)
        v->n[c]++;
    bl_ewma_add(&v->all, x, v->all.n < 100 ? 1.0 / (v->all.n + 1) : 0.01);
}

/* Usual count per bucket at time ts, and its standard deviation. */
static double expected(const struct av_val *v, int64_t ts, double *sd)
{
    int c = hour_of_week(ts);
    if (v->n[c] >= AV_CELL_MIN) {
        *sd = sqrt(v->var[c]);
        return v->mean[c];
    }
    *sd = sqrt(v->all.var);
    return v->all.mean;
}

/* Closes buckets up to the one holding ts (empty ones count as zero). */
static void roll(struct av_val *v, int64_t ts, int64_t bw)
{
    int64_t b = ts - ts % bw;
    if (!v->bucket) {
        v->bucket = b;
        return;
    }
    if (b <= v->bucket)
        return;
    cell_add(v, v->bucket, v->count);
    int64_t gap = (b - v->bucket) / bw - 1;
    int64_t fill = gap < AV_FILL_MAX ? gap : AV_FILL_MAX;
    for (int64_t i = 1; i <= fill; i++)
        cell_add(v, b - i * bw, 0);
    v->bucket = b;
    v->count = 0;
}

static bool error_level(struct span level)
{
    /* Most events are info/debug/warn: one byte tells them apart. */
    switch (level.len ? level.p[0] | 0x20 : 0) {
    case 'e': case 'f': case 'c': case 'a': case 'p': case 's': break;
    default: return false;
    }
    return match_glob_const("~err*|~fatal|~crit*|~alert|~emerg*|~panic|~severe", level);
}

static void av_count(struct detector *d, const struct record *r, struct span tag, struct span level,
                     bool total)
{
    struct av_ctx *c = d->ctx;
    char key[BASELINE_KEY_BUF];
    struct bl_head *h = bl_lookup(c->keys, dutil_pair(d->vg->budget, key, tag, level), r->ts, true, true);
    if (!h)
        return;
    struct av_val *v = bl_value(h);
    int64_t bw = c->bucket_ms * 1000000LL;
    v->total = total;
    v->error = !total && error_level(level);
    roll(v, r->ts, bw);
    v->count += r->repeat ? r->repeat : 1;
    v->last_event = r->ts;
    v->silent = false;
    int64_t learn = dutil_learning_ns(d);
    /* Spikes are judged on the tag's total, bursts on error levels: one
     * alert per event, whatever level carried it. */
    if ((!v->total && !v->error) || r->ts - c->first_ts < learn || r->ts - h->first_seen < learn ||
        v->spike_bucket == v->bucket)
        return;
    double sd, mean = expected(v, r->ts, &sd);
    double floor = (double)(v->error ? c->error_min : c->spike_min);
    double m1 = mean > 1 ? mean : 1;
    if (v->count < floor || v->count < c->spike_factor * m1 || v->count < mean + 6 * sd)
        return;
    v->spike_bucket = v->bucket;
    static const char *const att_err[3] = { "T1499", "T1190" };
    static const char *const att_vol[3] = { "T1499" };
    struct alert a;
    char hhmm[6];
    match_hhmm(v->bucket, hhmm);
    dutil_alert(&a, r, v->error ? "app.error_burst" : "app.volume_spike", "app_volume",
                v->error ? SEV_MEDIUM : SEV_LOW, STAGE_IMPACT, v->error ? att_err : att_vol);
    alert_printf(&a, "%s of %.*s%s%.*s: %u events in the %llds bucket at %s (usual %.1f +- %.1f at this hour of the week)",
                 v->error ? "error burst" : "volume spike", DSPAN(tag, 64), total ? "" : " level ",
                 (int)(total ? 0 : (level.len < 32 ? level.len : 32)), level.p, v->count, (long long)(c->bucket_ms / 1000), hhmm, mean, sd);
    alert_evidence(&a, r->raw);
    alert_emit(d->vg, &a);
}

static void av_observe(struct detector *d, const struct record *r)
{
    struct av_ctx *c = d->ctx;
    if (!c->first_ts || r->ts < c->first_ts)
        c->first_ts = r->ts;
    struct span tag = r->tag.len ? r->tag : SPAN_LIT("-");
    struct span level = record_str(r, RK_LEVEL);
    char low[16];
    size_t n = 0;
    for (; n < level.len && n < sizeof(low); n++)
        low[n] = (char)((level.p[n] >= 'A' && level.p[n] <= 'Z') ? level.p[n] + 32 : level.p[n]);
    av_count(d, r, tag, level.len ? span_make(low, n) : SPAN_LIT("-"), false);
    av_count(d, r, tag, SPAN_LIT("*"), true);
}

struct av_tick {
    struct detector *d;
    int64_t now;
};

static void tick_cb(struct bl_head *h, void *arg)
{
    struct av_tick *t = arg;
    struct av_ctx *c = t->d->ctx;
    struct av_val *v = bl_value(h);
    int64_t learn = dutil_learning_ns(t->d);
    if (!v->total || v->silent || t->now - c->first_ts < learn || t->now - h->first_seen < learn)
        return;
    int64_t quiet = t->now - v->last_event;
    if (quiet < c->silence_after_ms * 1000000LL)
        return;
    double sd, mean = expected(v, t->now, &sd);
    double mean_then = expected(v, v->last_event, &sd);
    if (mean < c->silence_min_rate || mean_then < c->silence_min_rate)
        return;
    v->silent = true;
    struct span tag = bl_key(h);
    for (size_t i = 0; i < tag.len; i++)
        if (tag.p[i] == '\x1f')
            tag.len = i;
    static const char *const att[3] = { "T1562.001", "T1489" };
    struct alert a;
    struct record none;
    memset(&none, 0, sizeof(none));
    none.ts = t->now;
    char hhmm[6];
    match_hhmm(v->last_event, hhmm);
    dutil_alert(&a, &none, "app.silence", "app_volume", SEV_MEDIUM, STAGE_DEFENSE_EVASION, att);
    a.entity.host = span_cstr(t->d->vg->hostname);
    alert_printf(&a, "%.*s went silent: no event for %lldm since %s (usual %.0f events per %llds at this hour of the week)",
                 DSPAN(tag, 64), (long long)(quiet / (60 * NS_PER_SEC)), hhmm, mean,
                 (long long)(c->bucket_ms / 1000));
    alert_emit(t->d->vg, &a);
}

static void av_tick(struct detector *d, int64_t now)
{
    struct av_ctx *c = d->ctx;
    struct av_tick t = { d, now };
    if (c->first_ts)
        bl_table_foreach(c->keys, tick_cb, &t);
}

static int av_init(struct detector *d)
{
    struct av_ctx *c = d->ctx;
    c->keys = bl_table_new(d->vg->budget, "app_volume.keys", sizeof(struct av_val), BL_SHOW_KEY);
    return c->keys ? 0 : -1;
}

static void av_destroy(struct detector *d)
{
    bl_table_free(((struct av_ctx *)d->ctx)->keys);
}

static int av_snapshot(struct detector *d, FILE *f, bool save)
{
    struct av_ctx *c = d->ctx;
    const struct dutil_field fields[] = { DUTIL_FIELD(c->first_ts) };
    struct bl_table *const tables[] = { c->keys };
    return dutil_snapshot(f, save, fields, DUTIL_COUNT(fields), tables, DUTIL_COUNT(tables));
}

static int av_save(struct detector *d, FILE *f)
{
    return av_snapshot(d, f, true);
}

static int av_load(struct detector *d, FILE *f)
{
    return av_snapshot(d, f, false);
}

const struct detector_plugin detector_app_volume = {
    .name = "app_volume",
    .options = av_options,
    .ctx_size = sizeof(struct av_ctx),
    .kinds = KIND_BIT(KIND_APP) | KIND_BIT(KIND_RAW),
    .init = av_init,
    .observe = av_observe,
    .tick = av_tick,
    .save = av_save,
    .load = av_load,
    .destroy = av_destroy,
    .snapshot_version = 1,
};
