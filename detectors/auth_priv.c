/* auth_priv.c - privilege use and account changes: first sudo/su by a user,
 * a sudo executable never seen for the user, sudo/su failures and "not in
 * sudoers", account creation and deletion, additions to privileged groups.
 * A sudo command is known by its executable (the first word), not its whole
 * line: `systemctl restart a` and `systemctl restart b` are the same habit.
 * useradd and usermod log no actor: the change is tied to the latest root
 * session and its login (struct auth_sessions), so an account made by an
 * intruder carries the intruder's source and joins the intruder's incident. */
#include "detectors/auth.h"

#include <string.h>

#include "sidecar/vigil.h"

static struct span first_word(struct span s)
{
    size_t i = 0;
    while (i < s.len && s.p[i] != ' ' && s.p[i] != '\t')
        i++;
    return span_make(s.p, i);
}

static struct span base_name(struct span s)
{
    for (size_t i = s.len; i > 0; i--)
        if (s.p[i - 1] == '/')
            return span_from(s, i);
    return s;
}

/* Interpreters and shells: a new one under sudo is a way to a root shell. */
static bool is_shell(struct span exe)
{
    static const char *const shells[] = { "sh", "bash", "dash", "zsh", "ksh", "fish", "su",
                                          "python", "python3", "perl", "ruby", "node", "env",
                                          "vi", "vim", "less", "find", "awk", NULL };
    struct span b = base_name(exe);
    for (int i = 0; shells[i]; i++)
        if (span_eq_cstr(b, shells[i]))
            return true;
    return false;
}

static bool contains(struct span hay, const char *needle)
{
    size_t n = strlen(needle);
    return hay.len >= n && memmem(hay.p, hay.len, needle, n) != NULL;
}

static void priv_alert(struct detector *d, const struct record *r, const char *rule,
                       enum severity sev, double score, struct span user, struct span command,
                       const char *attack, struct alert *a)
{
    auth_alert_init(a, r, rule, sev, STAGE_PRIVILEGE_ESCALATION);
    a->entity.user = user;
    a->entity.command = command;
    a->attack[0] = attack;
    a->score = score;
    (void)d;
}

static void on_sudo(struct detector *d, const struct record *r, struct span user)
{
    struct auth_ctx *x = auth_of(d);
    int64_t now = r->ts;
    struct span target = record_str(r, RK_TARGET_USER);
    struct span command = record_str(r, RK_COMMAND);
    struct span exe = first_word(command);
    bool learning = auth_learning(d, AUTH_CLASS_PRIV, now);
    struct bl_head *h = bl_lookup(x->users, user, now, true, true);
    struct auth_user *u = h ? bl_value(h) : NULL;
    struct alert a;
    if (!target.len)
        target = SPAN_LIT("root");

    if (u && u->sudo_n == 0) {
        priv_alert(d, r, "auth.sudo_first", learning ? SEV_INFO : SEV_MEDIUM, 0.6, user, exe,
                   "T1548.003", &a);
        alert_printf(&a, "first sudo by %.*s (as %.*s): %.*s%s", (int)user.len, user.p,
                     (int)target.len, target.p, (int)command.len, command.p,
                     learning ? " (learning baseline)" : "");
        a.novelty = true;
        alert_emit(d->vg, &a);
    } else if (exe.len && auth_seen(d, SEEN_SUDO_CMD, user, exe, now, false) == 0) {
        char usual[160] = "";
        bool shell = is_shell(exe);
        if (u)
            bl_set_describe(&u->sudo_cmds, usual, sizeof(usual), 3);
        priv_alert(d, r, "auth.sudo_new_command",
                   learning ? SEV_INFO : shell ? SEV_MEDIUM : SEV_LOW, shell ? 0.6 : 0.4, user,
                   exe, "T1548.003", &a);
        alert_printf(&a, "%.*s ran sudo %.*s as %.*s, never seen for %.*s%s%s%s: %.*s",
                     (int)user.len, user.p, (int)exe.len, exe.p, (int)target.len, target.p,
                     (int)user.len, user.p, usual[0] ? " (usual: " : "", usual,
                     usual[0] ? ")" : "", (int)command.len, command.p);
        if (learning)
            alert_printf(&a, " (learning baseline)");
        /* a first use is an observation; other users' sudo of it halves it */
        a.novelty = true;
        a.peer_known = auth_seen(d, SEEN_SUDO_CMD, SPAN_LIT("*"), exe, now, false) > 0;
        alert_emit(d->vg, &a);
    }
    if (exe.len) {
        auth_seen(d, SEEN_SUDO_CMD, user, exe, now, true);
        auth_seen(d, SEEN_SUDO_CMD, SPAN_LIT("*"), exe, now, true);
    }
    h = bl_lookup(x->users, user, now, true, false);
    if (!h)
        return;
    u = bl_value(h);
    if (exe.len)
        bl_set_add(&u->sudo_cmds, d->vg->budget, exe, now, AUTH_SRC_HALFLIFE);
    u->sudo_n += u->sudo_n < UINT32_MAX;
    if (span_eq_cstr(target, "root")) {
        u->privileged = 1;    /* whoever can sudo to root is an admin, group or not */
        auth_session_root(d, now, user, record_str(r, RK_TTY));
    }
}

static void on_sudo_failure(struct detector *d, const struct record *r, struct span user)
{
    struct span command = record_str(r, RK_COMMAND);
    struct span reason = record_str(r, RK_REASON);
    bool not_sudoer = contains(r->raw, "NOT in sudoers") || contains(reason, "sudoers");
    struct alert a;
    if (not_sudoer) {
        priv_alert(d, r, "auth.not_in_sudoers", SEV_MEDIUM, 0.6, user, first_word(command),
                   "T1548.003", &a);
        alert_printf(&a, "%.*s is not in sudoers and tried sudo: %.*s", (int)user.len, user.p,
                     (int)command.len, command.p);
    } else {
        priv_alert(d, r, "auth.sudo_failure", SEV_LOW, 0.35, user, first_word(command),
                   "T1548.003", &a);
        alert_printf(&a, "sudo failed for %.*s", (int)user.len, user.p);
        if (reason.len)
            alert_printf(&a, " (%.*s)", (int)reason.len, reason.p);
        if (command.len)
            alert_printf(&a, ": %.*s", (int)command.len, command.p);
    }
    alert_emit(d->vg, &a);
}

static void on_su(struct detector *d, const struct record *r, struct span user, bool failed)
{
    struct auth_ctx *x = auth_of(d);
    int64_t now = r->ts;
    struct span target = record_str(r, RK_TARGET_USER);
    struct alert a;
    if (!target.len)
        target = SPAN_LIT("root");
    bool to_priv = auth_privileged(d, target, NULL);
    if (failed) {
        priv_alert(d, r, "auth.su_failure", to_priv ? SEV_MEDIUM : SEV_LOW, to_priv ? 0.5 : 0.3,
                   user, SPAN_NULL, "T1548", &a);
        a.attack[1] = "T1110.001";
        alert_printf(&a, "su from %.*s to %.*s failed", (int)user.len, user.p, (int)target.len,
                     target.p);
        alert_emit(d->vg, &a);
        return;
    }
    bool learning = auth_learning(d, AUTH_CLASS_PRIV, now);
    if (auth_seen(d, SEEN_SU_PAIR, user, target, now, true) == 0) {
        priv_alert(d, r, "auth.su_first",
                   learning ? SEV_INFO : to_priv ? SEV_MEDIUM : SEV_LOW, to_priv ? 0.6 : 0.4,
                   user, SPAN_NULL, "T1548", &a);
        a.attack[1] = "T1078.003";
        alert_printf(&a, "first su by %.*s to %.*s%s", (int)user.len, user.p, (int)target.len,
                     target.p, learning ? " (learning baseline)" : "");
        a.novelty = true;
        alert_emit(d->vg, &a);
    }
    struct bl_head *h = bl_lookup(x->users, user, now, true, true);
    if (h) {
        struct auth_user *u = bl_value(h);
        u->su_n += u->su_n < UINT32_MAX;
    }
    if (span_eq_cstr(target, "root"))
        auth_session_root(d, now, user, record_str(r, RK_TTY));
}

void auth_on_priv(struct detector *d, const struct record *r, struct span action,
                  struct span user)
{
    if (!user.len)
        return;
    if (span_eq_cstr(action, "sudo"))
        on_sudo(d, r, user);
    else if (span_eq_cstr(action, "sudo_failure"))
        on_sudo_failure(d, r, user);
    else
        on_su(d, r, user, span_eq_cstr(action, "su_failure"));
}

static void sess_set(char *out, uint8_t *len, size_t cap, struct span v)
{
    size_t n = v.len < cap ? v.len : cap;
    if (n)
        memcpy(out, v.p, n);
    *len = (uint8_t)n;
}

static struct span sess_span(const char *p, uint8_t len)
{
    return span_make(p, len);
}

void auth_session_login(struct detector *d, int64_t ts, struct span user, struct span src,
                        enum severity sev)
{
    struct auth_sessions *s = &auth_of(d)->sessions;
    struct auth_session *e = &s->login[s->login_head++ % AUTH_RECENT_LOGINS];
    memset(e, 0, sizeof(*e));
    e->ts = ts;
    e->severity = (uint8_t)sev;
    sess_set(e->user, &e->user_len, AUTH_NAME, user);
    sess_set(e->src, &e->src_len, AUTH_ADDR, src);
}

void auth_session_root(struct detector *d, int64_t ts, struct span user, struct span tty)
{
    struct auth_session *e = &auth_of(d)->sessions.root;
    memset(e, 0, sizeof(*e));
    e->ts = ts;
    sess_set(e->user, &e->user_len, AUTH_NAME, user);
    sess_set(e->tty, &e->tty_len, sizeof(e->tty), tty);
}

/* "pts/3" from "... from=/dev/pts/3" (useradd, userdel), or empty. */
static struct span line_tty(struct span raw)
{
    static const char key[] = "from=/dev/";
    const char *p = raw.len >= sizeof(key) - 1 ? memmem(raw.p, raw.len, key, sizeof(key) - 1) : NULL;
    if (!p)
        return SPAN_NULL;
    p += sizeof(key) - 1;
    size_t n = 0, max = (size_t)(raw.p + raw.len - p);
    while (n < max && p[n] != ',' && p[n] != ' ' && p[n] != '\n')
        n++;
    return span_make(p, n);
}

#define AUTH_ACTOR_WINDOW NS_PER_HOUR
#define AUTH_LOGIN_WINDOW (12 * NS_PER_HOUR)

/* Who made the account change in r: the line's own actor, else the user of
 * the latest root session (within the hour, on the same tty when both are
 * known), else whoever created the same account just before. Fills the
 * actor and the source and severity of the actor's latest login. */
static bool account_actor(struct detector *d, const struct record *r, struct span subject,
                          struct span *actor, struct span *src, enum severity *login_sev)
{
    struct auth_sessions *s = &auth_of(d)->sessions;
    struct span user = record_str(r, RK_USER);
    *actor = *src = SPAN_NULL;
    *login_sev = SEV_INFO;
    if (user.len && !span_eq(user, subject)) {
        *actor = user;
    } else if (s->root.user_len && r->ts >= s->root.ts && r->ts - s->root.ts <= AUTH_ACTOR_WINDOW) {
        struct span tty = line_tty(r->raw), rtty = sess_span(s->root.tty, s->root.tty_len);
        if (!tty.len || !rtty.len || span_eq(tty, rtty))
            *actor = sess_span(s->root.user, s->root.user_len);
    }
    if (!actor->len && s->created.user_len && r->ts >= s->created.ts &&
        r->ts - s->created.ts <= AUTH_ACTOR_WINDOW &&
        span_eq(subject, sess_span(s->created.user, s->created.user_len))) {
        *actor = sess_span(s->created.actor, s->created.actor_len);
        *src = sess_span(s->created.src, s->created.src_len);
        *login_sev = (enum severity)s->created.severity;
        return actor->len > 0;
    }
    if (!actor->len)
        return false;
    const struct auth_session *best = NULL;
    for (unsigned i = 0; i < AUTH_RECENT_LOGINS; i++) {
        const struct auth_session *e = &s->login[i];
        if (e->user_len && span_eq(sess_span(e->user, e->user_len), *actor) && r->ts >= e->ts &&
            r->ts - e->ts <= AUTH_LOGIN_WINDOW && (!best || e->ts > best->ts))
            best = e;
    }
    if (best) {
        *src = sess_span(best->src, best->src_len);
        *login_sev = (enum severity)best->severity;
    }
    return true;
}

static void account_by(struct alert *a, struct span actor, struct span src, enum severity login_sev)
{
    if (!actor.len)
        return;
    alert_printf(a, " by %.*s", (int)actor.len, actor.p);
    if (src.len)
        alert_printf(a, " (session from %.*s%s)", (int)src.len, src.p,
                     login_sev >= SEV_HIGH ? ", a suspicious login" : "");
}

void auth_on_account(struct detector *d, const struct record *r, struct span action,
                     struct span user)
{
    struct auth_ctx *x = auth_of(d);
    struct alert a;
    int64_t uid = -1;
    struct span target = record_str(r, RK_TARGET_USER);
    if (target.len)
        user = target;      /* the account changed; RK_USER, if any, made the change */
    if (!user.len)
        return;
    struct span actor, src;
    enum severity login_sev;
    account_actor(d, r, user, &actor, &src, &login_sev);
    bool suspect = login_sev >= SEV_HIGH;
    if (span_eq_cstr(action, "group_member_add")) {
        struct span group = record_str(r, RK_GROUP);
        if (!auth_group_privileged(d, group))
            return;
        struct bl_head *h = bl_lookup(x->users, user, r->ts, true, true);
        if (h)
            ((struct auth_user *)bl_value(h))->privileged = 1;
        if (!x->accounts.enabled)
            return;
        auth_alert_init(&a, r, "auth.privileged_group_add", suspect ? SEV_CRITICAL : SEV_HIGH,
                        STAGE_PRIVILEGE_ESCALATION);
        a.entity.user = user;
        a.entity.src_ip = src;
        a.attack[0] = "T1098";
        a.score = suspect ? 0.95 : 0.8;
        alert_printf(&a, "%.*s was added to the privileged group %.*s", (int)user.len, user.p,
                     (int)group.len, group.p);
        account_by(&a, actor, src, login_sev);
    } else if (!x->accounts.enabled) {
        return;
    } else if (span_eq_cstr(action, "user_add")) {
        bool root_uid = record_int(r, RK_UID, &uid) && uid == 0;
        auth_alert_init(&a, r, "auth.account_created",
                        root_uid ? SEV_CRITICAL : suspect ? SEV_HIGH : SEV_MEDIUM,
                        STAGE_PERSISTENCE);
        a.entity.user = user;
        a.entity.src_ip = src;
        a.attack[0] = "T1136.001";
        a.score = root_uid ? 0.95 : suspect ? 0.8 : 0.55;
        alert_printf(&a, "account %.*s was created", (int)user.len, user.p);
        if (uid >= 0)
            alert_printf(&a, " with uid %lld%s", (long long)uid,
                         root_uid ? ", a second root" : "");
        account_by(&a, actor, src, login_sev);
        struct auth_session *c = &x->sessions.created;
        memset(c, 0, sizeof(*c));
        c->ts = r->ts;
        c->severity = (uint8_t)login_sev;
        sess_set(c->user, &c->user_len, AUTH_NAME, user);
        sess_set(c->src, &c->src_len, AUTH_ADDR, src);
        sess_set(c->actor, &c->actor_len, AUTH_NAME, actor);
    } else if (span_eq_cstr(action, "user_del")) {
        auth_alert_init(&a, r, "auth.account_deleted", SEV_MEDIUM, STAGE_IMPACT);
        a.entity.user = user;
        a.entity.src_ip = src;
        a.attack[0] = "T1531";
        a.score = 0.5;
        alert_printf(&a, "account %.*s was deleted", (int)user.len, user.p);
        account_by(&a, actor, src, login_sev);
    } else {   /* passwd_change: worth a line only for accounts that matter */
        struct bl_head *h = bl_lookup(x->users, user, r->ts, false, false);
        if (!auth_privileged(d, user, h ? bl_value(h) : NULL))
            return;
        auth_alert_init(&a, r, "auth.password_change", SEV_LOW, STAGE_PERSISTENCE);
        a.entity.user = user;
        a.attack[0] = "T1098";
        a.score = 0.35;
        alert_printf(&a, "password changed for privileged account %.*s", (int)user.len, user.p);
        /* admins rotate their own passwords: the change alone is an
         * observation, raised by other signals on the account (alert.c) */
        a.novelty = true;
    }
    alert_emit(d->vg, &a);
}
