/* auth.c - the `auth` detector: options, tables, dispatch and persistence.
 * Every record of kind auth is routed by its `action` to one rule family
 * (see auth.h for the files). Rules that say "never seen" consult a learning
 * clock per entity class (logins, privilege use) in event time, started by the
 * first auth record: while it is younger than detectors.learning_period they
 * stay at info. */
#include "detectors/auth.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/dutil.h"
#include "sidecar/vigil.h"

#define O(f) offsetof(struct auth_ctx, f)
#define R(f) offsetof(struct auth_rule_conf, f)

static const struct conf_option bruteforce_options[] = {
    { "enabled", CONF_BOOL, "true", R(enabled), 0, 0, "raise auth.bruteforce" },
    { "threshold", CONF_INT, "8", R(threshold), 1, 1000000,
      "failed logins from one source (an IPv6 /64) within window that make a brute force; "
      "8 as OSSEC (rule 5712). One attempt counts once however many lines sshd and PAM "
      "write for it (the parser marks the others `dup`)" },
    { "window", CONF_DURATION, "10m", R(window_ms), 1000, 7LL * 86400 * 1000,
      "time over which failures from one source are counted; 10m as fail2ban's findtime, so "
      "tools pacing one try a minute to dodge OSSEC's 2 minutes are still caught" },
    { 0 }
};

static const struct conf_option spray_options[] = {
    { "enabled", CONF_BOOL, "true", R(enabled), 0, 0, "raise auth.spray" },
    { "threshold", CONF_INT, "5", R(threshold), 2, 16,
      "distinct user names one source fails for within window (at most 16)" },
    { "window", CONF_DURATION, "1h", R(window_ms), 1000, 7LL * 86400 * 1000,
      "time over which distinct user names are counted; long, as spraying is slow on "
      "purpose (one password per user per round)" },
    { 0 }
};

static const struct conf_option distributed_options[] = {
    { "enabled", CONF_BOOL, "true", R(enabled), 0, 0, "raise auth.distributed" },
    { "threshold", CONF_INT, "5", R(threshold), 2, 16,
      "distinct sources failing for one user within window (at most 16)" },
    { "window", CONF_DURATION, "1h", R(window_ms), 1000, 7LL * 86400 * 1000,
      "time over which distinct failing sources are counted" },
    { 0 }
};

static const struct conf_option after_failures_options[] = {
    { "enabled", CONF_BOOL, "true", R(enabled), 0, 0, "raise auth.success_after_failures" },
    { "threshold", CONF_INT, "5", R(threshold), 1, 1000000,
      "failures from the source or its network (IPv4 /24, IPv6 /64) that make a following "
      "success suspect; a key login counts only those for its own name" },
    { "window", CONF_DURATION, "1h", R(window_ms), 1000, 7LL * 86400 * 1000,
      "failures older than this before the success are forgotten" },
    { 0 }
};

static const struct conf_option scan_options[] = {
    { "enabled", CONF_BOOL, "true", R(enabled), 0, 0, "raise auth.scan" },
    { "threshold", CONF_INT, "12", R(threshold), 1, 1000000,
      "weight of bare connections from one source within window that make a scan: a "
      "connection closed before any attempt weighs 1, a broken banner or failed key "
      "exchange (kex_exchange_identification, bad protocol version, no identification "
      "string, unable to negotiate) weighs 4, so three probes or twelve knocks" },
    { "window", CONF_DURATION, "10m", R(window_ms), 1000, 7LL * 86400 * 1000,
      "time over which a source's bare connections are weighed; also the quiet time that "
      "ends the episode" },
    { 0 }
};

#define L(f) offsetof(struct auth_login_conf, f)
static const struct conf_option login_options[] = {
    { "enabled", CONF_BOOL, "true", L(enabled), 0, 0,
      "raise auth.login: one alert scored from new source (for the user, for anyone), "
      "unusual hour, preceding failures, privileged account, password instead of key and "
      "dormant account" },
    { "dormant", CONF_DURATION, "30d", L(dormant_ms), 3600 * 1000LL, 3650LL * 86400 * 1000,
      "an account without a login for this long is dormant" },
    { "min_history", CONF_INT, "5", L(min_history), 1, 1000000,
      "logins of a user before its usual hours are trusted" },
    { 0 }
};

static const struct conf_option switch_options[] = {
    { "enabled", CONF_BOOL, "true", offsetof(struct auth_switch_conf, enabled), 0, 0,
      "raise the alerts of this section" },
    { 0 }
};

static const struct conf_option auth_options[] = {
    { "privileged_users", CONF_STRLIST, "root", O(privileged_users), 0, 0,
      "accounts always treated as privileged (besides members of privileged_groups)" },
    { "privileged_groups", CONF_STRLIST, "sudo, wheel, adm, admin, root, docker, lxd",
      O(privileged_groups), 0, 0,
      "groups whose members are privileged (docker and lxd members can start a root "
      "container); membership is learnt from group_member_add records, and a user seen "
      "running sudo as root is privileged anyway; an empty list means this default" },
    { "bruteforce", CONF_SECTION, NULL, O(bruteforce), 0, 0,
      "many failed logins from one source (T1110.001)", NULL, bruteforce_options },
    { "spray", CONF_SECTION, NULL, O(spray), 0, 0,
      "one source failing for many users (T1110.003)", NULL, spray_options },
    { "distributed", CONF_SECTION, NULL, O(distributed), 0, 0,
      "one user failing from many sources (T1110.001)", NULL, distributed_options },
    { "success_after_failures", CONF_SECTION, NULL, O(after_failures), 0, 0,
      "a login following failures from the same source or network (/24, IPv6 /64) "
      "(T1110, T1078)", NULL, after_failures_options },
    { "scan", CONF_SECTION, NULL, O(scan), 0, 0,
      "one source opening SSH connections without trying to log in, or probing with "
      "broken banners (T1046): one low alert per episode", NULL, scan_options },
    { "login", CONF_SECTION, NULL, O(login), 0, 0, "suspicious login scoring (T1078)", NULL,
      login_options },
    { "root_ssh", CONF_SECTION, NULL, O(root_ssh), 0, 0,
      "auth.root_ssh: root logging in over SSH (T1078.003)",
      NULL, switch_options },
    { "privilege", CONF_SECTION, NULL, O(privilege), 0, 0,
      "auth.sudo_first, auth.sudo_new_command, auth.sudo_failure, auth.not_in_sudoers, "
      "auth.su_first, auth.su_failure: first sudo/su, new sudo command, failures (T1548)", NULL,
      switch_options },
    { "accounts", CONF_SECTION, NULL, O(accounts), 0, 0,
      "auth.account_created (T1136.001), auth.account_deleted (T1531), "
      "auth.privileged_group_add and auth.password_change of a privileged account (T1098)", NULL,
      switch_options },
    { 0 }
};

/* docker and lxd members can start a root container: root in all but name */
static const char *const default_groups[] = { "sudo", "wheel", "adm", "admin", "root", "docker",
                                              "lxd", NULL };

bool auth_learning(struct detector *d, enum auth_class c, int64_t now)
{
    struct auth_ctx *x = auth_of(d);
    int64_t period = d->vg->conf ? d->vg->conf->detectors.learning_period_ms * 1000000LL
                                 : NS_PER_DAY;
    if (!x->learn_start[c] || now < x->learn_start[c])
        x->learn_start[c] = now;
    return now - x->learn_start[c] < period;
}

static bool in_list(const struct conf_strlist *l, const char *const *defaults, struct span s)
{
    if (l->n == 0) {
        for (size_t i = 0; defaults && defaults[i]; i++)
            if (span_eq_cstr(s, defaults[i]))
                return true;
        return false;
    }
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] && span_eq_cstr(s, l->v[i]))
            return true;
    return false;
}

bool auth_privileged(struct detector *d, struct span user, const struct auth_user *u)
{
    static const char *const root_only[] = { "root", NULL };
    return (u && u->privileged) || in_list(&auth_of(d)->privileged_users, root_only, user);
}

void auth_seen_key(struct detector *d, enum auth_seen_type type, struct span a, struct span b,
                   struct auth_seen_key *k)
{
    char buf[2 * 256 + 2];
    /* a part longer than 256 bytes is kept by its digest, not cut */
    size_t al = bl_key_part(d->vg->budget, buf, 256, a);
    buf[al] = 0;
    size_t blen = bl_key_part(d->vg->budget, buf + al + 1, 256, b);
    struct span whole = span_make(buf, al + 1 + blen);
    struct bl_budget alt = *d->vg->budget;
    alt.seed = ~alt.seed;
    uint64_t h[2] = { bl_hash(d->vg->budget, whole), bl_hash(&alt, whole) };
    k->key[0] = (char)type;
    memcpy(k->key + 1, h, sizeof(h));
    k->hash = bl_hash(d->vg->budget, span_make(k->key, sizeof(k->key)));
}

uint32_t auth_seen_k(struct detector *d, const struct auth_seen_key *k, int64_t now, bool record)
{
    struct bl_head *e = bl_lookup_h(auth_of(d)->seen, span_make(k->key, sizeof(k->key)), k->hash,
                                    now, record, record);
    if (!e)
        return 0;
    struct auth_seen *s = bl_value(e);
    uint32_t before = s->n;
    if (record && s->n < UINT32_MAX)
        s->n++;
    return before;
}

uint32_t auth_seen(struct detector *d, enum auth_seen_type type, struct span a, struct span b,
                   int64_t now, bool record)
{
    struct auth_seen_key k;
    auth_seen_key(d, type, a, b, &k);
    return auth_seen_k(d, &k, now, record);
}

/* The first 8 bytes of an IPv6 address as "a:b:c:d::/64", or 0 if src is not one. */
static size_t ipv6_64(struct span src, char *buf, size_t cap)
{
    char tmp[64];
    unsigned char a[16];
    if (src.len == 0 || src.len >= sizeof(tmp) || !memchr(src.p, ':', src.len))
        return 0;
    memcpy(tmp, src.p, src.len);
    tmp[src.len] = '\0';
    char *pct = strchr(tmp, '%');
    if (pct)
        *pct = '\0';
    if (inet_pton(AF_INET6, tmp, a) != 1)
        return 0;
    int n = snprintf(buf, cap, "%x:%x:%x:%x::/64", a[0] << 8 | a[1], a[2] << 8 | a[3],
                     a[4] << 8 | a[5], a[6] << 8 | a[7]);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

struct span auth_src_key(struct span src, char *buf, size_t cap)
{
    size_t n = ipv6_64(src, buf, cap);
    return n ? span_make(buf, n) : src;
}

struct span auth_src_net(struct span src, char *buf, size_t cap)
{
    size_t n = ipv6_64(src, buf, cap);
    return n ? span_make(buf, n) : auth_network(src);
}

struct span auth_network(struct span src)
{
    size_t dots = 0, colons = 0, last_dot = 0, third_colon = 0;
    bool digits_only = true;
    for (size_t i = 0; i < src.len; i++) {
        char c = src.p[i];
        if (c == '.') {
            dots++;
            last_dot = i;
        } else if (c == ':') {
            if (++colons == 3)
                third_colon = i;
        } else if (c < '0' || c > '9') {
            digits_only = false;
        }
    }
    if (colons >= 3)                        /* IPv6: the /48 */
        return span_make(src.p, third_colon);
    if (colons)
        return src;
    if (dots == 3 && digits_only)           /* IPv4: the /24 */
        return span_make(src.p, last_dot);
    for (size_t i = 0; i < src.len; i++)    /* host name: its domain */
        if (src.p[i] == '.')
            return span_from(src, i + 1);
    return src;
}

void auth_alert_init(struct alert *a, const struct record *r, const char *rule,
                     enum severity sev, enum stage stage)
{
    memset(a, 0, sizeof(*a));
    a->ts = r->ts;
    a->rule = rule;
    a->detector = "auth";
    a->severity = sev;
    a->stage = stage;
    a->entity.host = r->host;
    a->source = r->path;
    alert_evidence(a, r->raw);
}

static int auth_init(struct detector *d)
{
    struct auth_ctx *x = auth_of(d);
    struct bl_budget *b = d->vg->budget;
    x->fail_src = bl_table_new(b, "auth.fail_src", sizeof(struct auth_fail_src), BL_SHOW_KEY);
    x->fail_user = bl_table_new(b, "auth.fail_user", sizeof(struct auth_fail_user), BL_SHOW_KEY);
    x->fail_net = bl_table_new(b, "auth.fail_net", sizeof(struct auth_fail_net), 0);
    x->users = bl_table_new(b, "auth.users", sizeof(struct auth_user), 0);
    x->seen = bl_table_new(b, "auth.seen", sizeof(struct auth_seen), 0);
    x->fail_once = bl_table_new(b, "auth.fail_once", sizeof(struct auth_fail_once), 0);
    /* bots choose how many addresses fail once: a quarter of the budget at most */
    if (x->fail_once)
        bl_table_limit(x->fail_once, b->cap / 4);
    return x->fail_src && x->fail_user && x->fail_net && x->users && x->seen && x->fail_once
           ? 0 : -1;
}

static void auth_destroy(struct detector *d)
{
    struct auth_ctx *x = auth_of(d);
    bl_table_free(x->fail_src);
    bl_table_free(x->fail_user);
    bl_table_free(x->fail_net);
    bl_table_free(x->users);
    bl_table_free(x->seen);
    bl_table_free(x->fail_once);
    x->fail_src = x->fail_user = x->fail_net = x->users = x->seen = x->fail_once = NULL;
}

static void auth_observe(struct detector *d, const struct record *r)
{
    struct auth_ctx *x = auth_of(d);
    struct span action = record_str(r, RK_ACTION);
    struct span user = record_str(r, RK_USER);
    struct span src = record_str(r, RK_SRC_IP);
    /* Every class of this detector learns from the same log: its clock starts
     * with the first auth record, so a first sudo after a week of watching
     * the log is news even if nobody used sudo during that week. */
    for (int c = 0; c < AUTH_CLASS__COUNT; c++)
        if (!x->learn_start[c] || r->ts < x->learn_start[c])
            x->learn_start[c] = r->ts;
    /* One attempt counts once: a line marked dup repeats an attempt another
     * line counts; a line may carry earlier failures of its connection that
     * were logged before its address was known (`failures`). */
    static const struct span keys[2] = { { "dup", 3 }, { "failures", 8 } };
    const struct field *found[2];
    dutil_find_keys(r, keys, 2, found);
    const struct field *dup = found[0], *carried = found[1];
    bool is_dup = dup && dup->type == FT_BOOL && dup->v.b;
    if (carried && carried->type == FT_INT && carried->v.i > 0 && src.len)
        auth_on_failure(d, r, user, src,
                        carried->v.i > UINT32_MAX ? UINT32_MAX : (uint32_t)carried->v.i);
    if (span_eq_cstr(action, "login_failure") || span_eq_cstr(action, "invalid_user")) {
        if (!is_dup)
            auth_on_failure(d, r, user, src, r->repeat ? r->repeat : 1);
    } else if (span_eq_cstr(action, "scan")) {
        if (!is_dup && src.len && x->scan.enabled)
            auth_on_scan(d, r, src);
    } else if (span_eq_cstr(action, "login_success")) {
        uint32_t failures = auth_on_success_failures(d, r, user, src);
        auth_on_login(d, r, user, src, failures);
    } else if (span_eq_cstr(action, "sudo") || span_eq_cstr(action, "sudo_failure") ||
               span_eq_cstr(action, "su") || span_eq_cstr(action, "su_failure")) {
        if (x->privilege.enabled)
            auth_on_priv(d, r, action, user);
    } else if (span_eq_cstr(action, "user_add") || span_eq_cstr(action, "user_del") ||
               span_eq_cstr(action, "group_member_add") ||
               span_eq_cstr(action, "passwd_change")) {
        auth_on_account(d, r, action, user);
    }
}

bool auth_group_privileged(struct detector *d, struct span group)
{
    return in_list(&auth_of(d)->privileged_groups, default_groups, group);
}

static int session_check(const struct auth_session *e)
{
    return e->user_len > AUTH_NAME || e->src_len > AUTH_ADDR || e->tty_len > sizeof(e->tty) ||
                   e->actor_len > AUTH_NAME || e->severity >= SEV__COUNT
               ? -1
               : 0;
}

static int sessions_check(const struct auth_sessions *s)
{
    int rc = session_check(&s->root) | session_check(&s->created);
    for (unsigned i = 0; i < AUTH_RECENT_LOGINS; i++)
        rc |= session_check(&s->login[i]);
    return rc;
}

static int auth_save(struct detector *d, FILE *f)
{
    struct auth_ctx *x = auth_of(d);
    if (fwrite(x->learn_start, sizeof(x->learn_start), 1, f) != 1 ||
        fwrite(&x->sessions, sizeof(x->sessions), 1, f) != 1)
        return -1;
    if (bl_table_save(x->fail_src, f) < 0 || bl_table_save(x->fail_user, f) < 0 ||
        bl_table_save(x->fail_net, f) < 0 ||
        bl_table_save(x->users, f) < 0 || bl_table_save(x->seen, f) < 0)
        return -1;
    return 0;
}

static int auth_load(struct detector *d, FILE *f)
{
    struct auth_ctx *x = auth_of(d);
    if (fread(x->learn_start, sizeof(x->learn_start), 1, f) != 1 ||
        fread(&x->sessions, sizeof(x->sessions), 1, f) != 1)
        return -1;
    if (sessions_check(&x->sessions) < 0)
        return -1;
    if (bl_table_load(x->fail_src, f) < 0 || bl_table_load(x->fail_user, f) < 0 ||
        bl_table_load(x->fail_net, f) < 0 ||
        bl_table_load(x->users, f) < 0 || bl_table_load(x->seen, f) < 0)
        return -1;
    return 0;
}

const struct detector_plugin detector_auth = {
    .name = "auth",
    .options = auth_options,
    .ctx_size = sizeof(struct auth_ctx),
    .kinds = KIND_BIT(KIND_AUTH),
    .init = auth_init,
    .observe = auth_observe,
    .save = auth_save,
    .load = auth_load,
    .destroy = auth_destroy,
    .tick = auth_guess_tick,
    .snapshot_version = 5,   /* 2: recent sessions, 3: escalation levels, 4: episodes, 5: bursts */
};
