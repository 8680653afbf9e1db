/* auth_guess.c - password guessing: brute force (one source, many failures),
 * spraying (one source, many users), distributed guessing (one user, many
 * sources) and the success that follows failures.
 * Counts are sliding windows in event time; `message repeated N times`
 * records count N (record.repeat). While a burst goes on every failure past
 * the threshold raises the alert again: the alert stream throttles those into
 * one line and a "repeated N times" report, and prints an escalation. */
#include "detectors/auth.h"

#include <string.h>

#include "sidecar/vigil.h"

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

/* An ongoing attack is news when it starts and each time it doubles, and once
 * a day while it lasts: not at every failure (a botnet against sshd never
 * stops), which would only feed the throttle and cost a message each time. */
static bool escalates(struct auth_escalation *e, uint32_t count, uint32_t threshold, int64_t now)
{
    if (count < threshold) {
        e->level = 0;
        return false;
    }
    if (e->level == 0 || count >= 2 * e->level || now - e->at >= NS_PER_DAY) {
        e->level = count;
        e->at = now;
        return true;
    }
    return false;
}

static void alert_bruteforce(struct detector *d, const struct record *r, struct span src,
                             struct span user, uint32_t n)
{
    struct auth_ctx *x = auth_of(d);
    struct alert a;
    char win[32];
    bool big = n >= 5 * (uint64_t)x->bruteforce.threshold;
    auth_alert_init(&a, r, "auth.bruteforce", big ? SEV_HIGH : SEV_MEDIUM,
                    STAGE_CREDENTIAL_ACCESS);
    a.entity.src_ip = src;
    a.attack[0] = "T1110.001";
    a.score = 0.5 + 0.5 * ramp(n, (double)x->bruteforce.threshold,
                               5.0 * (double)x->bruteforce.threshold);
    auth_duration(win, sizeof(win), x->bruteforce.window_ms);
    alert_printf(&a, "%u failed logins from %.*s within %s (threshold %lld)", n, (int)src.len,
                 src.p, win, (long long)x->bruteforce.threshold);
    if (user.len)
        alert_printf(&a, ", latest for user %.*s", (int)user.len, user.p);
    alert_emit(d->vg, &a);
}

static void alert_spray(struct detector *d, const struct record *r, struct span src,
                        struct span user, unsigned users)
{
    struct auth_ctx *x = auth_of(d);
    struct alert a;
    char win[32];
    bool big = users >= 2 * (uint64_t)x->spray.threshold;
    auth_alert_init(&a, r, "auth.spray", big ? SEV_HIGH : SEV_MEDIUM, STAGE_CREDENTIAL_ACCESS);
    a.entity.src_ip = src;
    a.attack[0] = "T1110.003";
    a.score = 0.55 + 0.45 * ramp(users, (double)x->spray.threshold, BL_DISTINCT);
    auth_duration(win, sizeof(win), x->spray.window_ms);
    alert_printf(&a, "%.*s failed logins for %s%u distinct users within %s (threshold %lld), "
                 "latest %.*s", (int)src.len, src.p, users >= BL_DISTINCT ? "at least " : "",
                 users, win, (long long)x->spray.threshold, (int)user.len, user.p);
    alert_emit(d->vg, &a);
}

static void alert_distributed(struct detector *d, const struct record *r, struct span user,
                              struct span src, unsigned srcs)
{
    struct auth_ctx *x = auth_of(d);
    struct alert a;
    char win[32];
    bool priv = auth_privileged(d, user, NULL);
    /* Names that never logged in here (admin, test, oracle...) are what every
     * internet-facing sshd sees all day: worth knowing, not worth a page. */
    bool known = bl_lookup(x->users, user, r->ts, false, false) != NULL;
    auth_alert_init(&a, r, "auth.distributed", priv ? SEV_HIGH : known ? SEV_MEDIUM : SEV_LOW,
                    STAGE_CREDENTIAL_ACCESS);
    a.entity.user = user;
    a.attack[0] = "T1110.001";
    a.score = 0.55 + 0.45 * ramp(srcs, (double)x->distributed.threshold, BL_DISTINCT);
    auth_duration(win, sizeof(win), x->distributed.window_ms);
    alert_printf(&a, "%s%u distinct sources failed to log in as %.*s%s within %s "
                 "(threshold %lld), latest %.*s", srcs >= BL_DISTINCT ? "at least " : "", srcs,
                 (int)user.len, user.p, priv ? " (privileged)" : "", win,
                 (long long)x->distributed.threshold, (int)src.len, src.p);
    alert_emit(d->vg, &a);
}

void auth_on_failure(struct detector *d, const struct record *r, struct span user,
                     struct span src)
{
    struct auth_ctx *x = auth_of(d);
    struct bl_budget *b = &d->vg->budget;
    int64_t now = r->ts;
    uint32_t n = r->repeat ? r->repeat : 1;
    int64_t keep_ns = x->after_failures.window_ms * 1000000LL;
    struct bl_head *h;

    if (src.len && (h = bl_lookup(x->fail_src, src, now, true, true))) {
        struct auth_fail_src *fs = bl_value(h);
        if (fs->last_fail && now - fs->last_fail > keep_ns)
            fs->since = 0;
        fs->since = fs->since > UINT32_MAX - n ? UINT32_MAX : fs->since + n;
        if (now > fs->last_fail)
            fs->last_fail = now;
        if (user.len)
            keep(fs->last_user, &fs->last_user_len, sizeof(fs->last_user), user);
        uint32_t cnt = bl_window_add(&fs->fails, now, x->bruteforce.window_ms * 1000000LL, n);
        unsigned users = user.len ? bl_distinct_add(&fs->users, bl_hash(b, user), now,
                                                    x->spray.window_ms * 1000000LL) : 0;
        if (x->bruteforce.enabled &&
            escalates(&fs->brute, cnt, (uint32_t)x->bruteforce.threshold, now))
            alert_bruteforce(d, r, src, user, cnt);
        if (x->spray.enabled && escalates(&fs->spray, users, (uint32_t)x->spray.threshold, now))
            alert_spray(d, r, src, user, users);
    }
    if (user.len && (h = bl_lookup(x->fail_user, user, now, true, true))) {
        struct auth_fail_user *fu = bl_value(h);
        if (fu->last_fail && now - fu->last_fail > keep_ns)
            fu->since = 0;
        fu->since = fu->since > UINT32_MAX - n ? UINT32_MAX : fu->since + n;
        if (now > fu->last_fail)
            fu->last_fail = now;
        if (src.len)
            keep(fu->last_src, &fu->last_src_len, sizeof(fu->last_src), src);
        bl_window_add(&fu->fails, now, x->bruteforce.window_ms * 1000000LL, n);
        unsigned srcs = src.len ? bl_distinct_add(&fu->srcs, bl_hash(b, src), now,
                                                  x->distributed.window_ms * 1000000LL) : 0;
        if (x->distributed.enabled &&
            escalates(&fu->distributed, srcs, (uint32_t)x->distributed.threshold, now))
            alert_distributed(d, r, user, src, srcs);
    }
}

uint32_t auth_on_success_failures(struct detector *d, const struct record *r, struct span user,
                                  struct span src)
{
    struct auth_ctx *x = auth_of(d);
    int64_t now = r->ts;
    int64_t keep_ns = x->after_failures.window_ms * 1000000LL;
    uint32_t from_src = 0, for_user = 0;
    struct bl_head *h;
    if (src.len && (h = bl_lookup(x->fail_src, src, now, false, false))) {
        struct auth_fail_src *fs = bl_value(h);
        if (now - fs->last_fail <= keep_ns)
            from_src = fs->since;
        fs->since = 0;
    }
    if (user.len && (h = bl_lookup(x->fail_user, user, now, false, false))) {
        struct auth_fail_user *fu = bl_value(h);
        if (now - fu->last_fail <= keep_ns)
            for_user = fu->since;
        fu->since = 0;
    }
    uint32_t failures = from_src > for_user ? from_src : for_user;
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
    alert_printf(&a, "login for %.*s from %.*s succeeded after %u failures within %s (%u from "
                 "this source, %u for this user)", (int)user.len, user.p, (int)src.len, src.p,
                 failures, win, from_src, for_user);
    if (cracked)
        alert_printf(&a, ": the source was brute forcing");
    alert_emit(d->vg, &a);
    return failures;
}
