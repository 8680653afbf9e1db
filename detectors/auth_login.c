/* auth_login.c - the suspicious login, scored from several signals in one
 * alert, and root logging in over SSH.
 *
 * Signals fall in two groups. Novelty says where from: a source never seen
 * for this user (+0.25), its network never seen for the user (+0.10), a
 * source no user ever logged in from (+0.10), a first login ever (+0.15). A
 * source new to the user that other users log in from counts +0.10 in all.
 * Risk says how: an hour the user is never active at (+0.25), failures just
 * before (+0.05 each, at most +0.30), a password where the user uses keys
 * (+0.15; +0.05 otherwise), a dormant account (+0.25); a privileged account
 * adds +0.15 when there is any risk. Novelty alone is travel or a new laptop:
 * without a risk signal the alert stays `low` at most. So a key login in
 * usual hours from a new network is low (0.45), while new source + odd hour +
 * failures + admin adds up to critical (>= 0.9).
 * Severity by score: <0.2 none, info, 0.35 low, 0.55 medium, 0.75 high, 0.9
 * critical. During the learning period novelty does not count and the alert
 * is at most info. */
#include "detectors/auth.h"

#include <string.h>

#include "sidecar/vigil.h"

bool auth_method_is_key(struct span m)
{
    return span_starts(m, SPAN_LIT("publickey")) || span_starts(m, SPAN_LIT("hostbased")) ||
           span_starts(m, SPAN_LIT("gssapi"));
}

static bool method_is_password(struct span m)
{
    return span_eq_cstr(m, "password") || span_eq_cstr(m, "keyboard-interactive") ||
           span_starts(m, SPAN_LIT("keyboard-interactive/"));
}

static enum severity severity_of(double score)
{
    if (score >= 0.9)
        return SEV_CRITICAL;
    if (score >= 0.75)
        return SEV_HIGH;
    if (score >= 0.55)
        return SEV_MEDIUM;
    if (score >= 0.35)
        return SEV_LOW;
    return SEV_INFO;
}

static void root_ssh(struct detector *d, const struct record *r, struct span src, bool pw)
{
    struct auth_ctx *x = auth_of(d);
    struct span service = record_str(r, RK_SERVICE);
    struct span method = record_str(r, RK_METHOD);
    if (!x->root_ssh.enabled || !(span_eq_cstr(service, "sshd") || (!service.len && src.len)))
        return;
    bool learning = auth_learning(d, AUTH_CLASS_LOGIN, r->ts);
    bool fresh = src.len && auth_seen(d, SEEN_ROOT_SRC, SPAN_LIT("root"), src, r->ts, true) == 0;
    enum severity sev = pw ? SEV_HIGH : fresh ? SEV_MEDIUM : SEV_INFO;
    if (learning && sev > SEV_INFO && !pw)
        sev = SEV_INFO;
    struct alert a;
    auth_alert_init(&a, r, "auth.root_ssh", sev, STAGE_INITIAL_ACCESS);
    a.entity.user = SPAN_LIT("root");
    a.entity.src_ip = src;
    a.attack[0] = "T1078.003";
    a.score = pw ? 0.8 : fresh ? 0.6 : 0.3;
    alert_printf(&a, "root logged in over SSH from %.*s", (int)src.len, src.p);
    if (method.len)
        alert_printf(&a, " with %.*s", (int)method.len, method.p);
    alert_printf(&a, "%s", fresh ? (learning ? ", new source (learning baseline)"
                                             : ", first time from this source")
                                 : ", a usual source");
    alert_emit(d->vg, &a);
}

void auth_on_login(struct detector *d, const struct record *r, struct span user, struct span src,
                   uint32_t failures)
{
    struct auth_ctx *x = auth_of(d);
    int64_t now = r->ts;
    struct span method = record_str(r, RK_METHOD);
    bool key = auth_method_is_key(method), pw = method_is_password(method);
    if (!user.len)
        return;
    if (span_eq_cstr(user, "root"))
        root_ssh(d, r, src, pw);

    bool learning = auth_learning(d, AUTH_CLASS_LOGIN, now);
    /* Each fact is keyed once, judged, then recorded; the user's entry found
     * here is the one learned from below (nothing in between creates users). */
    struct bl_head *h = bl_lookup(x->users, user, now, true, false);
    struct auth_user *u = h ? bl_value(h) : NULL;
    struct span net = auth_network(src);
    struct auth_seen_key k_src, k_net, k_any;
    if (src.len) {
        auth_seen_key(d, SEEN_USER_SRC, user, src, &k_src);
        auth_seen_key(d, SEEN_USER_NET, user, net, &k_net);
        auth_seen_key(d, SEEN_ANY_SRC, src, SPAN_NULL, &k_any);
    }
    bool history = u && u->logins > 0;
    bool new_src = src.len && history && !auth_seen_k(d, &k_src, now, false);
    bool new_net = new_src && !auth_seen_k(d, &k_net, now, false);
    bool new_any = src.len && !auth_seen_k(d, &k_any, now, false);
    bool first = u && !history;
    bool odd = u && u->logins >= (uint64_t)x->login.min_history && !bl_hours_usual(&u->hours, now);
    bool dormant = history && now - u->last_login > x->login.dormant_ms * 1000000LL;
    bool pw_unusual = pw && u && u->key_logins > u->pw_logins;
    bool priv = auth_privileged(d, user, u);

    double novelty = 0, risk = 0;
    /* A source other users of the host log in from (the office, the VPN
     * gateway) is new to this user, not to the host: its weight drops. */
    bool peer_src = new_src && !new_any;
    if (!learning) {
        novelty += new_src ? (peer_src ? 0.10 : 0.25) : 0;
        novelty += new_net && !peer_src ? 0.10 : 0;
        novelty += new_any ? 0.10 : 0;
        novelty += first ? 0.15 : 0;
    }
    risk += odd ? 0.25 : 0;
    risk += failures ? (failures >= 6 ? 0.30 : 0.05 * failures) : 0;
    risk += pw ? (pw_unusual ? 0.15 : 0.05) : 0;
    risk += dormant ? 0.25 : 0;
    double score = novelty + risk + (priv && risk > 0 ? 0.15 : 0);
    enum severity sev = severity_of(score);
    if (risk == 0 && sev > SEV_LOW)
        sev = SEV_LOW;
    if (learning && sev > SEV_INFO)
        sev = SEV_INFO;

    enum severity shown = SEV_INFO;
    if (x->login.enabled && score >= 0.2) {
        struct alert a;
        char buf[160], hours[16];
        auth_alert_init(&a, r, "auth.login", sev, STAGE_INITIAL_ACCESS);
        a.entity.user = user;
        a.entity.src_ip = src;
        a.attack[0] = "T1078";
        a.attack[1] = "T1078.003";
        a.score = score > 1 ? 1 : score;
        /* Where from and when are novelty; failures, a password where keys
         * are usual and a dormant account are evidence. Without evidence
         * the login is an observation, raised only by other signals on the
         * same person (detectors/alert.c). */
        a.novelty = !failures && !pw_unusual && !dormant;
        if (u)
            bl_set_describe(&u->srcs, buf, sizeof(buf), 3);
        else
            buf[0] = 0;
        alert_printf(&a, "%s for %.*s", first && !learning ? "first login ever"
                                       : new_src && !learning ? "first login" : "login",
                     (int)user.len, user.p);
        if (src.len)
            alert_printf(&a, " from %.*s", (int)src.len, src.p);
        if (!learning && (new_src || new_any)) {
            char why[256];
            snprintf(why, sizeof(why), "%s%s%s%s%s", new_net ? "new network" : "",
                     new_net && new_any ? ", " : "", new_any ? "never seen for any user" : "",
                     (new_net || new_any) && buf[0] ? "; " : "", buf[0] ? "usual: " : "");
            if (why[0])
                alert_printf(&a, " (%s%s)", why, buf);
        }
        if (odd) {
            bl_hours_describe(&u->hours, hours, sizeof(hours));
            int64_t sec = now / NS_PER_SEC;
            alert_printf(&a, ", at %02d:%02d (usual %s)", bl_hour_of_day(now),
                         (int)((sec / 60) % 60), hours);
        }
        if (failures)
            alert_printf(&a, ", after %u failure%s", failures, failures > 1 ? "s" : "");
        if (pw)
            alert_printf(&a, ", by password%s", pw_unusual ? " (usually a key)" : "");
        if (dormant)
            alert_printf(&a, ", first in %lld days",
                         (long long)((now - u->last_login) / NS_PER_DAY));
        if (priv)
            alert_printf(&a, ", privileged account");
        if (learning)
            alert_printf(&a, " (learning baseline)");
        alert_emit(d->vg, &a);
        shown = a.severity;
    }

    auth_session_login(d, now, user, src, shown);
    /* learn after judging, so the login does not vouch for itself */
    if (src.len) {
        auth_seen_k(d, &k_src, now, true);
        auth_seen_k(d, &k_net, now, true);
        auth_seen_k(d, &k_any, now, true);
    }
    if (!h)
        h = bl_lookup(x->users, user, now, true, false);
    if (!h)
        return;
    bl_touch(h, now);
    u = bl_value(h);
    bl_hours_add(&u->hours, now);
    if (src.len)
        bl_set_add(&u->srcs, d->vg->budget, src, now, AUTH_SRC_HALFLIFE);
    if (now > u->last_login)
        u->last_login = now;
    u->logins += u->logins < UINT32_MAX;
    u->key_logins += key && u->key_logins < UINT32_MAX;
    u->pw_logins += pw && u->pw_logins < UINT32_MAX;
}
