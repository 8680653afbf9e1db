/* user_volume.c - how much each user fetches (`detectors.user_volume`).
 * Application records that name a user (kind app: request logs, export
 * logs) count per user and clock hour: records and bytes (bytes_out, bytes,
 * size, response_bytes). A closed hour feeds the user's EWMA over the hours
 * it was active, and a pooled EWMA over every user's active hours. While the
 * hour is open, a count or a byte total far above the user's own usual
 * hour (or, for a user without enough history, above the host's usual user
 * hour) raises one app.user_volume per user and hour: a bulk export at 23:40
 * by an insider, a dump by a stolen account. Thresholds are ratios with
 * floors, so a quiet user doubling a handful of requests stays silent.
 * Memory: 40 (head) + 80 = 120 bytes per user, 140 with its index slot and sketch. */
#include <stddef.h>
#include <string.h>

#include "detectors/dutil.h"
#include "detectors/match.h"

#define UV_MIN_HOURS 3       /* active hours before a user's own baseline is trusted */

struct uv_user {
    struct bl_ewma count, bytes;    /* per active hour */
    int64_t hour_start;
    int64_t alerted_hour;
    uint32_t hour_count;
    uint32_t pad;
    uint64_t hour_bytes;
};

struct uv_ctx {
    double factor;                  /* options */
    int64_t min_count;
    uint64_t min_bytes;
    struct bl_table *users;
    struct bl_ewma pool_count, pool_bytes;   /* every user's active hours */
    int64_t first_ts;
};

static const struct conf_option uv_options[] = {
    { "factor", CONF_DOUBLE, "10", offsetof(struct uv_ctx, factor), 0, 0,
      "an hour above this multiple of the usual active hour (count or bytes) is bulk access" },
    { "min_count", CONF_INT, "300", offsetof(struct uv_ctx, min_count), 1, 0,
      "fewer records in an hour are never bulk access by count" },
    { "min_bytes", CONF_SIZE, "52428800", offsetof(struct uv_ctx, min_bytes), 0, 0,
      "fewer bytes in an hour (default 50MiB) are never bulk access by size" },
    { 0 }
};

/* Bytes the record says were fetched or sent, 0 when it says nothing. */
static int64_t uv_bytes(const struct record *r)
{
    static const struct span keys[] = { { "bytes", 5 }, { "size", 4 }, { "response_bytes", 14 },
                                        { "bytes_sent", 10 } };
    const struct field *found[DUTIL_COUNT(keys)];
    int64_t v = 0;
    if (record_int(r, RK_BYTES_OUT, &v) && v > 0)
        return v;
    dutil_find_keys(r, keys, DUTIL_COUNT(keys), found);
    for (size_t i = 0; i < DUTIL_COUNT(keys); i++) {
        const struct field *f = found[i];
        if (f && f->type == FT_INT && f->v.i > 0)
            return f->v.i;
        if (f && f->type == FT_DOUBLE && f->v.d > 0 && f->v.d < 9e18)
            return (int64_t)f->v.d;
    }
    return 0;
}

static void hour_close(struct uv_ctx *c, struct uv_user *u)
{
    if (!u->hour_count)
        return;
    bl_ewma_add(&u->count, u->hour_count, u->count.n < 10 ? 1.0 / (u->count.n + 1) : 0.1);
    bl_ewma_add(&u->bytes, (double)u->hour_bytes, u->bytes.n < 10 ? 1.0 / (u->bytes.n + 1) : 0.1);
    bl_ewma_add(&c->pool_count, u->hour_count, c->pool_count.n < 100 ? 1.0 / (c->pool_count.n + 1) : 0.02);
    bl_ewma_add(&c->pool_bytes, (double)u->hour_bytes,
                c->pool_bytes.n < 100 ? 1.0 / (c->pool_bytes.n + 1) : 0.02);
}

static void uv_observe(struct detector *d, const struct record *r)
{
    struct uv_ctx *c = d->ctx;
    struct span user = record_str(r, RK_USER);
    if (!user.len)
        return;
    int64_t bytes = uv_bytes(r);
    uint32_t n = r->repeat ? r->repeat : 1;
    if (!c->first_ts || r->ts < c->first_ts)
        c->first_ts = r->ts;
    struct bl_head *h = bl_lookup(c->users, user, r->ts, true, true);
    if (!h)
        return;
    struct uv_user *u = bl_value(h);
    int64_t hs = r->ts - r->ts % NS_PER_HOUR;
    if (hs > u->hour_start) {
        hour_close(c, u);
        u->hour_start = hs;
        u->hour_count = 0;
        u->hour_bytes = 0;
    }
    u->hour_count = u->hour_count > UINT32_MAX - n ? UINT32_MAX : u->hour_count + n;
    u->hour_bytes += (uint64_t)bytes;

    int64_t learn = dutil_learning_ns(d);
    if (r->ts - c->first_ts < learn || u->alerted_hour == u->hour_start)
        return;
    bool own = u->count.n >= UV_MIN_HOURS && r->ts - h->first_seen >= learn;
    const struct bl_ewma *ec = own ? &u->count : &c->pool_count;
    const struct bl_ewma *eb = own ? &u->bytes : &c->pool_bytes;
    if (ec->n < UV_MIN_HOURS)
        return;
    double mc = ec->mean > 1 ? ec->mean : 1, mb = eb->mean > 1 ? eb->mean : 1;
    bool by_count = u->hour_count >= (uint64_t)c->min_count && u->hour_count > c->factor * mc;
    bool by_bytes = u->hour_bytes >= c->min_bytes && (double)u->hour_bytes > c->factor * mb;
    if (!by_count && !by_bytes)
        return;
    u->alerted_hour = u->hour_start;
    static const char *const att[3] = { "T1213", "T1530", "T1005" };
    struct alert a;
    char hhmm[6];
    match_hhmm(r->ts, hhmm);
    dutil_alert(&a, r, "app.user_volume", "user_volume", SEV_HIGH, STAGE_COLLECTION, att);
    a.entity.user = user;
    a.entity.src_ip = record_str(r, RK_SRC_IP);
    alert_printf(&a, "%.*s fetched %u records / %.1f MB within the hour by %s UTC", DSPAN(user, 64),
                 u->hour_count, (double)u->hour_bytes / 1e6, hhmm);
    if (own)
        alert_printf(&a, " (usual for %.*s: %.0f records / %.2f MB per active hour over %u hours)",
                     DSPAN(user, 64), ec->mean, eb->mean / 1e6, ec->n);
    else
        alert_printf(&a, " (%.*s has too little history; users of this host usually fetch %.0f "
                     "records / %.2f MB per active hour)",
                     DSPAN(user, 64), ec->mean, eb->mean / 1e6);
    alert_evidence(&a, r->raw);
    alert_emit(d->vg, &a);
}

static int uv_init(struct detector *d)
{
    struct uv_ctx *c = d->ctx;
    c->users = bl_table_new(d->vg->budget, "user_volume.users", sizeof(struct uv_user), 0);
    return c->users ? 0 : -1;
}

static void uv_destroy(struct detector *d)
{
    bl_table_free(((struct uv_ctx *)d->ctx)->users);
}

static int uv_snapshot(struct detector *d, FILE *f, bool save)
{
    struct uv_ctx *c = d->ctx;
    const struct dutil_field fields[] = { DUTIL_FIELD(c->first_ts), DUTIL_FIELD(c->pool_count), DUTIL_FIELD(c->pool_bytes) };
    struct bl_table *const tables[] = { c->users };
    return dutil_snapshot(f, save, fields, DUTIL_COUNT(fields), tables, DUTIL_COUNT(tables));
}

static int uv_save(struct detector *d, FILE *f)
{
    return uv_snapshot(d, f, true);
}

static int uv_load(struct detector *d, FILE *f)
{
    return uv_snapshot(d, f, false);
}

const struct detector_plugin detector_user_volume = {
    .name = "user_volume",
    .options = uv_options,
    .ctx_size = sizeof(struct uv_ctx),
    .kinds = KIND_BIT(KIND_APP),
    .init = uv_init,
    .observe = uv_observe,
    .save = uv_save,
    .load = uv_load,
    .destroy = uv_destroy,
    .snapshot_version = 1,
};
