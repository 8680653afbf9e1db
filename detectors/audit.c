/* audit.c - API audit records (`detectors.audit`, kind audit).
 * Per identity: the actions and source IPs it has used (pair tables), an
 * hour-of-week profile, a window of denied results, and hourly volume (calls
 * and bytes) with an EWMA over past active hours. After the identity's
 * learning period it raises: an action never used (high for IAM, key,
 * secret, permission, policy and role actions), a source IP never used, a
 * burst of denied calls (enumeration), a call at an hour it is never active,
 * and an hour with far more calls or bytes than its own usual (bulk export).
 * An identity still inside its own learning period, on a host whose
 * learning is over, is judged against the host: an action no identity ever
 * called (high when sensitive), a sensitive action (medium when others call
 * it), a source IP no identity ever used. A new identity is not a free pass. */
#include <stddef.h>
#include <string.h>

#include "detectors/dutil.h"
#include "detectors/match.h"

struct au_id {
    struct bl_hours hours;
    struct bl_window denied;
    struct bl_set ips;
    struct bl_ewma hcount, hbytes;  /* per active hour */
    int64_t hour_start;
    uint32_t hour_count;
    uint32_t actions;               /* distinct actions known */
    uint64_t hour_bytes;
    int64_t denied_alert, odd_alert, volume_alert;
};

struct au_ctx {
    int64_t denied_window_ms;       /* options */
    int64_t denied_min;
    double volume_factor;
    int64_t volume_min_count;
    uint64_t volume_min_bytes;
    struct bl_table *ids;           /* identity -> struct au_id */
    struct bl_table *pairs;         /* "a" identity \x1f action, "i" identity \x1f ip;
                                       host-wide: "A" action, "I" ip */
    int64_t first_ts;
    uint32_t host_actions, host_ips; /* distinct, host-wide */
};

static const struct conf_option au_options[] = {
    { "denied_window", CONF_DURATION, "10m", offsetof(struct au_ctx, denied_window_ms), 1000, 86400000,
      "window of the denied-calls burst" },
    { "denied_min", CONF_INT, "10", offsetof(struct au_ctx, denied_min), 2, 100000,
      "denied calls within denied_window that make a burst" },
    { "volume_factor", CONF_DOUBLE, "5", offsetof(struct au_ctx, volume_factor), 0, 0,
      "an hour above this multiple of the identity's usual active hour (calls or bytes) is "
      "bulk access" },
    { "volume_min_count", CONF_INT, "200", offsetof(struct au_ctx, volume_min_count), 1, 0,
      "fewer calls in an hour are never bulk access" },
    { "volume_min_bytes", CONF_SIZE, "104857600", offsetof(struct au_ctx, volume_min_bytes), 0, 0,
      "fewer bytes in an hour (default 100MiB) are never bulk access by size" },
    { 0 }
};

static bool is_denied(struct span result, int64_t code)
{
    return code == 401 || code == 403 || match_contains(result, "denied") ||
           match_contains(result, "unauthori") || match_contains(result, "forbidden") ||
           span_eq_cstr(result, "403") || span_eq_cstr(result, "401");
}

static bool is_sensitive(struct span action)
{
    static const char *const words[] = { "iam", "key", "secret", "permission", "policy", "role",
                                         "credential", "token", "password", "mfa", "grant",
                                         "assume", "acl", "privilege", "admin", NULL };
    for (unsigned i = 0; words[i]; i++)
        if (match_contains(action, words[i]))
            return true;
    return false;
}

/* Does the action change who may do what (a key, a user, a policy attached
 * to one)? Those are privilege changes: evidence, never a mere novelty.
 * Only writes (the persistence stage of action_stage): ListAccessKeys reads. */
static bool is_privilege_change(struct span action, enum stage st)
{
    if (st != STAGE_PERSISTENCE)
        return false;
    static const char *const words[] = { "accesskey", "userpolicy", "rolepolicy", "grouppolicy",
                                         "loginprofile", "usertogroup", "createuser", "createrole",
                                         "attachuser", "attachrole", "attachgroup", "mfadevice",
                                         "servicespecificcredential", NULL };
    for (unsigned i = 0; words[i]; i++)
        if (match_contains(action, words[i]))
            return true;
    return false;
}

/* The lifecycle stage an API action most likely serves. */
static enum stage action_stage(struct span action, const char *const **attack)
{
    static const char *const creds[3] = { "T1552", "T1078.004" };
    static const char *const persist[3] = { "T1098", "T1078.004" };
    static const char *const disc[3] = { "T1580", "T1087.004" };
    static const char *const other[3] = { "T1078.004" };
    bool sens = is_sensitive(action);
    /* strip a "service:" prefix such as "iam:CreateAccessKey" */
    for (size_t i = 0; i < action.len; i++)
        if (action.p[i] == ':' || action.p[i] == '.') {
            struct span rest = span_from(action, i + 1);
            if (rest.len)
                action = rest;
        }
    if (sens && (match_glob_const("~get*|~decrypt*|~read*|~retrieve*", action))) {
        *attack = creds;
        return STAGE_CREDENTIAL_ACCESS;
    }
    if (sens && match_glob_const("~create*|~put*|~attach*|~update*|~add*|~set*|~assume*|~grant*|~enable*", action)) {
        *attack = persist;
        return STAGE_PERSISTENCE;
    }
    if (match_glob_const("~list*|~describe*|~get*|~search*|~lookup*", action)) {
        *attack = disc;
        return STAGE_DISCOVERY;
    }
    *attack = other;
    return STAGE_INITIAL_ACCESS;
}

static void au_alert(struct alert *a, const struct record *r, const char *rule, enum severity sev,
                     enum stage st, const char *const attack[3], struct span id, struct span ip)
{
    dutil_alert(a, r, rule, "audit", sev, st, attack);
    a->entity.identity = id;
    a->entity.src_ip = ip;
    alert_evidence(a, r->raw);
}

/* RFC 1918 and IPv6 unique-local addresses: the workload's own networks. */
static bool is_private(struct span ip)
{
    if (match_glob_any("10.*|192.168.*|fc*|fd*", ip))
        return true;
    if (ip.len > 7 && memcmp(ip.p, "172.", 4) == 0) {
        int o = 0;
        for (size_t i = 4; i < ip.len && ip.p[i] >= '0' && ip.p[i] <= '9' && i < 7; i++)
            o = o * 10 + (ip.p[i] - '0');
        return o >= 16 && o <= 31;
    }
    return false;
}

/* Was v ever seen host-wide under type ('A' action, 'I' ip)? Records it. */
static bool host_seen(const struct bl_budget *bg, struct au_ctx *c, char type, struct span v,
                      int64_t now, uint32_t *count)
{
    char key[BASELINE_KEY_BUF];
    key[0] = type;
    struct span k = span_make(key, 1 + bl_key_part(bg, key + 1, BASELINE_KEY_BUF - 1, v));
    if (bl_lookup(c->pairs, k, now, false, true))
        return true;
    if (bl_lookup(c->pairs, k, now, true, true) && *count < UINT32_MAX)
        (*count)++;
    return false;
}

static void au_observe(struct detector *d, const struct record *r)
{
    struct au_ctx *c = d->ctx;
    struct span id = record_str(r, RK_IDENTITY);
    if (!id.len)
        id = record_str(r, RK_USER);
    if (!id.len)
        return;
    struct span action = record_str(r, RK_ACTION), ip = record_str(r, RK_SRC_IP);
    struct span result = record_str(r, RK_RESULT);
    int64_t code = 0, bytes = 0;
    if (!result.len)
        result = record_str(r, RK_STATUS);
    if (!record_int(r, RK_STATUS, &code))
        record_int(r, RK_RESULT, &code);
    if (!record_int(r, RK_BYTES_OUT, &bytes))
        record_int(r, RK_BYTES_IN, &bytes);
    if (!c->first_ts || r->ts < c->first_ts)
        c->first_ts = r->ts;
    struct bl_head *h = bl_lookup(c->ids, id, r->ts, true, true);
    if (!h)
        return;
    int64_t learn = dutil_learning_ns(d);
    bool host_learned = r->ts - c->first_ts >= learn;
    bool learned = host_learned && r->ts - h->first_seen >= learn;
    bool young = host_learned && !learned;      /* a new identity on a learned host */
    int64_t age_min = (r->ts - h->first_seen) / (60 * NS_PER_SEC);
    bool action_known = !action.len || host_seen(d->vg->budget, c, 'A', action, r->ts, &c->host_actions);
    bool ip_known = !ip.len || host_seen(d->vg->budget, c, 'I', ip, r->ts, &c->host_ips);
    struct alert a;
    char key[BASELINE_KEY_BUF + 1], hhmm[6], usual[200];
    match_hhmm(r->ts, hhmm);

    if (action.len) {
        key[0] = 'a';
        struct span k = dutil_pair(d->vg->budget, key + 1, id, action);
        k = span_make(key, k.len + 1);
        if (!bl_lookup(c->pairs, k, r->ts, false, true)) {
            bl_lookup(c->pairs, k, r->ts, true, true);
            h = bl_lookup(c->ids, id, r->ts, false, false);
            if (!h)
                return;
            struct au_id *v = bl_value(h);
            if (learned) {
                const char *const *att;
                enum stage st = action_stage(action, &att);
                bool sens = is_sensitive(action);
                au_alert(&a, r, "audit.new_action", sens ? SEV_HIGH : SEV_LOW, st, att, id, ip);
                a.entity.command = action;
                alert_printf(&a, "%.*s called %.*s for the first time%s (%u actions known for it since %lldd)",
                             DSPAN(id, 64), DSPAN(action, 96), sens ? ", a privileged action" : "",
                             v->actions, (long long)((r->ts - h->first_seen) / NS_PER_DAY));
                /* a first action is an observation, weaker when other
                 * identities call it (raised by other signals, alert.c);
                 * a privilege change keeps its severity */
                a.novelty = !is_privilege_change(action, st);
                a.peer_known = action_known;
                alert_emit(d->vg, &a);
                h = bl_lookup(c->ids, id, r->ts, false, false);
                if (!h)
                    return;
                v = bl_value(h);
            } else if (young && (!action_known || is_sensitive(action))) {
                const char *const *att;
                enum stage st = action_stage(action, &att);
                bool sens = is_sensitive(action);
                enum severity sev = sens ? (action_known ? SEV_MEDIUM : SEV_HIGH) : SEV_LOW;
                au_alert(&a, r, "audit.new_action", sev, st, att, id, ip);
                a.entity.command = action;   /* one alert per action, not one per identity */
                alert_printf(&a, "%.*s, an identity first seen %lldm ago, called %.*s%s, %s",
                             DSPAN(id, 64), (long long)age_min, DSPAN(action, 96),
                             sens ? ", a privileged action" : "",
                             action_known ? "an action other identities call"
                                          : "never called by any identity on this host");
                alert_printf(&a, " (%u actions known host-wide after %lldh of learning)",
                             c->host_actions - !action_known,   /* before this one */
                             (long long)((r->ts - c->first_ts) / NS_PER_HOUR));
                a.novelty = !is_privilege_change(action, st);
                a.peer_known = action_known;
                alert_emit(d->vg, &a);
                h = bl_lookup(c->ids, id, r->ts, false, false);
                if (!h)
                    return;
                v = bl_value(h);
            }
            v->actions++;
        }
    }
    struct au_id *v = bl_value(h);
    if (ip.len) {
        key[0] = 'i';
        struct span k = dutil_pair(d->vg->budget, key + 1, id, ip);
        k = span_make(key, k.len + 1);
        if (!bl_lookup(c->pairs, k, r->ts, false, true)) {
            if (learned) {
                static const char *const att[3] = { "T1078.004" };
                bl_set_describe(&v->ips, usual, sizeof(usual), 4);
                /* another identity's usual place, or an inside address in the
                 * identity's usual hours (a second office), is a small step */
                bool inside = is_private(ip) && v->hours.total >= 20 && bl_hours_usual(&v->hours, r->ts);
                au_alert(&a, r, "audit.new_source", ip_known || inside ? SEV_LOW : SEV_MEDIUM,
                         STAGE_INITIAL_ACCESS, att, id, ip);
                alert_printf(&a, "%.*s called the API from %.*s for the first time (usual: %s)%s",
                             DSPAN(id, 64), DSPAN(ip, 64), usual[0] ? usual : "none",
                             ip_known ? "; other identities use it"
                             : inside ? "; an inside address, in its usual hours"
                                      : "; no identity on this host ever did");
                a.novelty = true;
                a.peer_known = ip_known || inside;
                alert_emit(d->vg, &a);
            } else if (young && !ip_known) {
                static const char *const att[3] = { "T1078.004" };
                au_alert(&a, r, "audit.new_source", SEV_MEDIUM, STAGE_INITIAL_ACCESS, att, id, ip);
                alert_printf(&a, "%.*s, an identity first seen %lldm ago, called the API from %.*s, "
                             "a source no identity on this host ever used (%u known)",
                             DSPAN(id, 64), (long long)age_min, DSPAN(ip, 64), c->host_ips - 1);
                a.novelty = true;
                alert_emit(d->vg, &a);
            }
            bl_lookup(c->pairs, k, r->ts, true, true);
            h = bl_lookup(c->ids, id, r->ts, false, false);
            if (!h)
                return;
            v = bl_value(h);
        }
        bl_set_add(&v->ips, d->vg->budget, ip, r->ts, 30 * NS_PER_DAY);
    }
    int64_t win = c->denied_window_ms * 1000000LL;
    if (is_denied(result, code)) {
        uint32_t n = bl_window_add(&v->denied, r->ts, win, 1);
        if (n >= (uint32_t)c->denied_min && r->ts - v->denied_alert > win) {
            static const char *const att[3] = { "T1580", "T1087.004", "T1069.003" };
            v->denied_alert = r->ts;
            au_alert(&a, r, "audit.denied_burst", SEV_MEDIUM, STAGE_DISCOVERY, att, id, ip);
            alert_printf(&a, "%u denied API calls by %.*s within %llds (threshold %lld), last %.*s: %.*s",
                         n, DSPAN(id, 64), (long long)(win / NS_PER_SEC), (long long)c->denied_min,
                         DSPAN(action, 96), DSPAN(result, 40));
            alert_emit(d->vg, &a);
        }
    }
    if (learned && v->hours.total >= 20 && !bl_hours_usual(&v->hours, r->ts) &&
        r->ts - v->odd_alert > NS_PER_HOUR) {
        static const char *const att[3] = { "T1078.004" };
        v->odd_alert = r->ts;
        bl_hours_describe(&v->hours, usual, sizeof(usual));
        au_alert(&a, r, "audit.odd_hour", SEV_LOW, STAGE_INITIAL_ACCESS, att, id, ip);
        alert_printf(&a, "%.*s called %.*s at %s UTC, outside its usual hours (%s)", DSPAN(id, 64),
                     DSPAN(action, 96), hhmm, usual[0] ? usual : "none");
        a.novelty = true;   /* an hour is context, not evidence */
        alert_emit(d->vg, &a);
    }
    bl_hours_add(&v->hours, r->ts);
    /* Hourly volume against the identity's own active hours. */
    int64_t hs = r->ts - r->ts % NS_PER_HOUR;
    if (hs != v->hour_start) {
        if (v->hour_count) {
            bl_ewma_add(&v->hcount, v->hour_count, 0.1);
            bl_ewma_add(&v->hbytes, (double)v->hour_bytes, 0.1);
        }
        v->hour_start = hs;
        v->hour_count = 0;
        v->hour_bytes = 0;
    }
    v->hour_count++;
    v->hour_bytes += bytes > 0 ? (uint64_t)bytes : 0;
    if (learned && v->hcount.n >= 3 && v->volume_alert < hs) {
        double mc = v->hcount.mean > 1 ? v->hcount.mean : 1, mb = v->hbytes.mean > 1 ? v->hbytes.mean : 1;
        bool by_count = v->hour_count >= (uint32_t)c->volume_min_count && v->hour_count > c->volume_factor * mc;
        bool by_bytes = v->hour_bytes >= c->volume_min_bytes && (double)v->hour_bytes > c->volume_factor * mb;
        if (by_count || by_bytes) {
            static const char *const att[3] = { "T1530", "T1213", "T1567" };
            v->volume_alert = r->ts;
            au_alert(&a, r, "audit.bulk_access", SEV_HIGH, STAGE_COLLECTION, att, id, ip);
            alert_printf(&a, "%.*s made %u calls / %.1f MB within the hour at %s (usual %.0f calls / %.1f MB per active hour)",
                         DSPAN(id, 64), v->hour_count, (double)v->hour_bytes / 1e6, hhmm, v->hcount.mean,
                         v->hbytes.mean / 1e6);
            alert_emit(d->vg, &a);
        }
    }
}

static int au_init(struct detector *d)
{
    struct au_ctx *c = d->ctx;
    c->ids = bl_table_new(d->vg->budget, "audit.ids", sizeof(struct au_id), 0);
    c->pairs = bl_table_new(d->vg->budget, "audit.pairs", 0, 0);
    return c->ids && c->pairs ? 0 : -1;
}

static void au_destroy(struct detector *d)
{
    struct au_ctx *c = d->ctx;
    bl_table_free(c->ids);
    bl_table_free(c->pairs);
}

static int au_snapshot(struct detector *d, FILE *f, bool save)
{
    struct au_ctx *c = d->ctx;
    const struct dutil_field fields[] = { DUTIL_FIELD(c->first_ts), DUTIL_FIELD(c->host_actions), DUTIL_FIELD(c->host_ips) };
    struct bl_table *const tables[] = { c->ids, c->pairs };
    return dutil_snapshot(f, save, fields, DUTIL_COUNT(fields), tables, DUTIL_COUNT(tables));
}

static int au_save(struct detector *d, FILE *f)
{
    return au_snapshot(d, f, true);
}

static int au_load(struct detector *d, FILE *f)
{
    return au_snapshot(d, f, false);
}

const struct detector_plugin detector_audit = {
    .name = "audit",
    .options = au_options,
    .ctx_size = sizeof(struct au_ctx),
    .kinds = KIND_BIT(KIND_AUDIT),
    .init = au_init,
    .observe = au_observe,
    .save = au_save,
    .load = au_load,
    .destroy = au_destroy,
    .snapshot_version = 2,   /* 2: host-wide counts */
};
