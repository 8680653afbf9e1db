/* auth_priv.c - privilege use and account changes: first sudo/su by a user,
 * a sudo executable never seen for the user, sudo/su failures and "not in
 * sudoers", account creation and deletion, additions to privileged groups.
 * A sudo command is known by its executable (the first word), not its whole
 * line: `systemctl restart a` and `systemctl restart b` are the same habit. */
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
        alert_emit(d->vg, &a);
    }
    if (exe.len)
        auth_seen(d, SEEN_SUDO_CMD, user, exe, now, true);
    h = bl_lookup(x->users, user, now, true, false);
    if (!h)
        return;
    u = bl_value(h);
    if (exe.len)
        bl_set_add(&u->sudo_cmds, &d->vg->budget, exe, now, AUTH_SRC_HALFLIFE);
    u->sudo_n += u->sudo_n < UINT32_MAX;
    if (span_eq_cstr(target, "root"))
        u->privileged = 1;    /* whoever can sudo to root is an admin, group or not */
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
        alert_emit(d->vg, &a);
    }
    struct bl_head *h = bl_lookup(x->users, user, now, true, true);
    if (h) {
        struct auth_user *u = bl_value(h);
        u->su_n += u->su_n < UINT32_MAX;
    }
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

void auth_on_account(struct detector *d, const struct record *r, struct span action,
                     struct span user)
{
    struct auth_ctx *x = auth_of(d);
    struct alert a;
    int64_t uid = -1;
    if (!user.len)
        return;
    if (span_eq_cstr(action, "group_member_add")) {
        struct span group = record_str(r, RK_GROUP);
        if (!auth_group_privileged(d, group))
            return;
        struct bl_head *h = bl_lookup(x->users, user, r->ts, true, true);
        if (h)
            ((struct auth_user *)bl_value(h))->privileged = 1;
        if (!x->accounts.enabled)
            return;
        auth_alert_init(&a, r, "auth.privileged_group_add", SEV_HIGH, STAGE_PRIVILEGE_ESCALATION);
        a.entity.user = user;
        a.attack[0] = "T1098";
        a.score = 0.8;
        alert_printf(&a, "%.*s was added to the privileged group %.*s", (int)user.len, user.p,
                     (int)group.len, group.p);
    } else if (!x->accounts.enabled) {
        return;
    } else if (span_eq_cstr(action, "user_add")) {
        bool root_uid = record_int(r, RK_UID, &uid) && uid == 0;
        auth_alert_init(&a, r, "auth.account_created", root_uid ? SEV_CRITICAL : SEV_MEDIUM,
                        STAGE_PERSISTENCE);
        a.entity.user = user;
        a.attack[0] = "T1136.001";
        a.score = root_uid ? 0.95 : 0.55;
        alert_printf(&a, "account %.*s was created", (int)user.len, user.p);
        if (uid >= 0)
            alert_printf(&a, " with uid %lld%s", (long long)uid,
                         root_uid ? ", a second root" : "");
    } else if (span_eq_cstr(action, "user_del")) {
        auth_alert_init(&a, r, "auth.account_deleted", SEV_MEDIUM, STAGE_IMPACT);
        a.entity.user = user;
        a.attack[0] = "T1531";
        a.score = 0.5;
        alert_printf(&a, "account %.*s was deleted", (int)user.len, user.p);
    } else {   /* passwd_change: worth a line only for accounts that matter */
        struct bl_head *h = bl_lookup(x->users, user, r->ts, false, false);
        if (!auth_privileged(d, user, h ? bl_value(h) : NULL))
            return;
        auth_alert_init(&a, r, "auth.password_change", SEV_LOW, STAGE_PERSISTENCE);
        a.entity.user = user;
        a.attack[0] = "T1098";
        a.score = 0.35;
        alert_printf(&a, "password changed for privileged account %.*s", (int)user.len, user.p);
    }
    alert_emit(d->vg, &a);
}
